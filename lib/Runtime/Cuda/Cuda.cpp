//===- Cuda.cpp - The CUDA trainer's runtime: driver, launches, cuBLASLt --===//
//
// libnngc_cuda.a, linked into trainers compiled with --target=cuda. It
// opens the NVIDIA driver (libcuda.so.1) and cuBLASLt (libcublasLt.so.13)
// with dlopen, so a trainer needs neither at link time and says "no CUDA
// device" where they or a GPU are missing; it loads the kernels the
// compiler embedded (nngc_cuda_ptx) with cuModuleLoadData, and implements
// the calls the generated host code makes (docs/CUDA.md):
//
//   nngc_cuda_launch_init / nngc_cuda_launch   a kernel of an op
//   nngc_cuda_matmul_init / nngc_cuda_matmul   a product (cuBLASLt)
//   nngc_cuda_fused_matmul_init / _fused_matmul  with bias, ReLU, addend
//   nngc_cuda_copy                             device to device
//
// Everything runs on one stream; nothing synchronises inside a step.
//
//===----------------------------------------------------------------------===//

#include "../Dropout.h"
#include "../Positions.h"
#include "../RecurrentOperands.h"
#include "Plan.h"
#include "nngc/Runtime/ABI.h"
#include "nngc/Runtime/Context.h"
#include "nngc/Runtime/Device.h"

#include <cublasLt.h>
#include <cuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

using namespace nngc::rt;
using namespace nngc::rt::cuda;

/// The compiled kernels (defined in the compiled model's object).
extern "C" const char nngc_cuda_ptx[];

namespace {

#define NNGC_STR(x) #x
#define NNGC_XSTR(x) NNGC_STR(x)
/// An entry point of a dlopen'ed library, by the name cuda.h's macros give
/// it (cuMemAlloc is cuMemAlloc_v2).
#define NNGC_ENTRY(lib, f)                                                     \
  decltype(&::f) f = lib.get<decltype(&::f)>(NNGC_XSTR(f))

struct Library {
  void *handle = nullptr;
  std::string name;
  template <typename T> T get(const char *symbol) const {
    void *p = dlsym(handle, symbol);
    if (!p)
      throw std::runtime_error("no CUDA device: " + name + " has no " + symbol);
    return reinterpret_cast<T>(p);
  }
};

Library open(const std::vector<const char *> &names, const char *what) {
  std::string tried;
  for (const char *n : names) {
    if (void *h = dlopen(n, RTLD_NOW | RTLD_LOCAL))
      return {h, n};
    tried += std::string(tried.empty() ? "" : ", ") + n;
  }
  const char *why = dlerror();
  throw std::runtime_error(std::string("no CUDA device: cannot load ") + what +
                           " (" + tried + (why ? std::string(": ") + why : "") +
                           ")");
}

/// The driver API entry points the runtime uses.
struct Driver {
  Library lib;
  NNGC_ENTRY(lib, cuInit);
  NNGC_ENTRY(lib, cuGetErrorName);
  NNGC_ENTRY(lib, cuDeviceGetCount);
  NNGC_ENTRY(lib, cuDeviceGet);
  NNGC_ENTRY(lib, cuDeviceGetName);
  NNGC_ENTRY(lib, cuDeviceGetAttribute);
  NNGC_ENTRY(lib, cuDeviceTotalMem);
  NNGC_ENTRY(lib, cuDevicePrimaryCtxRetain);
  NNGC_ENTRY(lib, cuCtxSetCurrent);
  NNGC_ENTRY(lib, cuStreamCreate);
  NNGC_ENTRY(lib, cuStreamSynchronize);
  NNGC_ENTRY(lib, cuModuleLoadDataEx);
  NNGC_ENTRY(lib, cuModuleGetFunction);
  NNGC_ENTRY(lib, cuLaunchKernel);
  NNGC_ENTRY(lib, cuMemAlloc);
  NNGC_ENTRY(lib, cuMemFree);
  NNGC_ENTRY(lib, cuMemsetD8Async);
  NNGC_ENTRY(lib, cuMemcpyHtoDAsync);
  NNGC_ENTRY(lib, cuMemcpyDtoHAsync);
  NNGC_ENTRY(lib, cuMemcpyDtoDAsync);
  NNGC_ENTRY(lib, cuMemAllocHost);
  NNGC_ENTRY(lib, cuMemFreeHost);
  NNGC_ENTRY(lib, cuEventCreate);
  NNGC_ENTRY(lib, cuEventRecord);
  NNGC_ENTRY(lib, cuEventSynchronize);
  NNGC_ENTRY(lib, cuStreamBeginCapture);
  NNGC_ENTRY(lib, cuStreamEndCapture);
  NNGC_ENTRY(lib, cuStreamGetCaptureInfo);
  NNGC_ENTRY(lib, cuGraphInstantiate);
  NNGC_ENTRY(lib, cuGraphLaunch);
  NNGC_ENTRY(lib, cuGraphExecKernelNodeSetParams);
  NNGC_ENTRY(lib, cuGraphExecDestroy);
  NNGC_ENTRY(lib, cuGraphDestroy);

  explicit Driver(Library l) : lib(std::move(l)) {}
};

/// The cuBLASLt entry points.
struct Blas {
  Library lib;
  NNGC_ENTRY(lib, cublasLtCreate);
  NNGC_ENTRY(lib, cublasLtMatmulDescCreate);
  NNGC_ENTRY(lib, cublasLtMatmulDescSetAttribute);
  NNGC_ENTRY(lib, cublasLtMatmulDescDestroy);
  NNGC_ENTRY(lib, cublasLtMatrixLayoutCreate);
  NNGC_ENTRY(lib, cublasLtMatrixLayoutSetAttribute);
  NNGC_ENTRY(lib, cublasLtMatmulPreferenceCreate);
  NNGC_ENTRY(lib, cublasLtMatmulPreferenceSetAttribute);
  NNGC_ENTRY(lib, cublasLtMatmulPreferenceDestroy);
  NNGC_ENTRY(lib, cublasLtMatmulAlgoGetHeuristic);
  NNGC_ENTRY(lib, cublasLtMatmul);

  explicit Blas(Library l) : lib(std::move(l)) {}
};

struct Launch {
  CUfunction function = nullptr;
  std::string name;
  unsigned grid = 1, block = 1;
  int64_t slot = 0;
  bool training = true;
  std::vector<Scalar> args;
  /// Its pointer arguments, and whether it draws the op's dropout mask.
  int tensors = 0;
  bool dropout = false;
  /// A check of train --check-numerics: launched only when the trainer
  /// checks; a gradient norm kernel: only when it clips.
  bool numerics = false, ifClipping = false;
  /// The argument values and cuLaunchKernel's pointers to them, kept so
  /// that a launch allocates nothing.
  std::vector<uint64_t> values;
  std::vector<void *> pointers;
};

/// The pointer arguments of a launch a runtime call makes (at most 12),
/// without allocating.
struct LaunchArgs {
  void *p[12];
  int n = 0;
  LaunchArgs(std::initializer_list<const void *> ptrs) {
    for (const void *q : ptrs)
      add(q);
  }
  void add(const void *q) {
    if (n == 12)
      throw std::logic_error("CUDA: a launch with more than 12 pointers");
    p[n++] = const_cast<void *>(q);
  }
  void *const *data() const { return p; }
};

struct Matmul {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  int32_t flags = 0;
  bool hasBias = false;
  bool ready = false;
};

/// A product of attention over strided views of the heads: cuBLASLt
/// batches the larger of (sequences, heads) and the runtime loops over
/// the smaller, `loops` calls `step*` elements apart.
struct HeadProduct {
  Matmul mm;
  float alpha = 1;
  int64_t loops = 1, stepA = 0, stepB = 0, stepC = 0;
  /// The bytes of an element of A, B and C (2 for bf16).
  int64_t bytesA = 4, bytesB = 4, bytesC = 4;
};

/// A recurrent layer stack's products and device buffers, per forward
/// slot (nngc_cuda_rnn).
struct Recurrent {
  int32_t mode = 0;
  int64_t layers = 0, dirs = 0, seq = 0, batch = 0, input = 0, hidden = 0;
  /// Gate rows (gates x hidden) and the floats of saved gates a step.
  int64_t g = 0, saved = 0;
  bool batchFirst = false, bias = false, initial = false, masked = false;
  double dropout = 0;
  /// Per layer: the input projection of every step (+ b_ih), the hidden
  /// projection of a step (+ b_hh); backward: dh += dG_h W_hh, dW_ih,
  /// dW_hh, the bias sums (against a column of ones), dX.
  struct Products {
    Matmul gx, gh, dh, dWih, dWhh, dBias, dX;
  };
  std::vector<Products> products;
  /// Per layer below the top: its output, and the next layer's input
  /// after dropout, and the cotangent of that input.
  std::vector<CUdeviceptr> out, next, dnext;
  /// Per (layer, direction): the states of steps 0..T in processing
  /// order (h, and c for an LSTM), and each step's saved gates.
  std::vector<CUdeviceptr> hs, cs, gates;
  /// Shared: a layer's input projection and its cotangent, a step's
  /// hidden projection, its cotangents at every step, the carried state
  /// cotangents, ones.
  CUdeviceptr gx = 0, gh = 0, dgx = 0, dgh = 0, dh = 0, dc = 0, ones = 0;

