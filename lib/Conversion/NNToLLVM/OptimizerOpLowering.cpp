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
    Value buffer =
        op.getMomentumBuffer() ? adaptor.getMomentumBuffer() : h.nullPtr();
    h.call("nngc_rt_sgd_update",
           {contextArg(op), h.i64(numElements(op.getParam())),
            adaptor.getParam(), adaptor.getGrad(), buffer,
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
            adaptor.getExpAvgSq(), h.f64(op.getLr().convertToDouble()),
            h.f64(op.getBeta1().convertToDouble()),
            h.f64(op.getBeta2().convertToDouble()),
            h.f64(op.getEps().convertToDouble()),
            h.f64(op.getWeightDecay().convertToDouble()),
            h.i32(op.getDecoupledWeightDecay())});
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void nngc::populateOptimizerOpLoweringPatterns(RewritePatternSet &patterns,
                                               TypeConverter &converter,
                                               NNLoweringState &state) {
  patterns.add<SGDUpdateLowering, AdamUpdateLowering>(
      converter, patterns.getContext(), state);
}
