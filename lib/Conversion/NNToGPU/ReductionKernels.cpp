//===- ReductionKernels.cpp - softmax, sums, the global gradient norm ----===//
//
// Reductions along the last axis use one warp per row: each lane strides
// over the row, then butterfly shuffles (gpu.shuffle xor) combine the 32
// partial results, so every lane holds the row's max and sum. Reductions
// over other axes use one thread per output element. The gradient norm
// accumulates each block's sum of squares with one atomic add.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <limits>

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// softmax (or log_softmax) of `x` over the middle dimension of
/// (outer, axis, inner).
template <typename OpT>
LogicalResult buildSoftmax(OpT op, gpu::GPUModuleOp module, StringRef name,
                           bool logSoftmax) {
  Value in = op.getInput(), out = op.getResult();
  // (I64Attr's getter is unsigned.)
  auto [outer, n, inner] = aroundAxis(in, static_cast<int64_t>(op.getAxis()));
  KernelBuilder k(module, op, name, {in, out});
  Value x = k.arg(0), y = k.arg(1);
  auto finishRow = [&](Value base, Value start, Value step, Value stride,
                       Value mx, Value sum) {
    Value logSum = k.log(sum), inv = k.div(k.f32(1), sum);
    auto loop = k.b().create<scf::ForOp>(k.loc(), start, k.index(n), step);
    OpBuilder::InsertionGuard guard(k.b());
    k.b().setInsertionPointToStart(loop.getBody());
    Value at = k.add(base, k.mul(loop.getInductionVar(), stride));
    Value shifted = k.sub(k.load(x, at), mx);
    k.store(logSoftmax ? k.sub(shifted, logSum) : k.mul(k.exp(shifted), inv), y,
            at);
  };
  Value minusInf = k.f32(-INFINITY);
  if (inner == 1) {
    // One warp per row.
    int64_t rows = outer, warpsPerBlock = kBlockSize / kWarpSize;
    Value row = k.globalWarp(), lane = k.lane();
    Value inRange = k.b().create<arith::CmpIOp>(
        k.loc(), arith::CmpIPredicate::ult, row, k.index(rows));
    k.ifThen(inRange, [&] {
      Value base = k.mul(row, k.index(n)), step = k.index(kWarpSize);
      Value mx = k.reduceLoop(lane, k.index(n), step, minusInf,
                              [&](Value j, Value acc) {
                                return k.max(acc, k.load(x, k.add(base, j)));
                              });
      mx = k.warpMax(mx);
      Value sum = k.reduceLoop(
          lane, k.index(n), step, k.f32(0), [&](Value j, Value acc) {
            return k.add(acc, k.exp(k.sub(k.load(x, k.add(base, j)), mx)));
          });
      sum = k.warpSum(sum);
      finishRow(base, lane, step, k.index(1), mx, sum);
    });
    k.finish((rows + warpsPerBlock - 1) / warpsPerBlock);
    return success();
  }
  // One thread per (outer, inner) column.
  int64_t columns = outer * inner;
  k.gridStrideLoop(columns, [&](Value c) {
    Value base = k.columnBase(c, n, inner);
    Value stride = k.index(inner), zero = k.index(0), one = k.index(1);
    Value mx =
        k.reduceLoop(zero, k.index(n), one, minusInf, [&](Value j, Value acc) {
          return k.max(acc, k.load(x, k.add(base, k.mul(j, stride))));
        });
    Value sum =
        k.reduceLoop(zero, k.index(n), one, k.f32(0), [&](Value j, Value acc) {
          Value v = k.load(x, k.add(base, k.mul(j, stride)));
          return k.add(acc, k.exp(k.sub(v, mx)));
        });
    finishRow(base, zero, one, stride, mx, sum);
  });
  k.finish(KernelBuilder::gridFor(columns));
  return success();
}

