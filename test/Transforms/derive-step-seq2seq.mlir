// nngc-derive-step on translators: the values computed from the source
// inputs alone and read by the decoder go to an encode model (run once per
// batch of sources); the decoder becomes a step model of one token per
// sentence, batch kept, that reads them as inputs. A model whose decoder
// mixes target positions gets a note instead.
// RUN: nngc-opt --nngc-decompose --nngc-derive-step %s | FileCheck %s

// A GRU encoder-decoder with Luong attention: the encoder's outputs, its
// final state (the decoder's initial state), the projected keys and the
// padding mask's score bias are encoded; the decoder's GRU state starts
// from the encoded final state and is carried, batch axis 1.
// CHECK-LABEL: nn.model @gru_s2s {
// CHECK-NOT: nngc.step_note
// CHECK-LABEL: nn.model @gru_s2s_encode attributes {nngc.encode_of = @gru_s2s} {
// CHECK: nn.input "src" : tensor<2x3xi64>
// CHECK: nn.input "src_mask" : tensor<2x3x1xf32>
// CHECK-NOT: nn.input
// CHECK: nn.param "src_embed.weight"
// CHECK: nn.param "out.bias"
// CHECK: %[[ENC:.*]], %[[ENCH:.*]] = nn.gru
// CHECK-SAME: -> tensor<2x3x5xf32>, tensor<1x2x5xf32>
// CHECK: %[[KEYS:.*]] = nn.linear %[[ENC]], %{{.*}} : tensor<2x3x5xf32>, tensor<5x5xf32>
// CHECK-NOT: nn.embedding %{{.*}}tensor<2x4xi64>
// CHECK-DAG: nn.output "encoded.0" %[[ENCH]] : tensor<1x2x5xf32>
// CHECK-DAG: nn.output "encoded.1" %[[ENC]] : tensor<2x3x5xf32>
// CHECK-DAG: nn.output "encoded.2" %{{.*}} : tensor<2x1x3xf32>
// CHECK-DAG: nn.output "encoded.3" %[[KEYS]] : tensor<2x3x5xf32>
// CHECK: }
// CHECK-LABEL: nn.model @gru_s2s_step attributes {nngc.step_of = @gru_s2s} {
// CHECK-DAG: %[[E1:.*]] = nn.input "encoded.1" {nngc.from_encode = "encoded.1"} : tensor<2x3x5xf32>
// CHECK-DAG: %[[E2:.*]] = nn.input "encoded.2" {nngc.from_encode = "encoded.2"} : tensor<2x1x3xf32>
// CHECK-DAG: %[[E3:.*]] = nn.input "encoded.3" {nngc.from_encode = "encoded.3"} : tensor<2x3x5xf32>
// CHECK-DAG: %[[IDS:.*]] = nn.input "tgt_in" : tensor<2x1xi64>
// CHECK: %[[X:.*]] = nn.embedding %[[IDS]], %{{.*}} : tensor<2x1xi64>, tensor<6x4xf32>
// CHECK: %[[H0:.*]] = nn.input "rnn0.h0" {nngc.batch_axis = 1 : i64, nngc.carried_from = "rnn0.h_n", nngc.initial_from = "encoded.0"} : tensor<1x2x5xf32>
// CHECK: %[[DEC:.*]], %[[HN:.*]] = nn.gru %[[X]] initial(%[[H0]])
// CHECK-SAME: -> tensor<2x1x5xf32>, tensor<1x2x5xf32>
// CHECK: nn.output "rnn0.h_n" %[[HN]] : tensor<1x2x5xf32>
// CHECK: %[[S:.*]] = nn.matmul %[[DEC]], %[[E3]] {transpose_rhs} : tensor<2x1x5xf32>, tensor<2x3x5xf32>
// CHECK: %[[SM:.*]] = nn.add %[[S]], %[[E2]] : tensor<2x1x3xf32>, tensor<2x1x3xf32>
// CHECK: %[[P:.*]] = nn.softmax %[[SM]] : tensor<2x1x3xf32>
// CHECK: %[[CTX:.*]] = nn.matmul %[[P]], %[[E1]] : tensor<2x1x3xf32>, tensor<2x3x5xf32>
// CHECK: nn.concat %[[CTX]], %[[DEC]] {axis = 2 : i64} : tensor<2x1x5xf32>, tensor<2x1x5xf32> -> tensor<2x1x10xf32>
// CHECK: nn.output "logits" %{{.*}} : tensor<2x1x6xf32>
// CHECK-NOT: nn.cross_entropy
// CHECK: }
nn.model @gru_s2s {
  %src = nn.input "src" : tensor<2x3xi64>
  %src_mask = nn.input "src_mask" : tensor<2x3x1xf32>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %tgt_out = nn.input "tgt_out" : tensor<2x4xi64>
  %se = nn.param "src_embed.weight" init(normal) : tensor<7x4xf32>
  %te = nn.param "tgt_embed.weight" init(normal) : tensor<6x4xf32>
  %ew = nn.param "encoder.weight_ih_l0" init(normal) : tensor<15x4xf32>
  %eu = nn.param "encoder.weight_hh_l0" init(normal) : tensor<15x5xf32>
  %dw = nn.param "decoder.weight_ih_l0" init(normal) : tensor<15x4xf32>
  %du = nn.param "decoder.weight_hh_l0" init(normal) : tensor<15x5xf32>
  %wa = nn.param "attn.Wa.weight" init(normal) : tensor<5x5xf32>
  %cw = nn.param "combine.weight" init(normal) : tensor<5x10xf32>
  %ow = nn.param "out.weight" init(normal) : tensor<6x5xf32>
  %ob = nn.param "out.bias" init(zeros) : tensor<6xf32>
  %xs = nn.embedding %src, %se {padding_idx = 0} : tensor<2x3xi64>, tensor<7x4xf32>
  %enc, %enc_h = nn.gru %xs mask(%src_mask : tensor<2x3x1xf32>) weights(%ew, %eu) {batch_first}
      : tensor<2x3x4xf32> weights(tensor<15x4xf32>, tensor<15x5xf32>) -> tensor<2x3x5xf32>, tensor<1x2x5xf32>
  %xt = nn.embedding %tgt_in, %te {padding_idx = 0} : tensor<2x4xi64>, tensor<6x4xf32>
  %dec, %dec_h = nn.gru %xt initial(%enc_h) weights(%dw, %du) {batch_first}
      : tensor<2x4x4xf32> initial(tensor<1x2x5xf32>) weights(tensor<15x4xf32>, tensor<15x5xf32>) -> tensor<2x4x5xf32>, tensor<1x2x5xf32>
  %ctx = nn.multiplicative_attention %dec, %enc, %enc key_padding_mask(%src_mask : tensor<2x3x1xf32>) weights(%wa : tensor<5x5xf32>)
      : tensor<2x4x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32> -> tensor<2x4x5xf32>
  %cat = nn.concat %ctx, %dec {axis = 2} : tensor<2x4x5xf32>, tensor<2x4x5xf32> -> tensor<2x4x10xf32>
  %h = nn.linear %cat, %cw : tensor<2x4x10xf32>, tensor<5x10xf32>
  %t = nn.tanh %h : tensor<2x4x5xf32>
  %logits = nn.linear %t, %ow, %ob : tensor<2x4x5xf32>, tensor<6x5xf32>, tensor<6xf32>
  %loss = nn.cross_entropy %logits, %tgt_out {ignore_index = 0} : tensor<2x4x6xf32>, tensor<2x4xi64>
  nn.output "logits" %logits : tensor<2x4x6xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}

