// A small model whose kernels' scalar arguments change every step: the
// dropout masks' keys (nn.dropout and attention's), AdamW's bias
// corrections. cuda-graphs.test replays its CUDA graph over several steps.
nn.model @graph_steps {
  %x = nn.input "x" : tensor<4x8x16xf32>
  %y = nn.input "y" : tensor<4x8x16xf32>
  %wq = nn.param "q.weight" init(xavier_uniform) : tensor<16x16xf32>
  %wk = nn.param "k.weight" init(xavier_uniform) : tensor<16x16xf32>
  %wv = nn.param "v.weight" init(xavier_uniform) : tensor<16x16xf32>
  %w1 = nn.param "fc1.weight" init(xavier_uniform) : tensor<32x16xf32>
  %b1 = nn.param "fc1.bias" init(zeros) : tensor<32xf32>
  %w2 = nn.param "fc2.weight" init(xavier_uniform) : tensor<16x32xf32>
  %q = nn.linear %x, %wq : tensor<4x8x16xf32>, tensor<16x16xf32>
  %k = nn.linear %x, %wk : tensor<4x8x16xf32>, tensor<16x16xf32>
  %v = nn.linear %x, %wv : tensor<4x8x16xf32>, tensor<16x16xf32>
  %att = nn.attention %q, %k, %v {heads = 2, causal, dropout = 0.25} : tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>
  %h = nn.linear %att, %w1, %b1 : tensor<4x8x16xf32>, tensor<32x16xf32>, tensor<32xf32>
  %a = nn.gelu %h : tensor<4x8x32xf32>
  %d = nn.dropout %a {p = 0.3} : tensor<4x8x32xf32>
  %o = nn.linear %d, %w2 : tensor<4x8x32xf32>, tensor<16x32xf32>
  %loss = nn.mse %o, %y : tensor<4x8x16xf32>, tensor<4x8x16xf32>
  nn.output "out" %o : tensor<4x8x16xf32>
  nn.minimize %loss with #nn.adamw<lr = 0.01, weight_decay = 0.1>
}
