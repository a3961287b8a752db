// ../shared/bench/ref_models.py's `char_gru`: Embedding(65, 128), 2-layer
// GRU(hidden 256, batch_first), Linear(256, 65) at every step, windows of
// T = 64, batch 32, Adam(lr = 2e-3). examples/char_gru.mlir is the same
// model with a 128-class vocabulary.
nn.model @char_gru {
  %ids = nn.input "ids" : tensor<32x64xi64>
  %next = nn.input "next" : tensor<32x64xi64>

  %emb = nn.param "embed.weight" init(normal) : tensor<65x128xf32>
  %rnn_weight_ih_l0 = nn.param "rnn.weight_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768x128xf32>
  %rnn_weight_hh_l0 = nn.param "rnn.weight_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %rnn_bias_ih_l0 = nn.param "rnn.bias_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %rnn_bias_hh_l0 = nn.param "rnn.bias_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %rnn_weight_ih_l1 = nn.param "rnn.weight_ih_l1" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %rnn_weight_hh_l1 = nn.param "rnn.weight_hh_l1" init(uniform, -0.0625, 0.0625) : tensor<768x256xf32>
  %rnn_bias_ih_l1 = nn.param "rnn.bias_ih_l1" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %rnn_bias_hh_l1 = nn.param "rnn.bias_hh_l1" init(uniform, -0.0625, 0.0625) : tensor<768xf32>
  %head_w = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<65x256xf32>
  %head_b = nn.param "head.bias" init(uniform, -0.0625, 0.0625) : tensor<65xf32>

  %x = nn.embedding %ids, %emb : tensor<32x64xi64>, tensor<65x128xf32>
  %h, %hn = nn.gru %x weights(%rnn_weight_ih_l0, %rnn_weight_hh_l0, %rnn_bias_ih_l0, %rnn_bias_hh_l0, %rnn_weight_ih_l1, %rnn_weight_hh_l1, %rnn_bias_ih_l1, %rnn_bias_hh_l1) {batch_first, num_layers = 2}
      : tensor<32x64x128xf32> weights(tensor<768x128xf32>, tensor<768x256xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x256xf32>, tensor<768x256xf32>, tensor<768xf32>, tensor<768xf32>)
      -> tensor<32x64x256xf32>, tensor<2x32x256xf32>
  %logits = nn.linear %h, %head_w, %head_b : tensor<32x64x256xf32>, tensor<65x256xf32>, tensor<65xf32>
  %loss = nn.cross_entropy %logits, %next : tensor<32x64x65xf32>, tensor<32x64xi64>

  nn.output "logits" %logits : tensor<32x64x65xf32>
  nn.minimize %loss with #nn.adam<lr = 2.0e-3>
}
