//===- NNToLLVM.cpp - nngc-convert-nn-to-llvm -----------------------------===//
//
//   nn.model (planned) [+ its step model] [+ its encode model]
//     |  1. pick the ops each entry point needs (backward slices)
//     |  2. clone them into llvm.func
//     |     @nngc_{train,grad,eval,predict,step,encode}
//     |  3. write the manifest (JSON) as the global @nngc_manifest
//     v  4. full dialect conversion: every nn op -> runtime calls
//   LLVM dialect
//
//===----------------------------------------------------------------------===//

#include "nngc/Conversion/NNToLLVM/NNToLLVM.h"
#include "LoweringUtils.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

namespace nngc {
#define GEN_PASS_DEF_CONVERTNNTOLLVMPASS
#include "nngc/Conversion/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
namespace json = llvm::json;

/// `roots` and every op they transitively depend on.
static llvm::DenseSet<Operation *> backwardSlice(ArrayRef<Operation *> roots) {
  llvm::DenseSet<Operation *> seen;
  SmallVector<Operation *> work(roots.begin(), roots.end());
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!seen.insert(op).second)
      continue;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp())
        work.push_back(def);
  }
  return seen;
}

template <typename OpT> static SmallVector<Operation *> opsOf(Block &body) {
  SmallVector<Operation *> ops;
  for (OpT op : body.getOps<OpT>())
    ops.push_back(op);
  return ops;
}

static json::Array shapeJson(Value v) {
  json::Array a;
  for (int64_t d : cast<RankedTensorType>(v.getType()).getShape())
    a.push_back(d);
  return a;
}

/// Storage of the value an op reads (for outputs and the loss).
static json::Object storageJson(Value v) {
  auto [space, offset] = plannedStorage(v);
  return json::Object{{"space", space}, {"offset", offset}};
}

static json::Object optimizerJson(Attribute attr) {
  if (auto sgd = dyn_cast<SGDAttr>(attr))
    return json::Object{
        {"kind", "sgd"},
        {"lr", sgd.getLr().convertToDouble()},
        {"momentum", sgd.getMomentum().convertToDouble()},
        {"dampening", sgd.getDampening().convertToDouble()},
        {"weight_decay", sgd.getWeightDecay().convertToDouble()},
        {"nesterov", sgd.getNesterov()}};
  auto adam = [](StringRef kind, auto a) {
    return json::Object{{"kind", kind},
                        {"lr", a.getLr().convertToDouble()},
                        {"beta1", a.getBeta1().convertToDouble()},
                        {"beta2", a.getBeta2().convertToDouble()},
                        {"eps", a.getEps().convertToDouble()},
                        {"weight_decay", a.getWeightDecay().convertToDouble()}};
  };
  if (auto a = dyn_cast<AdamAttr>(attr))
    return adam("adam", a);
  return adam("adamw", cast<AdamWAttr>(attr));
}

/// Whether `input` is the target of a loss (a label) rather than a feature.
static bool isLabel(InputOp input) {
  for (OpOperand &use : input.getResult().getUses())
    if (isa<MSEOp, BinaryCrossEntropyOp, CrossEntropyOp>(use.getOwner()) &&
        use.getOperandNumber() == 1)
      return true;
  return false;
}

/// A backward op that reuses what its forward op kept (its primitive, its
/// dropout mask, its saved statistics) names the forward op's result it
/// takes and the forward op's name; other ops give {null, ""}.
static std::pair<Value, StringRef> forwardOfBackwardOp(Operation *op) {
  if (auto g = dyn_cast<RNNGradOp>(op)) {
    Operation *f = g.getOutputs()[0].getDefiningOp();
    StringRef name = f && isa<RNNOp, GRUOp, LSTMOp>(f)
                         ? f->getName().getStringRef()
                         : StringRef("nn.rnn, nn.gru or nn.lstm");
    return {g.getOutputs()[0], name};
  }
  if (auto g = dyn_cast<DropoutGradOp>(op)) {
    Operation *f = g.getSaved().getDefiningOp();
    StringRef name = f && isa<DropoutOp, DropoutAddOp>(f)
                         ? f->getName().getStringRef()
                         : StringRef("nn.dropout or nn.dropout_add");
    return {g.getSaved(), name};
  }
  if (auto g = dyn_cast<LayerNormGradOp>(op))
    return {g.getOutput(), LayerNormOp::getOperationName()};
  if (auto g = dyn_cast<AttentionGradOp>(op))
    return {g.getOutput(), AttentionOp::getOperationName()};
  return {Value(), StringRef()};
}

