//===- Passes.td - conversions out of the nn dialect -------*- tablegen -*-===//

#ifndef NNGC_CONVERSION_PASSES_TD
#define NNGC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLLVMPass : Pass<"nngc-convert-nn-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lower a planned nn model to LLVM dialect entry points";
  let description = [{
    Needs `nngc-plan-memory`'s offsets. Builds one function per entry point,
    `nngc_train` (forward, backward, update), `nngc_grad` (forward,
    backward), `nngc_eval` (forward with the loss) and `nngc_predict`
    (forward to the outputs), each `void(ctx, arena, params, grads, state)`
    and holding only the ops its purpose needs; plus `nngc_setup(ctx)`,
    which creates every oneDNN primitive once, and the JSON manifest
    `nngc_manifest` the runtime reads. Dense layers, activations and softmax
    become calls that execute oneDNN primitives; the other ops call the
    runtime's kernels (`include/nngc/Runtime/ABI.h`).

    With `numerics-checks` (on in `nngc compile`), the training entry
    points check every op's f32 results with `nn.check_finite`, which does
    nothing unless the trainer runs with `--check-numerics`; the manifest's
    `numerics` table names each check's op and location.
  }];
  let options = [
    Option<"numericsChecks", "numerics-checks", "bool", "false",
           "check every op's results in the training entry points when the "
           "trainer asks (--check-numerics)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // NNGC_CONVERSION_PASSES_TD
