//===- Kernels.cpp - The runtime functions generated code calls -----------===//
//
// The ABI of include/nngc/Runtime/ABI.h: oneDNN primitives (matmul,
// eltwise, softmax), created once by nngc_setup and executed by the step
// functions, and plain loops for broadcasting arithmetic, losses and
// optimizer updates. Shapes in comments; all data is row-major f32 unless
// said otherwise.
//
//===----------------------------------------------------------------------===//

#include "BF16.h"
#include "DnnlUtils.h"
#include "nngc/Runtime/ABI.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <omp.h>
#include <type_traits>
#include <unordered_map>

using namespace nngc::rt;

//===----------------------------------------------------------------------===//
// Matmul: C (batch, M, N) = op(A) (batch, M, K) x op(B) (batch?, K, N) + bias
//===----------------------------------------------------------------------===//

/// The memory descriptors of a matmul: A, B, bias, C (also an addend's).
struct MatmulDescs {
  dnnl::memory::desc a, b, bias, out;
};

static MatmulDescs matmulDescs(int64_t batch, int64_t m, int64_t k, int64_t n,
                               int32_t flags) {
  bool ta = flags & NNGC_MATMUL_TRANSPOSE_A,
       tb = flags & NNGC_MATMUL_TRANSPOSE_B;
  bool shared = flags & NNGC_MATMUL_SHARED_B;
  using dims = dnnl::memory::dims;
  MatmulDescs d;
  if (batch == 1 && !shared) {
    d.a = {{m, k}, dt::f32, ta ? dims{1, m} : dims{k, 1}};
    d.b = {{k, n}, dt::f32, tb ? dims{1, k} : dims{n, 1}};
    d.bias = {{1, n}, dt::f32, dims{n, 1}};
    d.out = {{m, n}, dt::f32, dims{n, 1}};
  } else {
    d.a = {{batch, m, k}, dt::f32, ta ? dims{m * k, 1, m} : dims{m * k, k, 1}};
    int64_t bb = shared ? 1 : batch;
    d.b = {{bb, k, n}, dt::f32, tb ? dims{k * n, 1, k} : dims{k * n, n, 1}};
    d.bias = {{1, 1, n}, dt::f32, dims{n, n, 1}};
    d.out = {{batch, m, n}, dt::f32, dims{m * n, n, 1}};
  }
  return d;
}

/// A matmul primitive with `attr`'s post-ops; its pointers are A, B, bias,
/// [addend,] C.
static std::unique_ptr<DnnlPrimitive>
makeMatmul(Context &ctx, const MatmulDescs &d, int32_t flags,
           const dnnl::primitive_attr &attr, int addendArg) {
  bool hasBias = flags & NNGC_MATMUL_BIAS;
  auto desc = hasBias ? dnnl::matmul::desc(d.a, d.b, d.bias, d.out)
                      : dnnl::matmul::desc(d.a, d.b, d.out);
  dnnl::matmul::primitive_desc pd(desc, attr, dnnlOf(ctx).engine);
  auto p = std::make_unique<DnnlPrimitive>();
  p->prim = dnnl::matmul(pd);
  p->addArg(DNNL_ARG_SRC, memoryFor(ctx, d.a));
  p->addArg(DNNL_ARG_WEIGHTS, memoryFor(ctx, d.b));
  p->addArg(DNNL_ARG_BIAS, memoryFor(ctx, d.bias), hasBias);
  if (addendArg >= 0)
    p->addArg(addendArg, memoryFor(ctx, d.out), flags & NNGC_MATMUL_ADDEND);
  p->addArg(DNNL_ARG_DST, memoryFor(ctx, d.out));
  return p;
}

extern "C" void nngc_rt_matmul_init(void *c, int32_t s, int64_t batch,
                                    int64_t m, int64_t k, int64_t n,
                                    int32_t flags) {
  Context &ctx = ctxOf(c);
  store(ctx, s,
        makeMatmul(ctx, matmulDescs(batch, m, k, n, flags), flags,
                   dnnl::primitive_attr(), -1));
}

extern "C" void nngc_rt_matmul(void *c, int32_t s, const float *a,
                               const float *b, const float *bias, float *out) {
  Context &ctx = ctxOf(c);
  slot<DnnlPrimitive>(ctx, s).execute(ctx, {a, b, bias, out});
}

