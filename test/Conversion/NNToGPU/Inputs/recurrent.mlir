// Recurrent layers with every feature the GPU kernels handle: a masked,
// bidirectional two-layer LSTM with dropout between its layers, a GRU
// from an initial state (the LSTM's last state), and a ReLU RNN, trained.
nn.model @recurrent {
  %x = nn.input "x" : tensor<2x3x5xf32>
  %m = nn.input "mask" : tensor<2x3x1xf32>
  %y = nn.input "y" : tensor<2x4xf32>
  %l0 = nn.param "lstm.weight_ih_l0" init(kaiming_uniform, 2.23606797749979) : tensor<16x5xf32>
  %l1 = nn.param "lstm.weight_hh_l0" init(kaiming_uniform, 2.23606797749979) : tensor<16x4xf32>
  %l2 = nn.param "lstm.bias_ih_l0" init(zeros) : tensor<16xf32>
  %l3 = nn.param "lstm.bias_hh_l0" init(zeros) : tensor<16xf32>
  %l4 = nn.param "lstm.weight_ih_l0_reverse" init(kaiming_uniform, 2.23606797749979) : tensor<16x5xf32>
  %l5 = nn.param "lstm.weight_hh_l0_reverse" init(kaiming_uniform, 2.23606797749979) : tensor<16x4xf32>
  %l6 = nn.param "lstm.bias_ih_l0_reverse" init(zeros) : tensor<16xf32>
  %l7 = nn.param "lstm.bias_hh_l0_reverse" init(zeros) : tensor<16xf32>
  %l8 = nn.param "lstm.weight_ih_l1" init(kaiming_uniform, 2.23606797749979) : tensor<16x8xf32>
  %l9 = nn.param "lstm.weight_hh_l1" init(kaiming_uniform, 2.23606797749979) : tensor<16x4xf32>
  %l10 = nn.param "lstm.bias_ih_l1" init(zeros) : tensor<16xf32>
  %l11 = nn.param "lstm.bias_hh_l1" init(zeros) : tensor<16xf32>
  %l12 = nn.param "lstm.weight_ih_l1_reverse" init(kaiming_uniform, 2.23606797749979) : tensor<16x8xf32>
  %l13 = nn.param "lstm.weight_hh_l1_reverse" init(kaiming_uniform, 2.23606797749979) : tensor<16x4xf32>
  %l14 = nn.param "lstm.bias_ih_l1_reverse" init(zeros) : tensor<16xf32>
  %l15 = nn.param "lstm.bias_hh_l1_reverse" init(zeros) : tensor<16xf32>
  %a, %an, %ac = nn.lstm %x mask(%m : tensor<2x3x1xf32>) weights(%l0, %l1, %l2, %l3, %l4, %l5, %l6, %l7, %l8, %l9, %l10, %l11, %l12, %l13, %l14, %l15) {batch_first, bidirectional, num_layers = 2, dropout = 0.25}
      : tensor<2x3x5xf32> weights(tensor<16x5xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16x5xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>)
      -> tensor<2x3x8xf32>, tensor<4x2x4xf32>, tensor<4x2x4xf32>
  %g0 = nn.param "gru.weight_ih_l0" init(kaiming_uniform, 2.23606797749979) : tensor<12x8xf32>
  %g1 = nn.param "gru.weight_hh_l0" init(kaiming_uniform, 2.23606797749979) : tensor<12x4xf32>
  %g2 = nn.param "gru.bias_ih_l0" init(zeros) : tensor<12xf32>
  %g3 = nn.param "gru.bias_hh_l0" init(zeros) : tensor<12xf32>
  %h0 = nn.slice %an {axis = 0, start = 3} : tensor<4x2x4xf32> -> tensor<1x2x4xf32>
  %b, %bn = nn.gru %a initial(%h0) weights(%g0, %g1, %g2, %g3) {batch_first}
      : tensor<2x3x8xf32> initial(tensor<1x2x4xf32>) weights(tensor<12x8xf32>, tensor<12x4xf32>, tensor<12xf32>, tensor<12xf32>)
      -> tensor<2x3x4xf32>, tensor<1x2x4xf32>
  %r0 = nn.param "rnn.weight_ih_l0" init(kaiming_uniform, 2.23606797749979) : tensor<4x4xf32>
  %r1 = nn.param "rnn.weight_hh_l0" init(kaiming_uniform, 2.23606797749979) : tensor<4x4xf32>
  %c, %cn = nn.rnn %b weights(%r0, %r1) nonlinearity = relu {batch_first, bias = false}
      : tensor<2x3x4xf32> weights(tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>, tensor<1x2x4xf32>
  %last = nn.select %c {axis = 1, index = -1} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  %loss = nn.mse %last, %y : tensor<2x4xf32>, tensor<2x4xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