/// The backward of softmax (dx = y (dy - sum(dy y))) or log-softmax
/// (dx = dy - exp(y) sum(dy)) from the forward result y, laid out as the
/// forward.
template <typename OpT>
LogicalResult buildSoftmaxGrad(OpT op, gpu::GPUModuleOp module, StringRef name,
                               bool logSoftmax) {
  Value dyV = op.getGrad(), yV = op.getSaved(), out = op.getResult();
  auto [outer, n, inner] = aroundAxis(yV, static_cast<int64_t>(op.getAxis()));
  KernelBuilder k(module, op, name, {dyV, yV, out});
  Value dy = k.arg(0), y = k.arg(1), dx = k.arg(2);
  // One row from `base`, elements start, start + step, ... (stride apart);
  // `reduce` combines the per-thread dot product into the row's.
  auto row = [&](Value base, Value start, Value step, Value stride,
                 const std::function<Value(Value)> &reduce) {
    Value dot = k.reduceLoop(
        start, k.index(n), step, k.f32(0), [&](Value j, Value acc) {
          Value at = k.add(base, k.mul(j, stride));
          Value g = k.load(dy, at);
          return logSoftmax ? k.add(acc, g) : k.fma(g, k.load(y, at), acc);
        });
    dot = reduce(dot);
    auto loop = k.b().create<scf::ForOp>(k.loc(), start, k.index(n), step);
    OpBuilder::InsertionGuard guard(k.b());
    k.b().setInsertionPointToStart(loop.getBody());
    Value at = k.add(base, k.mul(loop.getInductionVar(), stride));
    Value g = k.load(dy, at), v = k.load(y, at);
    k.store(logSoftmax ? k.sub(g, k.mul(k.exp(v), dot))
                       : k.mul(v, k.sub(g, dot)),
            dx, at);
  };
  if (inner == 1) {
    int64_t warpsPerBlock = kBlockSize / kWarpSize;
    Value r = k.globalWarp();
    k.ifThen(k.cmpIndex(arith::CmpIPredicate::ult, r, k.index(outer)), [&] {
      row(k.mul(r, k.index(n)), k.lane(), k.index(kWarpSize), k.index(1),
          [&](Value v) { return k.warpSum(v); });
    });
    k.finish((outer + warpsPerBlock - 1) / warpsPerBlock);
    return success();
  }
  int64_t columns = outer * inner;
  k.gridStrideLoop(columns, [&](Value c) {
    Value base = k.columnBase(c, n, inner);
    row(base, k.index(0), k.index(1), k.index(inner),
        [](Value v) { return v; });
  });
  k.finish(KernelBuilder::gridFor(columns));
  return success();
}

/// nn.check_finite (train --check-numerics): each thread tests a vector of
/// the tensor; a NaN or infinity at element i takes the check's record
/// (two u64 the runtime owns, their addresses the i64 arguments
/// `numerics_key=ID/N` and `numerics_count=ID`) to min(key, 2 i + isinf)
/// and adds one to its count, with atomics. The first element not finite
/// and its kind, and how many, are then the CPU's (nngc_rt_check_finite);
/// the runtime launches the kernel only when the trainer checks.
LogicalResult buildCheckFinite(CheckFiniteOp op, gpu::GPUModuleOp module,
                               StringRef name) {
  Value in = op.getInput();
  int64_t n = elements(in), w = vectorWidth(n);
  OpBuilder types(op.getContext());
  Type i64 = types.getI64Type();
  std::string id = std::to_string(op.getId());
  KernelBuilder k(
      module, op, name,
      {KernelArg::vectors(in, w),
       KernelArg::scalar(i64, "numerics_key=" + id + "/" + std::to_string(n)),
       KernelArg::scalar(i64, "numerics_count=" + id)});
  OpBuilder &b = k.b();
  Location loc = k.loc();
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value keyAt = b.create<LLVM::IntToPtrOp>(loc, ptr, k.arg(1));
  Value countAt = b.create<LLVM::IntToPtrOp>(loc, ptr, k.arg(2));
  Value inf = k.f32(std::numeric_limits<double>::infinity());
  k.gridStrideLoop(n / w, [&](Value v) {
    SmallVector<Value, 4> x = k.loadLanes(k.arg(0), v);
    for (int64_t l = 0; l < w; ++l) {
      Value ax = k.fabs(x[l]);
      // |x| < inf is false for NaN and for either infinity.
      Value finite =
          b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, ax, inf);
      Value bad = b.create<arith::XOrIOp>(
          loc, finite, b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)));
      k.ifThen(bad, [&] {
        Value isInf =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, ax, inf);
        Value i = b.create<arith::IndexCastOp>(
            loc, i64, k.add(k.mul(v, k.index(w)), k.index(l)));
        Value key = b.create<arith::AddIOp>(
            loc,
            b.create<arith::MulIOp>(
                loc, i,
                b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(2))),
            b.create<arith::ExtUIOp>(loc, i64, isInf));
        b.create<LLVM::AtomicRMWOp>(loc, LLVM::AtomicBinOp::umin, keyAt, key,
                                    LLVM::AtomicOrdering::monotonic);
        b.create<LLVM::AtomicRMWOp>(
            loc, LLVM::AtomicBinOp::add, countAt,
            b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(1)),
            LLVM::AtomicOrdering::monotonic);
      });
    }
  });
  k.finish(KernelBuilder::gridFor(n / w));
  return success();
}

} // namespace

