//===- OptimizerKernels.cpp - SGD and Adam(W) updates ---------------------===//
//
// The runtime's sgdLoop and adamLoop (lib/Runtime/Kernels.cpp) per element,
// in place. The options fixed at compile time (momentum, dampening, betas,
// eps, weight decay, Nesterov, decoupled decay) are constants; what changes
// from step to step comes as scalar arguments after the tensors, computed
// by the host as the CPU kernels compute them:
//
//   SGD:  clip (the clipping factor), lr (scaled), first (1 on step 1)
//   Adam: clip, lr, step_size (lr / (1 - beta1^t)), bc2_sqrt
//         (sqrt(1 - beta2^t))
//
// nn.multi_*_update launches one such kernel per tensor.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

void sgdKernel(gpu::GPUModuleOp module, Operation *op, StringRef name,
               Value param, Value grad, Value buffer, double momentum,
               double dampening, double weightDecay, bool nesterov) {
  OpBuilder types(op->getContext());
  SmallVector<Type> args = {flatMemRef(param), flatMemRef(grad)};
  if (buffer)
    args.push_back(flatMemRef(buffer));
  unsigned scalars = args.size();
  args.append({types.getF32Type(), types.getF32Type(), types.getI32Type()});
  KernelBuilder k(module, op, name, args);
  Value clip = k.arg(scalars), lr = k.arg(scalars + 1);
  Value first = k.b().create<arith::CmpIOp>(k.loc(), arith::CmpIPredicate::ne,
                                            k.arg(scalars + 2), k.i32(0));
  int64_t n = elements(param);
  k.gridStrideLoop(n, [&](Value i) {
    Value p = k.load(k.arg(0), i);
    Value g = k.mul(k.load(k.arg(1), i), clip);
    if (weightDecay != 0)
      g = k.fma(k.f32(weightDecay), p, g);
    if (buffer) {
      Value old = k.load(k.arg(2), i);
      Value m =
          k.select(first, g,
                   k.fma(k.f32(momentum), old, k.mul(k.f32(1 - dampening), g)));
      k.store(m, k.arg(2), i);
      g = nesterov ? k.fma(k.f32(momentum), m, g) : m;
    }
    k.store(k.sub(p, k.mul(lr, g)), k.arg(0), i);
  });
  k.finish(KernelBuilder::gridFor(n));
}

void adamKernel(gpu::GPUModuleOp module, Operation *op, StringRef name,
                Value param, Value grad, Value expAvg, Value expAvgSq,
                double beta1, double beta2, double eps, double weightDecay,
                bool decoupled) {
  OpBuilder types(op->getContext());
  Type f32 = types.getF32Type();
  KernelBuilder k(module, op, name,
                  {flatMemRef(param), flatMemRef(grad), flatMemRef(expAvg),
                   flatMemRef(expAvgSq), f32, f32, f32, f32});
  Value clip = k.arg(4), lr = k.arg(5), stepSize = k.arg(6), bc2Sqrt = k.arg(7);
  int64_t n = elements(param);
  k.gridStrideLoop(n, [&](Value i) {
    Value p = k.load(k.arg(0), i);
    Value g = k.mul(k.load(k.arg(1), i), clip);
    if (decoupled)
      p = k.mul(p, k.sub(k.f32(1), k.mul(lr, k.f32(weightDecay))));
    else if (weightDecay != 0)
      g = k.fma(k.f32(weightDecay), p, g);
    Value m =
        k.fma(k.load(k.arg(2), i), k.f32(beta1), k.mul(k.f32(1 - beta1), g));
    Value v = k.fma(k.load(k.arg(3), i), k.f32(beta2),
                    k.mul(k.mul(k.f32(1 - beta2), g), g));
    k.store(m, k.arg(2), i);
    k.store(v, k.arg(3), i);
    Value denom = k.add(k.div(k.sqrt(v), bc2Sqrt), k.f32(eps));
    k.store(k.sub(p, k.div(k.mul(stepSize, m), denom)), k.arg(0), i);
  });
  k.finish(KernelBuilder::gridFor(n));
}

std::string part(StringRef name, size_t i) {
  return (name + "_" + std::to_string(i)).str();
}

} // namespace

void nngc::populateOptimizerGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<SGDUpdateOp>(
      patterns, [](SGDUpdateOp op, gpu::GPUModuleOp module, StringRef name) {
        sgdKernel(module, op, name, op.getParam(), op.getGrad(),
                  op.getMomentumBuffer(), op.getMomentum().convertToDouble(),
                  op.getDampening().convertToDouble(),
                  op.getWeightDecay().convertToDouble(), op.getNesterov());
        return success();
      });
  addKernel<AdamUpdateOp>(patterns, [](AdamUpdateOp op, gpu::GPUModuleOp module,
                                       StringRef name) {
    adamKernel(module, op, name, op.getParam(), op.getGrad(), op.getExpAvg(),
               op.getExpAvgSq(), op.getBeta1().convertToDouble(),
               op.getBeta2().convertToDouble(), op.getEps().convertToDouble(),
               op.getWeightDecay().convertToDouble(),
               op.getDecoupledWeightDecay());
    return success();
  });
  addKernel<MultiSGDUpdateOp>(
      patterns,
      [](MultiSGDUpdateOp op, gpu::GPUModuleOp module, StringRef name) {
        auto buffers = op.getMomentumBuffers();
        for (auto [i, param] : llvm::enumerate(op.getParams()))
          sgdKernel(module, op, part(name, i), param, op.getGrads()[i],
                    buffers.empty() ? Value() : buffers[i],
                    op.getMomentum().convertToDouble(),
                    op.getDampening().convertToDouble(),
                    op.getWeightDecays()[i], op.getNesterov());
        return success();
      });
  addKernel<MultiAdamUpdateOp>(patterns, [](MultiAdamUpdateOp op,
                                            gpu::GPUModuleOp module,
                                            StringRef name) {
    for (auto [i, param] : llvm::enumerate(op.getParams()))
      adamKernel(module, op, part(name, i), param, op.getGrads()[i],
                 op.getExpAvgs()[i], op.getExpAvgSqs()[i],
                 op.getBeta1().convertToDouble(),
                 op.getBeta2().convertToDouble(), op.getEps().convertToDouble(),
                 op.getWeightDecays()[i], op.getDecoupledWeightDecay());
    return success();
  });
}
