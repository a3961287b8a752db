// Negative axes (which the verifiers accept) lower as their positive
// equivalents: nn.slice_grad with axis = -1 reads the grad's last
// dimension (found by nngc-fuzz: the lowering indexed the shape with -1),
// and nn.reduce_grad's [outer, n, inner] view is taken around the last
// axis, not around nothing.
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline=numerics-checks=false %s | FileCheck %s

// CHECK-LABEL: llvm.func @nngc_predict
// CHECK: %[[O:.*]] = llvm.mlir.constant(6 : i64) : i64
// CHECK-NEXT: %[[N:.*]] = llvm.mlir.constant(12 : i64) : i64
// CHECK-NEXT: %[[I:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[S:.*]] = llvm.mlir.constant(8 : i64) : i64
// CHECK-NEXT: %[[W:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK-NEXT: llvm.call @nngc_rt_slice_grad(%arg0, %[[O]], %[[N]], %[[I]], %[[S]], %[[W]],
// CHECK: llvm.call @nngc_rt_reduce(
// CHECK-NEXT: llvm.getelementptr
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[RO:.*]] = llvm.mlir.constant(6 : i64) : i64
// CHECK-NEXT: %[[RN:.*]] = llvm.mlir.constant(12 : i64) : i64
// CHECK-NEXT: %[[RI:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: llvm.call @nngc_rt_reduce_grad(%arg0, %{{.*}}, %[[RO]], %[[RN]], %[[RI]],
nn.model @negative_axis {
  %v = nn.input "v" : tensor<2x3x4xf32>
  %dv = nn.slice_grad %v {axis = -1, start = 8} : tensor<2x3x4xf32> -> tensor<2x3x12xf32>
  %r = nn.reduce sum %dv {axis = -1} : tensor<2x3x12xf32> -> tensor<2x3xf32>
  %g = nn.reduce_grad sum %r, %dv, %r {axis = -1} : tensor<2x3xf32>, tensor<2x3x12xf32>, tensor<2x3xf32>
  nn.output "g" %g : tensor<2x3x12xf32>
}
