// Disease progression after one year: sklearn's diabetes (442 rows, 10
// features, whitespace-separated; the targets, 25..346, are in a separate
// file). A regression MLP with GELU, trained on mean squared error.
//
//   nngc compile examples/mlp_diabetes.mlir -o diabetes
//   ./diabetes train --data .../diabetes_data_raw.csv.gz --delimiter whitespace \
//       --no-header --label-file .../diabetes_target.csv.gz --label-column 0 \
//       --val-split 0.2 --standardize --epochs 200
nn.model @mlp_diabetes {
  %x = nn.input "features" : tensor<32x10xf32>
  %y = nn.input "progression" : tensor<32x1xf32>

  %w1 = nn.param "fc1.weight" init(kaiming_uniform, 2.23606797749979) : tensor<64x10xf32>
  %b1 = nn.param "fc1.bias" init(uniform, -0.31622776601683794, 0.31622776601683794) : tensor<64xf32>
  %w2 = nn.param "fc2.weight" init(kaiming_uniform, 2.23606797749979) : tensor<1x64xf32>
  %b2 = nn.param "fc2.bias" init(constant, 150.0) : tensor<1xf32>

  %h = nn.linear %x, %w1, %b1 : tensor<32x10xf32>, tensor<64x10xf32>, tensor<64xf32>
  %a = nn.gelu %h : tensor<32x64xf32>
  %pred = nn.linear %a, %w2, %b2 : tensor<32x64xf32>, tensor<1x64xf32>, tensor<1xf32>
  %loss = nn.mse %pred, %y : tensor<32x1xf32>, tensor<32x1xf32>

  nn.output "progression" %pred : tensor<32x1xf32>
  nn.minimize %loss with #nn.adam<lr = 0.01>
}
