// An LD_PRELOAD library that counts heap allocations (malloc, calloc,
// realloc, the aligned variants, and so operator new) and prints them to
// stderr at exit, on two lines:
//
//   nngc allocations: N
//   library allocations: M in oneDNN, K in OpenMP, D in the CUDA driver
//
// An allocation is oneDNN's (OpenMP's) when libdnnl (libgomp) is on its
// call stack; the CUDA driver's (the fake driver's of the tests, or the
// NVIDIA driver's) when libcuda or libcublasLt is. no-alloc.test runs a trainer's timed steps under it twice,
// with different step counts.
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <execinfo.h>

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

static std::atomic<long> ours{0}, dnnl{0}, gomp{0}, cuda{0};
static thread_local bool busy = false;

/// Counts one allocation, by the library among its callers.
static void count() {
  if (busy) // backtrace() itself allocating
    return;
  busy = true;
  void *frames[16];
  int n = backtrace(frames, 16);
  std::atomic<long> *counter = &ours;
  for (int i = 1; i < n && counter == &ours; ++i) {
    Dl_info info;
    if (!dladdr(frames[i], &info) || !info.dli_fname)
      continue;
    if (std::strstr(info.dli_fname, "libdnnl"))
      counter = &dnnl;
    else if (std::strstr(info.dli_fname, "libgomp"))
      counter = &gomp;
    else if (std::strstr(info.dli_fname, "libcuda") ||
             std::strstr(info.dli_fname, "libcublasLt"))
      counter = &cuda;
  }
  counter->fetch_add(1, std::memory_order_relaxed);
  busy = false;
}

extern "C" {
void *malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void *calloc(size_t c, size_t n) {
  count();
  return __libc_calloc(c, n);
}
void *realloc(void *p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void *memalign(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}
void *aligned_alloc(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}
int posix_memalign(void **p, size_t align, size_t n) {
  count();
  *p = __libc_memalign(align, n);
  return *p ? 0 : ENOMEM;
}
void free(void *p) { __libc_free(p); }
}

__attribute__((destructor)) static void report() {
  std::fprintf(stderr,
               "nngc allocations: %ld\nlibrary allocations: %ld in oneDNN, "
               "%ld in OpenMP, %ld in the CUDA driver\n",
               ours.load(), dnnl.load(), gomp.load(), cuda.load());
}
