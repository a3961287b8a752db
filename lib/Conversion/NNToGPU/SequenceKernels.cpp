//===- SequenceKernels.cpp - token embeddings, dropout --------------------===//
//
// nn.embedding gathers one row of the table per token, a thread per
// element; an id out of range gives a zero row, as on the CPU (which also
// reports it; the GPU does not yet). nn.embedding_grad zeroes the table's
// gradient, then adds each token's gradient row into it with atomic adds
// (two launches), skipping `padding_idx`: the order of the additions, and
// so the last bits of rows that several tokens share, may differ from run
// to run, unlike the CPU's.
//
// nn.dropout and nn.dropout_grad draw the CPU runtime's masks (the same
// hash of the same key and element index), so a GPU step drops the
// elements a CPU step drops.
//
// The recurrent layers' gate arithmetic is not here yet.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// out = in * (draw >= threshold ? scale : 0) with the CPU's draws
/// (applyDropout): element i of the op is element offset + i of the mask
/// `key` = (k1, k2). Arguments after the two tensors: k1, k2, threshold
/// (i32; p of 2^32), scale (f32, 1 / (1 - p)), offset (i64: the rank's
/// place in the global batch). Threshold 0 and scale 1 copy.
LogicalResult buildDropout(Operation *op, Value in, Value out,
                           gpu::GPUModuleOp module, StringRef name) {
  double p = op->getAttrOfType<FloatAttr>("p").getValueAsDouble();
  int64_t w = vectorWidth(elements(out));
  SmallVector<KernelArg> args = {KernelArg::vectors(in, w),
                                 KernelArg::vectors(out, w)};
  args.append(dropoutArgs(op->getContext(), p, elements(out)));
  KernelBuilder k(module, op, name, args);
  k.dropoutLoop(elements(out), k.arg(0), k.arg(1), k.arg(2), k.arg(3), k.arg(4),
                k.arg(5), k.arg(6));
  return success();
}

} // namespace

void nngc::populateSequenceGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addKernel<DropoutOp>(
      patterns, [](DropoutOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildDropout(op, op.getInput(), op.getResult(), module, name);
      });
  // nn.dropout_add: the dropout's loop, adding the addend as it stores.
  addKernel<DropoutAddOp>(patterns, [](DropoutAddOp op, gpu::GPUModuleOp module,
                                       StringRef name) {
    Value out = op.getResult();
    int64_t n = elements(out), w = vectorWidth(n);
    SmallVector<KernelArg> args = {KernelArg::vectors(op.getInput(), w),
                                   KernelArg::vectors(op.getAddend(), w),
                                   KernelArg::vectors(out, w)};
    args.append(dropoutArgs(op->getContext(), op.getP().convertToDouble(), n));
    KernelBuilder k(module, op, name, args);
    k.dropoutLoop(n, k.arg(0), k.arg(2), k.arg(3), k.arg(4), k.arg(5), k.arg(6),
                  k.arg(7), k.arg(1));
    return success();
  });
  addKernel<DropoutGradOp>(
      patterns, [](DropoutGradOp op, gpu::GPUModuleOp module, StringRef name) {
        return buildDropout(op, op.getGrad(), op.getResult(), module, name);
      });
  addKernel<EmbeddingOp>(patterns, [](EmbeddingOp op, gpu::GPUModuleOp module,
                                      StringRef name) {
    auto table = cast<RankedTensorType>(op.getWeight().getType());
    int64_t vocab = table.getDimSize(0), dim = table.getDimSize(1);
    KernelBuilder k(module, op, name,
                    {op.getIds(), op.getWeight(), op.getResult()});
    int64_t n = elements(op.getResult());
    k.gridStrideLoop(n, [&](Value i) {
      Value token = k.div(i, k.index(dim));
      Value col = k.b().create<arith::RemUIOp>(k.loc(), i, k.index(dim));
      Value id = k.load(k.arg(0), token);
      Value ok = k.inRange(id, vocab);
      // An id out of range reads row 0 and is replaced by 0.
      Value safe = k.b().create<arith::SelectOp>(
          k.loc(), ok, id,
          k.b().create<arith::ConstantOp>(k.loc(), k.b().getI64IntegerAttr(0)));
      Value row =
          k.b().create<arith::IndexCastOp>(k.loc(), k.b().getIndexType(), safe);
      Value v = k.load(k.arg(1), k.add(k.mul(row, k.index(dim)), col));
      k.store(k.select(ok, v, k.f32(0)), k.arg(2), i);
    });
    k.finish(KernelBuilder::gridFor(n));
    return success();
  });

  addKernel<EmbeddingGradOp>(patterns, [](EmbeddingGradOp op,
                                          gpu::GPUModuleOp module,
                                          StringRef name) {
    auto table = cast<RankedTensorType>(op.getResult().getType());
    int64_t vocab = table.getDimSize(0), dim = table.getDimSize(1);
    int64_t tableN = elements(op.getResult()), n = elements(op.getGrad());
    {
      KernelBuilder k(module, op, (name + "_zero").str(), {op.getResult()});
      k.gridStrideLoop(tableN,
                       [&](Value i) { k.store(k.f32(0), k.arg(0), i); });
      k.finish(KernelBuilder::gridFor(tableN));
    }
    KernelBuilder k(module, op, (name + "_add").str(),
                    {op.getGrad(), op.getIds(), op.getResult()});
    std::optional<int64_t> padding = op.getPaddingIdx();
    k.gridStrideLoop(n, [&](Value i) {
      Value token = k.div(i, k.index(dim));
      Value col = k.b().create<arith::RemUIOp>(k.loc(), i, k.index(dim));
      Value id = k.load(k.arg(1), token);
      k.ifThen(k.inRange(id, vocab, padding), [&] {
        Value row =
            k.b().create<arith::IndexCastOp>(k.loc(), k.b().getIndexType(), id);
        Value at = k.add(k.mul(row, k.index(dim)), col);
        k.b().create<memref::AtomicRMWOp>(k.loc(), arith::AtomicRMWKind::addf,
                                          k.load(k.arg(0), i), k.arg(2),
                                          ValueRange{at});
      });
    });
    k.finish(KernelBuilder::gridFor(n));
    return success();
  });

  // The tensors these kernels reach only through the kernel builder's
  // converting loads and stores (nngc-store-bf16).
  setBF16<DropoutOp, DropoutAddOp, DropoutGradOp, EmbeddingOp>(patterns,
                                                               anyBF16());
  // (The table's gradient takes atomic adds.)
  setBF16<EmbeddingGradOp>(patterns, bf16At({0}));
}
