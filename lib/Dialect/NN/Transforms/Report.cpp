//===- Report.cpp - what a planned training graph costs -------------------===//
//
// `nngc compile --report` (and the manifest's "report", which the trainer's
// `info` prints): parameters, FLOPs per training step by op kind, kernels
// before and after nngc-fuse, and the memory plan.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/Transforms/Report.h"
#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Runtime/ABI.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
namespace json = llvm::json;

bool nngc::nn::isKernelOp(Operation *op) {
  return !isa<InputOp, ParamOp, StateOp, ReshapeOp, GradientOp, OutputOp,
              LossOp, MinimizeOp, CheckFiniteOp, AllReduceStartOp,
              AllReduceWaitOp>(op);
}

int64_t nngc::nn::countKernels(ModelOp model) {
  int64_t n = 0;
  for (Operation &op : model.getBodyBlock())
    n += isKernelOp(&op);
  return n;
}

static int64_t elements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

int64_t nngc::nn::primitiveWorkspaceBytes(ModelOp model) {
  // The attention probabilities of each layer with a backward, one scratch
  // pair of one chunk's scores shared by all layers (the largest op's; the
  // kernels' chunk rule, nngc_attention_chunk), and two statistics per
  // layer-norm row.
  int64_t keptBytes = 0, scratchBytes = 0;
  for (Operation &op : model.getBodyBlock()) {
    if (auto a = dyn_cast<AttentionOp>(op)) {
      int64_t probs = 4 * a.getNumScores();
      ArrayRef<int64_t> q =
          cast<RankedTensorType>(a.getQuery().getType()).getShape();
      int64_t tk = cast<RankedTensorType>(a.getKey().getType()).getShape()[1];
      int64_t chunk = nngc_attention_chunk(q[0], a.getHeads(), q[1], tk);
      scratchBytes = std::max(scratchBytes, 2 * probs / q[0] * chunk);
      // A backward that recomputes the probabilities (nngc-remat) keeps
      // none: it recomputes them in the scratch.
      if (a.hasBackward() && !a->hasAttr("nngc.recompute_probs"))
        keptBytes += probs;
    }
    if (auto ln = dyn_cast<LayerNormOp>(op))
      keptBytes += 2 * 4 * elements(ln.getInput()) / ln.getNormalizedSize();
  }
  return keptBytes + scratchBytes;
}

static int64_t intAttr(ModelOp model, StringRef name) {
  auto a = model->getAttrOfType<IntegerAttr>(name);
  return a ? a.getInt() : 0;
}

std::optional<Storage> nngc::nn::readPlannedStorage(Operation *op,
                                                    unsigned result) {
  if (auto spaces = op->getAttrOfType<ArrayAttr>("nngc.spaces")) {
    auto offsets = op->getAttrOfType<DenseI64ArrayAttr>("nngc.offsets");
    if (!offsets || result >= spaces.size())
      return std::nullopt;
    return Storage{cast<StringAttr>(spaces[result]).getValue(),
                   offsets[result]};
  }
  auto space = op->getAttrOfType<StringAttr>("nngc.space");
  auto offset = op->getAttrOfType<IntegerAttr>("nngc.offset");
  if (!space || !offset || result != 0)
    return std::nullopt;
  return Storage{space.getValue(), offset.getInt()};
}

/// The planned storage of the value `v`, if it has one.
static std::optional<Storage> storageOf(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  return readPlannedStorage(def, cast<OpResult>(v).getResultNumber());
}

/// The FLOPs of one kernel op: its FlopCountOpInterface, else one per
/// result element; an optimizer update also about one per element read.
static int64_t opFlops(Operation *op) {
  int64_t flops = 0;
  if (auto f = dyn_cast<FlopCountOpInterface>(op))
    flops = f.getFlops();
  else
    for (Value r : op->getResults())
      flops += isa<RankedTensorType>(r.getType()) ? elements(r) : 0;
  if (isa<AdamUpdateOp, SGDUpdateOp, MultiAdamUpdateOp, MultiSGDUpdateOp>(op))
    for (Value operand : op->getOperands())
      flops += elements(operand);
  return flops;
}

