// A recurrent translation model with Luong attention: word embeddings,
// a GRU encoder over each source sentence's own words (the padding mask),
// a GRU decoder started from the encoder's final state and fed the target
// shifted right (teacher forcing), Luong's general attention of each
// decoder state over the encoder's outputs (padded words masked), then
// tanh(W [context; state]) and a linear layer to the target vocabulary;
// cross-entropy that ignores padding (id 0). Embeddings 128, GRUs 256,
// Adam 1e-3, batch 32; sources up to 8 words, targets up to 11 (+ <bos> or
// <eos>). Trained on the English-French pairs of ../shared/data/translation.
//
//   nngc compile examples/seq2seq_gru_attention.mlir -o s2s
//   ./s2s train --data eng-fra.txt --epochs 20 --save s2s.safetensors
//   ./s2s eval --checkpoint s2s.safetensors --data eng-fra.txt --beam 4
//   ./s2s translate --checkpoint s2s.safetensors --text "I am cold." --beam 4
//
// The trainer fills "src" with source word ids (<pad> = 0, <unk> = 1),
// "src_mask" with 1 on them, "tgt_in" with <bos> and the target's ids and
// "tgt_out" with the target's ids and <eos> (<pad> after). Initialisers
// are PyTorch's defaults (nn.GRU: uniform(-1/16, 1/16); nn.Linear:
// kaiming_uniform(a = sqrt(5)), biases uniform(-1/sqrt(fan_in), ...)).
nn.model @seq2seq_gru_attention {
  %src = nn.input "src" : tensor<32x8xi64>
  %src_mask = nn.input "src_mask" : tensor<32x8x1xf32>
  %tgt_in = nn.input "tgt_in" : tensor<32x12xi64>
  %tgt_out = nn.input "tgt_out" : tensor<32x12xi64>

  %src_emb = nn.param "src_embed.weight" init(normal) : tensor<1300x128xf32>
  %tgt_emb = nn.param "tgt_embed.weight" init(normal) : tensor<2700x128xf32>
  %encoder_weight_ih = nn.param "encoder.weight_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768x128xf32>
  %encoder_weight_hh = nn.param "encoder.weight_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %encoder_bias_ih = nn.param "encoder.bias_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %encoder_bias_hh = nn.param "encoder.bias_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %decoder_weight_ih = nn.param "decoder.weight_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768x128xf32>
  %decoder_weight_hh = nn.param "decoder.weight_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %decoder_bias_ih = nn.param "decoder.bias_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %decoder_bias_hh = nn.param "decoder.bias_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %attn_w = nn.param "attn.Wa.weight" init(kaiming_uniform, 2.23606797749979) : tensor<256x256xf32>
  %comb_w = nn.param "combine.weight" init(kaiming_uniform, 2.23606797749979) : tensor<256x512xf32>
  %comb_b = nn.param "combine.bias" init(uniform, -0.044194173824159216, 0.044194173824159216) : tensor<256xf32>
  %out_w = nn.param "out.weight" init(kaiming_uniform, 2.23606797749979) : tensor<2700x256xf32>
  %out_b = nn.param "out.bias" init(uniform, -0.0625, 0.0625) : tensor<2700xf32>

  %xs = nn.embedding %src, %src_emb {padding_idx = 0} : tensor<32x8xi64>, tensor<1300x128xf32>
  %enc, %enc_h = nn.gru %xs mask(%src_mask : tensor<32x8x1xf32>) weights(%encoder_weight_ih, %encoder_weight_hh, %encoder_bias_ih, %encoder_bias_hh) {batch_first}
      : tensor<32x8x128xf32> weights(tensor<768x128xf32>, tensor<768x256xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<32x8x256xf32>, tensor<1x32x256xf32>
  %xt = nn.embedding %tgt_in, %tgt_emb {padding_idx = 0} : tensor<32x12xi64>, tensor<2700x128xf32>
  %dec, %dec_h = nn.gru %xt initial(%enc_h) weights(%decoder_weight_ih, %decoder_weight_hh, %decoder_bias_ih, %decoder_bias_hh) {batch_first}
      : tensor<32x12x128xf32> initial(tensor<1x32x256xf32>) weights(tensor<768x128xf32>, tensor<768x256xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<32x12x256xf32>, tensor<1x32x256xf32>
  %ctx = nn.multiplicative_attention %dec, %enc, %enc key_padding_mask(%src_mask : tensor<32x8x1xf32>) weights(%attn_w : tensor<256x256xf32>)
      : tensor<32x12x256xf32>, tensor<32x8x256xf32>, tensor<32x8x256xf32> -> tensor<32x12x256xf32>
  %cat = nn.concat %ctx, %dec {axis = 2} : tensor<32x12x256xf32>, tensor<32x12x256xf32> -> tensor<32x12x512xf32>
  %comb = nn.linear %cat, %comb_w, %comb_b : tensor<32x12x512xf32>, tensor<256x512xf32>, tensor<256xf32>
  %att_h = nn.tanh %comb : tensor<32x12x256xf32>
  %logits = nn.linear %att_h, %out_w, %out_b : tensor<32x12x256xf32>, tensor<2700x256xf32>, tensor<2700xf32>
  %loss = nn.cross_entropy %logits, %tgt_out {ignore_index = 0} : tensor<32x12x2700xf32>, tensor<32x12xi64>

  nn.output "logits" %logits : tensor<32x12x2700xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}
