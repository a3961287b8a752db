//===- DnnlUtils.h - oneDNN state shared by the runtime kernels -*- C++ -*-===//
//
// Internal to lib/Runtime: the Context's oneDNN engine and stream, and the
// slot table of primitives nngc_setup creates.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_DNNLUTILS_H
#define NNGC_LIB_RUNTIME_DNNLUTILS_H

#include "Dropout.h"
#include "nngc/Runtime/Context.h"

#include <dnnl.hpp>

#include <omp.h>

#include <algorithm>
#include <cmath>

#include <unordered_map>
#include <vector>

namespace nngc::rt {

using dt = dnnl::memory::data_type;

struct Context::Dnnl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

inline Context &ctxOf(void *ctx) { return *static_cast<Context *>(ctx); }

/// The context's oneDNN engine and stream, created on first use.
inline Context::Dnnl &dnnlOf(Context &ctx) {
  if (!ctx.dnnl)
    ctx.dnnl = {new Context::Dnnl, [](Context::Dnnl *d) { delete d; }};
  return *ctx.dnnl;
}

/// Loops shorter than this run on one thread: below it, waking the OpenMP
/// team costs more than it saves.
inline constexpr int64_t kParallelGrain = 1 << 15;

/// Runs `prim` on `args` through oneDNN's C API, with an argument array
/// built on the first call (`cArgs`): the C++ `execute` builds a
/// std::vector on every call, and a training step allocates nothing
/// (test/e2e/no-alloc.test). `args` must not change after the first call.
inline void executeCached(Context &ctx, const dnnl::primitive &prim,
                          const std::unordered_map<int, dnnl::memory> &args,
                          std::vector<dnnl_exec_arg_t> &cArgs) {
  if (cArgs.empty())
    for (const auto &[arg, mem] : args)
      cArgs.push_back({arg, mem.get()});
  dnnl::error::wrap_c_api(
      dnnl_primitive_execute(prim.get(), dnnlOf(ctx).stream.get(),
                             static_cast<int>(cArgs.size()), cArgs.data()),
      "could not execute a primitive");
  dnnlOf(ctx).stream.wait();
}

/// A oneDNN primitive with its memory objects, whose data handles are set
/// to the step's pointers before each execution. The argument map is built
/// once: executing allocates nothing.
struct DnnlPrimitive : Primitive {
  dnnl::primitive prim;
  /// One memory per pointer `execute` takes, in order; an empty one for an
  /// argument the primitive was created without (no bias).
  std::vector<dnnl::memory> mems;
  std::unordered_map<int, dnnl::memory> args;
  std::vector<dnnl_exec_arg_t> cArgs;

  void addArg(int arg, dnnl::memory mem, bool present = true) {
    mems.push_back(present ? mem : dnnl::memory());
    if (present)
      args.emplace(arg, mem);
  }

  void execute(Context &ctx, std::initializer_list<const void *> ptrs) {
    size_t i = 0;
    for (const void *p : ptrs) {
      dnnl::memory &mem = mems[i++];
      if (mem)
        mem.set_data_handle(const_cast<void *>(p));
    }
    executeCached(ctx, prim, args, cArgs);
  }
};

template <typename T> T &slot(Context &ctx, int32_t s) {
  return static_cast<T &>(*ctx.primitives.at(s));
}

inline void store(Context &ctx, int32_t s, std::unique_ptr<Primitive> p) {
  if (ctx.primitives.size() <= static_cast<size_t>(s))
    ctx.primitives.resize(s + 1);
  ctx.primitives[s] = std::move(p);
}

inline dnnl::memory memoryFor(Context &ctx, const dnnl::memory::desc &md) {
  return dnnl::memory(md, dnnlOf(ctx).engine, DNNL_MEMORY_NONE);
}

/// out[i] = in[i] * scale where draw i >= threshold, else in[i] * 0, for i in
/// [begin, end) of one block of 2^32 elements (whose index is mixed into
/// k2). Kernels.cpp compiles it for AVX2 too, picked at load time where
/// the CPU has it: the hash's 32-bit multiplies then run eight at a time.
void dropoutRange(uint32_t k1, uint32_t k2, uint32_t threshold, float scale,
                  int64_t begin, int64_t end, const float *in, float *out);

/// Calls f(begin, end) on each OpenMP thread with its contiguous share of
/// [0, n), in whole cache lines (multiples of 16 floats); on one thread
/// when n is below kParallelGrain.
template <typename F> inline void forEachThreadShare(int64_t n, F f) {
#pragma omp parallel if (n > kParallelGrain)
  {
    int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t share = (n + threads - 1) / threads;
    share = (share + 15) / 16 * 16;
    int64_t begin = std::min(n, t * share), end = std::min(n, begin + share);
    f(begin, end);
  }
}

/// out = in * keep / (1 - p), elementwise, with elements [offset, offset +
/// n) of the mask `key` (a kernel that works in chunks passes each chunk's
/// offset, and draws the mask it would draw in one go).
inline void applyDropout(uint64_t key, int64_t n, double p, const float *in,
                         float *out, int64_t offset = 0) {
  float scale = static_cast<float>(1.0 / (1.0 - p));
  uint32_t threshold = dropoutThreshold(p);
  auto k1 = static_cast<uint32_t>(key), k2 = static_cast<uint32_t>(key >> 32);
  constexpr int64_t kBlock = int64_t(1) << 32;
  for (int64_t g = offset; g < offset + n;) {
    // The mask's elements [g, g + m) lie in its block g / 2^32, from
    // index `first` within it.
    int64_t block = g / kBlock, first = g % kBlock;
    int64_t m = std::min(kBlock - first, offset + n - g);
    uint32_t kb = k2 ^ hash32(static_cast<uint32_t>(block));
    const float *bin = in + (g - offset) - first;
    float *bout = out + (g - offset) - first;
    forEachThreadShare(m, [&](int64_t begin, int64_t end) {
      dropoutRange(k1, kb, threshold, scale, first + begin, first + end, bin,
                   bout);
    });
    g += m;
  }
}

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_DNNLUTILS_H
