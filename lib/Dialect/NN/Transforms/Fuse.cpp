//===- Fuse.cpp - nngc-fuse: fewer kernels for the same arithmetic --------===//
//
// Runs on the training graph (after nngc-autodiff and nngc-optimizer):
//
//   matmul/linear -> relu|leaky_relu|tanh|sigmoid  => nn.fused_matmul (eltwise
//                                                     post-op)
//   matmul/linear -> add (same shape)              => nn.fused_matmul (sum or
//                                                     binary-add post-op)
//   add tree of slice_grads tiling an axis         => nn.concat
//   every nn.adam_update / nn.sgd_update           => one multi-tensor update
//   x + dropout(h) (dropout-add, for CUDA)         => nn.dropout_add
//
// Each rewrite keeps the arithmetic of every element: the results are the
// unfused graph's up to the order of one addition in an epilogue.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <functional>

namespace nngc {
#define GEN_PASS_DEF_NNFUSEPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// A product nngc-fuse can give an epilogue: its operands and transposes,
/// and what epilogue it already has.
struct Product {
  Value lhs, rhs, bias, addend;
  bool transposeLhs = false, transposeRhs = false;
  EpilogueActivation activation = EpilogueActivation::none;
  double negativeSlope = 0;
};

std::optional<Product> productOf(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto l = dyn_cast_or_null<LinearOp>(def))
    return Product{l.getInput(), l.getWeight(), l.getBias(),
                   Value(),      false,         true};
  if (auto m = dyn_cast_or_null<MatmulOp>(def)) {
    // The linear form of nn.fused_matmul flattens a batched lhs with a
    // shared rhs, which is what nn.matmul computes for it too.
    return Product{m.getLhs(), m.getRhs(),          Value(),
                   Value(),    m.getTransposeLhs(), m.getTransposeRhs()};
  }
  if (auto f = dyn_cast_or_null<FusedMatmulOp>(def))
    return Product{f.getLhs(),          f.getRhs(),
                   f.getBias(),         f.getAddend(),
                   f.getTransposeLhs(), f.getTransposeRhs(),
                   f.getActivation(),   f.getNegativeSlope().convertToDouble()};
  return std::nullopt;
}

Value buildFused(PatternRewriter &rewriter, Location loc, Type type,
                 const Product &p) {
  auto unit = [&](bool set) {
    return set ? rewriter.getUnitAttr() : UnitAttr();
  };
  return rewriter.create<FusedMatmulOp>(
      loc, type, p.lhs, p.rhs, p.bias, p.addend, unit(p.transposeLhs),
      unit(p.transposeRhs), UnitAttr(),
      EpilogueActivationAttr::get(rewriter.getContext(), p.activation),
      rewriter.getF64FloatAttr(p.negativeSlope));
}

/// relu, leaky_relu (slope >= 0), tanh or sigmoid of a product whose
/// result nothing else reads, except the activation's own backward op when
/// it can read the activation's result instead (relu, leaky_relu).
template <typename ActOp>
struct FuseActivation : public OpRewritePattern<ActOp> {
  FuseActivation(MLIRContext *ctx, EpilogueActivation kind)
      : OpRewritePattern<ActOp>(ctx), kind(kind) {}

  LogicalResult matchAndRewrite(ActOp act,
                                PatternRewriter &rewriter) const override {
    Value x = act.getInput();
    std::optional<Product> p = productOf(x);
    if (!p || p->activation != EpilogueActivation::none || p->addend)
      return rewriter.notifyMatchFailure(act, "input is not a bare product");
    double slope = 0;
    if constexpr (std::is_same_v<ActOp, LeakyReluOp>) {
      slope = act.getNegativeSlope().convertToDouble();
      // leaky_relu(x) > 0 iff x > 0 only for a non-negative slope.
      if (slope < 0)
        return rewriter.notifyMatchFailure(act, "negative slope");
    }
    SmallVector<Operation *> grads;
    for (OpOperand &use : x.getUses()) {
      Operation *user = use.getOwner();
      if (user == act.getOperation())
        continue;
      bool gradOfAct = false;
      if constexpr (std::is_same_v<ActOp, ReluOp>)
        gradOfAct = isa<ReluGradOp>(user) && use.getOperandNumber() == 1;
      if constexpr (std::is_same_v<ActOp, LeakyReluOp>)
        gradOfAct = isa<LeakyReluGradOp>(user) && use.getOperandNumber() == 1 &&
                    cast<LeakyReluGradOp>(user).getNegativeSlope() ==
                        act.getNegativeSlope();
      if (!gradOfAct)
        return rewriter.notifyMatchFailure(act, "the product has other uses");
      grads.push_back(user);
    }
    p->activation = kind;
    p->negativeSlope = slope;
    Value fused = buildFused(rewriter, act.getLoc(), act.getType(), *p);
    for (Operation *g : grads)
      rewriter.modifyOpInPlace(g, [&] {
        g->setOperand(1, fused);
        g->setAttr("from_result", rewriter.getUnitAttr());
      });
    Operation *product = x.getDefiningOp();
    rewriter.replaceOp(act, fused);
    rewriter.eraseOp(product);
    return success();
  }

