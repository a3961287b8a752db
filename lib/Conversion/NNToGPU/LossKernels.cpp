//===- LossKernels.cpp - cross-entropy and MSE, forward and backward ------===//
//
// The CPU kernels' formulas (lib/Runtime/Kernels.cpp) over the batch's
// valid rows, which the host passes as the last argument (i64) every step:
//
//   cross_entropy       one block of 1024 threads; a warp per position
//                       (logsumexp by shuffles), the block's sums of the
//                       losses and of the counted positions; loss = their
//                       ratio (0 when none counts)
//   cross_entropy_grad  a warp per position: (softmax - onehot) dl / count
//                       (each block counts the positions first), 0 on
//                       ignored positions and padding rows
//   mse, mse_grad       sum of squares over one block; 2 (x - t) dl / n
//   binary_cross_entropy (with logits) and its gradient, the same way
//
// Labels out of range are skipped, as on the CPU, but not reported yet
// (the CPU records the first in the context's error).
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

constexpr int64_t kLossBlock = 1024;

/// (rows, positions, classes) of cross-entropy logits.
std::array<int64_t, 3> ceDims(Value logits) {
  auto type = cast<RankedTensorType>(logits.getType());
  int64_t rows = type.getDimSize(0), classes = type.getShape().back();
  return {rows, type.getNumElements() / rows / classes, classes};
}

/// The row's max and sum of exp(z - max) over `classes` logits from
/// `base`, by the warp's lanes (every lane gets both).
std::pair<Value, Value> rowStats(KernelBuilder &k, Value logits, Value base,
                                 int64_t classes) {
  Value lane = k.lane(), step = k.index(kWarpSize), end = k.index(classes);
  Value mx =
      k.reduceLoop(lane, end, step, k.f32(-INFINITY), [&](Value j, Value acc) {
        return k.max(acc, k.load(logits, k.add(base, j)));
      });
  mx = k.warpMax(mx);
  Value sum = k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value acc) {
    return k.add(acc, k.exp(k.sub(k.load(logits, k.add(base, j)), mx)));
  });
  return {mx, k.warpSum(sum)};
}

/// The valid rows' elements: the i64 argument times `perRow`, as an index.
Value validElements(KernelBuilder &k, Value validRows, int64_t perRow) {
  Value rows = k.b().create<arith::IndexCastOp>(k.loc(), k.b().getIndexType(),
                                                validRows);
  return k.mul(rows, k.index(perRow));
}

LogicalResult buildCrossEntropy(CrossEntropyOp op, gpu::GPUModuleOp module,
                                StringRef name) {
  auto [rows, positions, classes] = ceDims(op.getLogits());
  std::optional<int64_t> ignore = op.getIgnoreIndex();
  KernelBuilder k(module, op, name,
                  {op.getLogits(), op.getLabels(), op.getResult(),
                   validRowsArg(op->getContext())},
                  /*sharedArrays=*/2);
  Value logits = k.arg(0), labels = k.arg(1);
  Value n = validElements(k, k.arg(3), positions);
  Value warp = k.div(k.threadId(), k.index(kWarpSize));
  auto loop = k.b().create<scf::ForOp>(k.loc(), warp, n,
                                       k.index(kLossBlock / kWarpSize),
                                       ValueRange{k.f32(0), k.f32(0)});
  {
    OpBuilder::InsertionGuard guard(k.b());
    k.b().setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value acc = loop.getRegionIterArgs()[0], cnt = loop.getRegionIterArgs()[1];
    Value label = k.load(labels, i);
    auto ifOp = k.b().create<scf::IfOp>(
        k.loc(), TypeRange{k.b().getF32Type(), k.b().getF32Type()},
        k.inRange(label, classes, ignore), /*withElse=*/true);
    {
      OpBuilder::InsertionGuard inner(k.b());
      k.b().setInsertionPointToStart(ifOp.thenBlock());
      Value base = k.mul(i, k.index(classes));
      auto [mx, sum] = rowStats(k, logits, base, classes);
      Value at = k.add(base, k.b().create<arith::IndexCastOp>(
                                 k.loc(), k.b().getIndexType(), label));
      Value loss = k.sub(k.add(k.log(sum), mx), k.load(logits, at));
      k.b().create<scf::YieldOp>(
          k.loc(), ValueRange{k.add(acc, loss), k.add(cnt, k.f32(1))});
      k.b().setInsertionPointToStart(ifOp.elseBlock());
      k.b().create<scf::YieldOp>(k.loc(), ValueRange{acc, cnt});
    }
    k.b().create<scf::YieldOp>(k.loc(), ifOp.getResults());
  }
  // Each warp's lanes hold the same sums: lane 0 contributes them.
  Value first = k.cmpIndex(arith::CmpIPredicate::eq, k.lane(), k.index(0));
  Value total =
      k.blockSum(k.select(first, loop.getResult(0), k.f32(0)), 0, kLossBlock);
  Value count =
      k.blockSum(k.select(first, loop.getResult(1), k.f32(0)), 1, kLossBlock);
  k.ifThen(k.cmpIndex(arith::CmpIPredicate::eq, k.threadId(), k.index(0)), [&] {
    Value any = k.gt(count, k.f32(0));
    k.store(k.select(any, k.div(total, count), k.f32(0)), k.arg(2), k.index(0));
  });
  k.finish(1, kLossBlock);
  return success();
}

