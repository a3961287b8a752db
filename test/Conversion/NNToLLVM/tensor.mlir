// Tensor ops become runtime calls over [outer, n, inner] views: a masked
// mean over time (kind 1, mask divisor C = 4), the select of the last step
// (start 4 of 5), a concat of two widths; the backward's reduce_grad,
// slice_grad and slices; cross_entropy passes its ignore_index.
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline=numerics-checks=false %s | FileCheck %s

// CHECK-LABEL: llvm.func @nngc_grad
// CHECK: llvm.call @nngc_rt_binary(
// CHECK-NEXT: llvm.getelementptr
// CHECK-NEXT: %[[K:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: %[[O:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT: %[[N:.*]] = llvm.mlir.constant(5 : i64) : i64
// CHECK-NEXT: %[[I:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK-NEXT: %[[D:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK: llvm.call @nngc_rt_reduce(%arg0, %[[K]], %[[O]], %[[N]], %[[I]], %[[D]],
// CHECK-NEXT: llvm.getelementptr
// CHECK-NEXT: llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT: llvm.mlir.constant(5 : i64) : i64
// CHECK-NEXT: llvm.mlir.constant(4 : i64) : i64
// CHECK-NEXT: %[[START:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK-NEXT: %[[SIZE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: llvm.call @nngc_rt_slice(%arg0, {{.*}}, %[[START]], %[[SIZE]],
// CHECK: llvm.alloca %{{.*}} x !llvm.array<2 x ptr>
// CHECK: llvm.call @nngc_rt_concat(
// CHECK: %[[HAS:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: %[[IGN:.*]] = llvm.mlir.constant(7 : i64) : i64
// CHECK: llvm.call @nngc_rt_cross_entropy(%arg0, {{.*}}, %[[HAS]], %[[IGN]],
// CHECK: llvm.call @nngc_rt_cross_entropy_grad(
// CHECK-DAG: llvm.call @nngc_rt_slice_grad(
// CHECK-DAG: llvm.call @nngc_rt_reduce_grad(
nn.model @tensor {
  %x = nn.input "x" : tensor<2x5x4xf32>
  %m = nn.input "mask" : tensor<2x5x1xf32>
  %y = nn.input "y" : tensor<2xi64>
  %w = nn.param "w" init(normal) : tensor<2x5x4xf32>
  %h = nn.mul %x, %w : tensor<2x5x4xf32>, tensor<2x5x4xf32>
  %mean = nn.reduce mean %h mask(%m : tensor<2x5x1xf32>) {axis = 1} : tensor<2x5x4xf32> -> tensor<2x4xf32>
  %last = nn.select %h {axis = 1, index = -1} : tensor<2x5x4xf32> -> tensor<2x4xf32>
  %c = nn.concat %mean, %last {axis = 1} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x8xf32>
  %loss = nn.cross_entropy %c, %y {ignore_index = 7} : tensor<2x8xf32>, tensor<2xi64>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
