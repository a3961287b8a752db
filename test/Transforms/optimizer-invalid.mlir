// RUN: nngc-opt --nngc-optimizer %s -verify-diagnostics

nn.model @not_differentiated {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{'nn.minimize' op has no gradients: run nngc-autodiff before nngc-optimizer}}
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
