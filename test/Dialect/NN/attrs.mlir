// Optimizer attributes: defaults are left out when printed, every field
// round-trips.
// RUN: nngc-opt %s | FileCheck %s

// CHECK-LABEL: @sgd
nn.model @sgd {
  %x = nn.input "x" : tensor<2x2xf32>
  %w = nn.param "w" init(ones) : tensor<2x2xf32>
  %l = nn.mse %x, %w : tensor<2x2xf32>, tensor<2x2xf32>
  // CHECK: #nn.sgd<lr = 0.01, momentum = 0.9, dampening = 0.1, weight_decay = 1.0e-04>
  nn.minimize %l with #nn.sgd<lr = 1.0e-2, momentum = 0.9, dampening = 0.1, weight_decay = 1.0e-4>
}
// CHECK-LABEL: @adam
nn.model @adam {
  %x = nn.input "x" : tensor<2x2xf32>
  %w = nn.param "w" init(ones) : tensor<2x2xf32>
  %l = nn.mse %x, %w : tensor<2x2xf32>, tensor<2x2xf32>
  // CHECK: #nn.adam<lr = 3.0e-04, beta1 = 0.8, beta2 = 0.95, eps = 1.0e-06, weight_decay = 0.1>
  nn.minimize %l with #nn.adam<lr = 3.0e-4, beta1 = 0.8, beta2 = 0.95, eps = 1.0e-6, weight_decay = 0.1>
}
// CHECK-LABEL: @adamw
nn.model @adamw {
  %x = nn.input "x" : tensor<2x2xf32>
  %w = nn.param "w" init(ones) : tensor<2x2xf32>
  %l = nn.mse %x, %w : tensor<2x2xf32>, tensor<2x2xf32>
  // AdamW's default weight decay is 0.01: it is not printed.
  // CHECK: #nn.adamw<lr = 0.001>
  nn.minimize %l with #nn.adamw<lr = 1.0e-3, weight_decay = 0.01>
}
