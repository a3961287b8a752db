// nn.additive_attention and nn.multiplicative_attention parse, verify and
// print back (with and without biases, weights, mask and scale).
// RUN: nngc-opt %s | nngc-opt | FileCheck %s

// CHECK-LABEL: nn.model @attn
nn.model @attn {
  %dec = nn.input "dec" : tensor<2x3x8xf32>
  %enc = nn.input "enc" : tensor<2x5x6xf32>
  %val = nn.input "val" : tensor<2x5x4xf32>
  %m = nn.input "m" : tensor<2x5x1xf32>
  %wa = nn.param "Wa.weight" init(zeros) : tensor<7x8xf32>
  %ba = nn.param "Wa.bias" init(zeros) : tensor<7xf32>
  %ua = nn.param "Ua.weight" init(zeros) : tensor<7x6xf32>
  %bu = nn.param "Ua.bias" init(zeros) : tensor<7xf32>
  %va = nn.param "Va.weight" init(zeros) : tensor<1x7xf32>
  %g = nn.param "Wg.weight" init(zeros) : tensor<8x6xf32>
  // CHECK: nn.additive_attention %{{.*}}, %{{.*}}, %{{.*}} key_padding_mask(%{{.*}} : tensor<2x5x1xf32>) weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<7x8xf32>, tensor<7xf32>, tensor<7x6xf32>, tensor<7xf32>, tensor<1x7xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  %a = nn.additive_attention %dec, %enc, %val key_padding_mask(%m : tensor<2x5x1xf32>) weights(%wa, %ba, %ua, %bu, %va : tensor<7x8xf32>, tensor<7xf32>, tensor<7x6xf32>, tensor<7xf32>, tensor<1x7xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  // CHECK: nn.additive_attention %{{.*}}, %{{.*}}, %{{.*}} weights(%{{.*}}, %{{.*}}, %{{.*}} : tensor<7x8xf32>, tensor<7x6xf32>, tensor<1x7xf32>) {scale = 5.000000e-01 : f64} : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
  %b = nn.additive_attention %dec, %enc, %enc weights(%wa, %ua, %va : tensor<7x8xf32>, tensor<7x6xf32>, tensor<1x7xf32>) {scale = 0.5} : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
  // CHECK: nn.multiplicative_attention %{{.*}}, %{{.*}}, %{{.*}} key_padding_mask(%{{.*}} : tensor<2x5x1xf32>) weights(%{{.*}} : tensor<8x6xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  %c = nn.multiplicative_attention %dec, %enc, %val key_padding_mask(%m : tensor<2x5x1xf32>) weights(%g : tensor<8x6xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  // CHECK: nn.multiplicative_attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f64} : tensor<2x5x6xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x5x4xf32>
  %d = nn.multiplicative_attention %enc, %enc, %val {scale = 0.25} : tensor<2x5x6xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x5x4xf32>
  nn.output "a" %a : tensor<2x3x4xf32>
  nn.output "b" %b : tensor<2x3x6xf32>
  nn.output "c" %c : tensor<2x3x4xf32>
  nn.output "d" %d : tensor<2x5x4xf32>
}
