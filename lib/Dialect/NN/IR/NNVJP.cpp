//===- NNVJP.cpp - Vector-Jacobian products of the nn ops -----------------===//
//
// Each differentiable op's VJPOpInterface::buildVJP. Shapes in comments:
// `dy` is the cotangent of the result, `dx` that of an operand. Cotangents
// that the loss does not need are built anyway and removed by nngc-autodiff's
// dead-code sweep.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Sums `grad` down to `like`'s shape when broadcasting widened it.
static Value sumTo(OpBuilder &b, Location loc, Value grad, Value like) {
  if (tensorType(grad) == tensorType(like))
    return grad;
  return b.create<SumToOp>(loc, tensorType(like), grad);
}

/// Reshapes `v` to `shape` unless it already has it.
static Value reshape(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> shape) {
  if (tensorType(v).getShape() == shape)
    return v;
  return b.create<ReshapeOp>(
      loc, RankedTensorType::get(shape, tensorType(v).getElementType()), v);
}

//===----------------------------------------------------------------------===//
// Dense layers
//===----------------------------------------------------------------------===//

// y = x W^T + b with x flattened to rows: x2 (R, in), dy2 (R, out).
//   dx = dy2 W        (R, out) x (out, in)
//   dW = dy2^T x2     (out, R) x (R, in)
//   db = sum_rows dy2 (out)
LogicalResult LinearOp::buildVJP(OpBuilder &b, ValueRange dys,
                                 SmallVectorImpl<Value> &dxs) {
  Location loc = getLoc();
  Value dy = dys[0];
  ArrayRef<int64_t> xShape = tensorType(getInput()).getShape();
  int64_t in = xShape.back();
  int64_t out = tensorType(getWeight()).getDimSize(0);
  int64_t rows = tensorType(getInput()).getNumElements() / in;
  Value dy2 = reshape(b, loc, dy, {rows, out});
  Value x2 = reshape(b, loc, getInput(), {rows, in});
  Value dx2 = b.create<MatmulOp>(loc, dy2, getWeight(), false, false);
  dxs.push_back(reshape(b, loc, dx2, xShape));
  dxs.push_back(b.create<MatmulOp>(loc, dy2, x2, /*transposeLhs=*/true,
                                   /*transposeRhs=*/false));
  if (getBias())
    dxs.push_back(b.create<SumToOp>(loc, tensorType(getBias()), dy2));
  return success();
}

// C = op(A) op(B); the four transpose cases, each derived from
// C_mn = sum_k A_mk B_kn (see docs/Autodiff.md).
LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange dys,
                                 SmallVectorImpl<Value> &dxs) {
  Location loc = getLoc();
  Value dc = dys[0], lhs = getLhs(), rhs = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  bool sharedRhs =
      tensorType(lhs).getRank() == 3 && tensorType(rhs).getRank() == 2;
  auto mm = [&](Value x, Value y, bool tx, bool ty) -> Value {
    return b.create<MatmulOp>(loc, x, y, tx, ty);
  };
  if (ta && sharedRhs)
    return emitOpError("VJP of a batched transpose_lhs matmul with a shared "
                       "rank-2 rhs is not supported yet");
  Value da, db;
  if (!ta && !tb) {
    da = mm(dc, rhs, false, true); // dC B^T
    db = mm(lhs, dc, true, false); // A^T dC
  } else if (ta && !tb) {
    da = mm(rhs, dc, false, true);  // B dC^T
    db = mm(lhs, dc, false, false); // A dC
  } else if (!ta && tb) {
    da = mm(dc, rhs, false, false); // dC B
    db = mm(dc, lhs, true, false);  // dC^T A
  } else {
    da = mm(rhs, dc, true, true); // B^T dC^T
    db = mm(dc, lhs, true, true); // dC^T A^T
  }
  dxs.push_back(da);
  dxs.push_back(sumTo(b, loc, db, rhs)); // sums over the batch if shared
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting arithmetic: the cotangent is summed over broadcast dims.
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  dxs.push_back(sumTo(b, getLoc(), dys[0], getLhs()));
  dxs.push_back(sumTo(b, getLoc(), dys[0], getRhs()));
  return success();
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  dxs.push_back(sumTo(b, getLoc(), dys[0], getLhs()));
  Value neg = b.create<NegOp>(getLoc(), dys[0]);
  dxs.push_back(sumTo(b, getLoc(), neg, getRhs()));
  return success();
}

LogicalResult MulOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  Location loc = getLoc();
  dxs.push_back(
      sumTo(b, loc, b.create<MulOp>(loc, dys[0], getRhs()), getLhs()));
  dxs.push_back(
      sumTo(b, loc, b.create<MulOp>(loc, dys[0], getLhs()), getRhs()));
  return success();
}

LogicalResult NegOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<NegOp>(getLoc(), dys[0]));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations: one fused backward op each, fed with what its formula needs.
//===----------------------------------------------------------------------===//

LogicalResult ReluOp::buildVJP(OpBuilder &b, ValueRange dys,
                               SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<ReluGradOp>(getLoc(), dys[0], getInput()));
  return success();
}

