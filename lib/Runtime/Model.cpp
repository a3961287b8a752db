//===- Model.cpp - A compiled model: manifest, buffers, entry points ------===//

#include "nngc/Runtime/Model.h"
#include "nngc/Runtime/ABI.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

using namespace nngc::rt;

// The entry points a model may lack (an inference-only model has no
// nngc_train): weak, so the runtime links either way.
extern "C" {
__attribute__((weak)) void nngc_train(void *, void *, void *, void *, void *);
__attribute__((weak)) void nngc_grad(void *, void *, void *, void *, void *);
__attribute__((weak)) void nngc_eval(void *, void *, void *, void *, void *);
__attribute__((weak)) void nngc_predict(void *, void *, void *, void *, void *);
__attribute__((weak)) void nngc_step(void *, void *, void *, void *, void *);
__attribute__((weak)) void nngc_encode(void *, void *, void *, void *, void *);
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorInfo::perRow() const {
  return shape.empty() ? 1 : numElements() / shape[0];
}

static void readTensorInfo(const Json &j, TensorInfo &t) {
  t.name = j.at("name").asString();
  t.shape = j.at("shape").asIntVector();
  t.offset = j.at("offset").asInt();
}

static OutputInfo readOutputInfo(const Json &j) {
  OutputInfo out;
  readTensorInfo(j, out);
  out.space = j.at("space").asString();
  return out;
}

Manifest Manifest::parse(const std::string &text) {
  Json j = Json::parse(text);
  Manifest m;
  m.model = j.at("model").asString();
  m.batch = j.at("batch").asInt();
  m.arenaBytes = j.at("arena_bytes").asInt();
  if (j.has("kept_bytes"))
    m.keptBytes = j.at("kept_bytes").asInt();
  if (j.has("report"))
    m.report = j.at("report");
  m.paramBytes = j.at("param_bytes").asInt();
  m.stateBytes = j.at("state_bytes").asInt();
  for (const Json &i : j.at("inputs").array) {
    InputInfo in;
    readTensorInfo(i, in);
    in.isLabel = i.at("role").asString() == "label";
    in.isInt = i.at("dtype").asString() == "i64";
    in.classes = i.at("classes").asInt();
    in.vocab = i.at("vocab").asInt();
    in.binary = i.at("binary").boolean;
    m.inputs.push_back(in);
  }
  for (const Json &p : j.at("params").array) {
    ParamInfo info;
    readTensorInfo(p, info);
    info.init = p.at("init").asString();
    for (const Json &a : p.at("init_args").array)
      info.initArgs.push_back(a.asNumber());
    info.fanIn = p.at("fan_in").asInt();
    info.fanOut = p.at("fan_out").asInt();
    info.zeroRow = p.at("zero_row").asInt();
    m.params.push_back(info);
  }
  for (const Json &s : j.at("state").array) {
    TensorInfo info;
    readTensorInfo(s, info);
    m.state.push_back(info);
  }
  for (const Json &o : j.at("outputs").array)
    m.outputs.push_back(readOutputInfo(o));
  if (j.has("loss")) {
    m.hasLoss = true;
    m.lossSpace = j.at("loss").at("space").asString();
    m.lossOffset = j.at("loss").at("offset").asInt();
  }
  if (j.has("optimizer")) {
    m.optimizer = j.at("optimizer");
    m.schedule.compiledLr = m.optimizer.at("lr").asNumber();
  }
  if (j.has("clip_grad_norm"))
    m.clipGradNorm = j.at("clip_grad_norm").asNumber();
  if (j.has("schedule")) {
    const Json &s = j.at("schedule");
    const std::string kind = s.at("kind").asString();
    m.schedule.warmup = s.at("warmup").asInt();
    if (kind == "warmup_cosine") {
      m.schedule.kind = Schedule::WarmupCosine;
      m.schedule.decaySteps = s.at("decay_steps").asInt();
      m.schedule.minLr = s.at("min_lr").asNumber();
    } else {
      m.schedule.kind = Schedule::StepLR;
      m.schedule.stepSize = s.at("step_size").asInt();
      m.schedule.gamma = s.at("gamma").asNumber();
    }
  }
  if (j.has("grad_norm"))
    m.gradNormOffset = j.at("grad_norm").at("offset").asInt();
  for (const Json &e : j.at("entries").array)
    m.entries.push_back(e.asString());
  auto readDerived = [&](const Json &st) {
    StepInfo step;
    step.arenaBytes = st.at("arena_bytes").asInt();
    auto optionalString = [](const Json &i, const char *key) {
      return i.has(key) ? i.at(key).asString() : std::string();
    };
    for (const Json &i : st.at("inputs").array) {
      StepInfo::Input in;
      readTensorInfo(i, in);
      in.isInt = i.at("dtype").asString() == "i64";
      in.carriedFrom = optionalString(i, "carried_from");
      in.initialFrom = optionalString(i, "initial_from");
      in.fromEncode = optionalString(i, "from_encode");
      in.batchAxis = i.has("batch_axis") ? i.at("batch_axis").asInt() : 0;
      in.isPosition = i.has("position") && i.at("position").boolean;
      step.inputs.push_back(in);
    }
    for (const Json &o : st.at("outputs").array)
      step.outputs.push_back(readOutputInfo(o));
    return step;
  };
  if (j.has("step"))
    m.step = readDerived(j.at("step"));
  if (j.has("encode"))
    m.encode = readDerived(j.at("encode"));
  if (j.has("numerics")) {
    m.hasNumericsChecks = true;
    for (const Json &n : j.at("numerics").array)
      m.numerics.push_back(n.asString());
  }
  if (j.has("step_note"))
    m.stepNote = j.at("step_note").asString();
  if (j.has("distributed"))
    m.distributed = j.at("distributed").asString();
  if (j.has("target"))
    m.target = j.at("target").asString();
  if (j.has("precision"))
    m.precision = j.at("precision").asString();
  if (j.has("cuda_workspace_bytes"))
    m.cudaWorkspaceBytes = j.at("cuda_workspace_bytes").asInt();
  return m;
}

const OutputInfo *StepInfo::output(const std::string &name) const {
  for (const OutputInfo &o : outputs)
    if (o.name == name)
      return &o;
  return nullptr;
}

const StepInfo::Input *StepInfo::input(const std::string &name) const {
  for (const Input &in : inputs)
    if (in.name == name)
      return &in;
  return nullptr;
}

bool Manifest::hasEntry(const std::string &name) const {
  for (const std::string &e : entries)
    if (e == name)
      return true;
  return false;
}

int64_t Manifest::parameterCount() const {
  int64_t n = 0;
  for (const ParamInfo &p : params)
    n += p.numElements();
  return n;
}

Buffer::Buffer(int64_t size) : bytes(size) {
  if (!size)
    return;
  // calloc, not aligned_alloc and memset: a large block comes zeroed from
  // the OS (mmap) and its pages are only mapped when first touched, so a
  // CUDA trainer's host copy of the arena, of which it only reads and
  // writes the inputs and outputs, costs the memory of those alone.
  raw = std::calloc(static_cast<size_t>(size) + 63, 1);
  if (!raw)
    throw std::runtime_error("out of memory allocating " +
                             std::to_string(size) + " bytes");
  auto at = reinterpret_cast<uintptr_t>(raw);
  ptr = reinterpret_cast<uint8_t *>((at + 63) / 64 * 64);
}

Buffer::~Buffer() { std::free(raw); }

Model::Model()
    : manifest(Manifest::parse(nngc_manifest)), arena(manifest.arenaBytes),
      params(manifest.paramBytes), grads(manifest.paramBytes),
      state(manifest.stateBytes),
      stepArena(manifest.step ? manifest.step->arenaBytes : 0),
      encodeArena(manifest.encode ? manifest.encode->arenaBytes : 0) {
  ctx.batch = manifest.batch;
  ctx.validRows = manifest.batch;
  ctx.clipNorm = manifest.clipGradNorm;
  schedule = manifest.schedule;
  ctx.numericsOps = manifest.numerics;
  if (manifest.target == "cuda") {
    if (!nngc_cuda_open_device)
      throw std::runtime_error("this trainer was compiled with --target=cuda "
                               "but linked without nngc's CUDA runtime "
                               "(libnngc_cuda.a)");
    ctx.precision = manifest.precision == "tf32"   ? Context::Precision::TF32
                    : manifest.precision == "bf16" ? Context::Precision::BF16
                                                   : Context::Precision::FP32;
    device = nngc_cuda_open_device(&ctx);
    device->reserveProductWorkspace(manifest.cudaWorkspaceBytes);
  }
  nngc_setup(&ctx);
  // A CUDA trainer's setup can fail (a kernel the driver cannot load, a
  // product cuBLASLt has no algorithm for).
  if (!ctx.error.empty())
    throw std::runtime_error(ctx.error);
  if (device) {
    // One device allocation for the plan's buffers and the runtime's own
    // (what nngc_setup asked for: the products' workspace, attention's
    // and the recurrent layers' buffers), each part 256-byte aligned.
    uint8_t *runtimeBuffers = nullptr;
    uint8_t **parts[] = {&onDevice.arena,     &onDevice.params,
                         &onDevice.grads,     &onDevice.state,
                         &onDevice.stepArena, &onDevice.encodeArena,
                         &runtimeBuffers};
    int64_t sizes[] = {static_cast<int64_t>(arena.size()),
                       static_cast<int64_t>(params.size()),
                       static_cast<int64_t>(grads.size()),
                       static_cast<int64_t>(state.size()),
                       static_cast<int64_t>(stepArena.size()),
                       static_cast<int64_t>(encodeArena.size()),
                       device->runtimeBufferBytes()};
    auto aligned = [](int64_t n) { return (n + 255) / 256 * 256; };
    int64_t total = 0;
    for (int64_t n : sizes)
      total += aligned(n);
    auto *base = static_cast<uint8_t *>(device->allocate(total));
    for (size_t i = 0, at = 0; i < std::size(parts); at += aligned(sizes[i++]))
      *parts[i] = sizes[i] > 0 ? base + at : nullptr;
    device->placeRuntimeBuffers(runtimeBuffers);
    deviceBytes = total;
    runtimeDeviceBytes = sizes[std::size(sizes) - 1];
    lossSlots = static_cast<float *>(
        device->allocateHost(kLossesInFlight * sizeof(float)));
    if (!ctx.error.empty())
      throw std::runtime_error(ctx.error);
  }
}

void Model::hostWillTouchParams() {
  if (!device)
    return;
  if (deviceParamsNewer) {
    device->download(params.data(), onDevice.params, params.size());
    device->download(grads.data(), onDevice.grads, grads.size());
    device->download(state.data(), onDevice.state, state.size());
    deviceParamsNewer = false;
  }
  hostParamsNewer = true;
}

void Model::uploadParamsIfChanged() {
  if (!device || !hostParamsNewer)
    return;
  device->upload(onDevice.params, params.data(), params.size());
  device->upload(onDevice.grads, grads.data(), grads.size());
  device->upload(onDevice.state, state.data(), state.size());
  hostParamsNewer = false;
}

float *Model::param(const ParamInfo &p) {
  hostWillTouchParams();
  return reinterpret_cast<float *>(params.data() + p.offset);
}
float *Model::grad(const ParamInfo &p) {
  hostWillTouchParams();
  return reinterpret_cast<float *>(grads.data() + p.offset);
}
float *Model::stateOf(const TensorInfo &s) {
  hostWillTouchParams();
  return reinterpret_cast<float *>(state.data() + s.offset);
}
void *Model::input(const InputInfo &in) { return arena.data() + in.offset; }

static uint8_t *spaceBase(Model &m, const std::string &space) {
  if (space == "arena")
    return m.arena.data();
  if (space == "param")
    return m.params.data();
  if (space == "grad")
    return m.grads.data();
  return m.state.data();
}

/// The bytes of a tensor of `shape` with `elementBytes`-byte elements.
static int64_t bytesOfShape(const std::vector<int64_t> &shape,
                            int64_t elementBytes) {
  int64_t n = elementBytes;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// A CUDA trainer reads a value of the arena: download it first.
static void downloadArenaRange(Model &m, int64_t offset, int64_t bytes) {
  if (m.device)
    m.device->download(m.arena.data() + offset, m.onDevice.arena + offset,
                       bytes);
}

const float *Model::output(const OutputInfo &out) {
  if (out.space == "arena")
    downloadArenaRange(*this, out.offset, bytesOfShape(out.shape, 4));
  else
    hostWillTouchParams();
  return reinterpret_cast<const float *>(spaceBase(*this, out.space) +
                                         out.offset);
}

float Model::loss() {
  if (!manifest.hasLoss)
    throw std::runtime_error("this model has no loss");
  if (manifest.lossSpace == "arena")
    downloadArenaRange(*this, manifest.lossOffset, 4);
  else
    hostWillTouchParams();
  return *reinterpret_cast<const float *>(spaceBase(*this, manifest.lossSpace) +
                                          manifest.lossOffset);
}

const float *Model::lossLater() {
  int i = nextLossSlot;
  nextLossSlot = (nextLossSlot + 1) % kLossesInFlight;
  if (device && manifest.hasLoss && manifest.lossSpace == "arena") {
    device->downloadLater(lossSlots + i, onDevice.arena + manifest.lossOffset,
                          4);
    return lossSlots + i;
  }
  hostLossSlots[i] = loss();
  return hostLossSlots + i;
}

void Model::initParams(uint64_t seed) {
  hostWillTouchParams();
  for (size_t i = 0; i < manifest.params.size(); ++i) {
    const ParamInfo &p = manifest.params[i];
    std::mt19937_64 rng(seed * 1000003u + i);
    float *w = param(p);
    int64_t n = p.numElements();
    auto arg = [&](size_t k, double def) {
      return k < p.initArgs.size() ? p.initArgs[k] : def;
    };
    auto uniform = [&](double a, double b) {
      std::uniform_real_distribution<double> d(a, b);
      for (int64_t j = 0; j < n; ++j)
        w[j] = static_cast<float>(d(rng));
    };
    auto normal = [&](double mean, double std) {
      std::normal_distribution<double> d(mean, std);
      for (int64_t j = 0; j < n; ++j)
        w[j] = static_cast<float>(d(rng));
    };
    double kaimingGain = std::sqrt(2.0 / (1.0 + arg(0, 0) * arg(0, 0)));
    if (p.init == "zeros")
      std::fill(w, w + n, 0.f);
    else if (p.init == "ones")
      std::fill(w, w + n, 1.f);
    else if (p.init == "constant")
      std::fill(w, w + n, static_cast<float>(arg(0, 0)));
    else if (p.init == "normal")
      normal(arg(0, 0), arg(1, 1));
    else if (p.init == "uniform")
      uniform(arg(0, 0), arg(1, 1));
    else if (p.init == "xavier_uniform") {
      double b = arg(0, 1) * std::sqrt(6.0 / (p.fanIn + p.fanOut));
      uniform(-b, b);
    } else if (p.init == "xavier_normal")
      normal(0, arg(0, 1) * std::sqrt(2.0 / (p.fanIn + p.fanOut)));
    else if (p.init == "kaiming_uniform") {
      double b = kaimingGain * std::sqrt(3.0 / p.fanIn);
      uniform(-b, b);
    } else if (p.init == "kaiming_normal")
      normal(0, kaimingGain / std::sqrt(static_cast<double>(p.fanIn)));
    else
      throw std::runtime_error("unknown initialiser '" + p.init + "' for " +
                               p.name);
    if (p.zeroRow >= 0 && p.shape.size() == 2 && p.zeroRow < p.shape[0])
      std::fill(w + p.zeroRow * p.shape[1], w + (p.zeroRow + 1) * p.shape[1],
                0.f);
  }
}

void Model::resetOptimizer() {
  hostWillTouchParams();
  if (state.size())
    std::memset(state.data(), 0, state.size());
  ctx.step = 0;
}

void Model::run(void (*entry)(void *, void *, void *, void *, void *),
                const char *name, bool updates) {
  if (!entry)
    throw std::runtime_error(std::string("this model has no '") + name +
                             "' entry point (no nn.minimize or no loss?)");
  ctx.error.clear();
  ctx.numericsFailed = false;
  if (device) {
    // The batch to the device, the kernels queued on its stream; nothing
    // comes back until the trainer reads a value.
    uploadParamsIfChanged();
    for (const InputInfo &in : manifest.inputs)
      device->upload(onDevice.arena + in.offset, arena.data() + in.offset,
                     bytesOfShape(in.shape, in.isInt ? 8 : 4));
    device->runEntry(ctx, name, entry, onDevice.arena, onDevice.params,
                     onDevice.grads, onDevice.state);
    deviceParamsNewer |= updates;
    // The checks are in the updating entry points (train, grad) only.
    if (updates && ctx.checkNumerics && ctx.error.empty())
      device->reportNumerics(ctx);
  } else {
    entry(&ctx, arena.data(), params.data(), grads.data(), state.data());
  }
  if (ctx.numericsFailed)
    throw NumericsError(ctx.error);
  if (!ctx.error.empty())
    throw std::runtime_error(ctx.error);
}

double Schedule::scaleAt(int64_t it) const {
  double lr = compiledLr * baseScale;
  if (compiledLr <= 0)
    return baseScale;
  if (kind != Constant && it < warmup)
    return baseScale * (it + 1) / (warmup + 1);
  switch (kind) {
  case Constant:
    return baseScale;
  case WarmupCosine: {
    if (it > decaySteps)
      return minLr / compiledLr;
    double ratio = double(it - warmup) / double(decaySteps - warmup);
    double coeff = 0.5 * (1.0 + std::cos(M_PI * ratio));
    return (minLr + coeff * (lr - minLr)) / compiledLr;
  }
  case StepLR:
    return baseScale * std::pow(gamma, double((it - warmup) / stepSize));
  }
  return baseScale;
}

std::string Schedule::describe() const {
  std::ostringstream os;
  switch (kind) {
  case Constant:
    os << "constant";
    break;
  case WarmupCosine:
    os << "warmup_cosine (warmup " << warmup << ", decay_steps " << decaySteps
       << ", min_lr " << minLr << ")";
    break;
  case StepLR:
    os << "step_lr (warmup " << warmup << ", step_size " << stepSize
       << ", gamma " << gamma << ")";
    break;
  }
  return os.str();
}

void Model::train() {
  ctx.lrScale = schedule.scaleAt(ctx.step);
  ++ctx.step;
  run(nngc_train, "train", true);
}
void Model::computeGrad() { run(nngc_grad, "grad", true); }
void Model::eval() { run(nngc_eval, "eval", false); }
void Model::predict() { run(nngc_predict, "predict", false); }

/// A derived model's step on a CUDA trainer: its whole (small) arena goes
/// up, runs, and comes back, so that the host's state handling (carried
/// states, beam reordering) works on current values.
static void runDerived(Model &m, Buffer &arena, uint8_t *deviceArena,
                       void (*entry)(void *, void *, void *, void *, void *),
                       const char *name) {
  if (!m.device) {
    entry(&m.ctx, arena.data(), m.params.data(), m.grads.data(),
          m.state.data());
    return;
  }
  m.device->upload(deviceArena, arena.data(), arena.size());
  m.device->runEntry(m.ctx, name, entry, deviceArena, m.onDevice.params,
                     m.onDevice.grads, m.onDevice.state);
  m.device->download(arena.data(), deviceArena, arena.size());
}

void Model::step() {
  if (!manifest.step || !nngc_step)
    throw std::runtime_error(
        "this model has no 'step' entry point" +
        (manifest.stepNote.empty() ? std::string() : ": " + manifest.stepNote));
  ctx.error.clear();
  uploadParamsIfChanged();
  runDerived(*this, stepArena, onDevice.stepArena, nngc_step, "step");
  if (!ctx.error.empty())
    throw std::runtime_error(ctx.error);
}

void *Model::stepInput(const StepInfo::Input &in) {
  return stepArena.data() + in.offset;
}

const float *Model::stepOutput(const OutputInfo &out) {
  uint8_t *base =
      out.space == "arena" ? stepArena.data() : spaceBase(*this, out.space);
  return reinterpret_cast<const float *>(base + out.offset);
}

void Model::encode() {
  if (!manifest.encode || !nngc_encode)
    throw std::runtime_error("this model has no 'encode' entry point");
  ctx.error.clear();
  uploadParamsIfChanged();
  runDerived(*this, encodeArena, onDevice.encodeArena, nngc_encode, "encode");
  if (!ctx.error.empty())
    throw std::runtime_error(ctx.error);
}

void *Model::encodeInput(const StepInfo::Input &in) {
  return encodeArena.data() + in.offset;
}

const void *Model::encoded(const std::string &name) {
  if (manifest.encode) {
    if (const OutputInfo *out = manifest.encode->output(name))
      return (out->space == "arena" ? encodeArena.data()
                                    : spaceBase(*this, out->space)) +
             out->offset;
    if (const StepInfo::Input *in = manifest.encode->input(name))
      return encodeInput(*in);
  }
  throw std::runtime_error("the step model reads '" + name +
                           "', which the encode model does not compute");
}

void Model::resetStepState() {
  for (const StepInfo::Input &in : manifest.step->inputs) {
    int64_t bytes = in.numElements() * (in.isInt ? 8 : 4);
    const std::string &from =
        in.fromEncode.empty() ? in.initialFrom : in.fromEncode;
    if (!from.empty())
      std::memcpy(stepInput(in), encoded(from), bytes);
    else if (!in.carriedFrom.empty())
      std::memset(stepInput(in), 0, bytes);
  }
}

void Model::reorderStepState(const std::vector<int64_t> &rows) {
  std::vector<float> old;
  for (const StepInfo::Input &in : manifest.step->inputs) {
    if (in.carriedFrom.empty())
      continue;
    int64_t axis = in.batchAxis, outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= in.shape[d];
    for (size_t d = axis + 1; d < in.shape.size(); ++d)
      inner *= in.shape[d];
    int64_t batch = in.shape[axis];
    auto *data = static_cast<float *>(stepInput(in));
    old.assign(data, data + in.numElements());
    for (int64_t o = 0; o < outer; ++o)
      for (size_t r = 0; r < rows.size() && int64_t(r) < batch; ++r) {
        if (rows[r] < 0 || rows[r] >= batch)
          throw std::runtime_error("reorderStepState: row " +
                                   std::to_string(rows[r]) + " of " +
                                   std::to_string(batch));
        std::memcpy(data + (o * batch + r) * inner,
                    old.data() + (o * batch + rows[r]) * inner,
                    inner * sizeof(float));
      }
  }
}

void Model::carryStepState() {
  // Inputs live through the whole step in the memory plan, so no output
  // overlaps a state input.
  for (const StepInfo::Input &in : manifest.step->inputs) {
    if (in.carriedFrom.empty())
      continue;
    const OutputInfo *out = manifest.step->output(in.carriedFrom);
    if (!out || out->numElements() != in.numElements())
      throw std::runtime_error("step state '" + in.name +
                               "' has no matching output");
    std::memcpy(stepInput(in), stepOutput(*out),
                in.numElements() * sizeof(float));
  }
}

std::string Model::signature() const {
  std::string s;
  for (const ParamInfo &p : manifest.params) {
    s += p.name + ":F32[";
    for (int64_t d : p.shape)
      s += std::to_string(d) + ",";
    s += "];";
  }
  return hex64(xxh64(s.data(), s.size()));
}

const char *nngc::rt::runtimeVersion() { return NNGC_VERSION; }

SafetensorsFile Model::checkpoint() {
  hostWillTouchParams();
  SafetensorsFile file;
  for (const ParamInfo &p : manifest.params)
    file.tensors[p.name] = Tensor::f32(p.shape, param(p));
  for (const TensorInfo &s : manifest.state)
    file.tensors[s.name] = Tensor::f32(s.shape, stateOf(s));
  if (!manifest.state.empty() || !manifest.optimizer.object.empty()) {
    int64_t step = ctx.step;
    file.tensors["optimizer.step"] = Tensor::i64({}, &step);
  }
  file.metadata["format"] = "nngc-checkpoint-1";
  file.metadata["model"] = manifest.model;
  file.metadata["nngc.signature"] = signature();
  file.metadata["nngc.version"] = runtimeVersion();
  return file;
}

static void copyChecked(const SafetensorsFile &file, const std::string &name,
                        const std::vector<int64_t> &shape, float *dst) {
  auto it = file.tensors.find(name);
  if (it == file.tensors.end())
    throw std::runtime_error("checkpoint has no tensor '" + name + "'");
  const Tensor &t = it->second;
  if (t.dtype != "F32")
    throw std::runtime_error("tensor '" + name + "' is " + t.dtype +
                             ", expected F32");
  if (t.shape != shape) {
    auto str = [](const std::vector<int64_t> &s) {
      std::string out = "[";
      for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
      return out + "]";
    };
    throw std::runtime_error("tensor '" + name + "' has shape " + str(t.shape) +
                             ", the model expects " + str(shape));
  }
  std::memcpy(dst, t.data.data(), t.data.size());
}

/// Names the first parameter in which `file` differs from `m`'s.
static std::string firstDifference(const Manifest &m,
                                   const SafetensorsFile &file) {
  for (const ParamInfo &p : m.params) {
    auto it = file.tensors.find(p.name);
    if (it == file.tensors.end())
      return "it has no tensor '" + p.name + "'";
    if (it->second.shape != p.shape || it->second.dtype != "F32") {
      auto str = [](const std::string &dtype, const std::vector<int64_t> &s) {
        std::string out = dtype + "[";
        for (size_t i = 0; i < s.size(); ++i)
          out += (i ? ", " : "") + std::to_string(s[i]);
        return out + "]";
      };
      return "tensor '" + p.name + "' is " +
             str(it->second.dtype, it->second.shape) + " in the checkpoint, " +
             str("F32", p.shape) + " in the model";
    }
  }
  for (const auto &[name, t] : file.tensors) {
    (void)t;
    if (name.rfind("optimizer.", 0) == 0 || name.rfind("nngc.", 0) == 0)
      continue;
    bool known = false;
    for (const ParamInfo &p : m.params)
      known |= p.name == name;
    if (!known)
      return "it has a parameter '" + name + "' the model lacks";
  }
  return "";
}

void Model::loadParams(const SafetensorsFile &file, bool optimizer) {
  hostWillTouchParams();
  auto sig = file.metadata.find("nngc.signature");
  if (sig != file.metadata.end() && sig->second != signature()) {
    auto model = file.metadata.find("model");
    std::string diff = firstDifference(manifest, file);
    throw std::runtime_error(
        "the checkpoint was written for another model (" +
        (model == file.metadata.end() ? std::string("unnamed")
                                      : "'" + model->second + "'") +
        ", parameter signature " + sig->second + "; this trainer's model '" +
        manifest.model + "' has " + signature() + ")" +
        (diff.empty() ? std::string() : ": " + diff));
  }
  for (const ParamInfo &p : manifest.params)
    copyChecked(file, p.name, p.shape, param(p));
  if (!optimizer)
    return;
  for (const TensorInfo &s : manifest.state)
    copyChecked(file, s.name, s.shape, stateOf(s));
  auto it = file.tensors.find("optimizer.step");
  if (it != file.tensors.end() && it->second.dtype == "I64")
    std::memcpy(&ctx.step, it->second.data.data(), 8);
}
