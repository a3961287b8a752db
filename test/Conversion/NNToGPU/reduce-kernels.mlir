// nn.reduce and its backward on the GPU: a thread per (outer, inner)
// column looping over the axis, with the optional mask (one value per
// maskDiv elements) read as the CPU reads it.
// RUN: nngc-opt --nngc-convert-nn-to-gpu-kernels %s | FileCheck %s

// CHECK: nn.reduce mean {{.*}}nngc.gpu_kernels = [@r_2_reduce]
// Mean over the axis of 8 kept rows: sum, max and count carried.
// CHECK-LABEL: gpu.func @r_2_reduce(%arg0: memref<96xf32>, %arg1: memref<16xf32>, %arg2: memref<12xf32>) kernel
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c8 step %c1{{.*}} iter_args({{.*}}) -> (f32, f32, f32)
// The mask value of element (o, k, i): one per 6 elements.
// CHECK: arith.divui %{{.*}}, %c6
// CHECK: arith.cmpf une
// CHECK: arith.divf
// CHECK-LABEL: gpu.func @r_3_reduce(%arg0: memref<96xf32>, %arg1: memref<12xf32>) kernel
// CHECK: arith.maximumf
// The max's gradient goes to the first maximum.
// CHECK-LABEL: gpu.func @r_4_reduce_grad(%arg0: memref<12xf32>, %arg1: memref<96xf32>, %arg2: memref<12xf32>, %arg3: memref<96xf32>) kernel
// CHECK: scf.for {{.*}} -> (f32, index)
// CHECK: arith.cmpf oeq
// CHECK: scf.for
// CHECK: arith.cmpi eq
// CHECK: memref.store
nn.model @r {
  %x = nn.input "x" : tensor<2x8x6xf32>
  %m = nn.input "m" : tensor<2x8x1xf32>
  %s = nn.reduce mean %x mask(%m : tensor<2x8x1xf32>) {axis = 1} : tensor<2x8x6xf32> -> tensor<2x6xf32>
  %b = nn.reduce max %x {axis = -2} : tensor<2x8x6xf32> -> tensor<2x1x6xf32>
  %g = nn.reduce_grad max %b, %x, %b {axis = -2} : tensor<2x1x6xf32>, tensor<2x8x6xf32>, tensor<2x1x6xf32>
}