// C = addend + act(A B + bias): the eltwise post-op first, then the sum
// (C already holds the addend) or binary-add post-op.
extern "C" void nngc_rt_fused_matmul_init(void *c, int32_t s, int64_t batch,
                                          int64_t m, int64_t k, int64_t n,
                                          int32_t flags, int32_t act,
                                          double alpha) {
  Context &ctx = ctxOf(c);
  MatmulDescs d = matmulDescs(batch, m, k, n, flags);
  dnnl::post_ops ops;
  int index = 0;
  if (act >= 0) {
    dnnl::algorithm alg = act == NNGC_SIGMOID
                              ? dnnl::algorithm::eltwise_logistic
                          : act == NNGC_TANH ? dnnl::algorithm::eltwise_tanh
                                             : dnnl::algorithm::eltwise_relu;
    ops.append_eltwise(1.f, alg, static_cast<float>(alpha), 0.f);
    ++index;
  }
  int addendArg = -1;
  if (flags & NNGC_MATMUL_ACCUMULATE) {
    ops.append_sum(1.f);
  } else if (flags & NNGC_MATMUL_ADDEND) {
    ops.append_binary(dnnl::algorithm::binary_add, d.out);
    addendArg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  // An addend slot is kept (empty without NNGC_MATMUL_ADDEND) so that the
  // pointers are always A, B, bias, addend, C.
  auto p = makeMatmul(ctx, d, flags, attr, addendArg >= 0 ? addendArg : 0);
  store(ctx, s, std::move(p));
}

extern "C" void nngc_rt_fused_matmul(void *c, int32_t s, const float *a,
                                     const float *b, const float *bias,
                                     const float *addend, float *out) {
  Context &ctx = ctxOf(c);
  slot<DnnlPrimitive>(ctx, s).execute(ctx, {a, b, bias, addend, out});
}

//===----------------------------------------------------------------------===//
// Activations (n elements)
//===----------------------------------------------------------------------===//

static dnnl::algorithm eltwiseAlgorithm(int32_t kind) {
  switch (kind) {
  case NNGC_RELU:
  case NNGC_LEAKY_RELU:
    return dnnl::algorithm::eltwise_relu;
  case NNGC_RELU_USE_DST:
    return dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
  case NNGC_SIGMOID:
    return dnnl::algorithm::eltwise_logistic_use_dst_for_bwd;
  case NNGC_TANH:
    return dnnl::algorithm::eltwise_tanh_use_dst_for_bwd;
  case NNGC_GELU_ERF:
    return dnnl::algorithm::eltwise_gelu_erf;
  default:
    return dnnl::algorithm::eltwise_gelu_tanh;
  }
}

extern "C" void nngc_rt_eltwise_init(void *c, int32_t s, int32_t kind,
                                     int32_t backward, int64_t n,
                                     double alpha) {
  Context &ctx = ctxOf(c);
  dnnl::memory::desc md({n}, dt::f32, dnnl::memory::format_tag::a);
  dnnl::algorithm alg = eltwiseAlgorithm(kind);
  float a = static_cast<float>(alpha);
  dnnl::eltwise_forward::primitive_desc fwd(
      {dnnl::prop_kind::forward_training, alg, md, a, 0.f}, dnnlOf(ctx).engine);
  auto p = std::make_unique<DnnlPrimitive>();
  if (!backward) {
    p->prim = dnnl::eltwise_forward(fwd);
    p->addArg(DNNL_ARG_SRC, memoryFor(ctx, md));
    p->addArg(DNNL_ARG_DST, memoryFor(ctx, md));
  } else {
    dnnl::eltwise_backward::primitive_desc bwd({alg, md, md, a, 0.f},
                                               dnnlOf(ctx).engine, fwd);
    p->prim = dnnl::eltwise_backward(bwd);
    bool useDst =
        kind == NNGC_SIGMOID || kind == NNGC_TANH || kind == NNGC_RELU_USE_DST;
    p->addArg(DNNL_ARG_DIFF_DST, memoryFor(ctx, md));
    p->addArg(useDst ? DNNL_ARG_DST : DNNL_ARG_SRC, memoryFor(ctx, md));
    p->addArg(DNNL_ARG_DIFF_SRC, memoryFor(ctx, md));
  }
  store(ctx, s, std::move(p));
}

extern "C" void nngc_rt_eltwise(void *c, int32_t s, const float *src,
                                float *dst) {
  Context &ctx = ctxOf(c);
  slot<DnnlPrimitive>(ctx, s).execute(ctx, {src, dst});
}

extern "C" void nngc_rt_eltwise_grad(void *c, int32_t s, const float *diffDst,
                                     const float *saved, float *diffSrc) {
  Context &ctx = ctxOf(c);
  slot<DnnlPrimitive>(ctx, s).execute(ctx, {diffDst, saved, diffSrc});
}

//===----------------------------------------------------------------------===//
// Softmax over the middle dimension of (outer, axis, inner)
//===----------------------------------------------------------------------===//

extern "C" void nngc_rt_softmax_init(void *c, int32_t s, int64_t outer,
                                     int64_t axis, int64_t inner, int32_t log,
                                     int32_t backward) {
  Context &ctx = ctxOf(c);
  dnnl::memory::desc md({outer, axis, inner}, dt::f32,
                        dnnl::memory::format_tag::abc);
  auto alg =
      log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
  dnnl::softmax_v2_forward::primitive_desc fwd(
      {dnnl::prop_kind::forward_training, alg, md, md, 1}, dnnlOf(ctx).engine);
  auto p = std::make_unique<DnnlPrimitive>();
  if (!backward) {
    p->prim = dnnl::softmax_v2_forward(fwd);
    p->addArg(DNNL_ARG_SRC, memoryFor(ctx, md));
    p->addArg(DNNL_ARG_DST, memoryFor(ctx, md));
  } else {
    dnnl::softmax_v2_backward::primitive_desc bwd({alg, md, md, md, 1},
                                                  dnnlOf(ctx).engine, fwd);
    p->prim = dnnl::softmax_v2_backward(bwd);
    p->addArg(DNNL_ARG_DIFF_DST, memoryFor(ctx, md));
    p->addArg(DNNL_ARG_DST, memoryFor(ctx, md));
    p->addArg(DNNL_ARG_DIFF_SRC, memoryFor(ctx, md));
  }
  store(ctx, s, std::move(p));
}

extern "C" void nngc_rt_softmax(void *c, int32_t s, const float *src,
                                float *dst) {
  Context &ctx = ctxOf(c);
  slot<DnnlPrimitive>(ctx, s).execute(ctx, {src, dst});
}

extern "C" void nngc_rt_softmax_grad(void *c, int32_t s, const float *diffDst,
                                     const float *dst, float *diffSrc) {
  Context &ctx = ctxOf(c);
  slot<DnnlPrimitive>(ctx, s).execute(ctx, {diffDst, dst, diffSrc});
}

//===----------------------------------------------------------------------===//
// Broadcasting arithmetic
//===----------------------------------------------------------------------===//

template <typename F>
static void binaryLoop(int32_t dim, int32_t rank, const int64_t *shape,
                       const int64_t *as, const int64_t *bs, const float *a,
                       const float *b, float *&c, F f) {
  int64_t n = shape[dim];
  if (dim == rank - 1) {
    int64_t sa = as[dim], sb = bs[dim];
    if (sa == 1 && sb == 1)
      for (int64_t i = 0; i < n; ++i)
        c[i] = f(a[i], b[i]);
    else if (sa == 1 && sb == 0)
      for (int64_t i = 0; i < n; ++i)
        c[i] = f(a[i], b[0]);
    else if (sa == 0 && sb == 1)
      for (int64_t i = 0; i < n; ++i)
        c[i] = f(a[0], b[i]);
    else
      for (int64_t i = 0; i < n; ++i)
        c[i] = f(a[i * sa], b[i * sb]);
    c += n;
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    binaryLoop(dim + 1, rank, shape, as, bs, a + i * as[dim], b + i * bs[dim],
               c, f);
}

extern "C" void nngc_rt_binary(void *, int32_t kind, int32_t rank,
                               const int64_t *shape, const int64_t *as,
                               const int64_t *bs, const float *a,
                               const float *b, float *c) {
  switch (kind) {
  case NNGC_ADD:
    return binaryLoop(0, rank, shape, as, bs, a, b, c,
                      [](float x, float y) { return x + y; });
  case NNGC_SUB:
    return binaryLoop(0, rank, shape, as, bs, a, b, c,
                      [](float x, float y) { return x - y; });
  default:
    return binaryLoop(0, rank, shape, as, bs, a, b, c,
                      [](float x, float y) { return x * y; });
  }
}

static void sumLoop(int32_t dim, int32_t rank, const int64_t *shape,
                    const int64_t *os, const float *&in, float *out) {
  int64_t n = shape[dim];
  if (dim == rank - 1) {
    if (os[dim] == 0) {
      float acc = 0;
      for (int64_t i = 0; i < n; ++i)
        acc += in[i];
      out[0] += acc;
    } else {
      for (int64_t i = 0; i < n; ++i)
        out[i * os[dim]] += in[i];
    }
    in += n;
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    sumLoop(dim + 1, rank, shape, os, in, out + i * os[dim]);
}

extern "C" void nngc_rt_sum_to(void *, int32_t rank, const int64_t *shape,
                               const int64_t *outStrides, int64_t outSize,
                               const float *in, float *out) {
  std::fill(out, out + outSize, 0.f);
  sumLoop(0, rank, shape, outStrides, in, out);
}

extern "C" void nngc_rt_transpose(void *c, int32_t rank, const int64_t *shape,
                                  const int64_t *perm, const float *in,
                                  float *out) {
  // Input strides, visited in the output's order; fixed-size arrays, so a
  // step allocates nothing (nn.transpose's verifier caps the rank).
  constexpr int32_t kMaxRank = 16;
  if (rank > kMaxRank) {
    ctxOf(c).error = "nngc_rt_transpose: rank above 16";
    return;
  }
  int64_t inStride[kMaxRank], outShape[kMaxRank], stride[kMaxRank];
  int64_t idx[kMaxRank] = {};
  if (rank > 0)
    inStride[rank - 1] = 1;
  for (int32_t i = rank - 2; i >= 0; --i)
    inStride[i] = inStride[i + 1] * shape[i + 1];
  int64_t n = 1;
  for (int32_t i = 0; i < rank; ++i) {
    outShape[i] = shape[perm[i]];
    stride[i] = inStride[perm[i]];
    n *= outShape[i];
  }
  int64_t offset = 0;
  for (int64_t k = 0; k < n; ++k) {
    out[k] = in[offset];
    for (int32_t d = rank - 1; d >= 0; --d) {
      offset += stride[d];
      if (++idx[d] < outShape[d])
        break;
      offset -= stride[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

extern "C" void nngc_rt_neg(void *, int64_t n, const float *in, float *out) {
#pragma omp parallel for simd if (n > kParallelGrain) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = -in[i];
}

extern "C" void nngc_rt_round_bf16(void *, int64_t n, const float *in,
                                   float *out) {
#pragma omp parallel for if (n > kParallelGrain) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = nngc::rt::fromBF16Bits(nngc::rt::bf16Bits(in[i]));
}

extern "C" void nngc_rt_fill(void *, int64_t n, double value, float *out) {
  std::fill(out, out + n, static_cast<float>(value));
}

extern "C" void nngc_rt_check_finite(void *c, int64_t id, int64_t n,
                                     const float *x) {
  Context &ctx = ctxOf(c);
  if (!ctx.checkNumerics || !ctx.error.empty())
    return;
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]) && bad++ == 0)
      first = i;
  if (!bad)
    return;
  const char *what = std::isnan(x[first]) ? "nan" : "inf";
  ctx.error = "--check-numerics: " +
              (id >= 0 && id < static_cast<int64_t>(ctx.numericsOps.size())
                   ? ctx.numericsOps[id]
                   : "check " + std::to_string(id)) +
              " produced " + what + " (element " + std::to_string(first) +
              " of " + std::to_string(n) + "; " + std::to_string(bad) +
              " not finite)";
  ctx.numericsFailed = true;
}

extern "C" void nngc_rt_copy(void *, int64_t bytes, const void *src,
                             void *dst) {
  std::memmove(dst, src, bytes);
}

//===----------------------------------------------------------------------===//
// Losses: mean over the valid rows. Accumulate in double.
//===----------------------------------------------------------------------===//

static int64_t validRows(Context &ctx, int64_t rows) {
  return ctx.validRows > 0 ? std::min(ctx.validRows, rows) : rows;
}

extern "C" void nngc_rt_mse(void *c, int64_t rows, int64_t perRow,
                            const float *x, const float *t, float *loss) {
  int64_t n = validRows(ctxOf(c), rows) * perRow;
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = static_cast<double>(x[i]) - t[i];
    acc += d * d;
  }
  *loss = static_cast<float>(acc / n);
}

// dx = 2 (x - t) / n * dl on valid rows, 0 on padding.
extern "C" void nngc_rt_mse_grad(void *c, int64_t rows, int64_t perRow,
                                 const float *dl, const float *x,
                                 const float *t, float *dx) {
  int64_t n = validRows(ctxOf(c), rows) * perRow;
  float scale = 2.0f * dl[0] / static_cast<float>(n);
  for (int64_t i = 0; i < n; ++i)
    dx[i] = scale * (x[i] - t[i]);
  std::fill(dx + n, dx + rows * perRow, 0.f);
}

// max(x, 0) - x t + log(1 + exp(-|x|)), as torch's
// binary_cross_entropy_with_logits.
extern "C" void nngc_rt_bce(void *c, int64_t rows, int64_t perRow,
                            const float *x, const float *t, float *loss) {
  int64_t n = validRows(ctxOf(c), rows) * perRow;
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    double xi = x[i];
    acc += std::max(xi, 0.0) - xi * t[i] + std::log1p(std::exp(-std::fabs(xi)));
  }
  *loss = static_cast<float>(acc / n);
}

extern "C" void nngc_rt_bce_grad(void *c, int64_t rows, int64_t perRow,
                                 const float *dl, const float *x,
                                 const float *t, float *dx) {
  int64_t n = validRows(ctxOf(c), rows) * perRow;
  float scale = dl[0] / static_cast<float>(n);
  for (int64_t i = 0; i < n; ++i) {
    float sig = 1.0f / (1.0f + std::exp(-x[i]));
    dx[i] = scale * (sig - t[i]);
  }
  std::fill(dx + n, dx + rows * perRow, 0.f);
}

/// Checks a label; records the first bad one in the context.
static bool labelOk(Context &ctx, int64_t label, int64_t classes,
                    const char *what = "label") {
  if (label >= 0 && label < classes)
    return true;
  if (ctx.error.empty())
    ctx.error = std::string(what) + " " + std::to_string(label) +
                " is outside [0, " + std::to_string(classes) + ")";
  return false;
}

/// Checks every counted label (recording the first bad one in the
/// context, as labelOk does); returns how many positions are counted.
static int64_t checkLabels(Context &ctx, int64_t n, int64_t classes,
                           int32_t hasIgnore, int64_t ignoreIndex,
                           const int64_t *labels) {
  int64_t counted = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (hasIgnore && labels[i] == ignoreIndex)
      continue;
    ++counted;
    labelOk(ctx, labels[i], classes);
  }
  return counted;
}

/// The sum of exp(z[j] - mx), and with `e` each term written there. The
/// exponentials are float (as PyTorch's), the sum double.
static double expSum(const float *z, int64_t classes, float mx,
                     float *e = nullptr) {
  double sum = 0;
  for (int64_t j = 0; j < classes; ++j) {
    float x = std::exp(z[j] - mx);
    if (e)
      e[j] = x;
    sum += x;
  }
  return sum;
}

// The mean over counted positions of logsumexp(z) - z[label]. Rows run in
// parallel (a fixed static split: the same threads give the same loss).
extern "C" void nngc_rt_cross_entropy(void *c, int64_t rows, int64_t positions,
                                      int64_t classes, int32_t hasIgnore,
                                      int64_t ignoreIndex, const float *logits,
                                      const int64_t *labels, float *loss) {
  Context &ctx = ctxOf(c);
  int64_t n = validRows(ctx, rows) * positions;
  int64_t counted =
      checkLabels(ctx, n, classes, hasIgnore, ignoreIndex, labels);
  double acc = 0;
#pragma omp parallel for reduction(+ : acc) schedule(static)                  \
    if (n * classes > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    int64_t label = labels[i];
    if ((hasIgnore && label == ignoreIndex) || label < 0 || label >= classes)
      continue;
    const float *z = logits + i * classes;
    float mx = *std::max_element(z, z + classes);
    acc += std::log(expSum(z, classes, mx)) + mx - z[label];
  }
  *loss = counted ? static_cast<float>(acc / counted) : 0.f;
}

// dx = (softmax(z) - onehot(label)) / n * dl, 0 at ignored positions.
extern "C" void nngc_rt_cross_entropy_grad(void *c, int64_t rows,
                                           int64_t positions, int64_t classes,
                                           int32_t hasIgnore,
                                           int64_t ignoreIndex, const float *dl,
                                           const float *logits,
                                           const int64_t *labels, float *dx) {
  Context &ctx = ctxOf(c);
  int64_t n = validRows(ctx, rows) * positions;
  int64_t counted =
      checkLabels(ctx, n, classes, hasIgnore, ignoreIndex, labels);
  float scale = counted ? dl[0] / static_cast<float>(counted) : 0.f;
#pragma omp parallel for schedule(static) if (n * classes > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    const float *z = logits + i * classes;
    float *d = dx + i * classes;
    int64_t label = labels[i];
    if (hasIgnore && label == ignoreIndex) {
      std::fill(d, d + classes, 0.f);
      continue;
    }
    float mx = *std::max_element(z, z + classes);
    float k = static_cast<float>(scale / expSum(z, classes, mx, d));
    for (int64_t j = 0; j < classes; ++j)
      d[j] *= k;
    if (label >= 0 && label < classes)
      d[label] -= scale;
  }
  std::fill(dx + n * classes, dx + rows * positions * classes, 0.f);
}

