// The sequence ops parse, verify and print back to a form that parses again.
// RUN: nngc-opt %s | nngc-opt | FileCheck %s
// RUN: nngc-opt %s --mlir-print-op-generic | nngc-opt | FileCheck %s

// CHECK-LABEL: nn.model @seq
nn.model @seq {
  %ids = nn.input "ids" : tensor<2x5xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<11x4xf32>
  // CHECK: nn.embedding %{{.*}}, %{{.*}} {padding_idx = 0 : i64} : tensor<2x5xi64>, tensor<11x4xf32>
  %x = nn.embedding %ids, %e {padding_idx = 0} : tensor<2x5xi64>, tensor<11x4xf32>
  // CHECK: nn.dropout %{{.*}} {p = 2.000000e-01 : f64} : tensor<2x5x4xf32>
  %d = nn.dropout %x {p = 0.2} : tensor<2x5x4xf32>
  // CHECK: nn.transpose %{{.*}} {permutation = array<i64: 1, 0, 2>} : tensor<2x5x4xf32> -> tensor<5x2x4xf32>
  %t = nn.transpose %d {permutation = array<i64: 1, 0, 2>} : tensor<2x5x4xf32> -> tensor<5x2x4xf32>
  %wih = nn.param "rnn.weight_ih_l0" init(normal) : tensor<6x4xf32>
  %whh = nn.param "rnn.weight_hh_l0" init(normal) : tensor<6x6xf32>
  // CHECK: nn.rnn %{{.*}} weights(%{{.*}}, %{{.*}}) nonlinearity = relu : tensor<5x2x4xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
  %r, %rh = nn.rnn %t weights(%wih, %whh) nonlinearity = relu : tensor<5x2x4xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
  %h0 = nn.param "h0" init(zeros) : tensor<2x2x3xf32>
  %gih = nn.param "gru.weight_ih_l0" init(normal) : tensor<9x4xf32>
  %ghh = nn.param "gru.weight_hh_l0" init(normal) : tensor<9x3xf32>
  %gihr = nn.param "gru.weight_ih_l0_reverse" init(normal) : tensor<9x4xf32>
  %ghhr = nn.param "gru.weight_hh_l0_reverse" init(normal) : tensor<9x3xf32>
  // CHECK: nn.gru %{{.*}} initial(%{{.*}}) weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {batch_first, bidirectional} : tensor<2x5x4xf32> initial(tensor<2x2x3xf32>) weights(tensor<9x4xf32>, tensor<9x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>) -> tensor<2x5x6xf32>, tensor<2x2x3xf32>
  %g, %gh = nn.gru %d initial(%h0) weights(%gih, %ghh, %gihr, %ghhr) {batch_first, bidirectional} : tensor<2x5x4xf32> initial(tensor<2x2x3xf32>) weights(tensor<9x4xf32>, tensor<9x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>) -> tensor<2x5x6xf32>, tensor<2x2x3xf32>
  %l0i = nn.param "lstm.weight_ih_l0" init(normal) : tensor<12x4xf32>
  %l0h = nn.param "lstm.weight_hh_l0" init(normal) : tensor<12x3xf32>
  %l0b = nn.param "lstm.bias_ih_l0" init(normal) : tensor<12xf32>
  %l0c = nn.param "lstm.bias_hh_l0" init(normal) : tensor<12xf32>
  %l1i = nn.param "lstm.weight_ih_l1" init(normal) : tensor<12x3xf32>
  %l1h = nn.param "lstm.weight_hh_l1" init(normal) : tensor<12x3xf32>
  %l1b = nn.param "lstm.bias_ih_l1" init(normal) : tensor<12xf32>
  %l1c = nn.param "lstm.bias_hh_l1" init(normal) : tensor<12xf32>
  // CHECK: nn.lstm %{{.*}} weights({{.*}}) {batch_first, dropout = 5.000000e-01 : f64, num_layers = 2 : i64} : tensor<2x5x4xf32> weights({{.*}}) -> tensor<2x5x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>
  %o, %hn, %cn = nn.lstm %d weights(%l0i, %l0h, %l0b, %l0c, %l1i, %l1h, %l1b, %l1c) {batch_first, dropout = 0.5, num_layers = 2} : tensor<2x5x4xf32> weights(tensor<12x4xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x3xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<2x5x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>
  // CHECK: nn.rnn_grad lstm inputs({{.*}}) outputs({{.*}}) grads({{.*}}) {batch_first, dropout = 5.000000e-01 : f64, num_layers = 2 : i64}
  %dx:9 = nn.rnn_grad lstm inputs(%d, %l0i, %l0h, %l0b, %l0c, %l1i, %l1h, %l1b, %l1c : tensor<2x5x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x3xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>) outputs(%o, %hn, %cn : tensor<2x5x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>) grads(%o, %hn, %cn : tensor<2x5x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>) {batch_first, dropout = 0.5, num_layers = 2} -> tensor<2x5x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x3xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>
  // A mask of each sequence's steps (sequence lengths), and its backward.
  %m = nn.input "m" : tensor<2x5x1xf32>
  // CHECK: nn.gru %{{.*}} mask(%{{.*}} : tensor<2x5x1xf32>) initial(%{{.*}}) weights({{.*}}) {batch_first, bidirectional} : tensor<2x5x4xf32> initial(tensor<2x2x3xf32>)
  %mg, %mgh = nn.gru %d mask(%m : tensor<2x5x1xf32>) initial(%h0) weights(%gih, %ghh, %gihr, %ghhr) {batch_first, bidirectional} : tensor<2x5x4xf32> initial(tensor<2x2x3xf32>) weights(tensor<9x4xf32>, tensor<9x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>) -> tensor<2x5x6xf32>, tensor<2x2x3xf32>
  // CHECK: nn.rnn_grad gru inputs({{.*}}) outputs({{.*}}) grads({{.*}}) {batch_first, bidirectional, dropout = 0.000000e+00 : f64, has_initial, has_mask, num_layers = 1 : i64}
  %dm:7 = nn.rnn_grad gru inputs(%d, %m, %h0, %gih, %ghh, %gihr, %ghhr : tensor<2x5x4xf32>, tensor<2x5x1xf32>, tensor<2x2x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>) outputs(%mg, %mgh : tensor<2x5x6xf32>, tensor<2x2x3xf32>) grads(%mg, %mgh : tensor<2x5x6xf32>, tensor<2x2x3xf32>) {batch_first, bidirectional, dropout = 0.0, has_initial, has_mask, num_layers = 1} -> tensor<2x5x4xf32>, tensor<2x5x1xf32>, tensor<2x2x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<9x4xf32>, tensor<9x3xf32>
  // CHECK: nn.embedding_grad %{{.*}}, %{{.*}} {padding_idx = 0 : i64} : tensor<2x5x4xf32>, tensor<2x5xi64> -> tensor<11x4xf32>
  %de = nn.embedding_grad %dx#0, %ids {padding_idx = 0} : tensor<2x5x4xf32>, tensor<2x5xi64> -> tensor<11x4xf32>
  // CHECK: nn.dropout_grad %{{.*}}, %{{.*}} {p = 2.000000e-01 : f64} : tensor<2x5x4xf32>
  %dd = nn.dropout_grad %dx#0, %d {p = 0.2} : tensor<2x5x4xf32>
}
