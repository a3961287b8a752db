// nngc-derive-step: a language model gets a one-token step model whose
// recurrent layers carry their states through inputs and outputs; a model
// whose path from the ids to the outputs mixes positions gets a note instead.
// RUN: nngc-opt --nngc-derive-step %s | FileCheck %s

// A 2-layer GRU with an activation and dropout between it and the head: all
// of it is specialised to [1, 1]; every parameter is kept, in order, even
// one the outputs do not use.
// CHECK-LABEL: nn.model @gru_lm {
// CHECK-NOT: nngc.step_note
// CHECK-LABEL: nn.model @gru_lm_step attributes {nngc.step_of = @gru_lm} {
// CHECK: %[[IDS:.*]] = nn.input "ids" : tensor<1x1xi64>
// CHECK: nn.param "embed.weight"
// CHECK: nn.param "unused"
// CHECK: nn.param "rnn.weight_ih_l0"
// CHECK: nn.param "head.bias"
// CHECK: %[[E:.*]] = nn.embedding %[[IDS]], %{{.*}} : tensor<1x1xi64>, tensor<11x6xf32>
// CHECK: %[[H0:.*]] = nn.input "rnn0.h0" {nngc.batch_axis = 1 : i64, nngc.carried_from = "rnn0.h_n"} : tensor<2x1x8xf32>
// CHECK: %[[Y:.*]], %[[HN:.*]] = nn.gru %[[E]] initial(%[[H0]]) weights({{.*}}) {batch_first, dropout = 5.000000e-01 : f64, num_layers = 2 : i64} : tensor<1x1x6xf32> initial(tensor<2x1x8xf32>)
// CHECK-SAME: -> tensor<1x1x8xf32>, tensor<2x1x8xf32>
// CHECK: nn.output "rnn0.h_n" %[[HN]] : tensor<2x1x8xf32>
// CHECK: %[[T:.*]] = nn.tanh %[[Y]] : tensor<1x1x8xf32>
// CHECK: %[[D:.*]] = nn.dropout %[[T]] {p = 2.500000e-01 : f64} : tensor<1x1x8xf32>
// CHECK: %[[L:.*]] = nn.linear %[[D]], %{{.*}}, %{{.*}} : tensor<1x1x8xf32>, tensor<11x8xf32>, tensor<11xf32>
// CHECK: nn.output "logits" %[[L]] : tensor<1x1x11xf32>
// CHECK-NOT: nn.cross_entropy
// CHECK-NOT: nn.minimize
// CHECK: }
nn.model @gru_lm {
  %ids = nn.input "ids" : tensor<4x5xi64>
  %next = nn.input "next" : tensor<4x5xi64>
  %emb = nn.param "embed.weight" init(normal) : tensor<11x6xf32>
  %unused = nn.param "unused" init(zeros) : tensor<3xf32>
  %w0 = nn.param "rnn.weight_ih_l0" init(uniform, -0.3, 0.3) : tensor<24x6xf32>
  %u0 = nn.param "rnn.weight_hh_l0" init(uniform, -0.3, 0.3) : tensor<24x8xf32>
  %b0 = nn.param "rnn.bias_ih_l0" init(uniform, -0.3, 0.3) : tensor<24xf32>
  %c0 = nn.param "rnn.bias_hh_l0" init(uniform, -0.3, 0.3) : tensor<24xf32>
  %w1 = nn.param "rnn.weight_ih_l1" init(uniform, -0.3, 0.3) : tensor<24x8xf32>
  %u1 = nn.param "rnn.weight_hh_l1" init(uniform, -0.3, 0.3) : tensor<24x8xf32>
  %b1 = nn.param "rnn.bias_ih_l1" init(uniform, -0.3, 0.3) : tensor<24xf32>
  %c1 = nn.param "rnn.bias_hh_l1" init(uniform, -0.3, 0.3) : tensor<24xf32>
  %hw = nn.param "head.weight" init(zeros) : tensor<11x8xf32>
  %hb = nn.param "head.bias" init(zeros) : tensor<11xf32>
  %x = nn.embedding %ids, %emb : tensor<4x5xi64>, tensor<11x6xf32>
  %y, %hn = nn.gru %x weights(%w0, %u0, %b0, %c0, %w1, %u1, %b1, %c1) {batch_first, num_layers = 2, dropout = 0.5}
      : tensor<4x5x6xf32> weights(tensor<24x6xf32>, tensor<24x8xf32>, tensor<24xf32>, tensor<24xf32>, tensor<24x8xf32>, tensor<24x8xf32>, tensor<24xf32>, tensor<24xf32>)
      -> tensor<4x5x8xf32>, tensor<2x4x8xf32>
  %t = nn.tanh %y : tensor<4x5x8xf32>
  %d = nn.dropout %t {p = 0.25} : tensor<4x5x8xf32>
  %logits = nn.linear %d, %hw, %hb : tensor<4x5x8xf32>, tensor<11x8xf32>, tensor<11xf32>
  %loss = nn.cross_entropy %logits, %next : tensor<4x5x11xf32>, tensor<4x5xi64>
  nn.output "logits" %logits : tensor<4x5x11xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}

