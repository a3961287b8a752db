//===- DeriveStep.cpp - nngc-derive-step: one-token decoding models -------===//
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
// their final states, which the trainer copies back before the next token;
// causal self-attention becomes nn.cached_attention over a carried
// key/value cache.
//
// A translator (an encoder-decoder) also reads inputs besides the token ids
// (the source words, their padding mask). The values computed from those
// alone and read by the decoder (the "crossing" values: the encoder's
// outputs, its final state, the cross-attention's projected keys and
// values) do not change while the decoder emits tokens, so the pass splits
// the model in two:
//
//   nn.model @m_encode attributes {nngc.encode_of = @m}  -- once per batch:
//     the source inputs -> nn.output "encoded.<i>" for each crossing value
//   nn.model @m_step attributes {nngc.step_of = @m}      -- once per token:
//     %ids = nn.input "tgt_in" : tensor<Bx1xi64>
//     %e = nn.input "encoded.0" {nngc.from_encode = "encoded.0"} ...
//     %h0 = nn.input "rnn0.h0" {nngc.carried_from = "rnn0.h_n",
//                               nngc.initial_from = "encoded.1"} ...
//
// A translator's step model keeps the batch (B sentences decode at once),
// a language model's has batch 1. Carried inputs say which axis is the
// batch (`nngc.batch_axis`), for a beam search that reorders rows.
//
// On the path from the ids to the outputs, an op that depends on the ids
// (or on the positions, nn.arange) must work position by position (the
// NN_PositionWise trait, slices/concats/softmaxes of features, reshapes
// that keep [B, T]), attend from each position over values that do not
// depend on the ids (cross-attention, a matmul with an encoded right-hand
// side), be causal self-attention, or be a unidirectional recurrent layer
// (a translator's may start from an encoded state). Otherwise the model
// gets no step model and `nngc.step_note` says why (the trainer then
// decodes by rerunning the whole prefix).
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
      if (model->hasAttr("nngc.step_of") || model->hasAttr("nngc.encode_of"))
        continue;
      std::string note = derive(model);
      if (!note.empty())
        model->setAttr("nngc.step_note", StringAttr::get(&getContext(), note));
    }
  }

  /// Builds `model`'s step model (and a translator's encode model) after
  /// it; returns why it cannot, or "".
  std::string derive(ModelOp model);
  /// The same with `ids` as the token ids.
  std::string deriveFrom(ModelOp model, InputOp ids);
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

/// `fn` applied to `op` as the recurrent op it is.
template <typename Fn> static auto onRecurrent(Operation *op, Fn fn) {
  if (auto r = dyn_cast<RNNOp>(op))
    return fn(r);
  if (auto g = dyn_cast<GRUOp>(op))
    return fn(g);
  return fn(cast<LSTMOp>(op));
}

static RecurrentConfig recurrentConfig(Operation *op) {
  return onRecurrent(op, [](auto r) { return r.getConfig(); });
}
static OperandRange recurrentWeights(Operation *op) {
  return onRecurrent(op, [](auto r) { return r.getWeights(); });
}
static SmallVector<Value> recurrentInitial(Operation *op) {
  return onRecurrent(op, [](auto r) { return r.getInitialStates(); });
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

  // The token ids: an i64 [B, T] input read by an embedding, with outputs
  // [B, T, ...]. A translator has two (the source's and the target's);
  // "tgt_in" is tried first, then the others in order.
  SmallVector<InputOp> candidates;
  for (InputOp in : body.getOps<InputOp>()) {
    auto type = cast<RankedTensorType>(in.getType());
    bool embedded = llvm::any_of(in->getUsers(), [&](Operation *u) {
      auto e = dyn_cast<EmbeddingOp>(u);
      return e && e.getIds() == in.getResult();
    });
    if (type.getElementType().isInteger(64) && type.getRank() == 2 && embedded)
      candidates.insert(
          in.getName() == "tgt_in" ? candidates.begin() : candidates.end(), in);
  }
  if (candidates.empty())
    return "no token-id input [B, T] read by an nn.embedding";
  std::string first;
  for (InputOp ids : candidates) {
    std::string note = deriveFrom(model, ids);
    if (note.empty())
      return "";
    if (first.empty())
      first = note;
  }
  return first;
}

