// Every verifier message of the nn dialect, each in its own chunk.
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6x1xf32>
  // expected-error @+1 {{'nn.linear' weight must be [out, in], got [3, 6, 1]}}
  %h = nn.linear %x, %w : tensor<4x6xf32>, tensor<3x6x1xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x5xf32>
  // expected-error @+1 {{'nn.linear' input features (6) do not match weight [out, in] = [3, 5]}}
  %h = nn.linear %x, %w : tensor<4x6xf32>, tensor<3x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  %b = nn.param "b" init(zeros) : tensor<4xf32>
  // expected-error @+1 {{'nn.linear' bias must be [3], got [4]}}
  %h = nn.linear %x, %w, %b : tensor<4x6xf32>, tensor<3x6xf32>, tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.param "x" init(zeros) : tensor<f32>
  %w = nn.param "w" init(zeros) : tensor<3x6xf32>
  // expected-error @+1 {{'nn.linear' input must have rank >= 1}}
  %h = nn.linear %x, %w : tensor<f32>, tensor<3x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  // expected-error @+1 {{'nn.matmul' operands must have rank 2 or 3}}
  %h = nn.matmul %x, %x : tensor<4xf32>, tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<2x6x3xf32>
  // expected-error @+1 {{'nn.matmul' a rank-3 rhs needs a rank-3 lhs}}
  %h = nn.matmul %x, %w : tensor<4x6xf32>, tensor<2x6x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x2x6xf32>
  %w = nn.param "w" init(zeros) : tensor<3x6x3xf32>
  // expected-error @+1 {{'nn.matmul' batch sizes differ: 4 vs 3}}
  %h = nn.matmul %x, %w : tensor<4x2x6xf32>, tensor<3x6x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<5x3xf32>
  // expected-error @+1 {{'nn.matmul' contraction sizes differ: lhs [4, 6] and rhs [5, 3] give 6 vs 5}}
  %h = nn.matmul %x, %w : tensor<4x6xf32>, tensor<5x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  // expected-error @+1 {{'nn.add' shapes [4, 6] and [4] do not broadcast}}
  %h = nn.add %x, %w : tensor<4x6xf32>, tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<2x6xf32>
  // expected-error @+1 {{'nn.mul' shapes [4, 6] and [2, 6] do not broadcast}}
  %h = nn.mul %x, %w : tensor<4x6xf32>, tensor<2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  // expected-error @+1 {{'nn.softmax' op axis 2 is out of range for rank 2}}
  %h = nn.softmax %x {axis = 2} : tensor<4x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  // expected-error @+1 {{'nn.log_softmax' op axis -3 is out of range for rank 2}}
  %h = nn.log_softmax %x {axis = -3} : tensor<4x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x5xf32>
  // expected-error @+1 {{'nn.mse' op input [4, 6] and target [4, 5] must have the same shape}}
  %l = nn.mse %x, %t : tensor<4x6xf32>, tensor<4x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x1xf32>
  %t = nn.input "t" : tensor<4xf32>
  // expected-error @+1 {{'nn.binary_cross_entropy' op input [4, 1] and target [4] must have the same shape}}
  %l = nn.binary_cross_entropy %x, %t : tensor<4x1xf32>, tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %y = nn.input "y" : tensor<4xi64>
  // expected-error @+1 {{'nn.cross_entropy' op logits must be [batch, ..., classes], got [4]}}
  %l = nn.cross_entropy %x, %y : tensor<4xf32>, tensor<4xi64>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x10xf32>
  %y = nn.input "y" : tensor<5xi64>
  // expected-error @+1 {{'nn.cross_entropy' op labels [5] must have the logits' shape without the class dimension, [4]}}
  %l = nn.cross_entropy %x, %y : tensor<4x10xf32>, tensor<5xi64>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x10xf32>
  %y = nn.input "y" : tensor<4xf32>
  // expected-error @+1 {{'nn.cross_entropy' op operand #1 must be statically shaped tensor of 64-bit signless integer values}}
  %l = nn.cross_entropy %x, %y : tensor<4x10xf32>, tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.input' op result #0 must be statically shaped tensor of 32-bit float or 64-bit signless integer values}}
  %x = nn.input "x" : tensor<4x10xf64>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.input' op result #0 must be statically shaped tensor}}
  %x = nn.input "x" : tensor<?x10xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  // expected-error @+1 {{'nn.reshape' op cannot reshape [4, 6] (24 elements) to [5, 5] (25 elements)}}
  %r = nn.reshape %x : tensor<4x6xf32> -> tensor<5x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4x6xf32>
  // expected-error @+1 {{'nn.sum_to' op result shape [2, 6] does not broadcast to the input shape [4, 6]}}
  %r = nn.sum_to %x : tensor<4x6xf32> -> tensor<2x6xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.param' op initialiser 'constant' takes 1 argument(s), got 0}}
  %w = nn.param "w" init(constant) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.param' op initialiser 'uniform' takes 0 to 2 argument(s), got 3}}
  %w = nn.param "w" init(uniform, 0.0, 1.0, 2.0) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.param' op initialiser 'kaiming_uniform' needs a parameter of rank >= 2 (fan in and out)}}
  %w = nn.param "w" init(kaiming_uniform) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.param' op uniform bounds must satisfy a <= b}}
  %w = nn.param "w" init(uniform, 1.0, -1.0) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.param' op normal std must be non-negative}}
  %w = nn.param "w" init(normal, 0.0, -1.0) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{unknown initialiser 'glorot'}}
  %w = nn.param "w" init(glorot) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.param' op needs a non-empty name}}
  %w = nn.param "" init(zeros) : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.input' op needs a batch dimension (rank >= 1)}}
  %x = nn.input "x" : tensor<f32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'nn.input' op needs a non-empty name}}
  %x = nn.input "" : tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  // expected-error @+1 {{'nn.input' op duplicate input name 'x'}}
  %y = nn.input "x" : tensor<4xf32>
}