  EpilogueActivation kind;
};

/// `a + b` of one type where one side is a product (possibly behind one
/// reshape) that nothing else reads: the product accumulates onto the
/// other side.
/// Whether both operands of `add` have its type (no broadcast).
bool sameTypeAdd(AddOp add) {
  Type type = add.getType();
  return add.getLhs().getType() == type && add.getRhs().getType() == type;
}

/// (operand, the other operand) of `add`, each side in turn; none for
/// `x + x`.
SmallVector<std::pair<Value, Value>, 2> operandPairs(AddOp add) {
  if (add.getLhs() == add.getRhs())
    return {};
  return {{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}};
}

struct FuseAddend : public OpRewritePattern<AddOp> {
  /// `withActivation`: also onto a product with an activation (addend +
  /// act(product)), which cuBLASLt cannot compute in that order.
  FuseAddend(MLIRContext *ctx, bool withActivation)
      : OpRewritePattern<AddOp>(ctx), withActivation(withActivation) {}

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    Type type = add.getType();
    if (!sameTypeAdd(add))
      return rewriter.notifyMatchFailure(add, "broadcasting add");
    for (auto [first, second] : operandPairs(add)) {
      // (Plain values: lambdas below capture them.)
      Value v = first, other = second;
      if (!v.hasOneUse())
        continue;
      ReshapeOp reshape = v.getDefiningOp<ReshapeOp>();
      Value productValue = reshape ? reshape.getInput() : v;
      if (!productValue.hasOneUse())
        continue;
      std::optional<Product> p = productOf(productValue);
      if (!p || p->addend ||
          (!withActivation && p->activation != EpilogueActivation::none))
        continue;
      Location loc = add.getLoc();
      Type productType = productValue.getType();
      p->addend =
          reshape ? rewriter.create<ReshapeOp>(loc, productType, other) : other;
      Value fused = buildFused(rewriter, loc, productType, *p);
      Value result =
          reshape ? rewriter.create<ReshapeOp>(loc, type, fused) : fused;
      Operation *product = productValue.getDefiningOp();
      rewriter.replaceOp(add, result);
      if (reshape)
        rewriter.eraseOp(reshape);
      rewriter.eraseOp(product);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no single-use product operand");
  }

  bool withActivation;
};

/// `x + dropout(h)` of one type, where only the add reads the dropout (its
/// backward names it without reading it): one nn.dropout_add, at the add,
/// which the backward names instead. Refused when an op that keeps state
/// lies between the two: the masks' keys follow the order of those ops.
struct FuseDropoutAdd : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    Type type = add.getType();
    if (!sameTypeAdd(add))
      return rewriter.notifyMatchFailure(add, "broadcasting add");
    for (auto [first, second] : operandPairs(add)) {
      // (Plain values: lambdas below capture them.)
      Value v = first, other = second;
      auto dropout = v.getDefiningOp<DropoutOp>();
      if (!dropout || dropout->getBlock() != add->getBlock())
        continue;
      bool onlyThisAdd = llvm::all_of(v.getUses(), [&](OpOperand &use) {
        auto grad = dyn_cast<DropoutGradOp>(use.getOwner());
        return use.getOwner() == add ||
               (grad && use.getOperandNumber() == 1 && grad.getGrad() != v);
      });
      if (!onlyThisAdd)
        continue;
      bool stateBetween = false;
      for (Operation *op = dropout->getNextNode(); op && op != add;
           op = op->getNextNode())
        stateBetween |= op->hasTrait<nn::OpTrait::KeepsState>();
      if (stateBetween)
        continue;
      // The dropout's location first: it is what the op draws.
      Location loc = rewriter.getFusedLoc({dropout.getLoc(), add.getLoc()});
      auto fused = rewriter.create<DropoutAddOp>(loc, type, dropout.getInput(),
                                                 other, dropout.getPAttr());
      rewriter.replaceOp(add, fused.getResult());
      rewriter.replaceAllUsesWith(v, fused.getResult());
      rewriter.eraseOp(dropout);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no dropout only it reads");
  }
};