LogicalResult LeakyReluOp::buildVJP(OpBuilder &b, ValueRange dys,
                                    SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<LeakyReluGradOp>(getLoc(), dys[0], getInput(),
                                          getNegativeSlopeAttr(), UnitAttr()));
  return success();
}

LogicalResult SigmoidOp::buildVJP(OpBuilder &b, ValueRange dys,
                                  SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<SigmoidGradOp>(getLoc(), dys[0], getResult()));
  return success();
}

LogicalResult TanhOp::buildVJP(OpBuilder &b, ValueRange dys,
                               SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<TanhGradOp>(getLoc(), dys[0], getResult()));
  return success();
}

LogicalResult GeluOp::buildVJP(OpBuilder &b, ValueRange dys,
                               SmallVectorImpl<Value> &dxs) {
  dxs.push_back(
      b.create<GeluGradOp>(getLoc(), dys[0], getInput(), getApproximateAttr()));
  return success();
}

LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange dys,
                                  SmallVectorImpl<Value> &dxs) {
  dxs.push_back(
      b.create<SoftmaxGradOp>(getLoc(), dys[0], getResult(), getAxisAttr()));
  return success();
}

LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &b, ValueRange dys,
                                     SmallVectorImpl<Value> &dxs) {
  dxs.push_back(
      b.create<LogSoftmaxGradOp>(getLoc(), dys[0], getResult(), getAxisAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

// d/dinput = 2 (input - target) / n * dl; d/dtarget is its negation.
LogicalResult MSEOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  Value dIn = b.create<MSEGradOp>(getLoc(), dys[0], getInput(), getTarget());
  dxs.push_back(dIn);
  dxs.push_back(b.create<NegOp>(getLoc(), dIn));
  return success();
}

// d/dlogits = (sigmoid(logits) - target) / n * dl. Targets are data: no
// gradient flows to them (documented in the op reference).
LogicalResult BinaryCrossEntropyOp::buildVJP(OpBuilder &b, ValueRange dys,
                                             SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<BinaryCrossEntropyGradOp>(getLoc(), dys[0],
                                                   getLogits(), getTarget()));
  dxs.push_back(Value());
  return success();
}

// d/dlogits = (softmax(logits) - onehot(labels)) / n * dl.
LogicalResult CrossEntropyOp::buildVJP(OpBuilder &b, ValueRange dys,
                                       SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<CrossEntropyGradOp>(
      getLoc(), dys[0], getLogits(), getLabels(), getIgnoreIndexAttr()));
  dxs.push_back(Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange dys,
                                  SmallVectorImpl<Value> &dxs) {
  dxs.push_back(
      reshape(b, getLoc(), dys[0], tensorType(getInput()).getShape()));
  return success();
}

// The VJP of a sum is a broadcast: 0 (input's shape) + dy broadcasts dy.
LogicalResult SumToOp::buildVJP(OpBuilder &b, ValueRange dys,
                                SmallVectorImpl<Value> &dxs) {
  Value zero = b.create<FillOp>(getLoc(), tensorType(getInput()),
                                b.getF64FloatAttr(0.0));
  dxs.push_back(b.create<AddOp>(getLoc(), zero, dys[0]));
  return success();
}

//===----------------------------------------------------------------------===//
// Sequence ops
//===----------------------------------------------------------------------===//

// dW[ids[i]] += dy[i]; ids are not differentiable.
LogicalResult EmbeddingOp::buildVJP(OpBuilder &b, ValueRange dys,
                                    SmallVectorImpl<Value> &dxs) {
  dxs.push_back(Value());
  dxs.push_back(b.create<EmbeddingGradOp>(getLoc(), tensorType(getWeight()),
                                          dys[0], getIds(),
                                          getPaddingIdxAttr()));
  return success();
}

/// One nn.rnn_grad for the whole layer stack: it takes the forward op's
/// operands and results and the results' cotangents (zeros for a result
/// the loss does not use) and gives one cotangent per operand.
static LogicalResult recurrentVJP(Operation *op, const RecurrentConfig &c,
                                  OpBuilder &b, ValueRange dys,
                                  SmallVectorImpl<Value> &dxs) {
  Location loc = op->getLoc();
  SmallVector<Value> grads;
  for (auto [r, dy] : llvm::zip(op->getResults(), dys))
    grads.push_back(
        dy ? dy
           : b.create<FillOp>(loc, r.getType(), b.getF64FloatAttr(0.0))
                 .getResult());
  auto unit = [&](bool v) { return v ? b.getUnitAttr() : UnitAttr(); };
  auto grad = b.create<RNNGradOp>(
      loc, op->getOperandTypes(), op->getOperands(), op->getResults(), grads,
      RecurrentModeAttr::get(b.getContext(), c.mode),
      b.getI64IntegerAttr(c.layers), unit(c.directions == 2),
      unit(c.batchFirst), b.getF64FloatAttr(c.dropout), unit(c.hasInitial),
      unit(c.hasMask));
  dxs.append(grad.getResults().begin(), grad.getResults().end());
  return success();
}

LogicalResult RNNOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  return recurrentVJP(*this, getConfig(), b, dys, dxs);
}
LogicalResult GRUOp::buildVJP(OpBuilder &b, ValueRange dys,
                              SmallVectorImpl<Value> &dxs) {
  return recurrentVJP(*this, getConfig(), b, dys, dxs);
}
LogicalResult LSTMOp::buildVJP(OpBuilder &b, ValueRange dys,
                               SmallVectorImpl<Value> &dxs) {
  return recurrentVJP(*this, getConfig(), b, dys, dxs);
}

