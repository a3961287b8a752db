//===- TransformerOpLowering.cpp - layer norm, attention, positions -------===//
//
// nn.layer_norm and nn.attention run as runtime primitives created once in
// nngc_setup; their backward ops reuse the forward's primitive and what it
// kept (statistics, probabilities) through the forward op's slot.
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
                  (recompute ? NNGC_ATTN_RECOMPUTE : 0);
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
        rewriter, op, "nngc_rt_attention_init",
        attentionInitArgs(op.getQuery(), op.getKey(), op.getHeads(),
                          op.getScaleValue(), op.getDropout().convertToDouble(),
                          op.getCausal(), op->hasAttr("nngc.has_backward"),
                          op->hasAttr("nngc.recompute_probs")),
        state);
    LoweringHelper h(rewriter, op.getLoc());
    Value out = storageOf(rewriter, op);
    Value mask = h.orNull(adaptor.getKeyPaddingMask());
    h.call("nngc_rt_attention",
           {contextArg(op), h.i32(slotOf(op)), h.i32(!isInference(op)),
            adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(), mask,
            out});
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
        rewriter, op, slot, "nngc_rt_attention_init",
        attentionInitArgs(
            op.getQuery(), op.getKey(), op.getHeads(),
            op.getScale().convertToDouble(), op.getDropout().convertToDouble(),
            op.getCausal(), true,
            op.getOutput().getDefiningOp()->hasAttr("nngc.recompute_probs")),
        state);
    LoweringHelper h(rewriter, op.getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
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
    h.call("nngc_rt_sinusoidal_positions",
           {contextArg(op), h.i64(s[0]), h.i64(s[1]), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void nngc::populateTransformerOpLoweringPatterns(RewritePatternSet &patterns,
                                                 TypeConverter &converter,
                                                 NNLoweringState &state) {
  patterns.add<LayerNormLowering, LayerNormGradLowering, AttentionLowering,
               AttentionGradLowering, CachedAttentionLowering, ArangeLowering,
               SinusoidalPositionsLowering>(converter, patterns.getContext(),
                                            state);
}
