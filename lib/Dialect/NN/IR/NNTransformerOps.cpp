//===- NNTransformerOps.cpp - layer norm, attention, positions ------------===//
//
// Verifiers and shape inference of the ops in NNTransformerOps.td. Their
// VJPs are in NNVJP.cpp.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "nngc/Dialect/NN/IR/NN.h"

#include <cmath>

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
using namespace nngc::nn::detail;

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

int64_t LayerNormOp::getNormalizedRank() {
  if (getWeight())
    return shapeOf(getWeight()).size();
  if (getBias())
    return shapeOf(getBias()).size();
  return getNormalizedDims().value_or(1);
}

int64_t LayerNormOp::getNormalizedSize() {
  ArrayRef<int64_t> shape = shapeOf(getInput());
  int64_t rank = getNormalizedRank();
  int64_t n = 1;
  for (int64_t d : shape.take_back(rank))
    n *= d;
  return n;
}

LogicalResult LayerNormOp::verify() {
  ArrayRef<int64_t> shape = shapeOf(getInput());
  if (getEps().convertToDouble() <= 0)
    return emitOpError("eps must be positive");
  int64_t rank = getNormalizedRank();
  if (rank < 1 || rank > static_cast<int64_t>(shape.size()))
    return emitOpError() << "normalises " << rank
                         << " trailing dimensions of an input of rank "
                         << shape.size();
  if (getNormalizedDims() && static_cast<int64_t>(*getNormalizedDims()) != rank)
    return emitOpError() << "normalized_dims = " << *getNormalizedDims()
                         << " but the affine parameters have rank " << rank;
  ArrayRef<int64_t> normalized = shape.take_back(rank);
  for (auto [what, v] : {std::pair<StringRef, Value>{"weight", getWeight()},
                         {"bias", getBias()}}) {
    if (v && shapeOf(v) != normalized)
      return emitOpError() << what << " is " << shapeStr(shapeOf(v))
                           << " but the input's normalized shape is "
                           << shapeStr(normalized);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

/// What nn.attention and nn.multihead_attention both check: `heads`
/// divides the width, a causal mask has Tq = Tk, dropout is in [0, 1), and
/// the key padding mask is [B, Tk] or [B, Tk, 1]. `q` and `k` are the query
/// and key shapes, [B, T, C].
static LogicalResult verifyAttentionOptions(Operation *op, ArrayRef<int64_t> q,
                                            ArrayRef<int64_t> k, Value mask,
                                            int64_t heads, bool causal,
                                            double dropout) {
  if (heads < 1 || q[2] % heads)
    return op->emitOpError()
           << "heads = " << heads << " must divide the width " << q[2];
  if (causal && q[1] != k[1])
    return op->emitOpError()
           << "a causal mask needs as many queries as keys, got " << q[1]
           << " and " << k[1];
  if (dropout < 0 || dropout >= 1)
    return op->emitOpError() << "dropout " << dropout << " is outside [0, 1)";
  return verifyKeyPaddingMask(op, mask, k);
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto q = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto v = cast<RankedTensorType>(adaptor.getValue().getType());
  if (q.getRank() != 3 || v.getRank() != 3)
    return emitOptionalError(loc, "'nn.attention' op query and value must be "
                                  "[B, T, C]");
  results.push_back(RankedTensorType::get(
      {q.getDimSize(0), q.getDimSize(1), v.getDimSize(2)}, q.getElementType()));
  return success();
}

int64_t AttentionOp::getNumScores() {
  ArrayRef<int64_t> q = shapeOf(getQuery());
  return q[0] * getHeads() * q[1] * shapeOf(getKey())[1];
}

int64_t AttentionOp::getScoresFlops() {
  ArrayRef<int64_t> q = shapeOf(getQuery());
  return 2 * q[0] * q[1] * shapeOf(getKey())[1] * q[2] + 5 * getNumScores();
}

bool AttentionOp::hasBackward() {
  return llvm::any_of(getResult().getUsers(), [&](Operation *user) {
    auto g = dyn_cast<AttentionGradOp>(user);
    return g && g.getOutput() == getResult();
  });
}

double AttentionOp::getScaleValue() {
  if (std::optional<APFloat> s = getScale())
    return s->convertToDouble();
  int64_t c = shapeOf(getQuery())[2];
  return 1.0 / std::sqrt(static_cast<double>(c / getHeads()));
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey()),
                    v = shapeOf(getValue());
  if (k.size() != 3)
    return emitOpError("key must be [B, T, C], got ") << shapeStr(k);
  if (q[0] != k[0] || q[0] != v[0])
    return emitOpError() << "query, key and value must have one batch size, "
                            "got "
                         << q[0] << ", " << k[0] << ", " << v[0];
  if (k[1] != v[1])
    return emitOpError() << "key and value must have one length, got " << k[1]
                         << " and " << v[1];
  if (q[2] != k[2] || q[2] != v[2])
    return emitOpError() << "query, key and value must have one width, got "
                         << q[2] << ", " << k[2] << ", " << v[2];
  return verifyAttentionOptions(*this, q, k, getKeyPaddingMask(), getHeads(),
                                getCausal(), getDropout().convertToDouble());
}

LogicalResult AttentionGradOp::verify() {
  if (getQueryGrad().getType() != getQuery().getType() ||
      getKeyGrad().getType() != getKey().getType() ||
      getValueGrad().getType() != getValue().getType())
    return emitOpError("results must have the types of query, key and value");
  return success();
}

LogicalResult MultiheadAttentionOp::verify() {
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey()),
                    v = shapeOf(getValue());
  if (q.size() != 3 || k.size() != 3 || v.size() != 3)
    return emitOpError("query, key and value must be [B, T, C]");
  int64_t c = q[2];
  if (k[2] != c || v[2] != c || q[0] != k[0] || k[0] != v[0] || k[1] != v[1])
    return emitOpError() << "query, key and value must be [B, Tq, C], [B, Tk, "
                            "C] and [B, Tk, C], got "
                         << shapeStr(q) << ", " << shapeStr(k) << ", "
                         << shapeStr(v);
  size_t n = getWeights().size();
  if (n != 2 && n != 4)
    return emitOpError() << "takes in_proj_weight, [in_proj_bias], "
                            "out_proj.weight, [out_proj.bias]: 2 or 4 "
                            "weights, got "
                         << n;
  auto expect = [&](Value w, SmallVector<int64_t> shape,
                    StringRef name) -> LogicalResult {
    if (shapeOf(w) != ArrayRef<int64_t>(shape))
      return emitOpError() << name << " must be " << shapeStr(shape) << ", got "
                           << shapeStr(shapeOf(w));
    return success();
  };
  if (failed(expect(getInProjWeight(), {3 * c, c}, "in_proj_weight")) ||
      failed(expect(getOutProjWeight(), {c, c}, "out_proj.weight")))
    return failure();
  if (hasBias() && (failed(expect(getInProjBias(), {3 * c}, "in_proj_bias")) ||
                    failed(expect(getOutProjBias(), {c}, "out_proj.bias"))))
    return failure();
  if (getResult().getType() != getQuery().getType())
    return emitOpError("result must have the query's type");
  return verifyAttentionOptions(*this, q, k, getKeyPaddingMask(), getHeads(),
                                getCausal(), getDropout().convertToDouble());
}

