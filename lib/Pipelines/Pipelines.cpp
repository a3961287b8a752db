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
  if (options.optLevel >= 2)
    pm.addPass(createNNFusePass());
  NNPlanMemoryPassOptions plan;
  plan.reuse = options.reuseMemory;
  plan.inPlace = options.optLevel >= 1;
  plan.strategy = options.optLevel >= 1 ? "best" : "first-fit";
  if (options.maxMemoryBytes > 0 || options.optLevel >= 2) {
    NNRematPassOptions remat;
    remat.maxBytes = options.maxMemoryBytes;
    remat.cheap = options.optLevel >= 2;
    remat.inPlace = plan.inPlace && plan.reuse;
    remat.strategy = plan.reuse ? plan.strategy : "first-fit";
    pm.addPass(createNNRematPass(remat));
  }
  if (options.distributedBucketBytes > 0)
    pm.addPass(createNNDistributePass(
        NNDistributePassOptions{options.distributedBucketBytes}));
  pm.addPass(createNNPlanMemoryPass(plan));
}

void nngc::buildLowerToLLVMPipeline(OpPassManager &pm,
                                    const PipelineOptions &options) {
  pm.addPass(createConvertNNToLLVMPass(
      ConvertNNToLLVMPassOptions{options.numericsChecks}));
}

void nngc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<nn::NNDialect, LLVM::LLVMDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

namespace {
/// `--nngc-training-pipeline=opt-level=N`, as `nngc compile -ON`.
struct TrainingPipelineCLOptions
    : public PassPipelineOptions<TrainingPipelineCLOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("nn optimisation level 0-2"),
                            llvm::cl::init(2)};
};
/// `--nngc-lower-to-llvm-pipeline=numerics-checks=false` leaves out the
/// --check-numerics checks.
struct LowerPipelineCLOptions
    : public PassPipelineOptions<LowerPipelineCLOptions> {
  Option<bool> numericsChecks{
      *this, "numerics-checks",
      llvm::cl::desc("check every op's results for --check-numerics"),
      llvm::cl::init(true)};
};
} // namespace

void nngc::registerAllPasses() {
  registerNNPasses();
  registerNNToLLVMPasses();
  PassPipelineRegistration<TrainingPipelineCLOptions>(
      "nngc-training-pipeline",
      "nn model -> training graph (decomposition, step model, autodiff, "
      "optimizer, fusion, memory plan)",
      [](OpPassManager &pm, const TrainingPipelineCLOptions &cl) {
        PipelineOptions options;
        options.optLevel = cl.optLevel;
        buildTrainingPipeline(pm, options);
      });
  PassPipelineRegistration<LowerPipelineCLOptions>(
      "nngc-lower-to-llvm-pipeline", "planned training graph -> LLVM dialect",
      [](OpPassManager &pm, const LowerPipelineCLOptions &cl) {
        PipelineOptions options;
        options.numericsChecks = cl.numericsChecks;
        buildLowerToLLVMPipeline(pm, options);
      });
}
