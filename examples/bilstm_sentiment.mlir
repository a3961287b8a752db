// A sentence classifier: embedding -> bidirectional LSTM -> mean over the
// sentence's own tokens (padding masked out) -> linear to 2 classes
// (the `bilstm_cls` reference of shared/bench/ref_models.py: vocabulary
// 10000, embedding 128, hidden 128, sentences of up to T = 64 words,
// batch 32, Adam 1e-3; the reference's mean also counts padding).
//
//   nngc compile examples/bilstm_sentiment.mlir -o bilstm
//   ./bilstm train --data amazon.txt --data imdb.txt --data yelp.txt \
//       --val-split 0.2 --epochs 6 --save sentiment.safetensors
//   ./bilstm predict --checkpoint sentiment.safetensors --data sentences.txt
//
// The trainer fills "ids" with word ids (<pad> = 0), "label" with each
// sentence's class and "mask" with 1 on its words, 0 on the padding. The
// LSTM takes the mask as the sentences' lengths (its reverse direction starts
// at each sentence's last word, as with pack_padded_sequence), and the mean
// leaves the padding out, so padding changes nothing (docs/Recurrent.md).
//
// Initialisers are PyTorch's defaults (the padding row of the embedding
// starts at zero, as with padding_idx).
nn.model @bilstm_sentiment {
  %ids = nn.input "ids" : tensor<32x64xi64>
  %label = nn.input "label" : tensor<32xi64>
  %mask = nn.input "mask" : tensor<32x64x1xf32>

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

  %x = nn.embedding %ids, %emb {padding_idx = 0} : tensor<32x64xi64>, tensor<10000x128xf32>
  %h, %hn, %cn = nn.lstm %x mask(%mask : tensor<32x64x1xf32>) weights(%wih, %whh, %bih, %bhh, %wihr, %whhr, %bihr, %bhhr) {batch_first, bidirectional}
      : tensor<32x64x128xf32> weights(tensor<512x128xf32>, tensor<512x128xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512x128xf32>, tensor<512x128xf32>, tensor<512xf32>, tensor<512xf32>)
      -> tensor<32x64x256xf32>, tensor<2x32x128xf32>, tensor<2x32x128xf32>
  %pooled = nn.reduce mean %h mask(%mask : tensor<32x64x1xf32>) {axis = 1} : tensor<32x64x256xf32> -> tensor<32x256xf32>
  %logits = nn.linear %pooled, %head_w, %head_b : tensor<32x256xf32>, tensor<2x256xf32>, tensor<2xf32>
  %loss = nn.cross_entropy %logits, %label : tensor<32x2xf32>, tensor<32xi64>

  nn.output "logits" %logits : tensor<32x2xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}
