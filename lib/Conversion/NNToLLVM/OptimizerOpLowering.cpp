//===- OptimizerOpLowering.cpp - in-place parameter updates ---------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

struct SGDUpdateLowering : public NNLowering<SGDUpdateOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(SGDUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value buffer = h.orNull(adaptor.getMomentumBuffer());
    h.call("nngc_rt_sgd_update",
           {contextArg(op), h.i64(numElements(op.getParam())),
            adaptor.getParam(), adaptor.getGrad(), buffer,
            h.orNull(adaptor.getGradNorm()),
            h.f64(op.getLr().convertToDouble()),
            h.f64(op.getMomentum().convertToDouble()),
            h.f64(op.getDampening().convertToDouble()),
            h.f64(op.getWeightDecay().convertToDouble()),
            h.i32(op.getNesterov())});
    rewriter.eraseOp(op);
    return success();
  }
};

struct AdamUpdateLowering : public NNLowering<AdamUpdateOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(AdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    h.call("nngc_rt_adam_update",
           {contextArg(op), h.i64(numElements(op.getParam())),
            adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
            adaptor.getExpAvgSq(), h.orNull(adaptor.getGradNorm()),
            h.f64(op.getLr().convertToDouble()),
            h.f64(op.getBeta1().convertToDouble()),
            h.f64(op.getBeta2().convertToDouble()),
            h.f64(op.getEps().convertToDouble()),
            h.f64(op.getWeightDecay().convertToDouble()),
            h.i32(op.getDecoupledWeightDecay())});
    rewriter.eraseOp(op);
    return success();
  }
};

// The global norm over every gradient: one runtime call with their
// pointers and sizes.
struct GradNormLowering : public NNLowering<GradNormOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(GradNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    SmallVector<int64_t> sizes;
    for (Value g : op.getGrads())
      sizes.push_back(numElements(g));
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_grad_norm",
           {contextArg(op), h.i32(sizes.size()), h.ptrArray(adaptor.getGrads()),
            h.i64Array(sizes, state), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void nngc::populateOptimizerOpLoweringPatterns(RewritePatternSet &patterns,
                                               TypeConverter &converter,
                                               NNLoweringState &state) {
  patterns.add<SGDUpdateLowering, AdamUpdateLowering, GradNormLowering>(
      converter, patterns.getContext(), state);
}
