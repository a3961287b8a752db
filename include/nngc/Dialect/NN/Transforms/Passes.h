//===- Passes.h - nn dialect transformation passes ------------*- C++ -*-===//

#ifndef NNGC_DIALECT_NN_TRANSFORMS_PASSES_H
#define NNGC_DIALECT_NN_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace nngc::nn {
class NNDialect;
} // namespace nngc::nn

namespace nngc {

#define GEN_PASS_DECL
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nngc/Dialect/NN/Transforms/Passes.h.inc"

} // namespace nngc

#endif // NNGC_DIALECT_NN_TRANSFORMS_PASSES_H
