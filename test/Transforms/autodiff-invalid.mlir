// RUN: nngc-opt --nngc-autodiff %s -split-input-file -verify-diagnostics

nn.model @no_vjp {
  %w = nn.param "w" init(zeros) : tensor<4x6xf32>
  %x = nn.input "x" : tensor<4x6xf32>
  // expected-error @+1 {{'nn.relu_grad' op has no VJP rule, so the loss cannot be differentiated through it}}
  %g = nn.relu_grad %x, %w : tensor<4x6xf32>
  %l = nn.mse %g, %x : tensor<4x6xf32>, tensor<4x6xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// expected-error @+1 {{'nn.model' op is already differentiated (it has nn.gradient ops); run nngc-autodiff once}}
nn.model @twice {
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %w : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
  nn.gradient "w" %w : tensor<4xf32>
}

// -----

nn.model @batched_transpose_shared {
  %a = nn.param "a" init(zeros) : tensor<3x6x4xf32>
  %b = nn.param "b" init(zeros) : tensor<6x5xf32>
  %t = nn.input "t" : tensor<3x4x5xf32>
  // expected-error @+1 {{'nn.matmul' op VJP of a batched transpose_lhs matmul with a shared rank-2 rhs is not supported yet}}
  %c = nn.matmul %a, %b {transpose_lhs} : tensor<3x6x4xf32>, tensor<6x5xf32>
  %l = nn.mse %c, %t : tensor<3x4x5xf32>, tensor<3x4x5xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
