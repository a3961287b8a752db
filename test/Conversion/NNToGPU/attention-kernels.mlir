// The GPU kernels of nn.attention, nn.attention_grad and
// nn.cached_attention. Attention's kernels work in the runtime's buffers
// (`ptr=` arguments): the scores, probabilities and dropped probabilities
// of [batch, heads, Tq, Tk], between the cuBLASLt products that
// nngc_cuda_attention runs.
// RUN: nngc-opt --nngc-convert-nn-to-gpu-kernels %s | FileCheck %s

// The key padding mask is operand 3; the dropout mask has one element per
// score (2 x 2 x 4 x 4).
// CHECK: nn.attention {{.*}}nngc.gpu_args = {{\[}}["ptr=attention_scores", 3, "ptr=attention_probs", "ptr=attention_dropped", "dropout_k1", "dropout_k2", "dropout_threshold=0.10000000000000001", "dropout_scale=0.10000000000000001", "dropout_offset=64"]], nngc.gpu_kernels = [@t_5_attention_softmax], nngc.gpu_launch = [array<i64: 2, 256>]
// Without kept probabilities (nngc.recompute_probs) the backward runs the
// forward's kernel again (the same code, so the same kernel; its mask is
// the backward's operand 4), then its own.
// CHECK: nn.attention_grad {{.*}}nngc.gpu_args = {{\[}}["ptr=attention_scores", 4, "ptr=attention_probs", "ptr=attention_dropped", {{.*}}], ["ptr=attention_dprobs", "ptr=attention_probs", "ptr=attention_dropped", {{.*}}"dropout_offset=64"]], nngc.gpu_kernels = [@t_5_attention_softmax, @t_6_attention_grad_softmax_grad]
// Kept probabilities: only the backward's kernel (shared by shape).
// CHECK: nn.attention {{.*}}nngc.gpu_kernels = [@t_7_attention_softmax]
// CHECK: nn.attention_grad {{.*}}nngc.gpu_kernels = [@t_6_attention_grad_softmax_grad]
// The caches (operands 3, 4; results 7, 8) and the position (5), then a
// 32-thread block per (sequence, head).
// CHECK: nn.cached_attention {{.*}}nngc.gpu_args = {{\[}}[1, 2, 3, 4, 5, 7, 8], [0, 5, 7, 8, 6]], nngc.gpu_kernels = [@s_6_cached_attention_cache, @s_6_cached_attention_attend], nngc.gpu_launch = [array<i64: 1, 256>, array<i64: 2, 32>]

// A warp per (sequence, head, query) row: 16 rows. Query i sees keys
// j <= i that the mask marks real; the row's max and sum over the warp;
// a row with no visible key gets 0; dropout only with a threshold.
// CHECK-LABEL: gpu.func @t_5_attention_softmax(%arg0: memref<64xf32>, %arg1: memref<8xf32>, %arg2: memref<64xf32>, %arg3: memref<64xf32>, %arg4: i32, %arg5: i32, %arg6: i32, %arg7: f32, %arg8: i64)
// CHECK: arith.cmpi ult, %{{.*}}, %c16
// CHECK: scf.for
// CHECK: arith.maximumf
// CHECK: arith.cmpi ule
// CHECK: memref.load %arg1
// CHECK: arith.cmpf une
// CHECK: arith.andi
// CHECK: arith.select
// CHECK: gpu.shuffle  xor
// CHECK: llvm.nvvm.ex2.approx.f
// CHECK: gpu.shuffle  xor
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.cmpi ne, %arg6, %c0_i32
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: scf.if
// CHECK: arith.cmpi uge, %{{.*}}, %arg6
// CHECK: memref.store %{{.*}}, %arg3
// dS = P (mask(dP) - rowsum(mask(dP) P)) in place; dropout(P) for dV.
// CHECK-LABEL: gpu.func @t_6_attention_grad_softmax_grad(%arg0: memref<64xf32>, %arg1: memref<64xf32>, %arg2: memref<64xf32>
// CHECK: llvm.intr.fma
// CHECK: gpu.shuffle  xor
// CHECK: arith.subf
// CHECK: memref.store %{{.*}}, %arg0
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %arg2
// No mask: no mask operand.
// CHECK-LABEL: gpu.func @t_7_attention_softmax(%arg0: memref<64xf32>, %arg1: memref<64xf32>, %arg2: memref<64xf32>, %arg3: i32
// CHECK-NOT: gpu.func @t_8
// The token's row of each cache at the position, the rest copied.
// CHECK-LABEL: gpu.func @s_6_cached_attention_cache
// CHECK: memref.load %arg4
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK: memref.store %{{.*}}, %arg5
// CHECK: memref.store %{{.*}}, %arg6
// Positions 0..position (clamped to the cache) in shared memory.
// CHECK-LABEL: gpu.func @s_6_cached_attention_attend({{.*}}) workgroup(%arg5 : memref<6xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: memref.store %{{.*}}, %arg5
// CHECK: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %arg4

