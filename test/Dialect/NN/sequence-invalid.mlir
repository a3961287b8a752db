// Every verifier message of the sequence ops, each in its own chunk.
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %ids = nn.input "ids" : tensor<2x5xi64>
  %e = nn.param "e" init(normal) : tensor<11x4xf32>
  // expected-error @+1 {{'nn.embedding' op padding_idx 11 is outside the table's [0, 11)}}
  %x = nn.embedding %ids, %e {padding_idx = 11} : tensor<2x5xi64>, tensor<11x4xf32>
}

// -----

nn.model @m {
  %ids = nn.input "ids" : tensor<2x5xi64>
  %e = nn.param "e" init(normal) : tensor<11x4x1xf32>
  // expected-error @+1 {{'nn.embedding' op weight must be [vocab, dim], got [11, 4, 1]}}
  %x = nn.embedding %ids, %e : tensor<2x5xi64>, tensor<11x4x1xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5xf32>
  // expected-error @+1 {{'nn.dropout' op p must be in [0, 1), got 1}}
  %d = nn.dropout %x {p = 1.0} : tensor<2x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.transpose' op permutation must list each dimension once}}
  %t = nn.transpose %x {permutation = array<i64: 0, 0, 2>} : tensor<2x5x4xf32> -> tensor<2x2x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.transpose' op result must be [5, 2, 4], got [2, 5, 4]}}
  %t = nn.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x5x4xf32> -> tensor<2x5x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x4xf32>
  %a = nn.param "a" init(normal) : tensor<24x4xf32>
  %b = nn.param "b" init(normal) : tensor<24x6xf32>
  %c = nn.param "c" init(normal) : tensor<24xf32>
  // expected-error @+1 {{'nn.lstm' op expects 4 weights (2 without biases) for 1 layer(s) and 1 direction(s), got 3}}
  %o, %h, %cs = nn.lstm %x weights(%a, %b, %c) : tensor<5x2x4xf32> weights(tensor<24x4xf32>, tensor<24x6xf32>, tensor<24xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x5xf32>
  %a = nn.param "a" init(normal) : tensor<18x4xf32>
  %b = nn.param "b" init(normal) : tensor<18x6xf32>
  // expected-error @+1 {{'nn.gru' op weight 0 (weight_ih_l0) must be [18, 5], got [18, 4]}}
  %o, %h = nn.gru %x weights(%a, %b) : tensor<5x2x5xf32> weights(tensor<18x4xf32>, tensor<18x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x4xf32>
  %a = nn.param "a" init(normal) : tensor<6x4xf32>
  %b = nn.param "b" init(normal) : tensor<6x6xf32>
  %ar = nn.param "ar" init(normal) : tensor<6x4xf32>
  %br = nn.param "br" init(normal) : tensor<6x5xf32>
  // expected-error @+1 {{'nn.rnn' op weight 3 (weight_hh_l0_reverse) must be [6, 6], got [6, 5]}}
  %o, %h = nn.rnn %x weights(%a, %b, %ar, %br) {bidirectional} : tensor<5x2x4xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>, tensor<6x4xf32>, tensor<6x5xf32>) -> tensor<5x2x12xf32>, tensor<2x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x4xf32>
  %h0 = nn.input "h0" : tensor<2x2x6xf32>
  %a = nn.param "a" init(normal) : tensor<6x4xf32>
  %b = nn.param "b" init(normal) : tensor<6x6xf32>
  // expected-error @+1 {{'nn.rnn' op initial state must be [num_layers*D, B, H] = [1, 2, 6], got [2, 2, 6]}}
  %o, %h = nn.rnn %x initial(%h0) weights(%a, %b) : tensor<5x2x4xf32> initial(tensor<2x2x6xf32>) weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x4xf32>
  %a = nn.param "a" init(normal) : tensor<6x4xf32>
  %b = nn.param "b" init(normal) : tensor<6x6xf32>
  // expected-error @+1 {{'nn.rnn' op result 0 must be [5, 2, 6], got [2, 5, 6]}}
  %o, %h = nn.rnn %x weights(%a, %b) {batch_first} : tensor<5x2x4xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<2x5x6xf32>, tensor<1x5x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x4xf32>
  %a = nn.param "a" init(normal) : tensor<6x4xf32>
  %b = nn.param "b" init(normal) : tensor<6x6xf32>
  // expected-error @+1 {{'nn.rnn' op dropout must be in [0, 1), got 1.5}}
  %o, %h = nn.rnn %x weights(%a, %b) {dropout = 1.5} : tensor<5x2x4xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2xf32>
  %a = nn.param "a" init(normal) : tensor<6x4xf32>
  %b = nn.param "b" init(normal) : tensor<6x6xf32>
  // expected-error @+1 {{'nn.rnn' op input must be [T, B, I], got [5, 2]}}
  %o, %h = nn.rnn %x weights(%a, %b) : tensor<5x2xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<5x2x4xf32>
  %m = nn.input "m" : tensor<2x5x1xf32>
  %a = nn.param "a" init(normal) : tensor<6x4xf32>
  %b = nn.param "b" init(normal) : tensor<6x6xf32>
  // expected-error @+1 {{'nn.rnn' op mask must be [T, B, 1] = [5, 2, 1], got [2, 5, 1]}}
  %o, %h = nn.rnn %x mask(%m : tensor<2x5x1xf32>) weights(%a, %b) : tensor<5x2x4xf32> weights(tensor<6x4xf32>, tensor<6x6xf32>) -> tensor<5x2x6xf32>, tensor<1x2x6xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  %m = nn.input "m" : tensor<2x5x1xf32>
  %a = nn.param "a" init(normal) : tensor<24x4xf32>
  %b = nn.param "b" init(normal) : tensor<24x6xf32>
  // expected-error @+1 {{'nn.lstm' op computes no c_n with a mask; c_n must have no use}}
  %o, %h, %c = nn.lstm %x mask(%m : tensor<2x5x1xf32>) weights(%a, %b) {batch_first} : tensor<2x5x4xf32> weights(tensor<24x4xf32>, tensor<24x6xf32>) -> tensor<2x5x6xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>
  nn.output "c" %c : tensor<1x2x6xf32>
}
