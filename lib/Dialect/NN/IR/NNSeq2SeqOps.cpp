//===- NNSeq2SeqOps.cpp - attention of recurrent decoders -----------------===//
//
// Verifiers and decompositions (DecomposeOpInterface) of the ops in
// NNSeq2SeqOps.td: nn.additive_attention (Bahdanau) and
// nn.multiplicative_attention (Luong). Their VJPs and lowering are those of
// the ops they decompose into.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "nngc/Dialect/NN/IR/NN.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
using namespace nngc::nn::detail;

static RankedTensorType f32Tensor(OpBuilder &b, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}

/// A scalar f32 constant.
static Value scalar(OpBuilder &b, Location loc, double v) {
  return b.create<FillOp>(loc, f32Tensor(b, {}), b.getF64FloatAttr(v));
}

/// Query, keys, values [B, Tq, Q], [B, Tk, K], [B, Tk, C], the mask and
/// the result [B, Tq, C].
static LogicalResult verifyOperands(Operation *op, Value query, Value keys,
                                    Value values, Value mask, Value result) {
  ArrayRef<int64_t> q = shapeOf(query), k = shapeOf(keys), v = shapeOf(values);
  if (q.size() != 3 || k.size() != 3 || v.size() != 3 || q[0] != k[0] ||
      k[0] != v[0] || k[1] != v[1])
    return op->emitOpError()
           << "query, keys and values must be [B, Tq, Q], [B, Tk, K] and [B, "
              "Tk, C], got "
           << shapeStr(q) << ", " << shapeStr(k) << ", " << shapeStr(v);
  if (failed(verifyKeyPaddingMask(op, mask, k)))
    return failure();
  SmallVector<int64_t> expected = {q[0], q[1], v[2]};
  if (shapeOf(result) != ArrayRef<int64_t>(expected))
    return op->emitOpError() << "result must be " << shapeStr(expected)
                             << ", got " << shapeStr(shapeOf(result));
  return success();
}

static LogicalResult expectShape(Operation *op, Value w,
                                 ArrayRef<int64_t> shape, StringRef name) {
  if (shapeOf(w) != shape)
    return op->emitOpError() << name << " must be " << shapeStr(shape)
                             << ", got " << shapeStr(shapeOf(w));
  return success();
}

/// softmax_j(scores + mask bias) . values: the half both ops share.
/// `scores` is [B, Tq, Tk]; padded keys get a bias of -1e30, so that their
/// probability is exactly 0 (exp underflows) and no gradient reaches them.
static Value attend(OpBuilder &b, Location loc, Value scores, Value mask,
                    Value values, std::optional<double> scale) {
  ArrayRef<int64_t> s = shapeOf(scores);
  if (scale && *scale != 1.0)
    scores = b.create<MulOp>(loc, scores, scalar(b, loc, *scale));
  if (mask) {
    auto rowType = f32Tensor(b, {s[0], 1, s[2]});
    Value m = b.create<ReshapeOp>(loc, rowType, mask);
    Value one = scalar(b, loc, 1.0);
    Value big = scalar(b, loc, 1.0e30);
    Value bias = b.create<MulOp>(loc, b.create<SubOp>(loc, m, one), big);
    scores = b.create<AddOp>(loc, scores, bias);
  }
  Value p = b.create<SoftmaxOp>(loc, scores, b.getI64IntegerAttr(-1));
  return b.create<MatmulOp>(loc, p, values, UnitAttr(), UnitAttr());
}

static std::optional<double> scaleOf(std::optional<llvm::APFloat> s) {
  if (!s)
    return std::nullopt;
  return s->convertToDouble();
}

//===----------------------------------------------------------------------===//
// additive_attention
//===----------------------------------------------------------------------===//

