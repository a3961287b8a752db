//===- PlanInterfaces.td - what the planner and report ask ops -*- tablegen -*-===//
//
// Three questions nngc-plan-memory, nngc-remat and `nngc compile --report`
// ask each op instead of keeping a central list: may its result be written
// over one of its operands (in-place reuse), does it read an operand's data
// at all, and how much arithmetic does it do.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_INTERFACES_PLANINTERFACES_TD
#define NNGC_INTERFACES_PLANINTERFACES_TD

include "mlir/IR/OpBase.td"

def InPlaceOpInterface : OpInterface<"InPlaceOpInterface"> {
  let description = [{
    An op whose kernel may write its (single) result into the memory of one
    of its operands, when that operand is not read again after the op. The
    memory planner then gives the result the operand's buffer instead of a
    new one. Elementwise kernels (oneDNN eltwise, the runtime's broadcasting
    loops over a full-size operand) qualify for any operand of the result's
    type.
  }];
  let cppNamespace = "::nngc";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Whether the result may take operand `index`'s buffer.}],
      /*retTy=*/"bool",
      /*methodName=*/"canWriteOverOperand",
      /*args=*/(ins "unsigned":$index),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        return $_op->getNumResults() == 1 &&
               $_op->getOperand(index).getType() ==
                   $_op->getResult(0).getType();
      }]>,
  ];
}

def OperandReadOpInterface : OpInterface<"OperandReadOpInterface"> {
  let description = [{
    An op with an operand whose data it never reads: a backward op takes
    its forward op's result only to name that op (whose kept state, such as
    a dropout mask's stream or layer-norm statistics, it reads), not for
    the values. The memory plan then does not keep such an operand alive
    until the op runs. Ops without the interface read every operand.
  }];
  let cppNamespace = "::nngc";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Whether the op reads operand `index`'s data.}],
      /*retTy=*/"bool",
      /*methodName=*/"readsOperand",
      /*args=*/(ins "unsigned":$index)>,
  ];
}

def FlopCountOpInterface : OpInterface<"FlopCountOpInterface"> {
  let description = [{
    The floating-point operations one execution of the op performs (a
    multiply-add counts 2), for `nngc compile --report`. Ops without this
    interface are counted as one operation per result element.
  }];
  let cppNamespace = "::nngc";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Floating-point operations of one execution.}],
      /*retTy=*/"int64_t",
      /*methodName=*/"getFlops",
      /*args=*/(ins)>,
  ];
}

#endif // NNGC_INTERFACES_PLANINTERFACES_TD
