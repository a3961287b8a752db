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

    With `target=cuda` (after the GPU kernel pipeline, whose gpu.binary
    holds the kernels' PTX), the buffers are device memory: each op with kernels becomes its
    launches (`nngc_cuda_launch`, registered in nngc_setup), linear,
    matmul and fused_matmul call cuBLASLt through `nngc_cuda_matmul` and
    `nngc_cuda_fused_matmul`, and the PTX is the global `nngc_cuda_ptx`.
    An op with neither is an error at its location.
  }];
  let options = [
    Option<"numericsChecks", "numerics-checks", "bool", "false",
           "check every op's results in the training entry points when the "
           "trainer asks (--check-numerics)">,
    Option<"target", "target", "std::string", "\"cpu\"",
           "cpu (oneDNN and the runtime's kernels) or cuda (kernel launches "
           "and cuBLASLt)">,
    Option<"precision", "precision", "std::string", "\"fp32\"",
           "with target=cuda: fp32, tf32 or bf16 products (the manifest's "
           "`precision`)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ConvertNNToGPUKernelsPass
    : Pass<"nngc-convert-nn-to-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Build the GPU kernel of every nn op that has one";
  let description = [{
    The device half of `nngc compile --target=cuda`. Each nn op with a GPU
    kernel pattern (lib/Conversion/NNToGPU, one file per op family:
    activations and their gradients, broadcasting arithmetic and fills;
    softmax, sums and the gradient norm; the optimizer updates) gets its
    kernels as `gpu.func`s in one `gpu.module @nngc_kernels` targeting
    `#nvvm.target<chip = ...>`. Tensors are flat static memrefs (bare
    pointers once lowered); the launch shape and vector width are chosen
    here, per op: 256 threads a block, a grid-stride loop over elements
    (elementwise kernels: over vectors of 4 floats where the shape allows,
    a `memref<n/4 x vector<4xf32>>` argument, 128-bit loads and stores),
    one warp per row for reductions along the last axis (gpu.shuffle
    butterflies). The op
    records its kernels and launches (`nngc.gpu_kernels`,
    `nngc.gpu_launch` = [grid, block] each) for the host code. Ops with no
    pattern yet (the matrix products, which go to cuBLASLt, and the rest)
    are listed in the module's `nngc.gpu_missing`. Identical kernels
    (ops of the same kind on the same shapes) are kept once and shared.
    Then
    `convert-gpu-to-nvvm` and `gpu-module-to-binary{format=isa}` make PTX
    (`nngc compile --target=cuda --emit=ptx`).
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_80\"",
           "The GPU architecture (sm_80, sm_90, ...)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::NVVM::NVVMDialect",
                           "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def NNStoreBF16Pass : Pass<"nngc-store-bf16", "mlir::ModuleOp"> {
  let summary = "Store the activations of a CUDA trainer as bf16 (--precision=bf16)";
  let description = [{
    Runs before nngc-plan-memory in `nngc compile --target=cuda
    --precision=bf16`. It marks the results it stores as bf16 with
    `nngc.bf16` (one bool per result; the tensor types stay f32): the plan
    gives them 2 bytes an element, the GPU kernels load them with
    `arith.extf` and store them with `arith.truncf` (to nearest even) and
    compute in f32, and the cuBLASLt products read and write them as
    `CUDA_R_16BF` with f32 accumulation.

    A result is stored as bf16 when its op's GPU kernel can write it so
    and every op that reads it can read it so (each kernel pattern says
    which of its tensors it reaches only through the kernel builder's
    converting loads and stores: not those updated with atomics, nor the
    recurrent layers' operands, which their runtime calls read as f32).
    An attention and its backward run in one type: their q, k, v, output,
    output gradient and input gradients are all bf16 or none
    (`NNGC_ATTN_BF16`; its probabilities are then bf16 too). Parameters, inputs, outputs, the loss, the gradients of
    the parameters and the optimizer's state stay f32 (no op writes them
    as bf16, or no reader takes them so).

    cuBLASLt multiplies bf16 only by bf16: a product whose operands would
    differ stores both as f32, unless the f32 one is a parameter or an
    input, which the product then reads as a bf16 copy made by an
    `nn.round_bf16` inserted before its first such product (one copy per
    parameter, shared by the forward and backward products that read
    it). A product's result is bf16 only when its operands are, it has no
    bias (cuBLASLt's bias has the result's type) and its addend, if any,
    is bf16 too (the addend has the result's type); the weight gradients
    are f32 products of bf16 operands.

    Only training graphs (models with gradients) are changed: a decoding
    step model (nngc-derive-step) runs one token at a time, where the
    weights' bf16 copies would cost more than the activations save.
  }];
}

def GPUKernelsToHostPass : Pass<"nngc-gpu-kernels-to-host", "mlir::ModuleOp"> {
  let summary = "Test support: the GPU kernels as host functions for an emulator";
  let description = [{
    Replaces the module with the `gpu.func`s of `nngc-convert-nn-to-gpu-kernels`
    compiled for the host, in the LLVM dialect: each kernel `K` becomes
    `K(args..., shared...)` (its workgroup arrays as trailing pointers) and
    `K_entry(params, shared)`, which reads `K`'s arguments from
    cuLaunchKernel's `void **params` and its shared arrays from `shared`.
    Thread and block ids, warp shuffles and barriers become calls to
    `nngc_emu_*`, which the fake CUDA driver (test/Runtime/FakeCuda)
    provides: it runs each block's threads as fibers, so the CUDA
    trainers' kernels compute on the host in the tests, without a GPU.
    The NVVM intrinsics become LLVM's (`ex2.approx` as `exp2`, and so on),
    so the host's results are close to, not bit-equal with, a GPU's.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // NNGC_CONVERSION_PASSES_TD
