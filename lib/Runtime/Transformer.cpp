//===- Transformer.cpp - layer norm, attention and position kernels -------===//
//
// nn.layer_norm runs as oneDNN layer normalisation (forward keeps each
// row's mean and variance in its slot for the backward). nn.attention runs
// as oneDNN batched matmuls over strided [B, heads, T, D] views of the
// [B, T, C] tensors, so no head split or merge is materialised, and a
// oneDNN softmax, a chunk of sequences at a time (nngc_attention_chunk);
// the forward keeps the probabilities [B, heads, Tq, Tk] in its slot
// (unless the backward recomputes them), the kernels work in one shared
// scratch pair of one chunk's scores.
//
//===----------------------------------------------------------------------===//

#include "DnnlUtils.h"
#include "Positions.h"
#include "nngc/Runtime/ABI.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace nngc::rt;
using dims = dnnl::memory::dims;

//===----------------------------------------------------------------------===//
// Layer normalisation over rows of n elements
//===----------------------------------------------------------------------===//

namespace {
struct LayerNormState : Primitive {
  DnnlPrimitive fwd, bwd;
  std::vector<float> mean, variance;
  bool backward = false;
  size_t heldBytes() const override {
    return bytesOf(mean) + bytesOf(variance);
  }
};
} // namespace

extern "C" void nngc_rt_layer_norm_init(void *c, int32_t s, int64_t rows,
                                        int64_t n, double eps, int32_t flags) {
  Context &ctx = ctxOf(c);
  bool hasWeight = flags & NNGC_LN_WEIGHT, hasBias = flags & NNGC_LN_BIAS;
  auto st = std::make_unique<LayerNormState>();
  st->backward = flags & NNGC_LN_BACKWARD;
  st->mean.assign(rows, 0.f);
  st->variance.assign(rows, 0.f);
  dnnl::memory::desc data({rows, n}, dt::f32, dnnl::memory::format_tag::ab);
  dnnl::memory::desc stat({rows}, dt::f32, dnnl::memory::format_tag::a);
  dnnl::memory::desc affine({n}, dt::f32, dnnl::memory::format_tag::a);
  auto nflags = dnnl::normalization_flags::none;
  if (hasWeight)
    nflags |= dnnl::normalization_flags::use_scale;
  if (hasBias)
    nflags |= dnnl::normalization_flags::use_shift;
  float e = static_cast<float>(eps);
  dnnl::layer_normalization_forward::primitive_desc fwd(
      {dnnl::prop_kind::forward_training, data, stat, e, nflags},
      dnnlOf(ctx).engine);
  st->fwd.prim = dnnl::layer_normalization_forward(fwd);
  st->fwd.addArg(DNNL_ARG_SRC, memoryFor(ctx, data));
  st->fwd.addArg(DNNL_ARG_SCALE, memoryFor(ctx, affine), hasWeight);
  st->fwd.addArg(DNNL_ARG_SHIFT, memoryFor(ctx, affine), hasBias);
  st->fwd.addArg(DNNL_ARG_DST, memoryFor(ctx, data));
  st->fwd.addArg(DNNL_ARG_MEAN, memoryFor(ctx, stat));
  st->fwd.addArg(DNNL_ARG_VARIANCE, memoryFor(ctx, stat));
  if (st->backward) {
    auto prop = hasWeight || hasBias ? dnnl::prop_kind::backward
                                     : dnnl::prop_kind::backward_data;
    dnnl::layer_normalization_backward::primitive_desc bwd(
        {prop, data, data, stat, e, nflags}, dnnlOf(ctx).engine, fwd);
    st->bwd.prim = dnnl::layer_normalization_backward(bwd);
    st->bwd.addArg(DNNL_ARG_DIFF_DST, memoryFor(ctx, data));
    st->bwd.addArg(DNNL_ARG_SRC, memoryFor(ctx, data));
    st->bwd.addArg(DNNL_ARG_SCALE, memoryFor(ctx, affine), hasWeight);
    st->bwd.addArg(DNNL_ARG_SHIFT, memoryFor(ctx, affine), hasBias);
    st->bwd.addArg(DNNL_ARG_MEAN, memoryFor(ctx, stat));
    st->bwd.addArg(DNNL_ARG_VARIANCE, memoryFor(ctx, stat));
    st->bwd.addArg(DNNL_ARG_DIFF_SRC, memoryFor(ctx, data));
    st->bwd.addArg(DNNL_ARG_DIFF_SCALE, memoryFor(ctx, affine), hasWeight);
    st->bwd.addArg(DNNL_ARG_DIFF_SHIFT, memoryFor(ctx, affine), hasBias);
  }
  store(ctx, s, std::move(st));
}

