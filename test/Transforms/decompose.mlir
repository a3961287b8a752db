// nngc-decompose: nn.multihead_attention becomes PyTorch's in-projection,
// nn.attention and out-projection. Self-attention projects once with the
// whole [3C, C] weight; cross-attention slices its row blocks.
// RUN: nngc-opt --nngc-decompose %s -split-input-file | FileCheck %s

// CHECK-LABEL: nn.model @self
// CHECK: %[[X:.*]] = nn.input "x"
// CHECK: %[[IW:.*]] = nn.param "attn.in_proj_weight"
// CHECK: %[[IB:.*]] = nn.param "attn.in_proj_bias"
// CHECK: %[[OW:.*]] = nn.param "attn.out_proj.weight"
// CHECK: %[[OB:.*]] = nn.param "attn.out_proj.bias"
// CHECK: %[[QKV:.*]] = nn.linear %[[X]], %[[IW]], %[[IB]] : tensor<2x8x16xf32>, tensor<48x16xf32>, tensor<48xf32>
// CHECK: %[[Q:.*]] = nn.slice %[[QKV]] {axis = 2 : i64, start = 0 : i64} : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
// CHECK: %[[K:.*]] = nn.slice %[[QKV]] {axis = 2 : i64, start = 16 : i64}
// CHECK: %[[V:.*]] = nn.slice %[[QKV]] {axis = 2 : i64, start = 32 : i64}
// CHECK: %[[A:.*]] = nn.attention %[[Q]], %[[K]], %[[V]] key_padding_mask(%{{.*}}) {causal, dropout = 1.000000e-01 : f64, heads = 4 : i64}
// CHECK: %[[Y:.*]] = nn.linear %[[A]], %[[OW]], %[[OB]]
// CHECK: nn.output "y" %[[Y]]
// CHECK-NOT: nn.multihead_attention
nn.model @self {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %m = nn.input "m" : tensor<2x8x1xf32>
  %iw = nn.param "attn.in_proj_weight" init(xavier_uniform) : tensor<48x16xf32>
  %ib = nn.param "attn.in_proj_bias" init(zeros) : tensor<48xf32>
  %ow = nn.param "attn.out_proj.weight" init(xavier_uniform) : tensor<16x16xf32>
  %ob = nn.param "attn.out_proj.bias" init(zeros) : tensor<16xf32>
  %y = nn.multihead_attention %x, %x, %x key_padding_mask(%m : tensor<2x8x1xf32>) weights(%iw, %ib, %ow, %ob) {heads = 4, causal, dropout = 0.1} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> weights(tensor<48x16xf32>, tensor<48xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  nn.output "y" %y : tensor<2x8x16xf32>
}

// -----

// CHECK-LABEL: nn.model @cross
// CHECK: %[[WQ:.*]] = nn.slice %{{.*}} {axis = 0 : i64, start = 0 : i64} : tensor<48x16xf32> -> tensor<16x16xf32>
// CHECK: nn.linear %{{.*}}, %[[WQ]] : tensor<2x8x16xf32>, tensor<16x16xf32>
// CHECK: %[[WK:.*]] = nn.slice %{{.*}} {axis = 0 : i64, start = 16 : i64}
// CHECK: nn.linear %{{.*}}, %[[WK]] : tensor<2x5x16xf32>, tensor<16x16xf32>
// CHECK: %[[WV:.*]] = nn.slice %{{.*}} {axis = 0 : i64, start = 32 : i64}
// CHECK: nn.attention {{.*}} {heads = 2 : i64} : tensor<2x8x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32>
nn.model @cross {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %s = nn.input "s" : tensor<2x5x16xf32>
  %iw = nn.param "attn.in_proj_weight" init(xavier_uniform) : tensor<48x16xf32>
  %ow = nn.param "attn.out_proj.weight" init(xavier_uniform) : tensor<16x16xf32>
  %y = nn.multihead_attention %x, %s, %s weights(%iw, %ow) {heads = 2} : tensor<2x8x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32> weights(tensor<48x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  nn.output "y" %y : tensor<2x8x16xf32>
}
