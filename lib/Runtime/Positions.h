//===- Positions.h - The sinusoidal position table -------------*- C++ -*-===//
//
// Internal to lib/Runtime: nn.sinusoidal_positions' table, computed on the
// host by the CPU runtime (Transformer.cpp) and, once, for a CUDA trainer
// (lib/Runtime/Cuda), so both use the same bits. No oneDNN here.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_POSITIONS_H
#define NNGC_LIB_RUNTIME_POSITIONS_H

#include <cmath>
#include <cstdint>

namespace nngc::rt {

/// The [t, c] table, in f32 as the PyTorch tutorials' PositionalEncoding
/// computes it: pe[p, 2i] = sin(p / 10000^(2i/c)), pe[p, 2i+1] = cos(...).
inline void sinusoidalTable(int64_t t, int64_t c, float *out) {
  float step = static_cast<float>(-std::log(10000.0) / c);
  for (int64_t i = 0; i < c / 2; ++i) {
    float div = std::exp(static_cast<float>(2 * i) * step);
    for (int64_t p = 0; p < t; ++p) {
      float angle = static_cast<float>(p) * div;
      out[p * c + 2 * i] = std::sin(angle);
      out[p * c + 2 * i + 1] = std::cos(angle);
    }
  }
}

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_POSITIONS_H
