//===- Remat.cpp - nngc-remat: recompute activations to fit a budget ------===//
//
// A training step keeps the forward pass's activations until the backward
// pass reads them. Under `max-bytes`, this pass recomputes some of them in
// the backward pass instead: it clones the op that defined the activation
// just before the activation's first backward use, and points the
// backward uses at the clone, so the original dies after its last forward
// use.
//
// Method (greedy, cheapest first): a candidate is a forward value read in
// the backward pass whose op can be cloned (no kept state, no random
// numbers) and whose operands are alive at the recompute point anyway, so
// recomputing extends no other lifetime (or, up to two ops deep, whose dead
// operands' ops are recomputed first); or an attention op's kept
// probabilities, which its backward can recompute from the query and key
// (`nngc.recompute_probs`). Candidates are tried in order of
// bytes saved per FLOP recomputed; one that does not lower the planned
// total is undone. With `cheap`, every candidate of at most one FLOP per
// byte freed is tried first, budget or not. The pass stops as soon as the
// plan fits, and fails with the smallest total it reached otherwise. It is
// not optimal: chains are at most three ops long, and a candidate that
// helps only together with another one is undone. An exact
// method (an integer program over all recompute sets, as Checkmate does)
// is left for later.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Format.h"

#include <functional>

namespace nngc {
#define GEN_PASS_DEF_NNREMATPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// Recompute `op`'s result for `lateUses` (a clone before `firstLate`),
/// or (`probs`) let the backward of every attention op in `attention`
/// recompute the probabilities instead of keeping them (all of them
/// together: one decision for the step's attention).
struct Candidate {
  Operation *op;
  SmallVector<OpOperand *> lateUses;
  Operation *firstLate;
  double bytesPerFlop;
  bool probs = false;
  SmallVector<Operation *> attention;
  /// A chain: the values `op` needs that are dead at the recompute point,
  /// operands before their users; the ops that made them are recomputed
  /// first (or were already, before it).
  SmallVector<Value> dead;
};

/// The longest chain of ops recomputed for one activation.
constexpr int kMaxChain = 3;

/// Whether `op` may be cloned: one result, a kernel, no kept state (or
/// state a clone recomputes in a slot of its own), no side effects.
bool cloneable(Operation *op) {
  return op->getNumResults() == 1 && isKernelOp(op) &&
         (!op->hasTrait<nn::OpTrait::KeepsState>() ||
          op->hasTrait<nn::OpTrait::RecomputableState>()) &&
         isMemoryEffectFree(op);
}

/// The recomputation of `def` that `clones` holds, if it comes before
/// `at`.
Operation *cloneBefore(const llvm::DenseMap<Operation *, Operation *> &clones,
                       Operation *def, Operation *at) {
  auto it = clones.find(def);
  return it != clones.end() && it->second->isBeforeInBlock(at) ? it->second
                                                               : nullptr;
}

/// The forward values worth recomputing, best first. `clones` maps ops
/// already recomputed to their recomputation, which a chain may read.
SmallVector<Candidate>
candidates(ModelOp model, const llvm::DenseSet<Operation *> &tried,
           const llvm::DenseMap<Operation *, Operation *> &clones) {
  Block &body = model.getBodyBlock();
  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0, lossIndex = -1;
  for (Operation &op : body) {
    index[&op] = n++;
    if (isa<LossOp>(op))
      lossIndex = index[&op];
  }
  // The last op reading each value, through reshapes (as the memory plan
  // counts it: a use that reads no data does not count).
  llvm::DenseMap<Value, int64_t> lastUse;
  for (Operation &op : body)
    for (OpOperand &use : op.getOpOperands()) {
      if (!readsData(use))
        continue;
      int64_t &last = lastUse[aliasRoot(use.get())];
      last = std::max(last, index[&op]);
    }
  SmallVector<Candidate> found;
  SmallVector<Operation *> attention;
  double attentionBytes = 0, attentionFlops = 0;
  for (Operation &op : body) {
    if (index[&op] >= lossIndex)
      break;
    // An attention op keeps its probabilities for its backward; the
    // backward can recompute them (the scores product and the softmax).
    if (auto a = dyn_cast<AttentionOp>(op)) {
      if (!a.hasBackward() || a->hasAttr("nngc.recompute_probs") ||
          tried.contains(&op))
        continue;
      attentionBytes += 4.0 * a.getNumScores();
      attentionFlops += a.getScoresFlops();
      attention.push_back(&op);
      continue;
    }
    if (!cloneable(&op) || tried.contains(&op))
      continue;
    Value v = op.getResult(0);
    Candidate c{&op, {}, nullptr, 0};
    bool kept = false;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      kept |= isa<OutputOp, LossOp>(user);
      // A use that reads no data names the original op: it stays.
      if (index[user] > lossIndex && readsData(use)) {
        c.lateUses.push_back(&use);
        if (!c.firstLate || index[user] < index[c.firstLate])
          c.firstLate = user;
      }
    }
    if (kept || c.lateUses.empty() ||
        c.lateUses.size() ==
            static_cast<size_t>(std::distance(v.use_begin(), v.use_end())))
      continue;
    // Recomputing must not keep anything else alive longer. An operand
    // that is dead by then may be recomputed first (chains of up to
    // kMaxChain ops, such as a q/k/v slice of a product of a layer norm),
    // when its own operands are alive or recomputed in turn, or read from
    // an earlier recomputation placed before this one.
    auto alive = [&](Value u) {
      Value r = aliasRoot(u);
      Operation *def = r.getDefiningOp();
      return !def || isa<InputOp, ParamOp, StateOp>(def) ||
             lastUse.lookup(r) >= index[c.firstLate];
    };
    auto flopsOf = [](Operation *o) -> int64_t {
      if (auto f = dyn_cast<FlopCountOpInterface>(o))
        return f.getFlops();
      return cast<RankedTensorType>(o->getResult(0).getType()).getNumElements();
    };
    int64_t flops = flopsOf(&op);
    // Whether `u` is alive at the recompute point or can be made so with
    // `depth` more ops; the ones to recompute go to c.dead, operands
    // first.
    std::function<bool(Value, int)> available = [&](Value u, int depth) {
      if (alive(u) || llvm::is_contained(c.dead, u))
        return true;
      Operation *def = u.getDefiningOp();
      if (def && cloneBefore(clones, def, c.firstLate)) {
        c.dead.push_back(u);
        return true;
      }
      if (depth == 0 || !def || isa<ReshapeOp>(def) || !cloneable(def))
        return false;
      for (Value w : def->getOperands())
        if (!available(w, depth - 1))
          return false;
      c.dead.push_back(u);
      flops += flopsOf(def);
      return true;
    };
    bool ok = llvm::all_of(
        op.getOperands(), [&](Value u) { return available(u, kMaxChain - 1); });
    if (!ok)
      continue;
    c.bytesPerFlop =
        double(storedBytes(v)) / double(std::max<int64_t>(flops, 1));
    found.push_back(std::move(c));
  }
  if (!attention.empty())
    found.push_back({attention.front(),
                     {},
                     nullptr,
                     attentionBytes / attentionFlops,
                     true,
                     attention});
  llvm::stable_sort(found, [](const Candidate &a, const Candidate &b) {
    return a.bytesPerFlop > b.bytesPerFlop;
  });
  return found;
}

