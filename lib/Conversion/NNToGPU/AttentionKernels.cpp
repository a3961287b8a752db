//===- AttentionKernels.cpp - attention's softmax, cached attention -------===//
//
// nn.attention's products are cuBLASLt's (lib/Runtime/Cuda/Cuda.cpp, over
// strided views of the heads); its kernels are the ones between them, in
// work buffers the runtime owns (`ptr=` arguments, KernelBuilder.h):
//
//   <op>_softmax (nn.attention; again in nn.attention_grad when the
//       forward keeps no probabilities): the scores S, scaled by the
//       product, become P = softmax over the keys a query sees (causal:
//       j <= i; key_padding_mask: mask[b, j] != 0), one warp per (batch,
//       head, query) row; a row that sees no key gets zeros (the CPU also
//       reports it, the GPU does not yet). With dropout, D = dropout(P)
//       with the CPU's mask (element offset + r * Tk + j of the draw).
//   <op>_softmax_grad (nn.attention_grad): dP (from dO V^T) through the
//       dropout mask, then dS = P (dP - rowsum(dP P)) in place, and D =
//       dropout(P) for dV = D^T dO.
//
// With bf16 operands (nngc-store-bf16: q, k, v and the gradients all
// bf16), every work buffer is bf16: the scores and dP (products into
// bf16, as PyTorch's autocast computes them), the probabilities, the
// dropped probabilities and dS; the kernels compute in f32.
//
// nn.cached_attention (a step model's one token per sequence) is two
// generic launches: <op>_cache copies the caches with the token's key and
// value at `position`, <op>_attend gives each (sequence, head) a warp that
// keeps the scores of positions 0..position in shared memory.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// The element g = offset + base + j of a row's dropout draw, as i64.
Value drawIndex(KernelBuilder &k, Value offset, Value at) {
  return k.b().create<arith::AddIOp>(
      k.loc(), offset,
      k.b().create<arith::IndexCastOp>(k.loc(), k.b().getI64Type(), at));
}

/// <name>_softmax of an attention with these operands (see above).
void buildAttentionSoftmax(Operation *op, Value query, Value key, Value mask,
                           int64_t heads, bool causal, double dropout,
                           gpu::GPUModuleOp module, StringRef name) {
  int64_t batch = staticShape(query)[0], tq = staticShape(query)[1],
          tk = staticShape(key)[1];
  int64_t rows = batch * heads * tq, n = rows * tk;
  bool bf16 = storedAsBF16(query);
  SmallVector<KernelArg> args = {
      KernelArg::buffer(n, "attention_scores", bf16)};
  if (mask)
    args.push_back(mask);
  args.push_back(KernelArg::buffer(n, "attention_probs", bf16));
  args.push_back(KernelArg::buffer(n, "attention_dropped", bf16));
  args.append(dropoutArgs(op->getContext(), dropout, n));
  KernelBuilder k(module, op, (name + "_softmax").str(), args);
  unsigned next = 0;
  Value s = k.arg(next++);
  Value m = mask ? k.arg(next++) : Value();
  Value p = k.arg(next++), d = k.arg(next++);
  Value k1 = k.arg(next), k2 = k.arg(next + 1), threshold = k.arg(next + 2),
        scale = k.arg(next + 3), offset = k.arg(next + 4);
  k.warpPerRow(rows, tk, [&](Value base, Value r) {
    Value b = k.div(r, k.index(heads * tq));
    Value i = k.b().create<arith::RemUIOp>(k.loc(), r, k.index(tq));
    auto visible = [&](Value j) -> Value {
      Value ok;
      if (causal)
        ok = k.cmpIndex(arith::CmpIPredicate::ule, j, i);
      if (m) {
        Value real =
            k.notEqual(k.load(m, k.add(k.mul(b, k.index(tk)), j)), k.f32(0));
        ok = ok ? k.b().create<arith::AndIOp>(k.loc(), ok, real) : real;
      }
      return ok;
    };
    Value lane = k.lane(), step = k.index(kWarpSize), end = k.index(tk);
    Value mx = k.reduceLoop(lane, end, step, k.f32(-INFINITY),
                            [&](Value j, Value acc) {
                              Value v = k.max(acc, k.load(s, k.add(base, j)));
                              Value ok = visible(j);
                              return ok ? k.select(ok, v, acc) : v;
                            });
    mx = k.warpMax(mx);
    Value sum =
        k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value acc) {
          Value v = k.add(acc, k.exp(k.sub(k.load(s, k.add(base, j)), mx)));
          Value ok = visible(j);
          return ok ? k.select(ok, v, acc) : v;
        });
    sum = k.warpSum(sum);
    // A row with no visible key: all zeros (sum is 0, mx -inf).
    Value inv = k.select(k.gt(sum, k.f32(0)), k.div(k.f32(1), sum), k.f32(0));
    Value drops = k.cmpIndex(arith::CmpIPredicate::ne, threshold, k.i32(0));
    k.laneLoop(tk, [&](Value j) {
      Value at = k.add(base, j);
      Value e = k.mul(k.exp(k.sub(k.load(s, at), mx)), inv);
      if (Value ok = visible(j))
        e = k.select(ok, e, k.f32(0));
      k.store(e, p, at);
      k.ifThen(drops, [&] {
        Value keep = k.dropoutKeep(k1, k2, threshold, drawIndex(k, offset, at));
        k.store(k.mul(e, k.select(keep, scale, k.f32(0))), d, at);
      });
    });
  });
}

