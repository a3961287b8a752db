// nngc-convert-nn-to-gpu-kernels: each op with a GPU kernel pattern gets
// its gpu.func kernels in @nngc_kernels and records them with their
// launches ([grid, block]); ops without one are listed in nngc.gpu_missing.
// RUN: nngc-opt --nngc-convert-nn-to-gpu-kernels %s | FileCheck %s
// RUN: nngc-opt "--nngc-convert-nn-to-gpu-kernels=chip=sm_90" %s | FileCheck %s --check-prefix=SM90
// SM90: gpu.module @nngc_kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx78">]

// CHECK: module attributes {gpu.container_module, nngc.gpu_missing = ["nn.linear"]}
// Elementwise kernels read and write vectors of 4 floats: each tensor as
// [its index, the 16-byte alignment its pointer needs].
// CHECK: nn.relu %{{.*}} {nngc.gpu_args = {{\[}}[{{\[}}0, 16], [1, 16]]], nngc.gpu_kernels = [@k_4_relu], nngc.gpu_launch = [array<i64: 1, 256>]}
// A large tensor: a grid-stride loop over its vectors, at most 4096 blocks.
// CHECK: nn.tanh %{{.*}} {nngc.gpu_args = {{\[}}[{{\[}}0, 16], [1, 16]]], nngc.gpu_kernels = [@k_5_tanh], nngc.gpu_launch = [array<i64: 2048, 256>]}
// One warp per row: 4 rows of 8 warps a block.
// CHECK: nn.softmax %{{.*}} {nngc.gpu_args = {{\[}}[0, 1]], nngc.gpu_kernels = [@k_6_softmax], nngc.gpu_launch = [array<i64: 1, 256>]}
// The norm's squares and root run only when the trainer clips (the
// runtime reads `if_clipping`); the zeroing always.
// CHECK: nn.grad_norm {{.*}}nngc.gpu_args = {{\[}}[2], [0, 1, 2, "if_clipping"], [2, "if_clipping"]], nngc.gpu_kernels = [@k_12_grad_norm_zero, @k_12_grad_norm_squares, @k_12_grad_norm_sqrt], nngc.gpu_launch = [array<i64: 1, 1>, array<i64: 1, 256>, array<i64: 1, 1>]
// The operand indices of the tensors (the buffer is the parameter here),
// then the scalars the host computes at each launch.
// CHECK: nn.sgd_update {{.*}}nngc.gpu_args = {{\[}}[{{\[}}0, 16], [1, 16], [0, 16], 3, "clip_norm", "lr=0.10000000000000001", "sgd_first"]], nngc.gpu_kernels = [@k_13_sgd_update]
// One launch for all the tensors of a multi-tensor update, a block per
// 4096 elements of one (here one block each); a tensor of 6: vectors of 2
// (8-byte aligned).
// CHECK: nn.multi_adam_update {{.*}}nngc.gpu_args = {{\[}}[{{\[}}0, 16], [2, 16], [0, 16], [0, 16], [1, 8], [1, 8], [1, 8], [1, 8], "clip_norm", "lr=0.001", "adam_step_size=0.001/0.90000000000000002", "adam_bc2_sqrt=0.999"]], nngc.gpu_kernels = [@k_14_multi_adam_update], nngc.gpu_launch = [array<i64: 2, 256>]
// An odd size: one float a thread; a column broadcast along the rows: the
// row's vector and one float of the column.
// CHECK: nn.tanh %{{.*}} {nngc.gpu_args = {{\[}}[0, 1]], nngc.gpu_kernels = [@k_20_tanh]
// CHECK: nn.mul %{{.*}} {nngc.gpu_args = {{\[}}[{{\[}}0, 16], 1, [2, 16]]], nngc.gpu_kernels = [@k_22_mul]

