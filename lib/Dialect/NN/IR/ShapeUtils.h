//===- ShapeUtils.h - shapes in the nn ops' verifiers ----------*- C++ -*-===//
//
// Internal to lib/Dialect/NN/IR: the static shape of a tensor value, its
// "[2, 5, 4]" spelling in diagnostics, and the attention ops' shared check
// of a key padding mask.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_DIALECT_NN_IR_SHAPEUTILS_H
#define NNGC_LIB_DIALECT_NN_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
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

/// An attention op's key padding mask (if any) is [B, Tk] or [B, Tk, 1]
/// for keys `k` = [B, Tk, K].
inline mlir::LogicalResult verifyKeyPaddingMask(mlir::Operation *op,
                                                mlir::Value mask,
                                                llvm::ArrayRef<int64_t> k) {
  if (!mask)
    return mlir::success();
  llvm::ArrayRef<int64_t> ms = shapeOf(mask);
  if ((ms.size() == 2 || (ms.size() == 3 && ms[2] == 1)) && ms[0] == k[0] &&
      ms[1] == k[1])
    return mlir::success();
  return op->emitOpError() << "key_padding_mask must be [" << k[0] << ", "
                           << k[1] << "] or [" << k[0] << ", " << k[1]
                           << ", 1], got " << shapeStr(ms);
}

} // namespace nngc::nn::detail

#endif // NNGC_LIB_DIALECT_NN_IR_SHAPEUTILS_H
