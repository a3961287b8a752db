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
// nn.multi_*_update is one launch for all its tensors (up to 96 a
// launch): a block per 4096 elements of one tensor. Each thread updates a
// vector of 4 (or 2) elements where the tensor's size allows, with 128-bit
// loads and stores.
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

/// One tensor of an update: its param and the tensors updated with it
/// (grad, then the optimizer state), and its weight decay.
struct Member {
  SmallVector<Value, 4> tensors;
  double weightDecay;
};

/// Elements a block updates, and the tensors one launch takes: 4 pointers
/// each (Adam) and the scalars stay within CUDA's 4 KiB of kernel
/// parameters.
constexpr int64_t kChunk = 4096;
constexpr size_t kMembersPerLaunch = 96;

/// The lanes of each member tensor at one vector (tensors in Member's
/// order), updated in place by `update(k, weightDecay, lanes)`; then the
/// tensors `stored[j]` are written back.
using UpdateLanes = std::function<void(
    KernelBuilder &, double, SmallVectorImpl<SmallVector<Value, 4>> &)>;

/// One launch updating every member: block b updates kChunk elements of
/// the member whose blocks hold b (a constant range per member, tested in
/// turn), each thread a vector of 4 (or 2, or 1) elements of it at a
/// time. `setup` runs first (the clip factor and the step's scalars: the
/// gradient norm is argument `norm`, the scalars from `firstScalar` on)
/// and returns the update.
using SetupUpdate =
    std::function<UpdateLanes(KernelBuilder &, Value, unsigned)>;

void multiTensorLaunch(gpu::GPUModuleOp module, Operation *op, StringRef name,
                       ArrayRef<Member> members, Value gradNorm,
                       ArrayRef<KernelArg> scalars, ArrayRef<bool> stored,
                       const SetupUpdate &setup) {
  SmallVector<KernelArg> args;
  SmallVector<int64_t> widths, starts;
  int64_t blocks = 0;
  for (const Member &m : members) {
    int64_t n = elements(m.tensors.front()), w = vectorWidth(n);
    widths.push_back(w);
    for (Value t : m.tensors)
      args.push_back(KernelArg::vectors(t, w));
    starts.push_back(blocks);
    blocks += std::max<int64_t>(1, (n + kChunk - 1) / kChunk);
  }
  starts.push_back(blocks);
  unsigned normArg = args.size();
  if (gradNorm)
    args.push_back(gradNorm);
  auto firstScalar = static_cast<unsigned>(args.size());
  args.append(scalars.begin(), scalars.end());
  KernelBuilder k(module, op, name, args);
  UpdateLanes update =
      setup(k, gradNorm ? k.arg(normArg) : Value(), firstScalar);
  OpBuilder &b = k.b();
  Location loc = k.loc();
  Value block = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
  Value threads = b.create<gpu::BlockDimOp>(loc, gpu::Dimension::x);
  unsigned arg = 0;
  for (auto [u, m] : llvm::enumerate(members)) {
    int64_t w = widths[u], vectors = elements(m.tensors.front()) / w;
    int64_t perBlock = kChunk / w;
    unsigned first = arg;
    arg += m.tensors.size();
    Value after =
        k.cmpIndex(arith::CmpIPredicate::uge, block, k.index(starts[u]));
    Value before =
        k.cmpIndex(arith::CmpIPredicate::ult, block, k.index(starts[u + 1]));
    Value mine = b.create<arith::AndIOp>(loc, after, before);
    k.ifThen(mine, [&] {
      // Vectors [c perBlock, min((c + 1) perBlock, vectors)) of block c.
      Value begin = k.mul(k.sub(block, k.index(starts[u])), k.index(perBlock));
      Value end = b.create<arith::MinUIOp>(loc, k.add(begin, k.index(perBlock)),
                                           k.index(vectors));
      auto loop =
          b.create<scf::ForOp>(loc, k.add(begin, k.threadId()), end, threads);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value i = loop.getInductionVar();
      SmallVector<SmallVector<Value, 4>> lanes;
      for (size_t t = 0; t < m.tensors.size(); ++t)
        lanes.push_back(k.loadLanes(k.arg(first + t), i));
      update(k, m.weightDecay, lanes);
      for (size_t t = 0; t < m.tensors.size(); ++t)
        if (stored[t])
          k.storeLanes(lanes[t], k.arg(first + t), i);
    });
  }
  k.finish(blocks);
}

