// The ops of nngc-fuse parse, verify and print back to a form that parses
// again (users may write them too).
// RUN: nngc-opt %s | nngc-opt | FileCheck %s
// RUN: nngc-opt %s --mlir-print-op-generic | nngc-opt | FileCheck %s

// CHECK-LABEL: nn.model @fused
nn.model @fused {
  %x = nn.input "x" : tensor<2x4x6xf32>
  %r = nn.input "r" : tensor<2x4x3xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  %b = nn.param "b" init(zeros) : tensor<3xf32>
  %v = nn.param "v" init(zeros) : tensor<2x6x3xf32>
  %m = nn.state "m" : tensor<3x6xf32>
  %s = nn.state "s" : tensor<3x6xf32>
  %m2 = nn.state "m2" : tensor<3xf32>
  %s2 = nn.state "s2" : tensor<3xf32>
  // The linear form (a rank-3 lhs, a rank-2 rhs) with every epilogue.
  // CHECK: nn.fused_matmul %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<3xf32>) addend(%{{.*}}) {accumulate, activation = #nn<epilogue leaky_relu>, negative_slope = 2.000000e-01 : f64, transpose_rhs} : tensor<2x4x6xf32>, tensor<3x6xf32> -> tensor<2x4x3xf32>
  %y = nn.fused_matmul %x, %w bias(%b : tensor<3xf32>) addend(%r) {accumulate, activation = #nn<epilogue leaky_relu>, negative_slope = 0.2, transpose_rhs} : tensor<2x4x6xf32>, tensor<3x6xf32> -> tensor<2x4x3xf32>
  // Batched, and a batched transpose_lhs with a shared rhs.
  // CHECK: nn.fused_matmul %{{.*}}, %{{.*}} {activation = #nn<epilogue tanh>} : tensor<2x4x6xf32>, tensor<2x6x3xf32> -> tensor<2x4x3xf32>
  %z = nn.fused_matmul %x, %v {activation = #nn<epilogue tanh>} : tensor<2x4x6xf32>, tensor<2x6x3xf32> -> tensor<2x4x3xf32>
  // CHECK: nn.fused_matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<2x4x6xf32>, tensor<4x3xf32> -> tensor<2x6x3xf32>
  %c = nn.slice %r {axis = 1, start = 0} : tensor<2x4x3xf32> -> tensor<2x4x3xf32>
  %t = nn.reshape %y : tensor<2x4x3xf32> -> tensor<8x3xf32>
  %u = nn.slice %t {axis = 0, start = 0} : tensor<8x3xf32> -> tensor<4x3xf32>
  %q = nn.fused_matmul %x, %u {transpose_lhs} : tensor<2x4x6xf32>, tensor<4x3xf32> -> tensor<2x6x3xf32>
  // x + dropout(h) in one pass.
  // CHECK: nn.dropout_add %{{.*}}, %{{.*}} {p = 2.500000e-01 : f64} : tensor<2x4x3xf32>
  %da = nn.dropout_add %z, %r {p = 0.25} : tensor<2x4x3xf32>
  %dw = nn.fill 0.5 : tensor<3x6xf32>
  %db = nn.fill 0.5 : tensor<3xf32>
  %n = nn.grad_norm %dw, %db : tensor<3x6xf32>, tensor<3xf32>
  // CHECK: nn.multi_adam_update params(%{{.*}}, %{{.*}}) grads(%{{.*}}, %{{.*}}) exp_avgs(%{{.*}}, %{{.*}}) exp_avg_sqs(%{{.*}}, %{{.*}}) grad_norm(%{{.*}}) {{{.*}}weight_decays = array<f64: 1.000000e-01, 0.000000e+00>} : tensor<3x6xf32>, tensor<3xf32>
  nn.multi_adam_update params(%w, %b) grads(%dw, %db) exp_avgs(%m, %m2) exp_avg_sqs(%s, %s2) grad_norm(%n) {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decays = array<f64: 0.1, 0.0>, decoupled_weight_decay} : tensor<3x6xf32>, tensor<3xf32>
  // CHECK: nn.multi_sgd_update params(%{{.*}}, %{{.*}}) grads(%{{.*}}, %{{.*}}) momentum_buffers() {{{.*}}} : tensor<3x6xf32>, tensor<3xf32>
  nn.multi_sgd_update params(%w, %b) grads(%dw, %db) momentum_buffers() {lr = 0.1 : f64, momentum = 0.0 : f64, dampening = 0.0 : f64, weight_decays = array<f64: 0.0, 0.0>} : tensor<3x6xf32>, tensor<3xf32>
  // CHECK: nn.multi_sgd_update params(%{{.*}}) grads(%{{.*}}) momentum_buffers(%{{.*}} : tensor<3xf32>)
  nn.multi_sgd_update params(%b) grads(%db) momentum_buffers(%m2 : tensor<3xf32>) {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decays = array<f64: 0.0>, nesterov} : tensor<3xf32>
  nn.output "y" %y : tensor<2x4x3xf32>
  nn.output "z" %z : tensor<2x4x3xf32>
  nn.output "q" %q : tensor<2x6x3xf32>
  nn.output "c" %c : tensor<2x4x3xf32>
}
