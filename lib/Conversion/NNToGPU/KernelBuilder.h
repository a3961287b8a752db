//===- KernelBuilder.h - building one nn op's GPU kernel ------*- C++ -*-===//
//
// Internal to lib/Conversion/NNToGPU. Each op family registers kernel
// patterns (populate...GPUKernelPatterns); a pattern builds the op's
// kernel as a gpu.func with the helpers here: flattened static memref
// arguments, a grid-stride loop over elements, warp reductions with
// gpu.shuffle, and the float functions the NVPTX back end has no
// instruction for (exp, log, tanh, erf) from NVVM's ex2/lg2.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_CONVERSION_NNTOGPU_KERNELBUILDER_H
#define NNGC_LIB_CONVERSION_NNTOGPU_KERNELBUILDER_H

#include "nngc/Conversion/NNToGPU/NNToGPU.h"
#include "nngc/Dialect/NN/IR/NN.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>
#include <functional>
#include <optional>

namespace nngc {

/// Threads per block of the kernels below.
constexpr int64_t kBlockSize = 256;
constexpr int64_t kWarpSize = 32;

/// One argument of a kernel: a tensor of its op (passed as a flat static
/// memref, a bare pointer in PTX), or a scalar the host computes at every
/// launch, named by what it is (docs/CUDA.md lists the names):
///
///   valid_rows (i64)                  the batch's rows that hold data
///   dropout_k1, dropout_k2 (i32)      the halves of the mask's key
///   dropout_threshold=P (i32)         P of 2^32 (0 in inference: a copy)
///   dropout_scale=P (f32)             1 / (1 - P) (1 in inference)
///   dropout_offset=N (i64)            the rank's place: shardRank x N
///   clip_norm (f32)                   the trainer's clipping threshold
///   lr=LR (f32)                       LR x the schedule's scale
///   sgd_first (i32)                   1 on the first optimizer step
///   adam_step_size=LR/BETA1 (f32)     lr / (1 - beta1^t)
///   adam_bc2_sqrt=BETA2 (f32)         sqrt(1 - beta2^t)
///   rnn_dropout_k1=L, _k2=L (i32)     a recurrent stack's mask after layer L
///   rnn_dropout_threshold=P (i32)     its P of 2^32 (no --dropout override)
///   rnn_dropout_scale=P (f32)         its 1 / (1 - P)
///
/// or a work buffer of `elements` f32 that the op's own runtime entry
/// owns and passes (`ptr=NAME` in `nngc.gpu_args`): such an op is launched
/// by its runtime call (nn.attention: nngc_cuda_attention), not by the
/// generic launch lowering (attention, the recurrent layers).
struct KernelArg {
  KernelArg(mlir::Value tensor) : tensor(tensor) {}
  static KernelArg scalar(mlir::Type type, llvm::StringRef what) {
    KernelArg a(mlir::Value{});
    a.scalarType = type;
    a.what = what.str();
    return a;
  }
  /// A tensor (f32, `width` dividing its elements) passed as vectors of
  /// `width` floats: memref<n/width x vector<width x f32>>, whose loads
  /// and stores are `width` x 4 bytes wide (ld.global.v4.f32 for 4). The
  /// launch says so (`t=16`) and the runtime checks the pointer's
  /// alignment; the memory plan's 64-byte offsets give it.
  static KernelArg vectors(mlir::Value tensor, int64_t width) {
    KernelArg a(tensor);
    a.width = width;
    return a;
  }
  /// A work buffer of `elements` f32 (bf16 with `bf16`).
  static KernelArg buffer(int64_t elements, llvm::StringRef name,
                          bool bf16 = false) {
    KernelArg a(mlir::Value{});
    a.bufferElements = elements;
    a.bufferBF16 = bf16;
    a.what = ("ptr=" + name).str();
    return a;
  }
  mlir::Value tensor;
  mlir::Type scalarType;
  std::string what;
  int64_t bufferElements = 0;
  bool bufferBF16 = false;
  int64_t width = 1;
};

/// The widest vector (4 floats, 128 bits, or 1) that divides `n`: the
/// vector width of an elementwise kernel whose tensors are read in runs
/// of `n` contiguous elements.
int64_t vectorWidth(int64_t n);

/// The dropout mask's scalar arguments of an op with probability `p`
/// whose mask has `elements` per rank: k1, k2, threshold, scale, offset
/// (buildDropout's order; KernelBuilder::dropoutKeep draws from them).
llvm::SmallVector<KernelArg, 5> dropoutArgs(mlir::MLIRContext *ctx, double p,
                                            int64_t elements);

/// `v` with every digit a double needs, for the scalars' names.
std::string formatDouble(double v);

/// The batch's valid rows, the scalar argument of the loss kernels.
KernelArg validRowsArg(mlir::MLIRContext *ctx);

/// The kernel of one op under construction.
class KernelBuilder {
public:
  /// A kernel named `name` in `module` for `op`, taking `args`. finish()
  /// records the launch and its arguments on the op for the host code.
  /// `sharedArrays` workgroup arrays of `sharedElements` f32 each.
  KernelBuilder(mlir::gpu::GPUModuleOp module, mlir::Operation *op,
                llvm::StringRef name, llvm::ArrayRef<KernelArg> args,
                unsigned sharedArrays = 0, int64_t sharedElements = kWarpSize);