  bool lstm() const { return mode == NNGC_LSTM; }
  bool gru() const { return mode == NNGC_GRU; }
  int64_t rows() const { return seq * batch; }
  int64_t layerInput(int64_t l) const { return l == 0 ? input : dirs * hidden; }
  /// The first row of step t in a [T, B, F] or [B, T, F] buffer.
  int64_t rowOf(int64_t t) const { return batchFirst ? t : t * batch; }
  int64_t weightsPerCell() const { return bias ? 4 : 2; }
  bool dropoutAfter(int64_t l, bool training) const {
    return training && dropout > 0 && l + 1 < layers;
  }
};

/// nn.attention's products and buffers, per forward slot.
struct Attention {
  int64_t batch = 0, heads = 0, tq = 0, tk = 0;
  int32_t flags = 0;
  double dropout = 0;
  /// Forward: S = scale Q K^T, O = P V. Backward: dV = P^T dO,
  /// dP = dO V^T, dQ = scale dS K, dK = scale dS^T Q.
  HeadProduct scores, context, dValue, dProbs, dQuery, dKey;
  /// The probabilities the forward keeps for the backward (0: none, the
  /// backward recomputes them).
  CUdeviceptr probs = 0;
  /// NNGC_ATTN_BF16: bf16 operands, results, and work buffers (scores,
  /// probabilities, dP and dS).
  bool bf16 = false;
  int64_t size() const { return batch * heads * tq * tk; }
  /// The bytes of a score or probability: 2 with bf16 operands.
  int64_t probBytes() const { return bf16 ? 2 : 4; }
};

/// An entry point's launches, products and copies as a CUDA graph
/// (docs/CUDA.md, "CUDA graphs"): captured at its second call, launched
/// with one cuGraphLaunch after that. The kernels' scalar arguments that
/// change from step to step (dropout keys, Adam's bias corrections, the
/// scheduled learning rate, the valid rows of a last batch) are set in the
/// graph's kernel nodes before each launch, those that changed only.
struct Graph {
  /// The captured graph (its nodes are the handles the kernel nodes'
  /// updates name, so it lives as long as its instance) and the instance.
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  /// The calls of the entry point so far (the first runs as launches).
  int64_t calls = 0;
  struct Kernel {
    CUgraphNode node = nullptr;
    int32_t id = 0;
    std::vector<void *> tensors;
    /// The argument values the node has.
    std::vector<uint64_t> values;
  };
  std::vector<Kernel> kernels;
};

} // namespace

struct Context::Cuda {
  std::unique_ptr<Driver> driver;
  std::unique_ptr<Blas> blas;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
  std::vector<Launch> launches;
  std::vector<Matmul> matmuls;
  cublasLtHandle_t lt = nullptr;
  /// cuBLASLt's workspace: a part of the model's device allocation
  /// (Device::reserveProductWorkspace; the manifest's
  /// cuda_workspace_bytes).
  CUdeviceptr workspace = 0;
  size_t workspaceBytes = 0;
  std::vector<CUdeviceptr> allocations;
  std::string description;
  std::map<int32_t, Attention> attention;
  std::map<int32_t, Recurrent> recurrent;
  /// nn.sinusoidal_positions' tables by (t, c), pinned, computed once.
  std::map<std::pair<int64_t, int64_t>, float *> positions;
  /// train --check-numerics' records, one per check: the first bad
  /// element's key (2 index + isinf; all ones while none) and the count
  /// of bad elements, as two arrays; and each check's element count.
  CUdeviceptr numericsKeys = 0, numericsCounts = 0;
  int64_t numericsChecks = 0;
  std::map<int64_t, int64_t> numericsElements;
  void resetNumerics() {
    if (!numericsKeys)
      return;
    check(
        driver->cuMemsetD8Async(numericsKeys, 0xff, numericsChecks * 8, stream),
        "cuMemsetD8Async");
    check(
        driver->cuMemsetD8Async(numericsCounts, 0, numericsChecks * 8, stream),
        "cuMemsetD8Async");
  }
  /// The attention ops' work buffers (scores, dP, dropout(P)), shared by
  /// all of them: sized in nngc_setup for the largest, placed after it.
  CUdeviceptr attentionScratch = 0;
  int64_t attentionScratchFloats = 0;

  CUdeviceptr allocate(int64_t bytes, const char *what) {
    CUdeviceptr p = 0;
    check(driver->cuMemAlloc(&p, bytes), what);
    allocations.push_back(p);
    return p;
  }

  /// The runtime's own device buffers (cuBLASLt's workspace, attention's
  /// probabilities and work buffers, the recurrent layers' states), asked
  /// for while nngc_setup sets the ops up and placed, 256-byte aligned,
  /// in a part of the model's one device allocation afterwards
  /// (Device::placeRuntimeBuffers): `place` gets the buffer's address.
  struct Reservation {
    int64_t bytes;
    std::function<void(CUdeviceptr)> place;
  };
  std::vector<Reservation> reservations;
  bool placed = false;
  void reserve(int64_t bytes, std::function<void(CUdeviceptr)> place) {
    if (placed)
      throw std::runtime_error(
          "CUDA: a device buffer was asked for after nngc_setup");
    reservations.push_back({std::max<int64_t>(bytes, 1), std::move(place)});
  }
  static int64_t aligned(int64_t n) { return (n + 255) / 256 * 256; }
  /// The bytes of the reservations, and of attention's shared work
  /// buffers (the largest op's), which are reserved last.
  int64_t reservedBytes() const {
    int64_t n = aligned(attentionScratchFloats * 4);
    for (const Reservation &r : reservations)
      n += aligned(r.bytes);
    return n;
  }
  void place(CUdeviceptr base) {
    if (attentionScratchFloats > 0)
      reservations.push_back({attentionScratchFloats * 4,
                              [this](CUdeviceptr p) { attentionScratch = p; }});
    placed = true;
    CUdeviceptr at = base;
    for (Reservation &r : reservations) {
      r.place(at);
      at += aligned(r.bytes);
    }
    reservations.clear();
  }

  /// NNGC_CUDA_SYNC=1: wait for each kernel, product and copy as it is
  /// queued, so that a fault names what faulted (slow; for debugging).
  bool syncEach = false;

  /// The entry points' graphs, by entry point, arena and the conditions
  /// that choose its calls (CudaDevice::runEntry); the graph being
  /// captured. Off with NNGC_CUDA_GRAPHS=0, with NNGC_CUDA_SYNC, and after
  /// a capture failed (`graphsOff` says why).
  using GraphKey = std::tuple<Device::EntryPoint, void *, bool, bool, double>;
  std::map<GraphKey, Graph> graphs;
  Graph *capturing = nullptr;
  bool graphsOn = true;
  std::string graphsOff;
  ~Cuda() {
    if (driver)
      for (auto &g : graphs) {
        if (g.second.exec)
          driver->cuGraphExecDestroy(g.second.exec);
        if (g.second.graph)
          driver->cuGraphDestroy(g.second.graph);
      }
  }

  /// The driver's name of `r` ("CUDA_ERROR_ILLEGAL_ADDRESS").
  std::string errorName(CUresult r) const {
    const char *name = nullptr;
    driver->cuGetErrorName(r, &name);
    return name ? name : std::to_string(r);
  }
  void check(CUresult r, const char *what) const {
    if (r == CUDA_SUCCESS)
      return;
    // A kernel's fault shows at the next call that waits for the stream,
    // not at its launch.
    bool asynchronous =
        r == CUDA_ERROR_ILLEGAL_ADDRESS || r == CUDA_ERROR_LAUNCH_FAILED ||
        r == CUDA_ERROR_MISALIGNED_ADDRESS ||
        r == CUDA_ERROR_ILLEGAL_INSTRUCTION ||
        r == CUDA_ERROR_INVALID_ADDRESS_SPACE || r == CUDA_ERROR_INVALID_PC ||
        r == CUDA_ERROR_HARDWARE_STACK_ERROR || r == CUDA_ERROR_ASSERT ||
        r == CUDA_ERROR_LAUNCH_TIMEOUT;
    throw std::runtime_error(
        std::string("CUDA: ") + what + ": " + errorName(r) +
        (asynchronous && !syncEach
             ? " (from a kernel or product queued before; NNGC_CUDA_SYNC=1 "
               "names it)"
             : ""));
  }
  /// With syncEach, waits for what was just queued: `what` and `name`
  /// name it (the message is made only then: a step allocates nothing).
  void synchronizeIfAsked(const char *what,
                          const std::string &name = std::string()) const {
    if (syncEach)
      check(driver->cuStreamSynchronize(stream), (what + name).c_str());
  }
  void checkBlas(cublasStatus_t s, const char *what) const {
    if (s != CUBLAS_STATUS_SUCCESS)
      throw std::runtime_error(std::string("cuBLASLt: ") + what + ": status " +
                               std::to_string(int(s)));
  }
  Blas &lib() {
    if (!blas) {
      blas = std::make_unique<Blas>(
          open({"libcublasLt.so.13", "/usr/local/cuda/lib64/libcublasLt.so.13",
                "libcublasLt.so"},
               "cuBLASLt"));
      checkBlas(blas->cublasLtCreate(&lt), "cublasLtCreate");
    }
    return *blas;
  }
};