std::string NNDeriveStepPass::deriveFrom(ModelOp model, InputOp ids) {
  Block &body = model.getBodyBlock();
  ArrayRef<int64_t> bt = cast<RankedTensorType>(ids.getType()).getShape();
  auto perPosition = [&](Type t) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(t).getShape();
    return s.size() >= 2 && s.take_front(2) == bt;
  };

  // The outputs per position, [B, T, ...].
  SmallVector<OutputOp> outputs;
  for (OutputOp o : body.getOps<OutputOp>())
    if (perPosition(o.getValue().getType()))
      outputs.push_back(o);
  if (outputs.empty())
    return "no output of shape [B, T, ...]";

  // What depends on the ids, and what on the other inputs only (the
  // source side, which an encode model computes once).
  llvm::DenseSet<Value> fromIds, fromSource;
  for (Operation &op : body) {
    for (Value r : op.getResults()) {
      if (&op == ids.getOperation())
        fromIds.insert(r);
      else if (isa<InputOp>(op))
        fromSource.insert(r);
    }
    if (isa<InputOp>(op))
      continue;
    bool ids = llvm::any_of(op.getOperands(),
                            [&](Value v) { return fromIds.contains(v); });
    bool source = llvm::any_of(op.getOperands(),
                               [&](Value v) { return fromSource.contains(v); });
    for (Value r : op.getResults())
      if (ids)
        fromIds.insert(r);
      else if (source)
        fromSource.insert(r);
  }

  // The step's ops: the outputs' backward slice, which stops at the
  // source side's values (the crossing values).
  llvm::DenseSet<Operation *> slice;
  llvm::SetVector<Value> crossing;
  SmallVector<Operation *> work(outputs.begin(), outputs.end());
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!slice.insert(op).second)
      continue;
    for (Value v : op->getOperands()) {
      if (fromSource.contains(v))
        crossing.insert(v);
      else if (Operation *def = v.getDefiningOp())
        work.push_back(def);
    }
  }
  bool translator = !crossing.empty();
  int64_t stepBatch = translator ? bt[0] : 1;

  // What varies with the token: the ids, the positions, and what reads
  // them. The rest of the slice (parameter slices) is cloned as it is.
  llvm::DenseSet<Operation *> varying;
  auto isVarying = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return def && varying.contains(def);
  };
  for (Operation &op : body)
    if (slice.contains(&op) &&
        (&op == ids.getOperation() || isa<ArangeOp>(op) ||
         llvm::any_of(op.getOperands(), isVarying)))
      varying.insert(&op);

  // Every varying op must work position by position, attend over what
  // does not vary, or be a layer whose state the step can carry.
  for (Operation &op : body) {
    if (!varying.contains(&op) || isa<ParamOp, OutputOp>(op) ||
        &op == ids.getOperation())
      continue;
    std::string where = describe(&op);
    if (op.hasTrait<nn::OpTrait::PositionWise>()) {
      // A value [B, T, ...] from the other inputs is per position too: the
      // step has no token's worth of it.
      for (Value v : op.getOperands()) {
        if (!crossing.contains(v) || !perPosition(v.getType()))
          continue;
        if (auto in = v.getDefiningOp<InputOp>())
          return ("the outputs read input '" + in.getName() +
                  "' position by position besides the token ids")
              .str();
        return where + " reads a value [B, T, ...] of the other inputs";
      }
      continue;
    }
    if (auto a = dyn_cast<ArangeOp>(op)) {
      if (cast<RankedTensorType>(a.getType()).getDimSize(0) != bt[1])
        return where + " is not the sequence's positions";
      continue;
    }
    auto featureAxis = [&](int64_t axis, int64_t rank) -> std::string {
      if (rank < 3 || (axis < 0 ? axis + rank : axis) < 2)
        return where + " works along the batch or time axis";
      return "";
    };
    if (auto sl = dyn_cast<SliceOp>(op)) {
      // A slice of features (past the batch and time axes) is position-wise.
      if (sl.getNormalizedAxis() < 2)
        return where + " slices the batch or time axis";
      continue;
    }
    if (auto c = dyn_cast<ConcatOp>(op)) {
      if (c.getNormalizedAxis() < 2)
        return where + " joins along the batch or time axis";
      continue;
    }
    if (isa<SoftmaxOp, LogSoftmaxOp>(op)) {
      int64_t rank =
          cast<RankedTensorType>(op.getResult(0).getType()).getRank();
      std::string e =
          featureAxis(op.getAttrOfType<IntegerAttr>("axis").getInt(), rank);
      if (!e.empty())
        return e;
      continue;
    }
    if (auto r = dyn_cast<ReshapeOp>(op)) {
      if (!perPosition(r.getInput().getType()) ||
          !perPosition(r.getResult().getType()))
        return where + " does not keep the batch and time axes";
      continue;
    }
    if (auto m = dyn_cast<MatmulOp>(op)) {
      // Row t of lhs x rhs is row t of lhs times rhs: position-wise when
      // rhs does not vary.
      auto lhs = cast<RankedTensorType>(m.getLhs().getType());
      if (!isVarying(m.getLhs()) || isVarying(m.getRhs()) ||
          m.getTransposeLhs() || lhs.getRank() != 3 || !perPosition(lhs))
        return where + " mixes sequence positions";
      continue;
    }
    if (auto a = dyn_cast<AttentionOp>(op)) {
      auto kt = cast<RankedTensorType>(a.getKey().getType());
      auto qt = cast<RankedTensorType>(a.getQuery().getType());
      if (!a.getCausal()) {
        // Cross-attention: each query over keys that do not vary.
        if (isVarying(a.getKey()) || isVarying(a.getValue()) ||
            (a.getKeyPaddingMask() && isVarying(a.getKeyPaddingMask())))
          return where + " is not causal (a step sees no later token)";
        continue;
      }
      if (a.getKeyPaddingMask())
        return where + " has a key padding mask";
      if (qt.getShape().take_front(2) != bt ||
          kt.getShape().take_front(2) != bt)
        return where + " is not self-attention over the token sequence";
      continue;
    }
    if (!isRecurrent(&op))
      return where + " mixes sequence positions";
    RecurrentConfig c = recurrentConfig(&op);
    if (c.directions != 1)
      return where + " is bidirectional";
    if (c.hasMask)
      return where + " has a sequence mask";
    if (!c.batchFirst)
      return where + " is time-major over batch-first token ids";
    if (c.hasInitial)
      for (Value v : recurrentInitial(&op))
        if (!crossing.contains(v))
          return where + (translator ? " has initial states that do not come "
                                       "from the other inputs"
                                     : " has initial states");
  }

  // The step model (and a translator's encode model), after the model.
  std::string name = (model.getSymName() + "_step").str();
  std::string encodeName = (model.getSymName() + "_encode").str();
  for (const std::string &n : {name, encodeName})
    if (SymbolTable::lookupSymbolIn(getOperation(), n))
      return "a symbol named @" + n + " exists already";
  OpBuilder b(model);
  b.setInsertionPointAfter(model);

  // The encode model: the crossing values' backward slice, with every
  // parameter in order; each crossing value (other than an input, which
  // the step reads from the encode model's input) is an output
  // "encoded.<i>".
  ModelOp encode;
  llvm::DenseMap<Value, std::string> encodedName;
  if (translator) {
    llvm::DenseSet<Operation *> needed;
    SmallVector<Operation *> w;
    for (Value v : crossing)
      w.push_back(v.getDefiningOp());
    while (!w.empty()) {
      Operation *op = w.pop_back_val();
      if (!needed.insert(op).second)
        continue;
      for (Value v : op->getOperands())
        if (Operation *def = v.getDefiningOp())
          w.push_back(def);
    }
    encode = b.create<ModelOp>(model.getLoc(), encodeName);
    encode->setAttr("nngc.encode_of",
                    FlatSymbolRefAttr::get(model.getSymNameAttr()));
    OpBuilder eb = OpBuilder::atBlockBegin(&encode.getBody().emplaceBlock());
    IRMapping emap;
    for (Operation &op : body)
      if (isa<ParamOp>(op) || (needed.contains(&op) && !isa<OutputOp>(op)))
        eb.clone(op, emap);
    for (auto [i, v] : llvm::enumerate(crossing)) {
      if (auto in = v.getDefiningOp<InputOp>()) {
        encodedName[v] = in.getName().str();
        continue;
      }
      std::string out = "encoded." + std::to_string(i);
      eb.create<OutputOp>(v.getLoc(), out, emap.lookup(v));
      encodedName[v] = out;
    }
    b.setInsertionPointAfter(encode);
  }

  auto step = b.create<ModelOp>(model.getLoc(), name);
  step->setAttr("nngc.step_of", FlatSymbolRefAttr::get(model.getSymNameAttr()));
  b.setInsertionPointToStart(&step.getBody().emplaceBlock());
  auto fail = [&](std::string why) {
    step.erase();
    if (encode)
      encode.erase();
    return why;
  };

  IRMapping mapping;
  auto tokens = RankedTensorType::get({stepBatch, 1}, b.getI64Type());
  mapping.map(
      ids.getResult(),
      b.create<InputOp>(ids.getLoc(), tokens, ids.getName()).getResult());
  // Every parameter, in order, so that the step model's parameter buffer
  // has the model's layout (nngc-convert-nn-to-llvm checks it).
  for (ParamOp p : body.getOps<ParamOp>())
    b.clone(*p, mapping);

  int64_t layer = 0, attention = 0;
  llvm::StringSet<> carried; // the outputs that are final states
  // An input of the step model, before its ops.
  auto stepInput = [&](Location loc, Type type, StringRef inName) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&step.getBodyBlock());
    return b.create<InputOp>(loc, type, inName);
  };
  // A state carried from step to step, at the insertion point.
  auto carriedInput = [&](Location loc, Type type, const std::string &in,
                          const std::string &out, int64_t batchAxis) {
    InputOp input = b.create<InputOp>(loc, type, in);
    input->setAttr("nngc.carried_from", b.getStringAttr(out));
    input->setAttr("nngc.batch_axis", b.getI64IntegerAttr(batchAxis));
    carried.insert(out);
    return input;
  };
  // A crossing value, read from the encode model.
  auto mapCrossing = [&](Value v) {
    if (!crossing.contains(v) || mapping.contains(v))
      return;
    InputOp in = stepInput(v.getLoc(), v.getType(), encodedName[v]);
    in->setAttr("nngc.from_encode", b.getStringAttr(encodedName[v]));
    mapping.map(v, in.getResult());
  };
  // The position of the step's token, which the decoder sets: what
  // nn.arange gives and what a key/value cache is written at.
  Value position;
  auto getPosition = [&](Location loc) {
    if (!position) {
      InputOp in = stepInput(loc, RankedTensorType::get({1}, b.getI64Type()),
                             "position");
      in->setAttr("nngc.position", b.getUnitAttr());
      position = in;
    }
    return position;
  };
  auto stepType = [&](Type t) {
    SmallVector<int64_t> shape(cast<RankedTensorType>(t).getShape());
    shape[0] = stepBatch;
    shape[1] = 1;
    return RankedTensorType::get(shape,
                                 cast<RankedTensorType>(t).getElementType());
  };
  for (Operation &op : body) {
    if (!slice.contains(&op) || isa<ParamOp>(op) || &op == ids.getOperation())
      continue;
    if (auto a = dyn_cast<ArangeOp>(op)) {
      mapping.map(a.getResult(), getPosition(op.getLoc()));
      continue;
    }
    bool recurrent = isRecurrent(&op);
    SmallVector<Value> initial =
        recurrent ? recurrentInitial(&op) : SmallVector<Value>{};
    for (Value v : op.getOperands())
      if (!llvm::is_contained(initial, v))
        mapCrossing(v);
    if (!varying.contains(&op)) {
      b.clone(op, mapping);
      continue;
    }
    if (auto a = dyn_cast<AttentionOp>(op); a && a.getCausal()) {
      // Causal self-attention: one query over a cache of the keys and
      // values so far, carried from step to step.
      int64_t width =
          cast<RankedTensorType>(a.getKey().getType()).getDimSize(2);
      auto cacheType =
          RankedTensorType::get({stepBatch, bt[1], width}, b.getF32Type());
      std::string prefix = "attn" + std::to_string(attention++);
      Value pos = getPosition(op.getLoc());
      SmallVector<Value> caches;
      for (const char *kind : {"key_cache", "value_cache"}) {
        std::string in = prefix + "." + kind;
        caches.push_back(
            carriedInput(op.getLoc(), cacheType, in, in + "_out", 0));
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
    if (isa<OutputOp>(op)) {
      b.clone(op, mapping);
      continue;
    }
    if (!recurrent) {
      Operation *clone = b.clone(op, mapping);
      if (failed(reinferTypes(clone))) {
        // Slices, concats and reshapes of features: [B, T, ...] becomes
        // [B', 1, ...].
        if (!isa<SliceOp, ConcatOp, ReshapeOp>(clone))
          return fail(describe(&op) + " has no shape inference");
        clone->getResult(0).setType(stepType(op.getResult(0).getType()));
      }
      continue;
    }
    // A recurrent layer: one token, its states carried in and out (a
    // translator's seeded from the encoded initial states).
    Operation *clone = b.clone(op, mapping);
    RecurrentConfig c = recurrentConfig(&op);
    c.batch = stepBatch;
    c.seq = 1;
    auto type = [&](ArrayRef<int64_t> shape) {
      return RankedTensorType::get(shape, b.getF32Type());
    };
    std::string prefix = "rnn" + std::to_string(layer++);
    static const char *stateNames[] = {"h", "c"};
    SmallVector<Value> states;
    OpBuilder::InsertionGuard guard(b);
    for (int64_t s = 0; s < c.numStates(); ++s) {
      std::string in = prefix + "." + stateNames[s] + "0";
      std::string out = prefix + "." + stateNames[s] + "_n";
      b.setInsertionPoint(clone);
      InputOp input =
          carriedInput(op.getLoc(), type(c.stateShape()), in, out, 1);
      if (!initial.empty())
        input->setAttr("nngc.initial_from",
                       b.getStringAttr(encodedName[initial[s]]));
      states.push_back(input);
      b.setInsertionPointAfter(clone);
      b.create<OutputOp>(op.getLoc(), out, clone->getResult(1 + s));
    }
    SmallVector<Value> operands = {clone->getOperand(0)};
    operands.append(states);
    SmallVector<Value> weights;
    for (Value w : recurrentWeights(&op))
      weights.push_back(mapping.lookup(w));
    operands.append(weights);
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

  // The specialised ops must verify, and every output must now be
  // [B', 1, ...].
  std::string error;
  {
    ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &d) {
      if (error.empty())
        error = d.str();
      return success();
    });
    if (failed(verify(step)) || (encode && failed(verify(encode))))
      error = error.empty() ? "the step model does not verify" : error;
  }
  for (OutputOp o : step.getBodyBlock().getOps<OutputOp>()) {
    if (!error.empty())
      break;
    if (carried.contains(o.getName()))
      continue;
    ArrayRef<int64_t> s =
        cast<RankedTensorType>(o.getValue().getType()).getShape();
    if (s.size() < 2 || s[0] != stepBatch || s[1] != 1)
      error = ("output '" + o.getName() +
               "' does not specialise to one token per position")
                  .str();
  }
  if (!error.empty())
    return fail("specialising to one token fails: " + error);
  return "";
}
