//===- TensorOpLowering.cpp - reductions, slices, concatenation -----------===//
//
// nn.reduce, nn.slice, nn.select, nn.concat and their backward ops become
// runtime loops over an [outer, n, inner] view of their operands around the
// op's axis.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "nngc/Runtime/ABI.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// (outer, n, inner) of `shape` around `axis` (negative: from the end, as
/// the verifiers allow; nngc-fuzz found a negative slice_grad axis read out
/// of bounds).
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
  AxisView(ArrayRef<int64_t> shape, int64_t axis) {
    if (axis < 0)
      axis += static_cast<int64_t>(shape.size());
    for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
      (i < axis ? outer : i == axis ? n : inner) *= shape[i];
  }
};

/// The calls' common reduce arguments: kind, outer, n, inner, mask divisor.
static SmallVector<Value> reduceArgs(LoweringHelper &h, Operation *op,
                                     ReduceKind kind, Value input, Value mask,
                                     int64_t axis) {
  AxisView v(shapeOf(input), axis);
  int64_t maskDiv = mask ? numElements(input) / numElements(mask) : 1;
  return {contextArg(op), h.i32(static_cast<int32_t>(kind)),
          h.i64(v.outer), h.i64(v.n),
          h.i64(v.inner), h.i64(maskDiv)};
}

struct ReduceLowering : public NNLowering<ReduceOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    SmallVector<Value> args = reduceArgs(h, op, op.getKind(), op.getInput(),
                                         op.getMask(), op.getNormalizedAxis());
    args.append({adaptor.getInput(), h.orNull(adaptor.getMask()), out});
    h.call("nngc_rt_reduce", args);
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct ReduceGradLowering : public NNLowering<ReduceGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(ReduceGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    SmallVector<Value> args = reduceArgs(h, op, op.getKind(), op.getInput(),
                                         op.getMask(), op.getAxis());
    args.append({adaptor.getGrad(), adaptor.getInput(), adaptor.getOutput(),
                 h.orNull(adaptor.getMask()), out});
    h.call("nngc_rt_reduce_grad", args);
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// nn.slice and nn.select: a range of `size` from `start` along `axis`.
template <typename OpT> struct SliceLikeLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  using OpAdaptor = typename OpT::Adaptor;
  LogicalResult
  matchAndRewrite(OpT op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t axis = op.getNormalizedAxis(), start, size;
    if constexpr (std::is_same_v<OpT, SliceOp>) {
      start = op.getNormalizedStart();
      size = shapeOf(op.getResult())[axis];
    } else {
      start = op.getNormalizedIndex();
      size = 1;
    }
    AxisView v(shapeOf(op.getInput()), axis);
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_slice",
           {contextArg(op), h.i64(v.outer), h.i64(v.n), h.i64(v.inner),
            h.i64(start), h.i64(size), adaptor.getInput(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct SliceGradLowering : public NNLowering<SliceGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(SliceGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t axis = op.getAxis();
    if (axis < 0)
      axis += static_cast<int64_t>(shapeOf(op.getResult()).size());
    AxisView v(shapeOf(op.getResult()), axis);
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_slice_grad",
           {contextArg(op), h.i64(v.outer), h.i64(v.n), h.i64(v.inner),
            h.i64(op.getStart()), h.i64(shapeOf(op.getGrad())[axis]),
            adaptor.getGrad(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct ConcatLowering : public NNLowering<ConcatOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t axis = op.getNormalizedAxis();
    AxisView v(shapeOf(op.getResult()), axis);
    SmallVector<int64_t> sizes;
    for (Value in : op.getInputs())
      sizes.push_back(shapeOf(in)[axis]);
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_concat",
           {contextArg(op), h.i32(sizes.size()), h.i64(v.outer), h.i64(v.inner),
            h.i64Array(sizes, state), h.ptrArray(adaptor.getInputs()), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void nngc::populateTensorOpLoweringPatterns(RewritePatternSet &patterns,
                                            TypeConverter &converter,
                                            NNLoweringState &state) {
  patterns.add<ReduceLowering, ReduceGradLowering, SliceLikeLowering<SliceOp>,
               SliceLikeLowering<SelectOp>, SliceGradLowering, ConcatLowering>(
      converter, patterns.getContext(), state);
}
