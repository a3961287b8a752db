// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %s -verify-diagnostics
// Without the kernel pipeline there is no PTX to embed.
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=target=cuda %s 2>&1 | FileCheck %s --check-prefix=NOPTX
// NOPTX: error: target=cuda needs the kernels' PTX: run the GPU kernel pipeline (nngc-gpu-kernel-pipeline) first
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=target=tpu %s 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown target 'tpu' (cpu or cuda)
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline="target=cuda precision=bf16" %s 2>&1 | FileCheck %s --check-prefix=PRECISION
// RUN: not nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=precision=tf32 %s 2>&1 | FileCheck %s --check-prefix=PRECISION
// PRECISION: error: precision '{{bf16|tf32}}' needs target=cuda and must be fp32 or tf32

// An op with neither kernels nor a CUDA runtime call is named once, at its
// first occurrence (its backward op, nn.rnn_grad, too).
nn.model @rnn {
  %x = nn.input "x" : tensor<2x3x1xf32>
  %t = nn.input "t" : tensor<2x4xf32>
  %wih = nn.param "rnn.weight_ih_l0" init(zeros) : tensor<16x1xf32>
  %whh = nn.param "rnn.weight_hh_l0" init(zeros) : tensor<16x4xf32>
  // expected-error @+2 {{'nn.lstm' has no CUDA lowering yet (docs/CUDA.md)}}
  // expected-error @+1 {{'nn.rnn_grad' has no CUDA lowering yet (docs/CUDA.md)}}
  %h, %hn, %cn = nn.lstm %x weights(%wih, %whh) {batch_first, bias = false}
      : tensor<2x3x1xf32> weights(tensor<16x1xf32>, tensor<16x4xf32>)
      -> tensor<2x3x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  %last = nn.select %h {axis = 1, index = -1} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  %loss = nn.mse %last, %t : tensor<2x4xf32>, tensor<2x4xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