//===----------------------------------------------------------------------===//
// Optimizers: torch.optim's single-tensor ("for-loop") formulas in fp32.
//===----------------------------------------------------------------------===//

/// torch.nn.utils.clip_grad_norm_'s factor: min(1, max / (norm + 1e-6)).
static float clipScale(const Context &ctx, const float *gradNorm) {
  if (!gradNorm || ctx.clipNorm <= 0)
    return 1.f;
  float coef = static_cast<float>(ctx.clipNorm) / (*gradNorm + 1e-6f);
  return std::min(coef, 1.f);
}

extern "C" void nngc_rt_grad_norm(void *c, int32_t count,
                                  const float *const *grads,
                                  const int64_t *sizes, float *out) {
  // Only clipping reads the norm: without it, skip the pass over every
  // gradient (5 % of the mlp's step).
  if (ctxOf(c).clipNorm <= 0) {
    *out = 0;
    return;
  }
  double total = 0;
  for (int32_t t = 0; t < count; ++t) {
    const float *g = grads[t];
    int64_t n = sizes[t];
    double acc = 0;
#pragma omp parallel for reduction(+ : acc) if (n > kParallelGrain)            \
    schedule(static)
    for (int64_t i = 0; i < n; ++i)
      acc += static_cast<double>(g[i]) * g[i];
    total += acc;
  }
  *out = static_cast<float>(std::sqrt(total));
}

