// nngc-remat: under a budget, recompute in the backward pass an activation
// the forward pass would otherwise keep. Here recomputing the GELU's output
// (the cheapest per byte) does not lower the peak, so it is undone; the
// first product is recomputed for gelu_grad instead, and the GELU writes
// over it in place: 196672 -> 163904 bytes.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-fuse --nngc-remat=max-bytes=170000 --nngc-plan-memory %s | FileCheck %s
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-fuse --nngc-plan-memory %s | FileCheck %s --check-prefix=FREE
// RUN: not nngc-opt --nngc-autodiff --nngc-optimizer --nngc-fuse --nngc-remat=max-bytes=150000 --nngc-plan-memory %s --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=SMALL
// RUN: not nngc compile %s --max-memory 100K -o %t 2>&1 | FileCheck %s --check-prefix=DRIVER
// RUN: not nngc compile %s --max-memory lots -o %t 2>&1 | FileCheck %s --check-prefix=SIZE

// CHECK-LABEL: nn.model @mlp
// CHECK-SAME: nngc.arena_bytes = 98368
// CHECK-SAME: nngc.rematerialised = 1
// CHECK: %[[H:.*]] = nn.linear %[[X:[0-9]+]], %[[W:[0-9]+]] {nngc.offset = [[OFF:[0-9]+]] : i64
// CHECK: nn.gelu %[[H]] {nngc.offset = [[OFF]] : i64
// CHECK: nn.loss
// CHECK: %[[H2:.*]] = nn.linear %[[X]], %[[W]]
// CHECK: nn.gelu_grad %{{.*}}, %[[H2]]
// FREE-LABEL: nn.model @mlp
// FREE-SAME: nngc.arena_bytes = 131136
// FREE-NOT: nngc.rematerialised
// FREE-COUNT-1: nn.linear %0, %2
// FREE-NOT: nn.linear %0, %2
// SMALL: error: does not fit in --max-memory 146.5 KiB (150000 bytes): the smallest plan found needs 160.1 KiB (163904 bytes; 192.1 KiB without recomputing), recomputing 1 activation: parameters 32.0 KiB, gradients 32.0 KiB, optimizer state 0.0 KiB, activations 96.1 KiB, workspace 0.0 KiB
// DRIVER: remat.mlir:[[@LINE+3]]:1: error: does not fit in --max-memory 100.0 KiB (102400 bytes)
// DRIVER-NOT: see current operation
// SIZE: nngc: --max-memory must be a size such as 800M or 1.5G, not 'lots'
nn.model @mlp {
  %x = nn.input "x" : tensor<64x32xf32>
  %t = nn.input "t" : tensor<64x32xf32>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<128x32xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<32x128xf32>
  %h = nn.linear %x, %w1 : tensor<64x32xf32>, tensor<128x32xf32>
  %a = nn.gelu %h : tensor<64x128xf32>
  %y = nn.linear %a, %w2 : tensor<64x128xf32>, tensor<32x128xf32>
  %l = nn.mse %y, %t : tensor<64x32xf32>, tensor<64x32xf32>
  nn.output "y" %y : tensor<64x32xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