extern "C" void nngc_rt_layer_norm(void *c, int32_t s, const float *x,
                                   const float *w, const float *b, float *y) {
  Context &ctx = ctxOf(c);
  auto &st = slot<LayerNormState>(ctx, s);
  st.fwd.execute(ctx, {x, w, b, y, st.mean.data(), st.variance.data()});
}

extern "C" void nngc_rt_layer_norm_grad(void *c, int32_t s, const float *dy,
                                        const float *x, const float *w,
                                        const float *b, float *dx, float *dw,
                                        float *db) {
  Context &ctx = ctxOf(c);
  auto &st = slot<LayerNormState>(ctx, s);
  st.bwd.execute(ctx,
                 {dy, x, w, b, st.mean.data(), st.variance.data(), dx, dw, db});
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

namespace {

struct AttentionState : Primitive {
  int64_t batch = 0, heads = 0, tq = 0, tk = 0, d = 0;
  /// Sequences per chunk (nngc_attention_chunk): the primitives below run
  /// on one chunk, at the chunk's offsets into the operands.
  int64_t chunk = 0;
  int32_t flags = 0;
  double dropout = 0;
  /// Forward: S = scale Q K^T, O = P V.
  DnnlPrimitive scores, context, softmax;
  /// Backward: dV = P^T dO, dP = dO V^T, dQ = scale dS K, dK = scale dS^T Q.
  DnnlPrimitive dValue, dProbs, dQuery, dKey;
  /// The probabilities the forward keeps for the backward (all chunks).
  std::vector<float> probs;
  /// Rows (batch, head, query) that see no key, from the last forward.
  std::vector<char> emptyRows;
  /// The key padding mask of the last forward (null: none), which a
  /// backward that recomputes the probabilities reads again.
  const float *mask = nullptr;

  int64_t probsSize() const { return batch * heads * tq * tk; }
  size_t heldBytes() const override {
    return bytesOf(probs) + bytesOf(emptyRows);
  }
  /// The scores of one chunk.
  int64_t chunkSize() const { return chunk * heads * tq * tk; }
  /// The offsets of chunk `c`'s first sequence: in the queries (and the
  /// output), the keys (and values), and the scores.
  int64_t queryOffset(int64_t c) const { return c * chunk * tq * heads * d; }
  int64_t keyOffset(int64_t c) const { return c * chunk * tk * heads * d; }
  int64_t scoresOffset(int64_t c) const { return c * chunkSize(); }
  /// Where this rank's scores start in the mask of the global batch
  /// (Context::shardRank).
  int64_t maskOffset(const Context &ctx, int64_t c) const {
    return ctx.shardRank * probsSize() + scoresOffset(c);
  }
  int64_t chunks() const { return batch / chunk; }
};

/// A [B, heads, T, D] view of a [B, T, heads * D] tensor (`transposed`:
/// [B, heads, D, T]).
dnnl::memory::desc headView(int64_t b, int64_t h, int64_t t, int64_t d,
                            bool transposed = false) {
  int64_t c = h * d;
  if (transposed)
    return {{b, h, d, t}, dt::f32, dims{t * c, d, 1, c}};
  return {{b, h, t, d}, dt::f32, dims{t * c, d, c, 1}};
}

/// [B, heads, rows, cols] dense (`transposed`: a view of its transpose).
dnnl::memory::desc probsView(int64_t b, int64_t h, int64_t rows, int64_t cols,
                             bool transposed = false) {
  if (transposed)
    return {{b, h, cols, rows},
            dt::f32,
            dims{h * rows * cols, rows * cols, 1, cols}};
  return {
      {b, h, rows, cols}, dt::f32, dims{h * rows * cols, rows * cols, cols, 1}};
}

void makeMatmul(Context &ctx, DnnlPrimitive &p, const dnnl::memory::desc &a,
                const dnnl::memory::desc &b, const dnnl::memory::desc &out,
                float scale) {
  dnnl::primitive_attr attr;
  if (scale != 1.f)
    attr.set_output_scales(0, {scale});
  dnnl::matmul::primitive_desc pd({a, b, out}, attr, dnnlOf(ctx).engine);
  p.prim = dnnl::matmul(pd);
  p.addArg(DNNL_ARG_SRC, memoryFor(ctx, a));
  p.addArg(DNNL_ARG_WEIGHTS, memoryFor(ctx, b));
  p.addArg(DNNL_ARG_DST, memoryFor(ctx, out));
}

/// The scratch tensors the backward (and an inference forward) works in,
/// shared by every attention op of the model: `count` tensors of `n`.
float *scratch(Context &ctx, int64_t n, int count) {
  size_t need = static_cast<size_t>(n) * count;
  if (ctx.attentionScratch.size() < need)
    ctx.attentionScratch.resize(need);
  return ctx.attentionScratch.data();
}

/// Key j of sequence b is visible (not padding).
bool visible(const AttentionState &st, const float *mask, int64_t b,
             int64_t j) {
  return !mask || mask[b * st.tk + j] != 0.f;
}

} // namespace

extern "C" void nngc_rt_attention_init(void *c, int32_t s, int64_t batch,
                                       int64_t heads, int64_t tq, int64_t tk,
                                       int64_t width, double scaleD,
                                       double dropout, int32_t flags) {
  Context &ctx = ctxOf(c);
  auto st = std::make_unique<AttentionState>();
  int64_t d = width / heads;
  st->batch = batch, st->heads = heads, st->tq = tq, st->tk = tk, st->d = d;
  st->chunk = nngc_attention_chunk(batch, heads, tq, tk);
  st->flags = flags;
  st->dropout = dropout;
  float scale = static_cast<float>(scaleD);
  auto B = st->chunk, H = heads;
  makeMatmul(ctx, st->scores, headView(B, H, tq, d),
             headView(B, H, tk, d, /*transposed=*/true),
             probsView(B, H, tq, tk), scale);
  makeMatmul(ctx, st->context, probsView(B, H, tq, tk), headView(B, H, tk, d),
             headView(B, H, tq, d), 1.f);
  dnnl::memory::desc rows({B * H * tq, tk}, dt::f32,
                          dnnl::memory::format_tag::ab);
  dnnl::softmax_v2_forward::primitive_desc smax(
      {dnnl::prop_kind::forward_training, dnnl::algorithm::softmax_accurate,
       rows, rows, 1},
      dnnlOf(ctx).engine);
  st->softmax.prim = dnnl::softmax_v2_forward(smax);
  st->softmax.addArg(DNNL_ARG_SRC, memoryFor(ctx, rows));
  st->softmax.addArg(DNNL_ARG_DST, memoryFor(ctx, rows));
  bool recompute = flags & NNGC_ATTN_RECOMPUTE;
  if (flags & NNGC_ATTN_BACKWARD) {
    if (!recompute)
      st->probs.assign(st->probsSize(), 0.f);
    makeMatmul(ctx, st->dValue, probsView(B, H, tq, tk, /*transposed=*/true),
               headView(B, H, tq, d), headView(B, H, tk, d), 1.f);
    makeMatmul(ctx, st->dProbs, headView(B, H, tq, d),
               headView(B, H, tk, d, /*transposed=*/true),
               probsView(B, H, tq, tk), 1.f);
    makeMatmul(ctx, st->dQuery, probsView(B, H, tq, tk), headView(B, H, tk, d),
               headView(B, H, tq, d), scale);
    makeMatmul(ctx, st->dKey, probsView(B, H, tq, tk, /*transposed=*/true),
               headView(B, H, tq, d), headView(B, H, tk, d), scale);
  }
  st->emptyRows.assign(batch * heads * tq, 0);
  scratch(ctx, st->chunkSize(), 2);
  store(ctx, s, std::move(st));
}

/// P = softmax(scale Q K^T) over the visible keys of chunk `chunk`, into
/// `probs` (the chunk's), with `work` as the scores' scratch. A query that
/// sees no key gets zero probabilities; with `report`, one in a valid row
/// is an error.
static void probabilities(Context &ctx, AttentionState &st, int64_t chunk,
                          const float *q, const float *k, const float *mask,
                          float *work, float *probs, bool report) {
  st.scores.execute(ctx,
                    {q + st.queryOffset(chunk), k + st.keyOffset(chunk), work});
  // Hide future and padded keys. A query that sees no key is an error in
  // a valid row; in the padding rows of a partial final batch its
  // probabilities are 0 (no output, no gradient).
  bool causal = st.flags & NNGC_ATTN_CAUSAL;
  int64_t rows = st.chunk * st.heads * st.tq;
  int64_t firstRow = chunk * rows, firstSequence = chunk * st.chunk;
  char *empty = st.emptyRows.data() + firstRow;
  bool anyEmpty = false;
  if (causal || mask) {
    const float inf = std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static) reduction(|| : anyEmpty)
    for (int64_t r = 0; r < rows; ++r) {
      int64_t b = firstSequence + r / (st.heads * st.tq), i = r % st.tq;
      float *row = work + r * st.tk;
      bool any = false;
      for (int64_t j = 0; j < st.tk; ++j) {
        if ((causal && j > i) || !visible(st, mask, b, j))
          row[j] = -inf;
        else
          any = true;
      }
      empty[r] = !any;
      if (!any) {
        std::fill(row, row + st.tk, 0.f);
        anyEmpty = true;
      }
    }
  }
  st.softmax.execute(ctx, {work, probs});
  if (!anyEmpty)
    return;
  int64_t valid =
      ctx.validRows > 0 ? std::min(ctx.validRows, st.batch) : st.batch;
  for (int64_t r = 0; r < rows; ++r) {
    if (!empty[r])
      continue;
    if (report && firstSequence + r / (st.heads * st.tq) < valid &&
        ctx.error.empty())
      ctx.error = "nn.attention: a query has no visible key (a sequence "
                  "of length 0 in the key padding mask?)";
    std::fill(probs + r * st.tk, probs + (r + 1) * st.tk, 0.f);
  }
}

