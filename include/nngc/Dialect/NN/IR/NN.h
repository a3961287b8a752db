//===- NN.h - The nn dialect, its attributes and ops ----------*- C++ -*-===//
//
// The one header users of the nn dialect include.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NN_H
#define NNGC_DIALECT_NN_IR_NN_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "nngc/Interfaces/VJPOpInterface.h"

#include "nngc/Dialect/NN/IR/NNEnums.h.inc"
#include "nngc/Dialect/NN/IR/NNOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "nngc/Dialect/NN/IR/NNAttrs.h.inc"

#define GET_OP_CLASSES
#include "nngc/Dialect/NN/IR/NNOps.h.inc"

namespace nngc::nn {

/// The shortest decimal that reads back as `value`, always a float literal
/// for MLIR's parser (`1.0`, not `1`).
std::string formatFloatLiteral(double value);

/// The shape `a` and `b` broadcast to (NumPy rules), or failure.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

} // namespace nngc::nn

#endif // NNGC_DIALECT_NN_IR_NN_H
