//===- NNToLLVM.h - nn -> LLVM dialect ------------------------*- C++ -*-===//

#ifndef NNGC_CONVERSION_NNTOLLVM_NNTOLLVM_H
#define NNGC_CONVERSION_NNTOLLVM_NNTOLLVM_H

#include "nngc/Conversion/Passes.h"

#include "mlir/Transforms/DialectConversion.h"

namespace nngc {

/// State the lowering patterns share: the primitives already created in
/// nngc_setup, and counters for unique slots and globals.
struct NNLoweringState {
  llvm::DenseSet<int64_t> initialisedSlots;
  int64_t nextGlobal = 0;
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
void populateDistributedOpLoweringPatterns(mlir::RewritePatternSet &patterns,
                                           mlir::TypeConverter &converter,
                                           NNLoweringState &state);

} // namespace nngc

#endif // NNGC_CONVERSION_NNTOLLVM_NNTOLLVM_H