LogicalResult buildCrossEntropyGrad(CrossEntropyGradOp op,
                                    gpu::GPUModuleOp module, StringRef name) {
  auto [rows, positions, classes] = ceDims(op.getInput());
  std::optional<int64_t> ignore = op.getIgnoreIndex();
  KernelBuilder k(module, op, name,
                  {op.getGrad(), op.getInput(), op.getTarget(), op.getResult(),
                   validRowsArg(op->getContext())},
                  /*sharedArrays=*/1);
  Value logits = k.arg(1), labels = k.arg(2), dx = k.arg(3);
  Value n = validElements(k, k.arg(4), positions);
  // Every block counts the positions (the loss's divisor).
  Value mine = k.reduceLoop(
      k.threadId(), n, k.index(kBlockSize), k.f32(0), [&](Value i, Value acc) {
        Value ok = k.inRange(k.load(labels, i), classes, ignore);
        return k.add(acc, k.select(ok, k.f32(1), k.f32(0)));
      });
  Value count = k.blockSum(mine, 0, kBlockSize);
  Value scale = k.select(k.gt(count, k.f32(0)),
                         k.div(k.load(k.arg(0), k.index(0)), count), k.f32(0));
  int64_t all = rows * positions;
  Value warps = k.div(k.gridThreads(), k.index(kWarpSize));
  auto loop =
      k.b().create<scf::ForOp>(k.loc(), k.globalWarp(), k.index(all), warps);
  OpBuilder::InsertionGuard guard(k.b());
  k.b().setInsertionPointToStart(loop.getBody());
  Value i = loop.getInductionVar();
  Value base = k.mul(i, k.index(classes));
  Value lane = k.lane(), step = k.index(kWarpSize), end = k.index(classes);
  auto zeroRow = [&] {
    auto zero = k.b().create<scf::ForOp>(k.loc(), lane, end, step);
    OpBuilder::InsertionGuard g(k.b());
    k.b().setInsertionPointToStart(zero.getBody());
    k.store(k.f32(0), dx, k.add(base, zero.getInductionVar()));
  };
  Value valid = k.cmpIndex(arith::CmpIPredicate::ult, i, n);
  auto ifValid = k.b().create<scf::IfOp>(k.loc(), valid, /*withElse=*/true);
  k.b().setInsertionPointToStart(ifValid.elseBlock());
  zeroRow();
  k.b().setInsertionPointToStart(ifValid.thenBlock());
  // A valid row: (the label, loaded in range only).
  Value label = k.load(labels, i);
  Value skip =
      k.b().create<arith::ConstantOp>(k.loc(), k.b().getBoolAttr(false));
  if (ignore)
    skip = k.cmpIndex(arith::CmpIPredicate::eq, label,
                      k.b().create<arith::ConstantOp>(
                          k.loc(), k.b().getI64IntegerAttr(*ignore)));
  auto ifIgnored = k.b().create<scf::IfOp>(k.loc(), skip, /*withElse=*/true);
  k.b().setInsertionPointToStart(ifIgnored.thenBlock());
  zeroRow();
  k.b().setInsertionPointToStart(ifIgnored.elseBlock());
  auto [mx, sum] = rowStats(k, logits, base, classes);
  Value factor = k.div(scale, sum);
  Value target =
      k.b().create<arith::IndexCastOp>(k.loc(), k.b().getIndexType(), label);
  auto write = k.b().create<scf::ForOp>(k.loc(), lane, end, step);
  k.b().setInsertionPointToStart(write.getBody());
  Value j = write.getInductionVar(), at = k.add(base, j);
  Value p = k.mul(k.exp(k.sub(k.load(logits, at), mx)), factor);
  Value hit = k.cmpIndex(arith::CmpIPredicate::eq, j, target);
  k.store(k.select(hit, k.sub(p, scale), p), dx, at);
  k.b().setInsertionPoint(loop.getBody()->getTerminator());
  k.b().setInsertionPointAfter(loop);
  k.finish(std::min<int64_t>(
      (all + kBlockSize / kWarpSize - 1) / (kBlockSize / kWarpSize), 4096));
  return success();
}

/// An elementwise term of `x` and `t`, for the pointwise losses.
using Term = std::function<Value(KernelBuilder &, Value, Value)>;

