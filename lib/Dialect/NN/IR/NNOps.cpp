//===- NNOps.cpp - nn op verifiers and shape inference --------------------===//

#include "ShapeUtils.h"
#include "nngc/Dialect/NN/IR/NN.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

#include <charconv>

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
using namespace nngc::nn::detail;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> nngc::nn::broadcastShapes(ArrayRef<int64_t> a,
                                                          ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string nngc::nn::formatFloatLiteral(double value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  std::string s(buf, res.ptr);
  // MLIR reads "1e-04" as an integer followed by junk: a float literal
  // needs a '.' before its exponent.
  if (s.find_first_of(".n") == std::string::npos) {
    size_t e = s.find_first_of("eE");
    s.insert(e == std::string::npos ? s.size() : e, ".0");
  }
  return s;
}

static RankedTensorType f32Tensor(MLIRContext *ctx, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

//===----------------------------------------------------------------------===//
// Custom directive: `, 1.0, 2.0` initialiser arguments.
//===----------------------------------------------------------------------===//

static ParseResult parseInit(OpAsmParser &parser, InitKindAttr &init,
                             DenseF64ArrayAttr &args) {
  StringRef name;
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLParen() || parser.parseKeyword(&name))
    return failure();
  std::optional<InitKind> kind = symbolizeInitKind(name);
  if (!kind)
    return parser.emitError(loc, "unknown initialiser '") << name << "'";
  SmallVector<double> values;
  while (succeeded(parser.parseOptionalComma())) {
    double v;
    if (parser.parseFloat(v))
      return failure();
    values.push_back(v);
  }
  if (parser.parseRParen())
    return failure();
  init = InitKindAttr::get(parser.getContext(), *kind);
  args = DenseF64ArrayAttr::get(parser.getContext(), values);
  return success();
}

static void printInit(OpAsmPrinter &printer, Operation *, InitKindAttr init,
                      DenseF64ArrayAttr args) {
  printer << "(" << stringifyInitKind(init.getValue());
  for (double v : args.asArrayRef())
    printer << ", " << formatFloatLiteral(v);
  printer << ")";
}

#define GET_OP_CLASSES
#include "nngc/Dialect/NN/IR/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// nn.model
//===----------------------------------------------------------------------===//

int64_t ModelOp::getBatchSize() {
  for (auto input : getBodyBlock().getOps<InputOp>())
    return cast<RankedTensorType>(input.getType()).getDimSize(0);
  return 0;
}

LogicalResult ModelOp::verifyRegions() {
  llvm::StringSet<> inputs, params, outputs;
  Operation *minimize = nullptr;
  std::optional<int64_t> batch;
  for (Operation &op : getBodyBlock()) {
    if (!isa<NNDialect>(op.getDialect()))
      return op.emitOpError("is not an nn op; a model holds nn ops only");
    auto unique = [&](llvm::StringSet<> &set, StringRef name,
                      StringRef what) -> LogicalResult {
      if (!set.insert(name).second)
        return op.emitOpError()
               << "duplicate " << what << " name '" << name << "'";
      return success();
    };
    if (auto input = dyn_cast<InputOp>(op)) {
      if (failed(unique(inputs, input.getName(), "input")))
        return failure();
      // The recurrent states a step model (nngc-derive-step) carries are
      // [layers * directions, B, H], as in PyTorch; its token's position
      // is one for all sequences.
      if (input->hasAttr("nngc.carried_from") ||
          input->hasAttr("nngc.position"))
        continue;
      int64_t b = cast<RankedTensorType>(input.getType()).getDimSize(0);
      if (batch && *batch != b)
        return op.emitOpError() << "batch size " << b
                                << " differs from the first input's " << *batch;
      batch = b;
    } else if (auto param = dyn_cast<ParamOp>(op)) {
      if (failed(unique(params, param.getName(), "parameter")))
        return failure();
    } else if (auto state = dyn_cast<StateOp>(op)) {
      if (failed(unique(params, state.getName(), "parameter or state")))
        return failure();
    } else if (auto output = dyn_cast<OutputOp>(op)) {
      if (failed(unique(outputs, output.getName(), "output")))
        return failure();
    } else if (isa<MinimizeOp>(op)) {
      if (minimize)
        return op.emitOpError("a model has at most one nn.minimize");
      minimize = &op;
    }
  }
  // Graph regions allow any order; the data flow itself must be acyclic.
  // (computeTopologicalSorting does not see an op that reads its own
  // result: found by nngc-fuzz, it crashed the lowering.)
  SmallVector<Operation *> ops;
  for (Operation &op : getBodyBlock()) {
    for (Value v : op.getOperands())
      if (v.getDefiningOp() == &op)
        return op.emitOpError("reads its own result: the model's data flow "
                              "has a cycle");
    // Sizes in bytes must fit the memory plan's int64 arithmetic (found by
    // nngc-fuzz: tensor<777777777777777764x64xf32> overflowed it).
    for (Type t : op.getResultTypes()) {
      auto type = dyn_cast<RankedTensorType>(t);
      if (!type || !type.hasStaticShape())
        continue;
      int64_t bytes = 8;
      for (int64_t d : type.getShape())
        if (llvm::MulOverflow(bytes, std::max<int64_t>(d, 1), bytes) ||
            bytes > (int64_t(1) << 50))
          return op.emitOpError("result ")
                 << type << " is too large (nngc's limit is 2^47 elements)";
    }
    ops.push_back(&op);
  }
  if (!computeTopologicalSorting(ops))
    return emitOpError("the model's data flow has a cycle");
  return success();
}

//===----------------------------------------------------------------------===//
// nn.input, nn.param
//===----------------------------------------------------------------------===//

LogicalResult InputOp::verify() {
  if (cast<RankedTensorType>(getType()).getRank() < 1)
    return emitOpError("needs a batch dimension (rank >= 1)");
  if (getName().empty())
    return emitOpError("needs a non-empty name");
  return success();
}

LogicalResult ParamOp::verify() {
  ArrayRef<double> args = getInitArgs();
  auto type = cast<RankedTensorType>(getType());
  if (getName().empty())
    return emitOpError("needs a non-empty name");
  unsigned minArgs = 0, maxArgs = 0;
  bool needsFans = false;
  switch (getInit()) {
  case InitKind::zeros:
  case InitKind::ones:
    break;
  case InitKind::constant:
    minArgs = maxArgs = 1;
    break;
  case InitKind::normal:
  case InitKind::uniform:
    maxArgs = 2;
    break;
  case InitKind::xavier_uniform:
  case InitKind::xavier_normal:
  case InitKind::kaiming_uniform:
  case InitKind::kaiming_normal:
    maxArgs = 1;
    needsFans = true;
    break;
  }
  if (args.size() < minArgs || args.size() > maxArgs)
    return emitOpError() << "initialiser '" << stringifyInitKind(getInit())
                         << "' takes " << minArgs
                         << (minArgs == maxArgs
                                 ? ""
                                 : " to " + std::to_string(maxArgs))
                         << " argument(s), got " << args.size();
  if (needsFans && type.getRank() < 2)
    return emitOpError() << "initialiser '" << stringifyInitKind(getInit())
                         << "' needs a parameter of rank >= 2 (fan in and out)";
  if (getInit() == InitKind::uniform && args.size() == 2 && args[0] > args[1])
    return emitOpError("uniform bounds must satisfy a <= b");
  if (getInit() == InitKind::normal && args.size() == 2 && args[1] < 0)
    return emitOpError("normal std must be non-negative");
  return success();
}

//===----------------------------------------------------------------------===//
// Shape inference
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  ArrayRef<int64_t> x = shapeOf(adaptor.getInput());
  ArrayRef<int64_t> w = shapeOf(adaptor.getWeight());
  if (x.empty())
    return emitOptionalError(loc, "'nn.linear' input must have rank >= 1");
  if (w.size() != 2)
    return emitOptionalError(loc, "'nn.linear' weight must be [out, in], got ",
                             shapeStr(w));
  if (x.back() != w[1])
    return emitOptionalError(loc, "'nn.linear' input features (", x.back(),
                             ") do not match weight [out, in] = ", shapeStr(w));
  if (Value bias = adaptor.getBias()) {
    ArrayRef<int64_t> b = shapeOf(bias);
    if (b.size() != 1 || b[0] != w[0])
      return emitOptionalError(loc, "'nn.linear' bias must be [", w[0],
                               "], got ", shapeStr(b));
  }
  SmallVector<int64_t> out(x);
  out.back() = w[0];
  results.push_back(f32Tensor(ctx, out));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  ArrayRef<int64_t> a = shapeOf(adaptor.getLhs());
  ArrayRef<int64_t> b = shapeOf(adaptor.getRhs());
  if (a.size() < 2 || a.size() > 3 || b.size() < 2 || b.size() > 3)
    return emitOptionalError(loc, "'nn.matmul' operands must have rank 2 or 3");
  if (a.size() == 2 && b.size() == 3)
    return emitOptionalError(loc,
                             "'nn.matmul' a rank-3 rhs needs a rank-3 lhs");
  if (a.size() == 3 && b.size() == 3 && a[0] != b[0])
    return emitOptionalError(loc, "'nn.matmul' batch sizes differ: ", a[0],
                             " vs ", b[0]);
  // While parsing, attributes written in the attr-dict are not yet in the
  // op's properties: look in both.
  DictionaryAttr attrs = adaptor.getAttributes();
  bool ta = adaptor.getTransposeLhs() || (attrs && attrs.get("transpose_lhs"));
  bool tb = adaptor.getTransposeRhs() || (attrs && attrs.get("transpose_rhs"));
  size_t ra = a.size(), rb = b.size();
  int64_t m = ta ? a[ra - 1] : a[ra - 2];
  int64_t ka = ta ? a[ra - 2] : a[ra - 1];
  int64_t kb = tb ? b[rb - 1] : b[rb - 2];
  int64_t n = tb ? b[rb - 2] : b[rb - 1];
  if (ka != kb)
    return emitOptionalError(loc, "'nn.matmul' contraction sizes differ: lhs ",
                             shapeStr(a), " and rhs ", shapeStr(b), " give ",
                             ka, " vs ", kb);
  SmallVector<int64_t> out;
  if (ra == 3)
    out.push_back(a[0]);
  out.push_back(m);
  out.push_back(n);
  results.push_back(f32Tensor(ctx, out));
  return success();
}

