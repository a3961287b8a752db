//===- LossOpLowering.cpp - losses and their gradients --------------------===//
//
// Loss kernels see their operand as (rows, perRow): rows is the batch, and
// the runtime averages over its valid rows only.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

static int64_t batchOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getDimSize(0);
}

namespace {

/// mse and binary_cross_entropy: same-shape input and target.
template <typename OpT> struct PointwiseLossLowering : public NNLowering<OpT> {
  PointwiseLossLowering(TypeConverter &converter, MLIRContext *ctx,
                        NNLoweringState &state, StringRef fn)
      : NNLowering<OpT>(converter, ctx, state), fn(fn) {}
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = op->getOperand(0);
    int64_t rows = batchOf(x);
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call(fn, {contextArg(op), h.i64(rows), h.i64(numElements(x) / rows),
                adaptor.getOperands()[0], adaptor.getOperands()[1], result});
    rewriter.replaceOp(op, result);
    return success();
  }
  std::string fn;
};

template <typename OpT>
struct PointwiseLossGradLowering : public NNLowering<OpT> {
  PointwiseLossGradLowering(TypeConverter &converter, MLIRContext *ctx,
                            NNLoweringState &state, StringRef fn)
      : NNLowering<OpT>(converter, ctx, state), fn(fn) {}
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t rows = batchOf(op.getInput());
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call(fn, {contextArg(op), h.i64(rows),
                h.i64(numElements(op.getInput()) / rows), adaptor.getGrad(),
                adaptor.getInput(), adaptor.getTarget(), result});
    rewriter.replaceOp(op, result);
    return success();
  }
  std::string fn;
};

/// (rows, positions, classes) of cross-entropy logits.
static std::array<int64_t, 3> ceDims(Value logits) {
  auto type = cast<RankedTensorType>(logits.getType());
  int64_t rows = type.getDimSize(0), classes = type.getShape().back();
  return {rows, type.getNumElements() / rows / classes, classes};
}

struct CrossEntropyLowering : public NNLowering<CrossEntropyOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(CrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto [rows, positions, classes] = ceDims(op.getLogits());
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    std::optional<int64_t> ignore = op.getIgnoreIndex();
    h.call("nngc_rt_cross_entropy",
           {contextArg(op), h.i64(rows), h.i64(positions), h.i64(classes),
            h.i32(ignore.has_value()), h.i64(ignore.value_or(0)),
            adaptor.getLogits(), adaptor.getLabels(), result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CrossEntropyGradLowering : public NNLowering<CrossEntropyGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(CrossEntropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto [rows, positions, classes] = ceDims(op.getInput());
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    std::optional<int64_t> ignore = op.getIgnoreIndex();
    h.call("nngc_rt_cross_entropy_grad",
           {contextArg(op), h.i64(rows), h.i64(positions), h.i64(classes),
            h.i32(ignore.has_value()), h.i64(ignore.value_or(0)),
            adaptor.getGrad(), adaptor.getInput(), adaptor.getTarget(),
            result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void nngc::populateLossOpLoweringPatterns(RewritePatternSet &patterns,
                                          TypeConverter &converter,
                                          NNLoweringState &state) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<PointwiseLossLowering<MSEOp>>(converter, ctx, state,
                                             "nngc_rt_mse");
  patterns.add<PointwiseLossLowering<BinaryCrossEntropyOp>>(
      converter, ctx, state, "nngc_rt_bce");
  patterns.add<PointwiseLossGradLowering<MSEGradOp>>(converter, ctx, state,
                                                     "nngc_rt_mse_grad");
  patterns.add<PointwiseLossGradLowering<BinaryCrossEntropyGradOp>>(
      converter, ctx, state, "nngc_rt_bce_grad");
  patterns.add<CrossEntropyLowering, CrossEntropyGradLowering>(converter, ctx,
                                                               state);
}
