//===- CudaPlanTest.cpp - the CUDA runtime's product plans, without a GPU -===//
//
// The CUDA runtime hands cuBLASLt column-major strided batches for nngc's
// row-major products and for attention's views of the heads
// (lib/Runtime/Cuda/Plan.h). Here a reference of cuBLASLt's semantics
// (cublasLtMatmul with transposes, leading dimensions and strided
// batches) runs those plans on the CPU, and the results are checked
// against the products written out element by element.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Plan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace nngc::rt::cuda;

namespace {

/// cublasLtMatmul's D = alpha op(A) op(B) for column-major A, B, D (the
/// layouts of `call`), `count` batches `stride` apart.
void cublasLtReference(const ColumnMajorCall &call, float alpha, const float *a,
                       const float *b, float *c) {
  int64_t rows = call.c.rows, cols = call.c.cols;
  int64_t k = call.transA ? call.a.rows : call.a.cols;
  ASSERT_EQ(call.transA ? call.a.cols : call.a.rows, rows);
  ASSERT_EQ(call.transB ? call.b.rows : call.b.cols, cols);
  ASSERT_EQ(call.transB ? call.b.cols : call.b.rows, k);
  ASSERT_GE(call.a.ld, call.a.rows);
  ASSERT_GE(call.b.ld, call.b.rows);
  ASSERT_GE(call.c.ld, call.c.rows);
  for (int64_t i = 0; i < call.count; ++i) {
    const float *ai = a + i * call.a.stride, *bi = b + i * call.b.stride;
    float *ci = c + i * call.c.stride;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t col = 0; col < cols; ++col) {
        double sum = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          float av =
              call.transA ? ai[r * call.a.ld + kk] : ai[kk * call.a.ld + r];
          float bv =
              call.transB ? bi[kk * call.b.ld + col] : bi[col * call.b.ld + kk];
          sum += static_cast<double>(av) * bv;
        }
        ci[col * call.c.ld + r] = alpha * static_cast<float>(sum);
      }
  }
}

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Runs `plan` as the runtime does (headProductRun: `loops` calls, the
/// pointers `step*` apart; cuBLASLt's A is our B).
void runHeadPlan(const HeadProductPlan &plan, float alpha, const float *a,
                 const float *b, float *c) {
  ColumnMajorCall call = columnMajor(plan.shape);
  for (int64_t l = 0; l < plan.loops; ++l)
    cublasLtReference(call, alpha, b + l * plan.shape.stepB,
                      a + l * plan.shape.stepA, c + l * plan.shape.stepC);
}

void expectNear(const std::vector<float> &got, const std::vector<float> &want,
                const char *what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-5) << what << " element " << i;
}

TEST(CudaPlan, DenseProductsMatchRowMajor) {
  const int64_t batch = 3, m = 4, k = 5, n = 6;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int shared = 0; shared < 2; ++shared) {
        auto a = randomVector(batch * m * k, 1);
        auto b = randomVector((shared ? 1 : batch) * k * n, 2);
        std::vector<float> want(batch * m * n), got(batch * m * n, NAN);
        for (int64_t i = 0; i < batch; ++i)
          for (int64_t r = 0; r < m; ++r)
            for (int64_t c = 0; c < n; ++c) {
              double sum = 0;
              for (int64_t kk = 0; kk < k; ++kk) {
                // A stored (m, k) or, transposed, (k, m); B (k, n) or (n, k).
                float av =
                    ta ? a[i * m * k + kk * m + r] : a[i * m * k + r * k + kk];
                const float *bb = b.data() + (shared ? 0 : i * k * n);
                float bv = tb ? bb[c * k + kk] : bb[kk * n + c];
                sum += static_cast<double>(av) * bv;
              }
              want[i * m * n + r * n + c] = static_cast<float>(sum);
            }
        ProductShape p = denseProduct(batch, m, k, n, ta, tb, shared);
        cublasLtReference(columnMajor(p), 1.f, b.data(), a.data(), got.data());
        expectNear(got, want, "dense product");
      }
}

/// Element (b, t, h, d) of a [B, T, heads * D] tensor.
struct Heads {
  const std::vector<float> &v;
  int64_t t, heads, d;
  float operator()(int64_t b, int64_t i, int64_t h, int64_t dd) const {
    return v[(b * t + i) * heads * d + h * d + dd];
  }
};

