//===- FakeCuda.cpp - a CUDA driver and cuBLASLt on the host, for tests ---===//
//
// Built twice, as test/fake-cuda/libcuda.so.1 and libcublasLt.so.13, so
// that a CUDA trainer (which dlopens both, lib/Runtime/Cuda) runs its host
// code on a machine without a GPU: device memory is host memory, copies
// are memcpy, and cublasLtMatmul computes the product its descriptors
// describe (transposes, leading dimensions, strided batches, the bias and
// ReLU epilogues, beta). Kernels are looked up by name in the PTX the
// trainer embeds (a missing entry fails as the driver would). By default
// they do not run, which checks that the runtime's setup, launches,
// products, copies and the trainer's loops hold together
// (test/e2e/cuda-fake-driver.test). With NNGC_FAKE_CUDA_KERNELS naming the
// kernels compiled for the host (nngc-gpu-kernels-to-host), each launch
// runs them: a block's threads as fibers that meet at warp shuffles and
// barriers, so the CUDA trainer computes on the host
// (test/e2e/cuda-emulated.test). With NNGC_FAKE_CUDA_STATS set it prints
// what it was asked to do at exit.
//
// Stream capture and CUDA graphs: between cuStreamBeginCapture and
// cuStreamEndCapture, launches, copies, memsets and cuBLASLt products are
// recorded as the graph's nodes instead of run (a kernel node keeps a copy
// of its parameters, sized from the PTX entry's .param list, as the driver
// does); cuGraphLaunch runs an instantiated graph's nodes in order, and
// cuGraphExecKernelNodeSetParams replaces a kernel node's parameters. As
// the driver, it refuses what a capture cannot hold (waiting for the
// stream or an event, allocating, copying from pageable host memory): the
// call fails and the capture is invalidated.
//
//===----------------------------------------------------------------------===//

#include "BF16.h"

#include <cublasLt.h>
#include <cuda.h>

#include <dlfcn.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace {

struct Stats {
  long launches = 0, products = 0, allocations = 0, deviceAllocations = 0;
  long graphs = 0, graphLaunches = 0, nodeUpdates = 0;
  long long bytesCopied = 0;
  /// The largest workspace a product was given.
  long long workspaceBytes = 0;
  ~Stats() {
    if (std::getenv("NNGC_FAKE_CUDA_STATS"))
      std::fprintf(stderr,
                   "fake cuda: %ld launches, %ld products, %ld allocations, "
                   "%lld bytes copied, workspace %lld bytes, %ld device "
                   "allocations, %ld graphs, %ld graph launches, %ld kernel "
                   "node updates\n",
                   launches, products, allocations, bytesCopied, workspaceBytes,
                   deviceAllocations, graphs, graphLaunches, nodeUpdates);
  }
} stats;

std::string ptx;

/// A GPU's sticky fault: NNGC_FAKE_CUDA_FAIL=TEXT makes the first kernel
/// whose name contains TEXT "fault" (an illegal address). As on a GPU its
/// launch succeeds, and every call that waits for the stream, copies or
/// launches after it fails.
CUresult fault = CUDA_SUCCESS;

/// With NNGC_FAKE_CUDA_KERNELS: the kernels compiled for the host
/// (nngc-gpu-kernels-to-host), which cuLaunchKernel runs.
void *hostKernels = nullptr;

struct Function {
  std::string name;
  /// K_entry(params, shared) of the host kernels (null: not run).
  void (*entry)(void **, void **) = nullptr;
  /// Bytes of each shared array, and whether the kernel synchronises
  /// threads (shuffles, barriers): then its threads run as fibers.
  std::vector<size_t> shared;
  bool synchronises = false;
  /// The bytes of each parameter (the PTX entry's .param list), for the
  /// copy a captured launch keeps.
  std::vector<size_t> params;
};
std::map<std::string, Function> functions;

/// The PTX of entry `name`, up to the next entry.
std::string entryText(const std::string &name) {
  size_t at = ptx.find(".entry " + name + "(");
  if (at == std::string::npos)
    return "";
  size_t end = ptx.find(".entry ", at + 7);
  return ptx.substr(at,
                    end == std::string::npos ? std::string::npos : end - at);
}

//===----------------------------------------------------------------------===//
// The emulator: a block's threads run as fibers that meet at warp shuffles
// (the 32 lanes of a warp) and barriers (the whole block).
//===----------------------------------------------------------------------===//

