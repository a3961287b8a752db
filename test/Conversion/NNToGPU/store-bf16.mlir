// nngc-store-bf16 (--target=cuda --precision=bf16): which results are
// stored as bf16 (nngc.bf16), the weights' bf16 copies (nn.round_bf16),
// and the sizes the memory plan then gives them.
// RUN: nngc-opt --nngc-store-bf16 %s | FileCheck %s
// RUN: nngc-opt --nngc-store-bf16 --nngc-plan-memory=reuse=false %s | FileCheck %s --check-prefix=PLAN

// A layer norm writes bf16 for its one reader, a product; the product
// reads its parameter as a bf16 copy, made before it, and its bias too,
// since its result is bf16 (a bf16 result's bias is bf16 in cuBLASLt).
// CHECK-LABEL: nn.model @train
// CHECK: %[[LN:.*]] = nn.layer_norm %{{.*}} {nngc.bf16 = array<i1: true>}
// CHECK: %[[W1:.*]] = nn.round_bf16 %{{.*}} {nngc.bf16 = array<i1: true>} : tensor<32x16xf32>
// CHECK: %[[B1:.*]] = nn.round_bf16 %{{.*}} {nngc.bf16 = array<i1: true>} : tensor<32xf32>
// CHECK: %[[H:.*]] = nn.linear %[[LN]], %[[W1]], %[[B1]] {nngc.bf16 = array<i1: true>}
// CHECK: %[[A:.*]] = nn.gelu %[[H]] {nngc.bf16 = array<i1: true>}
// An output is f32 (nn.output takes no bf16); its product still reads
// bf16 operands, one of them a copy of the second weight.
// CHECK: %[[W2:.*]] = nn.round_bf16 %{{.*}} : tensor<4x32xf32>
// CHECK: %[[Y:.*]] = nn.linear %[[A]], %[[W2]] :
// CHECK: nn.output "y" %[[Y]]
// A reader without a bf16 kernel (nn.reduce) keeps its operand f32, and
// so that operand's product: f32 by f32, the weight itself.
// CHECK: %[[R:.*]] = nn.relu %{{.*}} :
// CHECK: nn.linear %[[R]], %{{.*}} :
// CHECK: nn.reduce
// A product of a bf16 value by a computed f32 value (not a parameter)
// demotes the bf16 one: both f32.
// CHECK: %[[G:.*]] = nn.gelu %{{.*}} :
// CHECK: %[[T:.*]] = nn.reduce
// CHECK: nn.matmul %[[G]], %[[T]] {transpose_lhs} :
// The weight gradient of two bf16 operands is an f32 product.
// CHECK: %[[DW:.*]] = nn.matmul %[[A]], %[[A]] {transpose_lhs} :
// CHECK: nn.gradient "sq.weight" %[[DW]]

// An attention and its backward: q, k, v, the output, its gradient and
// the input gradients all bf16 (the runtime runs an attention in one
// type) ...
// CHECK-LABEL: nn.model @attention
// CHECK: nn.layer_norm {{.*}}nngc.bf16 = array<i1: true>
// CHECK: nn.attention {{.*}}nngc.bf16 = array<i1: true>
// CHECK: nn.gelu {{.*}}nngc.bf16 = array<i1: true>
// CHECK: nn.attention_grad {{.*}}nngc.bf16 = array<i1: true, true, true>
// ... or, where one of them cannot be (here the value, an input), none.
// CHECK-LABEL: nn.model @attention_f32
// CHECK-NOT: nngc.bf16
// CHECK: nn.gradient

// The step model has no gradients: unchanged.
// CHECK-LABEL: nn.model @step
// CHECK-NOT: nngc.bf16
// CHECK-NOT: round_bf16
// CHECK: nn.output

// The plan (no reuse: one buffer after another, 64-byte aligned): the
// layer norm's 8 x 16 result takes 256 bytes as bf16, the copy of the
// 32 x 16 weight 1024 and of the bias 64; in @step the layer norm's
// result takes 512.
// PLAN-LABEL: nn.model @train
// PLAN: nn.layer_norm {{.*}}nngc.offset = 512 :
// PLAN-NEXT: nn.round_bf16 {{.*}}nngc.offset = 768 :
// PLAN-NEXT: nn.round_bf16 {{.*}}nngc.offset = 1792 :
// PLAN-NEXT: nn.linear {{.*}}nngc.offset = 1856 :
// PLAN-LABEL: nn.model @step
// PLAN: nn.layer_norm {{.*}}nngc.offset = 512 :
// PLAN-NEXT: nn.linear {{.*}}nngc.offset = 1024 :

