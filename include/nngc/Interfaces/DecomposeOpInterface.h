//===- DecomposeOpInterface.h - Composite ops -----------------*- C++ -*-===//
//
// Declares the DecomposeOpInterface (see DecomposeOpInterface.td).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_DECOMPOSEOPINTERFACE_H
#define NNGC_INTERFACES_DECOMPOSEOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "nngc/Interfaces/DecomposeOpInterface.h.inc"

#endif // NNGC_INTERFACES_DECOMPOSEOPINTERFACE_H
