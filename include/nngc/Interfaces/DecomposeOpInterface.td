//===- DecomposeOpInterface.td - Composite ops -------------*- tablegen -*-===//
//
// An op that is a composition of other nn ops (a PyTorch module with
// several parameters, e.g. nn.multihead_attention) says how to rewrite
// itself into them; nngc-decompose asks each such op through this
// interface, so that autodiff, the memory plan and the lowering see only
// primitive ops.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_DECOMPOSEOPINTERFACE_TD
#define NNGC_INTERFACES_DECOMPOSEOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def DecomposeOpInterface : OpInterface<"DecomposeOpInterface"> {
  let description = [{
    A composite op. `decompose` emits, at the builder's insertion point
    (just before the op), the nn ops that compute the op's results from
    its operands, and returns the values that replace its results, one per
    result. The pass replaces the uses and erases the op; the ops it
    emitted carry the op's location.
  }];
  let cppNamespace = "::nngc";

  let methods = [
    InterfaceMethod<
      /*desc=*/[{Emit the composition; return one Value per result.}],
      /*retTy=*/"::llvm::SmallVector<::mlir::Value>",
      /*methodName=*/"decompose",
      /*args=*/(ins "::mlir::OpBuilder &":$builder)>,
  ];
}

#endif // NNGC_INTERFACES_DECOMPOSEOPINTERFACE_TD
