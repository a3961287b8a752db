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

#include "nngc/Interfaces/DecomposeOpInterface.h"
#include "nngc/Interfaces/PlanInterfaces.h"
#include "nngc/Interfaces/VJPOpInterface.h"

#include "nngc/Dialect/NN/IR/NNEnums.h.inc"
#include "nngc/Dialect/NN/IR/NNOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "nngc/Dialect/NN/IR/NNAttrs.h.inc"

namespace nngc::nn {

namespace OpTrait {
/// Marks an op whose result at each sequence position depends only on its
/// operands at that position (NN_PositionWise in NNBase.td).
template <typename ConcreteType>
class PositionWise
    : public mlir::OpTrait::TraitBase<ConcreteType, PositionWise> {};
/// Marks an op that keeps state in its runtime slot for a later op or draws
/// random numbers keyed by it (NN_KeepsState in NNBase.td).
template <typename ConcreteType>
class KeepsState : public mlir::OpTrait::TraitBase<ConcreteType, KeepsState> {};
/// Marks a KeepsState op whose state is a function of its operands alone,
/// which nngc-remat may clone (NN_RecomputableState in NNBase.td).
template <typename ConcreteType>
class RecomputableState
    : public mlir::OpTrait::TraitBase<ConcreteType, RecomputableState> {};
} // namespace OpTrait

/// A stack of recurrent layers (nn.rnn, nn.gru, nn.lstm and their
/// nn.rnn_grad), read off the op's attributes and operand types.
struct RecurrentConfig {
  RecurrentMode mode;
  int64_t layers = 1, directions = 1;
  int64_t seq = 0, batch = 0, inputSize = 0, hidden = 0;
  bool batchFirst = false, hasBias = true, hasInitial = false;
  /// A mask of each sequence's real steps (sequence lengths).
  bool hasMask = false;
  double dropout = 0;

  /// Gates per cell: 1 (RNN), 3 (GRU), 4 (LSTM).
  int64_t gates() const;
  /// Weight tensors per layer and direction: 4 with biases, 2 without.
  int64_t weightsPerCell() const { return hasBias ? 4 : 2; }
  /// Results of the forward op: output, h_n (and c_n for an LSTM).
  int64_t numStates() const { return mode == RecurrentMode::lstm ? 2 : 1; }
  /// The PyTorch name suffix of weight `i`, e.g. `weight_hh_l1_reverse`.
  std::string weightName(int64_t i) const;
  /// The shape weight `i` must have.
  llvm::SmallVector<int64_t> weightShape(int64_t i) const;
  /// Shapes of the output and of each final state.
  llvm::SmallVector<int64_t> outputShape() const;
  llvm::SmallVector<int64_t> stateShape() const;
  /// The shape a mask must have: the input's first two dimensions, then 1.
  llvm::SmallVector<int64_t> maskShape() const;
};

} // namespace nngc::nn

#define GET_OP_CLASSES
#include "nngc/Dialect/NN/IR/NNOps.h.inc"

namespace nngc::nn {

/// The shortest decimal that reads back as `value`, always a float literal
/// for MLIR's parser (`1.0`, not `1`).
std::string formatFloatLiteral(double value);

/// `v` seen through nn.reshape, nn.all_reduce_start and nn.all_reduce_wait
/// ops, whose results alias their operands: the value that owns the
/// memory.
mlir::Value aliasRoot(mlir::Value v);

/// The attribute nngc-store-bf16 (--target=cuda --precision=bf16) writes
/// on an op whose results it stores as bf16: one bool per result. The
/// tensor types stay f32; the memory plan gives such a result 2 bytes per
/// element and the kernels convert as they load and store.
constexpr llvm::StringLiteral kBF16StorageAttr = "nngc.bf16";

/// Whether `v`'s memory (that of its alias root) holds bf16.
bool storedAsBF16(mlir::Value v);
/// The bytes `v`'s memory takes: its elements times 2 (bf16) or its
/// element type's size.
int64_t storedBytes(mlir::Value v);

/// The shape `a` and `b` broadcast to (NumPy rules), or failure.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

} // namespace nngc::nn

#endif // NNGC_DIALECT_NN_IR_NN_H
