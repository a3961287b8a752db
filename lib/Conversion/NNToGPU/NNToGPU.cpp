//===- NNToGPU.cpp - nngc-convert-nn-to-gpu-kernels -----------------------===//
//
// Builds the GPU kernels of a planned training graph: the patterns of each
// op family (KernelBuilder.h) add gpu.funcs to one gpu.module; see
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

#include <cctype>
#include <set>

namespace nngc {
#define GEN_PASS_DEF_CONVERTNNTOGPUKERNELSPASS
#include "nngc/Conversion/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

std::string nngc::ptxFeaturesFor(StringRef chip) {
  // sm_90 needs PTX ISA 7.8; 7.0 covers sm_80 and sm_86.
  int sm = 0;
  if (chip.consume_front("sm_"))
    chip.take_while([](char c) { return std::isdigit(c); })
        .getAsInteger(10, sm);
  return sm >= 90 ? "+ptx78" : sm >= 87 ? "+ptx74" : "+ptx70";
}

std::string nngc::ptxOf(ModuleOp module) {
  std::string ptx;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute a : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(a))
        ptx += object.getObject().getValue().str();
  // The serializer ends the assembly with a NUL for the driver's loader.
  while (!ptx.empty() && ptx.back() == '\0')
    ptx.pop_back();
  return ptx;
}

void nngc::populateGPUKernelPatterns(GPUKernelPatterns &patterns) {
  populateElementwiseGPUKernelPatterns(patterns);
  populateReductionGPUKernelPatterns(patterns);
  populateOptimizerGPUKernelPatterns(patterns);
  populateLossGPUKernelPatterns(patterns);
  populateSequenceGPUKernelPatterns(patterns);
  populateTensorGPUKernelPatterns(patterns);
  populateAttentionGPUKernelPatterns(patterns);
  populateRecurrentGPUKernelPatterns(patterns);
}

namespace {

struct ConvertNNToGPUKernelsPass
    : public nngc::impl::ConvertNNToGPUKernelsPassBase<
          ConvertNNToGPUKernelsPass> {
  using ConvertNNToGPUKernelsPassBase::ConvertNNToGPUKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    GPUKernelPatterns patterns;
    populateGPUKernelPatterns(patterns);

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto target = NVVM::NVVMTargetAttr::get(
        ctx, /*optLevel=*/3, "nvptx64-nvidia-cuda", chip, ptxFeaturesFor(chip));
    auto kernels = b.create<gpu::GPUModuleOp>(module.getLoc(), "nngc_kernels",
                                              ArrayRef<Attribute>{target});
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());

    std::set<std::string> missing;
    for (ModelOp model : module.getOps<ModelOp>()) {
      int64_t n = 0;
      for (Operation &op : model.getBodyBlock()) {
        int64_t index = n++;
        auto it = patterns.find(op.getName().getStringRef());
        if (it == patterns.end()) {
          if (isKernelOp(&op))
            missing.insert(op.getName().getStringRef().str());
          continue;
        }
        std::string name = (model.getSymName() + "_" + std::to_string(index) +
                            "_" + op.getName().stripDialect())
                               .str();
        if (failed(it->second->build(&op, kernels, name)))
          return signalPassFailure();
      }
    }
    SmallVector<Attribute> names;
    for (const std::string &m : missing)
      names.push_back(b.getStringAttr(m));
    module->setAttr("nngc.gpu_missing", b.getArrayAttr(names));
    shareIdenticalKernels(module, kernels);
  }

  /// Ops of the same kind on the same shapes (the blocks of a Transformer)
  /// get identical kernels: keep the first of each, and point every op at
  /// it.
  static void shareIdenticalKernels(ModuleOp module, gpu::GPUModuleOp kernels) {
    llvm::StringMap<SymbolRefAttr> first;
    llvm::DenseMap<Attribute, Attribute> replace;
    SmallVector<gpu::GPUFuncOp> dead;
    for (gpu::GPUFuncOp f : kernels.getOps<gpu::GPUFuncOp>()) {
      // The kernel as text (printed on its own: local scope), less its
      // name.
      std::string key;
      llvm::raw_string_ostream os(key);
      f->print(os, OpPrintingFlags().useLocalScope());
      std::string name = ("@" + f.getName()).str();
      if (size_t at = key.find(name); at != std::string::npos)
        key.erase(at, name.size());
      auto [it, inserted] = first.try_emplace(key, SymbolRefAttr::get(f));
      if (!inserted) {
        replace[SymbolRefAttr::get(f)] = it->second;
        dead.push_back(f);
      }
    }
    if (dead.empty())
      return;
    module.walk([&](Operation *op) {
      auto list = op->getAttrOfType<ArrayAttr>("nngc.gpu_kernels");
      if (!list)
        return;
      SmallVector<Attribute> refs;
      for (Attribute a : list)
        refs.push_back(replace.lookup(a) ? replace.lookup(a) : a);
      op->setAttr("nngc.gpu_kernels", ArrayAttr::get(op->getContext(), refs));
    });
    for (gpu::GPUFuncOp f : dead)
      f.erase();
  }
};

} // namespace
