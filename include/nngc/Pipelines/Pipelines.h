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

namespace nngc {

/// Options shared by the stages.
struct PipelineOptions {
  /// Let arena values with disjoint lifetimes share memory.
  bool reuseMemory = true;
};

/// nn model -> training graph: autodiff, optimizer, memory plan.
void buildTrainingPipeline(mlir::OpPassManager &pm,
                           const PipelineOptions &options = {});

/// Planned training graph -> LLVM dialect (entry points + manifest).
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options = {});

/// Registers the dialects nngc reads and produces.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every nngc pass and the named pipelines.
void registerAllPasses();

} // namespace nngc

#endif // NNGC_PIPELINES_PIPELINES_H
