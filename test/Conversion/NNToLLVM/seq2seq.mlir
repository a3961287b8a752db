// A translator's encode and step models (nngc-derive-step) get their own
// entry points, nngc_encode and nngc_step; the manifest lists the encode
// model's source inputs and encoded outputs, and what each step input is
// copied from: an encoded value (from_encode), or for a carried state its
// start (initial_from) and its batch axis.
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline %s | FileCheck %s

// The step: the target token's embedding, the decoder's GRU, the
// attention over the encoded values; not the encoder's GRU.
// CHECK-LABEL: llvm.func @nngc_step
// CHECK: llvm.call @nngc_rt_embedding
// CHECK: llvm.call @nngc_rt_rnn
// CHECK-NOT: llvm.call @nngc_rt_rnn
// CHECK: llvm.call @nngc_rt_softmax
// CHECK: llvm.call @nngc_rt_concat
// CHECK-LABEL: llvm.func @nngc_encode
// CHECK: llvm.call @nngc_rt_embedding
// CHECK: llvm.call @nngc_rt_rnn
// CHECK-NOT: llvm.call @nngc_rt_softmax
// CHECK-LABEL: llvm.func @nngc_setup
// CHECK: \22encode\22:{\22arena_bytes\22:{{[0-9]+}},\22inputs\22:[{{[^]]*}}\22name\22:\22src\22,{{[^}]*}}\22shape\22:[2,3]},{{[^}]*}}\22name\22:\22src_mask\22,{{[^}]*}}\22shape\22:[2,3,1]}],\22outputs\22:[{\22name\22:\22encoded.0\22,{{[^}]*}}\22shape\22:[1,2,5]{{[^]]*}}\22name\22:\22encoded.1\22,{{[^}]*}}\22shape\22:[2,3,5]
// CHECK-SAME: \22entries\22:[\22predict\22,\22eval\22,\22grad\22,\22train\22,\22step\22,\22encode\22]
// CHECK-SAME: \22step\22:{\22arena_bytes\22:{{[0-9]+}},\22inputs\22:[{{.*}}\22from_encode\22:\22encoded.1\22,
// CHECK-SAME: {\22batch_axis\22:0,\22carried_from\22:null,\22dtype\22:\22i64\22,\22from_encode\22:null,\22initial_from\22:null,\22name\22:\22tgt_in\22,{{[^}]*}}\22shape\22:[2,1]}
// CHECK-SAME: {\22batch_axis\22:1,\22carried_from\22:\22rnn0.h_n\22,\22dtype\22:\22f32\22,\22from_encode\22:null,\22initial_from\22:\22encoded.0\22,\22name\22:\22rnn0.h0\22,{{[^}]*}}\22shape\22:[1,2,5]}
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
  %ow = nn.param "out.weight" init(normal) : tensor<6x10xf32>
  %xs = nn.embedding %src, %se {padding_idx = 0} : tensor<2x3xi64>, tensor<7x4xf32>
  %enc, %enc_h = nn.gru %xs mask(%src_mask : tensor<2x3x1xf32>) weights(%ew, %eu) {batch_first}
      : tensor<2x3x4xf32> weights(tensor<15x4xf32>, tensor<15x5xf32>) -> tensor<2x3x5xf32>, tensor<1x2x5xf32>
  %xt = nn.embedding %tgt_in, %te {padding_idx = 0} : tensor<2x4xi64>, tensor<6x4xf32>
  %dec, %dec_h = nn.gru %xt initial(%enc_h) weights(%dw, %du) {batch_first}
      : tensor<2x4x4xf32> initial(tensor<1x2x5xf32>) weights(tensor<15x4xf32>, tensor<15x5xf32>) -> tensor<2x4x5xf32>, tensor<1x2x5xf32>
  %ctx = nn.multiplicative_attention %dec, %enc, %enc key_padding_mask(%src_mask : tensor<2x3x1xf32>)
      : tensor<2x4x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32> -> tensor<2x4x5xf32>
  %cat = nn.concat %ctx, %dec {axis = 2} : tensor<2x4x5xf32>, tensor<2x4x5xf32> -> tensor<2x4x10xf32>
  %logits = nn.linear %cat, %ow : tensor<2x4x10xf32>, tensor<6x10xf32>
  %loss = nn.cross_entropy %logits, %tgt_out {ignore_index = 0} : tensor<2x4x6xf32>, tensor<2x4xi64>
  nn.output "logits" %logits : tensor<2x4x6xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}