// dx = dy * mask / (1 - p), with the forward op's mask regenerated.
LogicalResult DropoutOp::buildVJP(OpBuilder &b, ValueRange dys,
                                  SmallVectorImpl<Value> &dxs) {
  dxs.push_back(
      b.create<DropoutGradOp>(getLoc(), dys[0], getResult(), getPAttr()));
  return success();
}

// y = permute(x, p)  =>  dx = permute(dy, p^-1).
LogicalResult TransposeOp::buildVJP(OpBuilder &b, ValueRange dys,
                                    SmallVectorImpl<Value> &dxs) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  dxs.push_back(b.create<TransposeOp>(getLoc(), tensorType(getInput()), dys[0],
                                      b.getDenseI64ArrayAttr(inverse)));
  return success();
}

//===----------------------------------------------------------------------===//
// Tensor ops
//===----------------------------------------------------------------------===//

// One reduce_grad for the input; the mask is data.
LogicalResult ReduceOp::buildVJP(OpBuilder &b, ValueRange dys,
                                 SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<ReduceGradOp>(
      getLoc(), tensorType(getInput()), getKindAttr(), dys[0], getInput(),
      getResult(), getMask(), b.getI64IntegerAttr(getNormalizedAxis())));
  if (getMask())
    dxs.push_back(Value());
  return success();
}

// dx is dy placed at the slice's range in zeros.
LogicalResult SliceOp::buildVJP(OpBuilder &b, ValueRange dys,
                                SmallVectorImpl<Value> &dxs) {
  dxs.push_back(
      b.create<SliceGradOp>(getLoc(), tensorType(getInput()), dys[0],
                            b.getI64IntegerAttr(getNormalizedAxis()),
                            b.getI64IntegerAttr(getNormalizedStart())));
  return success();
}

// As a slice of size 1 along the axis, which dy lacks.
LogicalResult SelectOp::buildVJP(OpBuilder &b, ValueRange dys,
                                 SmallVectorImpl<Value> &dxs) {
  int64_t axis = getNormalizedAxis();
  SmallVector<int64_t> kept(tensorType(getInput()).getShape());
  kept[axis] = 1;
  dxs.push_back(b.create<SliceGradOp>(
      getLoc(), tensorType(getInput()), reshape(b, getLoc(), dys[0], kept),
      b.getI64IntegerAttr(axis), b.getI64IntegerAttr(getNormalizedIndex())));
  return success();
}

// Each input's cotangent is its range of dy.
LogicalResult ConcatOp::buildVJP(OpBuilder &b, ValueRange dys,
                                 SmallVectorImpl<Value> &dxs) {
  int64_t axis = getNormalizedAxis(), offset = 0;
  for (Value in : getInputs()) {
    dxs.push_back(b.create<SliceOp>(getLoc(), tensorType(in), dys[0],
                                    b.getI64IntegerAttr(axis),
                                    b.getI64IntegerAttr(offset)));
    offset += tensorType(in).getShape()[axis];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Transformer ops
//===----------------------------------------------------------------------===//

// One layer_norm_grad gives the input's cotangent and those of the affine
// parameters the forward op has, in operand order.
LogicalResult LayerNormOp::buildVJP(OpBuilder &b, ValueRange dys,
                                    SmallVectorImpl<Value> &dxs) {
  SmallVector<Type> types{getInput().getType()};
  for (Value v : {getWeight(), getBias()})
    if (v)
      types.push_back(v.getType());
  auto grad = b.create<LayerNormGradOp>(
      getLoc(), types, dys[0], getInput(), getWeight(), getBias(), getResult(),
      getEpsAttr(), b.getI64IntegerAttr(getNormalizedRank()));
  dxs.append(grad.getResults().begin(), grad.getResults().end());
  return success();
}

// dq, dk, dv from the kept probabilities; the mask is data.
LogicalResult AttentionOp::buildVJP(OpBuilder &b, ValueRange dys,
                                    SmallVectorImpl<Value> &dxs) {
  auto grad = b.create<AttentionGradOp>(
      getLoc(), getQuery().getType(), getKey().getType(), getValue().getType(),
      dys[0], getQuery(), getKey(), getValue(), getKeyPaddingMask(),
      getResult(), getHeadsAttr(), getCausalAttr(), getDropoutAttr(),
      b.getF64FloatAttr(getScaleValue()));
  dxs.push_back(grad.getQueryGrad());
  dxs.push_back(grad.getKeyGrad());
  dxs.push_back(grad.getValueGrad());
  if (getKeyPaddingMask())
    dxs.push_back(Value());
  return success();
}
