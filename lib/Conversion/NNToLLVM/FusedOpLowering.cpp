//===- FusedOpLowering.cpp - the ops of nngc-fuse -------------------------===//
//
// nn.fused_matmul is one oneDNN matmul with post-ops; the multi-tensor
// updates are one runtime call over arrays of pointers.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "nngc/Runtime/ABI.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

/// The runtime's eltwise kind and alpha of an epilogue (-1: none).
static std::pair<int32_t, double> epilogueKind(FusedMatmulOp op) {
  switch (op.getActivation()) {
  case EpilogueActivation::none:
    return {-1, 0.0};
  case EpilogueActivation::relu:
    return {NNGC_RELU, 0.0};
  case EpilogueActivation::leaky_relu:
    return {NNGC_LEAKY_RELU, op.getNegativeSlope().convertToDouble()};
  case EpilogueActivation::tanh:
    return {NNGC_TANH, 0.0};
  case EpilogueActivation::sigmoid:
    return {NNGC_SIGMOID, 0.0};
  }
  return {-1, 0.0};
}

namespace {

struct FusedMatmulLowering : public NNLowering<FusedMatmulOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(FusedMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FusedMatmulOp::Dims d = op.getDims();
    int32_t flags = (op.getTransposeLhs() ? NNGC_MATMUL_TRANSPOSE_A : 0) |
                    (op.getTransposeRhs() ? NNGC_MATMUL_TRANSPOSE_B : 0) |
                    (d.sharedRhs ? NNGC_MATMUL_SHARED_B : 0) |
                    (op.getBias() ? NNGC_MATMUL_BIAS : 0) |
                    bf16ProductFlags(op.getLhs(), op.getRhs(), op.getResult());
    // An accumulating product adds onto the result's buffer, which holds
    // the addend (the plan put it there, or a copy does); any other addend
    // is read by a binary-add post-op.
    Value addend = op.getAddend();
    if (addend)
      flags |= op.getAccumulate() ? NNGC_MATMUL_ACCUMULATE : NNGC_MATMUL_ADDEND;
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    if (op.getAccumulate() &&
        plannedStorage(addend) != plannedStorage(op.getResult()))
      h.call(state.runtimeFunction("copy"),
             {contextArg(op), h.i64(storedBytes(op.getResult())),
              adaptor.getAddend(), out});
    auto [act, alpha] = epilogueKind(op);
    initPrimitiveOnce(rewriter, op, state.runtimeFunction("fused_matmul_init"),
                      {ConstArg::i64(d.batch), ConstArg::i64(d.m),
                       ConstArg::i64(d.k), ConstArg::i64(d.n),
                       ConstArg::i32(flags), ConstArg::i32(act),
                       ConstArg::f64(alpha)},
                      state);
    h.call(state.runtimeFunction("fused_matmul"),
           {contextArg(op), h.i32(slotOf(op)), adaptor.getLhs(),
            adaptor.getRhs(), h.orNull(adaptor.getBias()),
            h.orNull(adaptor.getAddend()), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

static SmallVector<int64_t> sizesOf(ValueRange tensors) {
  SmallVector<int64_t> sizes;
  for (Value t : tensors)
    sizes.push_back(numElements(t));
  return sizes;
}

struct MultiAdamUpdateLowering : public NNLowering<MultiAdamUpdateOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(MultiAdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    h.call(
        "nngc_rt_multi_adam_update",
        {contextArg(op), h.i32(op.getParams().size()),
         h.ptrArray(adaptor.getParams()), h.ptrArray(adaptor.getGrads()),
         h.ptrArray(adaptor.getExpAvgs()), h.ptrArray(adaptor.getExpAvgSqs()),
         h.i64Array(sizesOf(op.getParams()), state),
         h.f64Array(op.getWeightDecays(), state),
         h.orNull(adaptor.getGradNorm()), h.f64(op.getLr().convertToDouble()),
         h.f64(op.getBeta1().convertToDouble()),
         h.f64(op.getBeta2().convertToDouble()),
         h.f64(op.getEps().convertToDouble()),
         h.i32(op.getDecoupledWeightDecay())});
    rewriter.eraseOp(op);
    return success();
  }
};

struct MultiSGDUpdateLowering : public NNLowering<MultiSGDUpdateOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(MultiSGDUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value buffers = op.getMomentumBuffers().empty()
                        ? h.nullPtr()
                        : h.ptrArray(adaptor.getMomentumBuffers());
    h.call(
        "nngc_rt_multi_sgd_update",
        {contextArg(op), h.i32(op.getParams().size()),
         h.ptrArray(adaptor.getParams()), h.ptrArray(adaptor.getGrads()),
         buffers, h.i64Array(sizesOf(op.getParams()), state),
         h.f64Array(op.getWeightDecays(), state),
         h.orNull(adaptor.getGradNorm()), h.f64(op.getLr().convertToDouble()),
         h.f64(op.getMomentum().convertToDouble()),
         h.f64(op.getDampening().convertToDouble()), h.i32(op.getNesterov())});
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void nngc::populateFusedMatmulLoweringPatterns(RewritePatternSet &patterns,
                                               TypeConverter &converter,
                                               NNLoweringState &state) {
  patterns.add<FusedMatmulLowering>(converter, patterns.getContext(), state);
}

void nngc::populateFusedOpLoweringPatterns(RewritePatternSet &patterns,
                                           TypeConverter &converter,
                                           NNLoweringState &state) {
  populateFusedMatmulLoweringPatterns(patterns, converter, state);
  patterns.add<MultiAdamUpdateLowering, MultiSGDUpdateLowering>(
      converter, patterns.getContext(), state);
}