// A Transformer decoder layer: the target positions become the step's
// "position" input, the causal self-attention a cached_attention over
// [B, T, C] caches (batch axis 0), and the cross-attention attends from
// the one token over the encoded keys and values, projected once by the
// encode model, with the source's padding mask read from the encode
// model's input.
// CHECK-LABEL: nn.model @xf_s2s_encode attributes {nngc.encode_of = @xf_s2s} {
// CHECK: %[[MK:.*]] = nn.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>
// CHECK: %[[MV:.*]] = nn.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>
// CHECK-DAG: nn.output "encoded.{{[0-9]}}" %[[MK]]
// CHECK-DAG: nn.output "encoded.{{[0-9]}}" %[[MV]]
// CHECK-LABEL: nn.model @xf_s2s_step attributes {nngc.step_of = @xf_s2s} {
// CHECK-DAG: %[[K:.*]] = nn.input "encoded.{{[0-9]}}" {nngc.from_encode = "encoded.{{[0-9]}}"} : tensor<2x3x8xf32>
// CHECK-DAG: %[[MASK:.*]] = nn.input "src_mask" {nngc.from_encode = "src_mask"} : tensor<2x3x1xf32>
// CHECK-DAG: %[[POS:.*]] = nn.input "position" {nngc.position} : tensor<1xi64>
// CHECK-DAG: nn.input "tgt_in" : tensor<2x1xi64>
// CHECK: nn.embedding %[[POS]], %{{.*}} : tensor<1xi64>, tensor<4x8xf32>
// CHECK: %[[KC:.*]] = nn.input "attn0.key_cache" {nngc.batch_axis = 0 : i64, nngc.carried_from = "attn0.key_cache_out"} : tensor<2x4x8xf32>
// CHECK: %[[VC:.*]] = nn.input "attn0.value_cache" {nngc.batch_axis = 0 : i64, nngc.carried_from = "attn0.value_cache_out"} : tensor<2x4x8xf32>
// CHECK: nn.cached_attention %{{.*}}, %{{.*}}, %{{.*}} cache(%[[KC]], %[[VC]]) at %[[POS]] {heads = 2 : i64, scale = 5.000000e-01 : f64} : tensor<2x1x8xf32>, tensor<2x4x8xf32>, tensor<1xi64>
// CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} key_padding_mask(%[[MASK]] : tensor<2x3x1xf32>) {heads = 2 : i64} : tensor<2x1x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
// CHECK: nn.output "logits" %{{.*}} : tensor<2x1x6xf32>
nn.model @xf_s2s {
  %src = nn.input "src" : tensor<2x3xi64>
  %src_mask = nn.input "src_mask" : tensor<2x3x1xf32>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %se = nn.param "src_embed.weight" init(normal) : tensor<7x8xf32>
  %te = nn.param "tgt_embed.weight" init(normal) : tensor<6x8xf32>
  %tp = nn.param "tgt_pos.weight" init(normal) : tensor<4x8xf32>
  %sa_w = nn.param "sa.in_proj_weight" init(normal) : tensor<24x8xf32>
  %sa_b = nn.param "sa.in_proj_bias" init(zeros) : tensor<24xf32>
  %sa_ow = nn.param "sa.out_proj.weight" init(normal) : tensor<8x8xf32>
  %sa_ob = nn.param "sa.out_proj.bias" init(zeros) : tensor<8xf32>
  %ca_w = nn.param "ca.in_proj_weight" init(normal) : tensor<24x8xf32>
  %ca_b = nn.param "ca.in_proj_bias" init(zeros) : tensor<24xf32>
  %ca_ow = nn.param "ca.out_proj.weight" init(normal) : tensor<8x8xf32>
  %ca_ob = nn.param "ca.out_proj.bias" init(zeros) : tensor<8xf32>
  %ow = nn.param "out.weight" init(normal) : tensor<6x8xf32>
  %mem = nn.embedding %src, %se : tensor<2x3xi64>, tensor<7x8xf32>
  %pos = nn.arange : tensor<4xi64>
  %tok = nn.embedding %tgt_in, %te : tensor<2x4xi64>, tensor<6x8xf32>
  %pe = nn.embedding %pos, %tp : tensor<4xi64>, tensor<4x8xf32>
  %x = nn.add %tok, %pe : tensor<2x4x8xf32>, tensor<4x8xf32>
  %sa = nn.multihead_attention %x, %x, %x weights(%sa_w, %sa_b, %sa_ow, %sa_ob) {heads = 2, causal}
      : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> weights(tensor<24x8xf32>, tensor<24xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %x1 = nn.add %x, %sa : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %ca = nn.multihead_attention %x1, %mem, %mem key_padding_mask(%src_mask : tensor<2x3x1xf32>) weights(%ca_w, %ca_b, %ca_ow, %ca_ob) {heads = 2}
      : tensor<2x4x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32> weights(tensor<24x8xf32>, tensor<24xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %x2 = nn.add %x1, %ca : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %logits = nn.linear %x2, %ow : tensor<2x4x8xf32>, tensor<6x8xf32>
  nn.output "logits" %logits : tensor<2x4x6xf32>
}

// Bahdanau's additive attention, decomposed: the keys' projection U k is
// encoded; the query's projection, its reshape to [B, 1, 1, A], the
// broadcast add to [B, 1, Tk, A], tanh and the scores stay in the step. A
// decoder without an initial state starts from zeros (no initial_from).
// CHECK-LABEL: nn.model @additive_encode attributes {nngc.encode_of = @additive} {
// CHECK: nn.output "encoded.{{[0-9]}}" %{{.*}} : tensor<2x1x3x6xf32>
// CHECK-LABEL: nn.model @additive_step attributes {nngc.step_of = @additive} {
// CHECK-DAG: %[[UK:.*]] = nn.input "encoded.{{[0-9]}}" {nngc.from_encode = "encoded.{{[0-9]}}"} : tensor<2x1x3x6xf32>
// CHECK-DAG: nn.input "rnn0.h0" {nngc.batch_axis = 1 : i64, nngc.carried_from = "rnn0.h_n"} : tensor<1x2x5xf32>
// CHECK: %[[WQ:.*]] = nn.reshape %{{.*}} : tensor<2x1x6xf32> -> tensor<2x1x1x6xf32>
// CHECK: %[[S:.*]] = nn.add %[[WQ]], %[[UK]] : tensor<2x1x1x6xf32>, tensor<2x1x3x6xf32>
// CHECK: nn.tanh %[[S]] : tensor<2x1x3x6xf32>
// CHECK: nn.reshape %{{.*}} : tensor<2x1x3x1xf32> -> tensor<2x1x3xf32>
// CHECK: nn.output "ctx" %{{.*}} : tensor<2x1x5xf32>
nn.model @additive {
  %src = nn.input "src" : tensor<2x3xi64>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<7x4xf32>
  %ew = nn.param "encoder.weight_ih_l0" init(normal) : tensor<15x4xf32>
  %eu = nn.param "encoder.weight_hh_l0" init(normal) : tensor<15x5xf32>
  %dw = nn.param "decoder.weight_ih_l0" init(normal) : tensor<15x4xf32>
  %du = nn.param "decoder.weight_hh_l0" init(normal) : tensor<15x5xf32>
  %wa = nn.param "attn.Wa.weight" init(normal) : tensor<6x5xf32>
  %ua = nn.param "attn.Ua.weight" init(normal) : tensor<6x5xf32>
  %va = nn.param "attn.Va.weight" init(normal) : tensor<1x6xf32>
  %xs = nn.embedding %src, %e : tensor<2x3xi64>, tensor<7x4xf32>
  %enc, %enc_h = nn.gru %xs weights(%ew, %eu) {batch_first}
      : tensor<2x3x4xf32> weights(tensor<15x4xf32>, tensor<15x5xf32>) -> tensor<2x3x5xf32>, tensor<1x2x5xf32>
  %xt = nn.embedding %tgt_in, %e : tensor<2x4xi64>, tensor<7x4xf32>
  %dec, %dec_h = nn.gru %xt weights(%dw, %du) {batch_first}
      : tensor<2x4x4xf32> weights(tensor<15x4xf32>, tensor<15x5xf32>) -> tensor<2x4x5xf32>, tensor<1x2x5xf32>
  %ctx = nn.additive_attention %dec, %enc, %enc weights(%wa, %ua, %va : tensor<6x5xf32>, tensor<6x5xf32>, tensor<1x6xf32>)
      : tensor<2x4x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32> -> tensor<2x4x5xf32>
  nn.output "ctx" %ctx : tensor<2x4x5xf32>
}

// Refusals. A decoder whose self-attention is not causal sees later tokens.
// CHECK-LABEL: nn.model @bidirectional_decoder
// CHECK-SAME: nngc.step_note = "'nn.attention' at {{.*}}derive-step-seq2seq.mlir:[[@LINE+9]]:8 is not causal (a step sees no later token)"
// CHECK-NOT: @bidirectional_decoder_encode
nn.model @bidirectional_decoder {
  %src = nn.input "src" : tensor<2x3xi64>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<7x8xf32>
  %mem = nn.embedding %src, %e : tensor<2x3xi64>, tensor<7x8xf32>
  %x = nn.embedding %tgt_in, %e : tensor<2x4xi64>, tensor<7x8xf32>
  %c = nn.attention %x, %mem, %mem {heads = 2} : tensor<2x4x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
  %a = nn.attention %c, %x, %x {heads = 2} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  nn.output "h" %a : tensor<2x4x8xf32>
}

// A decoder state that starts from a parameter, not from the source.
// CHECK-LABEL: nn.model @learned_initial
// CHECK-SAME: nngc.step_note = "'nn.gru' at {{.*}}derive-step-seq2seq.mlir:[[@LINE+10]]:13 has initial states that do not come from the other inputs"
nn.model @learned_initial {
  %src = nn.input "src" : tensor<2x3xi64>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<7x4xf32>
  %h0 = nn.param "h0" init(zeros) : tensor<1x2x4xf32>
  %w = nn.param "rnn.weight_ih_l0" init(normal) : tensor<12x4xf32>
  %u = nn.param "rnn.weight_hh_l0" init(normal) : tensor<12x4xf32>
  %mem = nn.embedding %src, %e : tensor<2x3xi64>, tensor<7x4xf32>
  %x = nn.embedding %tgt_in, %e : tensor<2x4xi64>, tensor<7x4xf32>
  %y, %hn = nn.gru %x initial(%h0) weights(%w, %u) {batch_first}
      : tensor<2x4x4xf32> initial(tensor<1x2x4xf32>) weights(tensor<12x4xf32>, tensor<12x4xf32>) -> tensor<2x4x4xf32>, tensor<1x2x4xf32>
  %c = nn.attention %y, %mem, %mem {heads = 2} : tensor<2x4x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
  nn.output "h" %c : tensor<2x4x4xf32>
}

// Scores of the target against itself mix its positions.
// CHECK-LABEL: nn.model @self_scores
// CHECK-SAME: nngc.step_note = "'nn.matmul' at {{.*}} mixes sequence positions"
nn.model @self_scores {
  %src = nn.input "src" : tensor<2x3xi64>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<7x4xf32>
  %mem = nn.embedding %src, %e : tensor<2x3xi64>, tensor<7x4xf32>
  %x = nn.embedding %tgt_in, %e : tensor<2x4xi64>, tensor<7x4xf32>
  %s = nn.matmul %x, %x {transpose_rhs} : tensor<2x4x4xf32>, tensor<2x4x4xf32>
  %c = nn.matmul %s, %x : tensor<2x4x4xf32>, tensor<2x4x4xf32>
  %h = nn.attention %c, %mem, %mem {heads = 2} : tensor<2x4x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
  nn.output "h" %h : tensor<2x4x4xf32>
}

// A softmax over the target positions.
// CHECK-LABEL: nn.model @time_softmax
// CHECK-SAME: nngc.step_note = "'nn.softmax' at {{.*}} works along the batch or time axis"
nn.model @time_softmax {
  %src = nn.input "src" : tensor<2x3xi64>
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<7x4xf32>
  %mem = nn.embedding %src, %e : tensor<2x3xi64>, tensor<7x4xf32>
  %x = nn.embedding %tgt_in, %e : tensor<2x4xi64>, tensor<7x4xf32>
  %p = nn.softmax %x {axis = 1} : tensor<2x4x4xf32>
  %h = nn.attention %p, %mem, %mem {heads = 2} : tensor<2x4x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
  nn.output "h" %h : tensor<2x4x4xf32>
}

// A per-position input besides the token ids: the step has no token's
// worth of it.
// CHECK-LABEL: nn.model @target_features
// CHECK-SAME: nngc.step_note = "the outputs read input 'features' position by position besides the token ids"
nn.model @target_features {
  %tgt_in = nn.input "tgt_in" : tensor<2x4xi64>
  %f = nn.input "features" : tensor<2x4x4xf32>
  %e = nn.param "embed.weight" init(normal) : tensor<7x4xf32>
  %x = nn.embedding %tgt_in, %e : tensor<2x4xi64>, tensor<7x4xf32>
  %y = nn.add %x, %f : tensor<2x4x4xf32>, tensor<2x4x4xf32>
  nn.output "h" %y : tensor<2x4x4xf32>
}
