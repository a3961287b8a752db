//===- PlanInterfaces.h - in-place and FLOP count interfaces --*- C++ -*-===//
//
// Declares InPlaceOpInterface and FlopCountOpInterface (see
// PlanInterfaces.td).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_PLANINTERFACES_H
#define NNGC_INTERFACES_PLANINTERFACES_H

#include "mlir/IR/OpDefinition.h"

#include "nngc/Interfaces/PlanInterfaces.h.inc"

#endif // NNGC_INTERFACES_PLANINTERFACES_H
