// The tensor ops (reduce, slice, select, concat, cross_entropy's
// ignore_index) parse, verify and print back to a form that parses again;
// autodiff gives each its backward op.
// RUN: nngc-opt %s | nngc-opt | FileCheck %s
// RUN: nngc-opt %s --mlir-print-op-generic | nngc-opt | FileCheck %s
// RUN: nngc-opt %s --nngc-autodiff | FileCheck %s --check-prefix=VJP

// CHECK-LABEL: nn.model @tensor
nn.model @tensor {
  %x = nn.input "x" : tensor<2x5x4xf32>
  %m = nn.input "mask" : tensor<2x5x1xf32>
  %y = nn.input "y" : tensor<2xi64>
  %w = nn.param "w" init(normal) : tensor<2x5x4xf32>
  %h = nn.mul %x, %w : tensor<2x5x4xf32>, tensor<2x5x4xf32>
  // CHECK: nn.reduce mean %{{.*}} mask(%{{.*}} : tensor<2x5x1xf32>) {axis = 1 : i64} : tensor<2x5x4xf32> -> tensor<2x4xf32>
  %mean = nn.reduce mean %h mask(%m : tensor<2x5x1xf32>) {axis = 1} : tensor<2x5x4xf32> -> tensor<2x4xf32>
  // CHECK: nn.reduce max %{{.*}} {axis = -2 : i64} : tensor<2x5x4xf32> -> tensor<2x1x4xf32>
  %max = nn.reduce max %h {axis = -2} : tensor<2x5x4xf32> -> tensor<2x1x4xf32>
  // CHECK: nn.select %{{.*}} {axis = 1 : i64, index = -1 : i64} : tensor<2x5x4xf32> -> tensor<2x4xf32>
  %last = nn.select %h {axis = 1, index = -1} : tensor<2x5x4xf32> -> tensor<2x4xf32>
  // CHECK: nn.slice %{{.*}} {axis = -1 : i64, start = 0 : i64} : tensor<2x1x4xf32> -> tensor<2x1x2xf32>
  %s = nn.slice %max {axis = -1, start = 0} : tensor<2x1x4xf32> -> tensor<2x1x2xf32>
  %s2 = nn.reshape %s : tensor<2x1x2xf32> -> tensor<2x2xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2xf32> -> tensor<2x10xf32>
  %c = nn.concat %mean, %last, %s2 {axis = 1} : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2xf32> -> tensor<2x10xf32>
  // CHECK: nn.cross_entropy %{{.*}}, %{{.*}} {ignore_index = 3 : i64} : tensor<2x10xf32>, tensor<2xi64>
  %loss = nn.cross_entropy %c, %y {ignore_index = 3} : tensor<2x10xf32>, tensor<2xi64>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}

// The concat's cotangent is sliced back into its inputs, the select's and
// slice's are placed into zeros, each reduction gets a reduce_grad with its
// mask and normalised axis.
// VJP: nn.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} {ignore_index = 3 : i64}
// VJP-DAG: nn.slice %{{.*}} {axis = 1 : i64, start = 0 : i64} : tensor<2x10xf32> -> tensor<2x4xf32>
// VJP-DAG: nn.slice %{{.*}} {axis = 1 : i64, start = 4 : i64} : tensor<2x10xf32> -> tensor<2x4xf32>
// VJP-DAG: nn.slice %{{.*}} {axis = 1 : i64, start = 8 : i64} : tensor<2x10xf32> -> tensor<2x2xf32>
// VJP-DAG: nn.slice_grad %{{.*}} {axis = 2 : i64, start = 0 : i64} : tensor<2x1x2xf32> -> tensor<2x1x4xf32>
// VJP-DAG: nn.reduce_grad max %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<2x1x4xf32>, tensor<2x5x4xf32>, tensor<2x1x4xf32>
// VJP-DAG: nn.slice_grad %{{.*}} {axis = 1 : i64, start = 4 : i64} : tensor<2x1x4xf32> -> tensor<2x5x4xf32>
// VJP-DAG: nn.reduce_grad mean %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<2x5x1xf32>) {axis = 1 : i64}
