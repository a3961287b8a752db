//===- HostEmulation.cpp - nngc-gpu-kernels-to-host (test support) --------===//
//
// The kernels of nngc-convert-nn-to-gpu-kernels compiled for the host, for
// the fake CUDA driver's emulator (test/Runtime/FakeCuda): see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "nngc/Conversion/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"

namespace nngc {
#define GEN_PASS_DEF_GPUKERNELSTOHOSTPASS
#include "nngc/Conversion/Passes.h.inc"
} // namespace nngc

using namespace mlir;

namespace {

/// The emulator's entry points (FakeCuda.cpp), declared once.
func::FuncOp emuFunction(ModuleOp module, StringRef name, FunctionType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto f = b.create<func::FuncOp>(module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

/// The NVVM intrinsics the kernel builder uses, as LLVM's.
Value hostIntrinsic(OpBuilder &b, Location loc, StringRef name, Value x) {
  if (name == "llvm.nvvm.ex2.approx.f")
    return b.create<LLVM::Exp2Op>(loc, x);
  if (name == "llvm.nvvm.lg2.approx.f")
    return b.create<LLVM::Log2Op>(loc, x);
  if (name == "llvm.nvvm.sqrt.rn.f")
    return b.create<LLVM::SqrtOp>(loc, x);
  if (name == "llvm.nvvm.fabs.f")
    return b.create<LLVM::FAbsOp>(loc, x);
  return Value();
}

struct GPUKernelsToHostPass
    : public nngc::impl::GPUKernelsToHostPassBase<GPUKernelsToHostPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<gpu::GPUFuncOp> kernels;
    module.walk([&](gpu::GPUFuncOp f) { kernels.push_back(f); });
    OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
    Type index = top.getIndexType(), f32 = top.getF32Type(),
         i32 = top.getI32Type();
    auto idFn = [&](StringRef name) {
      return emuFunction(module, name, top.getFunctionType({}, {index}));
    };
    SmallVector<std::pair<std::string, unsigned>> shapes;
    for (gpu::GPUFuncOp kernel : kernels) {
      // K(args..., shared...), the workgroup arrays as plain memrefs.
      SmallVector<Type> types(kernel.getArgumentTypes());
      for (BlockArgument a : kernel.getWorkgroupAttributions()) {
        auto m = cast<MemRefType>(a.getType());
        types.push_back(MemRefType::get(m.getShape(), m.getElementType()));
      }
      top.setInsertionPointToEnd(module.getBody());
      auto host = top.create<func::FuncOp>(kernel.getLoc(), kernel.getName(),
                                           top.getFunctionType(types, {}));
      Block *entry = host.addEntryBlock();
      IRMapping map;
      Block &body = kernel.getBody().front();
      unsigned n = kernel.getNumArguments();
      for (unsigned i = 0; i < n; ++i)
        map.map(kernel.getArgument(i), entry->getArgument(i));
      for (auto [i, a] : llvm::enumerate(kernel.getWorkgroupAttributions()))
        map.map(a, entry->getArgument(n + i));
      // The kernel body is one region; clone its blocks.
      kernel.getBody().cloneInto(&host.getBody(), map);
      // Merge the cloned entry block into ours.
      Block *cloned = map.lookup(&body);
      entry->getOperations().splice(entry->end(), cloned->getOperations());
      cloned->erase();
      shapes.push_back(
          {kernel.getName().str(),
           static_cast<unsigned>(kernel.getWorkgroupAttributions().size())});
      // The GPU ops, as the emulator's calls.
      SmallVector<Operation *> work;
      host.walk([&](Operation *op) { work.push_back(op); });
      for (Operation *op : work) {
        OpBuilder b(op);
        Location loc = op->getLoc();
        auto call = [&](StringRef name) {
          return b.create<func::CallOp>(loc, idFn(name), ValueRange{})
              .getResult(0);
        };
        if (isa<gpu::ThreadIdOp>(op)) {
          op->getResult(0).replaceAllUsesWith(call("nngc_emu_thread_id"));
        } else if (isa<gpu::BlockIdOp>(op)) {
          op->getResult(0).replaceAllUsesWith(call("nngc_emu_block_id"));
        } else if (isa<gpu::BlockDimOp>(op)) {
          op->getResult(0).replaceAllUsesWith(call("nngc_emu_block_dim"));
        } else if (isa<gpu::GridDimOp>(op)) {
          op->getResult(0).replaceAllUsesWith(call("nngc_emu_grid_dim"));
        } else if (auto s = dyn_cast<gpu::ShuffleOp>(op)) {
          auto fn = emuFunction(module, "nngc_emu_shuffle_xor",
                                b.getFunctionType({f32, i32}, {f32}));
          Value v = b.create<func::CallOp>(
                         loc, fn, ValueRange{s.getValue(), s.getOffset()})
                        .getResult(0);
          s.getShuffleResult().replaceAllUsesWith(v);
          s.getValid().replaceAllUsesWith(
              b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
        } else if (isa<gpu::BarrierOp>(op)) {
          b.create<func::CallOp>(loc,
                                 emuFunction(module, "nngc_emu_barrier",
                                             b.getFunctionType({}, {})),
                                 ValueRange{});
        } else if (isa<gpu::ReturnOp>(op)) {
          b.create<func::ReturnOp>(loc);
        } else if (auto c = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
          Value v = hostIntrinsic(b, loc, c.getIntrin(), c.getOperand(0));
          if (!v) {
            c.emitError("no host version of ") << c.getIntrin();
            return signalPassFailure();
          }
          c.getResult(0).replaceAllUsesWith(v);
        } else {
          continue;
        }
        op->erase();
      }
    }
    // Only the host functions stay.
    for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
      if (!isa<func::FuncOp>(op))
        op.erase();
    module->setAttrs(ArrayRef<NamedAttribute>{});

    OpPassManager pm("builtin.module");
    pm.addPass(createConvertSCFToCFPass());
    // bf16 tensors (nngc-store-bf16): their conversions as integer
    // arithmetic, which the host's compiler runtime may not provide.
    arith::ArithExpandOpsPassOptions expand;
    expand.includeBf16 = true;
    pm.addPass(arith::createArithExpandOpsPass(expand));
    pm.addPass(createConvertVectorToLLVMPass());
    pm.addPass(createArithToLLVMConversionPass());
    pm.addPass(createFinalizeMemRefToLLVMConversionPass());
    ConvertFuncToLLVMPassOptions funcOptions;
    funcOptions.useBarePtrCallConv = true;
    pm.addPass(createConvertFuncToLLVMPass(funcOptions));
    pm.addPass(createConvertControlFlowToLLVMPass());
    pm.addPass(createReconcileUnrealizedCastsPass());
    if (failed(runPipeline(pm, module)))
      return signalPassFailure();

    // K_entry(params, shared): K's arguments from cuLaunchKernel's
    // pointers to them, its shared arrays from the emulator's pointers.
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    for (auto &[name, sharedCount] : shapes) {
      auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
      if (!fn)
        continue;
      Location loc = fn.getLoc();
      b.setInsertionPointToEnd(module.getBody());
      auto wrapper = b.create<LLVM::LLVMFuncOp>(
          loc, name + "_entry",
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                      {ptr, ptr}));
      Block *block = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      Value params = block->getArgument(0), shared = block->getArgument(1);
      SmallVector<Value> args;
      unsigned total = fn.getNumArguments();
      unsigned kernelArgs = total - sharedCount;
      for (unsigned i = 0; i < total; ++i) {
        bool isShared = i >= kernelArgs;
        Value base = isShared ? shared : params;
        int32_t at = static_cast<int32_t>(isShared ? i - kernelArgs : i);
        Value slot = b.create<LLVM::GEPOp>(loc, ptr, ptr, base,
                                           ArrayRef<LLVM::GEPArg>{at});
        Value p = b.create<LLVM::LoadOp>(loc, ptr, slot);
        Type t = fn.getArgumentTypes()[i];
        // A shared array is the pointer itself; a parameter is behind it.
        args.push_back(isShared ? p : b.create<LLVM::LoadOp>(loc, t, p));
      }
      b.create<LLVM::CallOp>(loc, fn, args);
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
    }
  }
};

} // namespace
