// nn.all_reduce_start / _wait lower to runtime calls on the bucket's range
// of the gradient buffer (the lowest slot's pointer, the floats up to the
// end of the highest), in the entry points with gradients; the results
// alias the operands, so the update reads the same slots.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer "--nngc-distribute=bucket-bytes=1024" --nngc-plan-memory --nngc-convert-nn-to-llvm %s | FileCheck %s

// One bucket of all three gradients: slots 0 (fc1.weight), 128 (fc1.bias)
// and 192 (fc2.weight, 72 B), so 264 bytes from the lowest slot: 66 floats
// (the alignment padding between slots goes along).
// CHECK-LABEL: llvm.func @nngc_predict(
// CHECK-NOT: llvm.call @nngc_rt_all_reduce
// CHECK-LABEL: llvm.func @nngc_eval(
// CHECK-NOT: llvm.call @nngc_rt_all_reduce
// CHECK-LABEL: llvm.func @nngc_grad(
// CHECK: %[[N:.*]] = llvm.mlir.constant(66 : i64) : i64
// CHECK-NEXT: llvm.call @nngc_rt_all_reduce_start(%arg0, %{{.*}}, %{{.*}}, %[[N]])
// CHECK: llvm.call @nngc_rt_all_reduce_wait(%arg0
// CHECK-LABEL: llvm.func @nngc_train(
// CHECK: llvm.call @nngc_rt_all_reduce_start
// CHECK: llvm.call @nngc_rt_all_reduce_wait
// CHECK: llvm.call @nngc_rt_sgd_update
// CHECK-LABEL: llvm.func @nngc_setup
// CHECK-NOT: nngc_rt_all_reduce
nn.model @mlp {
  %x = nn.input "x" : tensor<4x3xf32>
  %y = nn.input "y" : tensor<4xi64>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<6x3xf32>
  %b1 = nn.param "fc1.bias" init(zeros) : tensor<6xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<3x6xf32>
  %h = nn.linear %x, %w1, %b1 : tensor<4x3xf32>, tensor<6x3xf32>, tensor<6xf32>
  %a = nn.relu %h : tensor<4x6xf32>
  %z = nn.linear %a, %w2 : tensor<4x6xf32>, tensor<3x6xf32>
  %l = nn.cross_entropy %z, %y : tensor<4x3xf32>, tensor<4xi64>
  nn.output "logits" %z : tensor<4x3xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
