// The Transformer ops parse, verify and print back to a form that parses
// again; shape inference gives nn.attention's result type.
// RUN: nngc-opt %s | nngc-opt | FileCheck %s
// RUN: nngc-opt %s --mlir-print-op-generic | nngc-opt | FileCheck %s

// CHECK-LABEL: nn.model @transformer
nn.model @transformer {
  %x = nn.input "x" : tensor<2x8x16xf32>
  %s = nn.input "s" : tensor<2x5x16xf32>
  %m = nn.input "m" : tensor<2x8x1xf32>
  %w = nn.param "ln.weight" init(ones) : tensor<16xf32>
  %b = nn.param "ln.bias" init(zeros) : tensor<16xf32>
  %w2 = nn.param "ln2.weight" init(ones) : tensor<8x16xf32>
  // CHECK: nn.layer_norm %{{.*}} weight(%{{.*}} : tensor<16xf32>) bias(%{{.*}} : tensor<16xf32>) : tensor<2x8x16xf32>
  %y = nn.layer_norm %x weight(%w : tensor<16xf32>) bias(%b : tensor<16xf32>) : tensor<2x8x16xf32>
  // CHECK: nn.layer_norm %{{.*}} weight(%{{.*}} : tensor<8x16xf32>) {eps = {{.*}} : f64} : tensor<2x8x16xf32>
  %y2 = nn.layer_norm %x weight(%w2 : tensor<8x16xf32>) {eps = 1.0e-6 : f64} : tensor<2x8x16xf32>
  // CHECK: nn.layer_norm %{{.*}} {normalized_dims = 2 : i64} : tensor<2x8x16xf32>
  %y3 = nn.layer_norm %x {normalized_dims = 2} : tensor<2x8x16xf32>
  // CHECK: %[[A:.*]] = nn.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, heads = 4 : i64} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
  %a = nn.attention %y, %y, %y {heads = 4, causal} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} key_padding_mask(%{{.*}} : tensor<2x8x1xf32>) {dropout = 1.000000e-01 : f64, heads = 2 : i64, scale = 5.000000e-01 : f64}
  %p = nn.attention %a, %y, %y key_padding_mask(%m : tensor<2x8x1xf32>) {heads = 2, dropout = 0.1, scale = 0.5} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
  // Cross-attention: the result has the query's length.
  // CHECK: nn.attention {{.*}} : tensor<2x8x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32>
  %c = nn.attention %p, %s, %s {heads = 2} : tensor<2x8x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32>
  %sum = nn.add %c, %a : tensor<2x8x16xf32>, tensor<2x8x16xf32>
  %inw = nn.param "attn.in_proj_weight" init(xavier_uniform) : tensor<48x16xf32>
  %outw = nn.param "attn.out_proj.weight" init(xavier_uniform) : tensor<16x16xf32>
  // CHECK: nn.multihead_attention %{{.*}}, %{{.*}}, %{{.*}} weights(%{{.*}}, %{{.*}}) {heads = 4 : i64} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> weights(tensor<48x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  %mha = nn.multihead_attention %sum, %sum, %sum weights(%inw, %outw) {heads = 4} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> weights(tensor<48x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  // CHECK: nn.arange : tensor<8xi64>
  %pos = nn.arange : tensor<8xi64>
  // CHECK: nn.sinusoidal_positions : tensor<8x16xf32>
  %pe = nn.sinusoidal_positions : tensor<8x16xf32>
  %t = nn.add %mha, %pe : tensor<2x8x16xf32>, tensor<8x16xf32>
  %l = nn.mse %t, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>
  // CHECK: nn.minimize %{{.*}} with #nn.adamw<lr = 0.001, beta2 = 0.99, weight_decay = 0.1> clip_grad_norm(1.000000e+00) decay({{ *}}matrices) schedule(#nn.warmup_cosine<warmup = 10, decay_steps = 100, min_lr = 1.0e-04>)
  nn.minimize %l with #nn.adamw<lr = 1.0e-3, beta2 = 0.99, weight_decay = 0.1> clip_grad_norm(1.0) decay(matrices) schedule(#nn.warmup_cosine<warmup = 10, decay_steps = 100, min_lr = 1.0e-4>)
}

// One token per sequence over key/value caches (what nngc-derive-step
// writes in a step model): batch 1 for a language model's sampler, the
// batch for a translator's decoder.
// CHECK-LABEL: nn.model @cached
nn.model @cached {
  %q = nn.input "q" : tensor<3x1x16xf32>
  %kc = nn.input "kc" {nngc.carried_from = "kc_out"} : tensor<3x8x16xf32>
  %vc = nn.input "vc" {nngc.carried_from = "vc_out"} : tensor<3x8x16xf32>
  %pos = nn.input "position" {nngc.position} : tensor<1xi64>
  // CHECK: nn.cached_attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}}) at %{{.*}} {heads = 4 : i64, scale = 5.000000e-01 : f64} : tensor<3x1x16xf32>, tensor<3x8x16xf32>, tensor<1xi64>
  %y, %kco, %vco = nn.cached_attention %q, %q, %q cache(%kc, %vc) at %pos {heads = 4 : i64, scale = 0.5 : f64} : tensor<3x1x16xf32>, tensor<3x8x16xf32>, tensor<1xi64>
  nn.output "y" %y : tensor<3x1x16xf32>
  nn.output "kc_out" %kco : tensor<3x8x16xf32>
  nn.output "vc_out" %vco : tensor<3x8x16xf32>
}