// CHECK: gpu.module @nngc_kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx70">]
// CHECK-LABEL: gpu.func @k_4_relu(%arg0: memref<40xvector<4xf32>>, %arg1: memref<40xvector<4xf32>>) kernel
// CHECK: gpu.grid_dim x
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %c40 step
// CHECK: %[[V:.*]] = memref.load %arg0[%[[I]]] : memref<40xvector<4xf32>>
// CHECK: %[[X0:.*]] = vector.extract %[[V]][0]
// CHECK: %[[X3:.*]] = vector.extract %[[V]][3]
// CHECK: %[[Y0:.*]] = arith.maximumf %[[X0]]
// CHECK: %[[Y3:.*]] = arith.maximumf %[[X3]]
// CHECK: %[[Y:.*]] = vector.from_elements %[[Y0]], %{{.*}}, %{{.*}}, %[[Y3]] : vector<4xf32>
// CHECK: memref.store %[[Y]], %arg1[%[[I]]]
// CHECK-LABEL: gpu.func @k_5_tanh(%arg0: memref<524288xvector<4xf32>>, %arg1: memref<524288xvector<4xf32>>) kernel
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f"
// CHECK-LABEL: gpu.func @k_6_softmax
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.maximumf
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f"
// CHECK: gpu.shuffle  xor
// A softmax along the first axis: one thread per column.
// CHECK-LABEL: gpu.func @k_7_log_softmax
// CHECK: scf.for %{{.*}} = %{{.*}} to %c40 step
// CHECK-NOT: gpu.shuffle
// CHECK: llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"
// The bias's vector: the column of the vector's first element, / 4.
// CHECK-LABEL: gpu.func @k_8_add(%arg0: memref<40xvector<4xf32>>, %arg1: memref<10xvector<4xf32>>, %arg2: memref<40xvector<4xf32>>)
// CHECK: %[[E:.*]] = arith.muli %[[VI:.*]], %c4
// CHECK: %[[COL:.*]] = arith.remui %[[E]], %c40
// CHECK: memref.load %arg0[%[[VI]]]
// CHECK: %[[BV:.*]] = arith.divui %{{.*}}, %c4
// CHECK: memref.load %arg1[%[[BV]]]
// CHECK: arith.addf
// CHECK-LABEL: gpu.func @k_9_gelu
// CHECK: llvm.call_intrinsic "llvm.nvvm.fabs.f"
// CHECK-LABEL: gpu.func @k_10_gelu_grad
// CHECK-LABEL: gpu.func @k_11_sum_to(%arg0: memref<160xf32>, %arg1: memref<40xf32>)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4 step
// The block's sum (warps, then shared memory), then one atomic add by its
// first thread.
// CHECK-LABEL: gpu.func @k_12_grad_norm_squares(%arg0: memref<160xf32>, %arg1: memref<40xf32>, %arg2: memref<1xf32>, %arg3: f32) workgroup(%arg4 : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK: llvm.intr.fma
// CHECK: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK: gpu.shuffle  xor
// CHECK: memref.atomic_rmw addf
// CHECK-LABEL: gpu.func @k_12_grad_norm_sqrt
// CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// SGD's scalars: clip, lr, first step.
// CHECK-LABEL: gpu.func @k_13_sgd_update(%arg0: memref<10xvector<4xf32>>, %arg1: memref<10xvector<4xf32>>, %arg2: memref<10xvector<4xf32>>, %arg3: memref<1xf32>, %arg4: f32, %arg5: f32, %arg6: i32)
// The clipping factor, min(1, clip_norm / (norm + 1e-6)), on the device.
// CHECK: %[[NORM:.*]] = memref.load %arg3[%c0]
// CHECK: arith.addf %[[NORM]]
// CHECK: arith.divf %arg4
// Adam's: clip, lr, step size, sqrt of the second bias correction.
// CHECK-LABEL: gpu.func @k_14_multi_adam_update(%arg0: memref<10xvector<4xf32>>, %arg1: memref<10xvector<4xf32>>, %arg2: memref<10xvector<4xf32>>, %arg3: memref<10xvector<4xf32>>, %arg4: memref<3xvector<2xf32>>, %arg5: memref<3xvector<2xf32>>, %arg6: memref<3xvector<2xf32>>, %arg7: memref<3xvector<2xf32>>, %arg8: f32, %arg9: f32, %arg10: f32, %arg11: f32)
// Block 0 updates the first tensor, block 1 the second.
// CHECK: %[[B:.*]] = gpu.block_id x
// CHECK: arith.cmpi uge, %[[B]], %c0
// CHECK: arith.cmpi ult, %[[B]], %c1
// CHECK: memref.load %arg0
// CHECK: arith.cmpi uge, %[[B]], %c1
// CHECK: arith.cmpi ult, %[[B]], %c2
// CHECK: memref.load %arg4
// The softmax backward along the last axis: dot(dy, y) by the warp.
// CHECK-LABEL: gpu.func @k_17_softmax_grad(%arg0: memref<160xf32>, %arg1: memref<160xf32>, %arg2: memref<160xf32>)
// CHECK: llvm.intr.fma
// CHECK: gpu.shuffle  xor
// CHECK-LABEL: gpu.func @k_18_log_softmax_grad
// CHECK-NOT: gpu.shuffle
// CHECK: llvm.call_intrinsic "llvm.nvvm.ex2.approx.f"
// CHECK-LABEL: gpu.func @k_20_tanh(%arg0: memref<15xf32>, %arg1: memref<15xf32>)
// CHECK-LABEL: gpu.func @k_22_mul(%arg0: memref<40xvector<4xf32>>, %arg1: memref<4xf32>, %arg2: memref<40xvector<4xf32>>)
// CHECK: %[[ROW:.*]] = memref.load %arg1[
// CHECK: arith.mulf %{{.*}}, %[[ROW]]
// CHECK: arith.mulf %{{.*}}, %[[ROW]]
// CHECK: arith.mulf %{{.*}}, %[[ROW]]
// CHECK: arith.mulf %{{.*}}, %[[ROW]]
// CHECK: gpu.return
nn.model @k {
  %x = nn.input "x" : tensor<4x40xf32>
  %b = nn.param "b" init(zeros) : tensor<40xf32>
  %c = nn.param "c" init(zeros) : tensor<6xf32>
  %wbig = nn.param "wbig" init(zeros) : tensor<2048x1024xf32>
  %r = nn.relu %x : tensor<4x40xf32>
  %big = nn.tanh %wbig : tensor<2048x1024xf32>
  %s = nn.softmax %x : tensor<4x40xf32>
  %ls = nn.log_softmax %x {axis = 0} : tensor<4x40xf32>
  %a = nn.add %x, %b : tensor<4x40xf32>, tensor<40xf32>
  %g = nn.gelu %x : tensor<4x40xf32>
  %gg = nn.gelu_grad %r, %x : tensor<4x40xf32>
  %t = nn.sum_to %x : tensor<4x40xf32> -> tensor<40xf32>
  %n = nn.grad_norm %x, %b : tensor<4x40xf32>, tensor<40xf32>
  nn.sgd_update %b, %t, %b grad_norm(%n) {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<40xf32>, tensor<40xf32>
  nn.multi_adam_update params(%b, %c) grads(%t, %c) exp_avgs(%b, %c) exp_avg_sqs(%b, %c) {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decays = array<f64: 0.0, 0.0>} : tensor<40xf32>, tensor<6xf32>
  %w = nn.param "w" init(zeros) : tensor<8x40xf32>
  %z = nn.linear %x, %w : tensor<4x40xf32>, tensor<8x40xf32>
  %sg = nn.softmax_grad %x, %s : tensor<4x40xf32>
  %lsg = nn.log_softmax_grad %x, %ls {axis = 0} : tensor<4x40xf32>
  %odd = nn.param "odd" init(zeros) : tensor<3x5xf32>
  %todd = nn.tanh %odd : tensor<3x5xf32>
  %col = nn.param "col" init(zeros) : tensor<4x1xf32>
  %xc = nn.mul %x, %col : tensor<4x40xf32>, tensor<4x1xf32>
}
