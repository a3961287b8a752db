//===- PlanMemory.cpp - nngc-plan-memory: static buffer offsets -----------===//
//
// Every tensor gets a (space, byte offset) pair before lowering, so that the
// generated step functions do no allocation at all:
//
//   param  | one slot per nn.param, in declaration order
//   grad   | the same layout as param: the gradient of each parameter
//          | (averaged there across ranks by nn.all_reduce_*, which alias)
//   state  | one slot per nn.state (optimizer buffers)
//   arena  | everything else, shared by liveness (first fit or greedy by
//          | size), results written in place over dead operands
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringMap.h"

namespace nngc {
#define GEN_PASS_DEF_NNPLANMEMORYPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

static constexpr int64_t kAlign = 64;

static int64_t alignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

static void setStorage(Operation *op, StringRef space, int64_t offset) {
  Builder b(op->getContext());
  op->setAttr("nngc.space", b.getStringAttr(space));
  op->setAttr("nngc.offset", b.getI64IntegerAttr(offset));
}

/// Records each result's storage on its op: `nngc.space`/`nngc.offset` for
/// an op with one result, `nngc.spaces`/`nngc.offsets` (one entry per
/// result) for an op with several.
static void writeStorage(Operation *op,
                         const llvm::DenseMap<Value, Storage> &storage) {
  // (Storage is nngc::nn::Storage, Report.h.)
  if (op->getNumResults() == 1) {
    const Storage &s = storage.at(op->getResult(0));
    return setStorage(op, s.space, s.offset);
  }
  Builder b(op->getContext());
  SmallVector<Attribute> spaces;
  SmallVector<int64_t> offsets;
  for (Value r : op->getResults()) {
    const Storage &s = storage.at(r);
    spaces.push_back(b.getStringAttr(s.space));
    offsets.push_back(s.offset);
  }
  op->setAttr("nngc.spaces", b.getArrayAttr(spaces));
  op->setAttr("nngc.offsets", b.getDenseI64ArrayAttr(offsets));
}

namespace {

struct NNPlanMemoryPass
    : public nngc::impl::NNPlanMemoryPassBase<NNPlanMemoryPass> {
  using NNPlanMemoryPassBase::NNPlanMemoryPassBase;

  void runOnOperation() override {
    if (strategy != "first-fit" && strategy != "greedy-by-size" &&
        strategy != "best") {
      getOperation().emitError("nngc-plan-memory: strategy must be "
                               "first-fit, greedy-by-size or best, not '")
          << strategy << "'";
      return signalPassFailure();
    }
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (failed(plan(model)))
        return signalPassFailure();
  }

  LogicalResult plan(ModelOp model);
};

} // namespace

SmallVector<ArenaBuffer>
nngc::nn::arenaBuffers(ModelOp model, function_ref<bool(Value)> preassigned,
                       bool inPlace) {
  Block &body = model.getBodyBlock();
  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0;
  for (Operation &op : body)
    index[&op] = n++;

  // One buffer per value, live from its definition to its last use.
  llvm::DenseMap<Value, size_t> bufferOf;
  SmallVector<ArenaBuffer> buffers;
  for (Operation &op : body) {
    if (isa<ReshapeOp, AllReduceStartOp, AllReduceWaitOp>(op))
      continue;
    for (Value v : op.getResults()) {
      if (preassigned(v))
        continue;
      // Inputs are written before a step and read by every entry point the
      // trainer calls on the same batch (eval after grad, say): they live
      // through the whole step.
      bool isInput = isa<InputOp>(op);
      int64_t start = isInput ? -1 : index[&op];
      bufferOf[v] = buffers.size();
      ArenaBuffer b;
      b.values.push_back(v);
      b.start = start;
      b.end = isInput ? n : start;
      b.size = storedBytes(v);
      buffers.push_back(std::move(b));
    }
  }
  // A use that does not read the data (a backward op naming its forward
  // op) keeps nothing alive.
  for (Operation &op : body)
    for (OpOperand &use : op.getOpOperands()) {
      auto it = bufferOf.find(aliasRoot(use.get()));
      if (it == bufferOf.end() || !readsData(use))
        continue;
      int64_t end = isa<OutputOp, LossOp>(op) ? n : index[&op];
      buffers[it->second].end = std::max(buffers[it->second].end, end);
    }
  if (!inPlace)
    return buffers;

  // In place: a result joins the buffer of an operand it is the last use
  // of. Ops are visited in order, so a buffer's end is that of its latest
  // member.
  llvm::BitVector merged(buffers.size());
  for (Operation &op : body) {
    auto inPlaceOp = dyn_cast<InPlaceOpInterface>(&op);
    if (!inPlaceOp || op.getNumResults() != 1)
      continue;
    auto res = bufferOf.find(op.getResult(0));
    if (res == bufferOf.end())
      continue;
    size_t fromIndex = res->second;
    for (OpOperand &use : op.getOpOperands()) {
      if (!inPlaceOp.canWriteOverOperand(use.getOperandNumber()))
        continue;
      auto it = bufferOf.find(aliasRoot(use.get()));
      if (it == bufferOf.end())
        continue;
      size_t intoIndex = it->second;
      ArenaBuffer &into = buffers[intoIndex];
      ArenaBuffer &from = buffers[fromIndex];
      // (The same size and storage type: a bf16 result written over f32
      // data of as many bytes would overwrite elements not yet read.)
      if (into.end != index[&op] || into.size != from.size || into.start < 0 ||
          intoIndex == fromIndex ||
          storedAsBF16(use.get()) != storedAsBF16(op.getResult(0)))
        continue;
      into.end = from.end;
      into.values.append(from.values);
      for (Value v : from.values)
        bufferOf[v] = intoIndex;
      merged.set(fromIndex);
      break;
    }
  }
  SmallVector<ArenaBuffer> kept;
  for (auto [i, b] : llvm::enumerate(buffers))
    if (!merged.test(i))
      kept.push_back(std::move(b));
  return kept;
}

static bool overlapInTime(const ArenaBuffer &a, const ArenaBuffer &b) {
  return !(a.end < b.start || b.end < a.start);
}

/// The lowest aligned offset at which `b` overlaps none of `placed`.
static int64_t lowestFit(const ArenaBuffer &b,
                         SmallVector<const ArenaBuffer *> &placed) {
  llvm::sort(placed, [](const ArenaBuffer *x, const ArenaBuffer *y) {
    return x->offset < y->offset;
  });
  int64_t offset = 0;
  for (const ArenaBuffer *a : placed) {
    if (offset + b.size <= a->offset)
      break;
    offset = std::max(offset, alignUp(a->offset + a->size));
  }
  return offset;
}

/// First fit in order of definition: a buffer may reuse memory only of
/// buffers whose last use is strictly before its first definition.
static int64_t firstFit(SmallVector<ArenaBuffer> &buffers, bool reuse) {
  int64_t arenaBytes = 0;
  SmallVector<const ArenaBuffer *> active;
  for (ArenaBuffer &b : buffers) {
    if (reuse)
      llvm::erase_if(active,
                     [&](const ArenaBuffer *a) { return a->end < b.start; });
    b.offset = lowestFit(b, active);
    arenaBytes = std::max(arenaBytes, alignUp(b.offset + b.size));
    active.push_back(&b);
  }
  return arenaBytes;
}

/// Greedy by size: the largest buffers first, each at the lowest offset
/// that no buffer live at the same time overlaps.
static int64_t greedyBySize(SmallVector<ArenaBuffer> &buffers) {
  SmallVector<ArenaBuffer *> order;
  for (ArenaBuffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](const ArenaBuffer *a, const ArenaBuffer *b) {
    return a->size > b->size;
  });
  int64_t arenaBytes = 0;
  SmallVector<const ArenaBuffer *> placed;
  for (ArenaBuffer *b : order) {
    SmallVector<const ArenaBuffer *> live;
    for (const ArenaBuffer *p : placed)
      if (overlapInTime(*p, *b))
        live.push_back(p);
    b->offset = lowestFit(*b, live);
    arenaBytes = std::max(arenaBytes, alignUp(b->offset + b->size));
    placed.push_back(b);
  }
  return arenaBytes;
}

