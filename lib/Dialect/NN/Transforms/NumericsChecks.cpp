//===- NumericsChecks.cpp - nngc-insert-numerics-checks -------------------===//
//
// The checks of `train --check-numerics`: an nn.check_finite after every
// op of the training graph that computes f32 tensors, and after every f32
// input (of each result something reads), each with the id and the text
// ("nn.linear at model.mlir:12:5") the trainer names when it fails.
// nngc-convert-nn-to-llvm inserts them itself on the CPU; the CUDA pipeline
// runs this pass before the GPU kernels are built, so that the checks get
// kernels too.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

namespace nngc {
#define GEN_PASS_DEF_NNINSERTNUMERICSCHECKSPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

std::string nngc::nn::locationText(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (isa<FileLineColLoc>(l))
        return locationText(l);
  if (auto name = dyn_cast<NameLoc>(loc))
    return locationText(name.getChildLoc());
  if (auto flc = dyn_cast<FileLineColLoc>(loc))
    return (flc.getFilename().getValue() + ":" + Twine(flc.getLine()) + ":" +
            Twine(flc.getColumn()))
        .str();
  return "an unknown location";
}

/// Whether an op reads `v`'s data: a backward op that takes its forward
/// op's results only to name that op (OperandReadOpInterface, and
/// nn.rnn_grad) does not. A result nothing reads may not be computed at
/// all (a masked LSTM's c_n) and cannot spoil the step: it is not checked.
static bool isRead(Value v) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (isa<RNNGradOp>(user))
      continue;
    if (auto reads = dyn_cast<OperandReadOpInterface>(user);
        reads && !reads.readsOperand(use.getOperandNumber()))
      continue;
    return true;
  }
  return false;
}

int64_t nngc::nn::insertNumericsChecks(Block &body) {
  int64_t id = 0;
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (!isKernelOp(&op) && !isa<InputOp>(op))
      continue;
    OpBuilder b(op.getContext());
    b.setInsertionPointAfter(&op);
    for (OpResult r : op.getResults()) {
      auto type = dyn_cast<RankedTensorType>(r.getType());
      if (!type || !type.getElementType().isF32() || !isRead(r))
        continue;
      std::string what = op.getName().getStringRef().str();
      if (auto in = dyn_cast<InputOp>(op))
        what = "input '" + in.getName().str() + "'";
      if (op.getNumResults() > 1)
        what += " (result " + std::to_string(r.getResultNumber()) + ")";
      what += " at " + locationText(op.getLoc());
      b.create<CheckFiniteOp>(op.getLoc(), r, b.getI64IntegerAttr(id++),
                              b.getStringAttr(what));
    }
  }
  return id;
}

namespace {

struct NNInsertNumericsChecksPass
    : public nngc::impl::NNInsertNumericsChecksPassBase<
          NNInsertNumericsChecksPass> {
  void runOnOperation() override {
    for (ModelOp model : getOperation().getOps<ModelOp>()) {
      Block &body = model.getBodyBlock();
      // The training graph only (the entry points that update), once.
      if (body.getOps<GradientOp>().empty() ||
          !body.getOps<CheckFiniteOp>().empty() ||
          model->hasAttr("nngc.step_of") || model->hasAttr("nngc.encode_of"))
        continue;
      insertNumericsChecks(body);
    }
  }
};

} // namespace
