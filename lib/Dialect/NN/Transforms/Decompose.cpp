//===- Decompose.cpp - nngc-decompose: composite ops into layer ops -------===//
//
// Rewrites ops that are compositions of other nn ops (PyTorch modules with
// several parameters, e.g. nn.multihead_attention) into those ops, so that
// autodiff, the memory plan and the lowering see only primitive ops.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

namespace nngc {
#define GEN_PASS_DEF_NNDECOMPOSEPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

/// Rows [start, start + size) of `v` along axis 0.
static Value rows(OpBuilder &b, Location loc, Value v, int64_t start,
                  int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = size;
  return b.create<SliceOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), v,
      b.getI64IntegerAttr(0), b.getI64IntegerAttr(start));
}

/// torch.nn.MultiheadAttention: in_proj (q, k, v row blocks), attention,
/// out_proj. Self-attention projects once with the whole [3C, C] weight and
/// slices the result, as PyTorch's fast path does.
static void decompose(MultiheadAttentionOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  int64_t c = qType.getDimSize(2);
  Value w = op.getInProjWeight(), bias = op.getInProjBias();
  Value q, k, v;
  if (op.getQuery() == op.getKey() && op.getKey() == op.getValue()) {
    Value qkv = b.create<LinearOp>(loc, op.getQuery(), w, bias);
    auto slice = [&](int64_t i) -> Value {
      return b.create<SliceOp>(loc, qType, qkv, b.getI64IntegerAttr(2),
                               b.getI64IntegerAttr(i * c));
    };
    q = slice(0), k = slice(1), v = slice(2);
  } else {
    auto project = [&](Value x, int64_t i) -> Value {
      Value bi = bias ? rows(b, loc, bias, i * c, c) : Value();
      return b.create<LinearOp>(loc, x, rows(b, loc, w, i * c, c), bi);
    };
    q = project(op.getQuery(), 0);
    k = project(op.getKey(), 1);
    v = project(op.getValue(), 2);
  }
  Value att = b.create<AttentionOp>(loc, q, k, v, op.getKeyPaddingMask(),
                                    op.getHeadsAttr(), op.getCausalAttr(),
                                    op.getDropoutAttr(), FloatAttr());
  Value out =
      b.create<LinearOp>(loc, att, op.getOutProjWeight(), op.getOutProjBias());
  op.getResult().replaceAllUsesWith(out);
  op.erase();
}

namespace {
struct NNDecomposePass
    : public nngc::impl::NNDecomposePassBase<NNDecomposePass> {
  void runOnOperation() override {
    SmallVector<MultiheadAttentionOp> mhas;
    getOperation().walk([&](MultiheadAttentionOp op) { mhas.push_back(op); });
    for (MultiheadAttentionOp op : mhas)
      decompose(op);
  }
};
} // namespace
