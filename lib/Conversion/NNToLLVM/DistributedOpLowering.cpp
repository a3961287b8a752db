//===- DistributedOpLowering.cpp - bucket all-reduce calls ----------------===//
//
// nn.all_reduce_start / nn.all_reduce_wait become calls that start and
// finish the all-reduce of their bucket's range of the gradient buffer
// (from the lowest slot of its gradients to the end of the highest). The
// results alias the operands, so they lower to the same pointers.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

template <typename OpT> struct AllReduceLowering : public NNLowering<OpT> {
  AllReduceLowering(TypeConverter &converter, MLIRContext *ctx,
                    NNLoweringState &state, const char *callee)
      : NNLowering<OpT>(converter, ctx, state), callee(callee) {}

  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t lo = INT64_MAX, hi = 0;
    unsigned first = 0;
    for (unsigned i = 0; i < op->getNumResults(); ++i) {
      auto [space, offset] = plannedStorage(op, i);
      if (space != "grad")
        return op.emitOpError("gradient ")
               << i << " is not in the gradient buffer (space '" << space
               << "')";
      if (offset < lo) {
        lo = offset;
        first = i;
      }
      hi = std::max(hi, offset + 4 * numElements(op->getResult(i)));
    }
    LoweringHelper h(rewriter, op.getLoc());
    h.call(callee, {contextArg(op), h.i32(op.getBucket()),
                    storageOf(rewriter, op, first), h.i64((hi - lo) / 4)});
    rewriter.replaceOp(op, adaptor.getOperands());
    return success();
  }

  const char *callee;
};

} // namespace

void nngc::populateDistributedOpLoweringPatterns(RewritePatternSet &patterns,
                                                 TypeConverter &converter,
                                                 NNLoweringState &state) {
  patterns.add<AllReduceLowering<AllReduceStartOp>>(
      converter, patterns.getContext(), state, "nngc_rt_all_reduce_start");
  patterns.add<AllReduceLowering<AllReduceWaitOp>>(
      converter, patterns.getContext(), state, "nngc_rt_all_reduce_wait");
}
