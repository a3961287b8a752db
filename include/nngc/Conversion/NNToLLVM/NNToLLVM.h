//===- NNToLLVM.h - nn -> LLVM dialect ------------------------*- C++ -*-===//

#ifndef NNGC_CONVERSION_NNTOLLVM_NNTOLLVM_H
#define NNGC_CONVERSION_NNTOLLVM_NNTOLLVM_H

#include "nngc/Conversion/Passes.h"

#include "mlir/Transforms/DialectConversion.h"

#include <map>
#include <tuple>

namespace nngc {

/// State the lowering patterns share: the primitives already created in
/// nngc_setup, and counters for unique slots and globals.
struct NNLoweringState {
  llvm::DenseSet<int64_t> initialisedSlots;
  int64_t nextGlobal = 0;
  /// `target=cuda`: buffers are device memory; matrix products and copies
  /// call the CUDA runtime (nngc_cuda_*), every other op launches its
  /// kernels.
  bool cuda = false;
  /// The CUDA launches registered in nngc_setup, by (op slot, launch,
  /// training).
  std::map<std::tuple<int64_t, int64_t, bool>, int64_t> cudaLaunches;
  /// The runtime function `name` of the target: nngc_rt_<name> on the CPU,
  /// nngc_cuda_<name> on CUDA.
  std::string runtimeFunction(llvm::StringRef name) const {
    return ((cuda ? "nngc_cuda_" : "nngc_rt_") + name).str();
  }
};

/// Patterns lowering each family of nn ops to LLVM calls into the runtime.
void populateModelOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                     mlir::TypeConverter &converter,
                                     NNLoweringState &state);
void populateLayerOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                     mlir::TypeConverter &converter,
                                     NNLoweringState &state);
void populateElementwiseOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                           mlir::TypeConverter &converter,
                                           NNLoweringState &state);
void populateLossOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                    mlir::TypeConverter &converter,
                                    NNLoweringState &state);
void populateSequenceOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                        mlir::TypeConverter &converter,
                                        NNLoweringState &state);
void populateTensorOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                      mlir::TypeConverter &converter,
                                      NNLoweringState &state);
void populateTransformerOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                           mlir::TypeConverter &converter,
                                           NNLoweringState &state);
void populateOptimizerOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                         mlir::TypeConverter &converter,
                                         NNLoweringState &state);
void populateFusedOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                     mlir::TypeConverter &converter,
                                     NNLoweringState &state);
/// The CUDA target's: linear and matmul (cuBLASLt), reshape, attention and
/// the recurrent layers (cuBLASLt products around their kernels).
void populateMatmulOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                      mlir::TypeConverter &converter,
                                      NNLoweringState &state);
void populateFusedMatmulLoweringPatterns(mlir::RewritePatternSet &patterns,
                                         mlir::TypeConverter &converter,
                                         NNLoweringState &state);
void populateReshapeLoweringPatterns(mlir::RewritePatternSet &patterns,
                                     mlir::TypeConverter &converter,
                                     NNLoweringState &state);
/// Attention and sinusoidal positions, on either target through the
/// runtime (nngc_rt_* / nngc_cuda_*).
void populateTransformerRuntimeLoweringPatterns(
    mlir::RewritePatternSet &patterns, mlir::TypeConverter &converter,
    NNLoweringState &state);
void populateRecurrentLoweringPatterns(mlir::RewritePatternSet &patterns,
                                       mlir::TypeConverter &converter,
                                       NNLoweringState &state);
/// Ops with GPU kernels (nngc.gpu_kernels): their launches.
void populateGPULaunchLoweringPatterns(mlir::RewritePatternSet &patterns,
                                       mlir::TypeConverter &converter,
                                       NNLoweringState &state);
void populateDistributedOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                           mlir::TypeConverter &converter,
                                           NNLoweringState &state);

} // namespace nngc

#endif // NNGC_CONVERSION_NNTOLLVM_NNTOLLVM_H