/// Rows [start, start + size) of `v` along axis 0.
static Value rows(OpBuilder &b, Location loc, Value v, int64_t start,
                  int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = size;
  return b.create<SliceOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), v,
      b.getI64IntegerAttr(0), b.getI64IntegerAttr(start));
}

/// torch.nn.MultiheadAttention: in_proj (q, k, v row blocks), attention,
/// out_proj. Self-attention projects once with the whole [3C, C] weight and
/// slices the result, as PyTorch's fast path does.
SmallVector<Value> MultiheadAttentionOp::decompose(OpBuilder &b) {
  MultiheadAttentionOp op = *this;
  Location loc = op.getLoc();
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  int64_t c = qType.getDimSize(2);
  Value w = op.getInProjWeight(), bias = op.getInProjBias();
  Value q, k, v;
  if (op.getQuery() == op.getKey() && op.getKey() == op.getValue()) {
    Value qkv = b.create<LinearOp>(loc, op.getQuery(), w, bias);
    auto slice = [&](int64_t i) -> Value {
      return b.create<SliceOp>(loc, qType, qkv, b.getI64IntegerAttr(2),
                               b.getI64IntegerAttr(i * c));
    };
    q = slice(0), k = slice(1), v = slice(2);
  } else {
    auto project = [&](Value x, int64_t i) -> Value {
      Value bi = bias ? rows(b, loc, bias, i * c, c) : Value();
      return b.create<LinearOp>(loc, x, rows(b, loc, w, i * c, c), bi);
    };
    q = project(op.getQuery(), 0);
    k = project(op.getKey(), 1);
    v = project(op.getValue(), 2);
  }
  Value att = b.create<AttentionOp>(loc, q, k, v, op.getKeyPaddingMask(),
                                    op.getHeadsAttr(), op.getCausalAttr(),
                                    op.getDropoutAttr(), FloatAttr());
  Value out =
      b.create<LinearOp>(loc, att, op.getOutProjWeight(), op.getOutProjBias());
  return {out};
}

LogicalResult CachedAttentionOp::verify() {
  ArrayRef<int64_t> q = shapeOf(getQuery()), c = shapeOf(getKeyCache());
  if (q.size() != 3 || q[1] != 1)
    return emitOpError("query must be one token per sequence, [B, 1, C], got ")
           << shapeStr(q);
  if (c.size() != 3 || c[0] != q[0] || c[2] != q[2])
    return emitOpError() << "caches must be [" << q[0] << ", T, " << q[2]
                         << "], got " << shapeStr(c);
  if (shapeOf(getPosition()) != ArrayRef<int64_t>{1})
    return emitOpError("position must be [1]");
  if (getHeads() < 1 || q[2] % getHeads())
    return emitOpError() << "heads = " << getHeads()
                         << " must divide the width " << q[2];
  return success();
}

//===----------------------------------------------------------------------===//
// positions
//===----------------------------------------------------------------------===//

LogicalResult ArangeOp::verify() {
  if (shapeOf(getResult()).size() != 1)
    return emitOpError("result must be 1-D, got ")
           << shapeStr(shapeOf(getResult()));
  return success();
}

LogicalResult SinusoidalPositionsOp::verify() {
  ArrayRef<int64_t> s = shapeOf(getResult());
  if (s.size() != 2 || s[1] % 2)
    return emitOpError("result must be [T, C] with C even, got ")
           << shapeStr(s);
  return success();
}

//===----------------------------------------------------------------------===//
// Operands whose data a backward op does not read
//===----------------------------------------------------------------------===//

// `output` names the forward op, whose statistics the backward reads.
bool LayerNormGradOp::readsOperand(unsigned index) {
  return index != getOutputMutable().getOperandNumber();
}

// `output` names the forward op, whose probabilities (or mask pointer) the
// backward reads.
bool AttentionGradOp::readsOperand(unsigned index) {
  return index != getOutputMutable().getOperandNumber();
}
