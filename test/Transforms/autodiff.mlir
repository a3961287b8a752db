// nngc-autodiff: the backward graph each op builds (VJPOpInterface).
// RUN: nngc-opt --nngc-autodiff %s -split-input-file | FileCheck %s

// linear on rank-3 input: rows are flattened; the data input gets no
// gradient (its cotangent is swept).
// CHECK-LABEL: nn.model @linear
// CHECK: %[[X:.*]] = nn.input "x"
// CHECK: %[[Y:.*]] = nn.linear
// CHECK: %[[L:.*]] = nn.mse %[[Y]]
// CHECK: %[[ONE:.*]] = nn.fill 1.000000e+00 : tensor<f32>
// CHECK: %[[DY:.*]] = nn.mse_grad %[[ONE]], %[[Y]], %{{.*}} : tensor<2x5x4xf32>, tensor<2x5x4xf32>
// CHECK: %[[DY2:.*]] = nn.reshape %[[DY]] : tensor<2x5x4xf32> -> tensor<10x4xf32>
// CHECK: %[[X2:.*]] = nn.reshape %[[X]] : tensor<2x5x3xf32> -> tensor<10x3xf32>
// CHECK: %[[DW:.*]] = nn.matmul %[[DY2]], %[[X2]] {transpose_lhs} : tensor<10x4xf32>, tensor<10x3xf32>
// CHECK: %[[DB:.*]] = nn.sum_to %[[DY2]] : tensor<10x4xf32> -> tensor<4xf32>
// CHECK-NOT: nn.matmul
// CHECK: nn.gradient "fc.weight" %[[DW]] : tensor<4x3xf32>
// CHECK: nn.gradient "fc.bias" %[[DB]] : tensor<4xf32>
nn.model @linear {
  %x = nn.input "x" : tensor<2x5x3xf32>
  %t = nn.input "t" : tensor<2x5x4xf32>
  %w = nn.param "fc.weight" init(zeros) : tensor<4x3xf32>
  %b = nn.param "fc.bias" init(zeros) : tensor<4xf32>
  %y = nn.linear %x, %w, %b : tensor<2x5x3xf32>, tensor<4x3xf32>, tensor<4xf32>
  %l = nn.mse %y, %t : tensor<2x5x4xf32>, tensor<2x5x4xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// A hidden layer: the input gradient of the second linear is dy W.
// CHECK-LABEL: nn.model @mlp
// CHECK: %[[W2:.*]] = nn.param "fc2.weight"
// CHECK: %[[H:.*]] = nn.linear %{{.*}}, %{{.*}}
// CHECK: %[[A:.*]] = nn.relu %[[H]]
// CHECK: %[[Z:.*]] = nn.linear %[[A]], %[[W2]]
// CHECK: %[[DZ:.*]] = nn.cross_entropy_grad %{{.*}}, %[[Z]], %{{.*}} : tensor<8x3xf32>, tensor<8xi64>
// CHECK-DAG: %[[DA:.*]] = nn.matmul %[[DZ]], %[[W2]] : tensor<8x3xf32>, tensor<3x7xf32>
// CHECK-DAG: %[[DW2:.*]] = nn.matmul %[[DZ]], %[[A]] {transpose_lhs}
// CHECK: %[[DH:.*]] = nn.relu_grad %[[DA]], %[[H]] : tensor<8x7xf32>
// CHECK: %[[DW1:.*]] = nn.matmul %[[DH]], %{{.*}} {transpose_lhs}
// CHECK: nn.gradient "fc1.weight" %[[DW1]]
// CHECK: nn.gradient "fc2.weight" %[[DW2]]
nn.model @mlp {
  %x = nn.input "x" : tensor<8x5xf32>
  %y = nn.input "y" : tensor<8xi64>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<7x5xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<3x7xf32>
  %h = nn.linear %x, %w1 : tensor<8x5xf32>, tensor<7x5xf32>
  %a = nn.relu %h : tensor<8x7xf32>
  %z = nn.linear %a, %w2 : tensor<8x7xf32>, tensor<3x7xf32>
  %l = nn.cross_entropy %z, %y : tensor<8x3xf32>, tensor<8xi64>
  nn.minimize %l with #nn.adam<lr = 1.0e-3>
}

// -----

// Activations: each calls its fused backward op with what it needs (the
// input for relu/leaky_relu/gelu, the result for sigmoid/tanh/softmax).
// CHECK-LABEL: nn.model @activations
// CHECK: %[[H0:.*]] = nn.mul
// CHECK: %[[H1:.*]] = nn.leaky_relu %[[H0]]
// CHECK: %[[H2:.*]] = nn.sigmoid %[[H1]]
// CHECK: %[[H3:.*]] = nn.tanh %[[H2]]
// CHECK: %[[H4:.*]] = nn.gelu %[[H3]] approximate = tanh
// CHECK: %[[H5:.*]] = nn.softmax %[[H4]] {axis = 0 : i64}
// CHECK: %[[H6:.*]] = nn.log_softmax %[[H5]]
// CHECK: %[[H7:.*]] = nn.neg %[[H6]]
// CHECK: %[[G7:.*]] = nn.mse_grad
// CHECK: %[[G6:.*]] = nn.neg %[[G7]]
// CHECK: %[[G5:.*]] = nn.log_softmax_grad %[[G6]], %[[H6]] : tensor<4x6xf32>
// CHECK: %[[G4:.*]] = nn.softmax_grad %[[G5]], %[[H5]] {axis = 0 : i64} : tensor<4x6xf32>
// CHECK: %[[G3:.*]] = nn.gelu_grad %[[G4]], %[[H3]] approximate = tanh : tensor<4x6xf32>
// CHECK: %[[G2:.*]] = nn.tanh_grad %[[G3]], %[[H3]] : tensor<4x6xf32>
// CHECK: %[[G1:.*]] = nn.sigmoid_grad %[[G2]], %[[H2]] : tensor<4x6xf32>
// CHECK: %[[G0:.*]] = nn.leaky_relu_grad %[[G1]], %[[H0]] {negative_slope = 2.000000e-01 : f64} : tensor<4x6xf32>
// CHECK: %[[DW:.*]] = nn.mul %[[G0]], %{{.*}}
// CHECK: nn.gradient "w" %[[DW]]
nn.model @activations {
  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x6xf32>
  %w = nn.param "w" init(zeros) : tensor<4x6xf32>
  %h0 = nn.mul %x, %w : tensor<4x6xf32>, tensor<4x6xf32>
  %h1 = nn.leaky_relu %h0 {negative_slope = 0.2} : tensor<4x6xf32>
  %h2 = nn.sigmoid %h1 : tensor<4x6xf32>
  %h3 = nn.tanh %h2 : tensor<4x6xf32>
  %h4 = nn.gelu %h3 approximate = tanh : tensor<4x6xf32>
  %h5 = nn.softmax %h4 {axis = 0} : tensor<4x6xf32>
  %h6 = nn.log_softmax %h5 : tensor<4x6xf32>
  %h7 = nn.neg %h6 : tensor<4x6xf32>
  %l = nn.mse %h7, %t : tensor<4x6xf32>, tensor<4x6xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// Broadcasting: the cotangent of a broadcast operand is summed back to its
// shape; sub negates the rhs cotangent; fan-out sums cotangents with add.
// CHECK-LABEL: nn.model @broadcast
// CHECK: %[[B:.*]] = nn.param "b" {{.*}} : tensor<6xf32>
// CHECK: %[[C:.*]] = nn.param "c" {{.*}} : tensor<4x1xf32>
// CHECK: %[[S:.*]] = nn.sub %{{.*}}, %[[B]]
// CHECK: %[[M:.*]] = nn.mul %[[S]], %[[C]]
// CHECK: %[[DM:.*]] = nn.mse_grad
// CHECK: %[[T1:.*]] = nn.mul %[[DM]], %[[C]] : tensor<4x6xf32>, tensor<4x1xf32>
// CHECK: %[[T2:.*]] = nn.mul %[[DM]], %[[S]] : tensor<4x6xf32>, tensor<4x6xf32>
// CHECK: %[[DC:.*]] = nn.sum_to %[[T2]] : tensor<4x6xf32> -> tensor<4x1xf32>
// CHECK: %[[NEG:.*]] = nn.neg %[[T1]]
// CHECK: %[[DB1:.*]] = nn.sum_to %[[NEG]] : tensor<4x6xf32> -> tensor<6xf32>
// CHECK: %[[DB:.*]] = nn.add %{{.*}}, %[[DB1]] : tensor<6xf32>, tensor<6xf32>
// CHECK: nn.gradient "b" %[[DB]]
// CHECK: nn.gradient "c" %[[DC]]
nn.model @broadcast {
  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x6xf32>
  %b = nn.param "b" init(zeros) : tensor<6xf32>
  %c = nn.param "c" init(zeros) : tensor<4x1xf32>
  %s = nn.sub %x, %b : tensor<4x6xf32>, tensor<6xf32>
  %m = nn.mul %s, %c : tensor<4x6xf32>, tensor<4x1xf32>
  %y = nn.add %m, %b : tensor<4x6xf32>, tensor<6xf32>
  %l = nn.mse %y, %t : tensor<4x6xf32>, tensor<4x6xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// matmul's four transpose cases.
// CHECK-LABEL: nn.model @matmul
// CHECK-DAG: nn.matmul %[[DC:.*]], %[[B:.*]] {transpose_rhs} : tensor<4x5xf32>, tensor<6x5xf32>
// CHECK-DAG: nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<4x6xf32>, tensor<4x5xf32>
nn.model @matmul {
  %a = nn.param "a" init(zeros) : tensor<4x6xf32>
  %b = nn.param "b" init(zeros) : tensor<6x5xf32>
  %t = nn.input "t" : tensor<4x5xf32>
  %c = nn.matmul %a, %b : tensor<4x6xf32>, tensor<6x5xf32>
  %l = nn.mse %c, %t : tensor<4x5xf32>, tensor<4x5xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// CHECK-LABEL: nn.model @matmul_transposed
// C = A^T B^T: dA = B^T dC^T, dB = dC^T A^T.
// CHECK-DAG: nn.matmul %{{.*}}, %{{.*}} {transpose_lhs, transpose_rhs} : tensor<5x6xf32>, tensor<4x5xf32>
// CHECK-DAG: nn.matmul %{{.*}}, %{{.*}} {transpose_lhs, transpose_rhs} : tensor<4x5xf32>, tensor<6x4xf32>
nn.model @matmul_transposed {
  %a = nn.param "a" init(zeros) : tensor<6x4xf32>
  %b = nn.param "b" init(zeros) : tensor<5x6xf32>
  %t = nn.input "t" : tensor<4x5xf32>
  %c = nn.matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<6x4xf32>, tensor<5x6xf32>
  %l = nn.mse %c, %t : tensor<4x5xf32>, tensor<4x5xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// A batched lhs with a shared rank-2 rhs: the rhs gradient sums over the
// batch.
// CHECK-LABEL: nn.model @matmul_shared
// CHECK: %[[DB3:.*]] = nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<3x4x6xf32>, tensor<3x4x5xf32>
// CHECK: %[[DB:.*]] = nn.sum_to %[[DB3]] : tensor<3x6x5xf32> -> tensor<6x5xf32>
// CHECK: nn.gradient "b" %[[DB]]
nn.model @matmul_shared {
  %a = nn.input "a" : tensor<3x4x6xf32>
  %b = nn.param "b" init(zeros) : tensor<6x5xf32>
  %t = nn.input "t" : tensor<3x4x5xf32>
  %c = nn.matmul %a, %b : tensor<3x4x6xf32>, tensor<6x5xf32>
  %l = nn.mse %c, %t : tensor<3x4x5xf32>, tensor<3x4x5xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// Shape ops: reshape's VJP reshapes back; sum_to's broadcasts (0 + dy).
// CHECK-LABEL: nn.model @shapes
// CHECK: %[[DQ:.*]] = nn.mse_grad
// CHECK: %[[DS:.*]] = nn.reshape %[[DQ]] : tensor<4x3xf32> -> tensor<4x3x1xf32>
// CHECK: %[[Z:.*]] = nn.fill 0.000000e+00 : tensor<4x3x2xf32>
// CHECK: %[[DR:.*]] = nn.add %[[Z]], %[[DS]] : tensor<4x3x2xf32>, tensor<4x3x1xf32>
// CHECK: %[[DW:.*]] = nn.reshape %[[DR]] : tensor<4x3x2xf32> -> tensor<4x6xf32>
// CHECK: nn.gradient "w" %[[DW]]
nn.model @shapes {
  %w = nn.param "w" init(zeros) : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x3xf32>
  %r = nn.reshape %w : tensor<4x6xf32> -> tensor<4x3x2xf32>
  %s = nn.sum_to %r : tensor<4x3x2xf32> -> tensor<4x3x1xf32>
  %q = nn.reshape %s : tensor<4x3x1xf32> -> tensor<4x3xf32>
  %l = nn.mse %q, %t : tensor<4x3xf32>, tensor<4x3xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// Binary cross-entropy: the gradient flows to the logits only; a parameter
// the loss does not use gets a zero gradient.
// CHECK-LABEL: nn.model @bce
// CHECK: %[[DZ:.*]] = nn.binary_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<4x1xf32>
// CHECK: nn.gradient "w" %[[DZ]]
// CHECK: %[[ZERO:.*]] = nn.fill 0.000000e+00 : tensor<3xf32>
// CHECK: nn.gradient "unused" %[[ZERO]]
nn.model @bce {
  %w = nn.param "w" init(zeros) : tensor<4x1xf32>
  %u = nn.param "unused" init(zeros) : tensor<3xf32>
  %t = nn.input "t" : tensor<4x1xf32>
  %l = nn.binary_cross_entropy %w, %t : tensor<4x1xf32>, tensor<4x1xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// -----

// A model without nn.minimize is left alone.
// CHECK-LABEL: nn.model @inference
// CHECK-NOT: nn.gradient
nn.model @inference {
  %x = nn.input "x" : tensor<4x6xf32>
  %r = nn.relu %x : tensor<4x6xf32>
  nn.output "r" %r : tensor<4x6xf32>
}

// -----

// layer_norm: one layer_norm_grad gives the input's and the weight's
// cotangents (no bias here); attention: one attention_grad, whose three
// cotangents sum into the self-attention's input; the padding mask is data.
// CHECK-LABEL: nn.model @transformer
// CHECK: %[[X:.*]] = nn.input "x"
// CHECK: %[[M:.*]] = nn.input "m"
// CHECK: %[[W:.*]] = nn.param "ln.weight"
// CHECK: %[[LN:.*]] = nn.layer_norm %[[X]] weight(%[[W]] : tensor<8xf32>)
// CHECK: %[[A:.*]] = nn.attention %[[LN]], %[[LN]], %[[LN]] key_padding_mask(%[[M]]
// CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = nn.attention_grad %{{.*}}, %[[LN]], %[[LN]], %[[LN]] key_padding_mask(%[[M]] : tensor<2x3x1xf32>) output(%[[A]]) {causal, dropout = 0.000000e+00 : f64, heads = 2 : i64, scale = 5.000000e-01 : f64}
// CHECK: %[[S1:.*]] = nn.add %[[DQ]], %[[DK]]
// CHECK: %[[S2:.*]] = nn.add %[[S1]], %[[DV]]
// CHECK: %[[G:.*]]:2 = nn.layer_norm_grad %[[S2]], %[[X]] weight(%[[W]] : tensor<8xf32>) output(%[[LN]]) {eps = 1.000000e-05 : f64, normalized_dims = 1 : i64} : tensor<2x3x8xf32> -> tensor<2x3x8xf32>, tensor<8xf32>
// CHECK: nn.gradient "ln.weight" %[[G]]#1
nn.model @transformer {
  %x = nn.input "x" : tensor<2x3x8xf32>
  %m = nn.input "m" : tensor<2x3x1xf32>
  %t = nn.input "t" : tensor<2x3x8xf32>
  %w = nn.param "ln.weight" init(ones) : tensor<8xf32>
  %y = nn.layer_norm %x weight(%w : tensor<8xf32>) : tensor<2x3x8xf32>
  %a = nn.attention %y, %y, %y key_padding_mask(%m : tensor<2x3x1xf32>) {heads = 2, causal} : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
  %l = nn.mse %a, %t : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