/// nngc-distribute's buckets: for each, its parameters and bytes, where
/// its all-reduce starts and is waited for (op indices), and the FLOPs of
/// the kernels between the two, which the all-reduce can overlap.
static json::Array bucketsJson(ModelOp model) {
  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0;
  for (Operation &op : model.getBodyBlock())
    index[&op] = n++;
  json::Array list;
  for (AllReduceWaitOp wait : model.getBodyBlock().getOps<AllReduceWaitOp>()) {
    AllReduceStartOp start = wait.getStart();
    int64_t bytes = 0, overlap = 0;
    for (Value g : start.getGrads())
      bytes += 4 * elements(g);
    for (Operation *op = start->getNextNode(); op && op != wait.getOperation();
         op = op->getNextNode())
      if (isKernelOp(op))
        overlap += opFlops(op);
    json::Array params;
    if (auto names = model->getAttrOfType<ArrayAttr>("nngc.buckets"))
      if (start.getBucket() < static_cast<int64_t>(names.size()))
        for (Attribute a : cast<ArrayAttr>(names[start.getBucket()]))
          params.push_back(cast<StringAttr>(a).getValue());
    list.push_back(json::Object{{"bucket", start.getBucket()},
                                {"parameters", std::move(params)},
                                {"bytes", bytes},
                                {"start", index.lookup(start)},
                                {"wait", index.lookup(wait)},
                                {"overlap_flops", overlap}});
  }
  return list;
}

json::Object nngc::nn::buildReport(ModelOp model, bool schedule) {
  Block &body = model.getBodyBlock();
  int64_t params = 0;
  for (ParamOp p : body.getOps<ParamOp>())
    params += elements(p.getResult());
  std::map<std::string, int64_t> flopsByKind;
  int64_t totalFlops = 0;
  for (Operation &op : body) {
    if (!isKernelOp(&op))
      continue;
    int64_t flops = opFlops(&op);
    std::string kind = op.getName().stripDialect().str();
    flopsByKind[kind] += flops;
    totalFlops += flops;
  }
  json::Object byKind;
  for (auto &[kind, flops] : flopsByKind)
    byKind[kind] = flops;

  int64_t paramBytes = intAttr(model, "nngc.param_bytes");
  int64_t stateBytes = intAttr(model, "nngc.state_bytes");
  int64_t arenaBytes = intAttr(model, "nngc.arena_bytes");
  int64_t workspace = primitiveWorkspaceBytes(model);
  bool training = !body.getOps<GradientOp>().empty();
  int64_t gradBytes = training ? paramBytes : 0;
  int64_t kernels = countKernels(model);
  auto before = model->getAttrOfType<IntegerAttr>("nngc.kernels_before_fusion");

  json::Object report{
      {"model", model.getSymName()},
      {"parameters", params},
      {"flops_per_step", totalFlops},
      {"flops_by_kind", std::move(byKind)},
      {"kernels_before_fusion", before ? before.getInt() : kernels},
      {"kernels", kernels},
      {"memory", json::Object{{"parameters", paramBytes},
                              {"optimizer_state", stateBytes},
                              {"gradients", gradBytes},
                              {"activations", arenaBytes},
                              {"workspace", workspace},
                              {"total", paramBytes + stateBytes + gradBytes +
                                            arenaBytes + workspace}}},
  };
  json::Array buckets = bucketsJson(model);
  if (!buckets.empty())
    report["all_reduce_buckets"] = std::move(buckets);
  if (!schedule)
    return report;

  // Every arena buffer: what defines it, when it lives, where.
  auto buffers = arenaBuffers(
      model,
      [](Value v) {
        std::optional<Storage> s = storageOf(v);
        return !s || s->space != "arena" || v.getDefiningOp<ReshapeOp>();
      },
      model->hasAttr("nngc.in_place"));
  json::Array list;
  for (const ArenaBuffer &b : buffers) {
    json::Array values;
    for (Value v : b.values) {
      std::string name;
      llvm::raw_string_ostream os(name);
      os << v.getDefiningOp()->getName().stripDialect();
      if (v.getDefiningOp()->getNumResults() > 1)
        os << "#" << cast<OpResult>(v).getResultNumber();
      values.push_back(name);
    }
    list.push_back(
        json::Object{{"values", std::move(values)},
                     {"start", b.start},
                     {"end", b.end},
                     {"bytes", b.size},
                     {"offset", storageOf(b.values.front())->offset}});
  }
  report["schedule"] =
      json::Object{{"ops", static_cast<int64_t>(body.getOperations().size())},
                   {"buffers", std::move(list)}};
  return report;
}