/// A tree of single-use adds whose leaves are slice_grads along one axis
/// that tile it exactly: the gradient of slicing one tensor into pieces
/// (nanoGPT's q, k, v). One concat writes each piece once.
struct FuseSliceGradSum : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp root,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(root.getType());
    SmallVector<SliceGradOp> leaves;
    SmallVector<Value> work = {root.getLhs(), root.getRhs()};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (v.getType() != type || !v.hasOneUse())
        return rewriter.notifyMatchFailure(root, "not a single-use tree");
      if (auto add = v.getDefiningOp<AddOp>()) {
        work.push_back(add.getLhs());
        work.push_back(add.getRhs());
      } else if (auto s = v.getDefiningOp<SliceGradOp>()) {
        leaves.push_back(s);
      } else {
        return rewriter.notifyMatchFailure(root, "a leaf is no slice_grad");
      }
    }
    int64_t rank = type.getRank();
    auto axisOf = [&](SliceGradOp s) {
      int64_t a = s.getAxis();
      return a < 0 ? a + rank : a;
    };
    int64_t axis = axisOf(leaves.front());
    int64_t size = type.getDimSize(axis);
    auto startOf = [&](SliceGradOp s) {
      int64_t st = s.getStart();
      return st < 0 ? st + size : st;
    };
    for (SliceGradOp s : leaves)
      if (axisOf(s) != axis)
        return rewriter.notifyMatchFailure(root, "slices of different axes");
    llvm::sort(leaves, [&](SliceGradOp a, SliceGradOp b) {
      return startOf(a) < startOf(b);
    });
    int64_t next = 0;
    SmallVector<Value> pieces;
    for (SliceGradOp s : leaves) {
      if (startOf(s) != next)
        return rewriter.notifyMatchFailure(root, "pieces overlap or leave "
                                                 "gaps");
      next += cast<RankedTensorType>(s.getGrad().getType()).getDimSize(axis);
      pieces.push_back(s.getGrad());
    }
    if (next != size)
      return rewriter.notifyMatchFailure(root, "pieces do not cover the axis");
    rewriter.replaceOpWithNewOp<ConcatOp>(root, type, pieces,
                                          rewriter.getI64IntegerAttr(axis));
    return success();
  }
};

/// Marks the products that may accumulate onto their addend in place: the
/// addend is an arena value (not an input, parameter or state) that nothing
/// reads after the product, shares no memory with its other operands, and
/// the result is not a gradient (which the plan puts in its slot).
void markAccumulating(ModelOp model) {
  Block &body = model.getBodyBlock();
  // The order nngc-plan-memory will see (it sorts the same way).
  (void)sortTopologically(&body);
  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0;
  for (Operation &op : body)
    index[&op] = n++;
  // Every reader of a value, through reshapes.
  std::function<bool(Value, Operation *)> readLater = [&](Value v,
                                                          Operation *at) {
    for (Operation *user : v.getUsers()) {
      if (auto r = dyn_cast<ReshapeOp>(user)) {
        if (readLater(r.getResult(), at))
          return true;
        continue;
      }
      if (user != at && (index.lookup(user) > index.lookup(at) ||
                         isa<OutputOp, LossOp>(user)))
        return true;
    }
    return false;
  };
  Builder b(model.getContext());
  for (FusedMatmulOp f : body.getOps<FusedMatmulOp>()) {
    if (!f.getAddend())
      continue;
    Value root = aliasRoot(f.getAddend());
    Operation *def = root.getDefiningOp();
    if (!def || isa<InputOp, ParamOp, StateOp>(def) ||
        llvm::any_of(def->getUsers(),
                     [](Operation *u) { return isa<GradientOp>(u); }) ||
        llvm::any_of(f->getUsers(),
                     [](Operation *u) { return isa<GradientOp>(u); }) ||
        readLater(root, f))
      continue;
    bool aliased = false;
    for (Value other : {f.getLhs(), f.getRhs(), f.getBias()})
      aliased |= other && aliasRoot(other) == root;
    if (!aliased)
      f.setAccumulateAttr(b.getUnitAttr());
  }
}