extern "C" void nngc_rt_attention(void *c, int32_t s, int32_t training,
                                  const float *q, const float *k,
                                  const float *v, const float *mask,
                                  float *out) {
  Context &ctx = ctxOf(c);
  auto &st = slot<AttentionState>(ctx, s);
  int64_t n = st.chunkSize();
  float *work = scratch(ctx, n, 2);
  st.mask = mask;
  double p = dropoutP(ctx, st.dropout);
  uint64_t key = dropoutKey(ctx, s);
  for (int64_t chunk = 0; chunk < st.chunks(); ++chunk) {
    float *probs =
        st.probs.empty() ? work + n : st.probs.data() + st.scoresOffset(chunk);
    probabilities(ctx, st, chunk, q, k, mask, work, probs, /*report=*/true);
    const float *used = probs;
    if (training && p > 0) {
      // The mask's elements of this chunk, as one draw over the batch.
      applyDropout(key, n, p, probs, work, st.maskOffset(ctx, chunk));
      used = work;
    }
    st.context.execute(
        ctx, {used, v + st.keyOffset(chunk), out + st.queryOffset(chunk)});
  }
}

extern "C" void nngc_rt_attention_grad(void *c, int32_t s, const float *dout,
                                       const float *q, const float *k,
                                       const float *v, float *dq, float *dk,
                                       float *dv) {
  Context &ctx = ctxOf(c);
  auto &st = slot<AttentionState>(ctx, s);
  int64_t n = st.chunkSize();
  float *work = scratch(ctx, n, 2);
  double p = dropoutP(ctx, st.dropout);
  bool dropout = p > 0;
  uint64_t key = dropoutKey(ctx, s);
  bool recompute = st.flags & NNGC_ATTN_RECOMPUTE;
  for (int64_t chunk = 0; chunk < st.chunks(); ++chunk) {
    int64_t qo = st.queryOffset(chunk), ko = st.keyOffset(chunk),
            so = st.scoresOffset(chunk), mo = st.maskOffset(ctx, chunk);
    const float *probs = st.probs.data() + (recompute ? 0 : so);
    // dropout(P) goes to the second scratch tensor, or, when P itself is
    // recomputed there, to the first (dP overwrites it only after dV).
    float *dropped = work + n;
    if (recompute) {
      // The same primitives on the same operands: the forward's bits.
      probabilities(ctx, st, chunk, q, k, st.mask, work, work + n,
                    /*report=*/false);
      probs = work + n;
      dropped = work;
    }
    // dV = dropout(P)^T dO.
    const float *used = probs;
    if (dropout) {
      applyDropout(key, n, p, probs, dropped, mo);
      used = dropped;
    }
    st.dValue.execute(ctx, {used, dout + qo, dv + ko});
    // dP = dO V^T (through the dropout), then the softmax's backward in
    // place: dS = P (dP - rowsum(dP P)).
    st.dProbs.execute(ctx, {dout + qo, v + ko, work});
    if (dropout)
      applyDropout(key, n, p, work, work, mo);
    int64_t rows = st.chunk * st.heads * st.tq, tk = st.tk;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      float *g = work + r * tk;
      const float *pr = probs + r * tk;
      float dot = 0.f;
      for (int64_t j = 0; j < tk; ++j)
        dot += g[j] * pr[j];
      for (int64_t j = 0; j < tk; ++j)
        g[j] = pr[j] * (g[j] - dot);
    }
    st.dQuery.execute(ctx, {work, k + ko, dq + qo});
    st.dKey.execute(ctx, {work, q + qo, dk + ko});
  }
}

