// A character-level language model: embedding -> 2-layer GRU -> linear to
// the vocabulary at every step (the `char_gru` reference of
// shared/bench/ref_models.py: embedding 128, hidden 256, windows of T = 64,
// batch 32, Adam 2e-3). Its vocabulary is 128 classes rather than the
// reference's 65 so that one binary trains on any text with at most 128
// distinct bytes (tinyshakespeare has 65, the fortunes corpus of the demo
// 114); classes no byte maps to are never targets.
//
//   nngc compile examples/char_gru.mlir -o char_gru
//   ./char_gru train --data input.txt --steps 2000 --save lm.safetensors
//   ./char_gru sample --checkpoint lm.safetensors --prompt "ROMEO:" --tokens 300
//
// Initialisers are PyTorch's defaults: N(0, 1) for nn.Embedding,
// U(-1/sqrt(hidden), 1/sqrt(hidden)) for every GRU weight and bias,
// kaiming_uniform(a = sqrt(5)) and U(-1/sqrt(in), 1/sqrt(in)) for the
// output layer.
nn.model @char_gru {
  %ids = nn.input "ids" : tensor<32x64xi64>
  %next = nn.input "next" : tensor<32x64xi64>

  %emb = nn.param "embed.weight" init(normal) : tensor<128x128xf32>
  %rnn_weight_ih_l0 = nn.param "rnn.weight_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768x128xf32>
  %rnn_weight_hh_l0 = nn.param "rnn.weight_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %rnn_bias_ih_l0 = nn.param "rnn.bias_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %rnn_bias_hh_l0 = nn.param "rnn.bias_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %rnn_weight_ih_l1 = nn.param "rnn.weight_ih_l1" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %rnn_weight_hh_l1 = nn.param "rnn.weight_hh_l1" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %rnn_bias_ih_l1 = nn.param "rnn.bias_ih_l1" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %rnn_bias_hh_l1 = nn.param "rnn.bias_hh_l1" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %head_w = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<128x256xf32>
  %head_b = nn.param "head.bias" init(uniform, -0.0625, 0.0625) : tensor<128xf32>

  %x = nn.embedding %ids, %emb : tensor<32x64xi64>, tensor<128x128xf32>
  %h, %hn = nn.gru %x weights(%rnn_weight_ih_l0, %rnn_weight_hh_l0, %rnn_bias_ih_l0, %rnn_bias_hh_l0, %rnn_weight_ih_l1, %rnn_weight_hh_l1, %rnn_bias_ih_l1, %rnn_bias_hh_l1) {batch_first, num_layers = 2}
      : tensor<32x64x128xf32> weights(tensor<768x128xf32>, tensor<768x256xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x256xf32>, tensor<768x256xf32>, tensor<768xf32>, tensor<768xf32>)
      -> tensor<32x64x256xf32>, tensor<2x32x256xf32>
  %logits = nn.linear %h, %head_w, %head_b : tensor<32x64x256xf32>, tensor<128x256xf32>, tensor<128xf32>
  %loss = nn.cross_entropy %logits, %next : tensor<32x64x128xf32>, tensor<32x64xi64>

  nn.output "logits" %logits : tensor<32x64x128xf32>
  nn.minimize %loss with #nn.adam<lr = 2.0e-3>
}