/// Replaces every update op of one optimizer with one multi-tensor update
/// (they differ only in their weight decay).
void fuseUpdates(ModelOp model) {
  Block &body = model.getBodyBlock();
  auto adams = llvm::to_vector(body.getOps<AdamUpdateOp>());
  auto sgds = llvm::to_vector(body.getOps<SGDUpdateOp>());
  auto f64 = [](OpBuilder &b, APFloat v) {
    return b.getF64FloatAttr(v.convertToDouble());
  };
  if (adams.size() > 1) {
    AdamUpdateOp first = adams.front();
    SmallVector<Value> params, grads, ms, vs;
    SmallVector<double> decays;
    for (AdamUpdateOp a : adams) {
      if (a.getLr() != first.getLr() || a.getBeta1() != first.getBeta1() ||
          a.getBeta2() != first.getBeta2() || a.getEps() != first.getEps() ||
          a.getDecoupledWeightDecay() != first.getDecoupledWeightDecay() ||
          a.getGradNorm() != first.getGradNorm())
        return;
      params.push_back(a.getParam());
      grads.push_back(a.getGrad());
      ms.push_back(a.getExpAvg());
      vs.push_back(a.getExpAvgSq());
      decays.push_back(a.getWeightDecay().convertToDouble());
    }
    OpBuilder b(adams.back());
    b.setInsertionPointAfter(adams.back());
    b.create<MultiAdamUpdateOp>(
        first.getLoc(), params, grads, ms, vs, first.getGradNorm(),
        f64(b, first.getLr()), f64(b, first.getBeta1()),
        f64(b, first.getBeta2()), f64(b, first.getEps()),
        b.getDenseF64ArrayAttr(decays), first.getDecoupledWeightDecayAttr());
    for (AdamUpdateOp a : adams)
      a.erase();
  }
  if (sgds.size() > 1) {
    SGDUpdateOp first = sgds.front();
    SmallVector<Value> params, grads, buffers;
    SmallVector<double> decays;
    for (SGDUpdateOp s : sgds) {
      if (s.getLr() != first.getLr() ||
          s.getMomentum() != first.getMomentum() ||
          s.getDampening() != first.getDampening() ||
          s.getNesterov() != first.getNesterov() ||
          s.getGradNorm() != first.getGradNorm() ||
          !s.getMomentumBuffer() != !first.getMomentumBuffer())
        return;
      params.push_back(s.getParam());
      grads.push_back(s.getGrad());
      if (s.getMomentumBuffer())
        buffers.push_back(s.getMomentumBuffer());
      decays.push_back(s.getWeightDecay().convertToDouble());
    }
    OpBuilder b(sgds.back());
    b.setInsertionPointAfter(sgds.back());
    b.create<MultiSGDUpdateOp>(
        first.getLoc(), params, grads, buffers, first.getGradNorm(),
        f64(b, first.getLr()), f64(b, first.getMomentum()),
        f64(b, first.getDampening()), b.getDenseF64ArrayAttr(decays),
        first.getNesterovAttr());
    for (SGDUpdateOp s : sgds)
      s.erase();
  }
}

struct NNFusePass : public nngc::impl::NNFusePassBase<NNFusePass> {
  using NNFusePassBase::NNFusePassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    if (epilogues) {
      patterns.add<FuseActivation<ReluOp>>(ctx, EpilogueActivation::relu);
      // cuBLASLt has ReLU (and GELU, but only tanh's approximation) and
      // adds the addend before the activation.
      if (!cublasEpilogues) {
        patterns.add<FuseActivation<LeakyReluOp>>(
            ctx, EpilogueActivation::leaky_relu);
        patterns.add<FuseActivation<TanhOp>>(ctx, EpilogueActivation::tanh);
        patterns.add<FuseActivation<SigmoidOp>>(ctx,
                                                EpilogueActivation::sigmoid);
      }
      patterns.add<FuseAddend>(ctx, /*withActivation=*/!cublasEpilogues);
    }
    if (slices)
      patterns.add<FuseSliceGradSum>(ctx, /*benefit=*/2);
    if (dropoutAdd)
      patterns.add<FuseDropoutAdd>(ctx);
    FrozenRewritePatternSet frozen(std::move(patterns));
    Builder b(ctx);
    for (ModelOp model : getOperation().getOps<ModelOp>()) {
      int64_t before = countKernels(model);
      GreedyRewriteConfig config;
      config.useTopDownTraversal = true;
      config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
      if (failed(applyPatternsAndFoldGreedily(model, frozen, config)))
        return signalPassFailure();
      if (epilogues)
        markAccumulating(model);
      if (updates)
        fuseUpdates(model);
      model->setAttr("nngc.kernels_before_fusion", b.getI64IntegerAttr(before));
    }
  }
};

} // namespace
