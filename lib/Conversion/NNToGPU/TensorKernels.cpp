//===- TensorKernels.cpp - reductions, slices, concat, layer norm ---------===//
//
// Tensor plumbing over (outer, n, inner) views around an axis, a thread per
// output element: nn.slice and nn.select copy a range, nn.slice_grad
// writes it into zeros, nn.concat copies each input into its range (one
// launch per input), nn.transpose reads through permuted strides, and
// nn.reduce and its backward go a thread per column.
//
// nn.layer_norm: a warp per row, mean then variance in two passes over the
// row (shuffle sums), y = (x - mean) rstd w + b. nn.layer_norm_grad
// recomputes each row's statistics from the input (no state is kept
// between the kernels), writes dx, and adds each row's share of dw and db
// with atomic adds after zeroing them: the order of those additions, so
// the last bits of dw and db, may differ from run to run.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// Copies the (outer, count, inner) block of `src` (n = srcN along the
/// axis) at `srcStart` to `dst` (n = dstN) at `dstStart`, a thread per
/// copied element; with `zeroRest`, the rest of `dst` becomes 0 (a thread
/// per element of dst then).
void copyRange(KernelBuilder &k, Value src, Value dst, int64_t outer,
               int64_t inner, int64_t srcN, int64_t srcStart, int64_t dstN,
               int64_t dstStart, int64_t count, bool zeroRest) {
  int64_t total = outer * (zeroRest ? dstN : count) * inner;
  int64_t span = zeroRest ? dstN : count;
  k.gridStrideLoop(total, [&](Value i) {
    Value o = k.div(i, k.index(span * inner));
    Value r = k.b().create<arith::RemUIOp>(k.loc(), i, k.index(span * inner));
    Value j = k.div(r, k.index(inner));
    Value c = k.b().create<arith::RemUIOp>(k.loc(), r, k.index(inner));
    auto at = [&](int64_t n, Value jj) {
      return k.add(k.mul(k.add(k.mul(o, k.index(n)), jj), k.index(inner)), c);
    };
    if (!zeroRest) {
      Value v = k.load(src, at(srcN, k.add(j, k.index(srcStart))));
      k.store(v, dst, at(dstN, k.add(j, k.index(dstStart))));
      return;
    }
    // dst element j of the axis holds src element j - dstStart, if any.
    Value from = k.index(dstStart), to = k.index(dstStart + count);
    Value inside = k.b().create<arith::AndIOp>(
        k.loc(), k.cmpIndex(arith::CmpIPredicate::uge, j, from),
        k.cmpIndex(arith::CmpIPredicate::ult, j, to));
    Value sj = k.select(inside, k.sub(j, from), k.index(0));
    Value v = k.load(src, at(srcN, k.add(sj, k.index(srcStart))));
    k.store(k.select(inside, v, k.f32(0)), dst, at(dstN, j));
  });
  k.finish(KernelBuilder::gridFor(total));
}

/// A row's mean and 1 / sqrt(variance + eps) over `n` elements from
/// `base`, by the warp (every lane gets both).
std::pair<Value, Value> rowMoments(KernelBuilder &k, Value x, Value base,
                                   int64_t n, double eps) {
  Value lane = k.lane(), step = k.index(kWarpSize), end = k.index(n);
  Value sum = k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value a) {
    return k.add(a, k.load(x, k.add(base, j)));
  });
  Value mean = k.div(k.warpSum(sum), k.f32(static_cast<double>(n)));
  Value sq = k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value a) {
    Value d = k.sub(k.load(x, k.add(base, j)), mean);
    return k.fma(d, d, a);
  });
  Value var = k.div(k.warpSum(sq), k.f32(static_cast<double>(n)));
  Value rstd = k.div(k.f32(1), k.sqrt(k.add(var, k.f32(eps))));
  return {mean, rstd};
}

/// Layer norm's input gradient: rstd (g - mean(g) - xhat mean(g xhat)),
/// g = dy w (`mg`, `mgx` the two means over the row).
Value layerNormDx(KernelBuilder &k, Value rstd, Value g, Value xhat, Value mg,
                  Value mgx) {
  return k.mul(rstd, k.sub(k.sub(g, mg), k.mul(xhat, mgx)));
}

