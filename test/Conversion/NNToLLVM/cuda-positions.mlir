// nngc-convert-nn-to-llvm{target=cuda} of nn.sinusoidal_positions: the
// runtime computes the table once on the host (the CPU's formula,
// lib/Runtime/Positions.h) and copies it to the op's buffer each time
// (test/e2e/cuda-fake-driver.test runs it).
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %s | FileCheck %s
// CHECK-LABEL: llvm.func @nngc_train
// CHECK: %[[T:.*]] = llvm.mlir.constant(8 : i64)
// CHECK-NEXT: %[[C:.*]] = llvm.mlir.constant(16 : i64)
// CHECK-NEXT: llvm.call @nngc_cuda_sinusoidal_positions(%arg0, %[[T]], %[[C]], %{{.*}})
// CHECK-NOT: nngc_rt_
nn.model @pe {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %w = nn.param "fc.weight" init(zeros) : tensor<16x16xf32>
  %h = nn.linear %x, %w : tensor<2x8x16xf32>, tensor<16x16xf32>
  %pe = nn.sinusoidal_positions : tensor<8x16xf32>
  %t = nn.add %h, %pe : tensor<2x8x16xf32>, tensor<8x16xf32>
  %l = nn.mse %t, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
