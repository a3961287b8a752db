//===- Model.h - A compiled model: manifest, buffers, entry points -*- C++
//-*-===//
//
// The runtime's view of the object nngc generated: the manifest it
// describes itself with, the four buffers its step functions run on
// (arena, params, grads, state), and the entry points.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_MODEL_H
#define NNGC_RUNTIME_MODEL_H

#include "nngc/Runtime/Context.h"
#include "nngc/Runtime/Device.h"
#include "nngc/Runtime/Json.h"
#include "nngc/Runtime/Safetensors.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nngc::rt {

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;
  int64_t numElements() const;
  /// Elements per batch row (all dimensions but the first).
  int64_t perRow() const;
};

struct InputInfo : TensorInfo {
  bool isLabel = false;
  bool isInt = false;  ///< i64 class labels
  int64_t classes = 0; ///< for labels of a cross-entropy
  int64_t vocab = 0;   ///< for token ids read by an nn.embedding: its rows
  bool binary = false; ///< for targets of a binary cross-entropy
};

struct ParamInfo : TensorInfo {
  std::string init;
  std::vector<double> initArgs;
  int64_t fanIn = 0, fanOut = 0;
  /// An embedding's padding_idx row, zeroed after initialisation (-1: none).
  int64_t zeroRow = -1;
};

struct OutputInfo : TensorInfo {
  std::string space;
};

/// A model nngc-derive-step derived from the model: the one-token step
/// model of a language model or a translator's decoder, or a translator's
/// encode model. Each has its own arena; parameters are the model's.
struct StepInfo {
  int64_t arenaBytes = 0;
  /// The step model's: the token ids [B', 1] (B' = 1 for a language
  /// model, the batch for a translator), the token's position [1] (models
  /// with positional embeddings or attention caches), the carried states
  /// and the encoded values. The encode model's: the source inputs.
  struct Input : InputInfo {
    /// The output each state is copied from after a step.
    std::string carriedFrom;
    /// The encode model's output (or input) a state starts from, instead
    /// of zeros.
    std::string initialFrom;
    /// The encode model's output (or input) this input is copied from.
    std::string fromEncode;
    /// A carried state's batch axis (1 for recurrent states [L, B, H]).
    int64_t batchAxis = 0;
    bool isPosition = false;
  };
  std::vector<Input> inputs;
  std::vector<OutputInfo> outputs;
  const OutputInfo *output(const std::string &name) const;
  const Input *input(const std::string &name) const;
};

/// A run's learning-rate schedule: the model's (nn.minimize's
/// `schedule(...)`), unless the trainer's options replace it. Model::train
/// sets the context's lrScale from it before every step.
struct Schedule {
  enum Kind { Constant, WarmupCosine, StepLR } kind = Constant;
  /// The compiled learning rate, and the run's peak one over it (--lr).
  double compiledLr = 0, baseScale = 1;
  int64_t warmup = 0, decaySteps = 0, stepSize = 1;
  double minLr = 0, gamma = 0.1;

  /// lrScale at step `it` (counted from 0, as nanoGPT's `get_lr`).
  double scaleAt(int64_t it) const;
  /// "warmup_cosine(warmup 100, decay_steps 2000, min_lr 0.0001)" etc.
  std::string describe() const;
};