/// Calls `f(tensor, begin, end)` for the pieces of the `count` tensors (of
/// `sizes` elements, laid end to end) that this thread's share of all
/// their elements covers: one static split of the concatenation, so one
/// parallel region updates every parameter.
template <typename F>
static void forEachShare(int32_t count, const int64_t *sizes, F f) {
  int64_t total = 0;
  for (int32_t t = 0; t < count; ++t)
    total += sizes[t];
  forEachThreadShare(total, [&](int64_t lo, int64_t hi) {
    int64_t base = 0;
    for (int32_t t = 0; t < count && base < hi; base += sizes[t++]) {
      int64_t b = std::max(lo, base), e = std::min(hi, base + sizes[t]);
      if (b < e)
        f(t, b - base, e - base);
    }
  });
}

/// torch.optim.SGD's coefficients for one step.
struct SGDCoeffs {
  float clip, lr, momentum, dampening;
  bool first, nesterov;
};

static SGDCoeffs sgdCoeffs(const Context &ctx, const float *gradNorm, double lr,
                           double momentum, double dampening,
                           int32_t nesterov) {
  return {clipScale(ctx, gradNorm),
          static_cast<float>(lr * ctx.lrScale),
          static_cast<float>(momentum),
          static_cast<float>(dampening),
          ctx.step <= 1,
          nesterov != 0};
}

