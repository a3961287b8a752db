//===- Context.h - The runtime state generated code runs against -*- C++
//-*-===//
//
// One Context per trainer process: the oneDNN engine and stream, the
// primitives nngc_setup created (indexed by slot), and the per-step values
// the kernels read (valid rows, learning-rate scale, optimizer step).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_CONTEXT_H
#define NNGC_RUNTIME_CONTEXT_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nngc::rt {

class Collectives;

/// A primitive created by nngc_setup; defined in Kernels.cpp.
struct Primitive {
  virtual ~Primitive() = default;
  /// Bytes the primitive holds beyond the memory plan's buffers (kept
  /// probabilities, statistics, workspace, weight copies in oneDNN's
  /// layout), as allocated at setup.
  virtual size_t heldBytes() const { return 0; }
};

/// The bytes a vector (or a vector of vectors) holds.
template <typename T> size_t bytesOf(const std::vector<T> &v) {
  return v.capacity() * sizeof(T);
}
template <typename T> size_t bytesOf(const std::vector<std::vector<T>> &vs) {
  size_t n = vs.capacity() * sizeof(std::vector<T>);
  for (const std::vector<T> &v : vs)
    n += bytesOf(v);
  return n;
}

struct Context {
  Context();
  ~Context();

  /// Rows (dimension 0) of the current batch that hold data; losses
  /// average over these only.
  int64_t validRows = 0;
  /// The compiled batch size.
  int64_t batch = 0;
  /// Multiplies every update op's learning rate (from --lr and schedules).
  double lrScale = 1.0;
  /// Replaces the probability of every nn.dropout and attention dropout
  /// when >= 0 (--dropout); < 0 keeps the model's.
  double dropoutOverride = -1;
  /// Gradient clipping threshold (clip_grad_norm / --clip); 0: off.
  double clipNorm = 0;
  /// Optimizer steps taken, counting the current one (torch's `step`).
  int64_t step = 0;
  /// Seeds dropout masks (the trainer's --seed); with `step` and the op's
  /// slot it makes every mask reproducible.
  uint64_t seed = 0;
  /// The data-parallel job (Collectives.h), or null in a single process,
  /// where nngc_rt_all_reduce_* only apply gradScale.
  Collectives *comm = nullptr;
  /// This rank's share of the global batch's rows (its rows over all
  /// ranks' rows; 0 for a rank with no rows in a final partial batch):
  /// nngc_rt_all_reduce_start scales the gradients by it, so that their
  /// sum over the ranks is the global batch's mean gradient.
  float gradScale = 1;
  /// This rank's index among the shards of a global batch: dropout masks
  /// are drawn at element offset shardRank x (the op's elements), so N
  /// ranks draw the masks one process with the global batch would.
  int64_t shardRank = 0;
  /// Seconds spent converting recurrent weights and their gradients
  /// between PyTorch's layout and the oneDNN primitives' (packing, gate
  /// reordering, bias sums, reorders); `bench` reports it per step.
  double rnnPackSeconds = 0;
  /// The first error a kernel met (e.g. a label out of range); the trainer
  /// checks it after each step.
  std::string error;
  /// --check-numerics: nngc_rt_check_finite scans each op's results; the
  /// first NaN/Inf sets `error` (naming numericsOps[id]) and
  /// `numericsFailed`.
  bool checkNumerics = false;
  bool numericsFailed = false;
  std::vector<std::string> numericsOps;

  std::vector<std::unique_ptr<Primitive>> primitives;
  /// Work space of the attention kernels, shared by every attention op
  /// (they run one after another): sized at setup for the largest.
  std::vector<float> attentionScratch;
  /// The largest scratchpad a recurrent primitive asked oneDNN for (its
  /// library-managed scratchpad is shared by the primitives).
  size_t rnnScratchpadBytes = 0;

  /// What the primitives hold beyond the plan's buffers, with the shared
  /// attention scratch and scratchpad (`bench` and `info` print it).
  size_t primitiveBytes() const;

  /// oneDNN engine and stream, opaque here to keep dnnl.hpp out of this
  /// header; created by the first oneDNN primitive (dnnlOf, DnnlUtils.h),
  /// so that a CUDA trainer links no oneDNN.
  struct Dnnl;
  std::unique_ptr<Dnnl, void (*)(Dnnl *)> dnnl{nullptr, nullptr};
  /// A CUDA trainer's state (lib/Runtime/Cuda): the driver, the loaded
  /// kernels, the launches and cuBLASLt products nngc_setup registered.
  struct Cuda;
  Cuda *cuda = nullptr;
  /// A CUDA trainer's products (--precision): fp32, or TF32 or bf16 tensor
  /// cores (inputs rounded, fp32 accumulation and storage).
  enum class Precision { FP32, TF32, BF16 } precision = Precision::FP32;
};

} // namespace nngc::rt

#endif // NNGC_RUNTIME_CONTEXT_H