FailureOr<MemoryPlan> nngc::nn::planMemory(ModelOp model,
                                           const PlanOptions &options) {
  Block &body = model.getBodyBlock();
  if (!sortTopologically(&body))
    return model.emitOpError("the model's data flow has a cycle");

  // Fixed slots: parameters (and their gradients), optimizer state.
  MemoryPlan plan;
  auto &storage = plan.storage;
  llvm::StringMap<int64_t> paramOffset;
  for (ParamOp p : body.getOps<ParamOp>()) {
    storage[p.getResult()] = {"param", plan.paramBytes};
    paramOffset[p.getName()] = plan.paramBytes;
    plan.paramBytes += alignUp(storedBytes(p));
  }
  for (StateOp s : body.getOps<StateOp>()) {
    storage[s.getResult()] = {"state", plan.stateBytes};
    plan.stateBytes += alignUp(storedBytes(s));
  }

  // A gradient computed by one op is written straight into its slot.
  for (GradientOp g : body.getOps<GradientOp>()) {
    auto it = paramOffset.find(g.getName());
    if (it == paramOffset.end())
      return g.emitOpError("names no parameter");
    plan.gradientSlots.push_back({g, it->second});
    // Averaged across ranks in place (nngc-distribute): the slot holds the
    // value the all-reduce started from.
    Value grad = g.getGrad();
    while (isa_and_nonnull<AllReduceStartOp, AllReduceWaitOp>(
        grad.getDefiningOp()))
      grad = grad.getDefiningOp()->getOperand(
          cast<OpResult>(grad).getResultNumber());
    Operation *def = grad.getDefiningOp();
    bool owns = def && !isa<InputOp, ParamOp, StateOp, ReshapeOp>(def);
    if (owns && !storage.count(grad))
      storage[grad] = {"grad", it->second};
  }

  bool reuse = options.reuse, inPlace = options.inPlace && reuse;
  SmallVector<ArenaBuffer> buffers = arenaBuffers(
      model, [&](Value v) { return storage.count(v) > 0; }, inPlace);
  int64_t arenaBytes;
  if (!reuse || options.strategy == "first-fit") {
    arenaBytes = firstFit(buffers, reuse);
  } else if (options.strategy == "greedy-by-size") {
    arenaBytes = greedyBySize(buffers);
  } else {
    SmallVector<ArenaBuffer> other = buffers;
    int64_t greedy = greedyBySize(other);
    arenaBytes = firstFit(buffers, reuse);
    if (greedy < arenaBytes) {
      buffers = std::move(other);
      arenaBytes = greedy;
    }
  }
  for (const ArenaBuffer &b : buffers)
    for (Value v : b.values)
      storage[v] = {"arena", b.offset};
  // Reshapes and all-reduces alias the storage of their operands.
  // (A copy: inserting the result's entry may grow the map and move the
  // operand's.)
  for (Operation &op : body) {
    if (!isa<ReshapeOp, AllReduceStartOp, AllReduceWaitOp>(op))
      continue;
    for (Value r : op.getResults()) {
      Storage root = storage.at(aliasRoot(r));
      storage[r] = root;
    }
  }
  plan.arenaBytes = arenaBytes;
  return plan;
}

int64_t nngc::nn::MemoryPlan::totalBytes(ModelOp model) const {
  bool training = !model.getBodyBlock().getOps<GradientOp>().empty();
  return arenaBytes + paramBytes * (training ? 2 : 1) + stateBytes +
         primitiveWorkspaceBytes(model);
}

LogicalResult NNPlanMemoryPass::plan(ModelOp model) {
  PlanOptions options{reuse, inPlace, strategy};
  FailureOr<MemoryPlan> plan = planMemory(model, options);
  if (failed(plan))
    return failure();
  for (auto [g, offset] : plan->gradientSlots)
    setStorage(g, "grad", offset);
  for (Operation &op : model.getBodyBlock())
    if (op.getNumResults())
      writeStorage(&op, plan->storage);

  Builder b(model.getContext());
  model->setAttr("nngc.arena_bytes", b.getI64IntegerAttr(plan->arenaBytes));
  model->setAttr("nngc.param_bytes", b.getI64IntegerAttr(plan->paramBytes));
  model->setAttr("nngc.state_bytes", b.getI64IntegerAttr(plan->stateBytes));
  if (inPlace && reuse)
    model->setAttr("nngc.in_place", b.getUnitAttr());
  return success();
}
