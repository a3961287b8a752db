// Every nn op parses, verifies and prints back to a form that parses again.
// RUN: nngc-opt %s | nngc-opt | FileCheck %s
// RUN: nngc-opt %s --mlir-print-op-generic | nngc-opt | FileCheck %s

// CHECK-LABEL: nn.model @layers
nn.model @layers {
  // CHECK: %[[X:.*]] = nn.input "x" : tensor<4x6xf32>
  %x = nn.input "x" : tensor<4x6xf32>
  // CHECK: %[[Y:.*]] = nn.input "y" : tensor<4xi64>
  %y = nn.input "y" : tensor<4xi64>
  // CHECK: nn.param "fc.weight" init (kaiming_uniform, 2.23606797749979) : tensor<3x6xf32>
  %w = nn.param "fc.weight" init(kaiming_uniform, 2.23606797749979) : tensor<3x6xf32>
  // CHECK: nn.param "fc.bias" init (uniform, -0.5, 0.5) : tensor<3xf32>
  %b = nn.param "fc.bias" init(uniform, -0.5, 0.5) : tensor<3xf32>
  // CHECK: nn.param "z" init (zeros) : tensor<6xf32>
  %z = nn.param "z" init(zeros) : tensor<6xf32>
  %o = nn.param "o" init(ones) : tensor<6xf32>
  %c = nn.param "c" init(constant, 0.5) : tensor<6xf32>
  %n = nn.param "n" init(normal, 0.0, 0.02) : tensor<6xf32>
  %xu = nn.param "xu" init(xavier_uniform) : tensor<6x6xf32>
  %xn = nn.param "xn" init(xavier_normal, 2.0) : tensor<6x6xf32>
  %kn = nn.param "kn" init(kaiming_normal) : tensor<6x6xf32>

  // CHECK: nn.linear %[[X]], %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<3x6xf32>, tensor<3xf32>
  %h = nn.linear %x, %w, %b : tensor<4x6xf32>, tensor<3x6xf32>, tensor<3xf32>
  // CHECK: nn.linear %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<6x6xf32>
  %h2 = nn.linear %x, %xu : tensor<4x6xf32>, tensor<6x6xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<4x6xf32>, tensor<3x6xf32>
  %m = nn.matmul %x, %w {transpose_rhs} : tensor<4x6xf32>, tensor<3x6xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<4x6xf32>, tensor<4x6xf32>
  %m2 = nn.matmul %x, %x {transpose_lhs} : tensor<4x6xf32>, tensor<4x6xf32>

  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<6xf32>
  %a1 = nn.add %x, %z : tensor<4x6xf32>, tensor<6xf32>
  // CHECK: nn.sub
  %a2 = nn.sub %a1, %o : tensor<4x6xf32>, tensor<6xf32>
  // CHECK: nn.mul
  %a3 = nn.mul %a2, %c : tensor<4x6xf32>, tensor<6xf32>
  // CHECK: nn.neg
  %a4 = nn.neg %a3 : tensor<4x6xf32>
  // CHECK: nn.round_bf16 %{{.*}} : tensor<4x6xf32>
  %a4b = nn.round_bf16 %a4 : tensor<4x6xf32>
  // CHECK: nn.relu
  %r1 = nn.relu %a4 : tensor<4x6xf32>
  // CHECK: nn.leaky_relu %{{.*}} {negative_slope = 2.000000e-01 : f64} : tensor<4x6xf32>
  %r2 = nn.leaky_relu %r1 {negative_slope = 0.2} : tensor<4x6xf32>
  // CHECK: nn.sigmoid
  %r3 = nn.sigmoid %r2 : tensor<4x6xf32>
  // CHECK: nn.tanh
  %r4 = nn.tanh %r3 : tensor<4x6xf32>
  // CHECK: nn.gelu %{{.*}} : tensor<4x6xf32>
  %r5 = nn.gelu %r4 : tensor<4x6xf32>
  // CHECK: nn.gelu %{{.*}} approximate = tanh : tensor<4x6xf32>
  %r6 = nn.gelu %r5 approximate = tanh : tensor<4x6xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 0 : i64} : tensor<4x6xf32>
  %s1 = nn.softmax %r6 {axis = 0} : tensor<4x6xf32>
  // CHECK: nn.log_softmax %{{.*}} : tensor<4x3xf32>
  %s2 = nn.log_softmax %h : tensor<4x3xf32>
  // CHECK: nn.reshape %{{.*}} : tensor<4x6xf32> -> tensor<24xf32>
  %f = nn.reshape %s1 : tensor<4x6xf32> -> tensor<24xf32>
  // CHECK: nn.sum_to %{{.*}} : tensor<4x6xf32> -> tensor<1x6xf32>
  %st = nn.sum_to %s1 : tensor<4x6xf32> -> tensor<1x6xf32>
  // CHECK: nn.fill 1.000000e+00 : tensor<f32>
  %one = nn.fill 1.0 : tensor<f32>

  // CHECK: nn.mse %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<4x6xf32>
  %l1 = nn.mse %s1, %x : tensor<4x6xf32>, tensor<4x6xf32>
  // CHECK: nn.binary_cross_entropy
  %l2 = nn.binary_cross_entropy %s1, %r3 : tensor<4x6xf32>, tensor<4x6xf32>
  // CHECK: nn.cross_entropy %{{.*}}, %[[Y]] : tensor<4x3xf32>, tensor<4xi64>
  %l3 = nn.cross_entropy %h, %y : tensor<4x3xf32>, tensor<4xi64>
  %l4 = nn.add %l1, %l2 : tensor<f32>, tensor<f32>
  %l = nn.add %l4, %l3 : tensor<f32>, tensor<f32>

  // CHECK: nn.output "probs" %{{.*}} : tensor<4x6xf32>
  nn.output "probs" %s1 : tensor<4x6xf32>
  // CHECK: nn.minimize %{{.*}} with #nn.sgd<lr = 0.1, momentum = 0.9, nesterov = true>
  nn.minimize %l with #nn.sgd<lr = 0.1, momentum = 0.9, nesterov = true>
}

