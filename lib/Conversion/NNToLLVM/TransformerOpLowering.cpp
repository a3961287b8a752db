//===- TransformerOpLowering.cpp - layer norm, attention, positions -------===//
//
// nn.layer_norm and nn.attention run as runtime primitives created once in
// nngc_setup; their backward ops reuse the forward's primitive and what it
// kept (statistics, probabilities) through the forward op's slot. With
// target=cuda, nn.attention calls nngc_cuda_attention*, which run the
// products with cuBLASLt and launch the op's softmax kernels (registered
// here); the other ops of this file launch their kernels
// (GPULaunchLowering.cpp).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "nngc/Runtime/ABI.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// nngc_rt_layer_norm_init's arguments.
static SmallVector<ConstArg> layerNormInitArgs(Value input, int64_t rank,
                                               Value weight, Value bias,
                                               double eps, bool backward) {
  ArrayRef<int64_t> shape = shapeOf(input);
  int64_t n = 1;
  for (int64_t d : shape.take_back(rank))
    n *= d;
  int32_t flags = (weight ? NNGC_LN_WEIGHT : 0) | (bias ? NNGC_LN_BIAS : 0) |
                  (backward ? NNGC_LN_BACKWARD : 0);
  return {ConstArg::i64(numElements(input) / n), ConstArg::i64(n),
          ConstArg::f64(eps), ConstArg::i32(flags)};
}

