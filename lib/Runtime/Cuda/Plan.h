//===- Plan.h - The CUDA runtime's arithmetic, without CUDA ----*- C++ -*-===//
//
// Internal to lib/Runtime/Cuda: how the runtime maps nngc's row-major
// products onto cuBLASLt's column-major strided batches, how attention's
// products view the heads, and how a launch's argument list is read. No
// CUDA header here, so unittests/Runtime/CudaPlanTest.cpp checks it on a
// machine without a GPU against a reference of cuBLASLt's semantics.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_CUDA_PLAN_H
#define NNGC_LIB_RUNTIME_CUDA_PLAN_H

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace nngc::rt::cuda {

/// The largest alignment (bytes, at most 64: the memory plan's) that a
/// buffer's base plus any multiple of these f32 element offsets keeps.
inline uint32_t alignmentOf(std::initializer_list<int64_t> offsets,
                            int64_t elementBytes = 4) {
  uint32_t align = 64;
  for (int64_t o : offsets)
    while (o != 0 && (o * elementBytes) % align != 0)
      align /= 2;
  return align;
}

/// One product, row-major: C (count of m x n, ldc, strideC) = op(A) op(B)
/// with A m x k (stored k x m if ta; lda, strideA) and B k x n (stored
/// n x k if tb; ldb, strideB).
struct ProductShape {
  int64_t m, k, n;
  bool ta, tb;
  int64_t lda, ldb, ldc;
  int64_t strideA, strideB, strideC, count;
  /// Element offsets between the products' pointers beyond the strides
  /// (attention's loops), for the alignment.
  int64_t stepA = 0, stepB = 0, stepC = 0;
};

/// The column-major matrix layout of one cuBLASLt operand.
struct Layout {
  int64_t rows, cols, ld, stride;
};

/// A row-major product as cuBLASLt's column-major C^T = op(B)^T op(A)^T:
/// its A is our B, its B our A; a row-major r x c matrix with row stride
/// ld is a column-major c x r one with leading dimension ld.
struct ColumnMajorCall {
  bool transA, transB;
  Layout a, b, c;
  int64_t count;
};

inline ColumnMajorCall columnMajor(const ProductShape &p) {
  ColumnMajorCall call;
  call.transA = p.tb;
  call.transB = p.ta;
  call.a = {p.tb ? p.k : p.n, p.tb ? p.n : p.k, p.ldb, p.strideB};
  call.b = {p.ta ? p.m : p.k, p.ta ? p.k : p.m, p.lda, p.strideA};
  call.c = {p.n, p.m, p.ldc, p.strideC};
  call.count = p.count;
  return call;
}

/// nngc's dense row-major (batch, m, k) x (batch, k, n) product (a batch
/// of one shared B with `sharedB`).
inline ProductShape denseProduct(int64_t batch, int64_t m, int64_t k, int64_t n,
                                 bool ta, bool tb, bool sharedB) {
  return {m,          k,          n, ta,    tb,
          ta ? m : k, tb ? k : n, n, m * k, sharedB ? 0 : k * n,
          m * n,      batch};
}

/// A row-major operand of an attention product: element (r, c) of
/// sequence b's head h at base + b * seq + h * head + r * ld + c.
struct HeadView {
  int64_t ld, seq, head;
};

/// An attention product over strided views of the heads: cuBLASLt batches
/// the larger of (sequences, heads), the runtime loops over the smaller,
/// `loops` calls `step*` elements apart.
struct HeadProductPlan {
  ProductShape shape;
  int64_t loops;
};

inline HeadProductPlan planHeadProduct(int64_t batch, int64_t heads, int64_t m,
                                       int64_t k, int64_t n, bool ta, bool tb,
                                       HeadView a, HeadView b, HeadView c) {
  bool overHeads = heads >= batch;
  auto batched = [&](HeadView v) { return overHeads ? v.head : v.seq; };
  auto looped = [&](HeadView v) { return overHeads ? v.seq : v.head; };
  ProductShape p{m,          k,          n,          ta,
                 tb,         a.ld,       b.ld,       c.ld,
                 batched(a), batched(b), batched(c), overHeads ? heads : batch,
                 looped(a),  looped(b),  looped(c)};
  return {p, overHeads ? batch : heads};
}

/// nn.attention's products for q (batch, tq, width), k and v (batch, tk,
/// width), `heads` heads, the probabilities (batch, heads, tq, tk):
/// forward S = Q K^T, O = P V; backward dV = P^T dO, dP = dO V^T,
/// dQ = dS K, dK = dS^T Q (the scale is the caller's alpha).
struct AttentionPlans {
  HeadProductPlan scores, context, dValue, dProbs, dQuery, dKey;
};

inline AttentionPlans planAttention(int64_t batch, int64_t heads, int64_t tq,
                                    int64_t tk, int64_t width) {
  int64_t d = width / heads;
  // [B, T, C] tensors seen as [B, heads, T, D]; P is [B, heads, Tq, Tk].
  HeadView qv{width, tq * width, d}, kv{width, tk * width, d},
      pv{tk, heads * tq * tk, tq * tk};
  auto plan = [&](int64_t m, int64_t k, int64_t n, bool ta, bool tb, HeadView a,
                  HeadView b, HeadView c) {
    return planHeadProduct(batch, heads, m, k, n, ta, tb, a, b, c);
  };
  return {plan(tq, d, tk, false, true, qv, kv, pv),
          plan(tq, tk, d, false, false, pv, kv, qv),
          plan(tk, tq, d, true, false, pv, qv, kv),
          plan(tq, d, tk, false, true, qv, kv, pv),
          plan(tq, tk, d, false, false, pv, kv, qv),
          plan(tk, tq, d, true, false, pv, qv, kv)};
}

/// `n` floats rounded up to the memory plan's 64 bytes, so that work
/// buffers placed one after another stay aligned.
inline int64_t paddedFloats(int64_t n) { return (n + 15) / 16 * 16; }

/// One argument of a launch (the kernel builder's names,
/// lib/Conversion/NNToGPU/KernelBuilder.h): a pointer (`t`; `t=16` for one
/// the kernel reads as vectors, which must be 16-byte aligned, `a` = 16;
/// or `ptr=NAME` for a work buffer the op's runtime call passes) or a
/// scalar the runtime computes, with the numbers after `=` (`lr=0.1`,
/// `adam_step_size=LR/B1`).
struct Scalar {
  enum Kind {
    Tensor,
    ValidRows,
    DropoutK1,
    DropoutK2,
    DropoutThreshold,
    DropoutScale,
    DropoutOffset,
    ClipNorm,
    Lr,
    SgdFirst,
    AdamStepSize,
    AdamBc2Sqrt,
    /// A recurrent stack's dropout after layer `a`, probability `a`:
    /// the CPU's layerDropoutKey, and no --dropout override.
    RnnDropoutK1,
    RnnDropoutK2,
    RnnDropoutThreshold,
    RnnDropoutScale,
    /// The addresses of check `a`'s record (train --check-numerics) of a
    /// tensor of `b` elements: its first bad element's key, its count.
    NumericsKey,
    NumericsCount,
    /// The clipping threshold, which also gates the launch: the gradient
    /// norm's kernels run only when the trainer clips.
    IfClipping
  } kind;
  double a = 0, b = 0;
};

inline Scalar parseScalar(const std::string &text) {
  std::string name = text, value;
  if (size_t eq = text.find('='); eq != std::string::npos) {
    name = text.substr(0, eq);
    value = text.substr(eq + 1);
  }
  // A work buffer's name says what it is; there is no number to read.
  if (name == "ptr")
    return {Scalar::Tensor};
  double a = 0, b = 0;
  try {
    if (!value.empty()) {
      size_t slash = value.find('/');
      a = std::stod(value.substr(0, slash));
      if (slash != std::string::npos)
        b = std::stod(value.substr(slash + 1));
    }
  } catch (const std::exception &) {
    throw std::runtime_error("CUDA: bad kernel argument '" + text + "'");
  }
  static const std::pair<const char *, Scalar::Kind> kinds[] = {
      {"t", Scalar::Tensor},
      {"valid_rows", Scalar::ValidRows},
      {"dropout_k1", Scalar::DropoutK1},
      {"dropout_k2", Scalar::DropoutK2},
      {"dropout_threshold", Scalar::DropoutThreshold},
      {"dropout_scale", Scalar::DropoutScale},
      {"dropout_offset", Scalar::DropoutOffset},
      {"clip_norm", Scalar::ClipNorm},
      {"lr", Scalar::Lr},
      {"sgd_first", Scalar::SgdFirst},
      {"adam_step_size", Scalar::AdamStepSize},
      {"adam_bc2_sqrt", Scalar::AdamBc2Sqrt},
      {"rnn_dropout_k1", Scalar::RnnDropoutK1},
      {"rnn_dropout_k2", Scalar::RnnDropoutK2},
      {"rnn_dropout_threshold", Scalar::RnnDropoutThreshold},
      {"rnn_dropout_scale", Scalar::RnnDropoutScale},
      {"numerics_key", Scalar::NumericsKey},
      {"numerics_count", Scalar::NumericsCount},
      {"if_clipping", Scalar::IfClipping}};
  for (auto [n, k] : kinds)
    if (name == n)
      return {k, a, b};
  throw std::runtime_error("CUDA: unknown kernel argument '" + text + "'");
}

} // namespace nngc::rt::cuda

#endif // NNGC_LIB_RUNTIME_CUDA_PLAN_H
