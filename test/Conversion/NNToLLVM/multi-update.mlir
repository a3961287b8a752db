// The multi-tensor update is one runtime call over arrays of pointers, the
// sizes and each parameter's weight decay (decay(matrices): none for the
// bias). The relu_grad {from_result} this model gets is checked against
// PyTorch by the oracle suites.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-fuse --nngc-plan-memory --nngc-lower-to-llvm-pipeline %s | FileCheck %s

// CHECK-DAG: llvm.mlir.global private constant @{{__nngc_f64s_[0-9]+}}(dense<[1.000000e-01, 0.000000e+00, 1.000000e-01]> : tensor<3xf64>)
// CHECK-DAG: llvm.mlir.global private constant @{{__nngc_i64s_[0-9]+}}(dense<[30, 6, 18]> : tensor<3xi64>)
// CHECK-LABEL: llvm.func @nngc_train
// CHECK: llvm.call @nngc_rt_eltwise_grad(
// CHECK: llvm.call @nngc_rt_multi_adam_update(%arg0,
// CHECK-NOT: nngc_rt_adam_update
// CHECK: llvm.return
nn.model @mlp {
  %x = nn.input "x" : tensor<4x5xf32>
  %t = nn.input "t" : tensor<4x3xf32>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<6x5xf32>
  %b1 = nn.param "fc1.bias" init(zeros) : tensor<6xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<3x6xf32>
  %h = nn.linear %x, %w1, %b1 : tensor<4x5xf32>, tensor<6x5xf32>, tensor<6xf32>
  %a = nn.relu %h : tensor<4x6xf32>
  %y = nn.linear %a, %w2 : tensor<4x6xf32>, tensor<3x6xf32>
  %l = nn.mse %y, %t : tensor<4x3xf32>, tensor<4x3xf32>
  nn.output "y" %y : tensor<4x3xf32>
  nn.minimize %l with #nn.adamw<lr = 1.0e-3, weight_decay = 0.1> decay(matrices)
}
