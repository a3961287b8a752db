//===- LayerOpLowering.cpp - dense layers, activations, softmax -----------===//
//
// Ops that run as oneDNN primitives: nngc_setup creates each primitive once
// (`*_init`), the step function executes it.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "nngc/Runtime/ABI.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

/// Calls `fn(ctx, slot, operands..., result)` to run `op`'s primitive and
/// replaces `op` with its result's storage.
static void callPrimitive(ConversionPatternRewriter &rewriter, Operation *op,
                          ValueRange operands, const std::string &fn) {
  LoweringHelper h(rewriter, op->getLoc());
  Value out = storageOf(rewriter, op);
  SmallVector<Value> args{contextArg(op), h.i32(slotOf(op))};
  args.append(operands.begin(), operands.end());
  args.push_back(out);
  h.call(fn, args);
  rewriter.replaceOp(op, out);
}

namespace {

// y (rows, out) = x (rows, in) W^T (in, out) + b: one matmul with a
// transposed B and a bias.
struct LinearLowering : public NNLowering<LinearOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> w = shapeOf(op.getWeight());
    int64_t rows = numElements(op.getInput()) / w[1];
    int32_t flags =
        NNGC_MATMUL_TRANSPOSE_B | (op.getBias() ? NNGC_MATMUL_BIAS : 0) |
        bf16ProductFlags(op.getInput(), op.getWeight(), op.getResult());
    initPrimitiveOnce(rewriter, op, state.runtimeFunction("matmul_init"),
                      {ConstArg::i64(1), ConstArg::i64(rows),
                       ConstArg::i64(w[1]), ConstArg::i64(w[0]),
                       ConstArg::i32(flags)},
                      state);
    LoweringHelper h(rewriter, op.getLoc());
    Value bias = h.orNull(adaptor.getBias());
    callPrimitive(rewriter, op, {adaptor.getInput(), adaptor.getWeight(), bias},
                  state.runtimeFunction("matmul"));
    return success();
  }
};

struct MatmulLowering : public NNLowering<MatmulOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> a = shapeOf(op.getLhs()), b = shapeOf(op.getRhs());
    ArrayRef<int64_t> c = shapeOf(op.getResult());
    size_t ra = a.size();
    int64_t batch = ra == 3 ? a[0] : 1;
    int64_t m = c[c.size() - 2], n = c.back();
    int64_t k = op.getTransposeLhs() ? a[ra - 2] : a[ra - 1];
    int32_t flags = (op.getTransposeLhs() ? NNGC_MATMUL_TRANSPOSE_A : 0) |
                    (op.getTransposeRhs() ? NNGC_MATMUL_TRANSPOSE_B : 0) |
                    (ra == 3 && b.size() == 2 ? NNGC_MATMUL_SHARED_B : 0) |
                    bf16ProductFlags(op.getLhs(), op.getRhs(), op.getResult());
    initPrimitiveOnce(rewriter, op, state.runtimeFunction("matmul_init"),
                      {ConstArg::i64(batch), ConstArg::i64(m), ConstArg::i64(k),
                       ConstArg::i64(n), ConstArg::i32(flags)},
                      state);
    LoweringHelper h(rewriter, op.getLoc());
    callPrimitive(rewriter, op,
                  {adaptor.getLhs(), adaptor.getRhs(), h.nullPtr()},
                  state.runtimeFunction("matmul"));
    return success();
  }
};