struct Manifest {
  std::string model;
  int64_t batch = 0;
  int64_t arenaBytes = 0, paramBytes = 0, stateBytes = 0;
  /// What primitives keep outside the buffers (attention probabilities and
  /// scratch, layer-norm statistics).
  int64_t keptBytes = 0;
  /// The compile report (`nngc compile --report`, without the schedule):
  /// parameters, FLOPs by op kind, kernels, the memory plan; null when the
  /// trainer was compiled before reports existed.
  Json report;
  std::vector<InputInfo> inputs;
  std::vector<ParamInfo> params;
  std::vector<TensorInfo> state;
  std::vector<OutputInfo> outputs;
  bool hasLoss = false;
  std::string lossSpace;
  int64_t lossOffset = 0;
  Json optimizer; ///< null without nn.minimize
  /// What nn.minimize asked for: clip_grad_norm (0: none) and the schedule.
  double clipGradNorm = 0;
  Schedule schedule;
  /// Where nn.grad_norm writes the global gradient norm (none: -1, and the
  /// model cannot clip); its kernel computes it only when clipping is on.
  int64_t gradNormOffset = -1;
  std::vector<std::string> entries;
  /// What each nn.check_finite of the training entry points checks ("nn.
  /// linear at model.mlir:12:5"), by id; empty for a trainer compiled
  /// before --check-numerics existed (hasNumericsChecks false).
  std::vector<std::string> numerics;
  bool hasNumericsChecks = false;
  /// Present when the model has a step entry point; otherwise `stepNote`
  /// says why it has none.
  std::optional<StepInfo> step;
  std::string stepNote;
  /// A translator's encode model (with its step model): run once per batch
  /// of sources, it computes what the decoder's steps read.
  std::optional<StepInfo> encode;
  /// "cuda" for a trainer compiled with --target=cuda (its buffers live
  /// on the GPU, Device.h), else "cpu".
  std::string target = "cpu";
  /// A CUDA trainer's products: "fp32", "tf32" or "bf16" (--precision).
  std::string precision = "fp32";
  /// A CUDA trainer's cuBLASLt workspace: a part of its one device
  /// allocation, shared by every entry point's products.
  int64_t cudaWorkspaceBytes = 0;
  /// "mpi" for a trainer compiled with --distributed=mpi (its step
  /// averages gradients across the ranks of an MPI job), else "none".
  std::string distributed = "none";

  static Manifest parse(const std::string &json);
  bool hasEntry(const std::string &name) const;
  int64_t parameterCount() const;
};

/// 64-byte aligned, zeroed bytes.
class Buffer {
public:
  explicit Buffer(int64_t bytes = 0);
  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  uint8_t *data() { return ptr; }
  int64_t size() const { return bytes; }

private:
  void *raw = nullptr;    // what calloc returned
  uint8_t *ptr = nullptr; // raw, 64-byte aligned
  int64_t bytes = 0;
};

/// A NaN or Inf in the loss, a gradient or a parameter; the trainer exits
/// with status 3 on it.
struct NumericsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The nngc version this runtime (and so the trainer) was built from.
const char *runtimeVersion();

class Model {
public:
  /// Reads the linked-in manifest, allocates the buffers and creates the
  /// oneDNN primitives (nngc_setup).
  Model();

  Manifest manifest;
  Context ctx;
  /// The run's schedule (initially the manifest's).
  Schedule schedule;
  Buffer arena, params, grads, state;
  /// The step and encode entry points' arenas (empty without them).
  Buffer stepArena, encodeArena;

  float *param(const ParamInfo &p);
  float *grad(const ParamInfo &p);
  float *stateOf(const TensorInfo &s);
  void *input(const InputInfo &in);
  const float *output(const OutputInfo &out);
  float loss();
  /// The loss of the step just run, without waiting for it on a CUDA
  /// trainer: the value is there after device->synchronize() (the next
  /// kLossesInFlight calls may reuse the slot). On the CPU, the loss.
  const float *lossLater();
  static constexpr int kLossesInFlight = 16;

  /// torch.nn.init formulas with a seeded generator.
  void initParams(uint64_t seed);
  /// Zeroes optimizer state and the step counter.
  void resetOptimizer();

  /// Entry points; each throws std::runtime_error if a kernel reported an
  /// error (e.g. a label out of range).
  void train();
  void computeGrad();
  void eval();
  void predict();

