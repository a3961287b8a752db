//===- NNToGPU.h - nn ops -> GPU kernels (PTX) ----------------*- C++ -*-===//
//
// The device half of `nngc compile --target=cuda`: every nn op with a GPU
// kernel pattern gets its kernel in one gpu.module, which the kernel
// pipeline (Pipelines.h) lowers through NVVM to PTX with LLVM's NVPTX back
// end. See docs/CUDA.md.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_CONVERSION_NNTOGPU_NNTOGPU_H
#define NNGC_CONVERSION_NNTOGPU_NNTOGPU_H

#include "nngc/Conversion/Passes.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace nngc {

/// The PTX of every gpu.binary in `module` (after the kernel pipeline),
/// or an empty string if there is none.
std::string ptxOf(mlir::ModuleOp module);

/// The PTX ISA version nngc asks LLVM for on `chip` ("+ptx70" for sm_80,
/// "+ptx78" for sm_90).
std::string ptxFeaturesFor(llvm::StringRef chip);

} // namespace nngc

#endif // NNGC_CONVERSION_NNTOGPU_NNTOGPU_H