struct Fiber {
  ucontext_t context;
  std::vector<char> stack;
  enum State { Ready, AtShuffle, AtBarrier, Done } state = Ready;
  int64_t thread = 0;
  unsigned shuffles = 0;
};

struct Grid {
  int64_t block = 0, blockDim = 1, gridDim = 1, thread = 0;
  Fiber *current = nullptr;
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  /// Each thread's value at its last two shuffles (by their parity).
  std::vector<float> slots[2];
  void (*entry)(void **, void **) = nullptr;
  void **params = nullptr, **shared = nullptr;
} grid;

void fiberMain() {
  grid.entry(grid.params, grid.shared);
  grid.current->state = Fiber::Done;
}

void yield() { swapcontext(&grid.current->context, &grid.scheduler); }

bool runBlock() {
  int64_t n = grid.blockDim;
  if (grid.fibers.size() < static_cast<size_t>(n))
    grid.fibers.resize(n);
  grid.slots[0].assign(n, 0.f);
  grid.slots[1].assign(n, 0.f);
  for (int64_t t = 0; t < n; ++t) {
    Fiber &f = grid.fibers[t];
    // The kernels call nothing deep: 64 KiB a thread.
    if (f.stack.size() < 64 * 1024)
      f.stack.resize(64 * 1024);
    f.state = Fiber::Ready;
    f.thread = t;
    f.shuffles = 0;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.data();
    f.context.uc_stack.ss_size = f.stack.size();
    f.context.uc_link = &grid.scheduler;
    makecontext(&f.context, fiberMain, 0);
  }
  for (;;) {
    bool ran = false, live = false;
    for (int64_t t = 0; t < n; ++t) {
      Fiber &f = grid.fibers[t];
      if (f.state != Fiber::Ready)
        continue;
      ran = true;
      grid.current = &f;
      grid.thread = t;
      swapcontext(&grid.scheduler, &f.context);
    }
    // A warp whose live lanes all wait at a shuffle goes on; so does a
    // block whose live threads all wait at a barrier.
    bool released = false, allAtBarrier = true;
    for (int64_t w = 0; w < n; w += 32) {
      bool all = true, any = false;
      for (int64_t t = w; t < w + 32 && t < n; ++t) {
        Fiber::State s = grid.fibers[t].state;
        if (s != Fiber::Done)
          live = true, any = true;
        if (s != Fiber::Done && s != Fiber::AtShuffle)
          all = false;
        if (s != Fiber::Done && s != Fiber::AtBarrier)
          allAtBarrier = false;
      }
      if (all && any)
        for (int64_t t = w; t < w + 32 && t < n; ++t)
          if (grid.fibers[t].state == Fiber::AtShuffle) {
            grid.fibers[t].state = Fiber::Ready;
            released = true;
          }
    }
    if (!live)
      return true;
    if (allAtBarrier) {
      for (int64_t t = 0; t < n; ++t)
        if (grid.fibers[t].state == Fiber::AtBarrier)
          grid.fibers[t].state = Fiber::Ready;
      released = true;
    }
    if (!ran && !released)
      return false; // threads wait for each other: a deadlock
  }
}

CUdeviceptr allocate(size_t bytes) {
  void *p = nullptr;
  if (posix_memalign(&p, 256, bytes ? bytes : 1) != 0)
    return 0;
  ++stats.allocations;
  return reinterpret_cast<CUdeviceptr>(p);
}

CUresult copy(void *dst, const void *src, size_t bytes) {
  std::memmove(dst, src, bytes);
  stats.bytesCopied += static_cast<long long>(bytes);
  return CUDA_SUCCESS;
}

/// The pinned host blocks (cuMemAllocHost): start -> bytes.
std::map<uintptr_t, size_t> pinned;
bool isPinned(const void *p, size_t bytes) {
  auto at = reinterpret_cast<uintptr_t>(p);
  auto it = pinned.upper_bound(at);
  if (it == pinned.begin())
    return false;
  --it;
  return at + bytes <= it->first + it->second;
}

//===----------------------------------------------------------------------===//
// Stream capture and graphs
//===----------------------------------------------------------------------===//

