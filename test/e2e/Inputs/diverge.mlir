// Linear regression on unscaled features with a learning rate far too
// large: the weights grow without bound until the loss overflows (numerics
// tests).
nn.model @diverge {
  %x = nn.input "features" : tensor<32x10xf32>
  %y = nn.input "target" : tensor<32x1xf32>
  %w = nn.param "fc.weight" init(zeros) : tensor<1x10xf32>
  %b = nn.param "fc.bias" init(zeros) : tensor<1xf32>
  %pred = nn.linear %x, %w, %b : tensor<32x10xf32>, tensor<1x10xf32>, tensor<1xf32>
  %loss = nn.mse %pred, %y : tensor<32x1xf32>, tensor<32x1xf32>
  nn.output "pred" %pred : tensor<32x1xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.01>
}
