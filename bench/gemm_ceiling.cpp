// The oneDNN f32 GEMM throughput of this machine, for the shapes of the
// benchmark models' matrix products: the ceiling a GEMM-bound training step
// can reach, against which nngc's and PyTorch's GFLOP/s per step are read
// (README, "Against issue 5's targets").
//
//   g++ -O2 bench/gemm_ceiling.cpp -o /tmp/gemm_ceiling -ldnnl
//   OMP_NUM_THREADS=2 /tmp/gemm_ceiling
//
// Each shape is M x K times K x N, B given as stored (transposed: PyTorch's
// [out, in] weight in a forward linear; plain: a backward's); warm caches,
// the median of 7 timings of 20 calls each.

#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace dnnl;

static double gflops(int64_t m, int64_t k, int64_t n, bool transA,
                     bool transB) {
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  using dims = memory::dims;
  memory::desc a({m, k}, memory::data_type::f32,
                 transA ? dims{1, m} : dims{k, 1});
  memory::desc b({k, n}, memory::data_type::f32,
                 transB ? dims{1, k} : dims{n, 1});
  memory::desc c({m, n}, memory::data_type::f32, dims{n, 1});
  matmul prim(matmul::primitive_desc(matmul::desc(a, b, c), eng));
  std::vector<float> av(m * k, 0.5f), bv(k * n, 0.25f), cv(m * n);
  memory ma(a, eng, av.data()), mb(b, eng, bv.data()), mc(c, eng, cv.data());
  auto run = [&] {
    prim.execute(
        s, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
  };
  for (int i = 0; i < 3; ++i)
    run();
  std::vector<double> times;
  for (int r = 0; r < 7; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i)
      run();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count() /
        20);
  }
  std::sort(times.begin(), times.end());
  return 2.0 * m * k * n / times[3] / 1e9;
}

int main() {
  struct Shape {
    const char *what;
    int64_t m, k, n;
    bool transA, transB;
  } shapes[] = {
      {"square 1024", 1024, 1024, 1024, false, false},
      {"mlp layer 1 forward (128x784, W^T)", 128, 784, 512, false, true},
      {"mlp layer 1 weight grad (dY^T X)", 512, 128, 784, true, false},
      {"mlp layer 2 forward (128x512, W^T)", 128, 512, 512, false, true},
      {"mlp layer 2 input grad (dY W)", 128, 512, 512, false, false},
      {"encoder_cls ff1 forward (2048x256, W^T)", 2048, 256, 1024, false, true},
      {"encoder_cls ff2 weight grad", 256, 2048, 1024, true, false},
      {"gpt_tiny c_attn forward (768x128, W^T)", 768, 128, 384, false, true},
  };
  for (const Shape &s : shapes)
    std::printf("%-44s %7.1f GFLOP/s\n", s.what,
                gflops(s.m, s.k, s.n, s.transA, s.transB));
}
