//===- VJPOpInterface.h - Vector-Jacobian products ------------*- C++ -*-===//
//
// Declares the VJPOpInterface (see VJPOpInterface.td).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_VJPOPINTERFACE_H
#define NNGC_INTERFACES_VJPOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include "nngc/Interfaces/VJPOpInterface.h.inc"

#endif // NNGC_INTERFACES_VJPOPINTERFACE_H
