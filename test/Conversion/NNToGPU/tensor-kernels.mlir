// The GPU kernels of embeddings, dropout, slices, concatenation, positions
// and layer norm.
// RUN: nngc-opt --nngc-convert-nn-to-gpu-kernels %s | FileCheck %s

// CHECK: nn.embedding_grad {{.*}}nngc.gpu_kernels = [@t_7_embedding_grad_zero, @t_7_embedding_grad_add]
// CHECK: nn.concat {{.*}}nngc.gpu_kernels = [@t_10_concat_0, @t_10_concat_1]
// A warp per row: 16 rows, 8 warps a block.
// CHECK: nn.layer_norm {{.*}}nngc.gpu_launch = [array<i64: 2, 256>]
// Identical kernels are shared: dropout_grad runs dropout's kernel (the
// same mask on the same shape), and dw and db are zeroed by one kernel.
// CHECK: nn.dropout_grad {{.*}}nngc.gpu_kernels = [@t_13_dropout]
// CHECK: nn.layer_norm_grad {{.*}}nngc.gpu_kernels = [@t_16_layer_norm_grad_zero1, @t_16_layer_norm_grad_zero1, @t_16_layer_norm_grad]

// An id out of range reads row 0 and writes 0.
// CHECK-LABEL: gpu.func @t_6_embedding(%arg0: memref<16xi64>, %arg1: memref<60xf32>, %arg2: memref<96xf32>)
// CHECK: arith.cmpi slt, %{{.*}}, %c10_i64
// CHECK: arith.select
// CHECK: memref.load %arg1
// CHECK: arith.select
// The padding row (0) gets no gradient; the others are added atomically.
// CHECK-LABEL: gpu.func @t_7_embedding_grad_add
// CHECK: arith.cmpi ne, %{{.*}}, %c0_i64
// CHECK: memref.atomic_rmw addf
// CHECK-LABEL: gpu.func @t_8_slice(%arg0: memref<96xf32>, %arg1: memref<48xf32>)
// CHECK: arith.addi %{{.*}}, %c2
// CHECK-LABEL: gpu.func @t_9_slice_grad(%arg0: memref<48xf32>, %arg1: memref<96xf32>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %c96 step
// CHECK: arith.cmpi uge
// CHECK: arith.select
// CHECK-LABEL: gpu.func @t_10_concat_1
// CHECK: arith.addi %{{.*}}, %c3
// CHECK-LABEL: gpu.func @t_11_arange(%arg0: memref<8xi64>)
// CHECK: arith.index_cast %{{.*}} : index to i64
// Mean, then variance, each a shuffle sum; rstd = 1 / sqrt(var + eps).
// CHECK-LABEL: gpu.func @t_12_layer_norm(%arg0: memref<96xf32>, %arg1: memref<6xf32>, %arg2: memref<6xf32>, %arg3: memref<96xf32>)
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// The CPU's mask: two rounds of hash32 (0x7feb352d, 0x846ca68b) of the
// element's index in the global batch's mask.
// Four elements a thread: element 4i + l of the mask for lane l.
// CHECK-LABEL: gpu.func @t_13_dropout(%arg0: memref<24xvector<4xf32>>, %arg1: memref<24xvector<4xf32>>, %arg2: i32, %arg3: i32, %arg4: i32, %arg5: f32, %arg6: i64)
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c4
// CHECK: arith.addi %[[FIRST]], %c0
// CHECK: arith.addi %arg6
// CHECK: arith.shrui %{{.*}}, %c32_i64 : i64
// CHECK: arith.muli %{{.*}}, %c2146121005_i32 : i32
// CHECK: arith.muli %{{.*}}, %c-2073254261_i32 : i32
// CHECK: arith.cmpi uge, %{{.*}}, %arg4 : i32
// CHECK-NOT: gpu.func @t_14_dropout_grad
// Output [8, 2, 6] from input [2, 8, 6]: output dimension 0 steps the
// input by 6, dimension 1 by 48.
// CHECK-LABEL: gpu.func @t_15_transpose(%arg0: memref<96xf32>, %arg1: memref<96xf32>)
// CHECK: arith.remui %{{.*}}, %c6
// CHECK: arith.remui %{{.*}}, %c2
// CHECK: arith.muli %{{.*}}, %c48
// CHECK: arith.remui %{{.*}}, %c8
// CHECK: arith.muli %{{.*}}, %c6
// The statistics again from the input, dx, then dw and db by atomic adds.
// CHECK: gpu.func @t_16_layer_norm_grad_zero1(
// CHECK-NOT: gpu.func @t_16_layer_norm_grad_zero2
// CHECK-LABEL: gpu.func @t_16_layer_norm_grad(%arg0: memref<96xf32>, %arg1: memref<96xf32>, %arg2: memref<6xf32>, %arg3: memref<96xf32>, %arg4: memref<6xf32>, %arg5: memref<6xf32>)
// CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK: memref.store {{.*}}, %arg3
// CHECK: memref.atomic_rmw addf {{.*}}, %arg4
// CHECK: memref.atomic_rmw addf {{.*}}, %arg5
nn.model @t {
  %ids = nn.input "ids" : tensor<2x8xi64>
  %x = nn.input "x" : tensor<2x8x6xf32>
  %emb = nn.param "emb" init(normal) : tensor<10x6xf32>
  %w = nn.param "ln.weight" init(ones) : tensor<6xf32>
  %b = nn.param "ln.bias" init(zeros) : tensor<6xf32>
  %z = nn.input "z" : tensor<2x8x6xf32>
  %e = nn.embedding %ids, %emb {padding_idx = 0} : tensor<2x8xi64>, tensor<10x6xf32>
  %de = nn.embedding_grad %x, %ids {padding_idx = 0} : tensor<2x8x6xf32>, tensor<2x8xi64> -> tensor<10x6xf32>
  %s = nn.slice %x {axis = 2, start = 2} : tensor<2x8x6xf32> -> tensor<2x8x3xf32>
  %sg = nn.slice_grad %s {axis = 2, start = 2} : tensor<2x8x3xf32> -> tensor<2x8x6xf32>
  %c = nn.concat %s, %s {axis = 2} : tensor<2x8x3xf32>, tensor<2x8x3xf32> -> tensor<2x8x6xf32>
  %p = nn.arange : tensor<8xi64>
  %l = nn.layer_norm %x weight(%w : tensor<6xf32>) bias(%b : tensor<6xf32>) : tensor<2x8x6xf32>
  %d = nn.dropout %x {p = 0.1} : tensor<2x8x6xf32>
  %dd = nn.dropout_grad %z, %d {p = 0.1} : tensor<2x8x6xf32>
  %tr = nn.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x8x6xf32> -> tensor<8x2x6xf32>
  %g:3 = nn.layer_norm_grad %z, %x weight(%w : tensor<6xf32>) bias(%b : tensor<6xf32>) output(%l) {eps = 1.0e-05 : f64, normalized_dims = 1 : i64} : tensor<2x8x6xf32> -> tensor<2x8x6xf32>, tensor<6xf32>, tensor<6xf32>
}

