//===- Pipelines.h - nngc's compilation stages ----------------*- C++ -*-===//
//
// The pipeline as named stages, shared by `nngc --emit=` and nngc-opt's
// `--nngc-*-pipeline` options:
//
//   model.mlir --(training)--> nn training graph --(lower)--> LLVM dialect
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_PIPELINES_PIPELINES_H
#define NNGC_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace nngc {

/// Options shared by the stages.
struct PipelineOptions {
  /// Let arena values with disjoint lifetimes share memory.
  bool reuseMemory = true;
  /// Which nn-level optimisations run (docs/Pipeline.md):
  ///   0: none (first-fit memory plan, no in-place results);
  ///   1: the memory plan writes results in place and keeps the smaller
  ///      of first-fit and greedy-by-size;
  ///   2: and nngc-fuse, and nngc-remat recomputes elementwise
  ///      activations in the backward pass where that lowers the plan.
  unsigned optLevel = 2;
  /// With a positive budget, nngc-remat recomputes activations so that the
  /// planned memory of a training step fits it (`--max-memory`).
  int64_t maxMemoryBytes = 0;
  /// Check every op's results in the training entry points when the
  /// trainer runs with --check-numerics (nn.check_finite).
  bool numericsChecks = true;
  /// Average gradients across data-parallel ranks (nngc-distribute, for
  /// `--distributed=mpi`), in buckets of about this many bytes (0: off).
  int64_t distributedBucketBytes = 0;
  /// The GPU architecture of the kernels (`--gpu-arch`, --target=cuda).
  std::string gpuArch = "sm_80";
  /// "cpu" or "cuda" (`--target`): on CUDA the products fuse only the
  /// epilogues cuBLASLt computes in nngc's order (ReLU; an addend on a
  /// product without an activation) and the lowering launches kernels.
  std::string target = "cpu";
  /// With target cuda: "fp32", "tf32" or "bf16" products (`--precision`).
  std::string precision = "fp32";
};

/// nn model -> training graph: autodiff, optimizer, [fusion,] memory plan.
void buildTrainingPipeline(mlir::OpPassManager &pm,
                           const PipelineOptions &options = {});

/// Planned training graph -> LLVM dialect (entry points + manifest).
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options = {});

/// Planned training graph -> the GPU kernels of its ops, as PTX in a
/// gpu.binary (`--target=cuda --emit=ptx`; docs/CUDA.md).
void buildGPUKernelPipeline(mlir::OpPassManager &pm,
                            const PipelineOptions &options = {});

/// Registers the dialects nngc reads and produces.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every nngc pass and the named pipelines.
void registerAllPasses();

} // namespace nngc

#endif // NNGC_PIPELINES_PIPELINES_H
