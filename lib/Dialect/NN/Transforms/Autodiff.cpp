//===- Autodiff.cpp - nngc-autodiff: reverse-mode differentiation ---------===//
//
// Seeds d loss / d loss = 1 and walks the model backwards, asking every op
// between a parameter and the loss for its VJP. See docs/Autodiff.md.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "llvm/ADT/DenseSet.h"

namespace nngc {
#define GEN_PASS_DEF_NNAUTODIFFPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

struct NNAutodiffPass : public nngc::impl::NNAutodiffPassBase<NNAutodiffPass> {
  void runOnOperation() override {
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (failed(differentiate(model)))
        return signalPassFailure();
  }

  LogicalResult differentiate(ModelOp model);
};

} // namespace

LogicalResult NNAutodiffPass::differentiate(ModelOp model) {
  Block &body = model.getBodyBlock();
  auto minimizes = llvm::to_vector(body.getOps<MinimizeOp>());
  if (minimizes.empty())
    return success(); // An inference-only model: nothing to differentiate.
  if (!body.getOps<GradientOp>().empty())
    return model.emitOpError("is already differentiated (it has nn.gradient "
                             "ops); run nngc-autodiff once");
  if (!sortTopologically(&body))
    return model.emitOpError("the model's data flow has a cycle");
  MinimizeOp minimize = minimizes.front();

  // Values that depend on a parameter: only these need cotangents.
  llvm::DenseSet<Value> requiresGrad;
  for (Operation &op : body) {
    bool fromParam =
        isa<ParamOp>(op) || llvm::any_of(op.getOperands(), [&](Value v) {
          return requiresGrad.contains(v);
        });
    if (fromParam)
      for (Value result : op.getResults())
        requiresGrad.insert(result);
  }

  OpBuilder builder = OpBuilder::atBlockEnd(&body);
  Location loc = minimize.getLoc();
  llvm::DenseMap<Value, Value> cotangent;
  Value loss = minimize.getLoss();
  cotangent[loss] =
      builder.create<FillOp>(loc, loss.getType(), builder.getF64FloatAttr(1.0));

  // Everything the backward pass emits goes after the forward ops; walk the
  // forward ops (all of them precede the insertion point) in reverse.
  SmallVector<Operation *> forward;
  for (Operation &op : body)
    if (&op != cotangent[loss].getDefiningOp())
      forward.push_back(&op);
  for (Operation *op : llvm::reverse(forward)) {
    if (op->getNumResults() == 0)
      continue;
    SmallVector<Value> resultCotangents;
    bool any = false;
    for (Value r : op->getResults()) {
      resultCotangents.push_back(cotangent.lookup(r));
      any |= static_cast<bool>(resultCotangents.back());
    }
    bool needed = llvm::any_of(
        op->getOperands(), [&](Value v) { return requiresGrad.contains(v); });
    if (!any || !needed)
      continue;
    auto vjp = dyn_cast<VJPOpInterface>(op);
    if (!vjp)
      return op->emitOpError()
             << "has no VJP rule, so the loss cannot be differentiated "
                "through it";
    SmallVector<Value> operandCotangents;
    builder.setInsertionPointToEnd(&body);
    if (failed(vjp.buildVJP(builder, resultCotangents, operandCotangents)))
      return failure();
    if (operandCotangents.size() != op->getNumOperands())
      return op->emitOpError("VJP rule returned ")
             << operandCotangents.size() << " cotangents for "
             << op->getNumOperands() << " operands";
    builder.setInsertionPointToEnd(&body);
    for (auto [operand, ct] : llvm::zip(op->getOperands(), operandCotangents)) {
      if (!ct || !requiresGrad.contains(operand))
        continue;
      if (ct.getType() != operand.getType())
        return op->emitOpError("VJP rule gave a cotangent of type ")
               << ct.getType() << " for an operand of type "
               << operand.getType();
      Value &acc = cotangent[operand];
      acc = acc ? builder.create<AddOp>(loc, acc, ct).getResult() : ct;
    }
  }

  // One nn.gradient per parameter, in declaration order.
  builder.setInsertionPointToEnd(&body);
  for (ParamOp param : llvm::to_vector(body.getOps<ParamOp>())) {
    Value grad = cotangent.lookup(param.getResult());
    if (!grad) {
      // The loss does not depend on it: its gradient is zero.
      grad = builder.create<FillOp>(param.getLoc(), param.getType(),
                                    builder.getF64FloatAttr(0.0));
    }
    builder.create<GradientOp>(param.getLoc(), param.getName(), grad);
  }

  // Cotangents nobody needed (e.g. of data inputs) are dead: sweep what
  // this pass built, never the user's forward ops.
  llvm::DenseSet<Operation *> forwardSet(forward.begin(), forward.end());
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body))) {
      if (op.getNumResults() && op.use_empty() && isPure(&op) &&
          !forwardSet.contains(&op)) {
        op.erase();
        changed = true;
      }
    }
  }
  return success();
}