static void fillArguments(Context &ctx, Context::Cuda &cuda, Launch &l,
                          void *const *tensors);

namespace {

Context::Cuda &cudaOf(void *ctx) {
  Context &c = *static_cast<Context *>(ctx);
  if (!c.cuda)
    throw std::runtime_error("the CUDA runtime was called without a device");
  return *c.cuda;
}

class CudaDevice : public Device {
public:
  explicit CudaDevice(Context::Cuda &cuda) : cuda(cuda) {}
  std::string describe() const override { return cuda.description; }
  void *allocate(int64_t bytes) override {
    if (bytes <= 0)
      return nullptr;
    CUdeviceptr p = cuda.allocate(
        bytes, ("allocating " + std::to_string((bytes + 1048575) >> 20) +
                " MiB of device memory")
                   .c_str());
    cuda.check(cuda.driver->cuMemsetD8Async(p, 0, bytes, cuda.stream),
               "cuMemsetD8Async");
    return reinterpret_cast<void *>(p);
  }
  void upload(void *device, const void *host, int64_t bytes) override {
    if (bytes <= 0)
      return;
    // Through a pinned staging block: the copy is asynchronous, and the
    // caller's buffer (the next batch) is free as soon as this returns.
    // A block is reused once the copy that last read it is done (an
    // event), kStaging uploads later: by then a step has run.
    if (bytes > kMaxStaged) {
      cuda.check(
          cuda.driver->cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(device),
                                         host, bytes, cuda.stream),
          "cuMemcpyHtoDAsync");
      synchronize();
      return;
    }
    Staging &s = staging[nextStaging];
    nextStaging = (nextStaging + 1) % kStaging;
    if (s.event)
      cuda.check(cuda.driver->cuEventSynchronize(s.event),
                 "waiting for a staged upload");
    else
      cuda.check(cuda.driver->cuEventCreate(&s.event, CU_EVENT_DISABLE_TIMING),
                 "cuEventCreate");
    if (s.bytes < bytes) {
      if (s.host)
        cuda.driver->cuMemFreeHost(s.host);
      s.host = nullptr;
      cuda.check(cuda.driver->cuMemAllocHost(&s.host, bytes),
                 "allocating pinned staging memory");
      s.bytes = bytes;
    }
    std::memcpy(s.host, host, bytes);
    cuda.check(
        cuda.driver->cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(device),
                                       s.host, bytes, cuda.stream),
        "cuMemcpyHtoDAsync");
    cuda.check(cuda.driver->cuEventRecord(s.event, cuda.stream),
               "cuEventRecord");
  }
  void download(void *host, const void *device, int64_t bytes) override {
    downloadLater(host, device, bytes);
    synchronize();
  }
  void downloadLater(void *host, const void *device, int64_t bytes) override {
    if (bytes <= 0)
      return;
    cuda.check(
        cuda.driver->cuMemcpyDtoHAsync(
            host, reinterpret_cast<CUdeviceptr>(device), bytes, cuda.stream),
        "cuMemcpyDtoHAsync");
  }
  void *allocateHost(int64_t bytes) override {
    void *p = nullptr;
    cuda.check(cuda.driver->cuMemAllocHost(&p, bytes),
               "allocating pinned host memory");
    std::memset(p, 0, bytes);
    return p;
  }
  void synchronize() override {
    cuda.check(cuda.driver->cuStreamSynchronize(cuda.stream),
               "running the step's kernels");
  }
  void reserveProductWorkspace(int64_t bytes) override {
    if (bytes <= 0)
      return;
    cuda.workspaceBytes = static_cast<size_t>(bytes);
    Context::Cuda *c = &cuda;
    cuda.reserve(bytes, [c](CUdeviceptr p) { c->workspace = p; });
  }
  int64_t runtimeBufferBytes() const override { return cuda.reservedBytes(); }
  void reportNumerics(Context &ctx) override {
    if (!cuda.numericsKeys || !ctx.checkNumerics)
      return;
    int64_t n = cuda.numericsChecks;
    std::vector<uint64_t> keys(n), counts(n);
    downloadLater(keys.data(), reinterpret_cast<void *>(cuda.numericsKeys),
                  8 * n);
    download(counts.data(), reinterpret_cast<void *>(cuda.numericsCounts),
             8 * n);
    // The first check in the step's order that found one, as the CPU's
    // nngc_rt_check_finite reports it.
    for (int64_t id = 0; id < n; ++id) {
      if (keys[id] == ~uint64_t(0))
        continue;
      uint64_t first = keys[id] >> 1;
      ctx.error = "--check-numerics: " + ctx.numericsOps[id] + " produced " +
                  (keys[id] & 1 ? "inf" : "nan") + " (element " +
                  std::to_string(first) + " of " +
                  std::to_string(cuda.numericsElements[id]) + "; " +
                  std::to_string(counts[id]) + " not finite)";
      ctx.numericsFailed = true;
      cuda.resetNumerics();
      return;
    }
  }
  void placeRuntimeBuffers(void *device) override {
    cuda.place(reinterpret_cast<CUdeviceptr>(device));
  }
  void runEntry(Context &ctx, const char *name, EntryPoint entry, void *arena,
                void *params, void *grads, void *state) override;
  std::string graphs() const override {
    return cuda.graphsOn ? "on" : "off (" + cuda.graphsOff + ")";
  }

private:
  struct Staging {
    void *host = nullptr;
    int64_t bytes = 0;
    CUevent event = nullptr;
  };
  /// Uploads in flight at most (a step's inputs are a few), and the size
  /// above which an upload (the parameters of a large model) is copied
  /// synchronously instead of staged.
  static constexpr int kStaging = 8;
  static constexpr int64_t kMaxStaged = int64_t(64) << 20;
  Staging staging[kStaging];
  int nextStaging = 0;
  Context::Cuda &cuda;
};

void CudaDevice::runEntry(Context &ctx, const char *name, EntryPoint entry,
                          void *arena, void *params, void *grads, void *state) {
  auto run = [&] { entry(&ctx, arena, params, grads, state); };
  if (!cuda.graphsOn) {
    run();
    return;
  }
  // What chooses the calls an entry point makes, besides the entry point
  // and its arena: the checks it launches, clipping's norm kernels, and
  // the dropout override (attention multiplies P or dropout(P)).
  Graph &g = cuda.graphs[{entry, arena, ctx.checkNumerics, ctx.clipNorm > 0,
                          ctx.dropoutOverride}];
  if (g.exec) {
    // The arguments of this step; a node whose arguments changed gets
    // them. (The messages are made only on failure: a step allocates
    // nothing.)
    for (Graph::Kernel &k : g.kernels) {
      Launch &l = cuda.launches[k.id];
      fillArguments(ctx, cuda, l, k.tensors.data());
      if (l.values == k.values)
        continue;
      k.values = l.values;
      CUDA_KERNEL_NODE_PARAMS p{};
      p.func = l.function;
      p.gridDimX = l.grid, p.gridDimY = 1, p.gridDimZ = 1;
      p.blockDimX = l.block, p.blockDimY = 1, p.blockDimZ = 1;
      p.kernelParams = l.pointers.data();
      if (CUresult r =
              cuda.driver->cuGraphExecKernelNodeSetParams(g.exec, k.node, &p);
          r != CUDA_SUCCESS)
        cuda.check(r, ("setting the arguments of " + l.name +
                       " in the graph of " + name)
                          .c_str());
    }
    if (CUresult r = cuda.driver->cuGraphLaunch(g.exec, cuda.stream);
        r != CUDA_SUCCESS)
      cuda.check(r, (std::string("launching the graph of ") + name).c_str());
    return;
  }
  // The first call runs as launches (anything an op sets up on its first
  // call is done then); the second is captured, then launched.
  if (g.calls++ == 0) {
    run();
    return;
  }
  std::string why;
  if (CUresult r = cuda.driver->cuStreamBeginCapture(
          cuda.stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
      r != CUDA_SUCCESS) {
    why = "cuStreamBeginCapture: " + cuda.errorName(r);
  } else {
    cuda.capturing = &g;
    run();
    cuda.capturing = nullptr;
    r = cuda.driver->cuStreamEndCapture(cuda.stream, &g.graph);
    if (!ctx.error.empty())
      why = ctx.error;
    else if (r != CUDA_SUCCESS)
      why = "cuStreamEndCapture: " + cuda.errorName(r);
  }
  if (why.empty()) {
    if (CUresult r = cuda.driver->cuGraphInstantiate(&g.exec, g.graph, 0);
        r != CUDA_SUCCESS) {
      why = "cuGraphInstantiate: " + cuda.errorName(r);
      g.exec = nullptr;
    }
  }
  if (why.empty()) {
    cuda.check(cuda.driver->cuGraphLaunch(g.exec, cuda.stream),
               (std::string("launching the graph of ") + name).c_str());
    return;
  }
  // Nothing captured has run: the call runs as launches, and so does
  // every call after it. An error of the entry point's own comes again.
  g.kernels.clear();
  if (g.graph)
    cuda.driver->cuGraphDestroy(g.graph);
  g.graph = nullptr;
  ctx.error.clear();
  cuda.graphsOn = false;
  cuda.graphsOff = std::string("capturing ") + name + " failed: " + why;
  run();
  if (ctx.error.empty())
    std::fprintf(stderr, "nngc: CUDA graphs off: %s\n", cuda.graphsOff.c_str());
}

/// Runs `f`, keeping its first error in the context: the generated code
/// that calls the entry points below cannot pass an exception on, and the
/// trainer reports `ctx.error` after nngc_setup and after each step.
template <typename F> void guarded(void *c, F f) {
  Context &ctx = *static_cast<Context *>(c);
  try {
    f();
  } catch (const std::exception &e) {
    if (ctx.error.empty())
      ctx.error = e.what();
  }
}

template <typename T> void put(uint64_t &slot, T v) {
  static_assert(sizeof(T) <= sizeof(uint64_t));
  slot = 0;
  std::memcpy(&slot, &v, sizeof v);
}

} // namespace

