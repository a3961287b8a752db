//===- OptimizerKernels.cpp - SGD and Adam(W) updates ---------------------===//
//
// The runtime's sgdLoop and adamLoop (lib/Runtime/Kernels.cpp) per element,
// in place. The options fixed at compile time (momentum, dampening, betas,
// eps, weight decay, Nesterov, decoupled decay) are constants; what changes
// from step to step comes as scalar arguments after the tensors, computed
// by the host as the CPU kernels compute them:
//
//   SGD:  clip_norm, lr (scaled), sgd_first (1 on step 1)
//   Adam: clip_norm, lr, adam_step_size (lr / (1 - beta1^t)),
//         adam_bc2_sqrt (sqrt(1 - beta2^t))
//
// The clipping factor comes from the gradient norm on the device (an
// argument tensor), so the host never reads it back within a step.
//
// nn.multi_*_update launches one such kernel per tensor. Each thread
// updates a vector of 4 (or 2) elements where the tensor's size allows,
// with 128-bit loads and stores.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// torch.nn.utils.clip_grad_norm_'s factor, min(1, clip_norm / (norm +
/// 1e-6)), from the global gradient norm the grad_norm kernel wrote
/// (`norm`, a memref<1xf32>; null: 1) and the trainer's threshold
/// (`clipNorm`; <= 0: 1), as the CPU's clipScale.
Value clipFactor(KernelBuilder &k, Value norm, Value clipNorm) {
  if (!norm)
    return k.f32(1);
  Value coef = k.div(clipNorm, k.add(k.load(norm, k.index(0)), k.f32(1e-6)));
  Value one = k.f32(1);
  Value clipped = k.select(k.gt(coef, one), one, coef);
  return k.select(k.gt(clipNorm, k.f32(0)), clipped, one);
}

void sgdKernel(gpu::GPUModuleOp module, Operation *op, StringRef name,
               Value param, Value grad, Value buffer, Value gradNorm, double lr,
               double momentum, double dampening, double weightDecay,
               bool nesterov) {
  OpBuilder types(op->getContext());
  int64_t n = elements(param), w = vectorWidth(n);
  SmallVector<KernelArg> args = {KernelArg::vectors(param, w),
                                 KernelArg::vectors(grad, w)};
  if (buffer)
    args.push_back(KernelArg::vectors(buffer, w));
  if (gradNorm)
    args.push_back(gradNorm);
  unsigned scalars = args.size();
  args.append({KernelArg::scalar(types.getF32Type(), "clip_norm"),
               KernelArg::scalar(types.getF32Type(), "lr=" + formatDouble(lr)),
               KernelArg::scalar(types.getI32Type(), "sgd_first")});
  KernelBuilder k(module, op, name, args);
  Value clip =
      clipFactor(k, gradNorm ? k.arg(scalars - 1) : Value(), k.arg(scalars));
  Value lrArg = k.arg(scalars + 1);
  Value first = k.b().create<arith::CmpIOp>(k.loc(), arith::CmpIPredicate::ne,
                                            k.arg(scalars + 2), k.i32(0));
  k.gridStrideLoop(n / w, [&](Value i) {
    SmallVector<Value, 4> p = k.loadLanes(k.arg(0), i),
                          g = k.loadLanes(k.arg(1), i), m;
    if (buffer)
      m = k.loadLanes(k.arg(2), i);
    for (int64_t l = 0; l < w; ++l) {
      g[l] = k.mul(g[l], clip);
      if (weightDecay != 0)
        g[l] = k.fma(k.f32(weightDecay), p[l], g[l]);
      if (buffer) {
        m[l] = k.select(
            first, g[l],
            k.fma(k.f32(momentum), m[l], k.mul(k.f32(1 - dampening), g[l])));
        g[l] = nesterov ? k.fma(k.f32(momentum), m[l], g[l]) : m[l];
      }
      p[l] = k.sub(p[l], k.mul(lrArg, g[l]));
    }
    if (buffer)
      k.storeLanes(m, k.arg(2), i);
    k.storeLanes(p, k.arg(0), i);
  });
  k.finish(KernelBuilder::gridFor(n / w));
}

