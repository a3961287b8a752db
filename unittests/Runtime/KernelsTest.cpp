//===- KernelsTest.cpp - CPU kernels with a closed form -------------------===//

#include "nngc/Runtime/ABI.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t bitsOf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

std::vector<float> round(const std::vector<float> &in) {
  std::vector<float> out(in.size());
  nngc_rt_round_bf16(nullptr, static_cast<int64_t>(in.size()), in.data(),
                     out.data());
  return out;
}

// nn.round_bf16: to the nearest bf16 (8 bits of significand), ties to
// even, as f32 with the low 16 bits 0.
TEST(RoundBF16Test, NearestTiesToEven) {
  float ulp = std::ldexp(1.0f, -7); // bf16's spacing in [1, 2)
  std::vector<float> in = {
      1.0f,                                   // exact
      -2.5f,                                  // exact
      1.0f + ulp / 2,                         // a tie: to even (1)
      1.0f + 3 * ulp / 2,                     // a tie: to even (1 + 2 ulp)
      1.0f + ulp / 2 + std::ldexp(1.0f, -20), // above the tie: up
      1.0f + ulp / 4,                         // below half: down
      -(1.0f + 3 * ulp / 4), // negative, above half: away from 0
      0.0f,
      -0.0f,
  };
  std::vector<float> want = {1.0f,           -2.5f,      1.0f,
                             1.0f + 2 * ulp, 1.0f + ulp, 1.0f,
                             -(1.0f + ulp),  0.0f,       -0.0f};
  std::vector<float> got = round(in);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(bitsOf(got[i]), bitsOf(want[i])) << "element " << i;
    EXPECT_EQ(bitsOf(got[i]) & 0xffffu, 0u) << "element " << i;
  }
}

TEST(RoundBF16Test, InfinitiesNaNsAndOverflow) {
  float inf = std::numeric_limits<float>::infinity();
  // The largest finite bf16 is 0x7f7f0000; the f32 maximum rounds up to
  // infinity, as IEEE rounding to nearest does.
  std::vector<float> got =
      round({inf, -inf, std::numeric_limits<float>::quiet_NaN(),
             fromBits(0x7f800001u), std::numeric_limits<float>::max(),
             fromBits(0x7f7f0000u)});
  EXPECT_EQ(got[0], inf);
  EXPECT_EQ(got[1], -inf);
  EXPECT_TRUE(std::isnan(got[2]));
  EXPECT_TRUE(std::isnan(got[3])) << "a signalling NaN stays a NaN";
  EXPECT_EQ(got[4], inf);
  EXPECT_EQ(bitsOf(got[5]), 0x7f7f0000u);
}

} // namespace
