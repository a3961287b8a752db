//===- ABI.h - The calls generated code makes into the runtime --*- C++ -*-===//
//
// Generated step functions are `void nngc_<entry>(ctx, arena, params, grads,
// state)`; every tensor is a pointer into one of those buffers, at an offset
// fixed by nngc-plan-memory. These are the functions they call. Shapes are
// row-major; `rows` is the batch (dimension 0) and the kernels that reduce
// over the batch use only the first `nngc_rt_valid_rows(ctx)` rows (the
// rest are padding of a partial final batch).
//
// oneDNN-backed ops come in pairs: `*_init` (called from nngc_setup, once,
// creates the primitive in `slot`) and the call that executes it.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_ABI_H
#define NNGC_RUNTIME_ABI_H

#include <cstdint>

extern "C" {

/// Matmul flags.
enum NNGCMatmulFlags : int32_t {
  NNGC_MATMUL_TRANSPOSE_A = 1,
  NNGC_MATMUL_TRANSPOSE_B = 2,
  NNGC_MATMUL_BIAS = 4,
  NNGC_MATMUL_SHARED_B = 8,    ///< batched A with one 2-D B
  NNGC_MATMUL_ADDEND = 16,     ///< C = product + addend (a separate tensor)
  NNGC_MATMUL_ACCUMULATE = 32, ///< C += product (C holds the addend)
  // The CUDA runtime only (nngc-store-bf16): operands stored as bf16.
  NNGC_MATMUL_LHS_BF16 = 64,
  NNGC_MATMUL_RHS_BF16 = 128,
  NNGC_MATMUL_RESULT_BF16 = 256, ///< C (and the addend) bf16
};

/// Elementwise activations, forward and backward.
enum NNGCEltwiseKind : int32_t {
  NNGC_RELU = 0,
  NNGC_LEAKY_RELU = 1, ///< alpha = negative slope
  NNGC_SIGMOID = 2,    ///< backward takes the forward result
  NNGC_TANH = 3,       ///< backward takes the forward result
  NNGC_GELU_ERF = 4,
  NNGC_GELU_TANH = 5,
  NNGC_RELU_USE_DST = 6, ///< relu/leaky relu backward from the result
};

/// Broadcasting binary ops.
enum NNGCBinaryKind : int32_t { NNGC_ADD = 0, NNGC_SUB = 1, NNGC_MUL = 2 };

// C[b] = op(A[b]) op(B[b]) (+ bias), A: (batch, M, K), B: (batch?, K, N).
void nngc_rt_matmul_init(void *ctx, int32_t slot, int64_t batch, int64_t m,
                         int64_t k, int64_t n, int32_t flags);
void nngc_rt_matmul(void *ctx, int32_t slot, const float *a, const float *b,
                    const float *bias, float *c);

// C = addend + act(op(A) op(B) + bias): a matmul with post-ops. `act` is an
// NNGCEltwiseKind (relu, leaky relu with `alpha`, sigmoid, tanh) or -1 for
// none; with NNGC_MATMUL_ACCUMULATE the addend is C itself (pass it as
// both), with NNGC_MATMUL_ADDEND it is read from `addend`.
void nngc_rt_fused_matmul_init(void *ctx, int32_t slot, int64_t batch,
                               int64_t m, int64_t k, int64_t n, int32_t flags,
                               int32_t act, double alpha);
void nngc_rt_fused_matmul(void *ctx, int32_t slot, const float *a,
                          const float *b, const float *bias,
                          const float *addend, float *c);

// dst = f(src); diff_src = f'(saved) * diff_dst.
void nngc_rt_eltwise_init(void *ctx, int32_t slot, int32_t kind,
                          int32_t backward, int64_t n, double alpha);
void nngc_rt_eltwise(void *ctx, int32_t slot, const float *src, float *dst);
void nngc_rt_eltwise_grad(void *ctx, int32_t slot, const float *diffDst,
                          const float *saved, float *diffSrc);

// (log-)softmax over the middle dimension of (outer, axis, inner).
void nngc_rt_softmax_init(void *ctx, int32_t slot, int64_t outer, int64_t axis,
                          int64_t inner, int32_t log, int32_t backward);
void nngc_rt_softmax(void *ctx, int32_t slot, const float *src, float *dst);
void nngc_rt_softmax_grad(void *ctx, int32_t slot, const float *diffDst,
                          const float *dst, float *diffSrc);

// c = a (op) b with broadcasting. `shape` is the result's (rank dims);
// `aStrides`/`bStrides` are element strides into a and b (0 where a
// dimension is broadcast).
void nngc_rt_binary(void *ctx, int32_t kind, int32_t rank, const int64_t *shape,
                    const int64_t *aStrides, const int64_t *bStrides,
                    const float *a, const float *b, float *c);
// out = in summed over the dimensions where `outStrides` is 0; `shape` is
// the input's, `outStrides` index the output.
void nngc_rt_sum_to(void *ctx, int32_t rank, const int64_t *shape,
                    const int64_t *outStrides, int64_t outSize, const float *in,
                    float *out);
// out = in with dimensions permuted: out dimension i is in dimension
// perm[i]; `shape` is the input's.
void nngc_rt_transpose(void *ctx, int32_t rank, const int64_t *shape,
                       const int64_t *perm, const float *in, float *out);
void nngc_rt_neg(void *ctx, int64_t n, const float *in, float *out);
// nn.round_bf16: out = in rounded to bf16 (nearest, ties to even), as f32.
void nngc_rt_round_bf16(void *ctx, int64_t n, const float *in, float *out);
void nngc_rt_fill(void *ctx, int64_t n, double value, float *out);
void nngc_rt_copy(void *ctx, int64_t bytes, const void *src, void *dst);
/// nn.check_finite: with --check-numerics, the first NaN/Inf in `x` stops
/// the step with an error naming check `id`'s op.
void nngc_rt_check_finite(void *ctx, int64_t id, int64_t n, const float *x);

// Losses over (rows, perRow) elements, mean over the valid rows.
void nngc_rt_mse(void *ctx, int64_t rows, int64_t perRow, const float *x,
                 const float *t, float *loss);
void nngc_rt_mse_grad(void *ctx, int64_t rows, int64_t perRow, const float *dl,
                      const float *x, const float *t, float *dx);
void nngc_rt_bce(void *ctx, int64_t rows, int64_t perRow, const float *x,
                 const float *t, float *loss);
void nngc_rt_bce_grad(void *ctx, int64_t rows, int64_t perRow, const float *dl,
                      const float *x, const float *t, float *dx);
// logits (rows, positions, classes), labels (rows, positions). With
// `hasIgnore`, positions labelled `ignoreIndex` are left out of the mean.
void nngc_rt_cross_entropy(void *ctx, int64_t rows, int64_t positions,
                           int64_t classes, int32_t hasIgnore,
                           int64_t ignoreIndex, const float *logits,
                           const int64_t *labels, float *loss);
void nngc_rt_cross_entropy_grad(void *ctx, int64_t rows, int64_t positions,
                                int64_t classes, int32_t hasIgnore,
                                int64_t ignoreIndex, const float *dl,
                                const float *logits, const int64_t *labels,
                                float *dx);

// torch.optim updates, in place; lr is scaled by the trainer's schedule.
// `gradNorm` (or null) is the global gradient norm: with the context's
// clipNorm > 0, grad is scaled by min(1, clipNorm / (gradNorm + 1e-6)).
void nngc_rt_sgd_update(void *ctx, int64_t n, float *param, const float *grad,
                        float *buffer, const float *gradNorm, double lr,
                        double momentum, double dampening, double weightDecay,
                        int32_t nesterov);
void nngc_rt_adam_update(void *ctx, int64_t n, float *param, const float *grad,
                         float *expAvg, float *expAvgSq, const float *gradNorm,
                         double lr, double beta1, double beta2, double eps,
                         double weightDecay, int32_t decoupled);

// The updates above for `count` tensors at once (nn.multi_*_update): one
// parallel loop over all their elements, each with the single-tensor
// formula; weightDecays[i] is tensor i's. `buffers` is null without
// momentum.
void nngc_rt_multi_sgd_update(void *ctx, int32_t count, float *const *params,
                              const float *const *grads, float *const *buffers,
                              const int64_t *sizes, const double *weightDecays,
                              const float *gradNorm, double lr, double momentum,
                              double dampening, int32_t nesterov);
void nngc_rt_multi_adam_update(void *ctx, int32_t count, float *const *params,
                               const float *const *grads, float *const *expAvgs,
                               float *const *expAvgSqs, const int64_t *sizes,
                               const double *weightDecays,
                               const float *gradNorm, double lr, double beta1,
                               double beta2, double eps, int32_t decoupled);

// out = sqrt(sum over the `count` tensors grads[i] (sizes[i] elements) of
// their squares) when the trainer clips gradients; 0, uncomputed, when it
// does not (only clipping reads it).
void nngc_rt_grad_norm(void *ctx, int32_t count, const float *const *grads,
                       const int64_t *sizes, float *out);

// Data-parallel gradient averaging (nngc compile --distributed=mpi): the
// `n` floats at `grads` are bucket `bucket` of the gradient buffer. Start
// scales them by the context's gradScale and starts their sum across the
// ranks; wait blocks until it has arrived. Without a job (a single
// process) start only scales and wait returns at once.
void nngc_rt_all_reduce_start(void *ctx, int32_t bucket, float *grads,
                              int64_t n);
void nngc_rt_all_reduce_wait(void *ctx, int32_t bucket, float *grads,
                             int64_t n);

// Tensor plumbing over [outer, n, inner] views around an axis.
enum NNGCReduceKind : int32_t {
  NNGC_REDUCE_SUM = 0,
  NNGC_REDUCE_MEAN = 1,
  NNGC_REDUCE_MAX = 2
};
// out (outer, inner) = reduce over n of in (outer, n, inner). `mask` (or
// null) holds one value per `maskDiv` consecutive input elements; 0 leaves
// an element out.
void nngc_rt_reduce(void *ctx, int32_t kind, int64_t outer, int64_t n,
                    int64_t inner, int64_t maskDiv, const float *in,
                    const float *mask, float *out);
void nngc_rt_reduce_grad(void *ctx, int32_t kind, int64_t outer, int64_t n,
                         int64_t inner, int64_t maskDiv, const float *grad,
                         const float *in, const float *out, const float *mask,
                         float *dx);
// out (outer, outN, inner) = in (outer, inN, inner)[:, start:start+outN].
void nngc_rt_slice(void *ctx, int64_t outer, int64_t inN, int64_t inner,
                   int64_t start, int64_t outN, const float *in, float *out);
// out (outer, outN, inner) = 0, then out[:, start:start+inN] = grad.
void nngc_rt_slice_grad(void *ctx, int64_t outer, int64_t outN, int64_t inner,
                        int64_t start, int64_t inN, const float *grad,
                        float *out);
// out (outer, sum(sizes), inner) = the `count` inputs (outer, sizes[i],
// inner) side by side.
void nngc_rt_concat(void *ctx, int32_t count, int64_t outer, int64_t inner,
                    const int64_t *sizes, const float *const *inputs,
                    float *out);

// Token embeddings: out (n, dim) = weight[ids] (vocab, dim); the backward
// scatter-adds into a zeroed table, skipping `paddingIdx` (-1: none).
void nngc_rt_embedding(void *ctx, int64_t n, int64_t vocab, int64_t dim,
                       const int64_t *ids, const float *weight, float *out);
void nngc_rt_embedding_grad(void *ctx, int64_t n, int64_t vocab, int64_t dim,
                            int64_t paddingIdx, const float *grad,
                            const int64_t *ids, float *out);

// Dropout over n elements; `slot` (the forward op's) keys the mask with the
// context's seed and step. `training` = 0 copies.
void nngc_rt_dropout(void *ctx, int32_t slot, int32_t training, int64_t n,
                     double p, const float *in, float *out);
void nngc_rt_dropout_grad(void *ctx, int32_t slot, int64_t n, double p,
                          const float *grad, float *out);
// nn.dropout_add: out = dropout(in) + addend (out may be in, not addend).
void nngc_rt_dropout_add(void *ctx, int32_t slot, int32_t training, int64_t n,
                         double p, const float *in, const float *addend,
                         float *out);

/// Recurrent cells (nn::RecurrentMode).
enum NNGCRecurrentMode : int32_t {
  NNGC_RNN_TANH = 0,
  NNGC_RNN_RELU = 1,
  NNGC_LSTM = 2,
  NNGC_GRU = 3,
};
enum NNGCRecurrentFlags : int32_t {
  NNGC_RNN_BATCH_FIRST = 1,
  NNGC_RNN_BIAS = 2,
  NNGC_RNN_INITIAL = 4,
  NNGC_RNN_BACKWARD = 8, ///< an nn.rnn_grad will run: create its primitives
  NNGC_RNN_MASK = 16,    ///< a mask operand gives each sequence's length
};
// A stack of recurrent layers, PyTorch's torch.nn.RNN/LSTM/GRU. `operands`
// are the op's (input, [mask], [h0, [c0]], weights in PyTorch's
// _flat_weights order), `results` its (output, h_n, [c_n]). With a mask,
// each direction of each layer is its own primitive and the reverse one
// reads each sequence shifted to end at step T - 1 (docs/Recurrent.md).
void nngc_rt_rnn_init(void *ctx, int32_t slot, int32_t mode, int64_t layers,
                      int64_t directions, int64_t seq, int64_t batch,
                      int64_t input, int64_t hidden, int32_t flags,
                      double dropout);
void nngc_rt_rnn(void *ctx, int32_t slot, int32_t training,
                 const float *const *operands, float *const *results);
// `outputs` are the forward results and `outputGrads` their cotangents;
// `operandGrads` receive the cotangents of the forward operands (all of
// them, in order). Runs after nngc_rt_rnn of the same slot and step.
void nngc_rt_rnn_grad(void *ctx, int32_t slot, const float *const *operands,
                      const float *const *outputs,
                      const float *const *outputGrads,
                      float *const *operandGrads);

/// nn.layer_norm over (rows, n): which affine parameters it has, and
/// whether an nn.layer_norm_grad will run (it reads the kept statistics).
enum NNGCLayerNormFlags : int32_t {
  NNGC_LN_WEIGHT = 1,
  NNGC_LN_BIAS = 2,
  NNGC_LN_BACKWARD = 4,
};
void nngc_rt_layer_norm_init(void *ctx, int32_t slot, int64_t rows, int64_t n,
                             double eps, int32_t flags);
// `w` and `b` may be null (no such parameter).
void nngc_rt_layer_norm(void *ctx, int32_t slot, const float *x, const float *w,
                        const float *b, float *y);
// Runs after nngc_rt_layer_norm of the same slot and step; `dw` and `db`
// are null where the forward has no such parameter.
void nngc_rt_layer_norm_grad(void *ctx, int32_t slot, const float *dy,
                             const float *x, const float *w, const float *b,
                             float *dx, float *dw, float *db);

/// nn.attention: q (batch, tq, width), k and v (batch, tk, width), `heads`
/// heads of width / heads features.
enum NNGCAttentionFlags : int32_t {
  NNGC_ATTN_CAUSAL = 1,
  NNGC_ATTN_BACKWARD = 2, ///< keep the probabilities for nngc_rt_attention_grad
  /// With NNGC_ATTN_BACKWARD: keep nothing, the backward recomputes the
  /// probabilities (`nngc.recompute_probs`, set by nngc-remat).
  NNGC_ATTN_RECOMPUTE = 4,
  /// CUDA (nngc-store-bf16): q, k, v, the output and the gradients are
  /// bf16, and so are the work buffers (scores, probabilities, dP, dS).
  NNGC_ATTN_BF16 = 8,
};
/// The attention kernels work through the batch a chunk of sequences at a
/// time, so that their scores scratch holds one chunk's [chunk, heads, tq,
/// tk] rather than the whole batch's: the most sequences that divide the
/// batch and fit 8 MiB of scores (at least one). The compiler counts the
/// scratch with the same rule (--report's workspace).
inline int64_t nngc_attention_chunk(int64_t batch, int64_t heads, int64_t tq,
                                    int64_t tk) {
  const int64_t perSequence = heads * tq * tk * 4, limit = int64_t(8) << 20;
  int64_t chunk = 1;
  for (int64_t c = 1; c <= batch; ++c)
    if (batch % c == 0 && c * perSequence <= limit)
      chunk = c;
  return chunk;
}
void nngc_rt_attention_init(void *ctx, int32_t slot, int64_t batch,
                            int64_t heads, int64_t tq, int64_t tk,
                            int64_t width, double scale, double dropout,
                            int32_t flags);
// `mask` (batch, tk) is 1 for a real key and 0 for padding, or null.
void nngc_rt_attention(void *ctx, int32_t slot, int32_t training,
                       const float *q, const float *k, const float *v,
                       const float *mask, float *out);
// Runs after nngc_rt_attention of the same slot and step.
void nngc_rt_attention_grad(void *ctx, int32_t slot, const float *dout,
                            const float *q, const float *k, const float *v,
                            float *dq, float *dk, float *dv);

// nn.cached_attention: q, k, v (batch, width) of one token per sequence;
// caches (batch, t, width) in, copied to the outputs with k and v at
// *position; out (batch, width).
void nngc_rt_cached_attention(void *ctx, int64_t batch, int64_t heads,
                              int64_t t, int64_t width, double scale,
                              const float *q, const float *k, const float *v,
                              const float *keyCache, const float *valueCache,
                              const int64_t *position, float *out,
                              float *keyCacheOut, float *valueCacheOut);

// Position tables: out (n) = 0..n-1; out (t, c) = the sinusoidal table.
void nngc_rt_arange(void *ctx, int64_t n, int64_t *out);
void nngc_rt_sinusoidal_positions(void *ctx, int64_t t, int64_t c, float *out);

/// The generated entry points (defined in the compiled model's object).
void nngc_setup(void *ctx);
/// The JSON manifest (defined in the compiled model's object).
extern const char nngc_manifest[];
}

#endif // NNGC_RUNTIME_ABI_H
