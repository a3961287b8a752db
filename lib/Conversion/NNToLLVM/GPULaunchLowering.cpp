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
    LoweringHelper h(rewriter, op->getLoc());
    SmallVector<Value> results = storagesOf(rewriter, op);
    int64_t slot = op->hasAttr("nngc.forward_slot") ? forwardSlotOf(op)
                                                    : slotOf(op);
    bool training = !isInference(op);
    for (auto [i, kernel] : llvm::enumerate(kernels)) {
      auto launch = cast<DenseI64ArrayAttr>(launches[i]);
      SmallVector<Value> tensors;
      std::string spec;
      for (Attribute a : cast<ArrayAttr>(bindings[i])) {
        if (!spec.empty())
          spec += ",";
        if (auto name = dyn_cast<StringAttr>(a)) {
          spec += name.getValue();
          continue;
        }
        int64_t index = cast<IntegerAttr>(a).getInt();
        int64_t numOperands = static_cast<int64_t>(operands.size());
        tensors.push_back(index < numOperands ? operands[index]
                                              : results[index - numOperands]);
        spec += "t";
      }
      // One registration per (op, launch, training): the op's clones in
      // several entry points share it, an inference clone of a dropout
      // has its own (a copy).
      auto key = std::make_tuple(slotOf(op), static_cast<int64_t>(i), training);
      auto [it, inserted] =
          state.cudaLaunches.try_emplace(key, state.cudaLaunches.size());
      int64_t id = it->second;
      if (inserted) {
        auto module = op->getParentOfType<ModuleOp>();
        auto setup = module.lookupSymbol<LLVM::LLVMFuncOp>("nngc_setup");
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPoint(setup.getBody().front().getTerminator());
        LoweringHelper s(rewriter, op->getLoc());
        StringRef name = cast<SymbolRefAttr>(kernel).getLeafReference();
        s.call("nngc_cuda_launch_init",
               {setup.getArgument(0), s.i32(id), s.string(name, state),
                s.i64(launch[0]), s.i64(launch[1]), s.string(spec, state),
                s.i32(slot), s.i32(training)});
      }
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
