//===- SequenceOpLowering.cpp - embeddings, recurrent layers, dropout -----===//
//
// nn.embedding and nn.dropout (and their backward ops) become loops in the
// runtime; nn.rnn / nn.gru / nn.lstm become one runtime layer stack of
// oneDNN RNN primitives, created in nngc_setup, whose backward
// (nn.rnn_grad) reuses the forward's primitives and workspace. With
// target=cuda the recurrent ops call nngc_cuda_rnn*, which run cuBLASLt
// products and launch the op's cell kernels (RecurrentKernels.cpp).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "nngc/Runtime/ABI.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// With target=cuda: registers every launch of `op`'s kernels, which get
/// consecutive ids (the runtime call takes the first: the cell kernel,
/// then the layers' dropouts, RecurrentKernels.cpp).
static FailureOr<int64_t> registerAllLaunches(OpBuilder &b, Operation *op,
                                              NNLoweringState &state) {
  auto kernels = op->getAttrOfType<ArrayAttr>("nngc.gpu_kernels");
  if (!kernels || kernels.empty())
    return failure();
  int64_t first = cudaLaunchOnce(b, op, 0, state);
  for (unsigned i = 1; i < kernels.size(); ++i)
    if (cudaLaunchOnce(b, op, i, state) != first + i)
      return failure();
  return first;
}

struct EmbeddingLowering : public NNLowering<EmbeddingOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    ArrayRef<int64_t> w = shapeOf(op.getWeight());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_embedding",
           {contextArg(op), h.i64(numElements(op.getIds())), h.i64(w[0]),
            h.i64(w[1]), adaptor.getIds(), adaptor.getWeight(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct EmbeddingGradLowering : public NNLowering<EmbeddingGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(EmbeddingGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    ArrayRef<int64_t> w = shapeOf(op.getResult());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_embedding_grad",
           {contextArg(op), h.i64(numElements(op.getIds())), h.i64(w[0]),
            h.i64(w[1]), h.i64(op.getPaddingIdx().value_or(-1)),
            adaptor.getGrad(), adaptor.getIds(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct DropoutLowering : public NNLowering<DropoutOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_dropout",
           {contextArg(op), h.i32(slotOf(op)), h.i32(!isInference(op)),
            h.i64(numElements(op.getResult())),
            h.f64(op.getP().convertToDouble()), adaptor.getInput(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// nn.dropout_add (nngc-fuse's, for CUDA; lowered here too): the
/// dropout's runtime call, then the add, in one.
struct DropoutAddLowering : public NNLowering<DropoutAddOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(DropoutAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_dropout_add",
           {contextArg(op), h.i32(slotOf(op)), h.i32(!isInference(op)),
            h.i64(numElements(op.getResult())),
            h.f64(op.getP().convertToDouble()), adaptor.getInput(),
            adaptor.getAddend(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct DropoutGradLowering : public NNLowering<DropoutGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(DropoutGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_dropout_grad",
           {contextArg(op), h.i32(forwardSlotOf(op)),
            h.i64(numElements(op.getResult())),
            h.f64(op.getP().convertToDouble()), adaptor.getGrad(), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// nngc_rt_rnn_init's arguments for a layer stack.
static SmallVector<ConstArg> recurrentInitArgs(const RecurrentConfig &c,
                                               bool backward) {
  int32_t flags =
      (c.batchFirst ? NNGC_RNN_BATCH_FIRST : 0) |
      (c.hasBias ? NNGC_RNN_BIAS : 0) | (c.hasInitial ? NNGC_RNN_INITIAL : 0) |
      (c.hasMask ? NNGC_RNN_MASK : 0) | (backward ? NNGC_RNN_BACKWARD : 0);
  return {ConstArg::i32(static_cast<int32_t>(c.mode)),
          ConstArg::i64(c.layers),
          ConstArg::i64(c.directions),
          ConstArg::i64(c.seq),
          ConstArg::i64(c.batch),
          ConstArg::i64(c.inputSize),
          ConstArg::i64(c.hidden),
          ConstArg::i32(flags),
          ConstArg::f64(c.dropout)};
}

template <typename OpT> struct RecurrentLowering : public NNLowering<OpT> {
  using NNLowering<OpT>::NNLowering;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RecurrentConfig c = op.getConfig();
    initPrimitiveOnce(rewriter, op, this->state.runtimeFunction("rnn_init"),
                      recurrentInitArgs(c, op->hasAttr("nngc.has_backward")),
                      this->state);
    LoweringHelper h(rewriter, op.getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
    SmallVector<Value> args = {contextArg(op), h.i32(slotOf(op)),
                               h.i32(!isInference(op))};
    if (this->state.cuda) {
      FailureOr<int64_t> first = registerAllLaunches(rewriter, op, this->state);
      if (failed(first))
        return rewriter.notifyMatchFailure(op, "no GPU kernels");
      args.push_back(h.i32(*first));
    }
    args.append({h.ptrArray(adaptor.getOperands()), h.ptrArray(results)});
    h.call(this->state.runtimeFunction("rnn"), args);
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct RNNGradLowering : public NNLowering<RNNGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(RNNGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t slot = forwardSlotOf(op);
    initPrimitiveOnce(rewriter, op, slot, state.runtimeFunction("rnn_init"),
                      recurrentInitArgs(op.getConfig(), true), state);
    LoweringHelper h(rewriter, op.getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
    SmallVector<Value> args = {contextArg(op), h.i32(slot)};
    if (state.cuda) {
      FailureOr<int64_t> first = registerAllLaunches(rewriter, op, state);
      if (failed(first))
        return rewriter.notifyMatchFailure(op, "no GPU kernels");
      args.push_back(h.i32(*first));
    }
    args.append({h.ptrArray(adaptor.getInputs()),
                 h.ptrArray(adaptor.getOutputs()),
                 h.ptrArray(adaptor.getOutputGrads()), h.ptrArray(results)});
    h.call(state.runtimeFunction("rnn_grad"), args);
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void nngc::populateSequenceOpLoweringPatterns(RewritePatternSet &patterns,
                                              TypeConverter &converter,
                                              NNLoweringState &state) {
  patterns.add<EmbeddingLowering, EmbeddingGradLowering, DropoutLowering,
               DropoutAddLowering, DropoutGradLowering>(
      converter, patterns.getContext(), state);
  populateRecurrentLoweringPatterns(patterns, converter, state);
}

void nngc::populateRecurrentLoweringPatterns(RewritePatternSet &patterns,
                                             TypeConverter &converter,
                                             NNLoweringState &state) {
  patterns.add<RecurrentLowering<RNNOp>, RecurrentLowering<GRUOp>,
               RecurrentLowering<LSTMOp>, RNNGradLowering>(
      converter, patterns.getContext(), state);
}