/// <name>_softmax_grad of nn.attention_grad (see above).
void buildAttentionSoftmaxGrad(AttentionGradOp op, gpu::GPUModuleOp module,
                               StringRef name) {
  int64_t batch = staticShape(op.getQuery())[0],
          tq = staticShape(op.getQuery())[1], tk = staticShape(op.getKey())[1];
  int64_t heads = static_cast<int64_t>(op.getHeads());
  int64_t rows = batch * heads * tq, n = rows * tk;
  bool bf16 = storedAsBF16(op.getQuery());
  SmallVector<KernelArg> args = {
      KernelArg::buffer(n, "attention_dprobs", bf16),
      KernelArg::buffer(n, "attention_probs", bf16),
      KernelArg::buffer(n, "attention_dropped", bf16)};
  args.append(
      dropoutArgs(op->getContext(), op.getDropout().convertToDouble(), n));
  KernelBuilder k(module, op, (name + "_softmax_grad").str(), args);
  Value g = k.arg(0), p = k.arg(1), d = k.arg(2), k1 = k.arg(3), k2 = k.arg(4),
        threshold = k.arg(5), scale = k.arg(6), offset = k.arg(7);
  k.warpPerRow(rows, tk, [&](Value base, Value) {
    // dP through the mask: with threshold 0 and scale 1, dP itself.
    auto maskOf = [&](Value at) {
      Value keep = k.dropoutKeep(k1, k2, threshold, drawIndex(k, offset, at));
      return k.select(keep, scale, k.f32(0));
    };
    Value lane = k.lane(), step = k.index(kWarpSize), end = k.index(tk);
    Value dot =
        k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value acc) {
          Value at = k.add(base, j);
          return k.fma(k.mul(k.load(g, at), maskOf(at)), k.load(p, at), acc);
        });
    dot = k.warpSum(dot);
    Value drops = k.cmpIndex(arith::CmpIPredicate::ne, threshold, k.i32(0));
    k.laneLoop(tk, [&](Value j) {
      Value at = k.add(base, j);
      Value mj = maskOf(at), pj = k.load(p, at);
      k.store(k.mul(pj, k.sub(k.mul(k.load(g, at), mj), dot)), g, at);
      k.ifThen(drops, [&] { k.store(k.mul(pj, mj), d, at); });
    });
  });
}

} // namespace