extern "C" Device *nngc_cuda_open_device(Context *ctx) {
  auto cuda = std::make_unique<Context::Cuda>();
  cuda->driver = std::make_unique<Driver>(
      open({"libcuda.so.1", "libcuda.so"}, "the NVIDIA driver (libcuda.so.1)"));
  Driver &d = *cuda->driver;
  if (CUresult r = d.cuInit(0); r != CUDA_SUCCESS) {
    const char *name = nullptr;
    if (d.cuGetErrorName(r, &name) != CUDA_SUCCESS || !name)
      name = r == CUDA_ERROR_STUB_LIBRARY
                 ? "CUDA_ERROR_STUB_LIBRARY: the toolkit's stub libcuda, not "
                   "a driver"
             : r == CUDA_ERROR_NO_DEVICE ? "CUDA_ERROR_NO_DEVICE"
                                         : nullptr;
    throw std::runtime_error(std::string("no CUDA device (cuInit: ") +
                             (name ? name : std::to_string(r)) + ")");
  }
  int count = 0;
  if (d.cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0)
    throw std::runtime_error("no CUDA device (the driver found none)");
  cuda->check(d.cuDeviceGet(&cuda->device, 0), "cuDeviceGet");
  cuda->check(d.cuDevicePrimaryCtxRetain(&cuda->context, cuda->device),
              "cuDevicePrimaryCtxRetain");
  cuda->check(d.cuCtxSetCurrent(cuda->context), "cuCtxSetCurrent");
  cuda->check(d.cuStreamCreate(&cuda->stream, CU_STREAM_NON_BLOCKING),
              "cuStreamCreate");
  if (const char *sync = std::getenv("NNGC_CUDA_SYNC"))
    cuda->syncEach = *sync && std::string(sync) != "0";
  if (const char *graphs = std::getenv("NNGC_CUDA_GRAPHS");
      graphs && std::string(graphs) == "0") {
    cuda->graphsOn = false;
    cuda->graphsOff = "NNGC_CUDA_GRAPHS=0";
  } else if (cuda->syncEach) {
    // Each launch waits for itself: there is nothing to capture.
    cuda->graphsOn = false;
    cuda->graphsOff = "NNGC_CUDA_SYNC";
  }
  char name[256] = {0};
  d.cuDeviceGetName(name, sizeof name - 1, cuda->device);
  int major = 0, minor = 0;
  d.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                         cuda->device);
  d.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                         cuda->device);
  size_t total = 0;
  d.cuDeviceTotalMem(&total, cuda->device);
  char text[400];
  std::snprintf(text, sizeof text, "%s (sm_%d%d, %.1f GiB)", name, major, minor,
                total / 1073741824.0);
  cuda->description = text;
  // The PTX is JIT-compiled for this GPU; the log names what failed.
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, reinterpret_cast<void *>(sizeof log - 1)};
  if (CUresult r = d.cuModuleLoadDataEx(&cuda->module, nngc_cuda_ptx, 2,
                                        options, values);
      r != CUDA_SUCCESS) {
    const char *e = nullptr;
    d.cuGetErrorName(r, &e);
    throw std::runtime_error(std::string("CUDA: loading the kernels: ") +
                             (e ? e : "?") + (log[0] ? ": " : "") + log);
  }
  ctx->cuda = cuda.release();
  static CudaDevice *device = nullptr;
  device = new CudaDevice(*ctx->cuda);
  return device;
}

extern "C" void nngc_cuda_launch_init(void *ctx, int32_t id, const char *name,
                                      int64_t grid, int64_t block,
                                      const char *spec, int32_t slot,
                                      int32_t training) {
  guarded(ctx, [&] {
    Context::Cuda &cuda = cudaOf(ctx);
    if (cuda.launches.size() <= static_cast<size_t>(id))
      cuda.launches.resize(id + 1);
    Launch &l = cuda.launches[id];
    l.name = name;
    l.grid = static_cast<unsigned>(grid);
    l.block = static_cast<unsigned>(block);
    l.slot = slot;
    l.training = training != 0;
    cuda.check(cuda.driver->cuModuleGetFunction(&l.function, cuda.module, name),
               ("finding kernel " + l.name).c_str());
    std::string s = spec;
    for (size_t at = 0; at <= s.size();) {
      size_t comma = s.find(',', at);
      if (comma == std::string::npos)
        comma = s.size();
      if (comma > at)
        l.args.push_back(parseScalar(s.substr(at, comma - at)));
      at = comma + 1;
    }
    Context &context = *static_cast<Context *>(ctx);
    for (const Scalar &a : l.args) {
      l.tensors += a.kind == Scalar::Tensor;
      l.dropout |= a.kind == Scalar::DropoutK1 || a.kind == Scalar::DropoutK2;
      l.ifClipping |= a.kind == Scalar::IfClipping;
      if (a.kind != Scalar::NumericsKey)
        continue;
      l.numerics = true;
      auto checks = static_cast<int64_t>(context.numericsOps.size());
      if (a.a < 0 || a.a >= checks)
        throw std::runtime_error("CUDA: numerics check " +
                                 std::to_string(int64_t(a.a)) +
                                 " is not in the manifest");
      cuda.numericsElements[static_cast<int64_t>(a.a)] =
          static_cast<int64_t>(a.b);
      if (cuda.numericsChecks == 0) {
        cuda.numericsChecks = checks;
        Context::Cuda *cu = &cuda;
        cuda.reserve(16 * checks, [cu](CUdeviceptr p) {
          cu->numericsKeys = p;
          cu->numericsCounts = p + 8 * cu->numericsChecks;
          cu->resetNumerics();
        });
      }
    }
    l.values.assign(l.args.size(), 0);
    for (uint64_t &v : l.values)
      l.pointers.push_back(&v);
  });
}

/// Launch `id` (nngc_cuda_launch_init) with `tensors`, its pointer
/// arguments in order (`count` of them, checked, when the runtime's own
/// call passes them; -1 from the generated code).
/// Sets `l.values`, the arguments of launch `l` with `tensors` at this
/// step.
static void fillArguments(Context &ctx, Context::Cuda &cuda, Launch &l,
                          void *const *tensors) {
  size_t tensor = 0;
  const double t = static_cast<double>(std::max<int64_t>(ctx.step, 1));
  // The op's mask key, once a launch (its kernels need it or not).
  uint64_t key = l.dropout ? dropoutKey(ctx, static_cast<uint64_t>(l.slot)) : 0;
  for (size_t i = 0; i < l.args.size(); ++i) {
    const Scalar &a = l.args[i];
    uint64_t &v = l.values[i];
    double p = dropoutP(ctx, a.a);
    bool drops = l.training && p > 0;
    float lr = static_cast<float>(a.a * ctx.lrScale);
    switch (a.kind) {
    case Scalar::Tensor: {
      void *p = tensors[tensor++];
      // A tensor the kernel reads as vectors (`t=16`): a misaligned
      // pointer would fault on the GPU, far from its cause.
      if (a.a > 0 &&
          reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(a.a) != 0)
        throw std::runtime_error("CUDA: " + l.name + "'s pointer argument " +
                                 std::to_string(tensor - 1) + " is not " +
                                 std::to_string(static_cast<int64_t>(a.a)) +
                                 "-byte aligned");
      put(v, p);
      break;
    }
    case Scalar::ValidRows:
      put<int64_t>(v, ctx.validRows);
      break;
    case Scalar::DropoutK1:
      put<uint32_t>(v, static_cast<uint32_t>(key));
      break;
    case Scalar::DropoutK2:
      put<uint32_t>(v, static_cast<uint32_t>(key >> 32));
      break;
    case Scalar::DropoutThreshold:
      put<uint32_t>(v, drops ? dropoutThreshold(p) : 0u);
      break;
    case Scalar::DropoutScale:
      put<float>(v, drops ? static_cast<float>(1.0 / (1.0 - p)) : 1.f);
      break;
    case Scalar::DropoutOffset:
      put<int64_t>(v, ctx.shardRank * static_cast<int64_t>(a.a));
      break;
    case Scalar::ClipNorm:
    case Scalar::IfClipping:
      put<float>(v, static_cast<float>(ctx.clipNorm));
      break;
    case Scalar::Lr:
      put<float>(v, lr);
      break;
    case Scalar::SgdFirst:
      put<int32_t>(v, ctx.step <= 1);
      break;
    case Scalar::AdamStepSize:
      // As the CPU's adamCoeffs: the scaled lr in float, the bias
      // correction in double.
      put<float>(v, static_cast<float>(lr / (1 - std::pow(a.b, t))));
      break;
    case Scalar::AdamBc2Sqrt:
      put<float>(v, static_cast<float>(std::sqrt(1 - std::pow(a.a, t))));
      break;
    case Scalar::RnnDropoutK1:
    case Scalar::RnnDropoutK2: {
      // Recurrent.cpp's layerDropoutKey.
      uint64_t layerKey = dropoutKey(ctx, (static_cast<uint64_t>(l.slot) << 8) +
                                              static_cast<uint64_t>(a.a) + 1);
      put<uint32_t>(v, static_cast<uint32_t>(a.kind == Scalar::RnnDropoutK1
                                                 ? layerKey
                                                 : layerKey >> 32));
      break;
    }
    case Scalar::NumericsKey:
      put<uint64_t>(v, cuda.numericsKeys + 8 * static_cast<uint64_t>(a.a));
      break;
    case Scalar::NumericsCount:
      put<uint64_t>(v, cuda.numericsCounts + 8 * static_cast<uint64_t>(a.a));
      break;
    case Scalar::RnnDropoutThreshold:
      put<uint32_t>(v, l.training && a.a > 0 ? dropoutThreshold(a.a) : 0u);
      break;
    case Scalar::RnnDropoutScale:
      put<float>(v, l.training && a.a > 0
                        ? static_cast<float>(1.0 / (1.0 - a.a))
                        : 1.f);
      break;
    }
  }
}

