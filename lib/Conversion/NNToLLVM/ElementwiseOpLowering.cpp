//===- ElementwiseOpLowering.cpp - broadcasting arithmetic, shapes --------===//
//
// Broadcasting ops call the runtime's strided kernels with the shapes and
// strides computed here, at compile time, as constant arrays.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "nngc/Runtime/ABI.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

/// Element strides of `shape` (row-major) seen through the `rank` dims of
/// `full`: 0 for dimensions `shape` lacks or broadcasts.
static SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                             ArrayRef<int64_t> full) {
  SmallVector<int64_t> strides(full.size(), 0);
  int64_t stride = 1;
  size_t lead = full.size() - shape.size();
  for (size_t i = shape.size(); i-- > 0;) {
    strides[lead + i] = (shape[i] == 1 && full[lead + i] != 1) ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

namespace {

template <typename OpT, NNGCBinaryKind Kind>
struct BinaryLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> out = shapeOf(op.getResult());
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    // A rank-0 result is one element: view it as shape [1].
    SmallVector<int64_t> shape(out.begin(), out.end());
    if (shape.empty())
      shape.push_back(1);
    auto strides = [&](Value v) {
      SmallVector<int64_t> s(shapeOf(v));
      return broadcastStrides(s, shape);
    };
    h.call("nngc_rt_binary", {contextArg(op), h.i32(Kind), h.i32(shape.size()),
                              h.i64Array(shape, this->state),
                              h.i64Array(strides(op.getLhs()), this->state),
                              h.i64Array(strides(op.getRhs()), this->state),
                              adaptor.getLhs(), adaptor.getRhs(), result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SumToLowering : public NNLowering<SumToOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(SumToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<int64_t> in(shapeOf(op.getInput()));
    if (in.empty())
      in.push_back(1);
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call("nngc_rt_sum_to",
           {contextArg(op), h.i32(in.size()), h.i64Array(in, state),
            h.i64Array(broadcastStrides(shapeOf(op.getResult()), in), state),
            h.i64(numElements(op.getResult())), adaptor.getInput(), result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : public NNLowering<TransposeOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> in = shapeOf(op.getInput());
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call("nngc_rt_transpose",
           {contextArg(op), h.i32(in.size()), h.i64Array(in, state),
            h.i64Array(op.getPermutation(), state), adaptor.getInput(),
            result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct NegLowering : public NNLowering<NegOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(NegOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call("nngc_rt_neg", {contextArg(op), h.i64(numElements(op.getInput())),
                           adaptor.getInput(), result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RoundBF16Lowering : public NNLowering<RoundBF16Op> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(RoundBF16Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call("nngc_rt_round_bf16",
           {contextArg(op), h.i64(numElements(op.getInput())),
            adaptor.getInput(), result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FillLowering : public NNLowering<FillOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(FillOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value result = storageOf(rewriter, op);
    h.call("nngc_rt_fill", {contextArg(op), h.i64(numElements(op.getResult())),
                            h.f64(op.getValue().convertToDouble()), result});
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A reshape is free: its result aliases the input (nngc-plan-memory).
struct ReshapeLowering : public NNLowering<ReshapeOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

} // namespace

void nngc::populateElementwiseOpLoweringPatterns(RewritePatternSet &patterns,
                                                 TypeConverter &converter,
                                                 NNLoweringState &state) {
  patterns.add<BinaryLowering<AddOp, NNGC_ADD>, BinaryLowering<SubOp, NNGC_SUB>,
               BinaryLowering<MulOp, NNGC_MUL>, SumToLowering,
               TransposeLowering, NegLowering, RoundBF16Lowering, FillLowering>(
      converter, patterns.getContext(), state);
  populateReshapeLoweringPatterns(patterns, converter, state);
}

void nngc::populateReshapeLoweringPatterns(RewritePatternSet &patterns,
                                           TypeConverter &converter,
                                           NNLoweringState &state) {
  patterns.add<ReshapeLowering>(converter, patterns.getContext(), state);
}
