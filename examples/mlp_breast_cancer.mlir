// Malignant or benign: sklearn's breast_cancer (569 rows, 30 features,
// label 0/1 last). A sigmoid output trained with binary cross-entropy on
// logits (the op applies the sigmoid itself, stably).
//
//   nngc compile examples/mlp_breast_cancer.mlir -o bc
//   ./bc train --data .../breast_cancer.csv --skip-rows 1 --no-header \
//       --val-split 0.2 --standardize --epochs 40
//
// The file's first line is metadata (569,30,malignant,benign), hence
// --skip-rows 1 --no-header.
nn.model @mlp_breast_cancer {
  %x = nn.input "features" : tensor<16x30xf32>
  %y = nn.input "malignant" : tensor<16x1xf32>

  %w1 = nn.param "fc1.weight" init(kaiming_uniform, 2.23606797749979) : tensor<32x30xf32>
  %b1 = nn.param "fc1.bias" init(uniform, -0.18257418583505536, 0.18257418583505536) : tensor<32xf32>
  %w2 = nn.param "fc2.weight" init(kaiming_uniform, 2.23606797749979) : tensor<1x32xf32>
  %b2 = nn.param "fc2.bias" init(uniform, -0.17677669529663687, 0.17677669529663687) : tensor<1xf32>

  %h = nn.linear %x, %w1, %b1 : tensor<16x30xf32>, tensor<32x30xf32>, tensor<32xf32>
  %a = nn.tanh %h : tensor<16x32xf32>
  %logit = nn.linear %a, %w2, %b2 : tensor<16x32xf32>, tensor<1x32xf32>, tensor<1xf32>
  %loss = nn.binary_cross_entropy %logit, %y : tensor<16x1xf32>, tensor<16x1xf32>
  %p = nn.sigmoid %logit : tensor<16x1xf32>

  nn.output "logit" %logit : tensor<16x1xf32>
  nn.output "probability" %p : tensor<16x1xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 1.0e-4>
}
