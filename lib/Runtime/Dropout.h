//===- Dropout.h - The dropout masks' keys and draws -----------*- C++ -*-===//
//
// Internal to lib/Runtime: what the CPU kernels (applyDropout) and the CUDA
// runtime's launch arguments (lib/Runtime/Cuda) share, so that both draw
// the same masks. No oneDNN here.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_DROPOUT_H
#define NNGC_LIB_RUNTIME_DROPOUT_H

#include "nngc/Runtime/Context.h"

#include <cmath>
#include <cstdint>

namespace nngc::rt {

/// SplitMix64's finaliser: a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The key of one dropout mask: the run's seed, the optimizer step and a
/// stream id (the op's slot), so a step's forward and backward agree and
/// every step draws a fresh mask.
inline uint64_t dropoutKey(const Context &ctx, uint64_t stream) {
  return mix64(ctx.seed ^
               mix64(static_cast<uint64_t>(ctx.step) * 0x100000001b3ULL ^
                     mix64(stream)));
}

/// The dropout probability to use: the model's `p`, unless --dropout
/// replaced it.
inline double dropoutP(const Context &ctx, double p) {
  return ctx.dropoutOverride >= 0 ? ctx.dropoutOverride : p;
}

/// A 32-bit integer hash (Chris Wellons' "lowbias32"). Its multiplies are
/// 32-bit, which AVX2 vectorises eight lanes at a time; a 64-bit mix per
/// element was 13 % of encoder_cls's training step.
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/// Element `i`'s 32-bit draw of the mask with halves k1, k2: two rounds of
/// hash32 (one round would make masks of different keys shifts of one
/// sequence).
inline uint32_t dropoutDraw(uint32_t k1, uint32_t k2, uint32_t i) {
  return hash32(hash32(i ^ k1) + k2);
}

/// The draws below which an element is dropped: p of 2^32.
inline uint32_t dropoutThreshold(double p) {
  double t = std::ldexp(p, 32);
  return t >= 4294967295.0 ? 0xffffffffU : static_cast<uint32_t>(t);
}

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_DROPOUT_H
