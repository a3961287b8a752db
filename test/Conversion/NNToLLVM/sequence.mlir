// Sequence ops: dropout is the identity (training = 0) in predict and eval
// and masks in grad and train; the backward reuses the forward's mask and
// oneDNN primitive (its slot); the GRU stack is created once in nngc_setup
// with its backward; operand and result lists go through stack arrays; the
// step model gets its own entry point and primitives.
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
// The step model (nngc-derive-step): one token, dropout the identity, the
// GRU with its own primitive that takes the carried state (operand 1 of 4:
// input, h0, two weights).
// CHECK-LABEL: llvm.func @nngc_step
// CHECK: llvm.call @nngc_rt_embedding(
// CHECK: llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: llvm.mlir.constant(4 : i64) : i64
// CHECK: llvm.call @nngc_rt_dropout(
// CHECK: llvm.mlir.constant([[STEPGRU:[0-9]+]] : i32) : i32
// CHECK: llvm.alloca %{{.*}} x !llvm.array<4 x ptr>
// CHECK: llvm.call @nngc_rt_rnn(
// CHECK-LABEL: llvm.func @nngc_setup
// Mode 3 (GRU), 1 layer, 1 direction, T = 5, B = 2, I = 4, H = 3, flags 9
// (batch_first | backward: no biases, no initial state), dropout 0.
// CHECK: %[[MODE:.*]] = llvm.mlir.constant(3 : i32) : i32
// CHECK: %[[FLAGS:.*]] = llvm.mlir.constant(9 : i32) : i32
// CHECK: llvm.call @nngc_rt_rnn_init(%arg0, %{{.*}}, %[[MODE]], {{.*}}, %[[FLAGS]],
// The step's GRU: flags 5 (batch_first | initial state, no backward).
// CHECK: %[[SSLOT:.*]] = llvm.mlir.constant([[STEPGRU]] : i32) : i32
// CHECK: %[[SFLAGS:.*]] = llvm.mlir.constant(5 : i32) : i32
// CHECK: llvm.call @nngc_rt_rnn_init(%arg0, %[[SSLOT]], {{.*}}, %[[SFLAGS]],
// CHECK-NOT: nngc_rt_rnn_init
// The manifest lists the step entry point, its token input and the state it
// carries from h_n to h0.
// CHECK: \22entries\22:[\22predict\22,\22eval\22,\22grad\22,\22train\22,\22step\22]
// CHECK-SAME: \22step\22:{\22arena_bytes\22:{{[0-9]+}},\22inputs\22:[{\22batch_axis\22:0,\22carried_from\22:null,\22dtype\22:\22i64\22,\22from_encode\22:null,\22initial_from\22:null,\22name\22:\22ids\22,\22offset\22:0,\22position\22:false,\22shape\22:[1,1]},{\22batch_axis\22:1,\22carried_from\22:\22rnn0.h_n\22,\22dtype\22:\22f32\22,\22from_encode\22:null,\22initial_from\22:null,\22name\22:\22rnn0.h0\22,{{.*}}\22shape\22:[1,1,3]}]
// CHECK-SAME: \22name\22:\22rnn0.h_n\22,\22offset\22:{{[0-9]+}},\22shape\22:[1,1,3],\22space\22:\22arena\22
// CHECK-SAME: \22step_note\22:null
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
