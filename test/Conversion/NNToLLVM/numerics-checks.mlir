// With numerics checks (nngc compile's default), every f32 result of the
// training entry points (inputs, forward and backward ops) is followed by a
// call of nngc_rt_check_finite with its id and element count; the
// inference entry points and non-f32 values get none. The manifest names
// each check's op and location.
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline %s | FileCheck %s
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline=numerics-checks=false %s | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: llvm.func @nngc_predict
// CHECK-NOT: nngc_rt_check_finite
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @nngc_eval
// CHECK-NOT: nngc_rt_check_finite
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @nngc_grad
// CHECK: %[[ID:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-NEXT: %[[N:.*]] = llvm.mlir.constant(20 : i64) : i64
// CHECK-NEXT: llvm.call @nngc_rt_check_finite(%arg0, %[[ID]], %[[N]], %{{.*}})
// CHECK: llvm.call @nngc_rt_matmul(
// CHECK: llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.mlir.constant(24 : i64) : i64
// CHECK-NEXT: llvm.call @nngc_rt_check_finite(
// CHECK-LABEL: llvm.func @nngc_train
// CHECK: nngc_rt_check_finite
// CHECK: llvm.mlir.global external constant @nngc_manifest
// CHECK-SAME: \22numerics\22:[\22input 'x' at {{.*}}numerics-checks.mlir:31:8\22,\22nn.linear at {{.*}}numerics-checks.mlir:34:8\22,\22nn.relu at {{.*}}numerics-checks.mlir:35:8\22

// OFF-NOT: nngc_rt_check_finite
// OFF-NOT: numerics
nn.model @mlp {
  %x = nn.input "x" : tensor<4x5xf32>
  %c = nn.input "c" : tensor<4xi64>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<6x5xf32>
  %h = nn.linear %x, %w1 : tensor<4x5xf32>, tensor<6x5xf32>
  %a = nn.relu %h : tensor<4x6xf32>
  %l = nn.cross_entropy %a, %c : tensor<4x6xf32>, tensor<4xi64>
  nn.output "y" %a : tensor<4x6xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
