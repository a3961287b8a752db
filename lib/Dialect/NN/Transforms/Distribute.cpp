//===- Distribute.cpp - nngc-distribute: bucketed gradient all-reduce -----===//
//
// Data parallelism as a compile-time schedule: the gradients of runs of
// parameters (buckets, contiguous in the gradient buffer) are averaged
// across ranks by a non-blocking all-reduce that starts right after the
// bucket's last gradient is computed and is waited for right before the
// first op that reads any of them. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "llvm/ADT/StringMap.h"

namespace nngc {
#define GEN_PASS_DEF_NNDISTRIBUTEPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

struct NNDistributePass
    : public nngc::impl::NNDistributePassBase<NNDistributePass> {
  using NNDistributePassBase::NNDistributePassBase;

  void runOnOperation() override {
    if (bucketBytes <= 0) {
      getOperation().emitError("nngc-distribute: bucket-bytes must be "
                               "positive");
      return signalPassFailure();
    }
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (failed(distribute(model)))
        return signalPassFailure();
  }

  LogicalResult distribute(ModelOp model);
};

/// A parameter's gradient and where it sits.
struct Member {
  ParamOp param;
  GradientOp sink;
  Value grad;
};

} // namespace

static int64_t slotBytes(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t bytes = type.getNumElements() * (type.getElementTypeBitWidth() / 8);
  return (bytes + 63) / 64 * 64; // nngc-plan-memory's alignment
}

/// Whether nngc-plan-memory will compute `grad` straight into its
/// parameter's slot: it must be an op's own result (not an input's, a
/// parameter's, a state's or a reshape's, which have storage elsewhere),
/// and not already another parameter's gradient.
static bool computedInSlot(Value grad, llvm::DenseSet<Value> &claimed) {
  Operation *def = grad.getDefiningOp();
  if (!def || isa<InputOp, ParamOp, StateOp, ReshapeOp>(def))
    return false;
  return claimed.insert(grad).second;
}

LogicalResult NNDistributePass::distribute(ModelOp model) {
  Block &body = model.getBodyBlock();
  if (body.getOps<GradientOp>().empty() || model->hasAttr("nngc.buckets"))
    return success();
  llvm::StringMap<GradientOp> sinks;
  for (GradientOp g : body.getOps<GradientOp>())
    if (!sinks.try_emplace(g.getName(), g).second)
      return g.emitOpError("is the second gradient of this parameter");
  for (Operation &op : body)
    if (isa<AllReduceStartOp, AllReduceWaitOp>(op))
      return op.emitOpError("is already here: run nngc-distribute once");

  // The gradients in declaration order (the gradient buffer's), each made
  // a value computed in its slot.
  SmallVector<Member> members;
  llvm::DenseSet<Value> claimed;
  // The copies made here read the value before it is averaged.
  llvm::DenseSet<Operation *> copies;
  for (ParamOp p : body.getOps<ParamOp>()) {
    GradientOp sink = sinks.lookup(p.getName());
    if (!sink)
      return p.emitOpError("has no nn.gradient to average");
    Value grad = sink.getGrad();
    if (!computedInSlot(grad, claimed)) {
      // Copied as soon as it exists, so that its bucket can start early.
      OpBuilder b(model.getContext());
      if (Operation *def = grad.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(&body);
      auto type = cast<RankedTensorType>(grad.getType());
      SmallVector<int64_t> identity;
      for (int64_t i = 0; i < type.getRank(); ++i)
        identity.push_back(i);
      auto copy = b.create<TransposeOp>(sink.getLoc(), type, grad,
                                        b.getDenseI64ArrayAttr(identity));
      copies.insert(copy);
      grad = copy;
      sink.getGradMutable().assign(grad);
      claimed.insert(grad);
    }
    members.push_back({p, sink, grad});
  }

  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0;
  for (Operation &op : body)
    index[&op] = n++;

  // Buckets: runs of parameters in reverse declaration order.
  SmallVector<SmallVector<Member *>> buckets;
  int64_t bytes = 0;
  for (Member &m : llvm::reverse(members)) {
    if (buckets.empty() || bytes >= bucketBytes) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(&m);
    bytes += slotBytes(m.grad);
  }

  Builder attrs(model.getContext());
  SmallVector<Attribute> bucketNames;
  for (auto [k, bucket] : llvm::enumerate(buckets)) {
    // Declaration order within the bucket, as in the gradient buffer.
    std::reverse(bucket.begin(), bucket.end());
    Operation *lastDef = nullptr, *firstRead = nullptr;
    // The start comes after the gradients and after the copies that read
    // them as they are (another parameter's gradient, copied to its slot).
    auto later = [&](Operation *op) {
      if (!lastDef || index.lookup(op) > index.lookup(lastDef))
        lastDef = op;
    };
    for (Member *m : bucket) {
      later(m->grad.getDefiningOp());
      for (Operation *user : m->grad.getUsers()) {
        if (copies.contains(user))
          later(user);
        else if (!isa<GradientOp>(user) &&
                 (!firstRead || index.lookup(user) < index.lookup(firstRead)))
          firstRead = user;
      }
    }
    if (firstRead && index.lookup(firstRead) <= index.lookup(lastDef))
      return firstRead->emitOpError("reads a gradient of bucket ")
             << k << " before the bucket's last gradient is computed";

    SmallVector<Value> grads;
    SmallVector<Type> types;
    SmallVector<Attribute> names;
    for (Member *m : bucket) {
      grads.push_back(m->grad);
      types.push_back(m->grad.getType());
      names.push_back(m->param.getNameAttr());
    }
    bucketNames.push_back(attrs.getArrayAttr(names));
    OpBuilder b(model.getContext());
    b.setInsertionPointAfter(lastDef);
    auto start = b.create<AllReduceStartOp>(lastDef->getLoc(), types, grads,
                                            static_cast<int64_t>(k));
    if (firstRead)
      b.setInsertionPoint(firstRead);
    else
      b.setInsertionPointToEnd(&body);
    auto wait = b.create<AllReduceWaitOp>(
        start.getLoc(), types, start.getResults(), static_cast<int64_t>(k));
    for (auto [i, m] : llvm::enumerate(bucket))
      m->grad.replaceUsesWithIf(wait.getResult(i), [&](OpOperand &use) {
        return use.getOwner() != start && !copies.contains(use.getOwner());
      });
  }
  model->setAttr("nngc.buckets", attrs.getArrayAttr(bucketNames));
  // The gradient sinks come before the waits they now take.
  if (!sortTopologically(&body))
    return model.emitOpError("the model's data flow has a cycle");
  return success();
}