struct GraphNode {
  size_t index = 0;
  /// A kernel node: the function, its shape and a copy of its parameters
  /// (at `offsets` in `bytes`).
  Function *fn = nullptr;
  unsigned grid = 0, block = 0;
  std::vector<char> bytes;
  std::vector<size_t> offsets;
  /// Any other node (a copy, a memset, a product): what it does.
  std::function<CUresult()> run;

  void setParams(Function &f, unsigned gx, unsigned bx, void **params) {
    fn = &f, grid = gx, block = bx;
    offsets.clear();
    size_t at = 0;
    for (size_t n : f.params) {
      offsets.push_back(at);
      at += (n + 7) / 8 * 8;
    }
    bytes.assign(at, 0);
    for (size_t i = 0; i < f.params.size(); ++i)
      std::memcpy(bytes.data() + offsets[i], params[i], f.params[i]);
  }
};
struct FakeGraph {
  std::vector<std::unique_ptr<GraphNode>> nodes;
};
struct FakeExec {
  std::vector<GraphNode> nodes;
};

/// The capture in progress (the runtime captures one stream), whether a
/// refused call invalidated it, and the node recorded last.
FakeGraph *capture = nullptr;
bool captureInvalid = false;
unsigned long long captureId = 0;
CUgraphNode lastNode = nullptr;

/// A call a capture cannot hold: it fails and invalidates the capture.
bool refusedInCapture() {
  if (!capture)
    return false;
  captureInvalid = true;
  return true;
}

/// A new node of the capture: the one the stream's next work follows.
GraphNode &addNode() {
  auto n = std::make_unique<GraphNode>();
  n->index = capture->nodes.size();
  lastNode = reinterpret_cast<CUgraphNode>(n.get());
  capture->nodes.push_back(std::move(n));
  return *capture->nodes.back();
}

/// Runs `op` now, or records it in the capture as a node.
CUresult submit(std::function<CUresult()> op) {
  if (!capture)
    return op();
  addNode().run = std::move(op);
  return CUDA_SUCCESS;
}

/// The driver copy's submit, from either copy of this file: the products
/// of the cuBLASLt copy are nodes of the driver's capture.
CUresult submitToDriver(std::function<CUresult()> op) {
  using Submit = CUresult (*)(std::function<CUresult()> *);
  static Submit driver = [] {
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    return h ? reinterpret_cast<Submit>(dlsym(h, "nngc_fake_submit")) : nullptr;
  }();
  return driver ? driver(&op) : op();
}

CUresult runKernel(Function &fn, unsigned gx, unsigned bx, void **params);

} // namespace