nn.model @train {
  %x = nn.input "x" : tensor<8x16xf32>
  %lw = nn.param "ln.weight" init(ones) : tensor<16xf32>
  %w1 = nn.param "fc1.weight" init(xavier_uniform) : tensor<32x16xf32>
  %b1 = nn.param "fc1.bias" init(zeros) : tensor<32xf32>
  %w2 = nn.param "fc2.weight" init(xavier_uniform) : tensor<4x32xf32>
  %sq = nn.param "sq.weight" init(zeros) : tensor<32x32xf32>
  %ln = nn.layer_norm %x weight(%lw : tensor<16xf32>) : tensor<8x16xf32>
  %h = nn.linear %ln, %w1, %b1 : tensor<8x16xf32>, tensor<32x16xf32>, tensor<32xf32>
  %a = nn.gelu %h : tensor<8x32xf32>
  %y = nn.linear %a, %w2 : tensor<8x32xf32>, tensor<4x32xf32>
  nn.output "y" %y : tensor<8x4xf32>
  %r = nn.relu %x : tensor<8x16xf32>
  %z = nn.linear %r, %w1 : tensor<8x16xf32>, tensor<32x16xf32>
  %s = nn.reduce mean %r {axis = 1} : tensor<8x16xf32> -> tensor<8x1xf32>
  nn.output "s" %s : tensor<8x1xf32>
  nn.output "z" %z : tensor<8x32xf32>
  %g = nn.gelu %x : tensor<8x16xf32>
  %t = nn.reduce mean %x {axis = 1} : tensor<8x16xf32> -> tensor<8x1xf32>
  %gt = nn.matmul %g, %t {transpose_lhs} : tensor<8x16xf32>, tensor<8x1xf32>
  nn.output "gt" %gt : tensor<16x1xf32>
  %dw = nn.matmul %a, %a {transpose_lhs} : tensor<8x32xf32>, tensor<8x32xf32>
  nn.gradient "sq.weight" %dw : tensor<32x32xf32>
}

nn.model @attention {
  %x = nn.input "x" : tensor<2x4x8xf32>
  %lw = nn.param "ln.weight" init(ones) : tensor<8xf32>
  %q = nn.layer_norm %x weight(%lw : tensor<8xf32>) : tensor<2x4x8xf32>
  %y = nn.attention %q, %q, %q {heads = 2} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %dy = nn.gelu %y : tensor<2x4x8xf32>
  %dq, %dk, %dv = nn.attention_grad %dy, %q, %q, %q output(%y) {heads = 2, dropout = 0.0, scale = 0.5} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %s = nn.add %dq, %dk : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %t = nn.add %s, %dv : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %r = nn.reduce mean %t {axis = 1} : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  nn.gradient "ln.weight" %r : tensor<2x1x8xf32>
}

nn.model @attention_f32 {
  %x = nn.input "x" : tensor<2x4x8xf32>
  %v = nn.input "v" : tensor<2x4x8xf32>
  %lw = nn.param "ln.weight" init(ones) : tensor<8xf32>
  %q = nn.layer_norm %x weight(%lw : tensor<8xf32>) : tensor<2x4x8xf32>
  %y = nn.attention %q, %q, %v {heads = 2} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %r = nn.reduce mean %y {axis = 1} : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  nn.gradient "ln.weight" %r : tensor<2x1x8xf32>
}

nn.model @step {
  %x = nn.input "x" : tensor<8x16xf32>
  %lw = nn.param "ln.weight" init(ones) : tensor<16xf32>
  %w1 = nn.param "fc1.weight" init(xavier_uniform) : tensor<32x16xf32>
  %ln = nn.layer_norm %x weight(%lw : tensor<16xf32>) : tensor<8x16xf32>
  %h = nn.linear %ln, %w1 : tensor<8x16xf32>, tensor<32x16xf32>
  nn.output "h" %h : tensor<8x32xf32>
}