  /// One token through the step model: reads the step arena's inputs,
  /// writes its outputs. Throws if the model has no step entry point.
  void step();
  void *stepInput(const StepInfo::Input &in);
  const float *stepOutput(const OutputInfo &out);
  /// The start of a sequence: zeroes every carried state, or copies it
  /// from the encode model where it starts from an encoded value, and
  /// copies the encoded values the step reads (after encode()).
  void resetStepState();
  /// Copies each final state to the input it is carried to.
  void carryStepState();
  /// Row i of every carried state becomes row rows[i] (a beam search's
  /// surviving hypotheses); rows past rows.size() keep theirs.
  void reorderStepState(const std::vector<int64_t> &rows);

  /// A translator's encoder: reads the encode arena's inputs, writes the
  /// values the step model reads. Throws without an encode entry point.
  void encode();
  void *encodeInput(const StepInfo::Input &in);
  /// An encode model's output, or one of its inputs, by name.
  const void *encoded(const std::string &name);

  /// Checkpoint I/O (safetensors, PyTorch names). Parameters are required
  /// when loading; optimizer state ("optimizer.*") too if `optimizer`.
  /// The checkpoint carries the model's parameter signature
  /// (`nngc.signature`, a hash of the parameters' names, dtypes and shapes)
  /// and nngc's version; a checkpoint whose signature differs is refused,
  /// naming the first parameter that differs.
  SafetensorsFile checkpoint();
  void loadParams(const SafetensorsFile &file, bool optimizer);
  std::string signature() const;

  /// The GPU of a CUDA trainer (null on the CPU). The buffers above are
  /// then host copies of the device's (`onDevice`): inputs are uploaded
  /// before each entry point, outputs and the loss downloaded when read,
  /// parameters, gradients and optimizer state when the host touches them.
  Device *device = nullptr;
  struct DeviceBuffers {
    uint8_t *arena = nullptr, *params = nullptr, *grads = nullptr,
            *state = nullptr, *stepArena = nullptr, *encodeArena = nullptr;
  } onDevice;
  /// A CUDA trainer's one device allocation, and the part of it that holds
  /// the runtime's own buffers (Device::runtimeBufferBytes).
  int64_t deviceBytes = 0, runtimeDeviceBytes = 0;

private:
  void run(void (*entry)(void *, void *, void *, void *, void *),
           const char *name, bool updates);
  /// Makes the host's parameters, gradients and state current (after
  /// device steps) and marks them for upload before the next entry point
  /// (the caller may write them).
  void hostWillTouchParams();
  /// Uploads them if the host may have changed them.
  void uploadParamsIfChanged();
  bool deviceParamsNewer = false, hostParamsNewer = false;
  /// lossLater's slots (pinned on a CUDA trainer) and the next one.
  float *lossSlots = nullptr;
  float hostLossSlots[kLossesInFlight] = {};
  int nextLossSlot = 0;
};

/// An evaluation loop's weighted sum of losses, read back without waiting
/// for each batch (Model::lossLater): on a CUDA trainer the host prepares
/// the next batch while the GPU runs this one, and waits once every
/// kLossesInFlight batches. The sum is taken in the batches' order, so it
/// is the loop's that reads each loss as it comes, to the bit.
class DeferredLossSum {
public:
  explicit DeferredLossSum(Model &model) : model(model) {}
  /// After an entry point: its loss, times `weight`.
  void add(double weight) {
    pending.push_back({model.lossLater(), weight});
    if (pending.size() == static_cast<size_t>(Model::kLossesInFlight))
      flush();
  }
  double total() {
    flush();
    return sum;
  }

private:
  void flush() {
    if (pending.empty())
      return;
    if (model.device)
      model.device->synchronize();
    for (auto [loss, weight] : pending)
      sum += double(*loss) * weight;
    pending.clear();
  }
  Model &model;
  std::vector<std::pair<const float *, double>> pending;
  double sum = 0;
};

} // namespace nngc::rt

#endif // NNGC_RUNTIME_MODEL_H