void nngc::populateReductionGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<CheckFiniteOp>(patterns, buildCheckFinite);
  addKernel<SoftmaxGradOp>(
      patterns, [](SoftmaxGradOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildSoftmaxGrad(op, module, name, /*logSoftmax=*/false);
      });
  addKernel<LogSoftmaxGradOp>(
      patterns,
      [](LogSoftmaxGradOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildSoftmaxGrad(op, module, name, /*logSoftmax=*/true);
      });
  addKernel<SoftmaxOp>(
      patterns, [](SoftmaxOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildSoftmax(op, module, name, /*logSoftmax=*/false);
      });
  addKernel<LogSoftmaxOp>(
      patterns, [](LogSoftmaxOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildSoftmax(op, module, name, /*logSoftmax=*/true);
      });

  // out = in summed over the dimensions it broadcasts along: one thread
  // per output element, reading the input along the reduced dimensions.
  addKernel<SumToOp>(patterns, [](SumToOp op, gpu::GPUModuleOp module,
                                  StringRef name) {
    Value in = op.getInput(), out = op.getResult();
    ArrayRef<int64_t> is = staticShape(in), os = staticShape(out);
    int64_t rank = static_cast<int64_t>(is.size());
    int64_t lead = rank - static_cast<int64_t>(os.size());
    // Each input dimension: kept (it indexes the output) or reduced.
    SmallVector<int64_t> inStride(rank, 1), kept, reduced;
    for (int64_t d = rank - 2; d >= 0; --d)
      inStride[d] = inStride[d + 1] * is[d + 1];
    for (int64_t d = 0; d < rank; ++d)
      (d >= lead && os[d - lead] == is[d] ? kept : reduced).push_back(d);
    int64_t outN = elements(out),
            count = elements(in) / std::max<int64_t>(outN, 1);
    KernelBuilder k(module, op, name, {in, out});
    k.gridStrideLoop(outN, [&](Value o) {
      // The input offset of output element o's first summand.
      Value base = k.index(0), rest = o;
      for (int64_t d : llvm::reverse(kept)) {
        Value idx = k.b().create<arith::RemUIOp>(k.loc(), rest, k.index(is[d]));
        rest = k.div(rest, k.index(is[d]));
        base = k.add(base, k.mul(idx, k.index(inStride[d])));
      }
      Value sum =
          k.reduceLoop(k.index(0), k.index(count), k.index(1), k.f32(0),
                       [&](Value j, Value acc) {
                         Value at = base, r = j;
                         for (int64_t d : llvm::reverse(reduced)) {
                           Value idx = k.b().create<arith::RemUIOp>(
                               k.loc(), r, k.index(is[d]));
                           r = k.div(r, k.index(is[d]));
                           at = k.add(at, k.mul(idx, k.index(inStride[d])));
                         }
                         return k.add(acc, k.load(k.arg(0), at));
                       });
      k.store(sum, k.arg(1), o);
    });
    k.finish(KernelBuilder::gridFor(outN));
    return success();
  });

  // sqrt(sum of squares) over every gradient: zero the result, add each
  // warp's partial sum atomically, take the square root (three launches).
  addKernel<GradNormOp>(patterns, [](GradNormOp op, gpu::GPUModuleOp module,
                                     StringRef name) {
    Value out = op.getResult();
    // Only clipping reads the norm: without it the runtime launches the
    // zeroing alone (`if_clipping`, the trainer's threshold, gates the
    // other two), as the CPU's nngc_rt_grad_norm writes 0.
    KernelArg ifClipping =
        KernelArg::scalar(Float32Type::get(op.getContext()), "if_clipping");
    {
      KernelBuilder k(module, op, (name + "_zero").str(), {out});
      k.store(k.f32(0), k.arg(0), k.index(0));
      k.finish(1, 1);
    }
    SmallVector<KernelArg> args;
    int64_t largest = 1;
    for (Value g : op.getGrads()) {
      args.push_back(g);
      largest = std::max(largest, elements(g));
    }
    args.push_back(out);
    args.push_back(ifClipping);
    {
      // Each block's sum (shared memory), then one atomic add per block,
      // at most 1024: one per warp on one address would serialise.
      KernelBuilder k(module, op, (name + "_squares").str(), args,
                      /*sharedArrays=*/1);
      Value acc = k.f32(0);
      Value id = k.globalId(), step = k.gridThreads();
      for (auto [t, g] : llvm::enumerate(op.getGrads())) {
        Value m = k.arg(t);
        acc = k.reduceLoop(id, k.index(elements(g)), step, acc,
                           [&](Value i, Value a) {
                             Value v = k.load(m, i);
                             return k.fma(v, v, a);
                           });
      }
      acc = k.blockSum(acc, 0, kBlockSize);
      Value first = k.b().create<arith::CmpIOp>(
          k.loc(), arith::CmpIPredicate::eq, k.threadId(), k.index(0));
      Value result = k.arg(op.getGrads().size());
      k.ifThen(first, [&] {
        k.b().create<memref::AtomicRMWOp>(k.loc(), arith::AtomicRMWKind::addf,
                                          acc, result, ValueRange{k.index(0)});
      });
      k.finish(std::min<int64_t>(KernelBuilder::gridFor(largest), 1024));
    }
    {
      KernelBuilder k(module, op, (name + "_sqrt").str(), {out, ifClipping});
      Value zero = k.index(0);
      k.store(k.sqrt(k.load(k.arg(0), zero)), k.arg(0), zero);
      k.finish(1, 1);
    }
    return success();
  });

  // The tensors these kernels reach only through the kernel builder's
  // converting loads and stores (nngc-store-bf16).
  setBF16<SoftmaxOp, LogSoftmaxOp, SoftmaxGradOp, LogSoftmaxGradOp, SumToOp>(
      patterns, anyBF16());
  setBF16<CheckFiniteOp>(patterns, bf16At({0}));
}