nn.model @t {
  %q = nn.input "q" : tensor<2x4x8xf32>
  %k = nn.input "k" : tensor<2x4x8xf32>
  %v = nn.input "v" : tensor<2x4x8xf32>
  %m = nn.input "m" : tensor<2x4xf32>
  %g = nn.input "g" : tensor<2x4x8xf32>
  %y = nn.attention %q, %k, %v key_padding_mask(%m : tensor<2x4xf32>) {heads = 2, causal, dropout = 0.1, nngc.recompute_probs} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %dq, %dk, %dv = nn.attention_grad %g, %q, %k, %v key_padding_mask(%m : tensor<2x4xf32>) output(%y) {heads = 2, causal, dropout = 0.1, scale = 0.5} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %y2 = nn.attention %q, %k, %v {heads = 2} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %dq2, %dk2, %dv2 = nn.attention_grad %g, %q, %k, %v output(%y2) {heads = 2, dropout = 0.0, scale = 0.5} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

nn.model @s {
  %q1 = nn.input "q1" : tensor<1x1x8xf32>
  %k1 = nn.input "k1" : tensor<1x1x8xf32>
  %v1 = nn.input "v1" : tensor<1x1x8xf32>
  %kc = nn.input "kc" : tensor<1x6x8xf32>
  %vc = nn.input "vc" : tensor<1x6x8xf32>
  %pos = nn.input "pos" : tensor<1xi64>
  %y1, %kc2, %vc2 = nn.cached_attention %q1, %k1, %v1 cache(%kc, %vc) at %pos {heads = 2, scale = 0.5} : tensor<1x1x8xf32>, tensor<1x6x8xf32>, tensor<1xi64>
}

// With bf16 operands (nngc-store-bf16 marks q, k, v): every work buffer
// is bf16, the scores and dP (cuBLASLt's bf16 results) too, as PyTorch's
// autocast; the kernels compute in f32.
// CHECK-LABEL: gpu.func @h_2_attention_softmax(%arg0: memref<32xbf16>, %arg1: memref<32xbf16>, %arg2: memref<32xbf16>,
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK-LABEL: gpu.func @h_3_attention_grad_softmax_grad(%arg0: memref<32xbf16>, %arg1: memref<32xbf16>, %arg2: memref<32xbf16>,
// CHECK: arith.extf %{{.*}} : bf16 to f32
nn.model @h {
  %x = nn.input "x" : tensor<1x4x8xf32>
  %q = nn.gelu %x {nngc.bf16 = array<i1: true>} : tensor<1x4x8xf32>
  %y = nn.attention %q, %q, %q {heads = 2, causal, nngc.bf16 = array<i1: true>} : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  %dq, %dk, %dv = nn.attention_grad %q, %q, %q, %q output(%y) {heads = 2, causal, dropout = 0.0, scale = 0.5, nngc.bf16 = array<i1: true, true, true>} : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
}