/// Calls f(std::true_type) or f(std::false_type): a run-time flag as a
/// template argument, so that a kernel's loop has no branch on it.
template <typename F> static void withFlag(bool flag, F f) {
  if (flag)
    f(std::true_type{});
  else
    f(std::false_type{});
}

/// An SGD step over elements [b, e) of one tensor, with the options'
/// branches out of the loop (and the coefficients in registers, not
/// re-read through a pointer a store might alias), so that it vectorises.
/// The single- and multi-tensor kernels share it, so they compute the
/// same bits.
template <bool Decay, bool Momentum, bool First, bool Nesterov>
static void sgdLoop(SGDCoeffs k, float wd, float *__restrict param,
                    const float *__restrict grad, float *__restrict buffer,
                    int64_t b, int64_t e) {
  const float clip = k.clip, lr = k.lr, momentum = k.momentum,
              keep = 1 - k.dampening;
#pragma omp simd
  for (int64_t i = b; i < e; ++i) {
    float g = grad[i] * clip;
    if constexpr (Decay)
      g += wd * param[i];
    if constexpr (Momentum) {
      float m = First ? g : momentum * buffer[i] + keep * g;
      buffer[i] = m;
      g = Nesterov ? g + momentum * m : m;
    }
    param[i] -= lr * g;
  }
}