static void launch(void *c, int32_t id, void *const *tensors, int count = -1) {
  Context &ctx = *static_cast<Context *>(c);
  Context::Cuda &cuda = cudaOf(c);
  Launch &l = cuda.launches.at(id);
  // A numerics check returns at once unless the trainer checks, as the
  // CPU's; here it is not even launched.
  if ((l.numerics && !ctx.checkNumerics) || (l.ifClipping && ctx.clipNorm <= 0))
    return;
  if (count >= 0 && count != l.tensors)
    throw std::runtime_error(
        "CUDA: " + l.name + " takes " + std::to_string(l.tensors) +
        " pointers, the runtime passed " + std::to_string(count));
  fillArguments(ctx, cuda, l, tensors);
  if (CUresult r = cuda.driver->cuLaunchKernel(l.function, l.grid, 1, 1,
                                               l.block, 1, 1, 0, cuda.stream,
                                               l.pointers.data(), nullptr);
      r != CUDA_SUCCESS)
    cuda.check(r, ("launching " + l.name).c_str());
  if (Graph *g = cuda.capturing) {
    // The node just captured: what the stream's next work would follow.
    CUstreamCaptureStatus status;
    const CUgraphNode *last = nullptr;
    size_t n = 0;
    cuda.check(cuda.driver->cuStreamGetCaptureInfo(
                   cuda.stream, &status, nullptr, nullptr, &last, nullptr, &n),
               "cuStreamGetCaptureInfo");
    if (status != CU_STREAM_CAPTURE_STATUS_ACTIVE || n != 1 || !last)
      throw std::runtime_error("CUDA: capturing " + l.name +
                               ": no kernel node to follow");
    g->kernels.push_back({last[0], id,
                          std::vector<void *>(tensors, tensors + l.tensors),
                          l.values});
  }
  cuda.synchronizeIfAsked("kernel ", l.name);
}

/// A launch from the runtime's own calls (attention, recurrent layers).
static void launchWith(void *c, int32_t id, const LaunchArgs &args) {
  launch(c, id, args.data(), args.n);
}

extern "C" void nngc_cuda_launch(void *c, int32_t id, void *const *tensors) {
  guarded(c, [&] { launch(c, id, tensors); });
}

extern "C" void nngc_cuda_copy(void *ctx, int64_t bytes, const void *src,
                               void *dst) {
  guarded(ctx, [&] {
    Context::Cuda &cuda = cudaOf(ctx);
    if (src == dst || bytes <= 0)
      return;
    cuda.check(cuda.driver->cuMemcpyDtoDAsync(
                   reinterpret_cast<CUdeviceptr>(dst),
                   reinterpret_cast<CUdeviceptr>(src), bytes, cuda.stream),
               "cuMemcpyDtoDAsync");
    cuda.synchronizeIfAsked("a device-to-device copy");
  });
}

/// Sets up `mm` for the row-major product `p` (Plan.h: as cuBLASLt's
/// column-major C^T = op(B)^T op(A)^T).
static void setupProduct(void *c, Matmul &mm, const ProductShape &p,
                         cublasLtEpilogue_t epilogue, int32_t flags = 0) {
  Context::Cuda &cuda = cudaOf(c);
  Blas &b = cuda.lib();
  // f32 accumulation in every case. With f32 operands, tf32 and bf16 let
  // the tensor cores round the inputs to those formats; bf16 operands
  // (nngc-store-bf16: both or neither) are multiplied as they are.
  Context::Precision precision = static_cast<Context *>(c)->precision;
  bool lhs16 = flags & NNGC_MATMUL_LHS_BF16,
       rhs16 = flags & NNGC_MATMUL_RHS_BF16,
       out16 = flags & NNGC_MATMUL_RESULT_BF16;
  if (lhs16 != rhs16 || (out16 && !lhs16))
    throw std::runtime_error("CUDA: a product of bf16 by f32, or of f32 into "
                             "bf16 (the compiler should not make one)");
  cublasComputeType_t requested =
      lhs16                                   ? CUBLAS_COMPUTE_32F
      : precision == Context::Precision::TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32
      : precision == Context::Precision::BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF
                                              : CUBLAS_COMPUTE_32F;
  ColumnMajorCall call = columnMajor(p);
  auto layout = [&](cublasLtMatrixLayout_t *l, const Layout &v, bool bf16) {
    cuda.checkBlas(b.cublasLtMatrixLayoutCreate(l,
                                                bf16 ? CUDA_R_16BF : CUDA_R_32F,
                                                v.rows, v.cols, v.ld),
                   "cublasLtMatrixLayoutCreate");
    if (call.count > 1) {
      int32_t n32 = static_cast<int32_t>(call.count);
      int64_t stride = v.stride;
      b.cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                         &n32, sizeof n32);
      b.cublasLtMatrixLayoutSetAttribute(
          *l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
          sizeof stride);
    }
  };
  // (cuBLASLt's A is our B: columnMajor.)
  layout(&mm.a, call.a, rhs16);
  layout(&mm.b, call.b, lhs16);
  layout(&mm.c, call.c, out16);
  cublasLtMatmulPreference_t pref = nullptr;
  b.cublasLtMatmulPreferenceCreate(&pref);
  b.cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &cuda.workspaceBytes,
      sizeof cuda.workspaceBytes);
  // The heuristic assumes 256-byte aligned pointers unless told: the
  // memory plan aligns to 64, heads and batches may offset less.
  uint32_t alignA = alignmentOf({p.strideB, p.stepB}, rhs16 ? 2 : 4),
           alignB = alignmentOf({p.strideA, p.stepA}, lhs16 ? 2 : 4),
           alignC = alignmentOf({p.strideC, p.stepC}, out16 ? 2 : 4);
  b.cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alignA, sizeof alignA);
  b.cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alignB, sizeof alignB);
  b.cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alignC, sizeof alignC);
  b.cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alignC, sizeof alignC);
  cublasLtMatmulHeuristicResult_t result{};
  // The product's descriptor for `compute`, and whether the heuristic has
  // an algorithm for it.
  auto describe = [&](cublasComputeType_t compute) {
    cuda.checkBlas(b.cublasLtMatmulDescCreate(&mm.desc, compute, CUDA_R_32F),
                   "cublasLtMatmulDescCreate");
    cublasOperation_t opA = call.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opB = call.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    b.cublasLtMatmulDescSetAttribute(mm.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA,
                                     sizeof opA);
    b.cublasLtMatmulDescSetAttribute(mm.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB,
                                     sizeof opB);
    b.cublasLtMatmulDescSetAttribute(mm.desc, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                     &epilogue, sizeof epilogue);
    // One bias for every product of a batch.
    int64_t biasStride = 0;
    b.cublasLtMatmulDescSetAttribute(mm.desc,
                                     CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE,
                                     &biasStride, sizeof biasStride);
    int found = 0;
    cublasStatus_t status = b.cublasLtMatmulAlgoGetHeuristic(
        cuda.lt, mm.desc, mm.a, mm.b, mm.c, mm.c, pref, 1, &result, &found);
    if (status == CUBLAS_STATUS_NOT_SUPPORTED)
      return false;
    cuda.checkBlas(status, "cublasLtMatmulAlgoGetHeuristic");
    return found > 0;
  };
  bool found = describe(requested);
  if (!found && requested != CUBLAS_COMPUTE_32F) {
    // Slower than asked for, but a trainer that runs: once per product.
    b.cublasLtMatmulDescDestroy(mm.desc);
    found = describe(CUBLAS_COMPUTE_32F);
    if (found)
      std::fprintf(stderr,
                   "nngc: cuBLASLt has no %s algorithm for the %lldx%lldx%lld "
                   "product; it runs in fp32\n",
                   precision == Context::Precision::TF32 ? "tf32" : "bf16",
                   static_cast<long long>(p.m), static_cast<long long>(p.k),
                   static_cast<long long>(p.n));
  }
  b.cublasLtMatmulPreferenceDestroy(pref);
  if (!found)
    throw std::runtime_error("cuBLASLt has no algorithm for a " +
                             std::to_string(p.m) + "x" + std::to_string(p.k) +
                             "x" + std::to_string(p.n) + " product");
  mm.algo = result.algo;
  mm.ready = true;
}

