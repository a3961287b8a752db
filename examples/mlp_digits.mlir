// Classify 8x8 images of handwritten digits (sklearn's digits: 64 pixel
// intensities 0..16, label 0..9) with a two-layer perceptron.
//
//   nngc compile examples/mlp_digits.mlir -o mlp_digits
//   ./mlp_digits train --data /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz \
//       --no-header --label-column -1 --val-split 0.2 --epochs 30 --standardize
//
// Initialisers are torch.nn.Linear's defaults: kaiming_uniform(a = sqrt(5))
// for weights, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for biases.
nn.model @mlp_digits {
  %x = nn.input "pixels" : tensor<32x64xf32>
  %y = nn.input "digit" : tensor<32xi64>

  %w1 = nn.param "fc1.weight" init(kaiming_uniform, 2.23606797749979) : tensor<128x64xf32>
  %b1 = nn.param "fc1.bias" init(uniform, -0.125, 0.125) : tensor<128xf32>
  %w2 = nn.param "fc2.weight" init(kaiming_uniform, 2.23606797749979) : tensor<10x128xf32>
  %b2 = nn.param "fc2.bias" init(uniform, -0.08838834764831845, 0.08838834764831845) : tensor<10xf32>

  %h = nn.linear %x, %w1, %b1 : tensor<32x64xf32>, tensor<128x64xf32>, tensor<128xf32>
  %a = nn.relu %h : tensor<32x128xf32>
  %logits = nn.linear %a, %w2, %b2 : tensor<32x128xf32>, tensor<10x128xf32>, tensor<10xf32>
  %loss = nn.cross_entropy %logits, %y : tensor<32x10xf32>, tensor<32xi64>

  nn.output "logits" %logits : tensor<32x10xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-3>
}
