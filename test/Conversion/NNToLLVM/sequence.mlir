// Sequence ops: dropout is the identity (training = 0) in predict and eval
// and masks in grad and train; the backward reuses the forward's mask and
// oneDNN primitive (its slot); the GRU stack is created once in nngc_setup
// with its backward; operand and result lists go through stack arrays.
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline %s | FileCheck %s

// CHECK-LABEL: llvm.func @nngc_predict
// CHECK: %[[S:.*]] = llvm.mlir.constant([[DROP:[0-9]+]] : i32) : i32
// CHECK-NEXT: %[[T:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @nngc_rt_dropout(%arg0, %[[S]], %[[T]],
// CHECK: llvm.mlir.constant([[GRU:[0-9]+]] : i32) : i32
// CHECK-NEXT: llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.alloca %{{.*}} x !llvm.array<3 x ptr>
// CHECK: llvm.alloca %{{.*}} x !llvm.array<2 x ptr>
// CHECK: llvm.call @nngc_rt_rnn(
// CHECK-LABEL: llvm.func @nngc_eval
// CHECK: llvm.mlir.constant([[DROP]] : i32) : i32
// CHECK-NEXT: llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @nngc_rt_dropout(
// CHECK-LABEL: llvm.func @nngc_grad
// CHECK: llvm.mlir.constant([[DROP]] : i32) : i32
// CHECK-NEXT: llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call @nngc_rt_dropout(
// CHECK: llvm.mlir.constant([[GRU]] : i32) : i32
// CHECK-NEXT: llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call @nngc_rt_rnn(
// CHECK: llvm.mlir.constant([[GRU]] : i32) : i32
// CHECK: llvm.call @nngc_rt_rnn_grad(
// CHECK: llvm.mlir.constant([[DROP]] : i32) : i32
// CHECK: llvm.call @nngc_rt_dropout_grad(
// CHECK: llvm.call @nngc_rt_embedding_grad(
// CHECK-LABEL: llvm.func @nngc_setup
// Mode 3 (GRU), 1 layer, 1 direction, T = 5, B = 2, I = 4, H = 3, flags 9
// (batch_first | backward: no biases, no initial state), dropout 0.
// CHECK: %[[MODE:.*]] = llvm.mlir.constant(3 : i32) : i32
// CHECK: %[[FLAGS:.*]] = llvm.mlir.constant(9 : i32) : i32
// CHECK: llvm.call @nngc_rt_rnn_init(%arg0, %{{.*}}, %[[MODE]], {{.*}}, %[[FLAGS]],
// CHECK-NOT: nngc_rt_rnn_init
nn.model @seq {
  %ids = nn.input "ids" : tensor<2x5xi64>
  %t = nn.input "t" : tensor<2x5x3xf32>
  %e = nn.param "embed.weight" init(normal) : tensor<11x4xf32>
  %x = nn.embedding %ids, %e : tensor<2x5xi64>, tensor<11x4xf32>
  %d = nn.dropout %x {p = 0.25} : tensor<2x5x4xf32>
  %wih = nn.param "gru.weight_ih_l0" init(normal) : tensor<9x4xf32>
  %whh = nn.param "gru.weight_hh_l0" init(normal) : tensor<9x3xf32>
  %o, %h = nn.gru %d weights(%wih, %whh) {batch_first} : tensor<2x5x4xf32> weights(tensor<9x4xf32>, tensor<9x3xf32>) -> tensor<2x5x3xf32>, tensor<1x2x3xf32>
  %loss = nn.mse %o, %t : tensor<2x5x3xf32>, tensor<2x5x3xf32>
  nn.output "y" %o : tensor<2x5x3xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