/// A derived model's entry in the manifest (the step model's, a
/// translator's encode model's): its arena, its inputs (the token, the
/// carried states, the encoded values) and its outputs.
static json::Object derivedModelJson(ModelOp derived) {
  Block &body = derived.getBodyBlock();
  json::Array inputs, outputs;
  auto optionalString = [](Operation *op, StringRef name) {
    auto a = op->getAttrOfType<StringAttr>(name);
    return a ? json::Value(a.getValue()) : json::Value(nullptr);
  };
  for (InputOp in : body.getOps<InputOp>()) {
    auto batchAxis = in->getAttrOfType<IntegerAttr>("nngc.batch_axis");
    inputs.push_back(json::Object{
        {"name", in.getName()},
        {"dtype", cast<RankedTensorType>(in.getType()).getElementType().isF32()
                      ? "f32"
                      : "i64"},
        {"shape", shapeJson(in)},
        {"offset", in->getAttrOfType<IntegerAttr>("nngc.offset").getInt()},
        {"carried_from", optionalString(in, "nngc.carried_from")},
        {"initial_from", optionalString(in, "nngc.initial_from")},
        {"from_encode", optionalString(in, "nngc.from_encode")},
        {"batch_axis", batchAxis ? batchAxis.getInt() : 0},
        {"position", in->hasAttr("nngc.position")}});
  }
  for (OutputOp o : body.getOps<OutputOp>()) {
    json::Object out = storageJson(o.getValue());
    out["name"] = o.getName();
    out["shape"] = shapeJson(o.getValue());
    outputs.push_back(std::move(out));
  }
  return json::Object{
      {"arena_bytes",
       derived->getAttrOfType<IntegerAttr>("nngc.arena_bytes").getInt()},
      {"inputs", std::move(inputs)},
      {"outputs", std::move(outputs)}};
}

/// A derived model must share the model's parameter buffer layout.
static LogicalResult checkSharedParams(ModelOp model, ModelOp step) {
  llvm::StringMap<int64_t> offsets;
  for (ParamOp p : model.getBodyBlock().getOps<ParamOp>())
    offsets[p.getName()] =
        p->getAttrOfType<IntegerAttr>("nngc.offset").getInt();
  for (ParamOp p : step.getBodyBlock().getOps<ParamOp>()) {
    auto it = offsets.find(p.getName());
    if (it == offsets.end() ||
        it->second != p->getAttrOfType<IntegerAttr>("nngc.offset").getInt())
      return p.emitOpError("of the ")
             << step.getSymName()
             << " model is not at its offset in the model's parameter buffer";
  }
  return success();
}