/// Each attention product on the views of the heads, for both loop orders
/// (heads >= batch: batches over heads, loops over sequences; and the
/// reverse), with a cross-attention shape (Tq != Tk).
TEST(CudaPlan, AttentionProductsViewTheHeads) {
  struct Case {
    int64_t batch, heads, tq, tk, d;
  };
  for (Case cs :
       {Case{2, 3, 4, 5, 2}, Case{3, 2, 5, 4, 3}, Case{1, 1, 3, 3, 4}}) {
    int64_t B = cs.batch, H = cs.heads, Tq = cs.tq, Tk = cs.tk, D = cs.d,
            C = H * D;
    AttentionPlans plans = planAttention(B, H, Tq, Tk, C);
    auto q = randomVector(B * Tq * C, 3), k = randomVector(B * Tk * C, 4),
         v = randomVector(B * Tk * C, 5), dO = randomVector(B * Tq * C, 6),
         x = randomVector(B * H * Tq * Tk, 7);
    Heads Q{q, Tq, H, D}, K{k, Tk, H, D}, V{v, Tk, H, D}, dOut{dO, Tq, H, D};
    auto X = [&](int64_t b, int64_t h, int64_t i, int64_t j) {
      return x[((b * H + h) * Tq + i) * Tk + j];
    };
    const float scale = 0.5f;
    // [B, heads, Tq, Tk] results.
    std::vector<float> sWant(B * H * Tq * Tk), dpWant(B * H * Tq * Tk);
    // [B, T, C] results.
    std::vector<float> oWant(B * Tq * C), dqWant(B * Tq * C),
        dvWant(B * Tk * C), dkWant(B * Tk * C);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t i = 0; i < Tq; ++i)
          for (int64_t j = 0; j < Tk; ++j) {
            double s = 0, dp = 0;
            for (int64_t dd = 0; dd < D; ++dd) {
              s += Q(b, i, h, dd) * K(b, j, h, dd);
              dp += dOut(b, i, h, dd) * V(b, j, h, dd);
            }
            sWant[((b * H + h) * Tq + i) * Tk + j] = scale * s;
            dpWant[((b * H + h) * Tq + i) * Tk + j] = dp;
          }
        for (int64_t dd = 0; dd < D; ++dd) {
          for (int64_t i = 0; i < Tq; ++i) {
            double o = 0, dq = 0;
            for (int64_t j = 0; j < Tk; ++j) {
              o += X(b, h, i, j) * V(b, j, h, dd);
              dq += X(b, h, i, j) * K(b, j, h, dd);
            }
            oWant[(b * Tq + i) * C + h * D + dd] = o;
            dqWant[(b * Tq + i) * C + h * D + dd] = scale * dq;
          }
          for (int64_t j = 0; j < Tk; ++j) {
            double dv = 0, dk = 0;
            for (int64_t i = 0; i < Tq; ++i) {
              dv += X(b, h, i, j) * dOut(b, i, h, dd);
              dk += X(b, h, i, j) * Q(b, i, h, dd);
            }
            dvWant[(b * Tk + j) * C + h * D + dd] = dv;
            dkWant[(b * Tk + j) * C + h * D + dd] = scale * dk;
          }
        }
      }
    auto run = [&](const HeadProductPlan &plan, float alpha,
                   const std::vector<float> &a, const std::vector<float> &b,
                   size_t n) {
      std::vector<float> out(n, NAN);
      runHeadPlan(plan, alpha, a.data(), b.data(), out.data());
      return out;
    };
    expectNear(run(plans.scores, scale, q, k, sWant.size()), sWant, "S");
    expectNear(run(plans.context, 1, x, v, oWant.size()), oWant, "O");
    expectNear(run(plans.dValue, 1, x, dO, dvWant.size()), dvWant, "dV");
    expectNear(run(plans.dProbs, 1, dO, v, dpWant.size()), dpWant, "dP");
    expectNear(run(plans.dQuery, scale, x, k, dqWant.size()), dqWant, "dQ");
    expectNear(run(plans.dKey, scale, x, q, dkWant.size()), dkWant, "dK");
  }
}

TEST(CudaPlan, Alignment) {
  EXPECT_EQ(alignmentOf({}), 64u);
  EXPECT_EQ(alignmentOf({16, 0, 32}), 64u);
  EXPECT_EQ(alignmentOf({8}), 32u);
  EXPECT_EQ(alignmentOf({64, 2}), 8u);
  EXPECT_EQ(alignmentOf({3}), 4u);
  // bf16 elements (nngc-store-bf16): 2 bytes each.
  EXPECT_EQ(alignmentOf({8}, 2), 16u);
  EXPECT_EQ(alignmentOf({3}, 2), 2u);
  EXPECT_EQ(alignmentOf({32}, 2), 64u);
  EXPECT_EQ(paddedFloats(1), 16);
  EXPECT_EQ(paddedFloats(32), 32);
}

TEST(CudaPlan, LaunchArguments) {
  EXPECT_EQ(parseScalar("t").kind, Scalar::Tensor);
  EXPECT_EQ(parseScalar("t").a, 0);
  // A tensor the kernel reads as vectors: the alignment its pointer needs.
  Scalar vectors = parseScalar("t=16");
  EXPECT_EQ(vectors.kind, Scalar::Tensor);
  EXPECT_DOUBLE_EQ(vectors.a, 16);
  EXPECT_EQ(parseScalar("ptr=attention_scores").kind, Scalar::Tensor);
  Scalar adam = parseScalar("adam_step_size=0.001/0.9");
  EXPECT_EQ(adam.kind, Scalar::AdamStepSize);
  EXPECT_DOUBLE_EQ(adam.a, 0.001);
  EXPECT_DOUBLE_EQ(adam.b, 0.9);
  Scalar offset = parseScalar("dropout_offset=64");
  EXPECT_EQ(offset.kind, Scalar::DropoutOffset);
  EXPECT_DOUBLE_EQ(offset.a, 64);
  EXPECT_THROW(parseScalar("lr=fast"), std::runtime_error);
  EXPECT_THROW(parseScalar("warp_size"), std::runtime_error);
}

} // namespace
