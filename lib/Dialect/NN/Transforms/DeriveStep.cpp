//===- DeriveStep.cpp - nngc-derive-step: a one-token language model ------===//
//
// A language model reads token ids [B, T] and writes logits [B, T, V].
// Sampling from it one token at a time should not rerun all T positions per
// token: this pass clones the model's forward path, specialised to one
// sequence of one token, into a second model
//
//   nn.model @lm_step attributes {nngc.step_of = @lm} {
//     %ids = nn.input "ids" : tensor<1x1xi64>
//     %h0  = nn.input "rnn0.h0" {nngc.carried_from = "rnn0.h_n"} : ...
//     ...the same parameters, in the same order...
//     %y, %hn = nn.lstm %x initial(%h0, %c0) ...
//     nn.output "logits" ... ; nn.output "rnn0.h_n" %hn ; ...
//   }
//
// whose recurrent layers take their initial states from inputs and return
// their final states, which the trainer copies back before the next token.
// The path from the ids to the outputs may hold only ops that work position
// by position (the NN_PositionWise trait) and unidirectional recurrent
// layers without initial states; otherwise the model gets no step model and
// `nngc.step_note` says why (the trainer then samples by rerunning the
// window).
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace nngc {
#define GEN_PASS_DEF_NNDERIVESTEPPASS
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

struct NNDeriveStepPass
    : public nngc::impl::NNDeriveStepPassBase<NNDeriveStepPass> {
  void runOnOperation() override {
    for (ModelOp model : llvm::to_vector(getOperation().getOps<ModelOp>())) {
      if (model->hasAttr("nngc.step_of"))
        continue;
      std::string note = derive(model);
      if (!note.empty())
        model->setAttr("nngc.step_note", StringAttr::get(&getContext(), note));
    }
  }

  /// Builds `model`'s step model after it; returns why it cannot, or "".
  std::string derive(ModelOp model);
};

} // namespace

static std::string describe(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "'" << op->getName() << "'";
  if (auto l = dyn_cast<FileLineColLoc>(op->getLoc()))
    os << " at " << l.getFilename().getValue() << ":" << l.getLine() << ":"
       << l.getColumn();
  return s;
}

static bool isRecurrent(Operation *op) { return isa<RNNOp, GRUOp, LSTMOp>(op); }

static RecurrentConfig recurrentConfig(Operation *op) {
  if (auto r = dyn_cast<RNNOp>(op))
    return r.getConfig();
  if (auto g = dyn_cast<GRUOp>(op))
    return g.getConfig();
  return cast<LSTMOp>(op).getConfig();
}

/// Recomputes the result types of `op` from its (new) operands.
static LogicalResult reinferTypes(Operation *op) {
  SmallVector<Type> types;
  if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
    if (failed(infer.inferReturnTypes(
            op->getContext(), op->getLoc(), op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), types)))
      return failure();
  } else if (op->hasTrait<mlir::OpTrait::SameOperandsAndResultType>()) {
    types.assign(op->getNumResults(), op->getOperand(0).getType());
  } else {
    return failure();
  }
  for (auto [r, t] : llvm::zip(op->getResults(), types))
    r.setType(t);
  return success();
}