  mlir::OpBuilder &b() { return builder; }
  mlir::Location loc() const { return location; }
  mlir::Value arg(unsigned i) { return func.getArgument(i); }
  /// Shared (workgroup) array `i` (`sharedArrays` of them).
  mlir::Value shared(unsigned i) { return func.getWorkgroupAttributions()[i]; }
  mlir::gpu::GPUFuncOp kernel() { return func; }

  /// Ends the kernel with gpu.return and appends its launch to the op's
  /// `nngc.gpu_kernels` (the kernel), `nngc.gpu_launch` ([grid, block]) and
  /// `nngc.gpu_args` (per argument: the index of the op's operand, or of
  /// its result after the operands, or the scalar's name).
  void finish(int64_t grid, int64_t block = kBlockSize);

  // Constants and arithmetic.
  mlir::Value index(int64_t v);
  mlir::Value f32(double v);
  mlir::Value i32(int64_t v);
  mlir::Value add(mlir::Value a, mlir::Value b);
  mlir::Value sub(mlir::Value a, mlir::Value b);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::Value div(mlir::Value a, mlir::Value b);
  mlir::Value fma(mlir::Value a, mlir::Value b, mlir::Value c);
  mlir::Value max(mlir::Value a, mlir::Value b);
  mlir::Value select(mlir::Value cond, mlir::Value a, mlir::Value b);
  mlir::Value gt(mlir::Value a, mlir::Value b);
  mlir::Value load(mlir::Value memref, mlir::Value i);
  void store(mlir::Value v, mlir::Value memref, mlir::Value i);
  /// The lanes of element `i` of a memref of vectors (KernelArg::vectors),
  /// or {element i} of a memref of floats; and their store.
  llvm::SmallVector<mlir::Value, 4> loadLanes(mlir::Value memref,
                                              mlir::Value i);
  void storeLanes(llvm::ArrayRef<mlir::Value> lanes, mlir::Value memref,
                  mlir::Value i);
  /// The floats per element of `memref` (its vector width, or 1).
  static int64_t widthOf(mlir::Value memref);

  // Float functions, accurate to a few ulp (or 1.5e-7 absolute for erf).
  mlir::Value exp(mlir::Value x);
  mlir::Value log(mlir::Value x);
  mlir::Value sqrt(mlir::Value x);
  mlir::Value fabs(mlir::Value x);
  mlir::Value tanh(mlir::Value x);
  mlir::Value sigmoid(mlir::Value x);
  mlir::Value erf(mlir::Value x);

