//===- DnnlUtils.h - oneDNN state shared by the runtime kernels -*- C++ -*-===//
//
// Internal to lib/Runtime: the Context's oneDNN engine and stream, and the
// slot table of primitives nngc_setup creates.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_DNNLUTILS_H
#define NNGC_LIB_RUNTIME_DNNLUTILS_H

#include "nngc/Runtime/Context.h"

#include <dnnl.hpp>

#include <unordered_map>
#include <vector>

namespace nngc::rt {

using dt = dnnl::memory::data_type;

struct Context::Dnnl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

inline Context &ctxOf(void *ctx) { return *static_cast<Context *>(ctx); }

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
      dnnl_primitive_execute(prim.get(), ctx.dnnl->stream.get(),
                             static_cast<int>(cArgs.size()), cArgs.data()),
      "could not execute a primitive");
  ctx.dnnl->stream.wait();
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
  return dnnl::memory(md, ctx.dnnl->engine, DNNL_MEMORY_NONE);
}

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

/// Whether element `i` of the mask `key` is kept (probability 1 - p).
inline bool dropoutKeep(uint64_t key, int64_t i, double p) {
  return static_cast<double>(mix64(key + static_cast<uint64_t>(i)) >> 11) *
             0x1.0p-53 >=
         p;
}

/// out = in * keep / (1 - p), elementwise, with the mask `key`.
inline void applyDropout(uint64_t key, int64_t n, double p, const float *in,
                         float *out) {
  float scale = static_cast<float>(1.0 / (1.0 - p));
#pragma omp parallel for if (n > kParallelGrain) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = dropoutKeep(key, i, p) ? in[i] * scale : 0.f;
}

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_DNNLUTILS_H
