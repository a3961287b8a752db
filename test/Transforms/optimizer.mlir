// nngc-optimizer: the global gradient norm, state and one update op per
// parameter, torch.optim's fields; nn.minimize becomes nn.loss; parameter
// groups, clipping and schedules.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer %s -split-input-file | FileCheck %s

// CHECK-LABEL: nn.model @sgd_momentum
// CHECK-SAME: nn.optimizer = #nn.sgd<lr = 0.1, momentum = 0.9, nesterov = true>
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.mse
// CHECK: nn.loss %[[L]] : tensor<f32>
// CHECK-NOT: nn.minimize
// CHECK: nn.gradient "w" %[[G:[^ ]*]]
// CHECK: %[[N:.*]] = nn.grad_norm %[[G]] : tensor<4xf32>
// CHECK: %[[BUF:.*]] = nn.state "optimizer.w.momentum_buffer" : tensor<4xf32>
// CHECK: nn.sgd_update %[[W]], %[[G]], %[[BUF]] grad_norm(%[[N]]) {dampening = 0.000000e+00 : f64, lr = 1.000000e-01 : f64, momentum = 9.000000e-01 : f64, nesterov, weight_decay = 0.000000e+00 : f64}
nn.model @sgd_momentum {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1, momentum = 0.9, nesterov = true>
}

// -----

// Plain SGD keeps no state.
// CHECK-LABEL: nn.model @sgd
// CHECK-NOT: nn.state
// CHECK: nn.sgd_update %{{.*}}, %{{[^ ,]*}} grad_norm(%{{.*}}) {
nn.model @sgd {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// CHECK-LABEL: nn.model @adam
// CHECK: %[[M:.*]] = nn.state "optimizer.w.exp_avg" : tensor<4xf32>
// CHECK: %[[V:.*]] = nn.state "optimizer.w.exp_avg_sq" : tensor<4xf32>
// CHECK: nn.adam_update %{{.*}}, %{{.*}}, %[[M]], %[[V]] grad_norm(%{{.*}}) {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, lr = 1.000000e-03 : f64, weight_decay = 0.000000e+00 : f64}
// CHECK: %[[M2:.*]] = nn.state "optimizer.b.exp_avg"
nn.model @adam {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %b = nn.param "b" init(zeros) : tensor<4xf32>
  %s = nn.add %w, %b : tensor<4xf32>, tensor<4xf32>
  %l = nn.mse %s, %x : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.adam<lr = 1.0e-3>
}

// -----

// CHECK-LABEL: nn.model @adamw
// CHECK: nn.adam_update {{.*}}decoupled_weight_decay{{.*}}weight_decay = 1.000000e-02
nn.model @adamw {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.adamw<lr = 1.0e-3>
}

// -----

// nanoGPT's parameter groups: no weight decay on vectors, nor on a
// parameter marked no_weight_decay; clipping and the schedule go on the
// model for the trainer. One gradient norm covers every parameter.
// CHECK-LABEL: nn.model @groups
// CHECK-SAME: nn.clip_grad_norm = 1.000000e+00 : f64
// CHECK-SAME: nn.schedule = #nn.warmup_cosine<warmup = 10, decay_steps = 100, min_lr = 1.0e-04>
// CHECK: nn.grad_norm %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4xf32>, tensor<3x4xf32>
// CHECK: nn.adam_update {{.*}}weight_decay = 1.000000e-01 : f64} : tensor<4x4xf32>
// CHECK: nn.adam_update {{.*}}weight_decay = 0.000000e+00 : f64} : tensor<4xf32>
// CHECK: nn.adam_update {{.*}}weight_decay = 0.000000e+00 : f64} : tensor<3x4xf32>
nn.model @groups {
  %x = nn.input "x" : tensor<2x4xf32>
  %i = nn.input "i" : tensor<2xi64>
  %w = nn.param "fc.weight" init(zeros) : tensor<4x4xf32>
  %b = nn.param "fc.bias" init(zeros) : tensor<4xf32>
  %e = nn.param "emb.weight" init(zeros) {no_weight_decay} : tensor<3x4xf32>
  %h = nn.linear %x, %w, %b : tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>
  %v = nn.embedding %i, %e : tensor<2xi64>, tensor<3x4xf32>
  %s = nn.add %h, %v : tensor<2x4xf32>, tensor<2x4xf32>
  %l = nn.mse %s, %x : tensor<2x4xf32>, tensor<2x4xf32>
  nn.minimize %l with #nn.adamw<lr = 1.0e-3, weight_decay = 0.1> clip_grad_norm(1.0) decay(matrices) schedule(#nn.warmup_cosine<warmup = 10, decay_steps = 100, min_lr = 1.0e-4>)
}

// -----

// CHECK-LABEL: nn.model @step_lr
// CHECK-SAME: nn.schedule = #nn.step_lr<warmup = 0, step_size = 30, gamma = 0.5>
nn.model @step_lr {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1> schedule(#nn.step_lr<step_size = 30, gamma = 0.5>)
}
