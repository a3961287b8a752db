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
  // The global gradient norm, which every update clips with when the run
  // clips gradients (the threshold is a run-time setting).
  SmallVector<Value> allGrads;
  for (ParamOp param : body.getOps<ParamOp>()) {
    Value grad = gradients.lookup(param.getName());
    if (!grad)
      return param.emitOpError("has no nn.gradient");
    allGrads.push_back(grad);
  }
  Value gradNorm = b.create<GradNormOp>(minimize.getLoc(), allGrads);
  bool matricesOnly =
      minimize.getDecay().value_or(DecayRule::all) == DecayRule::matrices;
  auto f64 = [&](APFloat v) { return b.getF64FloatAttr(v.convertToDouble()); };
  auto unit = [&](bool set) { return set ? b.getUnitAttr() : UnitAttr(); };
  for (ParamOp param : llvm::to_vector(body.getOps<ParamOp>())) {
    Value grad = gradients.lookup(param.getName());
    Location loc = param.getLoc();
    // Parameter groups: no weight decay for vectors under decay(matrices),
    // nor for a parameter marked no_weight_decay.
    bool decays = !param->hasAttr("no_weight_decay") &&
                  !(matricesOnly &&
                    cast<RankedTensorType>(param.getType()).getRank() < 2);
    auto decay = [&](APFloat wd) { return decays ? wd : APFloat(0.0); };
    Type type = param.getType();
    std::string prefix = ("optimizer." + param.getName() + ".").str();
    if (auto sgd = dyn_cast<SGDAttr>(optimizer)) {
      Value buffer;
      if (!sgd.getMomentum().isZero())
        buffer = b.create<StateOp>(loc, type, prefix + "momentum_buffer");
      b.create<SGDUpdateOp>(
          loc, param, grad, buffer, gradNorm, f64(sgd.getLr()),
          f64(sgd.getMomentum()), f64(sgd.getDampening()),
          f64(decay(sgd.getWeightDecay())), unit(sgd.getNesterov()));
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
    b.create<AdamUpdateOp>(loc, param, grad, m, v, gradNorm, f64(lr),
                           f64(beta1), f64(beta2), f64(eps), f64(decay(wd)),
                           unit(decoupled));
  }
  model->setAttr("nn.optimizer", optimizer);
  if (std::optional<APFloat> clip = minimize.getClipGradNorm())
    model->setAttr("nn.clip_grad_norm",
                   b.getF64FloatAttr(clip->convertToDouble()));
  if (Attribute schedule = minimize.getScheduleAttr())
    model->setAttr("nn.schedule", schedule);
  b.setInsertionPoint(minimize);
  b.create<LossOp>(minimize.getLoc(), minimize.getLoss());
  minimize.erase();
  return success();
}