// Negative positions count from the end: index -1 of 8 is 7, start -3 of
// 6 is 3 (an unnormalized -1 read before the row).
// CHECK-LABEL: gpu.func @neg_1_select(%arg0: memref<96xf32>, %arg1: memref<12xf32>)
// CHECK: arith.addi %{{.*}}, %c7
// CHECK-LABEL: gpu.func @neg_2_slice(%arg0: memref<96xf32>, %arg1: memref<48xf32>)
// CHECK: arith.addi %{{.*}}, %c3
nn.model @neg {
  %x = nn.input "x" : tensor<2x8x6xf32>
  %last = nn.select %x {axis = 1, index = -1} : tensor<2x8x6xf32> -> tensor<2x6xf32>
  %tail = nn.slice %x {axis = 2, start = -3} : tensor<2x8x6xf32> -> tensor<2x8x3xf32>
}

// Rows of 64 (a multiple of 32, at most 512) fit in a warp's registers:
// the forward reads each element of x once (two per lane), for the mean,
// the variance and the output.
// CHECK-LABEL: gpu.func @wide_4_layer_norm(
// CHECK-COUNT-2: memref.load %arg0
// CHECK-NOT: memref.load %arg0
// CHECK: gpu.return
// And the backward: each warp takes rows in a
// grid-stride loop, keeping its lanes' dw and db partials (2 columns each)
// in registers, then adds them with one atomic per column.
// CHECK-LABEL: gpu.func @wide_5_layer_norm_grad(
// CHECK: scf.for %{{.*}} = %{{.*}} to %c40{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, f32, f32, f32)
// CHECK-NOT: memref.atomic_rmw
// CHECK: scf.yield
// CHECK-COUNT-4: memref.atomic_rmw addf
// CHECK: gpu.return
nn.model @wide {
  %x = nn.input "x" : tensor<5x8x64xf32>
  %z = nn.input "z" : tensor<5x8x64xf32>
  %w = nn.param "ln.weight" init(ones) : tensor<64xf32>
  %b = nn.param "ln.bias" init(zeros) : tensor<64xf32>
  %l = nn.layer_norm %x weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) : tensor<5x8x64xf32>
  %g:3 = nn.layer_norm_grad %z, %x weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) output(%l) {eps = 1.0e-05 : f64, normalized_dims = 1 : i64} : tensor<5x8x64xf32> -> tensor<5x8x64xf32>, tensor<64xf32>, tensor<64xf32>
}
