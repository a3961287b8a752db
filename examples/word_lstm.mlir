// A word-level language model: embedding -> 2-layer LSTM -> linear to the
// vocabulary at every step. The vocabulary is `<unk>` and the 7999 most
// frequent words of the training text (words are runs of letters, digits
// and apostrophes; punctuation and newlines are tokens of their own); it is
// stored in the checkpoint. Windows of T = 32 words, batch 32, Adam 2e-3.
//
//   nngc compile examples/word_lstm.mlir -o word_lstm
//   ./word_lstm train --data input.txt --tokenizer word --steps 2000 \
//       --save words.safetensors
//   ./word_lstm sample --checkpoint words.safetensors --prompt "KING" --tokens 100
//
// Initialisers are PyTorch's defaults (see examples/char_lstm.mlir).
nn.model @word_lstm {
  %ids = nn.input "ids" : tensor<32x32xi64>
  %next = nn.input "next" : tensor<32x32xi64>

  %emb = nn.param "embed.weight" init(normal) : tensor<8000x128xf32>
  %rnn_weight_ih_l0 = nn.param "rnn.weight_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<1024x128xf32>
  %rnn_weight_hh_l0 = nn.param "rnn.weight_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<1024x256xf32>
  %rnn_bias_ih_l0 = nn.param "rnn.bias_ih_l0" init(uniform, -0.0625, 0.0625) : tensor<1024xf32>
  %rnn_bias_hh_l0 = nn.param "rnn.bias_hh_l0" init(uniform, -0.0625, 0.0625) : tensor<1024xf32>
  %rnn_weight_ih_l1 = nn.param "rnn.weight_ih_l1" init(uniform, -0.0625, 0.0625) : tensor<1024x256xf32>
  %rnn_weight_hh_l1 = nn.param "rnn.weight_hh_l1" init(uniform, -0.0625, 0.0625) : tensor<1024x256xf32>
  %rnn_bias_ih_l1 = nn.param "rnn.bias_ih_l1" init(uniform, -0.0625, 0.0625) : tensor<1024xf32>
  %rnn_bias_hh_l1 = nn.param "rnn.bias_hh_l1" init(uniform, -0.0625, 0.0625) : tensor<1024xf32>
  %head_w = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<8000x256xf32>
  %head_b = nn.param "head.bias" init(uniform, -0.0625, 0.0625) : tensor<8000xf32>

  %x = nn.embedding %ids, %emb : tensor<32x32xi64>, tensor<8000x128xf32>
  %h, %hn, %cn = nn.lstm %x weights(%rnn_weight_ih_l0, %rnn_weight_hh_l0, %rnn_bias_ih_l0, %rnn_bias_hh_l0, %rnn_weight_ih_l1, %rnn_weight_hh_l1, %rnn_bias_ih_l1, %rnn_bias_hh_l1) {batch_first, num_layers = 2}
      : tensor<32x32x128xf32> weights(tensor<1024x128xf32>, tensor<1024x256xf32>, tensor<1024xf32>, tensor<1024xf32>, tensor<1024x256xf32>, tensor<1024x256xf32>, tensor<1024xf32>, tensor<1024xf32>)
      -> tensor<32x32x256xf32>, tensor<2x32x256xf32>, tensor<2x32x256xf32>
  %logits = nn.linear %h, %head_w, %head_b : tensor<32x32x256xf32>, tensor<8000x256xf32>, tensor<8000xf32>
  %loss = nn.cross_entropy %logits, %next : tensor<32x32x8000xf32>, tensor<32x32xi64>

  nn.output "logits" %logits : tensor<32x32x8000xf32>
  nn.minimize %loss with #nn.adam<lr = 2.0e-3>
}
