//===- Pipelines.cpp - nngc's compilation stages --------------------------===//

#include "nngc/Pipelines/Pipelines.h"
#include "nngc/Conversion/NNToLLVM/NNToLLVM.h"
#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

using namespace mlir;

void nngc::buildTrainingPipeline(OpPassManager &pm,
                                 const PipelineOptions &options) {
  pm.addPass(createNNDecomposePass());
  pm.addPass(createNNDeriveStepPass());
  pm.addPass(createNNAutodiffPass());
  pm.addPass(createNNOptimizerPass());
  NNPlanMemoryPassOptions plan;
  plan.reuse = options.reuseMemory;
  pm.addPass(createNNPlanMemoryPass(plan));
}

void nngc::buildLowerToLLVMPipeline(OpPassManager &pm,
                                    const PipelineOptions &) {
  pm.addPass(createConvertNNToLLVMPass());
}

void nngc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<nn::NNDialect, LLVM::LLVMDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

void nngc::registerAllPasses() {
  registerNNPasses();
  registerNNToLLVMPasses();
  PassPipelineRegistration<>(
      "nngc-training-pipeline",
      "nn model -> training graph (decomposition, step model, autodiff, "
      "optimizer, memory plan)",
      [](OpPassManager &pm) { buildTrainingPipeline(pm); });
  PassPipelineRegistration<>(
      "nngc-lower-to-llvm-pipeline", "planned training graph -> LLVM dialect",
      [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm); });
}