/// C (batch, m, n) = op(A) op(B) [+ bias] [relu] [+ addend], row-major.
static void matmulInit(void *c, int32_t slot, int64_t batch, int64_t m,
                       int64_t k, int64_t n, int32_t flags, int32_t act) {
  Context::Cuda &cuda = cudaOf(c);
  if (cuda.matmuls.size() <= static_cast<size_t>(slot))
    cuda.matmuls.resize(slot + 1);
  Matmul &mm = cuda.matmuls[slot];
  mm.flags = flags;
  mm.hasBias = flags & NNGC_MATMUL_BIAS;
  bool ta = flags & NNGC_MATMUL_TRANSPOSE_A,
       tb = flags & NNGC_MATMUL_TRANSPOSE_B;
  cublasLtEpilogue_t epilogue =
      act == NNGC_RELU
          ? (mm.hasBias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU)
          : (mm.hasBias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT);
  ProductShape p =
      denseProduct(batch, m, k, n, ta, tb, flags & NNGC_MATMUL_SHARED_B);
  setupProduct(c, mm, p, epilogue, flags);
}

/// out = op(A) op(B) [+ bias] + beta cIn with `mm`'s setup.
static void product(Context::Cuda &cuda, Matmul &mm, const float *a,
                    const float *b, const float *bias, const void *cIn,
                    float *out, float beta) {
  if (!mm.ready)
    throw std::runtime_error("CUDA: a product ran before its setup");
  if (mm.hasBias)
    cuda.blas->cublasLtMatmulDescSetAttribute(
        mm.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
  float alpha = 1;
  cuda.checkBlas(
      cuda.blas->cublasLtMatmul(cuda.lt, mm.desc, &alpha, b, mm.a, a, mm.b,
                                &beta, cIn, mm.c, out, mm.c, &mm.algo,
                                reinterpret_cast<void *>(cuda.workspace),
                                cuda.workspaceBytes, cuda.stream),
      "cublasLtMatmul");
  cuda.synchronizeIfAsked("a cuBLASLt product");
}

static void matmulRun(void *c, int32_t slot, const float *a, const float *b,
                      const float *bias, const float *addend, float *out) {
  Context::Cuda &cuda = cudaOf(c);
  Matmul &mm = cuda.matmuls.at(slot);
  float beta = 0;
  const void *cIn = out;
  if (mm.flags & NNGC_MATMUL_ADDEND) {
    beta = 1;
    cIn = addend;
  } else if (mm.flags & NNGC_MATMUL_ACCUMULATE) {
    beta = 1;
  }
  product(cuda, mm, a, b, bias, cIn, out, beta);
}

extern "C" void nngc_cuda_matmul_init(void *ctx, int32_t slot, int64_t batch,
                                      int64_t m, int64_t k, int64_t n,
                                      int32_t flags) {
  guarded(ctx, [&] { matmulInit(ctx, slot, batch, m, k, n, flags, -1); });
}

extern "C" void nngc_cuda_matmul(void *ctx, int32_t slot, const float *a,
                                 const float *b, const float *bias, float *c) {
  guarded(ctx, [&] { matmulRun(ctx, slot, a, b, bias, nullptr, c); });
}

extern "C" void nngc_cuda_fused_matmul_init(void *ctx, int32_t slot,
                                            int64_t batch, int64_t m, int64_t k,
                                            int64_t n, int32_t flags,
                                            int32_t act, double) {
  guarded(ctx, [&] {
    if (act != -1 && act != NNGC_RELU)
      throw std::runtime_error("CUDA: a fused product's epilogue must be none "
                               "or relu (the compiler should not fuse others)");
    // cuBLASLt adds the addend (beta C) before the epilogue; nngc's order is
    // addend + act(product + bias), equal only without an activation.
    if (act != -1 && (flags & (NNGC_MATMUL_ADDEND | NNGC_MATMUL_ACCUMULATE)))
      throw std::runtime_error("CUDA: a fused product with both an addend and "
                               "an activation is not supported");
    matmulInit(ctx, slot, batch, m, k, n, flags, act);
  });
}

extern "C" void nngc_cuda_fused_matmul(void *ctx, int32_t slot, const float *a,
                                       const float *b, const float *bias,
                                       const float *addend, float *c) {
  guarded(ctx, [&] { matmulRun(ctx, slot, a, b, bias, addend, c); });
}

//===----------------------------------------------------------------------===//
// nn.attention: cuBLASLt products over strided views of the heads, the
// softmax kernels of AttentionKernels.cpp between them
//===----------------------------------------------------------------------===//

namespace {

/// `flags`: the NNGC_MATMUL_*_BF16 of A (lhs), B (rhs) and C.
void headProductInit(void *c, HeadProduct &hp, const HeadProductPlan &plan,
                     float alpha, int32_t flags) {
  hp.alpha = alpha;
  hp.loops = plan.loops;
  hp.stepA = plan.shape.stepA, hp.stepB = plan.shape.stepB,
  hp.stepC = plan.shape.stepC;
  hp.bytesA = flags & NNGC_MATMUL_LHS_BF16 ? 2 : 4;
  hp.bytesB = flags & NNGC_MATMUL_RHS_BF16 ? 2 : 4;
  hp.bytesC = flags & NNGC_MATMUL_RESULT_BF16 ? 2 : 4;
  setupProduct(c, hp.mm, plan.shape, CUBLASLT_EPILOGUE_DEFAULT, flags);
}

void headProductRun(Context::Cuda &cuda, HeadProduct &hp, const void *a,
                    const void *b, void *out) {
  const float beta = 0;
  auto at = [](const void *p, int64_t elements, int64_t bytes) {
    return static_cast<const char *>(p) + elements * bytes;
  };
  for (int64_t l = 0; l < hp.loops; ++l) {
    void *c = const_cast<char *>(at(out, l * hp.stepC, hp.bytesC));
    cuda.checkBlas(
        cuda.blas->cublasLtMatmul(
            cuda.lt, hp.mm.desc, &hp.alpha, at(b, l * hp.stepB, hp.bytesB),
            hp.mm.a, at(a, l * hp.stepA, hp.bytesA), hp.mm.b, &beta, c, hp.mm.c,
            c, hp.mm.c, &hp.mm.algo, reinterpret_cast<void *>(cuda.workspace),
            cuda.workspaceBytes, cuda.stream),
        "cublasLtMatmul (attention)");
    cuda.synchronizeIfAsked("an attention product");
  }
}

/// The attention work buffers in the shared scratch, each `pitch` bytes:
/// the attention's padded size in its element type (Attention::probBytes;
/// a multiple of 64 bytes, the alignment the products' setup promises
/// cuBLASLt).
struct Scratch {
  char *base;
  int64_t pitch;
  float *buffer(int64_t i) const {
    return reinterpret_cast<float *>(base + i * pitch);
  }
};

int64_t scratchPitch(const Attention &a) {
  return (paddedFloats(a.size()) * a.probBytes() + 63) / 64 * 64;
}

Scratch scratchOf(Context::Cuda &cuda, const Attention &a) {
  return {reinterpret_cast<char *>(cuda.attentionScratch), scratchPitch(a)};
}

} // namespace

extern "C" void nngc_cuda_attention_init(void *c, int32_t s, int64_t batch,
                                         int64_t heads, int64_t tq, int64_t tk,
                                         int64_t width, double scale,
                                         double dropout, int32_t flags) {
  guarded(c, [&] {
    Context::Cuda &cuda = cudaOf(c);
    cuda.lib();
    Attention &a = cuda.attention[s];
    a.batch = batch, a.heads = heads, a.tq = tq, a.tk = tk;
    a.flags = flags;
    a.dropout = dropout;
    a.bf16 = flags & NNGC_ATTN_BF16;
    auto f = static_cast<float>(scale);
    AttentionPlans plans = planAttention(batch, heads, tq, tk, width);
    // With bf16 operands every product multiplies bf16 by bf16 into bf16,
    // the scores and dP too, as PyTorch's autocast (AttentionKernels.cpp).
    int32_t all16 = a.bf16 ? NNGC_MATMUL_LHS_BF16 | NNGC_MATMUL_RHS_BF16 |
                                 NNGC_MATMUL_RESULT_BF16
                           : 0;
    headProductInit(c, a.scores, plans.scores, f, all16);
    headProductInit(c, a.context, plans.context, 1, all16);
    bool backward = flags & NNGC_ATTN_BACKWARD;
    bool recompute = flags & NNGC_ATTN_RECOMPUTE;
    if (backward) {
      headProductInit(c, a.dValue, plans.dValue, 1, all16);
      headProductInit(c, a.dProbs, plans.dProbs, 1, all16);
      headProductInit(c, a.dQuery, plans.dQuery, f, all16);
      headProductInit(c, a.dKey, plans.dKey, f, all16);
      if (!recompute)
        cuda.reserve(a.size() * a.probBytes(),
                     [&a](CUdeviceptr p) { a.probs = p; });
    }
    // The scratch: the forward's scores, with the dropped probabilities
    // over them, and probabilities; the backward's dP with dS over it,
    // the dropped probabilities, and the recomputation's probabilities.
    // All of the element type, so nothing is written over another type.
    int64_t need = scratchPitch(a) / 4 * (backward && recompute ? 3 : 2);
    cuda.attentionScratchFloats = std::max(cuda.attentionScratchFloats, need);
  });
}

/// S = scale Q K^T into `scores`, then the softmax kernel (launch
/// `softmax`): P into `probs`, dropout(P) into `dropped`.
static void scoresAndSoftmax(void *c, Attention &a, int32_t softmax,
                             const float *q, const float *k, const float *mask,
                             void *scores, void *probs, void *dropped) {
  headProductRun(cudaOf(c), a.scores, q, k, scores);
  LaunchArgs ptrs = {scores};
  if (mask)
    ptrs.add(mask);
  ptrs.add(probs);
  ptrs.add(dropped);
  launchWith(c, softmax, ptrs);
}

extern "C" void nngc_cuda_attention(void *c, int32_t s, int32_t training,
                                    int32_t softmax, const float *q,
                                    const float *k, const float *v,
                                    const float *mask, float *out) {
  guarded(c, [&] {
    Context &ctx = *static_cast<Context *>(c);
    Context::Cuda &cuda = cudaOf(c);
    Attention &a = cuda.attention.at(s);
    Scratch w = scratchOf(cuda, a);
    float *scores = w.buffer(0);
    void *probs = a.probs ? reinterpret_cast<void *>(a.probs) : w.buffer(1);
    // dropout(P) over the scores, which the kernel has read by then.
    void *dropped = scores;
    scoresAndSoftmax(c, a, softmax, q, k, mask, scores, probs, dropped);
    bool drops = training && dropoutP(ctx, a.dropout) > 0;
    headProductRun(cuda, a.context, drops ? dropped : probs, v, out);
  });
}

extern "C" void nngc_cuda_attention_grad(void *c, int32_t s, int32_t softmax,
                                         int32_t softmaxGrad, const float *dout,
                                         const float *q, const float *k,
                                         const float *v, const float *mask,
                                         float *dq, float *dk, float *dv) {
  guarded(c, [&] {
    Context &ctx = *static_cast<Context *>(c);
    Context::Cuda &cuda = cudaOf(c);
    Attention &a = cuda.attention.at(s);
    Scratch w = scratchOf(cuda, a);
    // dS over dP in `work`, the dropped probabilities and the recomputed
    // ones after it.
    float *work = w.buffer(0);
    void *probs = reinterpret_cast<void *>(a.probs);
    void *dropped = w.buffer(1);
    if (!a.probs) {
      if (softmax < 0)
        throw std::runtime_error("CUDA: nn.attention_grad has no "
                                 "probabilities to read or recompute");
      // The forward's products and kernel again: the forward's bits.
      probs = w.buffer(1);
      dropped = w.buffer(2);
      scoresAndSoftmax(c, a, softmax, q, k, mask, work, probs, dropped);
    }
    // dP into the first buffer, then dS = P (dropout(dP) - rowsum) in
    // place and dropout(P) beside it.
    headProductRun(cuda, a.dProbs, dout, v, work);
    LaunchArgs ptrs = {work, probs, dropped};
    launchWith(c, softmaxGrad, ptrs);
    bool drops = dropoutP(ctx, a.dropout) > 0;
    headProductRun(cuda, a.dValue, drops ? dropped : probs, dout, dv);
    headProductRun(cuda, a.dQuery, work, k, dq);
    headProductRun(cuda, a.dKey, work, q, dk);
  });
}

//===----------------------------------------------------------------------===//
// nn.rnn, nn.gru, nn.lstm and nn.rnn_grad: cuBLASLt products around the
// cell kernels of RecurrentKernels.cpp, one launch per step
//===----------------------------------------------------------------------===//

namespace {

float *f32(CUdeviceptr p) { return reinterpret_cast<float *>(p); }

RecurrentOperands splitRecurrent(const Recurrent &r, const float *const *ops) {
  return splitRecurrentOperands(ops, r.masked, r.initial, r.lstm());
}

void copyOrZero(Context::Cuda &cuda, float *dst, const float *src,
                int64_t floats) {
  if (src)
    cuda.check(cuda.driver->cuMemcpyDtoDAsync(
                   reinterpret_cast<CUdeviceptr>(dst),
                   reinterpret_cast<CUdeviceptr>(src), floats * 4, cuda.stream),
               "cuMemcpyDtoDAsync");
  else
    cuda.check(cuda.driver->cuMemsetD8Async(reinterpret_cast<CUdeviceptr>(dst),
                                            0, floats * 4, cuda.stream),
               "cuMemsetD8Async");
}

/// The input of layer l: the stack's, or the layer below's output (after
/// its dropout).
const float *recurrentLayerInput(const Recurrent &r, int64_t l,
                                 const float *input, bool training) {
  if (l == 0)
    return input;
  return f32(r.dropoutAfter(l - 1, training) ? r.next[l - 1] : r.out[l - 1]);
}

} // namespace

extern "C" void nngc_cuda_rnn_init(void *c, int32_t s, int32_t mode,
                                   int64_t layers, int64_t dirs, int64_t seq,
                                   int64_t batch, int64_t input, int64_t hidden,
                                   int32_t flags, double dropout) {
  guarded(c, [&] {
    Context::Cuda &cuda = cudaOf(c);
    Recurrent &r = cuda.recurrent[s];
    r.mode = mode;
    r.layers = layers, r.dirs = dirs, r.seq = seq, r.batch = batch;
    r.input = input, r.hidden = hidden;
    r.batchFirst = flags & NNGC_RNN_BATCH_FIRST;
    r.bias = flags & NNGC_RNN_BIAS;
    r.initial = flags & NNGC_RNN_INITIAL;
    r.masked = flags & NNGC_RNN_MASK;
    r.dropout = dropout;
    int64_t gates = r.lstm() ? 4 : r.gru() ? 3 : 1;
    r.g = gates * hidden;
    r.saved = r.lstm() || r.gru() ? 4 * hidden : 0;
    int64_t rows = r.rows(), B = batch, H = hidden, G = r.g;
    // Each buffer by its place in `r` (a std::map's values stay put; the
    // vectors are complete before the buffers are placed).
    auto alloc = [&](CUdeviceptr Recurrent::*one, int64_t floats) {
      cuda.reserve(floats * 4, [&r, one](CUdeviceptr p) { r.*one = p; });
    };
    auto allocIn = [&](std::vector<CUdeviceptr> Recurrent::*list,
                       int64_t floats) {
      size_t i = (r.*list).size();
      (r.*list).push_back(0);
      if (floats > 0)
        cuda.reserve(floats * 4,
                     [&r, list, i](CUdeviceptr p) { (r.*list)[i] = p; });
    };
    r.products.resize(layers);
    for (int64_t l = 0; l < layers; ++l) {
      int64_t in = r.layerInput(l);
      Recurrent::Products &p = r.products[l];
      auto bias = r.bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
      p.gx.hasBias = p.gh.hasBias = r.bias;
      setupProduct(c, p.gx, denseProduct(1, rows, in, G, false, true, false),
                   bias);
      setupProduct(c, p.gh, denseProduct(1, B, H, G, false, true, false), bias);
      if (flags & NNGC_RNN_BACKWARD) {
        auto none = CUBLASLT_EPILOGUE_DEFAULT;
        setupProduct(c, p.dh, denseProduct(1, B, G, H, false, false, false),
                     none);
        setupProduct(c, p.dWih,
                     denseProduct(1, G, rows, in, true, false, false), none);
        setupProduct(c, p.dWhh, denseProduct(1, G, rows, H, true, false, false),
                     none);
        setupProduct(c, p.dBias,
                     denseProduct(1, G, rows, 1, true, false, false), none);
        setupProduct(c, p.dX, denseProduct(1, rows, G, in, false, false, false),
                     none);
      }
      if (l + 1 < layers) {
        allocIn(&Recurrent::out, rows * dirs * H);
        allocIn(&Recurrent::next, dropout > 0 ? rows * dirs * H : 0);
        allocIn(&Recurrent::dnext, rows * dirs * H);
      }
      for (int64_t d = 0; d < dirs; ++d) {
        allocIn(&Recurrent::hs, (seq + 1) * B * H);
        allocIn(&Recurrent::cs, r.lstm() ? (seq + 1) * B * H : 0);
        allocIn(&Recurrent::gates, r.saved ? seq * B * r.saved : 0);
      }
    }
    alloc(&Recurrent::gx, rows * G);
    alloc(&Recurrent::gh, B * G);
    alloc(&Recurrent::dgx, rows * G);
    alloc(&Recurrent::dgh, rows * G);
    alloc(&Recurrent::dh, B * H);
    alloc(&Recurrent::dc, B * H);
    // The column of ones the bias gradients' products read, once placed.
    Context::Cuda *cu = &cuda;
    cuda.reserve(rows * 4, [&r, cu, rows](CUdeviceptr p) {
      r.ones = p;
      std::vector<float> ones(rows, 1.f);
      cu->check(
          cu->driver->cuMemcpyHtoDAsync(p, ones.data(), rows * 4, cu->stream),
          "cuMemcpyHtoDAsync");
      cu->check(cu->driver->cuStreamSynchronize(cu->stream),
                "uploading a recurrent layer's ones");
    });
  });
}

extern "C" void nngc_cuda_rnn(void *c, int32_t s, int32_t training,
                              int32_t firstLaunch, const float *const *operands,
                              float *const *results) {
  guarded(c, [&] {
    Context::Cuda &cuda = cudaOf(c);
    Recurrent &r = cuda.recurrent.at(s);
    RecurrentOperands op = splitRecurrent(r, operands);
    int64_t T = r.seq, B = r.batch, H = r.hidden, D = r.dirs, G = r.g;
    for (int64_t l = 0; l < r.layers; ++l) {
      Recurrent::Products &p = r.products[l];
      const float *x = recurrentLayerInput(r, l, op.input, training);
      float *y = l + 1 == r.layers ? results[0] : f32(r.out[l]);
      for (int64_t d = 0; d < D; ++d) {
        int64_t cell = l * D + d;
        const float *const *w = op.weights + cell * r.weightsPerCell();
        const float *bih = r.bias ? w[2] : nullptr,
                    *bhh = r.bias ? w[3] : nullptr;
        float *hs = f32(r.hs[cell]), *cs = f32(r.cs[cell]),
              *gates = f32(r.gates[cell]);
        product(cuda, p.gx, x, w[0], bih, f32(r.gx), f32(r.gx), 0);
        copyOrZero(cuda, hs, op.h0 ? op.h0 + cell * B * H : nullptr, B * H);
        if (r.lstm())
          copyOrZero(cuda, cs, op.c0 ? op.c0 + cell * B * H : nullptr, B * H);
        for (int64_t step = 0; step < T; ++step) {
          int64_t t = d == 0 ? step : T - 1 - step;
          float *hPrev = hs + step * B * H, *hNew = hPrev + B * H;
          product(cuda, p.gh, hPrev, w[1], bhh, f32(r.gh), f32(r.gh), 0);
          // RecurrentKernels.cpp's buildCell, in its order.
          LaunchArgs ptrs = {f32(r.gx) + r.rowOf(t) * G, f32(r.gh), hPrev,
                             hNew};
          if (r.lstm()) {
            ptrs.add(cs + step * B * H);
            ptrs.add(cs + (step + 1) * B * H);
          }
          if (r.saved)
            ptrs.add(gates + step * B * r.saved);
          ptrs.add(y + r.rowOf(t) * D * H + d * H);
          if (r.masked)
            ptrs.add(op.mask + r.rowOf(t));
          launchWith(c, firstLaunch, ptrs);
        }
        copyOrZero(cuda, results[1] + cell * B * H, hs + T * B * H, B * H);
        if (r.lstm())
          copyOrZero(cuda, results[2] + cell * B * H, cs + T * B * H, B * H);
      }
      if (r.dropoutAfter(l, training)) {
        LaunchArgs ptrs = {f32(r.out[l]), f32(r.next[l])};
        launchWith(c, firstLaunch + 1 + static_cast<int32_t>(l), ptrs);
      }
    }
  });
}

extern "C" void nngc_cuda_rnn_grad(void *c, int32_t s, int32_t firstLaunch,
                                   const float *const *operands,
                                   const float *const *outputs,
                                   const float *const *outputGrads,
                                   float *const *results) {
  guarded(c, [&] {
    Context::Cuda &cuda = cudaOf(c);
    Recurrent &r = cuda.recurrent.at(s);
    RecurrentOperands op = splitRecurrent(r, operands);
    int64_t T = r.seq, B = r.batch, H = r.hidden, D = r.dirs, G = r.g;
    int64_t next = 1;
    if (r.masked) // the mask's cotangent
      copyOrZero(cuda, results[next++], nullptr, r.rows());
    float *dh0 = r.initial ? results[next++] : nullptr;
    float *dc0 = r.initial && r.lstm() ? results[next++] : nullptr;
    float *const *dw = results + next;
    const float *dhn = outputGrads[1];
    const float *dcn = r.lstm() ? outputGrads[2] : nullptr;
    float *dh = f32(r.dh), *dc = f32(r.dc), *dgx = f32(r.dgx),
          *dgh = f32(r.dgh);
    for (int64_t l = r.layers - 1; l >= 0; --l) {
      Recurrent::Products &p = r.products[l];
      bool top = l + 1 == r.layers;
      const float *dy = outputGrads[0];
      if (!top) {
        if (r.dropoutAfter(l, true)) {
          LaunchArgs ptrs = {f32(r.dnext[l]), f32(r.dnext[l])};
          launchWith(c, firstLaunch + 1 + static_cast<int32_t>(l), ptrs);
        }
        dy = f32(r.dnext[l]);
      }
      const float *x = recurrentLayerInput(r, l, op.input, true);
      float *dx = l == 0 ? results[0] : f32(r.dnext[l - 1]);
      for (int64_t d = 0; d < D; ++d) {
        int64_t cell = l * D + d, w0 = cell * r.weightsPerCell();
        const float *const *w = op.weights + w0;
        float *hs = f32(r.hs[cell]), *cs = f32(r.cs[cell]),
              *gates = f32(r.gates[cell]);
        copyOrZero(cuda, dh, dhn + cell * B * H, B * H);
        if (r.lstm())
          copyOrZero(cuda, dc, dcn + cell * B * H, B * H);
        for (int64_t step = T - 1; step >= 0; --step) {
          int64_t t = d == 0 ? step : T - 1 - step;
          // RecurrentKernels.cpp's buildCellGrad, in its order.
          LaunchArgs ptrs = {dy + r.rowOf(t) * D * H + d * H, dh};
          if (r.lstm())
            ptrs.add(dc);
          if (r.saved)
            ptrs.add(gates + step * B * r.saved);
          if (r.gru())
            ptrs.add(hs + step * B * H);
          if (r.lstm()) {
            ptrs.add(cs + step * B * H);
            ptrs.add(cs + (step + 1) * B * H);
          }
          if (!r.gru() && !r.lstm())
            ptrs.add(hs + (step + 1) * B * H);
          if (r.masked)
            ptrs.add(op.mask + r.rowOf(t));
          ptrs.add(dgx + r.rowOf(t) * G);
          ptrs.add(dgh + step * B * G);
          launchWith(c, firstLaunch, ptrs);
          // dh_prev += dG_h W_hh.
          product(cuda, p.dh, dgh + step * B * G, w[1], nullptr, dh, dh, 1);
        }
        if (dh0)
          copyOrZero(cuda, dh0 + cell * B * H, dh, B * H);
        if (dc0)
          copyOrZero(cuda, dc0 + cell * B * H, dc, B * H);
        // dgh's step s pairs with hs's step s (the state it read).
        product(cuda, p.dWih, dgx, x, nullptr, dw[w0], dw[w0], 0);
        product(cuda, p.dWhh, dgh, hs, nullptr, dw[w0 + 1], dw[w0 + 1], 0);
        if (r.bias) {
          product(cuda, p.dBias, dgx, f32(r.ones), nullptr, dw[w0 + 2],
                  dw[w0 + 2], 0);
          product(cuda, p.dBias, dgh, f32(r.ones), nullptr, dw[w0 + 3],
                  dw[w0 + 3], 0);
        }
        // Both directions add into the input's cotangent.
        product(cuda, p.dX, dgx, w[0], nullptr, dx, dx, d == 0 ? 0.f : 1.f);
      }
    }
  });
}

//===----------------------------------------------------------------------===//
// nn.sinusoidal_positions: a constant, computed once on the host
//===----------------------------------------------------------------------===//

extern "C" void nngc_cuda_sinusoidal_positions(void *c, int64_t t, int64_t cols,
                                               float *out) {
  guarded(c, [&] {
    Context::Cuda &cuda = cudaOf(c);
    float *&table = cuda.positions[{t, cols}];
    if (!table) {
      void *p = nullptr;
      cuda.check(cuda.driver->cuMemAllocHost(&p, t * cols * 4),
                 "allocating pinned host memory");
      table = static_cast<float *>(p);
      sinusoidalTable(t, cols, table);
    }
    // The plan may reuse the buffer within a step: write it every time
    // (asynchronously, from pinned memory).
    cuda.check(
        cuda.driver->cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(out),
                                       table, t * cols * 4, cuda.stream),
        "cuMemcpyHtoDAsync");
  });
}
