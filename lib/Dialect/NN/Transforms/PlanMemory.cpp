//===- PlanMemory.cpp - nngc-plan-memory: static buffer offsets -----------===//
//
// Every tensor gets a (space, byte offset) pair before lowering, so that the
// generated step functions do no allocation at all:
//
//   param  | one slot per nn.param, in declaration order
//   grad   | the same layout as param: the gradient of each parameter
//   state  | one slot per nn.state (optimizer buffers)
//   arena  | everything else, shared by liveness (first fit)
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
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

static int64_t byteSize(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return type.getNumElements() * (type.getElementTypeBitWidth() / 8);
}

/// Where one tensor lives.
struct Storage {
  StringRef space;
  int64_t offset;
};

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
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (failed(plan(model)))
        return signalPassFailure();
  }

  LogicalResult plan(ModelOp model);
};

/// A value that owns arena memory, with the op indices it is live between.
struct Interval {
  Value value;
  int64_t start, end, size, offset = -1;
};

} // namespace

LogicalResult NNPlanMemoryPass::plan(ModelOp model) {
  Block &body = model.getBodyBlock();
  if (!sortTopologically(&body))
    return model.emitOpError("the model's data flow has a cycle");

  // Fixed slots: parameters (and their gradients), optimizer state.
  llvm::DenseMap<Value, Storage> storage;
  llvm::StringMap<int64_t> paramOffset;
  int64_t paramBytes = 0, stateBytes = 0;
  for (ParamOp p : body.getOps<ParamOp>()) {
    storage[p.getResult()] = {"param", paramBytes};
    paramOffset[p.getName()] = paramBytes;
    paramBytes += alignUp(byteSize(p));
  }
  for (StateOp s : body.getOps<StateOp>()) {
    storage[s.getResult()] = {"state", stateBytes};
    stateBytes += alignUp(byteSize(s));
  }

  // A gradient computed by one op is written straight into its slot.
  for (GradientOp g : body.getOps<GradientOp>()) {
    auto it = paramOffset.find(g.getName());
    if (it == paramOffset.end())
      return g.emitOpError("names no parameter");
    setStorage(g, "grad", it->second);
    Value grad = g.getGrad();
    Operation *def = grad.getDefiningOp();
    bool owns = def && !isa<InputOp, ParamOp, StateOp, ReshapeOp>(def);
    if (owns && !storage.count(grad))
      storage[grad] = {"grad", it->second};
  }

  // Liveness over the (topologically sorted) training step.
  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0;
  for (Operation &op : body)
    index[&op] = n++;
  auto rootOf = [](Value v) {
    while (auto r = v.getDefiningOp<ReshapeOp>())
      v = r.getInput();
    return v;
  };
  llvm::DenseMap<Value, size_t> intervalOf;
  SmallVector<Interval> intervals;
  for (Operation &op : body) {
    if (isa<ReshapeOp>(op))
      continue;
    for (Value v : op.getResults()) {
      if (storage.count(v))
        continue;
      // Inputs are written before a step and read by every entry point the
      // trainer calls on the same batch (eval after grad, say): they live
      // through the whole step.
      bool isInput = isa<InputOp>(op);
      int64_t start = isInput ? -1 : index[&op];
      intervalOf[v] = intervals.size();
      intervals.push_back({v, start, isInput ? n : start, byteSize(v)});
    }
  }
  for (Operation &op : body)
    for (Value operand : op.getOperands()) {
      auto it = intervalOf.find(rootOf(operand));
      if (it == intervalOf.end())
        continue;
      int64_t end = isa<OutputOp, LossOp>(op) ? n : index[&op];
      intervals[it->second].end = std::max(intervals[it->second].end, end);
    }

  // First fit, in order of definition. A value may reuse memory only of
  // values whose last use is strictly before its definition (no kernel
  // works in place).
  int64_t arenaBytes = 0;
  SmallVector<Interval *> active;
  for (Interval &iv : intervals) {
    if (reuse)
      llvm::erase_if(active, [&](Interval *a) { return a->end < iv.start; });
    llvm::sort(active,
               [](Interval *a, Interval *b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (Interval *a : active) {
      if (offset + iv.size <= a->offset)
        break;
      offset = std::max(offset, alignUp(a->offset + a->size));
    }
    iv.offset = offset;
    arenaBytes = std::max(arenaBytes, alignUp(offset + iv.size));
    active.push_back(&iv);
    storage[iv.value] = {"arena", offset};
  }

  // Reshapes alias the storage of their input.
  for (ReshapeOp r : body.getOps<ReshapeOp>())
    storage[r.getResult()] = storage.at(rootOf(r.getInput()));
  for (Operation &op : body)
    if (op.getNumResults())
      writeStorage(&op, storage);

  Builder b(model.getContext());
  model->setAttr("nngc.arena_bytes", b.getI64IntegerAttr(arenaBytes));
  model->setAttr("nngc.param_bytes", b.getI64IntegerAttr(paramBytes));
  model->setAttr("nngc.state_bytes", b.getI64IntegerAttr(stateBytes));
  return success();
}
