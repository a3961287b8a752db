// An MLP with every GPU kernel kind of the first slice in its training
// step: tanh, GELU, leaky ReLU and their gradients, a broadcast add, a
// softmax and its backward (one warp per row), MSE and its backward, sums,
// the gradient norm and SGD with momentum.
nn.model @softmax_mlp {
  %x = nn.input "x" : tensor<16x12xf32>
  %y = nn.input "y" : tensor<16x5xf32>
  %w1 = nn.param "fc1.weight" init(kaiming_uniform, 2.23606797749979) : tensor<24x12xf32>
  %b1 = nn.param "fc1.bias" init(zeros) : tensor<24xf32>
  %w2 = nn.param "fc2.weight" init(kaiming_uniform, 2.23606797749979) : tensor<5x24xf32>
  %h = nn.linear %x, %w1 : tensor<16x12xf32>, tensor<24x12xf32>
  %hb = nn.add %h, %b1 : tensor<16x24xf32>, tensor<24xf32>
  %t = nn.tanh %hb : tensor<16x24xf32>
  %g = nn.gelu %t : tensor<16x24xf32>
  %l = nn.leaky_relu %g {negative_slope = 0.1} : tensor<16x24xf32>
  %z = nn.linear %l, %w2 : tensor<16x24xf32>, tensor<5x24xf32>
  %p = nn.softmax %z : tensor<16x5xf32>
  %loss = nn.mse %p, %y : tensor<16x5xf32>, tensor<16x5xf32>
  nn.output "probs" %p : tensor<16x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1, momentum = 0.9>
}