/// What `cheap` recomputes without a budget: at most one FLOP per byte
/// freed. An elementwise op (counted as one FLOP per element) frees four
/// bytes per FLOP, a chain of two two; a product frees far less than one.
constexpr double kCheapBytesPerFlop = 1.0;

/// "2478.0 MiB", or "160.1 KiB" below a MiB.
std::string mib(int64_t bytes) {
  std::string s;
  if (bytes < 1048576)
    llvm::raw_string_ostream(s) << llvm::format("%.1f KiB", bytes / 1024.0);
  else
    llvm::raw_string_ostream(s) << llvm::format("%.1f MiB", bytes / 1048576.0);
  return s;
}

struct NNRematPass : public nngc::impl::NNRematPassBase<NNRematPass> {
  using NNRematPassBase::NNRematPassBase;

  void runOnOperation() override {
    if (maxBytes <= 0 && !cheap)
      return;
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (!model->hasAttr("nngc.step_of") &&
          !model->hasAttr("nngc.encode_of") &&
          !model.getBodyBlock().getOps<GradientOp>().empty() &&
          failed(fit(model)))
        return signalPassFailure();
  }

  LogicalResult fit(ModelOp model) {
    PlanOptions options{true, inPlace, strategy};
    auto total = [&]() -> FailureOr<std::pair<int64_t, MemoryPlan>> {
      FailureOr<MemoryPlan> plan = planMemory(model, options);
      if (failed(plan))
        return failure();
      return std::make_pair(plan->totalBytes(model), std::move(*plan));
    };
    auto current = total();
    if (failed(current))
      return failure();
    int64_t best = current->first, before = best, recomputed = 0;
    llvm::DenseSet<Operation *> tried;
    llvm::DenseMap<Operation *, Operation *> clones;
    auto overBudget = [&] { return maxBytes > 0 && best > maxBytes; };
    while (true) {
      SmallVector<Candidate> found = candidates(model, tried, clones);
      if (found.empty())
        break;
      Candidate &c = found.front();
      // Cheap candidates (at most a FLOP per byte freed) come first; the
      // budget's go on as long as the plan is over it.
      if (!overBudget() && !(cheap && c.bytesPerFlop >= kCheapBytesPerFlop))
        break;
      tried.insert(c.op);
      Operation *clone = nullptr;
      // The chain's first ops, recomputed for this candidate: (op, clone).
      SmallVector<std::pair<Operation *, Operation *>> made;
      if (c.probs) {
        for (Operation *a : c.attention) {
          tried.insert(a);
          a->setAttr("nngc.recompute_probs", UnitAttr::get(model.getContext()));
        }
      } else {
        OpBuilder b(c.firstLate);
        IRMapping mapping;
        for (Value u : c.dead) {
          Operation *def = u.getDefiningOp();
          Operation *first = cloneBefore(clones, def, c.firstLate);
          if (!first) {
            first = b.clone(*def, mapping);
            first->setAttr("nngc.recomputed",
                           UnitAttr::get(model.getContext()));
            made.push_back({def, first});
          }
          mapping.map(u, first->getResult(0));
        }
        clone = b.clone(*c.op, mapping);
        clone->setAttr("nngc.recomputed", UnitAttr::get(model.getContext()));
        for (OpOperand *use : c.lateUses)
          use->set(clone->getResult(0));
      }
      auto next = total();
      if (failed(next))
        return failure();
      if (next->first < best) {
        best = next->first;
        recomputed += c.probs ? c.attention.size() : 1 + made.size();
        if (clone)
          clones.try_emplace(c.op, clone);
        for (auto [def, first] : made)
          clones.try_emplace(def, first);
        continue;
      }
      // No gain: undo.
      if (c.probs) {
        for (Operation *a : c.attention)
          a->removeAttr("nngc.recompute_probs");
        continue;
      }
      for (OpOperand *use : c.lateUses)
        use->set(c.op->getResult(0));
      clone->erase();
      for (auto [def, first] : made)
        first->erase();
    }
    Builder attrs(model.getContext());
    model->setAttr("nngc.rematerialised", attrs.getI64IntegerAttr(recomputed));
    if (!overBudget())
      return success();
    auto last = total();
    if (failed(last))
      return failure();
    const MemoryPlan &plan = last->second;
    return model.emitError("does not fit in --max-memory ")
           << mib(maxBytes) << " (" << maxBytes.getValue()
           << " bytes): the smallest plan found needs " << mib(best) << " ("
           << best << " bytes; " << mib(before) << " without recomputing), "
           << "recomputing " << recomputed << " activation"
           << (recomputed == 1 ? "" : "s") << ": parameters "
           << mib(plan.paramBytes) << ", gradients " << mib(plan.paramBytes)
           << ", optimizer state " << mib(plan.stateBytes) << ", activations "
           << mib(plan.arenaBytes) << ", workspace "
           << mib(primitiveWorkspaceBytes(model));
  }
};

} // namespace