struct LayerNormLowering : public NNLowering<LayerNormOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    initPrimitiveOnce(rewriter, op, "nngc_rt_layer_norm_init",
                      layerNormInitArgs(op.getInput(), op.getNormalizedRank(),
                                        op.getWeight(), op.getBias(),
                                        op.getEps().convertToDouble(),
                                        op->hasAttr("nngc.has_backward")),
                      state);
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    Value w = h.orNull(adaptor.getWeight());
    Value b = h.orNull(adaptor.getBias());
    h.call("nngc_rt_layer_norm",
           {contextArg(op), h.i32(slotOf(op)), adaptor.getInput(), w, b, out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LayerNormGradLowering : public NNLowering<LayerNormGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(LayerNormGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t slot = forwardSlotOf(op);
    initPrimitiveOnce(rewriter, op, slot, "nngc_rt_layer_norm_init",
                      layerNormInitArgs(op.getInput(), op.getNormalizedDims(),
                                        op.getWeight(), op.getBias(),
                                        op.getEps().convertToDouble(), true),
                      state);
    LoweringHelper h(rewriter, op.getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
    // Results: dx, then dw and db where the forward op has them.
    Value dx = results[0], dw = h.nullPtr(), db = h.nullPtr();
    unsigned next = 1;
    if (op.getWeight())
      dw = results[next++];
    if (op.getBias())
      db = results[next++];
    Value w = h.orNull(adaptor.getWeight());
    Value b = h.orNull(adaptor.getBias());
    h.call("nngc_rt_layer_norm_grad",
           {contextArg(op), h.i32(slot), adaptor.getGrad(), adaptor.getInput(),
            w, b, dx, dw, db});
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// nngc_rt_attention_init's arguments.
static SmallVector<ConstArg> attentionInitArgs(Value query, Value key,
                                               int64_t heads, double scale,
                                               double dropout, bool causal,
                                               bool backward, bool recompute) {
  ArrayRef<int64_t> q = shapeOf(query), k = shapeOf(key);
  int32_t flags = (causal ? NNGC_ATTN_CAUSAL : 0) |
                  (backward ? NNGC_ATTN_BACKWARD : 0) |
                  (recompute ? NNGC_ATTN_RECOMPUTE : 0) |
                  (nn::storedAsBF16(query) ? NNGC_ATTN_BF16 : 0);
  return {ConstArg::i64(q[0]),    ConstArg::i64(heads), ConstArg::i64(q[1]),
          ConstArg::i64(k[1]),    ConstArg::i64(q[2]),  ConstArg::f64(scale),
          ConstArg::f64(dropout), ConstArg::i32(flags)};
}

struct AttentionLowering : public NNLowering<AttentionOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    initPrimitiveOnce(
        rewriter, op, state.runtimeFunction("attention_init"),
        attentionInitArgs(op.getQuery(), op.getKey(), op.getHeads(),
                          op.getScaleValue(), op.getDropout().convertToDouble(),
                          op.getCausal(), op->hasAttr("nngc.has_backward"),
                          op->hasAttr("nngc.recompute_probs")),
        state);
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    Value mask = h.orNull(adaptor.getKeyPaddingMask());
    SmallVector<Value> args = {contextArg(op), h.i32(slotOf(op)),
                               h.i32(!isInference(op))};
    // On CUDA the runtime runs the products and launches the softmax
    // kernel (AttentionKernels.cpp) between them.
    if (state.cuda)
      args.push_back(h.i32(cudaLaunchOnce(rewriter, op, 0, state)));
    args.append(
        {adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(), mask, out});
    h.call(state.runtimeFunction("attention"), args);
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct AttentionGradLowering : public NNLowering<AttentionGradOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(AttentionGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t slot = forwardSlotOf(op);
    initPrimitiveOnce(
        rewriter, op, slot, state.runtimeFunction("attention_init"),
        attentionInitArgs(
            op.getQuery(), op.getKey(), op.getHeads(),
            op.getScale().convertToDouble(), op.getDropout().convertToDouble(),
            op.getCausal(), true,
            op.getOutput().getDefiningOp()->hasAttr("nngc.recompute_probs")),
        state);
    LoweringHelper h(rewriter, op.getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
    if (state.cuda) {
      // The kernels: [the forward's softmax, when the probabilities are
      // recomputed,] the softmax's backward.
      auto kernels = op->getAttrOfType<ArrayAttr>("nngc.gpu_kernels");
      unsigned n = kernels ? kernels.size() : 0;
      if (n == 0)
        return rewriter.notifyMatchFailure(op, "no kernels");
      int64_t recompute =
          n == 2 ? cudaLaunchOnce(rewriter, op, 0, state) : int64_t(-1);
      int64_t grad = cudaLaunchOnce(rewriter, op, n - 1, state);
      h.call("nngc_cuda_attention_grad",
             {contextArg(op), h.i32(slot), h.i32(recompute), h.i32(grad),
              adaptor.getGrad(), adaptor.getQuery(), adaptor.getKey(),
              adaptor.getValue(), h.orNull(adaptor.getKeyPaddingMask()),
              results[0], results[1], results[2]});
      rewriter.replaceOp(op, results);
      return success();
    }
    h.call("nngc_rt_attention_grad",
           {contextArg(op), h.i32(slot), adaptor.getGrad(), adaptor.getQuery(),
            adaptor.getKey(), adaptor.getValue(), results[0], results[1],
            results[2]});
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct CachedAttentionLowering : public NNLowering<CachedAttentionOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(CachedAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    ArrayRef<int64_t> cache = shapeOf(op.getKeyCache());
    SmallVector<Value> results = storagesOf(rewriter, op);
    h.call("nngc_rt_cached_attention",
           {contextArg(op), h.i64(cache[0]), h.i64(op.getHeads()),
            h.i64(cache[1]), h.i64(cache[2]),
            h.f64(op.getScale().convertToDouble()), adaptor.getQuery(),
            adaptor.getKey(), adaptor.getValue(), adaptor.getKeyCache(),
            adaptor.getValueCache(), adaptor.getPosition(), results[0],
            results[1], results[2]});
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct ArangeLowering : public NNLowering<ArangeOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(ArangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    h.call("nngc_rt_arange",
           {contextArg(op), h.i64(numElements(op.getResult())), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct SinusoidalPositionsLowering : public NNLowering<SinusoidalPositionsOp> {
  using NNLowering::NNLowering;
  LogicalResult
  matchAndRewrite(SinusoidalPositionsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringHelper h(rewriter, op.getLoc());
    ArrayRef<int64_t> s = shapeOf(op.getResult());
    Value out = storageOf(rewriter, op);
    h.call(state.runtimeFunction("sinusoidal_positions"),
           {contextArg(op), h.i64(s[0]), h.i64(s[1]), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void nngc::populateTransformerOpLoweringPatterns(RewritePatternSet &patterns,
                                                 TypeConverter &converter,
                                                 NNLoweringState &state) {
  populateTransformerRuntimeLoweringPatterns(patterns, converter, state);
  patterns.add<LayerNormLowering, LayerNormGradLowering,
               CachedAttentionLowering, ArangeLowering>(
      converter, patterns.getContext(), state);
}

void nngc::populateTransformerRuntimeLoweringPatterns(
    RewritePatternSet &patterns, TypeConverter &converter,
    NNLoweringState &state) {
  patterns.add<AttentionLowering, AttentionGradLowering,
               SinusoidalPositionsLowering>(converter, patterns.getContext(),
                                            state);
}