/// mean over the valid rows' elements of term(x, t): one block of 1024
/// threads; the valid rows are the last argument.
LogicalResult buildPointwiseLoss(Operation *op, Value x, Value t,
                                 gpu::GPUModuleOp module, StringRef name,
                                 const Term &term) {
  int64_t rows = staticShape(x)[0];
  KernelBuilder k(module, op, name,
                  {x, t, op->getResult(0), validRowsArg(op->getContext())},
                  /*sharedArrays=*/1);
  Value n = validElements(k, k.arg(3), elements(x) / rows);
  Value mine = k.reduceLoop(
      k.threadId(), n, k.index(kLossBlock), k.f32(0), [&](Value i, Value acc) {
        return k.add(acc, term(k, k.load(k.arg(0), i), k.load(k.arg(1), i)));
      });
  Value total = k.blockSum(mine, 0, kLossBlock);
  k.ifThen(k.cmpIndex(arith::CmpIPredicate::eq, k.threadId(), k.index(0)), [&] {
    Value count = k.b().create<arith::UIToFPOp>(
        k.loc(), k.b().getF32Type(),
        k.b().create<arith::IndexCastOp>(k.loc(), k.b().getI64Type(), n));
    k.store(k.div(total, count), k.arg(2), k.index(0));
  });
  k.finish(1, kLossBlock);
  return success();
}

/// dx = factor dl / n term(x, t) on the valid rows, 0 on padding; the op
/// has operands (dl, x, t).
LogicalResult buildPointwiseLossGrad(Operation *op, gpu::GPUModuleOp module,
                                     StringRef name, double factor,
                                     const Term &term) {
  Value dl = op->getOperand(0), x = op->getOperand(1), t = op->getOperand(2);
  int64_t rows = staticShape(x)[0];
  KernelBuilder k(module, op, name,
                  {dl, x, t, op->getResult(0), validRowsArg(op->getContext())});
  Value n = validElements(k, k.arg(4), elements(x) / rows);
  Value count = k.b().create<arith::UIToFPOp>(
      k.loc(), k.b().getF32Type(),
      k.b().create<arith::IndexCastOp>(k.loc(), k.b().getI64Type(), n));
  Value scale =
      k.div(k.mul(k.f32(factor), k.load(k.arg(0), k.index(0))), count);
  int64_t all = elements(x);
  k.gridStrideLoop(all, [&](Value i) {
    Value d = k.mul(scale, term(k, k.load(k.arg(1), i), k.load(k.arg(2), i)));
    Value valid = k.cmpIndex(arith::CmpIPredicate::ult, i, n);
    k.store(k.select(valid, d, k.f32(0)), k.arg(3), i);
  });
  k.finish(KernelBuilder::gridFor(all));
  return success();
}

} // namespace

void nngc::populateLossGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<CrossEntropyOp>(patterns, buildCrossEntropy);
  addKernel<CrossEntropyGradOp>(patterns, buildCrossEntropyGrad);

  addKernel<MSEOp>(
      patterns, [](MSEOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildPointwiseLoss(op, op.getInput(), op.getTarget(), module,
                                  name, [](KernelBuilder &k, Value x, Value t) {
                                    Value d = k.sub(x, t);
                                    return k.mul(d, d);
                                  });
      });
  addKernel<MSEGradOp>(
      patterns, [](MSEGradOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildPointwiseLossGrad(
            op, module, name, 2,
            [](KernelBuilder &k, Value x, Value t) { return k.sub(x, t); });
      });
  // max(x, 0) - x t + log(1 + exp(-|x|)), as the CPU (and torch's
  // binary_cross_entropy_with_logits); its gradient sigmoid(x) - t.
  addKernel<BinaryCrossEntropyOp>(patterns, [](BinaryCrossEntropyOp op,
                                               gpu::GPUModuleOp module,
                                               StringRef name) {
    return buildPointwiseLoss(
        op, op.getLogits(), op.getTarget(), module, name,
        [](KernelBuilder &k, Value x, Value t) {
          Value ax =
              k.b()
                  .create<LLVM::CallIntrinsicOp>(
                      k.loc(), k.b().getF32Type(),
                      k.b().getStringAttr("llvm.nvvm.fabs.f"), ValueRange{x})
                  .getResult(0);
          Value soft = k.log(
              k.add(k.f32(1), k.exp(k.b().create<arith::NegFOp>(k.loc(), ax))));
          return k.add(k.sub(k.max(x, k.f32(0)), k.mul(x, t)), soft);
        });
  });
  addKernel<BinaryCrossEntropyGradOp>(
      patterns,
      [](BinaryCrossEntropyGradOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildPointwiseLossGrad(op, module, name, 1,
                                      [](KernelBuilder &k, Value x, Value t) {
                                        return k.sub(k.sigmoid(x), t);
                                      });
      });

  // The tensors these kernels reach only through the kernel builder's
  // converting loads and stores (nngc-store-bf16).
  setBF16<CrossEntropyOp, CrossEntropyGradOp>(patterns, anyBF16());
}
