// Every verifier message of nngc-fuse's ops, each in its own chunk.
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x5xf32>
  // expected-error @+1 {{'nn.fused_matmul' op contraction sizes differ: lhs [4, 6] and rhs [3, 5]}}
  %y = nn.fused_matmul %x, %w {transpose_rhs} : tensor<4x6xf32>, tensor<3x5xf32> -> tensor<4x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  // expected-error @+1 {{'nn.fused_matmul' op result must be [4, 3], not [4, 4]}}
  %y = nn.fused_matmul %x, %w {transpose_rhs} : tensor<4x6xf32>, tensor<3x6xf32> -> tensor<4x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6x3xf32>
  // expected-error @+1 {{'nn.fused_matmul' op has incompatible batched shapes [2, 4, 6] and [3, 6, 3]}}
  %y = nn.fused_matmul %x, %w : tensor<2x4x6xf32>, tensor<3x6x3xf32> -> tensor<2x4x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  %b = nn.param "b" init(zeros) : tensor<4xf32>
  // expected-error @+1 {{'nn.fused_matmul' op bias must be [3]}}
  %y = nn.fused_matmul %x, %w bias(%b : tensor<4xf32>) {transpose_rhs} : tensor<4x6xf32>, tensor<3x6xf32> -> tensor<4x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  // expected-error @+1 {{'nn.fused_matmul' op accumulate needs an addend}}
  %y = nn.fused_matmul %x, %w {accumulate, transpose_rhs} : tensor<4x6xf32>, tensor<3x6xf32> -> tensor<4x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  // expected-error @+1 {{'nn.fused_matmul' op negative_slope must be >= 0}}
  %y = nn.fused_matmul %x, %w {activation = #nn<epilogue leaky_relu>, negative_slope = -0.5, transpose_rhs} : tensor<4x6xf32>, tensor<3x6xf32> -> tensor<4x3xf32>
}

// -----

nn.model @m {
  %w = nn.param "w" init(zeros) : tensor<3xf32>
  %g = nn.input "g" : tensor<3xf32>
  %m = nn.state "m" : tensor<3xf32>
  // expected-error @+1 {{'nn.multi_adam_update' op needs one weight decay per parameter (1), got 2}}
  nn.multi_adam_update params(%w) grads(%g) exp_avgs(%m) exp_avg_sqs(%m) {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decays = array<f64: 0.0, 0.0>} : tensor<3xf32>
}

// -----

nn.model @m {
  %w = nn.param "w" init(zeros) : tensor<3xf32>
  %g = nn.input "g" : tensor<3xf32>
  // expected-error @+1 {{'nn.multi_sgd_update' op has momentum buffers iff momentum is non-zero}}
  nn.multi_sgd_update params(%w) grads(%g) momentum_buffers() {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decays = array<f64: 0.0>} : tensor<3xf32>
}

// -----

nn.model @m {
  %w = nn.param "w" init(zeros) : tensor<3xf32>
  %g = nn.input "g" : tensor<3xf32>
  %v = nn.state "v" : tensor<4xf32>
  // expected-error @+1 {{'nn.multi_sgd_update' op momentum buffers must match their parameters}}
  nn.multi_sgd_update params(%w) grads(%g) momentum_buffers(%v : tensor<4xf32>) {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decays = array<f64: 0.0>} : tensor<3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  // expected-error @+1 {{'nn.dropout_add' op p must be in [0, 1), got 1}}
  %y = nn.dropout_add %x, %x {p = 1.0} : tensor<4x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xi64>
  // expected-error @+1 {{'nn.round_bf16' op operand #0 must be statically shaped tensor of 32-bit float values}}
  %y = nn.round_bf16 %x : tensor<4x6xi64>
}
