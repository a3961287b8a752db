// A recurrent layer with a mask (sequence lengths): nngc_rt_rnn_init gets
// the mask flag (16) with batch_first (1) and backward (8); the mask is the
// second operand of nngc_rt_rnn and nngc_rt_rnn_grad, whose cotangent
// array has a slot for it too.
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline=numerics-checks=false %s | FileCheck %s

// The inputs x and m are the arena's first two tensors (offsets 0, 192).
// CHECK-LABEL: llvm.func @nngc_train
// CHECK: %[[X:.*]] = llvm.getelementptr %arg1[0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %[[MASK:.*]] = llvm.getelementptr %arg1[192] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[OPS:.*]] = llvm.alloca %{{.*}} x !llvm.array<6 x ptr>
// CHECK-NEXT: %[[OP0:.*]] = llvm.getelementptr %[[OPS]][0]
// CHECK-NEXT: llvm.store %[[X]], %[[OP0]]
// CHECK-NEXT: %[[OP1:.*]] = llvm.getelementptr %[[OPS]][1]
// CHECK-NEXT: llvm.store %[[MASK]], %[[OP1]]
// CHECK: llvm.call @nngc_rt_rnn(
// CHECK: llvm.alloca %{{.*}} x !llvm.array<6 x ptr>
// CHECK: llvm.call @nngc_rt_rnn_grad(
// CHECK-LABEL: llvm.func @nngc_setup
// CHECK: %[[FLAGS:.*]] = llvm.mlir.constant(25 : i32) : i32
// CHECK: llvm.call @nngc_rt_rnn_init(%arg0, {{.*}}, %[[FLAGS]],
nn.model @masked {
  %x = nn.input "x" : tensor<2x5x4xf32>
  %m = nn.input "m" : tensor<2x5x1xf32>
  %t = nn.input "t" : tensor<2x5x6xf32>
  %wih = nn.param "gru.weight_ih_l0" init(normal) : tensor<9x4xf32>
  %whh = nn.param "gru.weight_hh_l0" init(normal) : tensor<9x3xf32>
  %wihr = nn.param "gru.weight_ih_l0_reverse" init(normal) : tensor<9x4xf32>
  %whhr = nn.param "gru.weight_hh_l0_reverse" init(normal) : tensor<9x3xf32>
  %o, %h = nn.gru %x mask(%m : tensor<2x5x1xf32>) weights(%wih, %whh, %wihr, %whhr) {batch_first, bidirectional} : tensor<2x5x4xf32> weights(tensor<9x4xf32>, tensor<9x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>) -> tensor<2x5x6xf32>, tensor<2x2x3xf32>
  %loss = nn.mse %o, %t : tensor<2x5x6xf32>, tensor<2x5x6xf32>
  nn.output "y" %o : tensor<2x5x6xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