static void sgdRange(const SGDCoeffs &k, float wd, float *param,
                     const float *grad, float *buffer, int64_t b, int64_t e) {
  withFlag(wd != 0, [&](auto decay) {
    withFlag(buffer != nullptr, [&](auto momentum) {
      withFlag(k.first, [&](auto first) {
        withFlag(k.nesterov, [&](auto nesterov) {
          sgdLoop<decltype(decay)::value, decltype(momentum)::value,
                  decltype(first)::value, decltype(nesterov)::value>(
              k, wd, param, grad, buffer, b, e);
        });
      });
    });
  });
}

extern "C" void nngc_rt_sgd_update(void *c, int64_t n, float *param,
                                   const float *grad, float *buffer,
                                   const float *gradNorm, double lr,
                                   double momentum, double dampening,
                                   double weightDecay, int32_t nesterov) {
  SGDCoeffs k =
      sgdCoeffs(ctxOf(c), gradNorm, lr, momentum, dampening, nesterov);
  float wd = static_cast<float>(weightDecay);
  forEachShare(1, &n, [&](int32_t, int64_t b, int64_t e) {
    sgdRange(k, wd, param, grad, buffer, b, e);
  });
}

/// torch.optim.Adam's coefficients for one step.
struct AdamCoeffs {
  float clip, lr, beta1, beta2, eps, stepSize, bc2Sqrt;
  bool decoupled;
};