std::string NNDeriveStepPass::derive(ModelOp model) {
  Block &body = model.getBodyBlock();
  if (!sortTopologically(&body))
    return "the model's data flow has a cycle";

  // The token ids: an i64 [B, T] input read by an embedding.
  InputOp ids;
  for (InputOp in : body.getOps<InputOp>()) {
    auto type = cast<RankedTensorType>(in.getType());
    bool embedded = llvm::any_of(in->getUsers(), [&](Operation *u) {
      auto e = dyn_cast<EmbeddingOp>(u);
      return e && e.getIds() == in.getResult();
    });
    if (type.getElementType().isInteger(64) && type.getRank() == 2 &&
        embedded) {
      ids = in;
      break;
    }
  }
  if (!ids)
    return "no token-id input [B, T] read by an nn.embedding";
  ArrayRef<int64_t> bt = cast<RankedTensorType>(ids.getType()).getShape();

  // The outputs per position, [B, T, ...], and what they depend on.
  SmallVector<OutputOp> outputs;
  for (OutputOp o : body.getOps<OutputOp>()) {
    ArrayRef<int64_t> s =
        cast<RankedTensorType>(o.getValue().getType()).getShape();
    if (s.size() >= 2 && s.take_front(2) == bt)
      outputs.push_back(o);
  }
  if (outputs.empty())
    return "no output of shape [B, T, ...]";
  llvm::SetVector<Operation *> slice;
  SmallVector<Operation *> work;
  for (OutputOp o : outputs)
    work.push_back(o);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!slice.insert(op))
      continue;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp())
        work.push_back(def);
  }

  // Every op on the path must work position by position, or be a
  // recurrent layer whose state the step can carry.
  for (Operation *op : slice) {
    if (isa<ParamOp, OutputOp>(op) || op == ids.getOperation() ||
        op->hasTrait<nn::OpTrait::PositionWise>())
      continue;
    if (auto in = dyn_cast<InputOp>(op))
      return ("the outputs read input '" + in.getName() +
              "' besides the token ids")
          .str();
    if (auto a = dyn_cast<ArangeOp>(op)) {
      if (cast<RankedTensorType>(a.getType()).getDimSize(0) != bt[1])
        return describe(op) + " is not the sequence's positions";
      continue;
    }
    if (auto sl = dyn_cast<SliceOp>(op)) {
      // A slice of features (past the batch and time axes) is position-wise.
      if (sl.getNormalizedAxis() < 2)
        return describe(op) + " slices the batch or time axis";
      continue;
    }
    if (auto a = dyn_cast<AttentionOp>(op)) {
      auto kt = cast<RankedTensorType>(a.getKey().getType());
      auto qt = cast<RankedTensorType>(a.getQuery().getType());
      if (!a.getCausal())
        return describe(op) + " is not causal (a step sees no later token)";
      if (a.getKeyPaddingMask())
        return describe(op) + " has a key padding mask";
      if (qt.getShape().take_front(2) != bt ||
          kt.getShape().take_front(2) != bt)
        return describe(op) + " is not self-attention over the token sequence";
      continue;
    }
    if (!isRecurrent(op))
      return describe(op) + " mixes sequence positions";
    RecurrentConfig c = recurrentConfig(op);
    if (c.directions != 1)
      return describe(op) + " is bidirectional";
    if (c.hasInitial)
      return describe(op) + " has initial states";
    if (c.hasMask)
      return describe(op) + " has a sequence mask";
    if (!c.batchFirst)
      return describe(op) + " is time-major over batch-first token ids";
  }

  // The step model, after the model.
  std::string name = (model.getSymName() + "_step").str();
  if (SymbolTable::lookupSymbolIn(getOperation(), name))
    return "a symbol named @" + name + " exists already";
  OpBuilder b(model);
  b.setInsertionPointAfter(model);
  auto step = b.create<ModelOp>(model.getLoc(), name);
  step->setAttr("nngc.step_of", FlatSymbolRefAttr::get(model.getSymNameAttr()));
  b.setInsertionPointToStart(&step.getBody().emplaceBlock());

  IRMapping mapping;
  auto one = RankedTensorType::get({1, 1}, b.getI64Type());
  mapping.map(ids.getResult(),
              b.create<InputOp>(ids.getLoc(), one, ids.getName()).getResult());
  // Every parameter, in order, so that the step model's parameter buffer
  // has the model's layout (nngc-convert-nn-to-llvm checks it).
  for (ParamOp p : body.getOps<ParamOp>())
    b.clone(*p, mapping);

  int64_t layer = 0, attention = 0;
  llvm::StringSet<> carried; // the outputs that are final states
  // The position of the step's token, which the sampler sets: what
  // nn.arange gives and what a key/value cache is written at.
  Value position;
  auto getPosition = [&](Location loc) {
    if (!position) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&step.getBodyBlock());
      auto in = b.create<InputOp>(
          loc, RankedTensorType::get({1}, b.getI64Type()), "position");
      in->setAttr("nngc.position", b.getUnitAttr());
      position = in;
    }
    return position;
  };
  for (Operation &op : body) {
    if (!slice.contains(&op) || isa<ParamOp>(op) || &op == ids.getOperation())
      continue;
    if (auto a = dyn_cast<ArangeOp>(op)) {
      mapping.map(a.getResult(), getPosition(op.getLoc()));
      continue;
    }
    if (auto a = dyn_cast<AttentionOp>(op)) {
      // Causal self-attention: one query over a cache of the keys and
      // values so far, carried from step to step.
      int64_t width =
          cast<RankedTensorType>(a.getKey().getType()).getDimSize(2);
      auto cacheType = RankedTensorType::get({1, bt[1], width}, b.getF32Type());
      std::string prefix = "attn" + std::to_string(attention++);
      Value pos = getPosition(op.getLoc());
      SmallVector<Value> caches;
      for (const char *kind : {"key_cache", "value_cache"}) {
        std::string in = prefix + "." + kind;
        auto input = b.create<InputOp>(op.getLoc(), cacheType, in);
        input->setAttr("nngc.carried_from", b.getStringAttr(in + "_out"));
        carried.insert(in + "_out");
        caches.push_back(input);
      }
      auto cached = b.create<CachedAttentionOp>(
          op.getLoc(), mapping.lookup(a.getQuery()), mapping.lookup(a.getKey()),
          mapping.lookup(a.getValue()), caches[0], caches[1], pos,
          a.getHeadsAttr(), b.getF64FloatAttr(a.getScaleValue()));
      b.create<OutputOp>(op.getLoc(), prefix + ".key_cache_out",
                         cached.getKeyCacheOut());
      b.create<OutputOp>(op.getLoc(), prefix + ".value_cache_out",
                         cached.getValueCacheOut());
      mapping.map(a.getResult(), cached.getResult());
      continue;
    }
    Operation *clone = b.clone(op, mapping);
    if (auto sl = dyn_cast<SliceOp>(clone)) {
      // Features keep their slice; batch and time become the operand's.
      SmallVector<int64_t> shape(
          cast<RankedTensorType>(sl.getInput().getType()).getShape());
      int64_t axis = sl.getNormalizedAxis();
      shape[axis] =
          cast<RankedTensorType>(op.getResult(0).getType()).getDimSize(axis);
      sl.getResult().setType(RankedTensorType::get(shape, b.getF32Type()));
      continue;
    }
    if (isa<OutputOp>(op))
      continue;
    if (!isRecurrent(&op)) {
      if (failed(reinferTypes(clone))) {
        step.erase();
        return describe(&op) + " has no shape inference";
      }
      continue;
    }
    // A recurrent layer: one token, its states carried in and out.
    RecurrentConfig c = recurrentConfig(&op);
    c.batch = 1;
    c.seq = 1;
    auto type = [&](ArrayRef<int64_t> shape) {
      return RankedTensorType::get(shape, b.getF32Type());
    };
    std::string prefix = "rnn" + std::to_string(layer++);
    static const char *stateNames[] = {"h", "c"};
    SmallVector<Value> states;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(clone);
    for (int64_t s = 0; s < c.numStates(); ++s) {
      std::string in = prefix + "." + stateNames[s] + "0";
      std::string out = prefix + "." + stateNames[s] + "_n";
      auto input = b.create<InputOp>(op.getLoc(), type(c.stateShape()), in);
      input->setAttr("nngc.carried_from", b.getStringAttr(out));
      states.push_back(input);
      carried.insert(out);
      b.setInsertionPointAfter(clone);
      b.create<OutputOp>(op.getLoc(), out, clone->getResult(1 + s));
      b.setInsertionPoint(clone);
    }
    SmallVector<Value> operands = {clone->getOperand(0)};
    operands.append(states);
    auto weights = clone->getOperands().drop_front(1);
    operands.append(weights.begin(), weights.end());
    SmallVector<int32_t> segments = {1, /*mask*/ 0, /*h0*/ 1};
    if (c.numStates() == 2)
      segments.push_back(1);
    segments.push_back(static_cast<int32_t>(weights.size()));
    clone->setOperands(operands);
    clone->setAttr("operandSegmentSizes", b.getDenseI32ArrayAttr(segments));
    clone->getResult(0).setType(type(c.outputShape()));
    for (int64_t s = 0; s < c.numStates(); ++s)
      clone->getResult(1 + s).setType(type(c.stateShape()));
  }

  // The specialised ops must verify, and every output must now be [1, 1, ...].
  std::string error;
  {
    ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &d) {
      if (error.empty())
        error = d.str();
      return success();
    });
    if (failed(verify(step)))
      error = error.empty() ? "the step model does not verify" : error;
  }
  for (OutputOp o : step.getBodyBlock().getOps<OutputOp>()) {
    if (!error.empty())
      break;
    if (carried.contains(o.getName()))
      continue;
    ArrayRef<int64_t> s =
        cast<RankedTensorType>(o.getValue().getType()).getShape();
    if (s.size() < 2 || s[0] != 1 || s[1] != 1)
      error = ("output '" + o.getName() +
               "' does not specialise to one token per position")
                  .str();
  }
  if (!error.empty()) {
    step.erase();
    return "specialising to one token fails: " + error;
  }
  return "";
}