template <typename AdaptorT>
static LogicalResult
inferBroadcast(StringRef name, MLIRContext *ctx, std::optional<Location> loc,
               AdaptorT adaptor, SmallVectorImpl<Type> &results) {
  ArrayRef<int64_t> a = shapeOf(adaptor.getLhs());
  ArrayRef<int64_t> b = shapeOf(adaptor.getRhs());
  FailureOr<SmallVector<int64_t>> out = broadcastShapes(a, b);
  if (failed(out))
    return emitOptionalError(loc, "'nn.", name, "' shapes ", shapeStr(a),
                             " and ", shapeStr(b), " do not broadcast");
  results.push_back(f32Tensor(ctx, *out));
  return success();
}

LogicalResult AddOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  return inferBroadcast("add", ctx, loc, adaptor, results);
}
LogicalResult SubOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  return inferBroadcast("sub", ctx, loc, adaptor, results);
}
LogicalResult MulOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  return inferBroadcast("mul", ctx, loc, adaptor, results);
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

template <typename OpT>
static LogicalResult verifySameShapeLoss(OpT op, Value input, Value target) {
  if (shapeOf(input) != shapeOf(target))
    return op.emitOpError()
           << "input " << shapeStr(shapeOf(input)) << " and target "
           << shapeStr(shapeOf(target)) << " must have the same shape";
  if (shapeOf(input).empty())
    return op.emitOpError("needs a batch dimension (rank >= 1)");
  return success();
}

