//===- TensorKernels.cpp - reductions, slices, concatenation --------------===//
//
// The ABI's [outer, n, inner] kernels (include/nngc/Runtime/ABI.h): plain
// loops over contiguous rows of `inner` elements, parallel over `outer`
// when the tensor is large.
//
//===----------------------------------------------------------------------===//

#include "DnnlUtils.h"
#include "nngc/Runtime/ABI.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace nngc::rt;

namespace {
/// Element (o, k, i) of an [outer, n, inner] tensor and its mask value.
struct View {
  int64_t outer, n, inner, maskDiv;
  const float *mask;
  int64_t at(int64_t o, int64_t k) const { return (o * n + k) * inner; }
  bool kept(int64_t o, int64_t k, int64_t i) const {
    return !mask || mask[(at(o, k) + i) / maskDiv] != 0.f;
  }
};
} // namespace

extern "C" void nngc_rt_reduce(void *, int32_t kind, int64_t outer, int64_t n,
                               int64_t inner, int64_t maskDiv, const float *in,
                               const float *mask, float *out) {
  View v{outer, n, inner, maskDiv, mask};
#pragma omp parallel for if (outer * n * inner > kParallelGrain)               \
    schedule(static)
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double acc = 0;
      float best = -std::numeric_limits<float>::infinity();
      int64_t count = 0;
      for (int64_t k = 0; k < n; ++k) {
        if (!v.kept(o, k, i))
          continue;
        float x = in[v.at(o, k) + i];
        acc += x;
        best = std::max(best, x);
        ++count;
      }
      float r = 0.f;
      if (count) {
        if (kind == NNGC_REDUCE_SUM)
          r = static_cast<float>(acc);
        else if (kind == NNGC_REDUCE_MEAN)
          r = static_cast<float>(acc / count);
        else
          r = best;
      }
      out[o * inner + i] = r;
    }
  }
}

extern "C" void nngc_rt_reduce_grad(void *, int32_t kind, int64_t outer,
                                    int64_t n, int64_t inner, int64_t maskDiv,
                                    const float *grad, const float *in,
                                    const float *out, const float *mask,
                                    float *dx) {
  View v{outer, n, inner, maskDiv, mask};
#pragma omp parallel for if (outer * n * inner > kParallelGrain)               \
    schedule(static)
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      float g = grad[o * inner + i];
      int64_t count = 0, first = -1;
      for (int64_t k = 0; k < n; ++k) {
        if (!v.kept(o, k, i))
          continue;
        ++count;
        if (first < 0 && in[v.at(o, k) + i] == out[o * inner + i])
          first = k;
      }
      for (int64_t k = 0; k < n; ++k) {
        float d = 0.f;
        if (v.kept(o, k, i)) {
          if (kind == NNGC_REDUCE_SUM)
            d = g;
          else if (kind == NNGC_REDUCE_MEAN)
            d = g / static_cast<float>(count);
          else
            d = k == first ? g : 0.f;
        }
        dx[v.at(o, k) + i] = d;
      }
    }
  }
}

extern "C" void nngc_rt_slice(void *, int64_t outer, int64_t inN, int64_t inner,
                              int64_t start, int64_t outN, const float *in,
                              float *out) {
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(out + o * outN * inner, in + (o * inN + start) * inner,
                outN * inner * sizeof(float));
}

extern "C" void nngc_rt_slice_grad(void *, int64_t outer, int64_t outN,
                                   int64_t inner, int64_t start, int64_t inN,
                                   const float *grad, float *out) {
  std::fill(out, out + outer * outN * inner, 0.f);
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(out + (o * outN + start) * inner, grad + o * inN * inner,
                inN * inner * sizeof(float));
}

extern "C" void nngc_rt_concat(void *, int32_t count, int64_t outer,
                               int64_t inner, const int64_t *sizes,
                               const float *const *inputs, float *out) {
  int64_t total = 0;
  for (int32_t j = 0; j < count; ++j)
    total += sizes[j];
  for (int64_t o = 0; o < outer; ++o) {
    float *dst = out + o * total * inner;
    for (int32_t j = 0; j < count; ++j) {
      std::memcpy(dst, inputs[j] + o * sizes[j] * inner,
                  sizes[j] * inner * sizeof(float));
      dst += sizes[j] * inner;
    }
  }
}
