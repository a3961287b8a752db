// ../shared/bench/ref_models.py's `bilstm_cls`: Embedding(10000, 128),
// 1-layer bidirectional LSTM(128, batch_first), mean over all T = 64 steps,
// Linear(256, 2), batch 32, Adam(lr = 1e-3). examples/bilstm_sentiment.mlir
// is the same model with a padding mask for real sentences.
nn.model @bilstm_cls {
  %ids = nn.input "ids" : tensor<32x64xi64>
  %label = nn.input "label" : tensor<32xi64>

  %emb = nn.param "embed.weight" init(normal) : tensor<10000x128xf32>
  %wih = nn.param "rnn.weight_ih_l0" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512x128xf32>
  %whh = nn.param "rnn.weight_hh_l0" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512x128xf32>
  %bih = nn.param "rnn.bias_ih_l0" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512xf32>
  %bhh = nn.param "rnn.bias_hh_l0" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512xf32>
  %wihr = nn.param "rnn.weight_ih_l0_reverse" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512x128xf32>
  %whhr = nn.param "rnn.weight_hh_l0_reverse" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512x128xf32>
  %bihr = nn.param "rnn.bias_ih_l0_reverse" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512xf32>
  %bhhr = nn.param "rnn.bias_hh_l0_reverse" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<512xf32>
  %head_w = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<2x256xf32>
  %head_b = nn.param "head.bias" init(uniform, -0.0625, 0.0625) : tensor<2xf32>

  %x = nn.embedding %ids, %emb : tensor<32x64xi64>, tensor<10000x128xf32>
  %h, %hn, %cn = nn.lstm %x weights(%wih, %whh, %bih, %bhh, %wihr, %whhr, %bihr, %bhhr) {batch_first, bidirectional}
      : tensor<32x64x128xf32> weights(tensor<512x128xf32>, tensor<512x128xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512x128xf32>, tensor<512x128xf32>, tensor<512xf32>, tensor<512xf32>)
      -> tensor<32x64x256xf32>, tensor<2x32x128xf32>, tensor<2x32x128xf32>
  %pooled = nn.reduce mean %h {axis = 1} : tensor<32x64x256xf32> -> tensor<32x256xf32>
  %logits = nn.linear %pooled, %head_w, %head_b : tensor<32x256xf32>, tensor<2x256xf32>, tensor<2xf32>
  %loss = nn.cross_entropy %logits, %label : tensor<32x2xf32>, tensor<32xi64>

  nn.output "logits" %logits : tensor<32x2xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}