LogicalResult MSEOp::verify() {
  return verifySameShapeLoss(*this, getInput(), getTarget());
}
LogicalResult BinaryCrossEntropyOp::verify() {
  return verifySameShapeLoss(*this, getLogits(), getTarget());
}

LogicalResult CrossEntropyOp::verify() {
  ArrayRef<int64_t> logits = shapeOf(getLogits());
  ArrayRef<int64_t> labels = shapeOf(getLabels());
  if (logits.size() < 2)
    return emitOpError() << "logits must be [batch, ..., classes], got "
                         << shapeStr(logits);
  if (labels != logits.drop_back())
    return emitOpError() << "labels " << shapeStr(labels)
                         << " must have the logits' shape without the class "
                            "dimension, "
                         << shapeStr(logits.drop_back());
  return success();
}

template <typename OpT> static LogicalResult verifyAxis(OpT op) {
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
  int64_t axis = op.getAxis();
  if (axis < -rank || axis >= rank)
    return op.emitOpError()
           << "axis " << axis << " is out of range for rank " << rank;
  return success();
}
LogicalResult SoftmaxOp::verify() { return verifyAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifyAxis(*this); }

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << shapeStr(in.getShape()) << " ("
                         << in.getNumElements() << " elements) to "
                         << shapeStr(out.getShape()) << " ("
                         << out.getNumElements() << " elements)";
  return success();
}

LogicalResult TransposeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  ArrayRef<int64_t> perm = getPermutation();
  if (in.size() > 16)
    return emitOpError() << "supports ranks up to 16, got " << in.size();
  if (perm.size() != in.size())
    return emitOpError() << "permutation has " << perm.size()
                         << " entries for an input of rank " << in.size();
  SmallVector<int64_t> want;
  SmallVector<bool> seen(in.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(in.size()) || seen[p])
      return emitOpError("permutation must list each dimension once");
    seen[p] = true;
    want.push_back(in[p]);
  }
  if (out != ArrayRef<int64_t>(want))
    return emitOpError() << "result must be " << shapeStr(want) << ", got "
                         << shapeStr(out);
  return success();
}

LogicalResult SumToOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> out = shapeOf(getResult());
  FailureOr<SmallVector<int64_t>> b = broadcastShapes(out, in);
  if (failed(b) || ArrayRef<int64_t>(*b) != in)
    return emitOpError() << "result shape " << shapeStr(out)
                         << " does not broadcast to the input shape "
                         << shapeStr(in);
  return success();
}

LogicalResult SGDUpdateOp::verify() {
  bool hasBuffer = static_cast<bool>(getMomentumBuffer());
  if (hasBuffer != (getMomentum().convertToDouble() != 0))
    return emitOpError("has a momentum buffer iff momentum is non-zero");
  if (hasBuffer && getMomentumBuffer().getType() != getParam().getType())
    return emitOpError("momentum buffer must have the parameter's type");
  return success();
}

LogicalResult MinimizeOp::verify() {
  if (std::optional<APFloat> clip = getClipGradNorm())
    if (!(clip->convertToDouble() > 0))
      return emitOpError("clip_grad_norm must be positive");
  return success();
}