LogicalResult AdditiveAttentionOp::verify() {
  if (failed(verifyOperands(*this, getQuery(), getKeys(), getValues(),
                            getKeyPaddingMask(), getResult())))
    return failure();
  size_t n = getWeights().size();
  if (n != 3 && n != 5)
    return emitOpError() << "takes W, [W.bias], U, [U.bias], v: 3 or 5 "
                            "weights, got "
                         << n;
  ArrayRef<int64_t> w = shapeOf(getQueryWeight());
  if (w.size() != 2)
    return emitOpError() << "W must be [A, " << shapeOf(getQuery())[2]
                         << "], got " << shapeStr(w);
  int64_t a = w[0];
  if (failed(expectShape(*this, getQueryWeight(), {a, shapeOf(getQuery())[2]},
                         "W")) ||
      failed(expectShape(*this, getKeyWeight(), {a, shapeOf(getKeys())[2]},
                         "U")) ||
      failed(expectShape(*this, getScoreWeight(), {1, a}, "v")))
    return failure();
  if (hasBias() && (failed(expectShape(*this, getQueryBias(), {a}, "W.bias")) ||
                    failed(expectShape(*this, getKeyBias(), {a}, "U.bias"))))
    return failure();
  return success();
}

SmallVector<Value> AdditiveAttentionOp::decompose(OpBuilder &b) {
  Location loc = getLoc();
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKeys());
  int64_t a = shapeOf(getQueryWeight())[0];
  Value wq = b.create<LinearOp>(loc, getQuery(), getQueryWeight(),
                                getQueryBias()); // [B, Tq, A]
  Value uk = b.create<LinearOp>(loc, getKeys(), getKeyWeight(),
                                getKeyBias()); // [B, Tk, A]
  Value wq4 = b.create<ReshapeOp>(loc, f32Tensor(b, {q[0], q[1], 1, a}), wq);
  Value uk4 = b.create<ReshapeOp>(loc, f32Tensor(b, {k[0], 1, k[1], a}), uk);
  Value t = b.create<TanhOp>(loc, b.create<AddOp>(loc, wq4, uk4));
  Value e = b.create<LinearOp>(loc, t, getScoreWeight(),
                               Value()); // [B, Tq, Tk, 1]
  Value scores = b.create<ReshapeOp>(loc, f32Tensor(b, {q[0], q[1], k[1]}), e);
  return {attend(b, loc, scores, getKeyPaddingMask(), getValues(),
                 scaleOf(getScale()))};
}

//===----------------------------------------------------------------------===//
// multiplicative_attention
//===----------------------------------------------------------------------===//

LogicalResult MultiplicativeAttentionOp::verify() {
  if (failed(verifyOperands(*this, getQuery(), getKeys(), getValues(),
                            getKeyPaddingMask(), getResult())))
    return failure();
  int64_t qw = shapeOf(getQuery())[2], kw = shapeOf(getKeys())[2];
  size_t n = getWeights().size();
  if (n > 1)
    return emitOpError() << "takes no weight (dot) or one, W (general); got "
                         << n;
  if (n == 0 && qw != kw)
    return emitOpError() << "the dot score needs queries and keys of one "
                            "width, got "
                         << qw << " and " << kw << " (give W [" << qw << ", "
                         << kw << "] for the general score)";
  if (n == 1 && failed(expectShape(*this, getWeights()[0], {qw, kw}, "W")))
    return failure();
  return success();
}

SmallVector<Value> MultiplicativeAttentionOp::decompose(OpBuilder &b) {
  Location loc = getLoc();
  Value keys = getKeys();
  if (!getWeights().empty()) // [B, Tk, Q]
    keys = b.create<LinearOp>(loc, keys, getWeights()[0], Value());
  Value scores = b.create<MatmulOp>(loc, getQuery(), keys, UnitAttr(),
                                    b.getUnitAttr()); // [B, Tq, Tk]
  return {attend(b, loc, scores, getKeyPaddingMask(), getValues(),
                 scaleOf(getScale()))};
}
