//===- Device.h - The accelerator a trainer's buffers may live on -*- C++
//-*-===//
//
// A trainer compiled with --target=cuda keeps its four buffers (arena,
// params, grads, state) on the GPU; the generated entry points take device
// pointers and launch kernels. Model (Model.cpp) keeps host copies for the
// trainer's code (inputs, checkpoints, outputs) and moves bytes through
// this interface: inputs before each entry point, outputs and the loss
// when they are read, parameters and optimizer state when the host reads
// or writes them. lib/Runtime/Cuda implements it (libnngc_cuda.a, linked
// into CUDA trainers only); see docs/CUDA.md.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_DEVICE_H
#define NNGC_RUNTIME_DEVICE_H

#include <cstdint>
#include <string>

namespace nngc::rt {

struct Context;

class Device {
public:
  virtual ~Device() = default;
  /// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)".
  virtual std::string describe() const = 0;
  /// `bytes` of zeroed device memory (freed with the device).
  virtual void *allocate(int64_t bytes) = 0;
  /// Host to device, ordered before the next entry point's kernels; `host`
  /// may change as soon as this returns (the bytes are staged in pinned
  /// memory, and the copy overlaps the kernels queued before it).
  virtual void upload(void *device, const void *host, int64_t bytes) = 0;
  /// Device to host, after every kernel launched so far.
  virtual void download(void *host, const void *device, int64_t bytes) = 0;
  /// Device to host after the kernels launched so far, without waiting:
  /// `host` (from allocateHost) holds the bytes after synchronize().
  virtual void downloadLater(void *host, const void *device, int64_t bytes) = 0;
  /// `bytes` of pinned host memory (freed with the device).
  virtual void *allocateHost(int64_t bytes) = 0;
  /// Waits for every launched kernel.
  virtual void synchronize() = 0;
  /// The device's own buffers (the products' workspace, attention's
  /// probabilities and work buffers, the recurrent layers' states) are a
  /// part of the model's one device allocation: the products' workspace
  /// of `bytes` is asked for before nngc_setup, the rest by nngc_setup's
  /// calls; then runtimeBufferBytes() says how many bytes they take, and
  /// placeRuntimeBuffers() gives them that part (256-byte aligned).
  virtual void reserveProductWorkspace(int64_t bytes) = 0;
  virtual int64_t runtimeBufferBytes() const = 0;
  virtual void placeRuntimeBuffers(void *device) = 0;
  /// After a training entry point with `ctx.checkNumerics`: the first of
  /// its numerics checks that found a NaN or an infinity, as the CPU's
  /// nngc_rt_check_finite reports it (ctx.error, ctx.numericsFailed).
  /// Waits for the step.
  virtual void reportNumerics(Context &ctx) = 0;
  /// A generated entry point (nngc_train and the others): ctx, arena,
  /// params, grads, state.
  using EntryPoint = void (*)(void *, void *, void *, void *, void *);
  /// Calls `entry` (named `name`) on these device buffers. The CUDA device
  /// runs its second call's launches as a CUDA graph it captures, and
  /// launches that graph from then on. The entry point's errors are in
  /// `ctx.error`; a failing graph launch or update throws
  /// std::runtime_error. Allocates nothing once the graph exists.
  virtual void runEntry(Context &ctx, const char *name, EntryPoint entry,
                        void *arena, void *params, void *grads, void *state) {
    entry(&ctx, arena, params, grads, state);
  }
  /// Whether the entry points run as CUDA graphs, or why not.
  virtual std::string graphs() const { return ""; }
};

} // namespace nngc::rt

extern "C" {
/// The CUDA device (lib/Runtime/Cuda), weak: null in a trainer linked
/// without the CUDA runtime. Loads the driver and the kernels
/// (nngc_cuda_ptx), registers `ctx` for the generated code's launches, and
/// throws std::runtime_error("no CUDA device ...") without a usable GPU.
__attribute__((weak)) nngc::rt::Device *
nngc_cuda_open_device(nngc::rt::Context *ctx);
}

#endif // NNGC_RUNTIME_DEVICE_H