/// The primitive kind and alpha of an activation (forward or backward op).
static std::pair<NNGCEltwiseKind, double> eltwiseKind(Operation *op) {
  if (auto g = dyn_cast<ReluGradOp>(op))
    return {g.getFromResult() ? NNGC_RELU_USE_DST : NNGC_RELU, 0.0};
  if (isa<ReluOp>(op))
    return {NNGC_RELU, 0.0};
  if (auto l = dyn_cast<LeakyReluOp>(op))
    return {NNGC_LEAKY_RELU, l.getNegativeSlope().convertToDouble()};
  if (auto l = dyn_cast<LeakyReluGradOp>(op))
    return {l.getFromResult() ? NNGC_RELU_USE_DST : NNGC_LEAKY_RELU,
            l.getNegativeSlope().convertToDouble()};
  if (isa<SigmoidOp, SigmoidGradOp>(op))
    return {NNGC_SIGMOID, 0.0};
  if (isa<TanhOp, TanhGradOp>(op))
    return {NNGC_TANH, 0.0};
  auto approx = isa<GeluOp>(op) ? cast<GeluOp>(op).getApproximate()
                                : cast<GeluGradOp>(op).getApproximate();
  return {approx == GeluApproximation::tanh ? NNGC_GELU_TANH : NNGC_GELU_ERF,
          0.0};
}

/// An activation (Backward = false: dst = f(src)) or its backward op
/// (diff_src = f'(saved) * diff_dst): one oneDNN eltwise primitive, whose
/// operands are the op's, in order.
template <typename OpT, bool Backward>
struct EltwiseLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto [kind, alpha] = eltwiseKind(op);
    initPrimitiveOnce(rewriter, op, "nngc_rt_eltwise_init",
                      {ConstArg::i32(kind), ConstArg::i32(Backward),
                       ConstArg::i64(numElements(op.getResult())),
                       ConstArg::f64(alpha)},
                      this->state);
    callPrimitive(rewriter, op, adaptor.getOperands(),
                  Backward ? "nngc_rt_eltwise_grad" : "nngc_rt_eltwise");
    return success();
  }
};

/// (outer, axis, inner) around `axis` of `v`'s shape.
static std::array<int64_t, 3> splitAtAxis(Value v, int64_t axis) {
  ArrayRef<int64_t> shape = shapeOf(v);
  if (axis < 0)
    axis += shape.size();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    inner *= shape[i];
  return {outer, shape[axis], inner};
}

/// (log-)softmax or its backward op over the op's axis.
template <typename OpT, bool Log, bool Backward>
struct SoftmaxLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto [outer, axis, inner] = splitAtAxis(op.getResult(), op.getAxis());
    initPrimitiveOnce(rewriter, op, "nngc_rt_softmax_init",
                      {ConstArg::i64(outer), ConstArg::i64(axis),
                       ConstArg::i64(inner), ConstArg::i32(Log),
                       ConstArg::i32(Backward)},
                      this->state);
    callPrimitive(rewriter, op, adaptor.getOperands(),
                  Backward ? "nngc_rt_softmax_grad" : "nngc_rt_softmax");
    return success();
  }
};

} // namespace

void nngc::populateMatmulOpLoweringPatterns(RewritePatternSet &patterns,
                                            TypeConverter &converter,
                                            NNLoweringState &state) {
  patterns.add<LinearLowering, MatmulLowering>(converter, patterns.getContext(),
                                               state);
}

void nngc::populateLayerOpLoweringPatterns(RewritePatternSet &patterns,
                                           TypeConverter &converter,
                                           NNLoweringState &state) {
  populateMatmulOpLoweringPatterns(patterns, converter, state);
  patterns
      .add<EltwiseLowering<ReluOp, false>, EltwiseLowering<LeakyReluOp, false>,
           EltwiseLowering<SigmoidOp, false>, EltwiseLowering<TanhOp, false>,
           EltwiseLowering<GeluOp, false>, EltwiseLowering<ReluGradOp, true>,
           EltwiseLowering<LeakyReluGradOp, true>,
           EltwiseLowering<SigmoidGradOp, true>,
           EltwiseLowering<TanhGradOp, true>, EltwiseLowering<GeluGradOp, true>,
           SoftmaxLowering<SoftmaxOp, false, false>,
           SoftmaxLowering<LogSoftmaxOp, true, false>,
           SoftmaxLowering<SoftmaxGradOp, false, true>,
           SoftmaxLowering<LogSoftmaxGradOp, true, true>>(
          converter, patterns.getContext(), state);
}
