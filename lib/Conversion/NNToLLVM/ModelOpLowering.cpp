//===- ModelOpLowering.cpp - inputs, params, state, sinks -----------------===//
//
// Values that live in a buffer become pointers into it; sinks (outputs,
// the loss) need no code because the runtime reads them at their planned
// offsets; a gradient not computed in place is copied to its slot.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// nn.input / nn.param / nn.state: the pointer to the value's slot.
template <typename OpT> struct StorageLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, storageOf(rewriter, op));
    return success();
  }
};

/// nn.output, nn.loss: read by the runtime at the planned offset.
template <typename OpT> struct SinkLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

struct GradientLowering : public NNLowering<GradientOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(GradientOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto result = dyn_cast<OpResult>(op.getGrad());
    bool inPlace =
        result && plannedStorage(result.getOwner(), result.getResultNumber()) ==
                      plannedStorage(op);
    if (!inPlace) {
      LoweringHelper h(rewriter, op.getLoc());
      h.call(state.runtimeFunction("copy"),
             {contextArg(op), h.i64(numElements(op.getGrad()) * 4),
              adaptor.getGrad(), storageOf(rewriter, op)});
    }
    rewriter.eraseOp(op);
    return success();
  }
};

/// nn.check_finite: a runtime call that returns at once unless the trainer
/// checks numerics.
struct CheckFiniteLowering : public NNLowering<CheckFiniteOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(CheckFiniteOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    h.call("nngc_rt_check_finite",
           {contextArg(op), h.i64(op.getId()),
            h.i64(numElements(op.getInput())), adaptor.getInput()});
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void nngc::populateModelOpLoweringPatterns(RewritePatternSet &patterns,
                                           TypeConverter &converter,
                                           NNLoweringState &state) {
  patterns.add<StorageLowering<InputOp>, StorageLowering<ParamOp>,
               StorageLowering<StateOp>, SinkLowering<OutputOp>,
               SinkLowering<LossOp>, GradientLowering, CheckFiniteLowering>(
      converter, patterns.getContext(), state);
}
