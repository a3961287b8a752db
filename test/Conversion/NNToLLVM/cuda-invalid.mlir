// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %s -verify-diagnostics
// Without the kernel pipeline there is no PTX to embed.
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=target=cuda %s 2>&1 | FileCheck %s --check-prefix=NOPTX
// NOPTX: error: target=cuda needs the kernels' PTX: run the GPU kernel pipeline (nngc-gpu-kernel-pipeline) first
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=target=tpu %s 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown target 'tpu' (cpu or cuda)
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline="target=cuda precision=bf16" %s 2>&1 | FileCheck %s --check-prefix=PRECISION
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=precision=tf32 %s 2>&1 | FileCheck %s --check-prefix=PRECISION
// PRECISION: error: precision '{{bf16|tf32}}' needs target=cuda and must be fp32 or tf32

// An op with neither kernels nor a CUDA runtime call is named at its
// first occurrence.
nn.model @pe {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %w = nn.param "fc.weight" init(zeros) : tensor<16x16xf32>
  %h = nn.linear %x, %w : tensor<2x8x16xf32>, tensor<16x16xf32>
  // expected-error @+1 {{'nn.sinusoidal_positions' has no CUDA lowering yet (docs/CUDA.md)}}
  %pe = nn.sinusoidal_positions : tensor<8x16xf32>
  %t = nn.add %h, %pe : tensor<2x8x16xf32>, tensor<8x16xf32>
  %l = nn.mse %t, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
