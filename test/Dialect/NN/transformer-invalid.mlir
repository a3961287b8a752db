// Verifier errors of the Transformer ops and of nn.minimize's options.
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %w = nn.param "w" init(ones) : tensor<8xf32>
  // expected-error @+1 {{weight is [8] but the input's normalized shape is [16]}}
  %y = nn.layer_norm %x weight(%w : tensor<8xf32>) : tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  // expected-error @+1 {{normalises 4 trailing dimensions of an input of rank 3}}
  %y = nn.layer_norm %x {normalized_dims = 4} : tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  // expected-error @+1 {{eps must be positive}}
  %y = nn.layer_norm %x {eps = 0.0 : f64} : tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  // expected-error @+1 {{heads = 3 must divide the width 16}}
  %y = nn.attention %x, %x, %x {heads = 3} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %s = nn.input "s" : tensor<2x5x16xf32>
  // expected-error @+1 {{a causal mask needs as many queries as keys, got 8 and 5}}
  %y = nn.attention %x, %s, %s {heads = 2, causal} : tensor<2x8x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %m = nn.input "m" : tensor<2x5x1xf32>
  // expected-error @+1 {{key_padding_mask must be [2, 8] or [2, 8, 1], got [2, 5, 1]}}
  %y = nn.attention %x, %x, %x key_padding_mask(%m : tensor<2x5x1xf32>) {heads = 2} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %s = nn.input "s" : tensor<2x8x12xf32>
  // expected-error @+1 {{query, key and value must have one width, got 16, 12, 16}}
  %y = nn.attention %x, %s, %x {heads = 2} : tensor<2x8x16xf32>, tensor<2x8x12xf32>, tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  // expected-error @+1 {{dropout 1.000000e+00 is outside [0, 1)}}
  %y = nn.attention %x, %x, %x {heads = 2, dropout = 1.0} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %w = nn.param "in_proj_weight" init(zeros) : tensor<16x16xf32>
  %o = nn.param "out_proj.weight" init(zeros) : tensor<16x16xf32>
  // expected-error @+1 {{in_proj_weight must be [48, 16], got [16, 16]}}
  %y = nn.multihead_attention %x, %x, %x weights(%w, %o) {heads = 2} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> weights(tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %w = nn.param "in_proj_weight" init(zeros) : tensor<48x16xf32>
  // expected-error @+1 {{takes in_proj_weight, [in_proj_bias], out_proj.weight, [out_proj.bias]: 2 or 4 weights, got 1}}
  %y = nn.multihead_attention %x, %x, %x weights(%w) {heads = 2} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> weights(tensor<48x16xf32>) -> tensor<2x8x16xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{result must be [T, C] with C even, got [8, 15]}}
  %p = nn.sinusoidal_positions : tensor<8x15xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{result must be 1-D, got [2, 4]}}
  %p = nn.arange : tensor<2x4xi64>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{clip_grad_norm must be positive}}
  nn.minimize %l with #nn.sgd<lr = 0.1> clip_grad_norm(0.0)
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{warmup_cosine: decay_steps (10) must exceed warmup (10)}}
  nn.minimize %l with #nn.sgd<lr = 0.1> schedule(#nn.warmup_cosine<warmup = 10, decay_steps = 10>)
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<4xf32>
  %w = nn.param "w" init(zeros) : tensor<4xf32>
  %l = nn.mse %w, %x : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{field 'step_size' is required}}
  nn.minimize %l with #nn.sgd<lr = 0.1> schedule(#nn.step_lr<gamma = 0.5>)
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<3x2x16xf32>
  %kc = nn.input "kc" {nngc.carried_from = "kc_out"} : tensor<3x8x16xf32>
  %pos = nn.input "position" {nngc.position} : tensor<1xi64>
  // expected-error @+1 {{query must be one token per sequence, [B, 1, C], got [3, 2, 16]}}
  %y, %k, %v = nn.cached_attention %q, %q, %q cache(%kc, %kc) at %pos {heads = 4 : i64, scale = 0.5 : f64} : tensor<3x2x16xf32>, tensor<3x8x16xf32>, tensor<1xi64>
}

// -----

nn.model @m {
  %q = nn.input "q" : tensor<3x1x16xf32>
  %kc = nn.input "kc" {nngc.carried_from = "kc_out"} : tensor<1x8x16xf32>
  %pos = nn.input "position" {nngc.position} : tensor<1xi64>
  // expected-error @+1 {{caches must be [3, T, 16], got [1, 8, 16]}}
  %y, %k, %v = nn.cached_attention %q, %q, %q cache(%kc, %kc) at %pos {heads = 4 : i64, scale = 0.5 : f64} : tensor<3x1x16xf32>, tensor<1x8x16xf32>, tensor<1xi64>
}