// Two stacked layers (an RNN, then an LSTM) each carry their own states.
// CHECK-LABEL: nn.model @two_stacks_step
// CHECK-DAG: nn.input "rnn0.h0" {nngc.batch_axis = 1 : i64, nngc.carried_from = "rnn0.h_n"} : tensor<1x1x4xf32>
// CHECK-DAG: nn.input "rnn1.h0" {nngc.batch_axis = 1 : i64, nngc.carried_from = "rnn1.h_n"} : tensor<1x1x4xf32>
// CHECK-DAG: nn.input "rnn1.c0" {nngc.batch_axis = 1 : i64, nngc.carried_from = "rnn1.c_n"} : tensor<1x1x4xf32>
// CHECK-DAG: nn.output "rnn1.c_n" %{{.*}} : tensor<1x1x4xf32>
// CHECK-DAG: nn.rnn %{{.*}} initial(%{{.*}}) weights
// CHECK-DAG: nn.lstm %{{.*}} initial(%{{.*}}, %{{.*}}) weights
nn.model @two_stacks {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %emb = nn.param "embed.weight" init(normal) : tensor<5x4xf32>
  %a0 = nn.param "a.weight_ih_l0" init(normal) : tensor<4x4xf32>
  %a1 = nn.param "a.weight_hh_l0" init(normal) : tensor<4x4xf32>
  %l0 = nn.param "b.weight_ih_l0" init(normal) : tensor<16x4xf32>
  %l1 = nn.param "b.weight_hh_l0" init(normal) : tensor<16x4xf32>
  %x = nn.embedding %ids, %emb : tensor<2x3xi64>, tensor<5x4xf32>
  %y, %hn = nn.rnn %x weights(%a0, %a1) {batch_first}
      : tensor<2x3x4xf32> weights(tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>, tensor<1x2x4xf32>
  %z, %hn2, %cn2 = nn.lstm %y weights(%l0, %l1) {batch_first}
      : tensor<2x3x4xf32> weights(tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<2x3x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  nn.output "features" %z : tensor<2x3x4xf32>
}

// CHECK-LABEL: nn.model @bidirectional
// CHECK-SAME: nngc.step_note = "'nn.gru' at {{.*}}derive-step.mlir:[[@LINE+10]]:13 is bidirectional"
// CHECK-NOT: @bidirectional_step
nn.model @bidirectional {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %emb = nn.param "embed.weight" init(normal) : tensor<5x4xf32>
  %w = nn.param "rnn.weight_ih_l0" init(normal) : tensor<12x4xf32>
  %u = nn.param "rnn.weight_hh_l0" init(normal) : tensor<12x4xf32>
  %wr = nn.param "rnn.weight_ih_l0_reverse" init(normal) : tensor<12x4xf32>
  %ur = nn.param "rnn.weight_hh_l0_reverse" init(normal) : tensor<12x4xf32>
  %x = nn.embedding %ids, %emb : tensor<2x3xi64>, tensor<5x4xf32>
  %y, %hn = nn.gru %x weights(%w, %u, %wr, %ur) {batch_first, bidirectional}
      : tensor<2x3x4xf32> weights(tensor<12x4xf32>, tensor<12x4xf32>, tensor<12x4xf32>, tensor<12x4xf32>) -> tensor<2x3x8xf32>, tensor<2x2x4xf32>
  nn.output "features" %y : tensor<2x3x8xf32>
}

// CHECK-LABEL: nn.model @pooled
// CHECK-SAME: nngc.step_note = "'nn.reduce' at {{.*}} mixes sequence positions"
nn.model @pooled {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %emb = nn.param "embed.weight" init(normal) : tensor<5x4xf32>
  %x = nn.embedding %ids, %emb : tensor<2x3xi64>, tensor<5x4xf32>
  %m = nn.reduce mean %x {axis = 1} : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  %y = nn.add %x, %m : tensor<2x3x4xf32>, tensor<2x1x4xf32>
  nn.output "features" %y : tensor<2x3x4xf32>
}

// CHECK-LABEL: nn.model @time_major
// CHECK-SAME: is time-major over batch-first token ids
nn.model @time_major {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %emb = nn.param "embed.weight" init(normal) : tensor<5x4xf32>
  %w = nn.param "rnn.weight_ih_l0" init(normal) : tensor<4x4xf32>
  %u = nn.param "rnn.weight_hh_l0" init(normal) : tensor<4x4xf32>
  %x = nn.embedding %ids, %emb : tensor<2x3xi64>, tensor<5x4xf32>
  %y, %hn = nn.rnn %x weights(%w, %u)
      : tensor<2x3x4xf32> weights(tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>, tensor<1x3x4xf32>
  nn.output "features" %y : tensor<2x3x4xf32>
}

// CHECK-LABEL: nn.model @extra_input
// CHECK-SAME: nngc.step_note = "the outputs read input 'scale' position by position besides the token ids"
nn.model @extra_input {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %s = nn.input "scale" : tensor<2x3x4xf32>
  %emb = nn.param "embed.weight" init(normal) : tensor<5x4xf32>
  %x = nn.embedding %ids, %emb : tensor<2x3xi64>, tensor<5x4xf32>
  %y = nn.mul %x, %s : tensor<2x3x4xf32>, tensor<2x3x4xf32>
  nn.output "features" %y : tensor<2x3x4xf32>
}

// A positional table broadcast over [B, T] verifies at one token but no
// longer gives one position per token.
// CHECK-LABEL: nn.model @positions
// CHECK-SAME: nngc.step_note = "specialising to one token fails: output 'features' does not specialise to one token per position"
nn.model @positions {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %emb = nn.param "embed.weight" init(normal) : tensor<5x4xf32>
  %pos = nn.param "pos" init(normal) : tensor<3x4xf32>
  %x = nn.embedding %ids, %emb : tensor<2x3xi64>, tensor<5x4xf32>
  %y = nn.add %x, %pos : tensor<2x3x4xf32>, tensor<3x4xf32>
  nn.output "features" %y : tensor<2x3x4xf32>
}

// CHECK-LABEL: nn.model @classifier
// CHECK-SAME: nngc.step_note = "no token-id input [B, T] read by an nn.embedding"
nn.model @classifier {
  %x = nn.input "x" : tensor<2x3xf32>
  %w = nn.param "w" init(normal) : tensor<4x3xf32>
  %y = nn.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32>
  nn.output "y" %y : tensor<2x4xf32>
}

// -----

// A GPT block: learned positions become the step's "position" input, the
// feature slices of c_attn stay, and the causal attention becomes a
// cached_attention over carried key and value caches.
// CHECK-LABEL: nn.model @gpt_step attributes {nngc.step_of = @gpt} {
// CHECK: %[[POS:.*]] = nn.input "position" {nngc.position} : tensor<1xi64>
// CHECK: %[[IDS:.*]] = nn.input "ids" : tensor<1x1xi64>
// CHECK: nn.embedding %[[POS]], %{{.*}} : tensor<1xi64>, tensor<3x8xf32>
// CHECK: %[[Q:.*]] = nn.slice %{{.*}} {axis = 2 : i64, start = 0 : i64} : tensor<1x1x24xf32> -> tensor<1x1x8xf32>
// CHECK: %[[KC:.*]] = nn.input "attn0.key_cache" {nngc.batch_axis = 0 : i64, nngc.carried_from = "attn0.key_cache_out"} : tensor<1x3x8xf32>
// CHECK: %[[VC:.*]] = nn.input "attn0.value_cache" {nngc.batch_axis = 0 : i64, nngc.carried_from = "attn0.value_cache_out"} : tensor<1x3x8xf32>
// CHECK: %[[Y:.*]], %[[KO:.*]], %[[VO:.*]] = nn.cached_attention %[[Q]], %{{.*}}, %{{.*}} cache(%[[KC]], %[[VC]]) at %[[POS]] {heads = 2 : i64, scale = 5.000000e-01 : f64}
// CHECK: nn.output "attn0.key_cache_out" %[[KO]]
// CHECK: nn.output "attn0.value_cache_out" %[[VO]]
// CHECK: nn.output "logits" %{{.*}} : tensor<1x1x5xf32>
nn.model @gpt {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %wte = nn.param "wte.weight" init(normal) : tensor<5x8xf32>
  %wpe = nn.param "wpe.weight" init(normal) : tensor<3x8xf32>
  %wa = nn.param "attn.c_attn.weight" init(normal) : tensor<24x8xf32>
  %pos = nn.arange : tensor<3xi64>
  %t = nn.embedding %ids, %wte : tensor<2x3xi64>, tensor<5x8xf32>
  %p = nn.embedding %pos, %wpe : tensor<3xi64>, tensor<3x8xf32>
  %x = nn.add %t, %p : tensor<2x3x8xf32>, tensor<3x8xf32>
  %qkv = nn.linear %x, %wa : tensor<2x3x8xf32>, tensor<24x8xf32>
  %q = nn.slice %qkv {axis = 2, start = 0} : tensor<2x3x24xf32> -> tensor<2x3x8xf32>
  %k = nn.slice %qkv {axis = 2, start = 8} : tensor<2x3x24xf32> -> tensor<2x3x8xf32>
  %v = nn.slice %qkv {axis = 2, start = 16} : tensor<2x3x24xf32> -> tensor<2x3x8xf32>
  %a = nn.attention %q, %k, %v {heads = 2, causal} : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
  %logits = nn.linear %a, %wte : tensor<2x3x8xf32>, tensor<5x8xf32>
  nn.output "logits" %logits : tensor<2x3x5xf32>
}

// -----

// Attention without the causal mask sees later tokens: no step model.
// CHECK-LABEL: nn.model @encoder
// CHECK-SAME: nngc.step_note = "'nn.attention' at {{.*}}derive-step.mlir:[[@LINE+5]]:8 is not causal (a step sees no later token)"
nn.model @encoder {
  %ids = nn.input "ids" : tensor<2x3xi64>
  %wte = nn.param "wte.weight" init(normal) : tensor<5x8xf32>
  %x = nn.embedding %ids, %wte : tensor<2x3xi64>, tensor<5x8xf32>
  %a = nn.attention %x, %x, %x {heads = 2} : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
  nn.output "h" %a : tensor<2x3x8xf32>
}
