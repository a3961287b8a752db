// The lowering of nngc-fuse's ops: nn.fused_matmul is one oneDNN matmul
// whose post-ops are its epilogue; the product accumulates in place (a sum
// post-op) when the plan gives the result the dead addend's buffer, and
// reads a live addend through a binary-add post-op.
// RUN: nngc-opt --nngc-plan-memory %s | FileCheck %s --check-prefix=PLAN
// RUN: nngc-opt --nngc-plan-memory --nngc-lower-to-llvm-pipeline %s | FileCheck %s

// PLAN: nn.tanh %{{.*}} {nngc.offset = [[H:[0-9]+]] : i64, nngc.space = "arena"}
// PLAN: nn.fused_matmul {{.*}}nngc.offset = [[H]] : i64, nngc.space = "arena"
// PLAN-NOT: nngc.offset = [[H]] :

// CHECK-DAG: llvm.func @nngc_rt_fused_matmul_init(!llvm.ptr, i32, i64, i64, i64, i64, i32, i32, f64)
// CHECK-DAG: llvm.func @nngc_rt_fused_matmul(!llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: llvm.func @nngc_setup
// Accumulate (32) | bias (4) | transpose_b (2), with a relu (0).
// CHECK: %[[ACC:.*]] = llvm.mlir.constant(38 : i32) : i32
// CHECK: %[[RELU:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @nngc_rt_fused_matmul_init(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ACC]], %[[RELU]],
// Addend (16) | transpose_b (2), no activation (-1).
// CHECK: %[[ADD:.*]] = llvm.mlir.constant(18 : i32) : i32
// CHECK: %[[NONE:.*]] = llvm.mlir.constant(-1 : i32) : i32
// CHECK: llvm.call @nngc_rt_fused_matmul_init(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ADD]], %[[NONE]],
nn.model @epilogues {
  %x = nn.input "x" : tensor<8x6xf32>
  %r = nn.input "r" : tensor<8x6xf32>
  %w = nn.param "w" init(zeros) : tensor<6x6xf32>
  %b = nn.param "b" init(zeros) : tensor<6xf32>
  %h = nn.tanh %x : tensor<8x6xf32>
  %y = nn.fused_matmul %x, %w bias(%b : tensor<6xf32>) addend(%h) {transpose_rhs, accumulate, activation = #nn<epilogue relu>} : tensor<8x6xf32>, tensor<6x6xf32> -> tensor<8x6xf32>
  %z = nn.fused_matmul %y, %w addend(%r) {transpose_rhs} : tensor<8x6xf32>, tensor<6x6xf32> -> tensor<8x6xf32>
  nn.output "z" %z : tensor<8x6xf32>
}
