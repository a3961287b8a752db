//===- Report.h - the memory plan's buffers and the compile report -*- C++
//-*-===//
//
// Shared by nngc-plan-memory, nngc-fuse and `nngc compile --report`: the
// arena buffers of a model with their lifetimes, the kernels a model
// launches, and the report itself (JSON, and its text rendering).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_TRANSFORMS_REPORT_H
#define NNGC_DIALECT_NN_TRANSFORMS_REPORT_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/JSON.h"

namespace nngc::nn {
class ModelOp;

/// Where one tensor lives: a buffer ("arena", "param", "grad", "state") and
/// a byte offset into it.
struct Storage {
  llvm::StringRef space;
  int64_t offset;
};

/// The storage nngc-plan-memory wrote on `op` for its result `result`
/// (`nngc.space`/`nngc.offset`, or entry `result` of `nngc.spaces`/
/// `nngc.offsets`; for a sink such as nn.gradient, its slot), if any.
std::optional<Storage> readPlannedStorage(mlir::Operation *op,
                                          unsigned result = 0);

/// How nngc-plan-memory plans (its pass options).
struct PlanOptions {
  bool reuse = true, inPlace = true;
  std::string strategy = "best";
};

/// A memory plan: every tensor's storage and the buffer sizes.
struct MemoryPlan {
  llvm::DenseMap<mlir::Value, Storage> storage;
  /// Each nn.gradient op and its parameter's offset.
  llvm::SmallVector<std::pair<mlir::Operation *, int64_t>> gradientSlots;
  int64_t arenaBytes = 0, paramBytes = 0, stateBytes = 0;
  /// Parameters, gradients (training models), state, arena and the
  /// primitives' workspace: what `--report` calls the total.
  int64_t totalBytes(ModelOp model) const;
};

/// Plans `model`'s memory (sorting its body topologically first), without
/// writing the plan on it: nngc-plan-memory writes it, nngc-remat weighs
/// it.
mlir::FailureOr<MemoryPlan> planMemory(ModelOp model,
                                       const PlanOptions &options);

/// One arena buffer: the values that share it (a value and the results
/// written over it in place), the op indices (in the model's body order)
/// it is live between, and its size and planned offset.
struct ArenaBuffer {
  llvm::SmallVector<mlir::Value> values;
  int64_t start = 0, end = 0, size = 0, offset = -1;
};

/// The arena buffers of `model` (whose body is topologically sorted), in
/// order of definition. Values already placed elsewhere (`preassigned`:
/// parameters, state, gradients written into their slots) and reshapes
/// (which alias their input) have none. With `inPlace`, results of
/// InPlaceOpInterface ops share the buffer of an operand they are the
/// last use of.
llvm::SmallVector<ArenaBuffer>
arenaBuffers(ModelOp model, llvm::function_ref<bool(mlir::Value)> preassigned,
             bool inPlace);

/// Whether `op` runs a kernel (a library primitive or a runtime loop), as
/// opposed to declaring data (inputs, parameters, state), aliasing it
/// (reshape) or naming it (outputs, the loss, gradients).
bool isKernelOp(mlir::Operation *op);

/// `loc` as the user wrote it: file:line:col where there is one.
std::string locationText(mlir::Location loc);

/// nngc-insert-numerics-checks on one model's body: an nn.check_finite
/// after each f32 result of every kernel op and input, ids from 0 in
/// order; returns how many.
int64_t insertNumericsChecks(mlir::Block &body);

/// The number of kernel ops in `model`'s body.
int64_t countKernels(ModelOp model);

/// What a planned training graph costs: parameters, FLOPs per step by op
/// kind, kernels before and after fusion, the memory plan (parameters,
/// optimizer state, gradients, activations, workspace) and, with
/// `schedule`, every arena buffer's lifetime and offset.
llvm::json::Object buildReport(ModelOp model, bool schedule);

/// `report` as text for people.
std::string renderReport(const llvm::json::Object &report);

/// Bytes the runtime primitives keep outside the arena for the backward
/// pass (attention probabilities and scratch, layer-norm statistics).
int64_t primitiveWorkspaceBytes(ModelOp model);

} // namespace nngc::nn

#endif // NNGC_DIALECT_NN_TRANSFORMS_REPORT_H