/// multiTensorLaunch over `members` in launches of at most
/// kMembersPerLaunch tensors (NAME_0, NAME_1, ... where there are several).
void multiTensorKernels(gpu::GPUModuleOp module, Operation *op, StringRef name,
                        ArrayRef<Member> members, Value gradNorm,
                        ArrayRef<KernelArg> scalars, ArrayRef<bool> stored,
                        const SetupUpdate &setup) {
  for (size_t at = 0, part = 0; at < members.size();
       at += kMembersPerLaunch, ++part) {
    ArrayRef<Member> group =
        members.slice(at, std::min(kMembersPerLaunch, members.size() - at));
    std::string launch = members.size() > kMembersPerLaunch
                             ? (name + "_" + std::to_string(part)).str()
                             : name.str();
    multiTensorLaunch(module, op, launch, group, gradNorm, scalars, stored,
                      setup);
  }
}

/// SGD (momentum, dampening, Nesterov, weight decay) of `members`
/// ({param, grad[, momentum buffer]} each), in launches of at most
/// kMembersPerLaunch tensors.
void sgdKernels(gpu::GPUModuleOp module, Operation *op, StringRef name,
                ArrayRef<Member> members, bool hasBuffer, Value gradNorm,
                double lr, double momentum, double dampening, bool nesterov) {
  OpBuilder types(op->getContext());
  SmallVector<KernelArg> scalars = {
      KernelArg::scalar(types.getF32Type(), "clip_norm"),
      KernelArg::scalar(types.getF32Type(), "lr=" + formatDouble(lr)),
      KernelArg::scalar(types.getI32Type(), "sgd_first")};
  SmallVector<bool> stored = {true, false, true};
  multiTensorKernels(
      module, op, name, members, gradNorm, scalars, stored,
      [&](KernelBuilder &k, Value norm, unsigned s) -> UpdateLanes {
        Value clip = clipFactor(k, norm, k.arg(s));
        Value lrArg = k.arg(s + 1);
        Value first = k.b().create<arith::CmpIOp>(
            k.loc(), arith::CmpIPredicate::ne, k.arg(s + 2), k.i32(0));
        return [=](KernelBuilder &k, double weightDecay,
                   SmallVectorImpl<SmallVector<Value, 4>> &x) {
          SmallVector<Value, 4> &p = x[0], &g = x[1];
          for (size_t l = 0; l < p.size(); ++l) {
            g[l] = k.mul(g[l], clip);
            if (weightDecay != 0)
              g[l] = k.fma(k.f32(weightDecay), p[l], g[l]);
            if (hasBuffer) {
              Value &m = x[2][l];
              m = k.select(
                  first, g[l],
                  k.fma(k.f32(momentum), m, k.mul(k.f32(1 - dampening), g[l])));
              g[l] = nesterov ? k.fma(k.f32(momentum), m, g[l]) : m;
            }
            p[l] = k.sub(p[l], k.mul(lrArg, g[l]));
          }
        };
      });
}

