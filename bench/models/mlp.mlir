// ../shared/bench/ref_models.py's `mlp`: 784-512-512-10, ReLU, batch 128,
// cross-entropy, SGD(lr=0.01, momentum=0.9).
nn.model @mlp {
  %x = nn.input "x" : tensor<128x784xf32>
  %y = nn.input "y" : tensor<128xi64>
  %w0 = nn.param "net.0.weight" init(kaiming_uniform, 2.23606797749979) : tensor<512x784xf32>
  %b0 = nn.param "net.0.bias" init(uniform, -0.03571428571428571, 0.03571428571428571) : tensor<512xf32>
  %w2 = nn.param "net.2.weight" init(kaiming_uniform, 2.23606797749979) : tensor<512x512xf32>
  %b2 = nn.param "net.2.bias" init(uniform, -0.04419417382415922, 0.04419417382415922) : tensor<512xf32>
  %w4 = nn.param "net.4.weight" init(kaiming_uniform, 2.23606797749979) : tensor<10x512xf32>
  %b4 = nn.param "net.4.bias" init(uniform, -0.04419417382415922, 0.04419417382415922) : tensor<10xf32>
  %h0 = nn.linear %x, %w0, %b0 : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32>
  %a0 = nn.relu %h0 : tensor<128x512xf32>
  %h2 = nn.linear %a0, %w2, %b2 : tensor<128x512xf32>, tensor<512x512xf32>, tensor<512xf32>
  %a2 = nn.relu %h2 : tensor<128x512xf32>
  %z = nn.linear %a2, %w4, %b4 : tensor<128x512xf32>, tensor<10x512xf32>, tensor<10xf32>
  %loss = nn.cross_entropy %z, %y : tensor<128x10xf32>, tensor<128xi64>
  nn.output "logits" %z : tensor<128x10xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.01, momentum = 0.9>
}