extern "C" {

int64_t nngc_emu_thread_id() { return grid.thread; }
int64_t nngc_emu_block_id() { return grid.block; }
int64_t nngc_emu_block_dim() { return grid.blockDim; }
int64_t nngc_emu_grid_dim() { return grid.gridDim; }
float nngc_emu_shuffle_xor(float v, int32_t offset) {
  Fiber &f = *grid.current;
  unsigned parity = f.shuffles++ & 1;
  int64_t t = f.thread;
  grid.slots[parity][t] = v;
  f.state = Fiber::AtShuffle;
  yield();
  int64_t partner = (t & ~int64_t(31)) | ((t & 31) ^ offset);
  return grid.slots[parity][partner];
}
void nngc_emu_barrier() {
  grid.current->state = Fiber::AtBarrier;
  yield();
}

CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }
CUresult cuGetErrorName(CUresult r, const char **name) {
  *name = r == CUDA_ERROR_NOT_FOUND         ? "CUDA_ERROR_NOT_FOUND"
          : r == CUDA_ERROR_ILLEGAL_ADDRESS ? "CUDA_ERROR_ILLEGAL_ADDRESS"
          : r == CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED
              ? "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"
          : r == CUDA_ERROR_STREAM_CAPTURE_INVALIDATED
              ? "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"
          : r == CUDA_ERROR_NOT_SUPPORTED ? "CUDA_ERROR_NOT_SUPPORTED"
                                          : "CUDA_ERROR_FAKE";
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGet(CUdevice *device, int) {
  *device = 0;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice) {
  std::snprintf(name, len, "nngc fake CUDA device (host memory, no kernels)");
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute a, CUdevice) {
  *value = a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ? 9 : 0;
  return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem(size_t *bytes, CUdevice) {
  *bytes = size_t(1) << 30;
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice) {
  *ctx = reinterpret_cast<CUcontext>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }
CUresult cuStreamCreate(CUstream *stream, unsigned int) {
  *stream = reinterpret_cast<CUstream>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(CUstream) {
  return refusedInCapture() ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : fault;
}
CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int,
                            CUjit_option *, void **) {
  ptx = static_cast<const char *>(image);
  if (ptx.find(".version") == std::string::npos)
    return CUDA_ERROR_INVALID_IMAGE;
  if (const char *path = std::getenv("NNGC_FAKE_CUDA_KERNELS")) {
    hostKernels = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!hostKernels) {
      std::fprintf(stderr, "fake cuda: %s\n", dlerror());
      return CUDA_ERROR_INVALID_IMAGE;
    }
  }
  *module = reinterpret_cast<CUmodule>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuModuleGetFunction(CUfunction *f, CUmodule, const char *name) {
  if (ptx.find(std::string(".entry ") + name + "(") == std::string::npos)
    return CUDA_ERROR_NOT_FOUND;
  Function &fn = functions[name];
  fn.name = name;
  {
    // `.param .u64 name`, `.param .align 8 .b8 name[16]`.
    std::string text = entryText(name);
    text = text.substr(0, text.find(')'));
    std::regex param(
        R"(\.param\s+(?:\.align\s+[0-9]+\s+)?\.[a-z]([0-9]+)\s+[A-Za-z_0-9$]+(?:\[([0-9]+)\])?)");
    fn.params.clear();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), param);
         it != std::sregex_iterator(); ++it)
      fn.params.push_back(std::stoul((*it)[1].str()) / 8 *
                          ((*it)[2].matched ? std::stoul((*it)[2].str()) : 1));
  }
  if (hostKernels) {
    fn.entry = reinterpret_cast<void (*)(void **, void **)>(
        dlsym(hostKernels, (fn.name + "_entry").c_str()));
    if (!fn.entry) {
      std::fprintf(stderr, "fake cuda: no host kernel %s\n", name);
      return CUDA_ERROR_NOT_FOUND;
    }
    std::string text = entryText(name);
    fn.synchronises = text.find("shfl.") != std::string::npos ||
                      text.find("bar.sync") != std::string::npos;
    std::regex shared("__wg_" + fn.name + "_([0-9]+)\\[([0-9]+)\\]");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), shared);
         it != std::sregex_iterator(); ++it)
      fn.shared.push_back(std::stoul((*it)[2].str()));
  }
  *f = reinterpret_cast<CUfunction>(&fn);
  return CUDA_SUCCESS;
}
CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy,
                        unsigned int gz, unsigned int bx, unsigned int by,
                        unsigned int bz, unsigned int, CUstream, void **params,
                        void **) {
  if (!f || !params || gx == 0 || gy != 1 || gz != 1 || bx == 0 || bx > 1024 ||
      by != 1 || bz != 1)
    return CUDA_ERROR_INVALID_VALUE;
  if (fault != CUDA_SUCCESS)
    return fault;
  auto &fn = *reinterpret_cast<Function *>(f);
  if (capture) {
    addNode().setParams(fn, gx, bx, params);
    return CUDA_SUCCESS;
  }
  return runKernel(fn, gx, bx, params);
}
} // extern "C"

namespace {
CUresult runKernel(Function &fn, unsigned gx, unsigned bx, void **params) {
  if (fault != CUDA_SUCCESS)
    return fault;
  ++stats.launches;
  if (const char *fail = std::getenv("NNGC_FAKE_CUDA_FAIL");
      fail && *fail && fn.name.find(fail) != std::string::npos) {
    fault = CUDA_ERROR_ILLEGAL_ADDRESS;
    return CUDA_SUCCESS;
  }
  if (!fn.entry)
    return CUDA_SUCCESS;
  std::vector<std::vector<char>> shared(fn.shared.size());
  std::vector<void *> sharedPtrs;
  for (size_t i = 0; i < fn.shared.size(); ++i) {
    shared[i].assign(fn.shared[i], 0);
    sharedPtrs.push_back(shared[i].data());
  }
  grid.entry = fn.entry;
  grid.params = params;
  grid.shared = sharedPtrs.data();
  grid.blockDim = bx;
  grid.gridDim = gx;
  for (int64_t b = 0; b < gx; ++b) {
    grid.block = b;
    if (!fn.synchronises) {
      // No thread waits for another: plain calls.
      for (int64_t t = 0; t < bx; ++t) {
        grid.thread = t;
        fn.entry(params, grid.shared);
      }
      continue;
    }
    for (auto &s : shared)
      std::fill(s.begin(), s.end(), 0);
    if (!runBlock()) {
      std::fprintf(stderr, "fake cuda: %s: its threads wait for each other\n",
                   fn.name.c_str());
      return CUDA_ERROR_LAUNCH_FAILED;
    }
  }
  return CUDA_SUCCESS;
}
} // namespace