  /// The global thread index and the grid's thread count.
  mlir::Value globalId();
  mlir::Value gridThreads();
  /// The thread's lane and warp within the grid (warp = global / 32).
  mlir::Value lane();
  mlir::Value globalWarp();
  /// for (i = globalId; i < n; i += gridThreads) body(i).
  void gridStrideLoop(int64_t n, const std::function<void(mlir::Value)> &body);
  /// for (i = start; i < end; i += step) with one loop-carried f32,
  /// returning its final value.
  mlir::Value
  reduceLoop(mlir::Value start, mlir::Value end, mlir::Value step,
             mlir::Value init,
             const std::function<mlir::Value(mlir::Value, mlir::Value)> &body);
  /// `v` reduced over the 32 lanes of the warp with butterfly shuffles
  /// (every lane gets the result): max or add.
  mlir::Value warpMax(mlir::Value v);
  mlir::Value warpSum(mlir::Value v);
  /// if (cond) body().
  void ifThen(mlir::Value cond, const std::function<void()> &body);
  /// The sum of `v` over the block's threads (every thread gets it), with
  /// shared array `array`; `block` is the block's size (a multiple of 32,
  /// at most 1024). Every thread of the block must call it.
  mlir::Value blockSum(mlir::Value v, unsigned array, int64_t block);
  /// Whether the i64 `v` is in [0, n) (and, with `except`, not that).
  mlir::Value inRange(mlir::Value v, int64_t n,
                      std::optional<int64_t> except = std::nullopt);
  /// The offset of column `c`'s first element in an (outer, n, inner)
  /// tensor: column c is (c / inner, c % inner).
  mlir::Value columnBase(mlir::Value c, int64_t n, int64_t inner);
  /// The thread's index in its block.
  mlir::Value threadId();
  mlir::Value cmpIndex(mlir::arith::CmpIPredicate p, mlir::Value a,
                       mlir::Value b);
  /// f32 `a != b` (unordered: true for NaN).
  mlir::Value notEqual(mlir::Value a, mlir::Value b);
  /// The block's threads wait for each other (gpu.barrier).
  void barrier();
  /// Whether element `g` (i64) of the mask with halves k1, k2 (i32) is
  /// kept: the CPU runtime's draw (Dropout.h) against `threshold` (i32, p of
  /// 2^32; 0 keeps every element).
  mlir::Value dropoutKeep(mlir::Value k1, mlir::Value k2, mlir::Value threshold,
                          mlir::Value g);
  /// out[i] = in[i] * (keep(offset + i) ? scale : 0) for the n elements
  /// (dropoutKeep's draw; a null `offset` is 0), then finish(). `in` and
  /// `out` may be memrefs of vectors of one width (loadLanes).
  /// With `addend` (a memref like `in`), out[i] = that + addend[i].
  void dropoutLoop(int64_t n, mlir::Value in, mlir::Value out, mlir::Value k1,
                   mlir::Value k2, mlir::Value threshold, mlir::Value scale,
                   mlir::Value offset, mlir::Value addend = {});
  /// for (j = lane; j < n; j += 32) body(j).
  void laneLoop(int64_t n, const std::function<void(mlir::Value)> &body);
  /// A warp per row of `n` elements: body(base of the row, row) for the
  /// `rows` rows; ends the kernel (finish) with the grid that needs.
  void warpPerRow(int64_t rows, int64_t n,
                  const std::function<void(mlir::Value, mlir::Value)> &body);

  /// Blocks for `n` independent elements, `kBlockSize` threads each.
  static int64_t gridFor(int64_t n);

private:
  mlir::Value callNVVM(llvm::StringRef intrinsic, mlir::Value x);
  mlir::Value warpReduce(mlir::Value v, bool isMax);

