// nngc-fuse: each fusion, and each refusal (the graph is left as it is).
// RUN: nngc-opt --nngc-fuse %s | FileCheck %s
// RUN: nngc-opt "--nngc-fuse=epilogues=false slices=false updates=false" %s | FileCheck %s --check-prefix=OFF
// RUN: nngc-opt "--nngc-fuse=cublas-epilogues=true" %s | FileCheck %s --check-prefix=CUBLAS

// A linear and its relu become one product with a relu epilogue; the
// relu's backward reads the result instead (relu(x) > 0 iff x > 0).
// CHECK-LABEL: nn.model @relu_epilogue
// CHECK-SAME: nngc.kernels_before_fusion = 3
// CHECK: %[[Y:.*]] = nn.fused_matmul %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<7xf32>) {activation = #nn<epilogue relu>, transpose_rhs} : tensor<8x5xf32>, tensor<7x5xf32> -> tensor<8x7xf32>
// CHECK-NOT: nn.relu %
// CHECK: nn.relu_grad %{{.*}}, %[[Y]] {from_result}
// OFF-LABEL: nn.model @relu_epilogue
// OFF: nn.linear
// OFF: nn.relu
nn.model @relu_epilogue {
  %x = nn.input "x" : tensor<8x5xf32>
  %g = nn.input "g" : tensor<8x7xf32>
  %w = nn.param "fc.weight" init(zeros) : tensor<7x5xf32>
  %b = nn.param "fc.bias" init(zeros) : tensor<7xf32>
  %h = nn.linear %x, %w, %b : tensor<8x5xf32>, tensor<7x5xf32>, tensor<7xf32>
  %a = nn.relu %h : tensor<8x7xf32>
  %d = nn.relu_grad %g, %h : tensor<8x7xf32>
  nn.output "a" %a : tensor<8x7xf32>
  nn.output "d" %d : tensor<8x7xf32>
}

// tanh, sigmoid and leaky_relu (slope >= 0) fuse the same way; a matmul
// keeps its transposes.
// CHECK-LABEL: nn.model @other_activations
// CHECK: nn.fused_matmul %{{.*}}, %{{.*}} {activation = #nn<epilogue tanh>, transpose_lhs}
// CHECK: nn.fused_matmul %{{.*}}, %{{.*}} {activation = #nn<epilogue sigmoid>, transpose_rhs}
// CHECK: nn.fused_matmul %{{.*}}, %{{.*}} {activation = #nn<epilogue leaky_relu>, negative_slope = 2.000000e-01 : f64, transpose_rhs}
nn.model @other_activations {
  %x = nn.input "x" : tensor<5x8xf32>
  %w = nn.param "w" init(zeros) : tensor<5x7xf32>
  %v = nn.param "v" init(zeros) : tensor<7x5xf32>
  %p = nn.matmul %x, %w {transpose_lhs} : tensor<5x8xf32>, tensor<5x7xf32>
  %t = nn.tanh %p : tensor<8x7xf32>
  %q = nn.linear %t, %w : tensor<8x7xf32>, tensor<5x7xf32>
  %s = nn.sigmoid %q : tensor<8x5xf32>
  %r = nn.linear %s, %v : tensor<8x5xf32>, tensor<7x5xf32>
  %l = nn.leaky_relu %r {negative_slope = 0.2} : tensor<8x7xf32>
  nn.output "l" %l : tensor<8x7xf32>
}

// Refused: GELU (its backward reads the product), a product read by
// something else too, and a negative leaky slope.
// CHECK-LABEL: nn.model @refused_activations
// CHECK-NOT: nn.fused_matmul
// CHECK: nn.gelu
// CHECK: nn.relu
// CHECK: nn.leaky_relu
nn.model @refused_activations {
  %x = nn.input "x" : tensor<8x5xf32>
  %g = nn.input "g" : tensor<8x7xf32>
  %w = nn.param "w" init(zeros) : tensor<7x5xf32>
  %h1 = nn.linear %x, %w : tensor<8x5xf32>, tensor<7x5xf32>
  %a1 = nn.gelu %h1 : tensor<8x7xf32>
  %d1 = nn.gelu_grad %g, %h1 : tensor<8x7xf32>
  %h2 = nn.linear %x, %w : tensor<8x5xf32>, tensor<7x5xf32>
  %a2 = nn.relu %h2 : tensor<8x7xf32>
  %h3 = nn.linear %x, %w : tensor<8x5xf32>, tensor<7x5xf32>
  %a3 = nn.leaky_relu %h3 {negative_slope = -0.5} : tensor<8x7xf32>
  nn.output "a1" %a1 : tensor<8x7xf32>
  nn.output "d1" %d1 : tensor<8x7xf32>
  nn.output "a2" %a2 : tensor<8x7xf32>
  nn.output "h2" %h2 : tensor<8x7xf32>
  nn.output "a3" %a3 : tensor<8x7xf32>
}

