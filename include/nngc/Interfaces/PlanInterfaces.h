//===- PlanInterfaces.h - in-place and FLOP count interfaces --*- C++ -*-===//
//
// Declares InPlaceOpInterface, OperandReadOpInterface and
// FlopCountOpInterface (see PlanInterfaces.td).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_PLANINTERFACES_H
#define NNGC_INTERFACES_PLANINTERFACES_H

#include "mlir/IR/OpDefinition.h"

#include "nngc/Interfaces/PlanInterfaces.h.inc"

namespace nngc {
/// Whether `use`'s op reads the operand's data (OperandReadOpInterface;
/// true for every other op).
inline bool readsData(mlir::OpOperand &use) {
  auto op = mlir::dyn_cast<OperandReadOpInterface>(use.getOwner());
  return !op || op.readsOperand(use.getOperandNumber());
}
} // namespace nngc

#endif // NNGC_INTERFACES_PLANINTERFACES_H
