//===- BF16.h - Rounding f32 to bfloat16 ----------------------*- C++ -*-===//
//
// Internal to lib/Runtime: the one f32 -> bf16 rounding of the host code,
// to nearest, ties to even (as the GPU's cvt.rn.bf16.f32 and
// torch.Tensor.bfloat16()), a NaN staying a quiet NaN. nn.round_bf16's CPU
// kernel (Kernels.cpp) and the fake cuBLASLt's bf16 results
// (test/Runtime/FakeCuda) use it.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_BF16_H
#define NNGC_LIB_RUNTIME_BF16_H

#include <cstdint>
#include <cstring>

namespace nngc::rt {

/// The bf16 nearest to `v`: its 16 bits.
inline uint16_t bf16Bits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    bits |= 0x00400000u; // NaN: stays a (quiet) NaN
  else
    bits += 0x7fffu + ((bits >> 16) & 1u); // to nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

/// The f32 value of bf16 bits.
inline float fromBF16Bits(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_BF16_H
