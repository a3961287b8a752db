//===- AllReduce.cpp - the generated step's gradient all-reduce calls -----===//
//
// nngc_rt_all_reduce_start / _wait (ABI.h) on the context's data-parallel
// job (Collectives.h). They are in every trainer's runtime, so that a
// distributed trainer also runs as one process (`sample`, `info`, or
// `train` without mpirun): then there is no job, and the sum over one
// rank is the rank's own scaled gradient.
//
//===----------------------------------------------------------------------===//

#include "DnnlUtils.h"
#include "nngc/Runtime/ABI.h"
#include "nngc/Runtime/Collectives.h"

using namespace nngc::rt;

extern "C" void nngc_rt_all_reduce_start(void *c, int32_t bucket, float *grads,
                                         int64_t n) {
  Context &ctx = ctxOf(c);
  float scale = ctx.gradScale;
  if (scale != 1.f)
    forEachThreadShare(n, [&](int64_t begin, int64_t end) {
#pragma omp simd
      for (int64_t i = begin; i < end; ++i)
        grads[i] *= scale;
    });
  if (ctx.comm)
    ctx.comm->startSum(bucket, grads, n);
}

extern "C" void nngc_rt_all_reduce_wait(void *c, int32_t bucket, float *,
                                        int64_t) {
  Context &ctx = ctxOf(c);
  if (ctx.comm)
    ctx.comm->wait(bucket);
}
