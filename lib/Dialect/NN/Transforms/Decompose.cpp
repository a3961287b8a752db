//===- Decompose.cpp - nngc-decompose: composite ops into layer ops -------===//
//
// Rewrites ops that are compositions of other nn ops (PyTorch modules with
// several parameters: nn.multihead_attention, nn.additive_attention,
// nn.multiplicative_attention) into those ops, so that autodiff, the memory
// plan and the lowering see only primitive ops. Each op's composition is
// its own (DecomposeOpInterface, next to its verifier).
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

namespace {
struct NNDecomposePass
    : public nngc::impl::NNDecomposePassBase<NNDecomposePass> {
  void runOnOperation() override {
    // Each composite op says what it is made of (DecomposeOpInterface);
    // the ops it emits may be composite themselves, so repeat until none
    // is left.
    while (true) {
      SmallVector<DecomposeOpInterface> ops;
      getOperation().walk([&](DecomposeOpInterface op) { ops.push_back(op); });
      if (ops.empty())
        return;
      for (DecomposeOpInterface op : ops) {
        OpBuilder b(op);
        SmallVector<Value> values = op.decompose(b);
        op->replaceAllUsesWith(values);
        op->erase();
      }
    }
  }
};
} // namespace
