//===- Passes.h - conversions out of the nn dialect -----------*- C++ -*-===//

#ifndef NNGC_CONVERSION_PASSES_H
#define NNGC_CONVERSION_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::LLVM {
class LLVMDialect;
} // namespace mlir::LLVM
namespace mlir::gpu {
class GPUDialect;
} // namespace mlir::gpu
namespace mlir::NVVM {
class NVVMDialect;
} // namespace mlir::NVVM
namespace mlir::arith {
class ArithDialect;
} // namespace mlir::arith
namespace mlir::scf {
class SCFDialect;
} // namespace mlir::scf
namespace mlir::memref {
class MemRefDialect;
} // namespace mlir::memref
namespace mlir::func {
class FuncDialect;
} // namespace mlir::func
namespace mlir::cf {
class ControlFlowDialect;
} // namespace mlir::cf
namespace mlir::vector {
class VectorDialect;
} // namespace mlir::vector

namespace nngc {

#define GEN_PASS_DECL
#include "nngc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nngc/Conversion/Passes.h.inc"

} // namespace nngc

#endif // NNGC_CONVERSION_PASSES_H