// A residual add: the product accumulates onto the other side, also
// behind the reshape a linear's backward puts between them.
// CHECK-LABEL: nn.model @addend
// CHECK: %[[R:.*]] = nn.fused_matmul %{{.*}}, %{{.*}} addend(%[[X:.*]]) {transpose_rhs} : tensor<2x4x6xf32>, tensor<6x6xf32> -> tensor<2x4x6xf32>
// CHECK: %[[G2:.*]] = nn.reshape %{{.*}} : tensor<2x4x6xf32> -> tensor<8x6xf32>
// CHECK: %[[M:.*]] = nn.fused_matmul %{{.*}}, %{{.*}} addend(%[[G2]]) : tensor<8x6xf32>, tensor<6x6xf32> -> tensor<8x6xf32>
// CHECK: nn.reshape %[[M]] : tensor<8x6xf32> -> tensor<2x4x6xf32>
// CHECK-NOT: nn.add
nn.model @addend {
  %x = nn.input "x" : tensor<2x4x6xf32>
  %g = nn.input "g" : tensor<2x4x6xf32>
  %d = nn.reshape %g : tensor<2x4x6xf32> -> tensor<8x6xf32>
  %w = nn.param "w" init(zeros) : tensor<6x6xf32>
  %p = nn.linear %x, %w : tensor<2x4x6xf32>, tensor<6x6xf32>
  %y = nn.add %x, %p : tensor<2x4x6xf32>, tensor<2x4x6xf32>
  %m = nn.matmul %d, %w : tensor<8x6xf32>, tensor<6x6xf32>
  %m3 = nn.reshape %m : tensor<8x6xf32> -> tensor<2x4x6xf32>
  %s = nn.add %m3, %g : tensor<2x4x6xf32>, tensor<2x4x6xf32>
  nn.output "y" %y : tensor<2x4x6xf32>
  nn.output "s" %s : tensor<2x4x6xf32>
}

// Refused: a broadcasting add, and a product that is read twice.
// CHECK-LABEL: nn.model @refused_addend
// CHECK-NOT: nn.fused_matmul
// CHECK: nn.add
// CHECK: nn.add
nn.model @refused_addend {
  %x = nn.input "x" : tensor<8x6xf32>
  %b = nn.param "b" init(zeros) : tensor<6xf32>
  %w = nn.param "w" init(zeros) : tensor<6x6xf32>
  %p = nn.linear %x, %w : tensor<8x6xf32>, tensor<6x6xf32>
  %y = nn.add %p, %b : tensor<8x6xf32>, tensor<6xf32>
  %q = nn.linear %x, %w : tensor<8x6xf32>, tensor<6x6xf32>
  %z = nn.add %q, %x : tensor<8x6xf32>, tensor<8x6xf32>
  nn.output "y" %y : tensor<8x6xf32>
  nn.output "z" %z : tensor<8x6xf32>
  nn.output "q" %q : tensor<8x6xf32>
}

// The backward of slicing q, k and v out of one projection: one concat.
// CHECK-LABEL: nn.model @slice_grads
// CHECK: nn.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64} : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32> -> tensor<2x3x12xf32>
// CHECK-NOT: nn.slice_grad
// OFF-LABEL: nn.model @slice_grads
// OFF: nn.slice_grad
nn.model @slice_grads {
  %q = nn.input "q" : tensor<2x3x4xf32>
  %k = nn.input "k" : tensor<2x3x4xf32>
  %v = nn.input "v" : tensor<2x3x4xf32>
  %dv = nn.slice_grad %v {axis = 2, start = 8} : tensor<2x3x4xf32> -> tensor<2x3x12xf32>
  %dk = nn.slice_grad %k {axis = 2, start = 4} : tensor<2x3x4xf32> -> tensor<2x3x12xf32>
  %s = nn.add %dv, %dk : tensor<2x3x12xf32>, tensor<2x3x12xf32>
  %dq = nn.slice_grad %q {axis = -1, start = 0} : tensor<2x3x4xf32> -> tensor<2x3x12xf32>
  %t = nn.add %s, %dq : tensor<2x3x12xf32>, tensor<2x3x12xf32>
  nn.output "t" %t : tensor<2x3x12xf32>
}

// Refused: pieces that leave a gap.
// CHECK-LABEL: nn.model @slice_gap
// CHECK-NOT: nn.concat
// CHECK: nn.add
nn.model @slice_gap {
  %q = nn.input "q" : tensor<2x3x4xf32>
  %v = nn.input "v" : tensor<2x3x4xf32>
  %dv = nn.slice_grad %v {axis = 2, start = 8} : tensor<2x3x4xf32> -> tensor<2x3x12xf32>
  %dq = nn.slice_grad %q {axis = 2, start = 0} : tensor<2x3x4xf32> -> tensor<2x3x12xf32>
  %t = nn.add %dv, %dq : tensor<2x3x12xf32>, tensor<2x3x12xf32>
  nn.output "t" %t : tensor<2x3x12xf32>
}