/// Whether a row of `n` fits in the warp's registers: 32 c elements,
/// c <= 16, lane l holding elements l + 32 i.
bool rowInRegisters(int64_t n) {
  return n % kWarpSize == 0 && n / kWarpSize <= 16;
}

/// The lane's elements of the row at `base` (rowInRegisters), read once.
SmallVector<Value> loadRow(KernelBuilder &k, Value x, Value base, int64_t n) {
  SmallVector<Value> v;
  for (int64_t c = 0; c < n / kWarpSize; ++c)
    v.push_back(
        k.load(x, k.add(base, k.add(k.lane(), k.index(c * kWarpSize)))));
  return v;
}

/// rowMoments of a row in registers: the same sums in the same order.
std::pair<Value, Value> rowMoments(KernelBuilder &k, ArrayRef<Value> row,
                                   int64_t n, double eps) {
  Value sum = k.f32(0);
  for (Value v : row)
    sum = k.add(sum, v);
  Value mean = k.div(k.warpSum(sum), k.f32(static_cast<double>(n)));
  Value sq = k.f32(0);
  for (Value v : row) {
    Value d = k.sub(v, mean);
    sq = k.fma(d, d, sq);
  }
  Value var = k.div(k.warpSum(sq), k.f32(static_cast<double>(n)));
  Value rstd = k.div(k.f32(1), k.sqrt(k.add(var, k.f32(eps))));
  return {mean, rstd};
}

/// nn.layer_norm_grad over rows of n = 32 c elements (c <= 16): a warp per
/// row as below, but each warp takes rows in a grid-stride loop (at most
/// 256 blocks) and sums its rows' dw and db in registers (lane l owns
/// columns l + 32 i), then adds them with one atomic per column: rows /
/// warps atomics on each address instead of one per row (16384 per
/// column for gpt_small's, which the GPU serialises).
void layerNormGradRows(KernelBuilder &k, int64_t rows, int64_t n, double eps,
                       Value dy, Value x, Value wm, Value dx, Value dw,
                       Value db) {
  OpBuilder &b = k.b();
  Location loc = k.loc();
  int64_t cols = n / kWarpSize;
  int64_t warpsPerBlock = kBlockSize / kWarpSize;
  int64_t blocks =
      std::min<int64_t>((rows + warpsPerBlock - 1) / warpsPerBlock, 256);
  Value lane = k.lane();
  SmallVector<Value> init(2 * cols, k.f32(0));
  Value warps = k.index(blocks * warpsPerBlock);
  auto loop =
      b.create<scf::ForOp>(loc, k.globalWarp(), k.index(rows), warps, init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value base = k.mul(loop.getInductionVar(), k.index(n));
    SmallVector<Value> row = loadRow(k, x, base, n);
    auto [mean, rstd] = rowMoments(k, row, n, eps);
    SmallVector<Value> js, gs, xhs;
    Value sg = k.f32(0), sgx = k.f32(0);
    for (int64_t c = 0; c < cols; ++c) {
      Value j = k.add(lane, k.index(c * kWarpSize));
      Value g = k.load(dy, k.add(base, j));
      Value xh = k.mul(k.sub(row[c], mean), rstd);
      Value gw = wm ? k.mul(g, k.load(wm, j)) : g;
      sg = k.add(sg, gw);
      sgx = k.fma(gw, xh, sgx);
      js.push_back(j);
      gs.push_back(g);
      xhs.push_back(xh);
    }
    Value inv = k.f32(1.0 / static_cast<double>(n));
    Value mg = k.mul(k.warpSum(sg), inv), mgx = k.mul(k.warpSum(sgx), inv);
    SmallVector<Value> next;
    auto iters = loop.getRegionIterArgs();
    for (int64_t c = 0; c < cols; ++c) {
      Value gw = wm ? k.mul(gs[c], k.load(wm, js[c])) : gs[c];
      Value d = layerNormDx(k, rstd, gw, xhs[c], mg, mgx);
      k.store(d, dx, k.add(base, js[c]));
      next.push_back(k.fma(gs[c], xhs[c], iters[c]));
      next.push_back(k.add(iters[cols + c], gs[c]));
    }
    // (dw partials first, then db's, as the iter args.)
    SmallVector<Value> ordered(2 * cols);
    for (int64_t c = 0; c < cols; ++c) {
      ordered[c] = next[2 * c];
      ordered[cols + c] = next[2 * c + 1];
    }
    b.create<scf::YieldOp>(loc, ordered);
  }
  for (int64_t c = 0; c < cols; ++c) {
    Value j = k.add(lane, k.index(c * kWarpSize));
    if (dw)
      b.create<memref::AtomicRMWOp>(loc, arith::AtomicRMWKind::addf,
                                    loop.getResult(c), dw, ValueRange{j});
    if (db)
      b.create<memref::AtomicRMWOp>(loc, arith::AtomicRMWKind::addf,
                                    loop.getResult(cols + c), db,
                                    ValueRange{j});
  }
  k.finish(blocks);
}

} // namespace

