// The verifier messages of nn.additive_attention and
// nn.multiplicative_attention.
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<3x5x6xf32>
  %w = nn.param "w" init(zeros) : tensor<8x6xf32>
  // expected-error @+1 {{'nn.multiplicative_attention' op query, keys and values must be [B, Tq, Q], [B, Tk, K] and [B, Tk, C], got [2, 3, 8], [3, 5, 6], [3, 5, 6]}}
  %a = nn.multiplicative_attention %q, %k, %k weights(%w : tensor<8x6xf32>) : tensor<2x3x8xf32>, tensor<3x5x6xf32>, tensor<3x5x6xf32> -> tensor<2x3x6xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  // expected-error @+1 {{'nn.multiplicative_attention' op the dot score needs queries and keys of one width, got 8 and 6 (give W [8, 6] for the general score)}}
  %a = nn.multiplicative_attention %q, %k, %k : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %w = nn.param "w" init(zeros) : tensor<6x8xf32>
  // expected-error @+1 {{'nn.multiplicative_attention' op W must be [8, 6], got [6, 8]}}
  %a = nn.multiplicative_attention %q, %k, %k weights(%w : tensor<6x8xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x8xf32>
  // expected-error @+1 {{'nn.multiplicative_attention' op result must be [2, 3, 8], got [2, 5, 8]}}
  %a = nn.multiplicative_attention %q, %k, %k : tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x5x8xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x8xf32>
  %mk = nn.input "m" : tensor<2x3x1xf32>
  // expected-error @+1 {{'nn.multiplicative_attention' op key_padding_mask must be [2, 5] or [2, 5, 1], got [2, 3, 1]}}
  %a = nn.multiplicative_attention %q, %k, %k key_padding_mask(%mk : tensor<2x3x1xf32>) : tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x3x8xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %w = nn.param "w" init(zeros) : tensor<7x8xf32>
  %u = nn.param "u" init(zeros) : tensor<7x6xf32>
  // expected-error @+1 {{'nn.additive_attention' op takes W, [W.bias], U, [U.bias], v: 3 or 5 weights, got 2}}
  %a = nn.additive_attention %q, %k, %k weights(%w, %u : tensor<7x8xf32>, tensor<7x6xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %w = nn.param "w" init(zeros) : tensor<7x8xf32>
  %u = nn.param "u" init(zeros) : tensor<7x8xf32>
  %v = nn.param "v" init(zeros) : tensor<1x7xf32>
  // expected-error @+1 {{'nn.additive_attention' op U must be [7, 6], got [7, 8]}}
  %a = nn.additive_attention %q, %k, %k weights(%w, %u, %v : tensor<7x8xf32>, tensor<7x8xf32>, tensor<1x7xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %w = nn.param "w" init(zeros) : tensor<7x8xf32>
  %u = nn.param "u" init(zeros) : tensor<7x6xf32>
  %v = nn.param "v" init(zeros) : tensor<7xf32>
  // expected-error @+1 {{'nn.additive_attention' op v must be [1, 7], got [7]}}
  %a = nn.additive_attention %q, %k, %k weights(%w, %u, %v : tensor<7x8xf32>, tensor<7x6xf32>, tensor<7xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %w = nn.param "w" init(zeros) : tensor<7x8xf32>
  %bw = nn.param "bw" init(zeros) : tensor<7xf32>
  %u = nn.param "u" init(zeros) : tensor<7x6xf32>
  %bu = nn.param "bu" init(zeros) : tensor<6xf32>
  %v = nn.param "v" init(zeros) : tensor<1x7xf32>
  // expected-error @+1 {{'nn.additive_attention' op U.bias must be [7], got [6]}}
  %a = nn.additive_attention %q, %k, %k weights(%w, %bw, %u, %bu, %v : tensor<7x8xf32>, tensor<7xf32>, tensor<7x6xf32>, tensor<6xf32>, tensor<1x7xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
}