static std::string buildManifest(ModelOp model, ModelOp step, ModelOp encode,
                                 ArrayRef<StringRef> entries,
                                 json::Array numerics, bool cuda,
                                 StringRef precision) {
  Block &body = model.getBodyBlock();
  auto bytes = [&](StringRef name) {
    return model->getAttrOfType<IntegerAttr>(name).getInt();
  };
  json::Array inputs, params, state, outputs;
  for (InputOp in : body.getOps<InputOp>()) {
    auto type = cast<RankedTensorType>(in.getType());
    // What the trainer checks labels against when it loads data.
    int64_t classes = 0, vocab = 0;
    bool binary = false;
    for (Operation *user : in.getResult().getUsers()) {
      if (auto ce = dyn_cast<CrossEntropyOp>(user))
        classes =
            cast<RankedTensorType>(ce.getLogits().getType()).getShape().back();
      if (auto e = dyn_cast<EmbeddingOp>(user))
        vocab = cast<RankedTensorType>(e.getWeight().getType()).getDimSize(0);
      binary |= isa<BinaryCrossEntropyOp>(user);
    }
    inputs.push_back(json::Object{
        {"classes", classes},
        {"vocab", vocab},
        {"binary", binary},
        {"name", in.getName()},
        {"dtype", type.getElementType().isF32() ? "f32" : "i64"},
        {"shape", shapeJson(in)},
        {"role", isLabel(in) ? "label" : "features"},
        {"offset", in->getAttrOfType<IntegerAttr>("nngc.offset").getInt()}});
  }
  for (ParamOp p : body.getOps<ParamOp>()) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(p.getType()).getShape();
    // torch.nn.init._calculate_fan_in_and_fan_out.
    int64_t receptive = 1;
    for (size_t i = 2; i < shape.size(); ++i)
      receptive *= shape[i];
    int64_t fanIn = shape.size() >= 2 ? shape[1] * receptive : 0;
    int64_t fanOut = shape.size() >= 2 ? shape[0] * receptive : 0;
    json::Array args;
    for (double a : p.getInitArgs())
      args.push_back(a);
    // torch.nn.Embedding zeroes its padding_idx row at initialisation.
    int64_t zeroRow = -1;
    for (Operation *user : p.getResult().getUsers())
      if (auto e = dyn_cast<EmbeddingOp>(user))
        if (e.getWeight() == p.getResult() && e.getPaddingIdx())
          zeroRow = *e.getPaddingIdx();
    params.push_back(json::Object{
        {"zero_row", zeroRow},
        {"name", p.getName()},
        {"shape", shapeJson(p)},
        {"init", stringifyInitKind(p.getInit())},
        {"init_args", std::move(args)},
        {"fan_in", fanIn},
        {"fan_out", fanOut},
        {"offset", p->getAttrOfType<IntegerAttr>("nngc.offset").getInt()}});
  }
  for (StateOp s : body.getOps<StateOp>())
    state.push_back(json::Object{
        {"name", s.getName()},
        {"shape", shapeJson(s)},
        {"offset", s->getAttrOfType<IntegerAttr>("nngc.offset").getInt()}});
  for (OutputOp o : body.getOps<OutputOp>()) {
    json::Object out = storageJson(o.getValue());
    out["name"] = o.getName();
    out["shape"] = shapeJson(o.getValue());
    outputs.push_back(std::move(out));
  }
  // What runtime primitives keep outside the arena for the backward (the
  // attention probabilities and scratch, layer-norm statistics).
  int64_t keptBytes = primitiveWorkspaceBytes(model);
  json::Object manifest{
      {"format", 1},
      {"kept_bytes", keptBytes},
      {"report", buildReport(model, /*schedule=*/false)},
      {"model", model.getSymName()},
      {"batch", model.getBatchSize()},
      {"arena_bytes", bytes("nngc.arena_bytes")},
      {"param_bytes", bytes("nngc.param_bytes")},
      {"state_bytes", bytes("nngc.state_bytes")},
      {"inputs", std::move(inputs)},
      {"params", std::move(params)},
      {"state", std::move(state)},
      {"outputs", std::move(outputs)},
      {"entries", json::Array(entries)},
  };
  if (!numerics.empty())
    manifest["numerics"] = std::move(numerics);
  // Gradients averaged across ranks (nngc-distribute): the trainer must
  // join an MPI job.
  manifest["distributed"] = model->hasAttr("nngc.buckets") ? "mpi" : "none";
  // A CUDA trainer's buffers live on the device (docs/CUDA.md).
  manifest["target"] = cuda ? "cuda" : "cpu";
  manifest["precision"] = precision;
  // cuBLASLt's workspace, a part of the trainer's one device allocation
  // (32 MiB: what NVIDIA recommends for Hopper; Ampere needs 4 MiB).
  if (cuda)
    manifest["cuda_workspace_bytes"] = int64_t(32) << 20;
  auto losses = llvm::to_vector(body.getOps<LossOp>());
  manifest["loss"] = losses.empty()
                         ? json::Value(nullptr)
                         : json::Value(storageJson(losses.front().getLoss()));
  manifest["step"] =
      step ? json::Value(derivedModelJson(step)) : json::Value(nullptr);
  manifest["encode"] =
      encode ? json::Value(derivedModelJson(encode)) : json::Value(nullptr);
  auto note = model->getAttrOfType<StringAttr>("nngc.step_note");
  manifest["step_note"] =
      note ? json::Value(note.getValue()) : json::Value(nullptr);
  auto clip = model->getAttrOfType<FloatAttr>("nn.clip_grad_norm");
  manifest["clip_grad_norm"] =
      clip ? json::Value(clip.getValueAsDouble()) : json::Value(nullptr);
  manifest["schedule"] = nullptr;
  if (auto cosine = model->getAttrOfType<WarmupCosineAttr>("nn.schedule"))
    manifest["schedule"] =
        json::Object{{"kind", "warmup_cosine"},
                     {"warmup", cosine.getWarmup()},
                     {"decay_steps", cosine.getDecaySteps()},
                     {"min_lr", cosine.getMinLr().convertToDouble()}};
  if (auto step = model->getAttrOfType<StepLRAttr>("nn.schedule"))
    manifest["schedule"] =
        json::Object{{"kind", "step_lr"},
                     {"warmup", step.getWarmup()},
                     {"step_size", step.getStepSize()},
                     {"gamma", step.getGamma().convertToDouble()}};
  auto norms = llvm::to_vector(body.getOps<GradNormOp>());
  manifest["grad_norm"] = norms.empty()
                              ? json::Value(nullptr)
                              : json::Value(storageJson(norms.front()));
  if (Attribute opt = model->getAttr("nn.optimizer"))
    manifest["optimizer"] = optimizerJson(opt);
  else
    manifest["optimizer"] = nullptr;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << json::Value(std::move(manifest));
  return text;
}