// One token per sequence over a key/value cache: each sequence's cache is
// copied with its token's key and value at `position`, then each head
// attends over positions 0..position of its own sequence.
extern "C" void
nngc_rt_cached_attention(void *c, int64_t batch, int64_t heads, int64_t t,
                         int64_t width, double scaleD, const float *q,
                         const float *k, const float *v, const float *keyCache,
                         const float *valueCache, const int64_t *position,
                         float *out, float *keyCacheOut, float *valueCacheOut) {
  Context &ctx = ctxOf(c);
  int64_t pos = *position;
  if (pos < 0 || pos >= t) {
    if (ctx.error.empty())
      ctx.error = "nn.cached_attention: position " + std::to_string(pos) +
                  " is outside the cache's [0, " + std::to_string(t) + ")";
    return;
  }
  std::memmove(keyCacheOut, keyCache, batch * t * width * sizeof(float));
  std::memmove(valueCacheOut, valueCache, batch * t * width * sizeof(float));
  int64_t d = width / heads;
  float scale = static_cast<float>(scaleD);
  float *p = scratch(ctx, batch * heads * t, 1); // no allocation per token
#pragma omp parallel for collapse(2) if (batch * heads > 1)
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      float *kc = keyCacheOut + b * t * width,
            *vc = valueCacheOut + b * t * width;
      // Each head writes its own columns of this token's cache row.
      std::memcpy(kc + pos * width + h * d, k + b * width + h * d,
                  d * sizeof(float));
      std::memcpy(vc + pos * width + h * d, v + b * width + h * d,
                  d * sizeof(float));
      const float *qh = q + b * width + h * d;
      float *ph = p + (b * heads + h) * t;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j <= pos; ++j) {
        const float *kj = kc + j * width + h * d;
        float dot = 0.f;
        for (int64_t i = 0; i < d; ++i)
          dot += qh[i] * kj[i];
        ph[j] = dot * scale;
        mx = std::max(mx, ph[j]);
      }
      float sum = 0.f;
      for (int64_t j = 0; j <= pos; ++j)
        sum += ph[j] = std::exp(ph[j] - mx);
      float *oh = out + b * width + h * d;
      std::fill(oh, oh + d, 0.f);
      for (int64_t j = 0; j <= pos; ++j) {
        const float *vj = vc + j * width + h * d;
        float w = ph[j] / sum;
        for (int64_t i = 0; i < d; ++i)
          oh[i] += w * vj[i];
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Positions
//===----------------------------------------------------------------------===//

extern "C" void nngc_rt_arange(void *, int64_t n, int64_t *out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = i;
}

extern "C" void nngc_rt_sinusoidal_positions(void *, int64_t t, int64_t c,
                                             float *out) {
  sinusoidalTable(t, c, out);
}
