// Causal self-attention with dropout on its probabilities, trained: the
// GPU kernels of nn.attention and nn.attention_grad around their cuBLASLt
// products.
nn.model @attention {
  %x = nn.input "x" : tensor<2x4x8xf32>
  %y = nn.input "y" : tensor<2x4x8xf32>
  %wq = nn.param "q.weight" init(kaiming_uniform, 2.23606797749979) : tensor<8x8xf32>
  %wk = nn.param "k.weight" init(kaiming_uniform, 2.23606797749979) : tensor<8x8xf32>
  %wv = nn.param "v.weight" init(kaiming_uniform, 2.23606797749979) : tensor<8x8xf32>
  %q = nn.linear %x, %wq : tensor<2x4x8xf32>, tensor<8x8xf32>
  %k = nn.linear %x, %wk : tensor<2x4x8xf32>, tensor<8x8xf32>
  %v = nn.linear %x, %wv : tensor<2x4x8xf32>, tensor<8x8xf32>
  %a = nn.attention %q, %k, %v {heads = 2, causal, dropout = 0.1} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %loss = nn.mse %a, %y : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}
