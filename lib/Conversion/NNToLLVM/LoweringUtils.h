//===- LoweringUtils.h - shared helpers of the nn lowering ----*- C++ -*-===//
//
// The base class of every nn -> LLVM pattern: where a tensor lives (a GEP
// into one of the entry point's buffers), runtime calls, constants, and the
// one-time primitive creation in nngc_setup.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_CONVERSION_NNTOLLVM_LOWERINGUTILS_H
#define NNGC_LIB_CONVERSION_NNTOLLVM_LOWERINGUTILS_H

#include "nngc/Conversion/NNToLLVM/NNToLLVM.h"
#include "nngc/Dialect/NN/IR/NN.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nngc {

/// An argument of a runtime call made with constant values.
struct ConstArg {
  enum Kind { I32, I64, F64 } kind;
  double value;
  static ConstArg i32(int64_t v) { return {I32, static_cast<double>(v)}; }
  static ConstArg i64(int64_t v) { return {I64, static_cast<double>(v)}; }
  static ConstArg f64(double v) { return {F64, v}; }
};

/// Emission helpers that do not depend on the op being lowered.
class LoweringHelper {
public:
  LoweringHelper(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::Type ptrType() { return mlir::LLVM::LLVMPointerType::get(ctx()); }
  mlir::Value i32(int64_t v);
  mlir::Value i64(int64_t v);
  mlir::Value f64(double v);
  mlir::Value constant(const ConstArg &arg);
  mlir::Value nullPtr();
  /// `v`, or a null pointer for an absent optional operand.
  mlir::Value orNull(mlir::Value v) { return v ? v : nullPtr(); }
  /// `void name(args...)`, declared in the module on first use.
  void call(llvm::StringRef name, mlir::ValueRange args);
  /// A stack array holding `ptrs`, for runtime calls with a variable
  /// number of tensors.
  mlir::Value ptrArray(mlir::ValueRange ptrs);
  /// The address of a private constant i64 array global.
  mlir::Value i64Array(llvm::ArrayRef<int64_t> values, NNLoweringState &state);
  /// The address of a private constant NUL-terminated string global.
  mlir::Value string(llvm::StringRef text, NNLoweringState &state);
  /// The address of a private constant f64 array global.
  mlir::Value f64Array(llvm::ArrayRef<double> values, NNLoweringState &state);

private:
  mlir::MLIRContext *ctx() { return b.getContext(); }
  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// With target=cuda: registers launch `i` of `op`'s kernels
/// (`nngc.gpu_kernels`) once in nngc_setup (nngc_cuda_launch_init) and
/// returns its id for nngc_cuda_launch (GPULaunchLowering.cpp).
int64_t cudaLaunchOnce(mlir::OpBuilder &b, mlir::Operation *op, unsigned i,
                       NNLoweringState &state);
/// Whether `op`'s kernels take work buffers that its own runtime call owns
/// (`ptr=` arguments): the call launches them, not the generic lowering.
bool hasRuntimeBuffers(mlir::Operation *op);

/// The entry point's runtime context argument.
mlir::Value contextArg(mlir::Operation *op);

/// The planned (space, byte offset) of `op`'s result `result` (or, for sinks
/// like nn.gradient, of its slot): `nngc.space`/`nngc.offset`, or entry
/// `result` of `nngc.spaces`/`nngc.offsets` for an op with several results.
std::pair<llvm::StringRef, int64_t> plannedStorage(mlir::Operation *op,
                                                   unsigned result = 0);

/// The planned (space, byte offset) of the value `v` (an op's result).
std::pair<llvm::StringRef, int64_t> plannedStorage(mlir::Value v);

/// Where `op`'s result `result` lives: a GEP into the entry point's buffer.
mlir::Value storageOf(mlir::OpBuilder &b, mlir::Operation *op,
                      unsigned result = 0);

/// The storage of every result of `op`, in order.
llvm::SmallVector<mlir::Value> storagesOf(mlir::OpBuilder &b,
                                          mlir::Operation *op);

/// Calls `name(ctx, slot, args...)` once from nngc_setup for the primitive
/// of `op` (keyed by its `nngc.slot`).
void initPrimitiveOnce(mlir::OpBuilder &b, mlir::Operation *op,
                       llvm::StringRef name, llvm::ArrayRef<ConstArg> args,
                       NNLoweringState &state);

/// Calls `name(ctx, slot, args...)` once from nngc_setup for the primitive
/// in `slot` (shared by a forward op and its backward op).
void initPrimitiveOnce(mlir::OpBuilder &b, mlir::Operation *op, int64_t slot,
                       llvm::StringRef name, llvm::ArrayRef<ConstArg> args,
                       NNLoweringState &state);

/// The slot of the forward op whose primitive or mask a backward op reuses
/// (`nngc.forward_slot`, set by the lowering pass).
int64_t forwardSlotOf(mlir::Operation *op);

/// Whether `op` was cloned into an inference entry point (eval, predict):
/// dropout is the identity there.
bool isInference(mlir::Operation *op);

/// The `nngc.slot` of `op`: a module-unique id for its primitive.
int64_t slotOf(mlir::Operation *op);

/// The static shape of a tensor-typed value.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

/// Element count of a tensor-typed value.
int64_t numElements(mlir::Value v);
/// The NNGC_MATMUL_*_BF16 flags of a product's tensors (nngc-store-bf16).
int32_t bf16ProductFlags(mlir::Value lhs, mlir::Value rhs, mlir::Value result);

/// The base of every nn lowering pattern.
template <typename OpT>
struct NNLowering : public mlir::OpConversionPattern<OpT> {
  NNLowering(mlir::TypeConverter &converter, mlir::MLIRContext *ctx,
             NNLoweringState &state)
      : mlir::OpConversionPattern<OpT>(converter, ctx), state(state) {}

protected:
  NNLoweringState &state;
};

} // namespace nngc

#endif // NNGC_LIB_CONVERSION_NNTOLLVM_LOWERINGUTILS_H