void nngc::populateAttentionGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<AttentionOp>(patterns, [](AttentionOp op, gpu::GPUModuleOp module,
                                      StringRef name) {
    buildAttentionSoftmax(op, op.getQuery(), op.getKey(),
                          op.getKeyPaddingMask(),
                          static_cast<int64_t>(op.getHeads()), op.getCausal(),
                          op.getDropout().convertToDouble(), module, name);
    return success();
  });
  addKernel<AttentionGradOp>(patterns, [](AttentionGradOp op,
                                          gpu::GPUModuleOp module,
                                          StringRef name) {
    // Without kept probabilities the backward recomputes them: the
    // forward's kernel again (shared with it: the same code).
    Operation *forward = op.getOutput().getDefiningOp();
    if (forward && forward->hasAttr("nngc.recompute_probs"))
      buildAttentionSoftmax(op, op.getQuery(), op.getKey(),
                            op.getKeyPaddingMask(),
                            static_cast<int64_t>(op.getHeads()), op.getCausal(),
                            op.getDropout().convertToDouble(), module, name);
    buildAttentionSoftmaxGrad(op, module, name);
    return success();
  });

  addKernel<CachedAttentionOp>(patterns, [](CachedAttentionOp op,
                                            gpu::GPUModuleOp module,
                                            StringRef name) {
    ArrayRef<int64_t> cache = staticShape(op.getKeyCache());
    int64_t batch = cache[0], t = cache[1], width = cache[2];
    int64_t heads = static_cast<int64_t>(op.getHeads()), d = width / heads;
    // The position, clamped to [0, t]: positions 0..end-1 are attended
    // over (the CPU reports a position outside the cache; the GPU
    // attends over what it has).
    auto endOf = [&](KernelBuilder &k, Value pos) {
      OpBuilder &b = k.b();
      Value at = k.load(pos, k.index(0));
      Value one = b.create<arith::ConstantOp>(k.loc(), b.getI64IntegerAttr(1));
      Value zero = b.create<arith::ConstantOp>(k.loc(), b.getI64IntegerAttr(0));
      Value tt = b.create<arith::ConstantOp>(k.loc(), b.getI64IntegerAttr(t));
      Value end = b.create<arith::MinSIOp>(
          k.loc(),
          b.create<arith::MaxSIOp>(
              k.loc(), b.create<arith::AddIOp>(k.loc(), at, one), zero),
          tt);
      return std::make_pair(
          b.create<arith::IndexCastOp>(k.loc(), b.getIndexType(), end)
              .getResult(),
          b.create<arith::IndexCastOp>(k.loc(), b.getIndexType(), at)
              .getResult());
    };
    {
      // The caches, with row `position` of each sequence this token's.
      KernelBuilder k(module, op, (name + "_cache").str(),
                      {op.getKey(), op.getValue(), op.getKeyCache(),
                       op.getValueCache(), op.getPosition(),
                       op.getKeyCacheOut(), op.getValueCacheOut()});
      int64_t n = batch * t * width;
      Value pos = endOf(k, k.arg(4)).second;
      k.gridStrideLoop(n, [&](Value e) {
        Value seq = k.div(e, k.index(t * width));
        Value row = k.b().create<arith::RemUIOp>(
            k.loc(), k.div(e, k.index(width)), k.index(t));
        Value col = k.b().create<arith::RemUIOp>(k.loc(), e, k.index(width));
        Value here = k.cmpIndex(arith::CmpIPredicate::eq, row, pos);
        Value tok = k.add(k.mul(seq, k.index(width)), col);
        for (unsigned c = 0; c < 2; ++c)
          k.store(
              k.select(here, k.load(k.arg(c), tok), k.load(k.arg(2 + c), e)),
              k.arg(5 + c), e);
      });
      k.finish(KernelBuilder::gridFor(n));
    }
    // A warp (a block) per (sequence, head); the scores in shared memory.
    KernelBuilder k(module, op, (name + "_attend").str(),
                    {op.getQuery(), op.getPosition(), op.getKeyCacheOut(),
                     op.getValueCacheOut(), op.getResult()},
                    /*sharedArrays=*/1, /*sharedElements=*/t);
    Value q = k.arg(0), kc = k.arg(2), vc = k.arg(3), out = k.arg(4);
    Value scores = k.shared(0);
    Value end = endOf(k, k.arg(1)).first;
    Value bh = k.globalWarp();
    Value seq = k.div(bh, k.index(heads));
    Value head = k.b().create<arith::RemUIOp>(k.loc(), bh, k.index(heads));
    Value qBase = k.add(k.mul(seq, k.index(width)), k.mul(head, k.index(d)));
    auto rowBase = [&](Value j) {
      return k.add(k.mul(k.add(k.mul(seq, k.index(t)), j), k.index(width)),
                   k.mul(head, k.index(d)));
    };
    Value lane = k.lane(), step = k.index(kWarpSize), zero = k.index(0),
          one = k.index(1);
    Value scale = k.f32(op.getScale().convertToDouble());
    Value mx = k.reduceLoop(
        lane, end, step, k.f32(-INFINITY), [&](Value j, Value acc) {
          Value kb = rowBase(j);
          Value dot = k.reduceLoop(zero, k.index(d), one, k.f32(0),
                                   [&](Value i, Value a) {
                                     return k.fma(k.load(q, k.add(qBase, i)),
                                                  k.load(kc, k.add(kb, i)), a);
                                   });
          Value sc = k.mul(dot, scale);
          k.store(sc, scores, j);
          return k.max(acc, sc);
        });
    mx = k.warpMax(mx);
    Value sum =
        k.reduceLoop(lane, end, step, k.f32(0), [&](Value j, Value acc) {
          Value e = k.exp(k.sub(k.load(scores, j), mx));
          k.store(e, scores, j);
          return k.add(acc, e);
        });
    sum = k.warpSum(sum);
    // Every lane reads every position's weight.
    k.barrier();
    Value inv = k.select(k.gt(sum, k.f32(0)), k.div(k.f32(1), sum), k.f32(0));
    k.laneLoop(d, [&](Value i) {
      Value acc = k.reduceLoop(zero, end, one, k.f32(0), [&](Value j, Value a) {
        return k.fma(k.load(scores, j), k.load(vc, k.add(rowBase(j), i)), a);
      });
      k.store(k.mul(acc, inv), out, k.add(qBase, i));
    });
    k.finish(batch * heads, kWarpSize);
    return success();
  });

  // q, k, v and the output; the gradient of the output, q, k, v and their
  // gradients: the runtime's products read and write them (bf16 with
  // NNGC_ATTN_BF16), the kernels only the work buffers and the mask.
  // nngc-store-bf16 takes an attention's tensors all as bf16 or none.
  setBF16<AttentionOp>(patterns, [](Operation *op, unsigned position) {
    return position < 3 || position == op->getNumOperands();
  });
  setBF16<AttentionGradOp>(patterns, [](Operation *op, unsigned position) {
    return position < 4 || position >= op->getNumOperands();
  });
}