  mlir::OpBuilder builder;
  mlir::Location location;
  mlir::Operation *op;
  mlir::gpu::GPUFuncOp func;
  llvm::SmallVector<mlir::Attribute> bindings;
};

/// A flat static memref of `v`'s elements (f32 or i64).
mlir::MemRefType flatMemRef(mlir::Value v);
/// The static shape and the element count of the tensor value `v`.
llvm::ArrayRef<int64_t> staticShape(mlir::Value v);
int64_t elements(mlir::Value v);
/// (outer, n, inner) of `v`'s shape around `axis` (negative: from the end).
std::array<int64_t, 3> aroundAxis(mlir::Value v, int64_t axis);

/// Which of an op's tensors (by position: its operands, then its results)
/// its kernels can take stored as bf16 (nngc-store-bf16): those they reach
/// only through KernelBuilder's load/store and loadLanes/storeLanes, which
/// convert, never with an atomic, a `ptr=` buffer or a runtime call.
using BF16Positions = std::function<bool(mlir::Operation *, unsigned)>;
/// Every tensor (kernels that touch all of theirs through the helpers).
BF16Positions anyBF16();
/// The tensors at `positions`.
BF16Positions bf16At(std::initializer_list<unsigned> positions);

/// Builds the GPU kernel of one kind of nn op.
class GPUKernelPattern {
public:
  explicit GPUKernelPattern(llvm::StringRef opName) : opName(opName) {}
  virtual ~GPUKernelPattern() = default;
  void setBF16(BF16Positions positions) { bf16 = std::move(positions); }
  /// Whether `op`'s kernels can take the tensor at `position` (operands,
  /// then results) stored as bf16.
  bool takesBF16(mlir::Operation *op, unsigned position) const {
    return bf16 && bf16(op, position);
  }
  /// The op's kernels in `module` (names start with `prefix`); failure if
  /// this op cannot run on the GPU yet.
  virtual mlir::LogicalResult build(mlir::Operation *op,
                                    mlir::gpu::GPUModuleOp module,
                                    llvm::StringRef prefix) const = 0;
  llvm::StringRef getOpName() const { return opName; }

private:
  std::string opName;
  BF16Positions bf16;
};

/// The patterns of each op family, keyed by op name.
using GPUKernelPatterns = llvm::StringMap<std::unique_ptr<GPUKernelPattern>>;
/// Every family's patterns.
void populateGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateElementwiseGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateReductionGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateOptimizerGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateLossGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateSequenceGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateTensorGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateAttentionGPUKernelPatterns(GPUKernelPatterns &patterns);
void populateRecurrentGPUKernelPatterns(GPUKernelPatterns &patterns);

/// A pattern from a function, for the families' one-liners.
template <typename OpT>
void addKernel(GPUKernelPatterns &patterns,
               std::function<mlir::LogicalResult(OpT, mlir::gpu::GPUModuleOp,
                                                 llvm::StringRef)>
                   build) {
  struct Pattern : GPUKernelPattern {
    Pattern(std::function<mlir::LogicalResult(OpT, mlir::gpu::GPUModuleOp,
                                              llvm::StringRef)>
                f)
        : GPUKernelPattern(OpT::getOperationName()), f(std::move(f)) {}
    mlir::LogicalResult build(mlir::Operation *op,
                              mlir::gpu::GPUModuleOp module,
                              llvm::StringRef prefix) const override {
      return f(mlir::cast<OpT>(op), module, prefix);
    }
    std::function<mlir::LogicalResult(OpT, mlir::gpu::GPUModuleOp,
                                      llvm::StringRef)>
        f;
  };
  patterns[OpT::getOperationName()] = std::make_unique<Pattern>(build);
}

/// Says which tensors the kernels of the patterns of `OpTs` (added
/// already) take as bf16.
template <typename... OpTs>
void setBF16(GPUKernelPatterns &patterns, const BF16Positions &bf16) {
  (patterns[OpTs::getOperationName()]->setBF16(bf16), ...);
}

} // namespace nngc

#endif // NNGC_LIB_CONVERSION_NNTOGPU_KERNELBUILDER_H
