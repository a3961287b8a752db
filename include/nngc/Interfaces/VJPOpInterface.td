//===- VJPOpInterface.td - Vector-Jacobian products --------*- tablegen -*-===//
//
// Each differentiable op builds its own vector-Jacobian product (VJP) in the
// nn dialect. The nn-autodiff pass walks the graph backwards and asks each
// op, through this interface, for the cotangents of its operands.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_VJPOPINTERFACE_TD
#define NNGC_INTERFACES_VJPOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let description = [{
    An op that knows its vector-Jacobian product. Given the cotangent of each
    result (the gradient of the loss with respect to it), `buildVJP` emits ops
    of the nn dialect at the builder's insertion point that compute the
    cotangent of each differentiable operand, and stores them in
    `operandCotangents` (one entry per operand; a null Value means "no
    gradient flows to this operand"). Fan-out is handled by the pass, which
    sums the cotangents of a value's uses.
  }];
  let cppNamespace = "::nngc";

  let methods = [
    InterfaceMethod<
      /*desc=*/[{Whether a gradient flows to operand `index`.}],
      /*retTy=*/"bool",
      /*methodName=*/"isDifferentiableOperand",
      /*args=*/(ins "unsigned":$index),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        auto type = ::llvm::dyn_cast<::mlir::RankedTensorType>(
            $_op->getOperand(index).getType());
        return type && ::llvm::isa<::mlir::FloatType>(type.getElementType());
      }]>,
    InterfaceMethod<
      /*desc=*/[{
        Emit the VJP: `resultCotangents[i]` is the cotangent of result i (a
        null Value when the result does not reach the loss). Fill
        `operandCotangents` with one Value per operand.
      }],
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildVJP",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::ValueRange":$resultCotangents,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>,
  ];
}

#endif // NNGC_INTERFACES_VJPOPINTERFACE_TD
