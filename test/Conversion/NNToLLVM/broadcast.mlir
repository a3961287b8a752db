// Broadcasting ops pass their shape and per-operand strides (0 where
// broadcast) as constant arrays.
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline %s | FileCheck %s

// CHECK-DAG: llvm.mlir.global private constant @[[SHAPE:__nngc_i64s_[0-9]+]](dense<[4, 6]> : tensor<2xi64>)
// CHECK-DAG: llvm.mlir.global private constant @{{__nngc_i64s_[0-9]+}}(dense<[0, 1]> : tensor<2xi64>)
// CHECK-DAG: llvm.mlir.global private constant @{{__nngc_i64s_[0-9]+}}(dense<[6, 1]> : tensor<2xi64>)
// CHECK-LABEL: llvm.func @nngc_predict
// CHECK: %[[KIND:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: %[[RANK:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.call @nngc_rt_binary(%arg0, %[[KIND]], %[[RANK]],
nn.model @bias {
  %x = nn.input "x" : tensor<4x6xf32>
  %b = nn.param "b" init(zeros) : tensor<6xf32>
  %y = nn.add %x, %b : tensor<4x6xf32>, tensor<6xf32>
  nn.output "y" %y : tensor<4x6xf32>
}
