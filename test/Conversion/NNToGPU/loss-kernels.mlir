// The loss kernels: the valid rows come as the last argument (i64); the
// forward losses sum over one block of 1024 threads (shared arrays of 32,
// a barrier), cross-entropy's backward counts the positions in every
// block, then writes a warp per position.
// RUN: nngc-opt --nngc-convert-nn-to-gpu-kernels %s | FileCheck %s

// CHECK: nn.cross_entropy {{.*}}nngc.gpu_kernels = [@l_3_cross_entropy], nngc.gpu_launch = [array<i64: 1, 1024>]
// 6 x 4 positions, 8 warps a block: 3 blocks.
// CHECK: nn.cross_entropy_grad {{.*}}nngc.gpu_kernels = [@l_4_cross_entropy_grad], nngc.gpu_launch = [array<i64: 3, 256>]
// CHECK: nn.mse {{.*}}nngc.gpu_launch = [array<i64: 1, 1024>]
// CHECK: nn.mse_grad {{.*}}nngc.gpu_launch = [array<i64: 1, 256>]

// CHECK-LABEL: gpu.func @l_3_cross_entropy(%arg0: memref<240xf32>, %arg1: memref<24xi64>, %arg2: memref<1xf32>, %arg3: i64) workgroup(%arg4 : memref<32xf32, #gpu.address_space<workgroup>>, %arg5 : memref<32xf32, #gpu.address_space<workgroup>>) kernel
// CHECK: arith.index_cast %arg3
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32)
// The ignored index (-100) is not counted.
// CHECK: arith.cmpi ne, %{{.*}}, %c-100_i64
// CHECK: scf.if {{.*}} -> (f32, f32)
// CHECK: gpu.shuffle  xor
// CHECK: llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK: arith.divf
// CHECK-LABEL: gpu.func @l_4_cross_entropy_grad(%arg0: memref<1xf32>, %arg1: memref<240xf32>, %arg2: memref<24xi64>, %arg3: memref<240xf32>, %arg4: i64) workgroup(%arg5 : memref<32xf32, #gpu.address_space<workgroup>>) kernel
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: scf.if
// CHECK: } else {
// CHECK-LABEL: gpu.func @l_5_mse(
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: gpu.barrier
// CHECK-LABEL: gpu.func @l_6_mse_grad(
// CHECK: arith.cmpi ult
// CHECK: arith.select
nn.model @l {
  %x = nn.input "x" : tensor<6x4x10xf32>
  %y = nn.input "y" : tensor<6x4xi64>
  %t = nn.input "t" : tensor<6x4x10xf32>
  %ce = nn.cross_entropy %x, %y {ignore_index = -100} : tensor<6x4x10xf32>, tensor<6x4xi64>
  %dce = nn.cross_entropy_grad %ce, %x, %y {ignore_index = -100} : tensor<6x4x10xf32>, tensor<6x4xi64>
  %m = nn.mse %x, %t : tensor<6x4x10xf32>, tensor<6x4x10xf32>
  %dm = nn.mse_grad %m, %x, %t : tensor<6x4x10xf32>, tensor<6x4x10xf32>
}
