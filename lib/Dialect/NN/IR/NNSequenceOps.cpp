//===- NNSequenceOps.cpp - embedding, recurrent and dropout ops -----------===//
//
// Verifiers and shape inference of the ops in NNSequenceOps.td, and the
// RecurrentConfig that the recurrent ops, their VJP and their lowering
// share.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "nngc/Dialect/NN/IR/NN.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
using namespace nngc::nn::detail;

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (weight.getRank() != 2)
    return emitOptionalError(loc,
                             "'nn.embedding' op weight must be "
                             "[vocab, dim], got ",
                             shapeStr(weight.getShape()));
  SmallVector<int64_t> shape(
      cast<RankedTensorType>(adaptor.getIds().getType()).getShape());
  shape.push_back(weight.getDimSize(1));
  results.push_back(RankedTensorType::get(shape, weight.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::verify() {
  int64_t vocab = shapeOf(getWeight())[0];
  if (std::optional<int64_t> pad = getPaddingIdx())
    if (*pad < 0 || *pad >= vocab)
      return emitOpError() << "padding_idx " << *pad
                           << " is outside the table's [0, " << vocab << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// RecurrentConfig
//===----------------------------------------------------------------------===//

int64_t RecurrentConfig::gates() const {
  switch (mode) {
  case RecurrentMode::lstm:
    return 4;
  case RecurrentMode::gru:
    return 3;
  default:
    return 1;
  }
}

std::string RecurrentConfig::weightName(int64_t i) const {
  int64_t perCell = weightsPerCell();
  int64_t cell = i / perCell, kind = i % perCell;
  static const char *kinds[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  std::string name =
      std::string(kinds[kind]) + "_l" + std::to_string(cell / directions);
  if (cell % directions)
    name += "_reverse";
  return name;
}

SmallVector<int64_t> RecurrentConfig::weightShape(int64_t i) const {
  int64_t perCell = weightsPerCell();
  int64_t layer = i / perCell / directions, kind = i % perCell;
  int64_t rows = gates() * hidden;
  if (kind == 0)
    return {rows, layer == 0 ? inputSize : directions * hidden};
  if (kind == 1)
    return {rows, hidden};
  return {rows};
}

SmallVector<int64_t> RecurrentConfig::outputShape() const {
  if (batchFirst)
    return {batch, seq, directions * hidden};
  return {seq, batch, directions * hidden};
}

SmallVector<int64_t> RecurrentConfig::stateShape() const {
  return {layers * directions, batch, hidden};
}

SmallVector<int64_t> RecurrentConfig::maskShape() const {
  if (batchFirst)
    return {batch, seq, 1};
  return {seq, batch, 1};
}

/// The configuration of a recurrent op from its input, weights and
/// attributes; the hidden size comes from `weight_hh_l0` when there is one.
static RecurrentConfig makeConfig(RecurrentMode mode, Value input,
                                  ValueRange weights, int64_t layers,
                                  bool bidirectional, bool batchFirst,
                                  double dropout, bool hasInitial,
                                  bool hasMask) {
  RecurrentConfig c;
  c.mode = mode;
  c.layers = layers;
  c.directions = bidirectional ? 2 : 1;
  c.batchFirst = batchFirst;
  c.dropout = dropout;
  c.hasInitial = hasInitial;
  c.hasMask = hasMask;
  ArrayRef<int64_t> in = shapeOf(input);
  if (in.size() == 3) {
    c.seq = batchFirst ? in[1] : in[0];
    c.batch = batchFirst ? in[0] : in[1];
    c.inputSize = in[2];
  }
  c.hasBias =
      static_cast<int64_t>(weights.size()) != 2 * c.layers * c.directions;
  if (weights.size() >= 2 && shapeOf(weights[1]).size() == 2)
    c.hidden = shapeOf(weights[1])[1];
  return c;
}

template <typename OpT>
static RecurrentConfig forwardConfig(OpT op, RecurrentMode mode) {
  return makeConfig(mode, op.getInput(), op.getWeights(), op.getNumLayers(),
                    op.getBidirectional(), op.getBatchFirst(),
                    op.getDropout().convertToDouble(),
                    static_cast<bool>(op.getH0()),
                    static_cast<bool>(op.getMask()));
}

RecurrentConfig RNNOp::getConfig() {
  return forwardConfig(*this, getNonlinearity() == RNNNonlinearity::relu
                                  ? RecurrentMode::rnn_relu
                                  : RecurrentMode::rnn_tanh);
}
RecurrentConfig GRUOp::getConfig() {
  return forwardConfig(*this, RecurrentMode::gru);
}
RecurrentConfig LSTMOp::getConfig() {
  return forwardConfig(*this, RecurrentMode::lstm);
}

RecurrentConfig RNNGradOp::getConfig() {
  RecurrentMode mode = getMode();
  bool initial = getHasInitial(), mask = getHasMask();
  int64_t states = mode == RecurrentMode::lstm ? 2 : 1;
  ValueRange weights =
      getInputs().drop_front(1 + (mask ? 1 : 0) + (initial ? states : 0));
  return makeConfig(mode, getInputs()[0], weights, getNumLayers(),
                    getBidirectional(), getBatchFirst(),
                    getDropout().convertToDouble(), initial, mask);
}

//===----------------------------------------------------------------------===//
// Recurrent verifiers
//===----------------------------------------------------------------------===//

/// Checks the operands of a recurrent layer stack against `c`: the input's
/// rank, the number and shapes of the weights, the initial states.
static LogicalResult
verifyRecurrentOperands(Operation *op, const RecurrentConfig &c, Value input,
                        Value mask, ValueRange initial, ValueRange weights) {
  if (shapeOf(input).size() != 3)
    return op->emitOpError()
           << "input must be " << (c.batchFirst ? "[B, T, I]" : "[T, B, I]")
           << ", got " << shapeStr(shapeOf(input));
  if (c.layers < 1)
    return op->emitOpError()
           << "num_layers must be at least 1, got " << c.layers;
  if (c.dropout < 0 || c.dropout >= 1)
    return op->emitOpError() << "dropout must be in [0, 1), got " << c.dropout;
  int64_t cells = c.layers * c.directions;
  int64_t n = weights.size();
  if (n != 2 * cells && n != 4 * cells)
    return op->emitOpError()
           << "expects " << 4 * cells << " weights (" << 2 * cells
           << " without biases) for " << c.layers << " layer(s) and "
           << c.directions << " direction(s), got " << n;
  if (shapeOf(weights[1]).size() != 2)
    return op->emitOpError() << "weight_hh_l0 must be [" << c.gates()
                             << "*H, H], got " << shapeStr(shapeOf(weights[1]));
  for (int64_t i = 0; i < n; ++i) {
    SmallVector<int64_t> want = c.weightShape(i);
    if (shapeOf(weights[i]) != ArrayRef<int64_t>(want))
      return op->emitOpError()
             << "weight " << i << " (" << c.weightName(i) << ") must be "
             << shapeStr(want) << ", got " << shapeStr(shapeOf(weights[i]));
  }
  if (mask && shapeOf(mask) != ArrayRef<int64_t>(c.maskShape()))
    return op->emitOpError()
           << "mask must be "
           << (c.batchFirst ? "[B, T, 1] = " : "[T, B, 1] = ")
           << shapeStr(c.maskShape()) << ", got " << shapeStr(shapeOf(mask));
  for (Value s : initial)
    if (shapeOf(s) != ArrayRef<int64_t>(c.stateShape()))
      return op->emitOpError()
             << "initial state must be [num_layers*D, B, H] = "
             << shapeStr(c.stateShape()) << ", got " << shapeStr(shapeOf(s));
  return success();
}

static LogicalResult verifyRecurrentResults(Operation *op,
                                            const RecurrentConfig &c,
                                            TypeRange results) {
  for (auto [i, t] : llvm::enumerate(results)) {
    SmallVector<int64_t> want = i == 0 ? c.outputShape() : c.stateShape();
    ArrayRef<int64_t> got = cast<RankedTensorType>(t).getShape();
    if (got != ArrayRef<int64_t>(want))
      return op->emitOpError() << "result " << i << " must be "
                               << shapeStr(want) << ", got " << shapeStr(got);
  }
  return success();
}

template <typename OpT>
static LogicalResult verifyRecurrent(OpT op, ValueRange initial) {
  RecurrentConfig c = op.getConfig();
  if (failed(verifyRecurrentOperands(op, c, op.getInput(), op.getMask(),
                                     initial, op.getWeights())))
    return failure();
  return verifyRecurrentResults(op, c, op->getResultTypes());
}

SmallVector<Value> RNNOp::getInitialStates() {
  return getH0() ? SmallVector<Value>{getH0()} : SmallVector<Value>{};
}

SmallVector<Value> GRUOp::getInitialStates() {
  return getH0() ? SmallVector<Value>{getH0()} : SmallVector<Value>{};
}

SmallVector<Value> LSTMOp::getInitialStates() {
  return getH0() ? SmallVector<Value>{getH0(), getC0()} : SmallVector<Value>{};
}

LogicalResult RNNOp::verify() {
  return verifyRecurrent(*this, getInitialStates());
}

LogicalResult GRUOp::verify() {
  return verifyRecurrent(*this, getInitialStates());
}

LogicalResult LSTMOp::verify() {
  if (static_cast<bool>(getH0()) != static_cast<bool>(getC0()))
    return emitOpError("takes both h0 and c0 or neither");
  SmallVector<Value> initial = getInitialStates();
  if (getMask() && llvm::any_of(getCN().getUsers(), [](Operation *user) {
        return !isa<RNNGradOp>(user);
      }))
    return emitOpError("computes no c_n with a mask; c_n must have no use");
  return verifyRecurrent(*this, initial);
}

LogicalResult RNNGradOp::verify() {
  RecurrentConfig c = getConfig();
  int64_t states = c.numStates();
  int64_t initial = c.hasInitial ? states : 0, mask = c.hasMask ? 1 : 0;
  if (static_cast<int64_t>(getInputs().size()) < 1 + mask + initial + 2)
    return emitOpError("has too few inputs");
  if (failed(verifyRecurrentOperands(
          *this, c, getInputs()[0], mask ? getInputs()[1] : Value(),
          getInputs().slice(1 + mask, initial),
          getInputs().drop_front(1 + mask + initial))))
    return failure();
  if (static_cast<int64_t>(getOutputs().size()) != 1 + states)
    return emitOpError() << "expects " << 1 + states << " forward outputs";
  if (failed(verifyRecurrentResults(*this, c, getOutputs().getTypes())))
    return failure();
  if (getOutputGrads().getTypes() != getOutputs().getTypes())
    return emitOpError("output_grads must have the types of outputs");
  if (getResultTypes() != getInputs().getTypes())
    return emitOpError("results must have the types of inputs");
  return success();
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (p < 0 || p >= 1)
    return emitOpError() << "p must be in [0, 1), got " << p;
  return success();
}

//===----------------------------------------------------------------------===//
// Operands whose data a backward op does not read
//===----------------------------------------------------------------------===//

// `saved` names the forward op, whose mask stream the backward redraws.
bool DropoutGradOp::readsOperand(unsigned index) {
  return index != getSavedMutable().getOperandNumber();
}
