// nngc-plan-memory: parameters, gradients and state get fixed slots; the
// rest shares the arena by liveness (the gradient norm included); reshapes
// alias; a gradient computed by one op is written into its slot.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer "--nngc-plan-memory=in-place=false strategy=first-fit" %s | FileCheck %s
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-plan-memory=reuse=false %s | FileCheck %s --check-prefix=NOREUSE
// In place (the default): relu_grad writes over its dead incoming gradient;
// greedy by size packs the arena tighter than first fit (1344 vs 1408 B).
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-plan-memory %s | FileCheck %s --check-prefix=INPLACE
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer "--nngc-plan-memory=in-place=false strategy=greedy-by-size" %s | FileCheck %s --check-prefix=GREEDY
// RUN: not nngc-opt --nngc-autodiff --nngc-optimizer --nngc-plan-memory=strategy=best-fit %s 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: nngc-plan-memory: strategy must be first-fit, greedy-by-size or best, not 'best-fit'

// INPLACE-LABEL: nn.model @mlp
// INPLACE-SAME: nngc.arena_bytes = 1344
// INPLACE-SAME: nngc.in_place
// INPLACE: nn.matmul %{{.*}}, %{{.*}} {nngc.offset = [[G:[0-9]+]] : i64, nngc.space = "arena"} : tensor<8x3xf32>, tensor<3x7xf32>
// INPLACE: nn.relu_grad {{.*}}{nngc.offset = [[G]] : i64, nngc.space = "arena"}
// GREEDY-LABEL: nn.model @mlp
// GREEDY-SAME: nngc.arena_bytes = 1344
// GREEDY-NOT: nngc.in_place

// CHECK-LABEL: nn.model @mlp
// CHECK-SAME: nngc.arena_bytes = 1408
// CHECK-SAME: nngc.param_bytes = 320
// CHECK-SAME: nngc.state_bytes = 640
// NOREUSE-LABEL: nn.model @mlp
// NOREUSE-SAME: nngc.arena_bytes = 1728
// CHECK: nn.input "x" {nngc.offset = 0 : i64, nngc.space = "arena"} : tensor<8x5xf32>
// CHECK: nn.input "y" {nngc.offset = 192 : i64, nngc.space = "arena"} : tensor<8xi64>
// CHECK: nn.param "fc1.weight" {{.*}}{nngc.offset = 0 : i64, nngc.space = "param"}
// CHECK: nn.param "fc2.weight" {{.*}}{nngc.offset = 192 : i64, nngc.space = "param"}
// The hidden activation is dead once its gradient is taken: relu_grad
// reuses its memory.
// CHECK: nn.relu %{{.*}} {nngc.offset = [[A:[0-9]+]] : i64, nngc.space = "arena"}
// CHECK: nn.matmul {{.*}}{nngc.offset = 192 : i64, nngc.space = "grad", transpose_lhs}
// CHECK: nn.relu_grad {{.*}}{nngc.offset = [[A]] : i64, nngc.space = "arena"}
// CHECK: nn.matmul {{.*}}{nngc.offset = 0 : i64, nngc.space = "grad", transpose_lhs}
// CHECK: nn.gradient "fc1.weight" {{.*}}{nngc.offset = 0 : i64, nngc.space = "grad"}
// CHECK: nn.state "optimizer.fc1.weight.exp_avg" {nngc.offset = 0 : i64, nngc.space = "state"}
nn.model @mlp {
  %x = nn.input "x" : tensor<8x5xf32>
  %y = nn.input "y" : tensor<8xi64>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<7x5xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<3x7xf32>
  %h = nn.linear %x, %w1 : tensor<8x5xf32>, tensor<7x5xf32>
  %a = nn.relu %h : tensor<8x7xf32>
  %z = nn.linear %a, %w2 : tensor<8x7xf32>, tensor<3x7xf32>
  %l = nn.cross_entropy %z, %y : tensor<8x3xf32>, tensor<8xi64>
  nn.output "logits" %z : tensor<8x3xf32>
  nn.minimize %l with #nn.adam<lr = 1.0e-3>
}