static std::string mib(int64_t bytes) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.2f MiB", bytes / 1048576.0);
  return s;
}

std::string nngc::nn::renderReport(const json::Object &report) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto num = [&](StringRef key) { return report.getInteger(key).value_or(0); };
  os << "model " << report.getString("model").value_or("") << "\n";
  os << "  parameters       " << num("parameters") << "\n";
  int64_t total = num("flops_per_step");
  os << llvm::format("  FLOPs per step   %.4g GFLOP\n", total / 1e9);
  if (const json::Object *byKind = report.getObject("flops_by_kind")) {
    std::vector<std::pair<int64_t, std::string>> kinds;
    for (const auto &kv : *byKind)
      kinds.push_back({*kv.second.getAsInteger(), kv.first.str()});
    llvm::sort(kinds, [](auto &a, auto &b) { return a.first > b.first; });
    for (auto &[flops, kind] : kinds)
      os << llvm::format("    %-22s %12.4g  %5.1f %%\n", kind.c_str(),
                         double(flops), total ? 100.0 * flops / total : 0.0);
  }
  os << "  kernels          " << num("kernels") << " ("
     << num("kernels_before_fusion") << " before fusion)\n";
  if (const json::Object *m = report.getObject("memory")) {
    auto get = [&](StringRef k) { return m->getInteger(k).value_or(0); };
    os << "  memory plan      " << mib(get("total")) << "\n";
    for (StringRef k : {"parameters", "optimizer_state", "gradients",
                        "activations", "workspace"})
      os << llvm::format("    %-22s ", k.str().c_str()) << mib(get(k)) << "\n";
  }
  if (const json::Array *buckets = report.getArray("all_reduce_buckets")) {
    os << "  all-reduce       " << buckets->size()
       << " buckets (start and wait at op; FLOPs of the kernels between, "
          "which the all-reduce overlaps):\n";
    for (const json::Value &b : *buckets) {
      const json::Object &o = *b.getAsObject();
      const json::Array *params = o.getArray("parameters");
      std::string names;
      if (params && !params->empty()) {
        names = params->front().getAsString().value_or("").str();
        if (params->size() > 1)
          names += " .. " + params->back().getAsString().value_or("").str();
      }
      int64_t overlap = o.getInteger("overlap_flops").value_or(0);
      os << llvm::format("    %3lld  %10s  ops %5lld..%5lld  %10.4g FLOP "
                         "(%5.1f %%)  %zu params  ",
                         (long long)o.getInteger("bucket").value_or(0),
                         mib(o.getInteger("bytes").value_or(0)).c_str(),
                         (long long)o.getInteger("start").value_or(0),
                         (long long)o.getInteger("wait").value_or(0),
                         double(overlap), total ? 100.0 * overlap / total : 0.0,
                         params ? params->size() : size_t(0))
         << names << "\n";
    }
  }
  if (const json::Object *s = report.getObject("schedule")) {
    os << "  schedule         " << s->getInteger("ops").value_or(0)
       << " ops; arena buffers (live from op to op):\n";
    if (const json::Array *buffers = s->getArray("buffers"))
      for (const json::Value &b : *buffers) {
        const json::Object &o = *b.getAsObject();
        std::string values;
        for (const json::Value &v : *o.getArray("values"))
          values += (values.empty() ? "" : " -> ") + v.getAsString()->str();
        os << llvm::format("    [%5lld, %5lld]  offset %10lld  %10lld B  ",
                           (long long)*o.getInteger("start"),
                           (long long)*o.getInteger("end"),
                           (long long)*o.getInteger("offset"),
                           (long long)*o.getInteger("bytes"))
           << values << "\n";
      }
  }
  return text;
}
