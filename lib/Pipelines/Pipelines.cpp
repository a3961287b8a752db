//===- Pipelines.cpp - nngc's compilation stages --------------------------===//

#include "nngc/Pipelines/Pipelines.h"
#include "nngc/Conversion/NNToLLVM/NNToLLVM.h"
#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "nngc/Conversion/NNToGPU/NNToGPU.h"

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

using namespace mlir;

void nngc::buildTrainingPipeline(OpPassManager &pm,
                                 const PipelineOptions &options) {
  pm.addPass(createNNDecomposePass());
  pm.addPass(createNNDeriveStepPass());
  pm.addPass(createNNAutodiffPass());
  pm.addPass(createNNOptimizerPass());
  if (options.optLevel >= 2) {
    NNFusePassOptions fuse;
    // cuBLASLt's epilogues are fewer than oneDNN's post-ops.
    fuse.cublasEpilogues = options.target == "cuda";
    // One kernel and no buffer for a dropout before a residual add.
    fuse.dropoutAdd = options.target == "cuda";
    pm.addPass(createNNFusePass(fuse));
  }
  // bf16 activations (the tensors' storage types), before the plan sizes
  // them.
  if (options.target == "cuda" && options.precision == "bf16")
    pm.addPass(createNNStoreBF16Pass());
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
  ConvertNNToLLVMPassOptions lower;
  lower.numericsChecks = options.numericsChecks;
  lower.target = options.target;
  lower.precision = options.precision;
  pm.addPass(createConvertNNToLLVMPass(lower));
}

void nngc::buildGPUKernelPipeline(OpPassManager &pm,
                                  const PipelineOptions &options) {
  // --check-numerics' checks, so that they get kernels.
  if (options.numericsChecks)
    pm.addPass(createNNInsertNumericsChecksPass());
  pm.addPass(createConvertNNToGPUKernelsPass(
      ConvertNNToGPUKernelsPassOptions{options.gpuArch}));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertSCFToCFPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa"; // PTX: no CUDA toolkit needed
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void nngc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<nn::NNDialect, LLVM::LLVMDialect>();
  // The GPU kernels (--target=cuda) and their lowering to PTX.
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect, arith::ArithDialect,
                  scf::SCFDialect, memref::MemRefDialect,
                  cf::ControlFlowDialect, vector::VectorDialect>();
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
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
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("cpu, or cuda (after --nngc-gpu-kernel-pipeline)"),
      llvm::cl::init("cpu")};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("with target=cuda: fp32, tf32 or bf16 products"),
      llvm::cl::init("fp32")};
};
/// `--nngc-gpu-kernel-pipeline=chip=sm_90`.
struct GPUPipelineCLOptions : public PassPipelineOptions<GPUPipelineCLOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90)"),
                           llvm::cl::init("sm_80")};
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
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "nngc-gpu-kernel-pipeline",
      "planned training graph -> GPU kernels -> PTX (gpu.binary)",
      [](OpPassManager &pm, const GPUPipelineCLOptions &cl) {
        PipelineOptions options;
        options.gpuArch = cl.chip;
        buildGPUKernelPipeline(pm, options);
      });
  PassPipelineRegistration<LowerPipelineCLOptions>(
      "nngc-lower-to-llvm-pipeline", "planned training graph -> LLVM dialect",
      [](OpPassManager &pm, const LowerPipelineCLOptions &cl) {
        PipelineOptions options;
        options.numericsChecks = cl.numericsChecks;
        options.target = cl.target;
        options.precision = cl.precision;
        buildLowerToLLVMPipeline(pm, options);
      });
}