void adamKernel(gpu::GPUModuleOp module, Operation *op, StringRef name,
                Value param, Value grad, Value expAvg, Value expAvgSq,
                Value gradNorm, double lrValue, double beta1, double beta2,
                double eps, double weightDecay, bool decoupled) {
  OpBuilder types(op->getContext());
  Type f32 = types.getF32Type();
  int64_t n = elements(param), w = vectorWidth(n);
  SmallVector<KernelArg> args = {
      KernelArg::vectors(param, w), KernelArg::vectors(grad, w),
      KernelArg::vectors(expAvg, w), KernelArg::vectors(expAvgSq, w)};
  if (gradNorm)
    args.push_back(gradNorm);
  unsigned scalars = args.size();
  args.append(
      {KernelArg::scalar(f32, "clip_norm"),
       KernelArg::scalar(f32, "lr=" + formatDouble(lrValue)),
       KernelArg::scalar(f32, "adam_step_size=" + formatDouble(lrValue) + "/" +
                                  formatDouble(beta1)),
       KernelArg::scalar(f32, "adam_bc2_sqrt=" + formatDouble(beta2))});
  KernelBuilder k(module, op, name, args);
  Value clip =
      clipFactor(k, gradNorm ? k.arg(scalars - 1) : Value(), k.arg(scalars));
  Value lr = k.arg(scalars + 1), stepSize = k.arg(scalars + 2),
        bc2Sqrt = k.arg(scalars + 3);
  k.gridStrideLoop(n / w, [&](Value i) {
    SmallVector<Value, 4> p = k.loadLanes(k.arg(0), i),
                          g = k.loadLanes(k.arg(1), i),
                          m = k.loadLanes(k.arg(2), i),
                          v = k.loadLanes(k.arg(3), i);
    for (int64_t l = 0; l < w; ++l) {
      g[l] = k.mul(g[l], clip);
      if (decoupled)
        p[l] = k.mul(p[l], k.sub(k.f32(1), k.mul(lr, k.f32(weightDecay))));
      else if (weightDecay != 0)
        g[l] = k.fma(k.f32(weightDecay), p[l], g[l]);
      m[l] = k.fma(m[l], k.f32(beta1), k.mul(k.f32(1 - beta1), g[l]));
      v[l] =
          k.fma(v[l], k.f32(beta2), k.mul(k.mul(k.f32(1 - beta2), g[l]), g[l]));
      Value denom = k.add(k.div(k.sqrt(v[l]), bc2Sqrt), k.f32(eps));
      p[l] = k.sub(p[l], k.div(k.mul(stepSize, m[l]), denom));
    }
    k.storeLanes(m, k.arg(2), i);
    k.storeLanes(v, k.arg(3), i);
    k.storeLanes(p, k.arg(0), i);
  });
  k.finish(KernelBuilder::gridFor(n / w));
}

std::string part(StringRef name, size_t i) {
  return (name + "_" + std::to_string(i)).str();
}

} // namespace

void nngc::populateOptimizerGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<SGDUpdateOp>(patterns, [](SGDUpdateOp op, gpu::GPUModuleOp module,
                                      StringRef name) {
    sgdKernel(module, op, name, op.getParam(), op.getGrad(),
              op.getMomentumBuffer(), op.getGradNorm(),
              op.getLr().convertToDouble(), op.getMomentum().convertToDouble(),
              op.getDampening().convertToDouble(),
              op.getWeightDecay().convertToDouble(), op.getNesterov());
    return success();
  });
  addKernel<AdamUpdateOp>(patterns, [](AdamUpdateOp op, gpu::GPUModuleOp module,
                                       StringRef name) {
    adamKernel(module, op, name, op.getParam(), op.getGrad(), op.getExpAvg(),
               op.getExpAvgSq(), op.getGradNorm(), op.getLr().convertToDouble(),
               op.getBeta1().convertToDouble(), op.getBeta2().convertToDouble(),
               op.getEps().convertToDouble(),
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
                    buffers.empty() ? Value() : buffers[i], op.getGradNorm(),
                    op.getLr().convertToDouble(),
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
                 op.getExpAvgs()[i], op.getExpAvgSqs()[i], op.getGradNorm(),
                 op.getLr().convertToDouble(), op.getBeta1().convertToDouble(),
                 op.getBeta2().convertToDouble(), op.getEps().convertToDouble(),
                 op.getWeightDecays()[i], op.getDecoupledWeightDecay());
    return success();
  });
}
