// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %s -verify-diagnostics
// Without the kernel pipeline there is no PTX to embed.
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=target=cuda %s 2>&1 | FileCheck %s --check-prefix=NOPTX
// NOPTX: error: target=cuda needs the kernels' PTX: run the GPU kernel pipeline (nngc-gpu-kernel-pipeline) first
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=target=tpu %s 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown target 'tpu' (cpu or cuda)
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline="target=cuda precision=fp16" %s 2>&1 | FileCheck %s --check-prefix=PRECISION
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=precision=tf32 %s 2>&1 | FileCheck %s --check-prefix=PRECISION
// PRECISION: error: precision '{{fp16|tf32}}' needs target=cuda and must be fp32, tf32 or bf16

// An op with neither kernels nor a CUDA runtime call is named at its
// location: every op of the training graphs has one now except the MPI
// all-reduce (the driver refuses --distributed=mpi with --target=cuda
// before; here the passes run by hand).
// RUN: not nngc-opt --nngc-autodiff --nngc-optimizer "--nngc-distribute=bucket-bytes=1024" --nngc-plan-memory --nngc-gpu-kernel-pipeline "--nngc-convert-nn-to-llvm=target=cuda" %s 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: 'nn.all_reduce_start' has no CUDA lowering yet (docs/CUDA.md)
// MISSING: error: 'nn.all_reduce_wait' has no CUDA lowering yet (docs/CUDA.md)
nn.model @mlp {
  %x = nn.input "x" : tensor<4x3xf32>
  %y = nn.input "y" : tensor<4xi64>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<6x3xf32>
  %h = nn.linear %x, %w1 : tensor<4x3xf32>, tensor<6x3xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<3x6xf32>
  %z = nn.linear %h, %w2 : tensor<4x6xf32>, tensor<3x6xf32>
  %loss = nn.cross_entropy %z, %y : tensor<4x3xf32>, tensor<4xi64>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