static AdamCoeffs adamCoeffs(const Context &ctx, const float *gradNorm,
                             double lrD, double beta1D, double beta2D,
                             double epsD, int32_t decoupled) {
  double t = static_cast<double>(std::max<int64_t>(ctx.step, 1));
  float lr = static_cast<float>(lrD * ctx.lrScale);
  // torch computes the bias corrections in Python floats (double).
  double bc1 = 1 - std::pow(beta1D, t);
  double bc2 = 1 - std::pow(beta2D, t);
  return {clipScale(ctx, gradNorm),           lr,
          static_cast<float>(beta1D),         static_cast<float>(beta2D),
          static_cast<float>(epsD),           static_cast<float>(lr / bc1),
          static_cast<float>(std::sqrt(bc2)), decoupled != 0};
}

/// An Adam(W) step over elements [b, e) of one tensor, shared by both
/// kernels; vectorised as sgdLoop.
template <bool Decoupled, bool Decay>
static void adamLoop(AdamCoeffs k, float wd, float *__restrict param,
                     const float *__restrict grad, float *__restrict expAvg,
                     float *__restrict expAvgSq, int64_t b, int64_t e) {
  const float clip = k.clip, shrink = 1 - k.lr * wd, beta1 = k.beta1,
              beta2 = k.beta2, keep1 = 1 - k.beta1, keep2 = 1 - k.beta2,
              bc2Sqrt = k.bc2Sqrt, eps = k.eps, stepSize = k.stepSize;
#pragma omp simd
  for (int64_t i = b; i < e; ++i) {
    float g = grad[i] * clip;
    if constexpr (Decoupled)
      param[i] *= shrink;
    else if constexpr (Decay)
      g += wd * param[i];
    // torch 1.13: exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    float m = expAvg[i] * beta1 + keep1 * g;
    float v = expAvgSq[i] * beta2 + keep2 * g * g;
    expAvg[i] = m;
    expAvgSq[i] = v;
    float denom = std::sqrt(v) / bc2Sqrt + eps;
    param[i] -= stepSize * m / denom;
  }
}

static void adamRange(const AdamCoeffs &k, float wd, float *param,
                      const float *grad, float *expAvg, float *expAvgSq,
                      int64_t b, int64_t e) {
  withFlag(k.decoupled, [&](auto decoupled) {
    withFlag(wd != 0, [&](auto decay) {
      adamLoop<decltype(decoupled)::value, decltype(decay)::value>(
          k, wd, param, grad, expAvg, expAvgSq, b, e);
    });
  });
}

extern "C" void nngc_rt_adam_update(void *c, int64_t n, float *param,
                                    const float *grad, float *expAvg,
                                    float *expAvgSq, const float *gradNorm,
                                    double lr, double beta1, double beta2,
                                    double eps, double weightDecay,
                                    int32_t decoupled) {
  AdamCoeffs k =
      adamCoeffs(ctxOf(c), gradNorm, lr, beta1, beta2, eps, decoupled);
  float wd = static_cast<float>(weightDecay);
  forEachShare(1, &n, [&](int32_t, int64_t b, int64_t e) {
    adamRange(k, wd, param, grad, expAvg, expAvgSq, b, e);
  });
}

