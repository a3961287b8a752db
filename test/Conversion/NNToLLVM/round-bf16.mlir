// nn.round_bf16 (nngc-store-bf16 makes it for CUDA's bf16 products; it
// lowers on the CPU too): one runtime call over the elements, whose
// rounding unittests/Runtime/KernelsTest.cpp checks.
// RUN: nngc-opt --nngc-plan-memory --nngc-lower-to-llvm-pipeline=numerics-checks=false %s | FileCheck %s
// CHECK-LABEL: llvm.func @nngc_predict
// CHECK: %[[N:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK: llvm.call @nngc_rt_round_bf16(%arg0, %[[N]], %{{.*}}, %{{.*}})
nn.model @m {
  %x = nn.input "x" : tensor<4x8xf32>
  %y = nn.round_bf16 %x : tensor<4x8xf32>
  nn.output "y" %y : tensor<4x8xf32>
}