// The ops the training passes emit round-trip too.
// CHECK-LABEL: nn.model @training
nn.model @training {
  %x = nn.input "x" : tensor<4x6xf32>
  %y = nn.input "y" : tensor<4xi64>
  %w = nn.param "w" init(zeros) : tensor<4x6xf32>
  %dl = nn.fill 1.0 : tensor<f32>
  // CHECK: nn.relu_grad %{{.*}}, %{{.*}} : tensor<4x6xf32>
  %g1 = nn.relu_grad %x, %w : tensor<4x6xf32>
  // CHECK: nn.leaky_relu_grad
  %g2 = nn.leaky_relu_grad %g1, %w {negative_slope = 0.1} : tensor<4x6xf32>
  // CHECK: nn.sigmoid_grad
  %g3 = nn.sigmoid_grad %g2, %w : tensor<4x6xf32>
  // CHECK: nn.tanh_grad
  %g4 = nn.tanh_grad %g3, %w : tensor<4x6xf32>
  // CHECK: nn.gelu_grad %{{.*}}, %{{.*}} approximate = tanh : tensor<4x6xf32>
  %g5 = nn.gelu_grad %g4, %w approximate = tanh : tensor<4x6xf32>
  // CHECK: nn.softmax_grad
  %g6 = nn.softmax_grad %g5, %w : tensor<4x6xf32>
  // CHECK: nn.log_softmax_grad
  %g7 = nn.log_softmax_grad %g6, %w {axis = 0} : tensor<4x6xf32>
  // CHECK: nn.mse_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<4x6xf32>
  %g8 = nn.mse_grad %dl, %g7, %x : tensor<4x6xf32>, tensor<4x6xf32>
  // CHECK: nn.binary_cross_entropy_grad
  %g9 = nn.binary_cross_entropy_grad %dl, %g8, %x : tensor<4x6xf32>, tensor<4x6xf32>
  %h = nn.reshape %g9 : tensor<4x6xf32> -> tensor<4x6xf32>
  // CHECK: nn.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x6xf32>, tensor<4xi64>
  %g10 = nn.cross_entropy_grad %dl, %h, %y : tensor<4x6xf32>, tensor<4xi64>
  // CHECK: nn.gradient "w" %{{.*}} : tensor<4x6xf32>
  nn.gradient "w" %g10 : tensor<4x6xf32>
  // CHECK: nn.loss %{{.*}} : tensor<f32>
  nn.loss %dl : tensor<f32>
  // CHECK: %[[M:.*]] = nn.state "optimizer.w.momentum_buffer" : tensor<4x6xf32>
  %m = nn.state "optimizer.w.momentum_buffer" : tensor<4x6xf32>
  %v = nn.state "optimizer.w.exp_avg_sq" : tensor<4x6xf32>
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}}, %[[M]] {{{.*}}nesterov{{.*}}} : tensor<4x6xf32>, tensor<4x6xf32>
  nn.sgd_update %w, %g10, %m {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64, nesterov} : tensor<4x6xf32>, tensor<4x6xf32>
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}} {{{.*}}} : tensor<4x6xf32>
  nn.sgd_update %w, %g10 {lr = 0.1 : f64, momentum = 0.0 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<4x6xf32>
  // CHECK: nn.adam_update %{{.*}}, %{{.*}}, %[[M]], %{{.*}} {{{.*}}decoupled_weight_decay{{.*}}} : tensor<4x6xf32>
  nn.adam_update %w, %g10, %m, %v {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.01 : f64, decoupled_weight_decay} : tensor<4x6xf32>
}

// Graph region: ops may appear before the values they use are defined.
// CHECK-LABEL: nn.model @any_order
nn.model @any_order {
  // CHECK: nn.relu
  %r = nn.relu %x : tensor<2x2xf32>
  %x = nn.input "x" : tensor<2x2xf32>
  nn.output "r" %r : tensor<2x2xf32>
}

// nn.check_finite (inserted by the lowering for --check-numerics).
// CHECK-LABEL: nn.model @checks
nn.model @checks {
  // CHECK: %[[X:.*]] = nn.input "x" : tensor<4x6xf32>
  %x = nn.input "x" : tensor<4x6xf32>
  // CHECK: nn.check_finite %[[X]] {id = 3 : i64} : tensor<4x6xf32>
  nn.check_finite %x {id = 3} : tensor<4x6xf32>
}