extern "C" void
nngc_rt_multi_sgd_update(void *c, int32_t count, float *const *params,
                         const float *const *grads, float *const *buffers,
                         const int64_t *sizes, const double *weightDecays,
                         const float *gradNorm, double lr, double momentum,
                         double dampening, int32_t nesterov) {
  SGDCoeffs k =
      sgdCoeffs(ctxOf(c), gradNorm, lr, momentum, dampening, nesterov);
  forEachShare(count, sizes, [&](int32_t t, int64_t b, int64_t e) {
    sgdRange(k, static_cast<float>(weightDecays[t]), params[t], grads[t],
             buffers ? buffers[t] : nullptr, b, e);
  });
}

extern "C" void nngc_rt_multi_adam_update(
    void *c, int32_t count, float *const *params, const float *const *grads,
    float *const *expAvgs, float *const *expAvgSqs, const int64_t *sizes,
    const double *weightDecays, const float *gradNorm, double lr, double beta1,
    double beta2, double eps, int32_t decoupled) {
  AdamCoeffs k =
      adamCoeffs(ctxOf(c), gradNorm, lr, beta1, beta2, eps, decoupled);
  forEachShare(count, sizes, [&](int32_t t, int64_t b, int64_t e) {
    adamRange(k, static_cast<float>(weightDecays[t]), params[t], grads[t],
              expAvgs[t], expAvgSqs[t], b, e);
  });
}

//===----------------------------------------------------------------------===//
// Embeddings and dropout
//===----------------------------------------------------------------------===//

extern "C" void nngc_rt_embedding(void *c, int64_t n, int64_t vocab,
                                  int64_t dim, const int64_t *ids,
                                  const float *weight, float *out) {
  Context &ctx = ctxOf(c);
  for (int64_t i = 0; i < n; ++i) {
    float *row = out + i * dim;
    if (!labelOk(ctx, ids[i], vocab, "token id")) {
      std::fill(row, row + dim, 0.f);
      continue;
    }
    std::memcpy(row, weight + ids[i] * dim, dim * sizeof(float));
  }
}

extern "C" void nngc_rt_embedding_grad(void *, int64_t n, int64_t vocab,
                                       int64_t dim, int64_t paddingIdx,
                                       const float *grad, const int64_t *ids,
                                       float *out) {
  std::fill(out, out + vocab * dim, 0.f);
  for (int64_t i = 0; i < n; ++i) {
    int64_t id = ids[i];
    if (id < 0 || id >= vocab || id == paddingIdx)
      continue;
    float *row = out + id * dim;
    const float *g = grad + i * dim;
    for (int64_t j = 0; j < dim; ++j)
      row[j] += g[j];
  }
}

__attribute__((target_clones("avx2", "default"))) void
nngc::rt::dropoutRange(uint32_t k1, uint32_t k2, uint32_t threshold,
                       float scale, int64_t begin, int64_t end, const float *in,
                       float *out) {
  // Branch-free (in * 0 for a dropped element, as PyTorch's in * mask),
  // so that it vectorises.
#pragma omp simd
  for (int64_t i = begin; i < end; ++i)
    out[i] = in[i] * (dropoutDraw(k1, k2, static_cast<uint32_t>(i)) >= threshold
                          ? scale
                          : 0.f);
}

extern "C" void nngc_rt_dropout(void *c, int32_t s, int32_t training, int64_t n,
                                double p, const float *in, float *out) {
  p = dropoutP(ctxOf(c), p);
  if (!training || p == 0) {
    std::memmove(out, in, n * sizeof(float));
    return;
  }
  applyDropout(dropoutKey(ctxOf(c), s), n, p, in, out, ctxOf(c).shardRank * n);
}

extern "C" void nngc_rt_dropout_add(void *c, int32_t s, int32_t training,
                                    int64_t n, double p, const float *in,
                                    const float *addend, float *out) {
  // The dropout first (out may be `in`, never `addend`), then the add.
  nngc_rt_dropout(c, s, training, n, p, in, out);
  for (int64_t i = 0; i < n; ++i)
    out[i] += addend[i];
}

extern "C" void nngc_rt_dropout_grad(void *c, int32_t s, int64_t n, double p,
                                     const float *grad, float *out) {
  p = dropoutP(ctxOf(c), p);
  if (p == 0) {
    std::memmove(out, grad, n * sizeof(float));
    return;
  }
  applyDropout(dropoutKey(ctxOf(c), s), n, p, grad, out,
               ctxOf(c).shardRank * n);
}