void nngc::populateTensorGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<SliceOp>(
      patterns, [](SliceOp op, gpu::GPUModuleOp module, StringRef name) {
        auto [outer, n, inner] =
            aroundAxis(op.getInput(), static_cast<int64_t>(op.getAxis()));
        auto [o2, count, i2] =
            aroundAxis(op.getResult(), static_cast<int64_t>(op.getAxis()));
        KernelBuilder k(module, op, name, {op.getInput(), op.getResult()});
        copyRange(k, k.arg(0), k.arg(1), outer, inner, n,
                  op.getNormalizedStart(), count, 0, count, false);
        return success();
      });
  addKernel<SelectOp>(
      patterns, [](SelectOp op, gpu::GPUModuleOp module, StringRef name) {
        auto [outer, n, inner] =
            aroundAxis(op.getInput(), static_cast<int64_t>(op.getAxis()));
        KernelBuilder k(module, op, name, {op.getInput(), op.getResult()});
        copyRange(k, k.arg(0), k.arg(1), outer, inner, n,
                  op.getNormalizedIndex(), 1, 0, 1, false);
        return success();
      });
  addKernel<SliceGradOp>(
      patterns, [](SliceGradOp op, gpu::GPUModuleOp module, StringRef name) {
        auto axis = static_cast<int64_t>(op.getAxis());
        auto [outer, n, inner] = aroundAxis(op.getResult(), axis);
        auto [o2, count, i2] = aroundAxis(op.getGrad(), axis);
        KernelBuilder k(module, op, name, {op.getGrad(), op.getResult()});
        copyRange(k, k.arg(0), k.arg(1), outer, inner, count, 0, n,
                  static_cast<int64_t>(op.getStart()), count, true);
        return success();
      });
  addKernel<ConcatOp>(
      patterns, [](ConcatOp op, gpu::GPUModuleOp module, StringRef name) {
        auto axis = static_cast<int64_t>(op.getAxis());
        auto [outer, n, inner] = aroundAxis(op.getResult(), axis);
        int64_t at = 0;
        for (auto [i, in] : llvm::enumerate(op.getInputs())) {
          auto [o2, count, i2] = aroundAxis(in, axis);
          KernelBuilder k(module, op, (name + "_" + std::to_string(i)).str(),
                          {in, op.getResult()});
          copyRange(k, k.arg(0), k.arg(1), outer, inner, count, 0, n, at, count,
                    false);
          at += count;
        }
        return success();
      });

  // nn.reduce (sum, mean, max over an axis, with an optional mask of one
  // value per maskDiv elements): a thread per (outer, inner) column. Its
  // backward spreads the gradient as the CPU does: to every kept element
  // (sum), divided by their count (mean), to the first maximum (max).
  auto reduceView = [](KernelBuilder &k, Value in, Value mask, int64_t axis,
                       Value c, int64_t n, int64_t inner) {
    Value base = k.columnBase(c, n, inner);
    int64_t maskDiv = mask ? elements(in) / elements(mask) : 1;
    auto at = [&, base, inner](Value j) {
      return k.add(base, k.mul(j, k.index(inner)));
    };
    auto kept = [&, maskDiv, at](Value j, Value maskMem) -> Value {
      if (!maskMem)
        return k.b().create<arith::ConstantOp>(k.loc(),
                                               k.b().getBoolAttr(true));
      Value m = k.load(maskMem, k.div(at(j), k.index(maskDiv)));
      return k.b().create<arith::CmpFOp>(k.loc(), arith::CmpFPredicate::UNE, m,
                                         k.f32(0));
    };
    return std::make_pair(std::function<Value(Value)>(at),
                          std::function<Value(Value, Value)>(kept));
  };
  addKernel<ReduceOp>(
      patterns,
      [reduceView](ReduceOp op, gpu::GPUModuleOp module, StringRef name) {
        Value in = op.getInput(), mask = op.getMask();
        int64_t axis = op.getNormalizedAxis();
        auto [outer, n, inner] = aroundAxis(in, axis);
        SmallVector<KernelArg> args = {in};
        if (mask)
          args.push_back(mask);
        args.push_back(op.getResult());
        KernelBuilder k(module, op, name, args);
        Value maskMem = mask ? k.arg(1) : Value(), out = k.arg(args.size() - 1);
        ReduceKind kind = op.getKind();
        k.gridStrideLoop(outer * inner, [&](Value c) {
          auto [at, kept] = reduceView(k, in, mask, axis, c, n, inner);
          auto loop = k.b().create<scf::ForOp>(
              k.loc(), k.index(0), k.index(n), k.index(1),
              ValueRange{k.f32(0), k.f32(-INFINITY), k.f32(0)});
          {
            OpBuilder::InsertionGuard guard(k.b());
            k.b().setInsertionPointToStart(loop.getBody());
            Value j = loop.getInductionVar();
            auto carried = loop.getRegionIterArgs();
            Value keep = kept(j, maskMem), x = k.load(k.arg(0), at(j));
            k.b().create<scf::YieldOp>(
                k.loc(),
                ValueRange{
                    k.select(keep, k.add(carried[0], x), carried[0]),
                    k.select(keep, k.max(carried[1], x), carried[1]),
                    k.select(keep, k.add(carried[2], k.f32(1)), carried[2])});
          }
          Value sum = loop.getResult(0), best = loop.getResult(1),
                count = loop.getResult(2);
          Value r = kind == ReduceKind::sum    ? sum
                    : kind == ReduceKind::mean ? k.div(sum, count)
                                               : best;
          k.store(k.select(k.gt(count, k.f32(0)), r, k.f32(0)), out, c);
        });
        k.finish(KernelBuilder::gridFor(outer * inner));
        return success();
      });
  addKernel<ReduceGradOp>(patterns, [reduceView](ReduceGradOp op,
                                                 gpu::GPUModuleOp module,
                                                 StringRef name) {
    Value in = op.getInput(), mask = op.getMask();
    auto axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += static_cast<int64_t>(staticShape(in).size());
    auto [outer, n, inner] = aroundAxis(in, axis);
    SmallVector<KernelArg> args = {op.getGrad(), in, op.getOutput()};
    if (mask)
      args.push_back(mask);
    args.push_back(op.getResult());
    KernelBuilder k(module, op, name, args);
    Value maskMem = mask ? k.arg(3) : Value(), dx = k.arg(args.size() - 1);
    ReduceKind kind = op.getKind();
    k.gridStrideLoop(outer * inner, [&](Value c) {
      auto [at, kept] = reduceView(k, in, mask, axis, c, n, inner);
      Value g = k.load(k.arg(0), c), best = k.load(k.arg(2), c);
      // The kept elements' count, and the first that equals the maximum
      // (n if none).
      auto scan =
          k.b().create<scf::ForOp>(k.loc(), k.index(0), k.index(n), k.index(1),
                                   ValueRange{k.f32(0), k.index(n)});
      {
        OpBuilder::InsertionGuard guard(k.b());
        k.b().setInsertionPointToStart(scan.getBody());
        Value j = scan.getInductionVar();
        auto carried = scan.getRegionIterArgs();
        Value keep = kept(j, maskMem);
        Value isMax = k.b().create<arith::AndIOp>(
            k.loc(), keep,
            k.b().create<arith::AndIOp>(
                k.loc(),
                k.b().create<arith::CmpFOp>(k.loc(), arith::CmpFPredicate::OEQ,
                                            k.load(k.arg(1), at(j)), best),
                k.cmpIndex(arith::CmpIPredicate::eq, carried[1], k.index(n))));
        k.b().create<scf::YieldOp>(
            k.loc(),
            ValueRange{k.select(keep, k.add(carried[0], k.f32(1)), carried[0]),
                       k.select(isMax, j, carried[1])});
      }
      Value count = scan.getResult(0), first = scan.getResult(1);
      auto write =
          k.b().create<scf::ForOp>(k.loc(), k.index(0), k.index(n), k.index(1));
      OpBuilder::InsertionGuard guard(k.b());
      k.b().setInsertionPointToStart(write.getBody());
      Value j = write.getInductionVar();
      Value d = kind == ReduceKind::sum ? g
                : kind == ReduceKind::mean
                    ? k.div(g, count)
                    : k.select(k.cmpIndex(arith::CmpIPredicate::eq, j, first),
                               g, k.f32(0));
      k.store(k.select(kept(j, maskMem), d, k.f32(0)), dx, at(j));
    });
    k.finish(KernelBuilder::gridFor(outer * inner));
    return success();
  });

  // out dimension d is input dimension perm[d]: a thread per output
  // element, its input offset from the permuted strides.
  addKernel<TransposeOp>(
      patterns, [](TransposeOp op, gpu::GPUModuleOp module, StringRef name) {
        ArrayRef<int64_t> in = staticShape(op.getInput()),
                          out = staticShape(op.getResult());
        ArrayRef<int64_t> perm = op.getPermutation();
        auto rank = static_cast<int64_t>(in.size());
        SmallVector<int64_t> inStride(rank, 1);
        for (int64_t d = rank - 2; d >= 0; --d)
          inStride[d] = inStride[d + 1] * in[d + 1];
        KernelBuilder k(module, op, name, {op.getInput(), op.getResult()});
        int64_t n = elements(op.getResult());
        k.gridStrideLoop(n, [&](Value i) {
          Value rest = i, at = k.index(0);
          for (int64_t d = rank - 1; d >= 0; --d) {
            Value idx =
                k.b().create<arith::RemUIOp>(k.loc(), rest, k.index(out[d]));
            rest = k.div(rest, k.index(out[d]));
            at = k.add(at, k.mul(idx, k.index(inStride[perm[d]])));
          }
          k.store(k.load(k.arg(0), at), k.arg(1), i);
        });
        k.finish(KernelBuilder::gridFor(n));
        return success();
      });

  addKernel<ArangeOp>(patterns, [](ArangeOp op, gpu::GPUModuleOp module,
                                   StringRef name) {
    KernelBuilder k(module, op, name, {op.getResult()});
    int64_t n = elements(op.getResult());
    k.gridStrideLoop(n, [&](Value i) {
      k.store(k.b().create<arith::IndexCastOp>(k.loc(), k.b().getI64Type(), i),
              k.arg(0), i);
    });
    k.finish(KernelBuilder::gridFor(n));
    return success();
  });

  addKernel<LayerNormOp>(patterns, [](LayerNormOp op, gpu::GPUModuleOp module,
                                      StringRef name) {
    Value in = op.getInput(), w = op.getWeight(), bias = op.getBias();
    int64_t n = op.getNormalizedSize(), rows = elements(in) / n;
    SmallVector<KernelArg> args = {in};
    if (w)
      args.push_back(w);
    if (bias)
      args.push_back(bias);
    args.push_back(op.getResult());
    KernelBuilder k(module, op, name, args);
    Value x = k.arg(0), y = k.arg(args.size() - 1);
    Value wm = w ? k.arg(1) : Value(), bm = bias ? k.arg(w ? 2 : 1) : Value();
    double eps = op.getEps().convertToDouble();
    // y[j] = (x[j] - mean) rstd w[j] + b[j].
    auto normalize = [&](Value xj, Value j, Value base, Value mean,
                         Value rstd) {
      Value v = k.mul(k.sub(xj, mean), rstd);
      if (wm)
        v = k.mul(v, k.load(wm, j));
      if (bm)
        v = k.add(v, k.load(bm, j));
      k.store(v, y, k.add(base, j));
    };
    k.warpPerRow(rows, n, [&](Value base, Value) {
      if (rowInRegisters(n)) {
        // The row read once into registers, not once per pass.
        SmallVector<Value> row = loadRow(k, x, base, n);
        auto [mean, rstd] = rowMoments(k, row, n, eps);
        for (int64_t c = 0; c < n / kWarpSize; ++c)
          normalize(row[c], k.add(k.lane(), k.index(c * kWarpSize)), base, mean,
                    rstd);
        return;
      }
      auto [mean, rstd] = rowMoments(k, x, base, n, eps);
      k.laneLoop(n, [&](Value j) {
        normalize(k.load(x, k.add(base, j)), j, base, mean, rstd);
      });
    });
    return success();
  });

  addKernel<LayerNormGradOp>(patterns, [](LayerNormGradOp op,
                                          gpu::GPUModuleOp module,
                                          StringRef name) {
    Value in = op.getInput(), w = op.getWeight(), bias = op.getBias();
    ArrayRef<int64_t> shape = staticShape(in);
    int64_t n = 1;
    for (int64_t d :
         shape.take_back(static_cast<int64_t>(op.getNormalizedDims())))
      n *= d;
    int64_t rows = elements(in) / n;
    auto results = op.getResults();
    // dw and db first: zeroed, then accumulated by the rows.
    for (unsigned r = 1; r < results.size(); ++r) {
      KernelBuilder k(module, op, (name + "_zero" + std::to_string(r)).str(),
                      {results[r]});
      k.gridStrideLoop(n, [&](Value i) { k.store(k.f32(0), k.arg(0), i); });
      k.finish(KernelBuilder::gridFor(n));
    }
    SmallVector<KernelArg> args = {op.getGrad(), in};
    if (w)
      args.push_back(w);
    for (Value r : results)
      args.push_back(r);
    KernelBuilder k(module, op, name, args);
    Value dy = k.arg(0), x = k.arg(1), wm = w ? k.arg(2) : Value();
    unsigned first = w ? 3 : 2;
    Value dx = k.arg(first);
    Value dw = w ? k.arg(first + 1) : Value();
    Value db = bias ? k.arg(first + (w ? 2 : 1)) : Value();
    double eps = op.getEps().convertToDouble();
    if (rowInRegisters(n) && (dw || db)) {
      layerNormGradRows(k, rows, n, eps, dy, x, wm, dx, dw, db);
      return success();
    }
    k.warpPerRow(rows, n, [&](Value base, Value) {
      auto [mean, rstd] = rowMoments(k, x, base, n, eps);
      auto xhat = [&](Value j) {
        return k.mul(k.sub(k.load(x, k.add(base, j)), mean), rstd);
      };
      auto gOf = [&](Value j) {
        Value g = k.load(dy, k.add(base, j));
        return wm ? k.mul(g, k.load(wm, j)) : g;
      };
      // dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy w.
      Value lane = k.lane(), step = k.index(kWarpSize), end = k.index(n);
      Value sg = k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value a) {
        return k.add(a, gOf(j));
      });
      Value sgx =
          k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value a) {
            return k.fma(gOf(j), xhat(j), a);
          });
      Value inv = k.f32(1.0 / static_cast<double>(n));
      Value mg = k.mul(k.warpSum(sg), inv), mgx = k.mul(k.warpSum(sgx), inv);
      k.laneLoop(n, [&](Value j) {
        Value xh = xhat(j);
        Value d = layerNormDx(k, rstd, gOf(j), xh, mg, mgx);
        k.store(d, dx, k.add(base, j));
        Value g = k.load(dy, k.add(base, j));
        if (dw)
          k.b().create<memref::AtomicRMWOp>(k.loc(), arith::AtomicRMWKind::addf,
                                            k.mul(g, xh), dw, ValueRange{j});
        if (db)
          k.b().create<memref::AtomicRMWOp>(k.loc(), arith::AtomicRMWKind::addf,
                                            g, db, ValueRange{j});
      });
    });
    return success();
  });

  // The tensors these kernels reach only through the kernel builder's
  // converting loads and stores (nngc-store-bf16).
  setBF16<SliceOp, SelectOp, SliceGradOp, ConcatOp, LayerNormOp>(patterns,
                                                                 anyBF16());
  // dy, x and dx; dw and db take atomic adds.
  setBF16<LayerNormGradOp>(patterns, [](Operation *op, unsigned position) {
    return position <= op->getNumOperands();
  });
}
