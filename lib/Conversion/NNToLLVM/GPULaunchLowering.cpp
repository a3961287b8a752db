//===- GPULaunchLowering.cpp - host code of the CUDA target ---------------===//
//
// With `target=cuda`, an op that nngc-convert-nn-to-gpu-kernels gave
// kernels (`nngc.gpu_kernels`, `nngc.gpu_launch`, `nngc.gpu_args`) becomes
// its launches: nngc_setup registers each launch once
// (nngc_cuda_launch_init: the kernel's name in the embedded PTX, grid,
// block, and what each argument is), and the entry point passes the
// launch's tensors, device pointers into the same buffers as on the CPU
// (nngc_cuda_launch). The runtime computes the scalars (valid rows,
// dropout keys, optimizer coefficients) at each launch
// (lib/Runtime/Cuda/Cuda.cpp).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace nngc;

/// The spec of launch `i` of `op` for nngc_cuda_launch_init: per argument
/// `t` (a pointer the launch passes: a tensor, or a `ptr=` work buffer),
/// `t=A` (a tensor the kernel reads as vectors: its pointer must be A-byte
/// aligned) or the scalar's name; and the op's tensors it takes, by
/// operand (or, after the operands, result) index.
static std::string launchSpec(Operation *op, unsigned i,
                              SmallVectorImpl<int64_t> *tensors = nullptr) {
  auto bindings = op->getAttrOfType<ArrayAttr>("nngc.gpu_args");
  std::string spec;
  for (Attribute a : cast<ArrayAttr>(bindings[i])) {
    if (!spec.empty())
      spec += ",";
    if (auto name = dyn_cast<StringAttr>(a)) {
      spec += name.getValue();
      continue;
    }
    // A tensor: its index, or [index, alignment] (KernelArg::vectors).
    int64_t index, align = 0;
    if (auto pair = dyn_cast<ArrayAttr>(a)) {
      index = cast<IntegerAttr>(pair[0]).getInt();
      align = cast<IntegerAttr>(pair[1]).getInt();
    } else {
      index = cast<IntegerAttr>(a).getInt();
    }
    if (tensors)
      tensors->push_back(index);
    spec += align ? "t=" + std::to_string(align) : std::string("t");
  }
  return spec;
}

bool nngc::hasRuntimeBuffers(Operation *op) {
  auto bindings = op->getAttrOfType<ArrayAttr>("nngc.gpu_args");
  if (!bindings)
    return false;
  for (Attribute list : bindings)
    for (Attribute a : cast<ArrayAttr>(list))
      if (auto name = dyn_cast<StringAttr>(a);
          name && name.getValue().starts_with("ptr="))
        return true;
  return false;
}

int64_t nngc::cudaLaunchOnce(OpBuilder &b, Operation *op, unsigned i,
                             NNLoweringState &state) {
  auto kernels = op->getAttrOfType<ArrayAttr>("nngc.gpu_kernels");
  auto launch = cast<DenseI64ArrayAttr>(
      op->getAttrOfType<ArrayAttr>("nngc.gpu_launch")[i]);
  int64_t slot =
      op->hasAttr("nngc.forward_slot") ? forwardSlotOf(op) : slotOf(op);
  bool training = !isInference(op);
  // One registration per (op, launch, training): the op's clones in
  // several entry points share it, an inference clone of a dropout has
  // its own (a copy).
  auto key = std::make_tuple(slotOf(op), static_cast<int64_t>(i), training);
  auto [it, inserted] =
      state.cudaLaunches.try_emplace(key, state.cudaLaunches.size());
  if (inserted) {
    auto module = op->getParentOfType<ModuleOp>();
    auto setup = module.lookupSymbol<LLVM::LLVMFuncOp>("nngc_setup");
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(setup.getBody().front().getTerminator());
    LoweringHelper s(b, op->getLoc());
    StringRef name = cast<SymbolRefAttr>(kernels[i]).getLeafReference();
    s.call("nngc_cuda_launch_init",
           {setup.getArgument(0), s.i32(it->second), s.string(name, state),
            s.i64(launch[0]), s.i64(launch[1]),
            s.string(launchSpec(op, i), state), s.i32(slot), s.i32(training)});
  }
  return it->second;
}

namespace {

struct GPULaunchLowering : public ConversionPattern {
  GPULaunchLowering(TypeConverter &converter, MLIRContext *ctx,
                    NNLoweringState &state)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/10, ctx),
        state(state) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto kernels = op->getAttrOfType<ArrayAttr>("nngc.gpu_kernels");
    auto launches = op->getAttrOfType<ArrayAttr>("nngc.gpu_launch");
    auto bindings = op->getAttrOfType<ArrayAttr>("nngc.gpu_args");
    if (!kernels || !launches || !bindings ||
        kernels.size() != launches.size() || kernels.size() != bindings.size())
      return failure();
    // Kernels over the runtime's work buffers run from the op's own
    // runtime call (its lowering pattern).
    if (hasRuntimeBuffers(op))
      return failure();
    LoweringHelper h(rewriter, op->getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
    for (unsigned i = 0; i < kernels.size(); ++i) {
      SmallVector<int64_t> indices;
      launchSpec(op, i, &indices);
      SmallVector<Value> tensors;
      auto numOperands = static_cast<int64_t>(operands.size());
      for (int64_t index : indices)
        tensors.push_back(index < numOperands ? operands[index]
                                              : results[index - numOperands]);
      int64_t id = cudaLaunchOnce(rewriter, op, i, state);
      h.call("nngc_cuda_launch",
             {contextArg(op), h.i32(id),
              tensors.empty() ? h.nullPtr() : h.ptrArray(tensors)});
    }
    if (op->getNumResults() == 0)
      rewriter.eraseOp(op);
    else
      rewriter.replaceOp(op, results);
    return success();
  }

private:
  NNLoweringState &state;
};

} // namespace

void nngc::populateGPULaunchLoweringPatterns(RewritePatternSet &patterns,
                                             TypeConverter &converter,
                                             NNLoweringState &state) {
  patterns.add<GPULaunchLowering>(converter, patterns.getContext(), state);
}