namespace {

struct ConvertNNToLLVMPass
    : public nngc::impl::ConvertNNToLLVMPassBase<ConvertNNToLLVMPass> {
  using ConvertNNToLLVMPassBase::ConvertNNToLLVMPassBase;
  void runOnOperation() override;
};

} // namespace

/// The CUDA target's lowering patterns: model structure, kernel launches
/// and the ops whose runtime calls run cuBLASLt or launch kernels
/// themselves.
static void populateCudaPatterns(RewritePatternSet &patterns,
                                 TypeConverter &converter,
                                 NNLoweringState &state) {
  populateModelOpLoweringPatterns(patterns, converter, state);
  populateGPULaunchLoweringPatterns(patterns, converter, state);
  populateMatmulOpLoweringPatterns(patterns, converter, state);
  populateFusedMatmulLoweringPatterns(patterns, converter, state);
  populateReshapeLoweringPatterns(patterns, converter, state);
  populateTransformerRuntimeLoweringPatterns(patterns, converter, state);
  populateRecurrentLoweringPatterns(patterns, converter, state);
}

void ConvertNNToLLVMPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<ModelOp> models, steps, encodes;
  for (ModelOp m : module.getOps<ModelOp>())
    (m->hasAttr("nngc.step_of")     ? steps
     : m->hasAttr("nngc.encode_of") ? encodes
                                    : models)
        .push_back(m);
  if (models.size() != 1) {
    module.emitError("expected exactly one nn.model, found ") << models.size();
    return signalPassFailure();
  }
  ModelOp model = models.front();
  Block &body = model.getBodyBlock();
  if (steps.size() > 1 ||
      (steps.size() == 1 &&
       steps.front()->getAttrOfType<FlatSymbolRefAttr>("nngc.step_of") !=
           FlatSymbolRefAttr::get(model.getSymNameAttr()))) {
    module.emitError("expected at most one step model, of @")
        << model.getSymName();
    return signalPassFailure();
  }
  ModelOp step = steps.empty() ? ModelOp() : steps.front();
  if (encodes.size() > 1 ||
      (encodes.size() == 1 &&
       (!step ||
        encodes.front()->getAttrOfType<FlatSymbolRefAttr>("nngc.encode_of") !=
            FlatSymbolRefAttr::get(model.getSymNameAttr())))) {
    module.emitError("expected at most one encode model, of @")
        << model.getSymName() << ", and only with its step model";
    return signalPassFailure();
  }
  ModelOp encode = encodes.empty() ? ModelOp() : encodes.front();
  bool cuda = target == "cuda";
  if (!cuda && target != "cpu") {
    module.emitError("unknown target '") << target << "' (cpu or cuda)";
    return signalPassFailure();
  }
  if (precision != "fp32" &&
      (!cuda || (precision != "tf32" && precision != "bf16"))) {
    module.emitError("precision '")
        << precision << "' needs target=cuda and must be fp32, tf32 or bf16";
    return signalPassFailure();
  }
  // The kernels' PTX (the GPU kernel pipeline's gpu.binary) becomes a
  // global of the host code; the device code leaves the module.
  std::string ptx;
  if (cuda) {
    for (auto binary :
         llvm::make_early_inc_range(module.getOps<gpu::BinaryOp>())) {
      for (Attribute a : binary.getObjects())
        if (auto object = dyn_cast<gpu::ObjectAttr>(a))
          ptx += object.getObject().getValue().str();
      binary.erase();
    }
    while (!ptx.empty() && ptx.back() == '\0')
      ptx.pop_back();
    if (ptx.empty()) {
      module.emitError("target=cuda needs the kernels' PTX: run the GPU "
                       "kernel pipeline (nngc-gpu-kernel-pipeline) first");
      return signalPassFailure();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
    module->removeAttr("nngc.gpu_missing");
  }
  if (cuda) {
    // Every op must have kernels or a CUDA lowering pattern of its own
    // (a runtime call); name each kind that has neither once, at its
    // first op.
    TypeConverter converter;
    NNLoweringState state;
    state.cuda = true;
    RewritePatternSet patterns(&getContext());
    populateCudaPatterns(patterns, converter, state);
    llvm::DenseSet<OperationName> lowered;
    for (const auto &p : patterns.getNativePatterns())
      if (std::optional<OperationName> root = p->getRootKind())
        lowered.insert(*root);
    llvm::StringSet<> named;
    bool ok = true;
    for (ModelOp m : {model, step, encode})
      if (m)
        for (Operation &op : m.getBodyBlock())
          if (!op.hasAttr("nngc.gpu_kernels") &&
              !lowered.contains(op.getName()) &&
              named.insert(op.getName().getStringRef()).second) {
            op.emitError("'")
                << op.getName() << "' has no CUDA lowering yet (docs/CUDA.md)";
            ok = false;
          }
    if (!ok)
      return signalPassFailure();
  }
  for (ModelOp m : {model, step, encode})
    if (m && !m->hasAttr("nngc.arena_bytes")) {
      m.emitOpError("has no memory plan: run nngc-plan-memory first");
      return signalPassFailure();
    }
  if (!body.getOps<MinimizeOp>().empty()) {
    model.emitOpError("still has nn.minimize: run nngc-autodiff and "
                      "nngc-optimizer first");
    return signalPassFailure();
  }
  for (ModelOp m : {step, encode})
    if (m && failed(checkSharedParams(model, m)))
      return signalPassFailure();

  // 1. What each entry point computes, as backward slices of its sinks.
  SmallVector<Operation *> sinks = opsOf<OutputOp>(body);
  llvm::DenseSet<Operation *> predict = backwardSlice(sinks);
  SmallVector<Operation *> losses = opsOf<LossOp>(body);
  sinks.append(losses);
  llvm::DenseSet<Operation *> eval = backwardSlice(sinks);
  SmallVector<Operation *> grads = opsOf<GradientOp>(body);
  sinks.append(grads);
  llvm::DenseSet<Operation *> grad = backwardSlice(sinks);
  llvm::DenseSet<Operation *> train, stepOps, encodeOps;
  for (Operation &op : body)
    train.insert(&op);
  if (step)
    for (Operation &op : step.getBodyBlock())
      stepOps.insert(&op);
  if (encode)
    for (Operation &op : encode.getBodyBlock())
      encodeOps.insert(&op);

  struct Entry {
    StringRef name;
    Block *body;
    llvm::DenseSet<Operation *> *ops;
    bool inference;
  };
  SmallVector<Entry> entries;
  entries.push_back({"predict", &body, &predict, true});
  if (!losses.empty())
    entries.push_back({"eval", &body, &eval, true});
  if (!grads.empty()) {
    entries.push_back({"grad", &body, &grad, false});
    entries.push_back({"train", &body, &train, false});
  }
  if (step)
    entries.push_back({"step", &step.getBodyBlock(), &stepOps, true});
  if (encode)
    entries.push_back({"encode", &encode.getBodyBlock(), &encodeOps, true});

  // Every op gets a module-unique slot for its runtime primitive. The ops
  // that keep state come first, in order: a slot also keys its op's
  // dropout masks, which must not depend on how many other ops fusion or
  // rematerialisation left (-O0 and -O2 draw the same masks). The
  // recomputations nngc-remat made (`nngc.recomputed`) come with the rest.
  int64_t slot = 0;
  Builder attrs(&getContext());
  for (bool stateful : {true, false})
    for (ModelOp m : {model, step, encode})
      if (m)
        for (Operation &op : m.getBodyBlock())
          if ((op.hasTrait<nn::OpTrait::KeepsState>() &&
               !op.hasAttr("nngc.recomputed")) == stateful)
            op.setAttr("nngc.slot", attrs.getI64IntegerAttr(slot++));
  // A backward op that reuses its forward op's primitive (nn.rnn_grad) or
  // mask (nn.dropout_grad) names that op's slot; the forward op learns that
  // it must keep what its backward needs.
  for (Operation &op : body) {
    auto [forwardResult, expected] = forwardOfBackwardOp(&op);
    if (expected.empty())
      continue;
    Operation *forward = forwardResult.getDefiningOp();
    if (!forward || forward->getName().getStringRef() != expected) {
      op.emitOpError("must take the results of its forward op (")
          << expected << ")";
      return signalPassFailure();
    }
    op.setAttr("nngc.forward_slot", forward->getAttr("nngc.slot"));
    forward->setAttr("nngc.has_backward", attrs.getUnitAttr());
  }

  // 2. The entry points and nngc_setup. The training entry points check
  // every op's results when the trainer asks (--check-numerics).
  // The checks are there already where the CUDA pipeline inserted them
  // before building kernels (nngc-insert-numerics-checks).
  json::Array numerics;
  if (numericsChecks && !grads.empty()) {
    if (body.getOps<CheckFiniteOp>().empty())
      insertNumericsChecks(body);
    for (CheckFiniteOp check : body.getOps<CheckFiniteOp>()) {
      auto id = static_cast<size_t>(check.getId());
      while (numerics.size() <= id)
        numerics.push_back("");
      numerics[id] = check.getWhat().value_or("").str();
      train.insert(check);
      if (grad.contains(check.getInput().getDefiningOp()))
        grad.insert(check);
    }
  }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = model.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(&getContext());
  auto voidType = LLVM::LLVMVoidType::get(&getContext());
  SmallVector<StringRef> entryNames;
  for (const Entry &e : entries) {
    entryNames.push_back(e.name);
    auto func = b.create<LLVM::LLVMFuncOp>(
        loc, ("nngc_" + e.name).str(),
        LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, ptr, ptr, ptr}));
    OpBuilder fb = OpBuilder::atBlockBegin(func.addEntryBlock(b));
    IRMapping mapping;
    for (Operation &op : *e.body) {
      if (!e.ops->contains(&op))
        continue;
      Operation *clone = fb.clone(op, mapping);
      if (e.inference)
        clone->setAttr("nngc.inference", attrs.getUnitAttr());
    }
    fb.create<LLVM::ReturnOp>(loc, ValueRange{});
  }
  auto setup = b.create<LLVM::LLVMFuncOp>(
      loc, "nngc_setup", LLVM::LLVMFunctionType::get(voidType, {ptr}));
  OpBuilder::atBlockBegin(setup.addEntryBlock(b))
      .create<LLVM::ReturnOp>(loc, ValueRange{});

  // 3. The manifest, NUL-terminated, for the runtime.
  std::string manifest =
      buildManifest(model, step, encode, entryNames, std::move(numerics), cuda,
                    cuda ? StringRef(precision) : StringRef("fp32"));
  manifest.push_back('\0');
  b.create<LLVM::GlobalOp>(
      loc, LLVM::LLVMArrayType::get(b.getI8Type(), manifest.size()),
      /*isConstant=*/true, LLVM::Linkage::External, "nngc_manifest",
      b.getStringAttr(manifest));
  if (cuda) {
    // The kernels, NUL-terminated for cuModuleLoadData.
    std::string text = ptx;
    text.push_back('\0');
    b.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(b.getI8Type(), text.size()),
        /*isConstant=*/true, LLVM::Linkage::External, "nngc_cuda_ptx",
        b.getStringAttr(text));
  }
  model.erase();
  for (ModelOp m : {step, encode})
    if (m)
      m.erase();

  // 4. Lower every nn op. Tensors become pointers into the buffers.
  TypeConverter converter;
  converter.addConversion([](Type t) { return t; });
  converter.addConversion([&](RankedTensorType) -> Type { return ptr; });
  NNLoweringState state;
  state.cuda = cuda;
  RewritePatternSet patterns(&getContext());
  if (cuda) {
    populateCudaPatterns(patterns, converter, state);
  } else {
    populateModelOpLoweringPatterns(patterns, converter, state);
    populateLayerOpLoweringPatterns(patterns, converter, state);
    populateElementwiseOpLoweringPatterns(patterns, converter, state);
    populateLossOpLoweringPatterns(patterns, converter, state);
    populateSequenceOpLoweringPatterns(patterns, converter, state);
    populateTensorOpLoweringPatterns(patterns, converter, state);
    populateTransformerOpLoweringPatterns(patterns, converter, state);
    populateOptimizerOpLoweringPatterns(patterns, converter, state);
    populateFusedOpLoweringPatterns(patterns, converter, state);
    populateDistributedOpLoweringPatterns(patterns, converter, state);
  }
  ConversionTarget target(getContext());
  target.addLegalDialect<LLVM::LLVMDialect>();
  target.addIllegalDialect<NNDialect>();
  target.addLegalOp<ModuleOp>();
  if (failed(applyFullConversion(module, target, std::move(patterns))))
    signalPassFailure();
}
