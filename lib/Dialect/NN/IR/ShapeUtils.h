//===- ShapeUtils.h - shapes in the nn ops' verifiers ----------*- C++ -*-===//
//
// Internal to lib/Dialect/NN/IR: the static shape of a tensor value and its
// "[2, 5, 4]" spelling in diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_DIALECT_NN_IR_SHAPEUTILS_H
#define NNGC_LIB_DIALECT_NN_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

#include <string>

namespace nngc::nn::detail {

inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
}

inline std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

} // namespace nngc::nn::detail

#endif // NNGC_LIB_DIALECT_NN_IR_SHAPEUTILS_H
