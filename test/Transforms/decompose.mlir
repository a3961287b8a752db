// nngc-decompose: every composite op. nn.multihead_attention becomes
// PyTorch's in-projection, nn.attention and out-projection. Self-attention
// projects once with the whole [3C, C] weight; cross-attention slices its
// row blocks. nn.additive_attention and nn.multiplicative_attention become
// projections, scores, a masked softmax and a batched matmul.
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

// -----

// Bahdanau: both projections, the broadcast sum to [B, Tq, Tk, A], tanh,
// v, the mask's bias (m - 1) * 1e30, softmax over the keys, the context.
// CHECK-LABEL: nn.model @additive
// CHECK: %[[Q:.*]] = nn.input "q" : tensor<2x3x8xf32>
// CHECK: %[[K:.*]] = nn.input "k" : tensor<2x5x6xf32>
// CHECK: %[[M:.*]] = nn.input "m" : tensor<2x5x1xf32>
// CHECK: %[[WQ:.*]] = nn.linear %[[Q]], %{{.*}}, %{{.*}} : tensor<2x3x8xf32>, tensor<7x8xf32>, tensor<7xf32>
// CHECK: %[[UK:.*]] = nn.linear %[[K]], %{{.*}}, %{{.*}} : tensor<2x5x6xf32>, tensor<7x6xf32>, tensor<7xf32>
// CHECK: %[[WQ4:.*]] = nn.reshape %[[WQ]] : tensor<2x3x7xf32> -> tensor<2x3x1x7xf32>
// CHECK: %[[UK4:.*]] = nn.reshape %[[UK]] : tensor<2x5x7xf32> -> tensor<2x1x5x7xf32>
// CHECK: %[[S:.*]] = nn.add %[[WQ4]], %[[UK4]] : tensor<2x3x1x7xf32>, tensor<2x1x5x7xf32>
// CHECK: %[[T:.*]] = nn.tanh %[[S]] : tensor<2x3x5x7xf32>
// CHECK: %[[E:.*]] = nn.linear %[[T]], %{{.*}} : tensor<2x3x5x7xf32>, tensor<1x7xf32>
// CHECK-NOT: Va.bias
// CHECK: %[[E3:.*]] = nn.reshape %[[E]] : tensor<2x3x5x1xf32> -> tensor<2x3x5xf32>
// CHECK: %[[M3:.*]] = nn.reshape %[[M]] : tensor<2x5x1xf32> -> tensor<2x1x5xf32>
// CHECK: %[[ONE:.*]] = nn.fill 1.000000e+00 : tensor<f32>
// CHECK: %[[BIG:.*]] = nn.fill 1.000000e+30 : tensor<f32>
// CHECK: %[[D:.*]] = nn.sub %[[M3]], %[[ONE]]
// CHECK: %[[BIAS:.*]] = nn.mul %[[D]], %[[BIG]]
// CHECK: %[[SC:.*]] = nn.add %[[E3]], %[[BIAS]] : tensor<2x3x5xf32>, tensor<2x1x5xf32>
// CHECK: %[[P:.*]] = nn.softmax %[[SC]] : tensor<2x3x5xf32>
// CHECK: %[[C:.*]] = nn.matmul %[[P]], %[[K]] : tensor<2x3x5xf32>, tensor<2x5x6xf32>
// CHECK: nn.output "c" %[[C]]
// CHECK-NOT: nn.additive_attention
nn.model @additive {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %m = nn.input "m" : tensor<2x5x1xf32>
  %w = nn.param "Wa.weight" init(zeros) : tensor<7x8xf32>
  %bw = nn.param "Wa.bias" init(zeros) : tensor<7xf32>
  %u = nn.param "Ua.weight" init(zeros) : tensor<7x6xf32>
  %bu = nn.param "Ua.bias" init(zeros) : tensor<7xf32>
  %v = nn.param "Va.weight" init(zeros) : tensor<1x7xf32>
  %c = nn.additive_attention %q, %k, %k key_padding_mask(%m : tensor<2x5x1xf32>) weights(%w, %bw, %u, %bu, %v : tensor<7x8xf32>, tensor<7xf32>, tensor<7x6xf32>, tensor<7xf32>, tensor<1x7xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32> -> tensor<2x3x6xf32>
  nn.output "c" %c : tensor<2x3x6xf32>
}

// -----

// Luong: general projects the keys, the scores are one batched product
// with the keys transposed, then the scale; dot has no projection.
// CHECK-LABEL: nn.model @multiplicative
// CHECK: %[[Q:.*]] = nn.input "q" : tensor<2x3x8xf32>
// CHECK: %[[K:.*]] = nn.input "k" : tensor<2x5x6xf32>
// CHECK: %[[V:.*]] = nn.input "v" : tensor<2x5x4xf32>
// CHECK: %[[WK:.*]] = nn.linear %[[K]], %{{.*}} : tensor<2x5x6xf32>, tensor<8x6xf32>
// CHECK: %[[S:.*]] = nn.matmul %[[Q]], %[[WK]] {transpose_rhs} : tensor<2x3x8xf32>, tensor<2x5x8xf32>
// CHECK: %[[P:.*]] = nn.softmax %[[S]] : tensor<2x3x5xf32>
// CHECK: %[[C:.*]] = nn.matmul %[[P]], %[[V]] : tensor<2x3x5xf32>, tensor<2x5x4xf32>
// CHECK: %[[S2:.*]] = nn.matmul %[[Q]], %[[Q]] {transpose_rhs} : tensor<2x3x8xf32>, tensor<2x3x8xf32>
// CHECK: %[[H:.*]] = nn.fill 5.000000e-01 : tensor<f32>
// CHECK: %[[S2H:.*]] = nn.mul %[[S2]], %[[H]] : tensor<2x3x3xf32>, tensor<f32>
// CHECK: %[[P2:.*]] = nn.softmax %[[S2H]] : tensor<2x3x3xf32>
// CHECK: nn.matmul %[[P2]], %[[Q]] : tensor<2x3x3xf32>, tensor<2x3x8xf32>
// CHECK-NOT: nn.multiplicative_attention
nn.model @multiplicative {
  %q = nn.input "q" : tensor<2x3x8xf32>
  %k = nn.input "k" : tensor<2x5x6xf32>
  %v = nn.input "v" : tensor<2x5x4xf32>
  %w = nn.param "Wa.weight" init(zeros) : tensor<8x6xf32>
  %c = nn.multiplicative_attention %q, %k, %v weights(%w : tensor<8x6xf32>) : tensor<2x3x8xf32>, tensor<2x5x6xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  %d = nn.multiplicative_attention %q, %q, %q {scale = 0.5} : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32> -> tensor<2x3x8xf32>
  nn.output "c" %c : tensor<2x3x4xf32>
  nn.output "d" %d : tensor<2x3x8xf32>
}