extern "C" {
CUresult cuStreamBeginCapture(CUstream, CUstreamCaptureMode) {
  if (capture)
    return CUDA_ERROR_ILLEGAL_STATE;
  // NNGC_FAKE_CUDA_NO_CAPTURE=1: a driver that cannot capture (for the
  // runtime's fallback to launches).
  if (const char *no = std::getenv("NNGC_FAKE_CUDA_NO_CAPTURE"); no && *no)
    return CUDA_ERROR_NOT_SUPPORTED;
  capture = new FakeGraph;
  captureInvalid = false;
  ++captureId;
  lastNode = nullptr;
  return CUDA_SUCCESS;
}
CUresult cuStreamEndCapture(CUstream, CUgraph *graph) {
  if (!capture)
    return CUDA_ERROR_ILLEGAL_STATE;
  FakeGraph *g = capture;
  capture = nullptr;
  lastNode = nullptr;
  if (captureInvalid) {
    delete g;
    *graph = nullptr;
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  *graph = reinterpret_cast<CUgraph>(g);
  return CUDA_SUCCESS;
}
CUresult cuStreamGetCaptureInfo(CUstream, CUstreamCaptureStatus *status,
                                cuuint64_t *id, CUgraph *graph,
                                const CUgraphNode **dependencies,
                                const CUgraphEdgeData **edges, size_t *count) {
  if (status)
    *status = !capture         ? CU_STREAM_CAPTURE_STATUS_NONE
              : captureInvalid ? CU_STREAM_CAPTURE_STATUS_INVALIDATED
                               : CU_STREAM_CAPTURE_STATUS_ACTIVE;
  if (id)
    *id = captureId;
  if (graph)
    *graph = reinterpret_cast<CUgraph>(capture);
  if (dependencies)
    *dependencies = lastNode ? &lastNode : nullptr;
  if (edges)
    *edges = nullptr;
  if (count)
    *count = capture && lastNode ? 1 : 0;
  return CUDA_SUCCESS;
}
CUresult cuGraphInstantiate(CUgraphExec *exec, CUgraph graph,
                            unsigned long long) {
  if (!graph || capture)
    return CUDA_ERROR_INVALID_VALUE;
  auto *e = new FakeExec;
  for (const auto &n : reinterpret_cast<FakeGraph *>(graph)->nodes)
    e->nodes.push_back(*n);
  ++stats.graphs;
  *exec = reinterpret_cast<CUgraphExec>(e);
  return CUDA_SUCCESS;
}
CUresult cuGraphExecKernelNodeSetParams(CUgraphExec exec, CUgraphNode node,
                                        const CUDA_KERNEL_NODE_PARAMS *p) {
  auto *e = reinterpret_cast<FakeExec *>(exec);
  auto *n = reinterpret_cast<GraphNode *>(node);
  if (!e || !n || !p || n->index >= e->nodes.size() || !p->kernelParams)
    return CUDA_ERROR_INVALID_VALUE;
  GraphNode &target = e->nodes[n->index];
  // The driver refuses to make a node of another kind, or of a function
  // of another context; here: the node's own function only.
  if (!target.fn || reinterpret_cast<CUfunction>(target.fn) != p->func ||
      p->gridDimY != 1 || p->gridDimZ != 1 || p->blockDimY != 1 ||
      p->blockDimZ != 1 || p->gridDimX == 0 || p->blockDimX == 0 ||
      p->blockDimX > 1024)
    return CUDA_ERROR_INVALID_VALUE;
  ++stats.nodeUpdates;
  // NNGC_FAKE_CUDA_STALE_GRAPHS=1: a driver that drops the updates (the
  // test of the test: the graph's steps then differ from the CPU's).
  if (const char *stale = std::getenv("NNGC_FAKE_CUDA_STALE_GRAPHS");
      stale && *stale)
    return CUDA_SUCCESS;
  target.setParams(*target.fn, p->gridDimX, p->blockDimX, p->kernelParams);
  return CUDA_SUCCESS;
}
CUresult cuGraphLaunch(CUgraphExec exec, CUstream) {
  if (refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  if (fault != CUDA_SUCCESS)
    return fault;
  ++stats.graphLaunches;
  for (GraphNode &n : reinterpret_cast<FakeExec *>(exec)->nodes) {
    CUresult r;
    if (n.fn) {
      std::vector<void *> params;
      for (size_t at : n.offsets)
        params.push_back(n.bytes.data() + at);
      r = runKernel(*n.fn, n.grid, n.block, params.data());
    } else {
      r = n.run();
    }
    // A kernel's fault shows at the next call that waits, as on a GPU.
    if (fault != CUDA_SUCCESS)
      return CUDA_SUCCESS;
    if (r != CUDA_SUCCESS)
      return r;
  }
  return CUDA_SUCCESS;
}
CUresult cuGraphExecDestroy(CUgraphExec exec) {
  delete reinterpret_cast<FakeExec *>(exec);
  return CUDA_SUCCESS;
}
CUresult cuGraphDestroy(CUgraph graph) {
  delete reinterpret_cast<FakeGraph *>(graph);
  return CUDA_SUCCESS;
}
CUresult nngc_fake_submit(std::function<CUresult()> *op) {
  return submit(std::move(*op));
}
CUresult cuMemAlloc(CUdeviceptr *p, size_t bytes) {
  if (refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  ++stats.deviceAllocations;
  *p = allocate(bytes);
  return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult cuMemFree(CUdeviceptr p) {
  if (refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  std::free(reinterpret_cast<void *>(p));
  return CUDA_SUCCESS;
}
CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, CUstream) {
  return submit([=] {
    std::memset(reinterpret_cast<void *>(p), v, n);
    return CUDA_SUCCESS;
  });
}
// A captured copy to or from the host needs pinned memory, as the
// driver's.
CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n,
                           CUstream) {
  if (fault != CUDA_SUCCESS)
    return fault;
  if (capture && !isPinned(src, n) && refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  return submit([=] { return copy(reinterpret_cast<void *>(dst), src, n); });
}
CUresult cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream) {
  if (fault != CUDA_SUCCESS)
    return fault;
  if (capture && !isPinned(dst, n) && refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  return submit(
      [=] { return copy(dst, reinterpret_cast<const void *>(src), n); });
}
CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n,
                           CUstream) {
  if (fault != CUDA_SUCCESS)
    return fault;
  return submit([=] {
    return copy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src),
                n);
  });
}
CUresult cuMemAllocHost(void **p, size_t bytes) {
  if (refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  *p = reinterpret_cast<void *>(allocate(bytes));
  if (*p)
    pinned[reinterpret_cast<uintptr_t>(*p)] = bytes;
  return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult cuMemFreeHost(void *p) {
  if (refusedInCapture())
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  pinned.erase(reinterpret_cast<uintptr_t>(p));
  std::free(p);
  return CUDA_SUCCESS;
}
CUresult cuEventCreate(CUevent *e, unsigned int) {
  *e = reinterpret_cast<CUevent>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuEventRecord(CUevent, CUstream) { return CUDA_SUCCESS; }
CUresult cuEventSynchronize(CUevent) {
  return refusedInCapture() ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : fault;
}

//===----------------------------------------------------------------------===//
// cuBLASLt
//===----------------------------------------------------------------------===//

struct FakeDesc {
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  cublasOperation_t transA = CUBLAS_OP_N, transB = CUBLAS_OP_N;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void *bias = nullptr;
};
struct FakeLayout {
  cudaDataType type = CUDA_R_32F;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0, stride = 0;
  int32_t count = 1;
};

/// Element i of a matrix of `type` (f32 or bf16) as a float, and its store
/// (bf16: to nearest, ties to even, as the GPU's cvt.rn.bf16.f32).
static float readElement(const void *base, cudaDataType type, int64_t i) {
  if (type == CUDA_R_32F)
    return static_cast<const float *>(base)[i];
  return nngc::rt::fromBF16Bits(static_cast<const uint16_t *>(base)[i]);
}
static void writeElement(void *base, cudaDataType type, int64_t i, float v) {
  if (type == CUDA_R_32F)
    static_cast<float *>(base)[i] = v;
  else
    static_cast<uint16_t *>(base)[i] = nngc::rt::bf16Bits(v);
}

cublasStatus_t cublasLtCreate(cublasLtHandle_t *h) {
  *h = reinterpret_cast<cublasLtHandle_t>(&ptx);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *d,
                                        cublasComputeType_t compute,
                                        cudaDataType_t) {
  auto *desc = new FakeDesc;
  desc->compute = compute;
  *d = reinterpret_cast<cublasLtMatmulDesc_t>(desc);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t d) {
  delete reinterpret_cast<FakeDesc *>(d);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d,
                                              cublasLtMatmulDescAttributes_t a,
                                              const void *buf, size_t size) {
  auto *desc = reinterpret_cast<FakeDesc *>(d);
  switch (a) {
  case CUBLASLT_MATMUL_DESC_TRANSA:
    std::memcpy(&desc->transA, buf, sizeof desc->transA);
    break;
  case CUBLASLT_MATMUL_DESC_TRANSB:
    std::memcpy(&desc->transB, buf, sizeof desc->transB);
    break;
  case CUBLASLT_MATMUL_DESC_EPILOGUE:
    std::memcpy(&desc->epilogue, buf, sizeof desc->epilogue);
    break;
  case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
    std::memcpy(&desc->bias, buf, sizeof desc->bias);
    break;
  default:
    break;
  }
  return size > 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
}
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *l,
                                          cudaDataType type, uint64_t rows,
                                          uint64_t cols, int64_t ld) {
  if (ld < static_cast<int64_t>(rows) ||
      (type != CUDA_R_32F && type != CUDA_R_16BF))
    return CUBLAS_STATUS_INVALID_VALUE;
  auto *layout = new FakeLayout;
  layout->type = type;
  layout->rows = rows, layout->cols = cols, layout->ld = ld;
  *l = reinterpret_cast<cublasLtMatrixLayout_t>(layout);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t
cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t l,
                                 cublasLtMatrixLayoutAttribute_t a,
                                 const void *buf, size_t) {
  auto *layout = reinterpret_cast<FakeLayout *>(l);
  if (a == CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT)
    std::memcpy(&layout->count, buf, sizeof layout->count);
  else if (a == CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET)
    std::memcpy(&layout->stride, buf, sizeof layout->stride);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *p) {
  *p = reinterpret_cast<cublasLtMatmulPreference_t>(new int);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t
cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t,
                                     cublasLtMatmulPreferenceAttributes_t,
                                     const void *, size_t) {
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) {
  delete reinterpret_cast<int *>(p);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    cublasLtHandle_t, cublasLtMatmulDesc_t d, cublasLtMatrixLayout_t a,
    cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t,
    cublasLtMatmulPreference_t, int, cublasLtMatmulHeuristicResult_t *result,
    int *found) {
  auto *desc = reinterpret_cast<FakeDesc *>(d);
  auto *la = reinterpret_cast<FakeLayout *>(a);
  auto *lb = reinterpret_cast<FakeLayout *>(b);
  auto *lc = reinterpret_cast<FakeLayout *>(c);
  // NNGC_FAKE_CUBLAS_FP32_ONLY=1: a library with no TF32 or bf16
  // algorithms (for the runtime's fallback).
  if (desc->compute != CUBLAS_COMPUTE_32F &&
      std::getenv("NNGC_FAKE_CUBLAS_FP32_ONLY")) {
    *found = 0;
    return CUBLAS_STATUS_SUCCESS;
  }
  // The types cuBLASLt multiplies (of those nngc uses): f32 by f32 into
  // f32; bf16 by bf16 into bf16 or f32, with COMPUTE_32F. The bias has the
  // result's type (CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE's default).
  if (la->type != lb->type ||
      (lc->type == CUDA_R_16BF && la->type != CUDA_R_16BF) ||
      (la->type == CUDA_R_16BF && desc->compute != CUBLAS_COMPUTE_32F))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  // The shapes must agree, as cuBLASLt checks them.
  uint64_t m = desc->transA == CUBLAS_OP_T ? la->cols : la->rows;
  uint64_t ka = desc->transA == CUBLAS_OP_T ? la->rows : la->cols;
  uint64_t kb = desc->transB == CUBLAS_OP_T ? lb->cols : lb->rows;
  uint64_t n = desc->transB == CUBLAS_OP_T ? lb->rows : lb->cols;
  if (m != lc->rows || n != lc->cols || ka != kb)
    return CUBLAS_STATUS_INVALID_VALUE;
  std::memset(result, 0, sizeof *result);
  *found = 1;
  return CUBLAS_STATUS_SUCCESS;
}
static void multiply(const FakeDesc &desc, const FakeLayout &la,
                     const FakeLayout &lb, const FakeLayout &ld, int64_t m,
                     int64_t n, int64_t k, bool ta, bool tb, float al, float be,
                     bool bias, bool relu, const void *A, const void *B,
                     const void *C, void *D);
cublasStatus_t cublasLtMatmul(cublasLtHandle_t, cublasLtMatmulDesc_t d,
                              const void *alpha, const void *A,
                              cublasLtMatrixLayout_t a, const void *B,
                              cublasLtMatrixLayout_t b, const void *beta,
                              const void *C, cublasLtMatrixLayout_t, void *D,
                              cublasLtMatrixLayout_t dl,
                              const cublasLtMatmulAlgo_t *, void *workspace,
                              size_t workspaceBytes, cudaStream_t) {
  auto *desc = reinterpret_cast<FakeDesc *>(d);
  auto *la = reinterpret_cast<FakeLayout *>(a);
  auto *lb = reinterpret_cast<FakeLayout *>(b);
  auto *ld = reinterpret_cast<FakeLayout *>(dl);
  bool ta = desc->transA == CUBLAS_OP_T, tb = desc->transB == CUBLAS_OP_T;
  int64_t m = ld->rows, n = ld->cols, k = ta ? la->rows : la->cols;
  float al = *static_cast<const float *>(alpha),
        be = *static_cast<const float *>(beta);
  bool bias = desc->epilogue == CUBLASLT_EPILOGUE_BIAS ||
              desc->epilogue == CUBLASLT_EPILOGUE_RELU_BIAS;
  bool relu = desc->epilogue == CUBLASLT_EPILOGUE_RELU ||
              desc->epilogue == CUBLASLT_EPILOGUE_RELU_BIAS;
  if (bias && !desc->bias)
    return CUBLAS_STATUS_INVALID_VALUE;
  // cuBLASLt's contract: a workspace of that many bytes, 256-byte aligned.
  if (workspaceBytes &&
      (!workspace || reinterpret_cast<uintptr_t>(workspace) % 256 != 0))
    return CUBLAS_STATUS_INVALID_VALUE;
  stats.workspaceBytes = std::max<long long>(
      stats.workspaceBytes, static_cast<long long>(workspaceBytes));
  // Run now, or a node of the driver's capture: the descriptors and
  // scalars as they are at this call, as cuBLASLt's captured kernels.
  return submitToDriver([=, desc = *desc, la = *la, lb = *lb, ld = *ld] {
           multiply(desc, la, lb, ld, m, n, k, ta, tb, al, be, bias, relu, A, B,
                    C, D);
           return CUDA_SUCCESS;
         }) == CUDA_SUCCESS
             ? CUBLAS_STATUS_SUCCESS
             : CUBLAS_STATUS_EXECUTION_FAILED;
}
static void multiply(const FakeDesc &desc, const FakeLayout &la,
                     const FakeLayout &lb, const FakeLayout &ld, int64_t m,
                     int64_t n, int64_t k, bool ta, bool tb, float al, float be,
                     bool bias, bool relu, const void *A, const void *B,
                     const void *C, void *D) {
  for (int32_t i = 0; i < ld.count; ++i) {
    int64_t ai = i * la.stride, bi = i * lb.stride, ci = i * ld.stride;
    for (int64_t col = 0; col < n; ++col)
      for (int64_t r = 0; r < m; ++r) {
        double sum = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          sum += double(readElement(
                     A, la.type, ai + (ta ? r * la.ld + kk : kk * la.ld + r))) *
                 readElement(B, lb.type,
                             bi + (tb ? kk * lb.ld + col : col * lb.ld + kk));
        // cuBLASLt's order: alpha A B + beta C, then the epilogue.
        float v = al * static_cast<float>(sum);
        if (be != 0)
          v += be * readElement(C, ld.type, ci + col * ld.ld + r);
        if (bias)
          v += readElement(desc.bias, ld.type, r);
        if (relu && v < 0)
          v = 0;
        writeElement(D, ld.type, ci + col * ld.ld + r, v);
      }
  }
  ++stats.products;
}

} // extern "C"
