// nn.dropout_add on the CPU (nngc-fuse makes it for CUDA; it lowers on
// both targets): one runtime call with the op's slot, which keys its mask,
// and its backward nn.dropout_grad regenerates that mask (the same slot).
// RUN: nngc-opt --nngc-plan-memory --nngc-lower-to-llvm-pipeline=numerics-checks=false %s | FileCheck %s
// CHECK-LABEL: llvm.func @nngc_predict
// Inference: no mask (training = 0).
// CHECK: llvm.call @nngc_rt_dropout_add(%arg0, %[[S:.*]], %[[OFF:.*]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-LABEL: llvm.func @nngc_grad
// CHECK-DAG: %[[SLOT:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-DAG: %[[ON:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call @nngc_rt_dropout_add(%arg0, %[[SLOT]], %[[ON]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: %[[G:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: llvm.mlir.constant(32 : i64)
// CHECK-NEXT: llvm.mlir.constant(2.500000e-01 : f64)
// CHECK-NEXT: llvm.call @nngc_rt_dropout_grad(%arg0, %[[G]],
nn.model @m {
  %x = nn.input "x" : tensor<4x8xf32>
  %w = nn.param "w" init(zeros) : tensor<4x8xf32>
  %h = nn.tanh %w : tensor<4x8xf32>
  %y = nn.dropout_add %h, %x {p = 0.25} : tensor<4x8xf32>
  %l = nn.mse %y, %x : tensor<4x8xf32>, tensor<4x8xf32>
  nn.loss %l : tensor<f32>
  %g = nn.fill 1.0 : tensor<4x8xf32>
  %dg = nn.dropout_grad %g, %y {p = 0.25} : tensor<4x8xf32>
  nn.gradient "w" %dg : tensor<4x8xf32>
}