// -----

nn.model @m {
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  // expected-error @+1 {{'nn.param' op duplicate parameter name 'w'}}
  %v = nn.param "w" init(zeros) : tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  nn.output "o" %x : tensor<4xf32>
  // expected-error @+1 {{'nn.output' op duplicate output name 'o'}}
  nn.output "o" %x : tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  // expected-error @+1 {{'nn.input' op batch size 5 differs from the first input's 4}}
  %y = nn.input "y" : tensor<5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %x, %w : tensor<4xf32>, tensor<4xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
  // expected-error @+1 {{'nn.minimize' op a model has at most one nn.minimize}}
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// expected-error @+1 {{'nn.model' op the model's data flow has a cycle}}
nn.model @m {
  %a = nn.relu %b : tensor<4xf32>
  %b = nn.relu %a : tensor<4xf32>
}

// -----

// A tensor whose size in bytes overflows int64 (found by nngc-fuzz: it
// overflowed the memory plan).
nn.model @m {
  // expected-error @+1 {{'nn.input' op result 'tensor<777777777777777764x64xf32>' is too large (nngc's limit is 2^47 elements)}}
  %x = nn.input "x" : tensor<777777777777777764x64xf32>
}

// -----

// An op reading its own result (found by nngc-fuzz: it crashed the
// lowering).
nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  // expected-error @+1 {{'nn.sigmoid' op reads its own result: the model's data flow has a cycle}}
  %a = nn.sigmoid %a : tensor<4xf32>
  nn.output "x" %x : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{'llvm.mlir.constant' op is not an nn op; a model holds nn ops only}}
  %c = llvm.mlir.constant(1 : i32) : i32
}

// -----

nn.model @m {
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  // expected-error @+1 {{'nn.sgd_update' op has a momentum buffer iff momentum is non-zero}}
  nn.sgd_update %w, %w {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{sgd: lr must be positive, got -1}}
  nn.minimize %l with #nn.sgd<lr = -1.0>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{sgd: nesterov requires a momentum and zero dampening}}
  nn.minimize %l with #nn.sgd<lr = 0.1, nesterov = true>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{adam: betas must be in [0, 1)}}
  nn.minimize %l with #nn.adam<lr = 0.1, beta2 = 1.0>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{adamw: weight_decay must be non-negative}}
  nn.minimize %l with #nn.adamw<lr = 0.1, weight_decay = -0.5>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{unknown field 'momentum'}}
  nn.minimize %l with #nn.adam<lr = 0.1, momentum = 0.9>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{field 'lr' given twice}}
  nn.minimize %l with #nn.sgd<lr = 0.1, lr = 0.2>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %l = nn.mse %x, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{field 'lr' is required}}
  nn.minimize %l with #nn.sgd<momentum = 0.9>
}

// -----

// The loss of nn.minimize is a scalar: a tensor is a type error.
nn.model @m {
  // expected-note @+1 {{prior use here}}
  %x = nn.input "x" : tensor<4xf32>
  // expected-error @+1 {{use of value '%x' expects different type than prior uses: 'tensor<f32>' vs 'tensor<4xf32>'}}
  nn.minimize %x with #nn.sgd<lr = 0.1>
}