/// Adam or AdamW (decoupled weight decay) of `members` ({param, grad,
/// exp_avg, exp_avg_sq} each), in launches of at most kMembersPerLaunch
/// tensors.
void adamKernels(gpu::GPUModuleOp module, Operation *op, StringRef name,
                 ArrayRef<Member> members, Value gradNorm, double lrValue,
                 double beta1, double beta2, double eps, bool decoupled) {
  Type f32 = Float32Type::get(op->getContext());
  SmallVector<KernelArg> scalars = {
      KernelArg::scalar(f32, "clip_norm"),
      KernelArg::scalar(f32, "lr=" + formatDouble(lrValue)),
      KernelArg::scalar(f32, "adam_step_size=" + formatDouble(lrValue) + "/" +
                                 formatDouble(beta1)),
      KernelArg::scalar(f32, "adam_bc2_sqrt=" + formatDouble(beta2))};
  SmallVector<bool> stored = {true, false, true, true};
  multiTensorKernels(
      module, op, name, members, gradNorm, scalars, stored,
      [&](KernelBuilder &k, Value norm, unsigned s) -> UpdateLanes {
        Value clip = clipFactor(k, norm, k.arg(s));
        Value lr = k.arg(s + 1), stepSize = k.arg(s + 2),
              bc2Sqrt = k.arg(s + 3);
        return [=](KernelBuilder &k, double weightDecay,
                   SmallVectorImpl<SmallVector<Value, 4>> &x) {
          SmallVector<Value, 4> &p = x[0], &g = x[1], &m = x[2], &v = x[3];
          for (size_t l = 0; l < p.size(); ++l) {
            g[l] = k.mul(g[l], clip);
            if (decoupled)
              p[l] =
                  k.mul(p[l], k.sub(k.f32(1), k.mul(lr, k.f32(weightDecay))));
            else if (weightDecay != 0)
              g[l] = k.fma(k.f32(weightDecay), p[l], g[l]);
            m[l] = k.fma(m[l], k.f32(beta1), k.mul(k.f32(1 - beta1), g[l]));
            v[l] = k.fma(v[l], k.f32(beta2),
                         k.mul(k.mul(k.f32(1 - beta2), g[l]), g[l]));
            Value denom = k.add(k.div(k.sqrt(v[l]), bc2Sqrt), k.f32(eps));
            p[l] = k.sub(p[l], k.div(k.mul(stepSize, m[l]), denom));
          }
        };
      });
}

} // namespace

void nngc::populateOptimizerGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<SGDUpdateOp>(patterns, [](SGDUpdateOp op, gpu::GPUModuleOp module,
                                      StringRef name) {
    Member m{{op.getParam(), op.getGrad()},
             op.getWeightDecay().convertToDouble()};
    if (op.getMomentumBuffer())
      m.tensors.push_back(op.getMomentumBuffer());
    sgdKernels(module, op, name, {m}, static_cast<bool>(op.getMomentumBuffer()),
               op.getGradNorm(), op.getLr().convertToDouble(),
               op.getMomentum().convertToDouble(),
               op.getDampening().convertToDouble(), op.getNesterov());
    return success();
  });
  addKernel<AdamUpdateOp>(patterns, [](AdamUpdateOp op, gpu::GPUModuleOp module,
                                       StringRef name) {
    Member m{{op.getParam(), op.getGrad(), op.getExpAvg(), op.getExpAvgSq()},
             op.getWeightDecay().convertToDouble()};
    adamKernels(module, op, name, {m}, op.getGradNorm(),
                op.getLr().convertToDouble(), op.getBeta1().convertToDouble(),
                op.getBeta2().convertToDouble(), op.getEps().convertToDouble(),
                op.getDecoupledWeightDecay());
    return success();
  });
  addKernel<MultiSGDUpdateOp>(patterns, [](MultiSGDUpdateOp op,
                                           gpu::GPUModuleOp module,
                                           StringRef name) {
    auto buffers = op.getMomentumBuffers();
    SmallVector<Member> members;
    for (auto [i, param] : llvm::enumerate(op.getParams())) {
      members.push_back({{param, op.getGrads()[i]}, op.getWeightDecays()[i]});
      if (!buffers.empty())
        members.back().tensors.push_back(buffers[i]);
    }
    sgdKernels(module, op, name, members, !buffers.empty(), op.getGradNorm(),
               op.getLr().convertToDouble(), op.getMomentum().convertToDouble(),
               op.getDampening().convertToDouble(), op.getNesterov());
    return success();
  });
  addKernel<MultiAdamUpdateOp>(patterns, [](MultiAdamUpdateOp op,
                                            gpu::GPUModuleOp module,
                                            StringRef name) {
    SmallVector<Member> members;
    for (auto [i, param] : llvm::enumerate(op.getParams()))
      members.push_back(
          {{param, op.getGrads()[i], op.getExpAvgs()[i], op.getExpAvgSqs()[i]},
           op.getWeightDecays()[i]});
    adamKernels(module, op, name, members, op.getGradNorm(),
                op.getLr().convertToDouble(), op.getBeta1().convertToDouble(),
                op.getBeta2().convertToDouble(), op.getEps().convertToDouble(),
                op.getDecoupledWeightDecay());
    return success();
  });
}