// Every update of one optimizer becomes one multi-tensor update with each
// parameter's weight decay.
// CHECK-LABEL: nn.model @adam_updates
// CHECK: nn.multi_adam_update params(%[[W:.*]], %[[B:.*]]) grads(%{{.*}}, %{{.*}}) exp_avgs(%{{.*}}, %{{.*}}) exp_avg_sqs(%{{.*}}, %{{.*}}) grad_norm(%{{.*}}) {{{.*}}decoupled_weight_decay{{.*}}weight_decays = array<f64: 1.000000e-01, 0.000000e+00>}
// CHECK-NOT: nn.adam_update
// OFF-LABEL: nn.model @adam_updates
// OFF-COUNT-2: nn.adam_update
nn.model @adam_updates {
  %w = nn.param "w" init(zeros) : tensor<4x3xf32>
  %b = nn.param "b" init(zeros) : tensor<4xf32>
  %dw = nn.input "dw" : tensor<4x3xf32>
  %db = nn.input "db" : tensor<4xf32>
  %n = nn.grad_norm %dw, %db : tensor<4x3xf32>, tensor<4xf32>
  %mw = nn.state "mw" : tensor<4x3xf32>
  %vw = nn.state "vw" : tensor<4x3xf32>
  %mb = nn.state "mb" : tensor<4xf32>
  %vb = nn.state "vb" : tensor<4xf32>
  nn.adam_update %w, %dw, %mw, %vw grad_norm(%n) {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.1 : f64, decoupled_weight_decay} : tensor<4x3xf32>
  nn.adam_update %b, %db, %mb, %vb grad_norm(%n) {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64, decoupled_weight_decay} : tensor<4xf32>
}

// CHECK-LABEL: nn.model @sgd_updates
// CHECK: nn.multi_sgd_update params(%{{.*}}, %{{.*}}) grads(%{{.*}}, %{{.*}}) momentum_buffers(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<4xf32>) {{{.*}}momentum = 9.000000e-01 : f64{{.*}}weight_decays = array<f64: 0.000000e+00, 0.000000e+00>}
nn.model @sgd_updates {
  %w = nn.param "w" init(zeros) : tensor<4x3xf32>
  %b = nn.param "b" init(zeros) : tensor<4xf32>
  %dw = nn.input "dw" : tensor<4x3xf32>
  %db = nn.input "db" : tensor<4xf32>
  %mw = nn.state "mw" : tensor<4x3xf32>
  %mb = nn.state "mb" : tensor<4xf32>
  nn.sgd_update %w, %dw, %mw {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<4x3xf32>, tensor<4x3xf32>
  nn.sgd_update %b, %db, %mb {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<4xf32>, tensor<4xf32>
}

// With cublas-epilogues (--target=cuda): ReLU fuses, tanh does not, and an
// addend fuses onto a bare product but not onto one with an activation
// (cuBLASLt adds it before the activation); the CPU fuses both.
// CHECK-LABEL: nn.model @cublas_epilogues
// CHECK: nn.fused_matmul %{{.*}}, %{{.*}} addend(%{{.*}}) {activation = #nn<epilogue relu>, transpose_rhs}
// CHECK: nn.fused_matmul %{{.*}}, %{{.*}} {activation = #nn<epilogue tanh>, transpose_rhs}
// CHECK: nn.fused_matmul %{{.*}}, %{{.*}} addend(%{{.*}}) {accumulate, transpose_rhs}
// CUBLAS-LABEL: nn.model @cublas_epilogues
// CUBLAS: %[[R:.*]] = nn.fused_matmul %{{.*}}, %{{.*}} {activation = #nn<epilogue relu>, transpose_rhs}
// CUBLAS: nn.add %[[R]], %{{.*}}
// CUBLAS: nn.linear
// CUBLAS: nn.tanh
// CUBLAS: nn.fused_matmul %{{.*}}, %{{.*}} addend(%{{.*}}) {{{(accumulate, )?}}transpose_rhs}
// CUBLAS-NOT: nn.add
nn.model @cublas_epilogues {
  %x = nn.input "x" : tensor<8x6xf32>
  %w = nn.param "w" init(zeros) : tensor<6x6xf32>
  %h = nn.linear %x, %w : tensor<8x6xf32>, tensor<6x6xf32>
  %r = nn.relu %h : tensor<8x6xf32>
  %s = nn.add %r, %x : tensor<8x6xf32>, tensor<8x6xf32>
  %t0 = nn.linear %s, %w : tensor<8x6xf32>, tensor<6x6xf32>
  %t = nn.tanh %t0 : tensor<8x6xf32>
  %p = nn.linear %t, %w : tensor<8x6xf32>, tensor<6x6xf32>
  %u = nn.add %p, %s : tensor<8x6xf32>, tensor<8x6xf32>
  nn.output "u" %u : tensor<8x6xf32>
}
