//===- Optimizer.cpp - nngc-optimizer: state and update ops ---------------===//
//
// Replaces `nn.minimize %loss with #opt` by `nn.loss %loss` plus, per
// parameter, the optimizer's state and one update op with torch.optim's
// formula.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "llvm/ADT/StringMap.h"

namespace nngc {
#define GEN_PASS_DEF_NNOPTIMIZERPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

struct NNOptimizerPass
    : public nngc::impl::NNOptimizerPassBase<NNOptimizerPass> {
  void runOnOperation() override {
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (failed(expand(model)))
        return signalPassFailure();
  }

  LogicalResult expand(ModelOp model);
};

} // namespace

LogicalResult NNOptimizerPass::expand(ModelOp model) {
  Block &body = model.getBodyBlock();
  auto minimizes = llvm::to_vector(body.getOps<MinimizeOp>());
  if (minimizes.empty())
    return success();
  MinimizeOp minimize = minimizes.front();

  llvm::StringMap<Value> gradients;
  for (GradientOp g : body.getOps<GradientOp>())
    gradients[g.getName()] = g.getGrad();
  if (gradients.empty())
    return minimize.emitOpError("has no gradients: run nngc-autodiff before "
                                "nngc-optimizer");

  OpBuilder b = OpBuilder::atBlockEnd(&body);
  Attribute optimizer = minimize.getOptimizer();
  auto f64 = [&](APFloat v) { return b.getF64FloatAttr(v.convertToDouble()); };
  auto unit = [&](bool set) { return set ? b.getUnitAttr() : UnitAttr(); };
  for (ParamOp param : llvm::to_vector(body.getOps<ParamOp>())) {
    Value grad = gradients.lookup(param.getName());
    if (!grad)
      return param.emitOpError("has no nn.gradient");
    Location loc = param.getLoc();
    Type type = param.getType();
    std::string prefix = ("optimizer." + param.getName() + ".").str();
    if (auto sgd = dyn_cast<SGDAttr>(optimizer)) {
      Value buffer;
      if (!sgd.getMomentum().isZero())
        buffer = b.create<StateOp>(loc, type, prefix + "momentum_buffer");
      b.create<SGDUpdateOp>(loc, param, grad, buffer, f64(sgd.getLr()),
                            f64(sgd.getMomentum()), f64(sgd.getDampening()),
                            f64(sgd.getWeightDecay()), unit(sgd.getNesterov()));
      continue;
    }
    APFloat lr(0.0), beta1(0.0), beta2(0.0), eps(0.0), wd(0.0);
    bool decoupled = false;
    if (auto adam = dyn_cast<AdamAttr>(optimizer)) {
      lr = adam.getLr(), beta1 = adam.getBeta1(), beta2 = adam.getBeta2();
      eps = adam.getEps(), wd = adam.getWeightDecay();
    } else if (auto adamw = dyn_cast<AdamWAttr>(optimizer)) {
      lr = adamw.getLr(), beta1 = adamw.getBeta1(), beta2 = adamw.getBeta2();
      eps = adamw.getEps(), wd = adamw.getWeightDecay();
      decoupled = true;
    } else {
      return minimize.emitOpError("unsupported optimizer ") << optimizer;
    }
    Value m = b.create<StateOp>(loc, type, prefix + "exp_avg");
    Value v = b.create<StateOp>(loc, type, prefix + "exp_avg_sq");
    b.create<AdamUpdateOp>(loc, param, grad, m, v, f64(lr), f64(beta1),
                           f64(beta2), f64(eps), f64(wd), unit(decoupled));
  }
  model->setAttr("nn.optimizer", optimizer);
  b.setInsertionPoint(minimize);
  b.create<LossOp>(minimize.getLoc(), minimize.getLoss());
  minimize.erase();
  return success();
}
