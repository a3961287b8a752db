// nngc-distribute: buckets are runs of parameters in reverse declaration
// order; each all-reduce starts right after its bucket's last gradient is
// computed and is waited for right before the first op that reads one of
// its gradients (the gradient norm); every reader takes the averaged value.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer "--nngc-distribute=bucket-bytes=64" %s | FileCheck %s
// One bucket of everything when the buckets are large:
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-distribute %s | FileCheck %s --check-prefix=ONE
// The plan keeps each gradient in its slot and the all-reduces alias it:
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer "--nngc-distribute=bucket-bytes=64" --nngc-plan-memory %s | FileCheck %s --check-prefix=PLAN
// RUN: not nngc-opt "--nngc-distribute=bucket-bytes=0" %s 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: nngc-distribute: bucket-bytes must be positive

// CHECK-LABEL: nn.model @mlp
// CHECK-SAME: nngc.buckets = {{\[}}["fc2.weight"], ["fc1.bias"], ["fc1.weight"]]
// The last layer's weight gradient is the first one final: its bucket
// starts at once.
// CHECK: %[[DW2:.*]] = nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<4x3xf32>, tensor<4x6xf32>
// CHECK-NEXT: %[[F0:.*]] = nn.all_reduce_start %[[DW2]] {bucket = 0 : i64} : tensor<3x6xf32>
// CHECK: %[[DW1:.*]] = nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<4x6xf32>, tensor<4x3xf32>
// CHECK-NEXT: %[[F2:.*]] = nn.all_reduce_start %[[DW1]] {bucket = 2 : i64} : tensor<6x3xf32>
// CHECK-NEXT: %[[DB1:.*]] = nn.sum_to
// CHECK-NEXT: %[[F1:.*]] = nn.all_reduce_start %[[DB1]] {bucket = 1 : i64} : tensor<6xf32>
// CHECK: %[[G0:.*]] = nn.all_reduce_wait %[[F0]] {bucket = 0 : i64} : tensor<3x6xf32>
// CHECK-NEXT: %[[G1:.*]] = nn.all_reduce_wait %[[F1]] {bucket = 1 : i64} : tensor<6xf32>
// CHECK-NEXT: %[[G2:.*]] = nn.all_reduce_wait %[[F2]] {bucket = 2 : i64} : tensor<6x3xf32>
// CHECK-NEXT: nn.grad_norm %[[G2]], %[[G1]], %[[G0]]
// CHECK: nn.sgd_update %{{.*}}, %[[G2]]
// CHECK: nn.sgd_update %{{.*}}, %[[G1]]
// CHECK: nn.sgd_update %{{.*}}, %[[G0]]

// ONE-LABEL: nn.model @mlp
// ONE-SAME: nngc.buckets = {{\[}}["fc1.weight", "fc1.bias", "fc2.weight"]]
// ONE: nn.sum_to
// ONE-NEXT: %[[F:.*]]:3 = nn.all_reduce_start %{{.*}}, %{{.*}}, %{{.*}} {bucket = 0 : i64} : tensor<6x3xf32>, tensor<6xf32>, tensor<3x6xf32>
// ONE-NEXT: %[[G:.*]]:3 = nn.all_reduce_wait %[[F]]#0, %[[F]]#1, %[[F]]#2 {bucket = 0 : i64}
// ONE-NEXT: nn.grad_norm %[[G]]#0, %[[G]]#1, %[[G]]#2

// PLAN: nn.matmul {{.*}}{nngc.offset = 192 : i64, nngc.space = "grad", transpose_lhs} : tensor<4x3xf32>, tensor<4x6xf32>
// PLAN-NEXT: nn.all_reduce_start {{.*}}{bucket = 0 : i64, nngc.offset = 192 : i64, nngc.space = "grad"}
// PLAN: nn.all_reduce_wait {{.*}}{bucket = 0 : i64, nngc.offset = 192 : i64, nngc.space = "grad"}
// PLAN: nn.gradient "fc2.weight" {{.*}}{nngc.offset = 192 : i64, nngc.space = "grad"}
nn.model @mlp {
  %x = nn.input "x" : tensor<4x3xf32>
  %y = nn.input "y" : tensor<4xi64>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<6x3xf32>
  %b1 = nn.param "fc1.bias" init(zeros) : tensor<6xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<3x6xf32>
  %h = nn.linear %x, %w1, %b1 : tensor<4x3xf32>, tensor<6x3xf32>, tensor<6xf32>
  %a = nn.relu %h : tensor<4x6xf32>
  %z = nn.linear %a, %w2 : tensor<4x6xf32>, tensor<3x6xf32>
  %l = nn.cross_entropy %z, %y : tensor<4x3xf32>, tensor<4xi64>
  nn.output "logits" %z : tensor<4x3xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}

// A value that is the gradient of two parameters is copied into the
// second one's slot as soon as it exists, before either all-reduce starts.
// CHECK-LABEL: nn.model @shared
// CHECK-SAME: nngc.buckets = {{\[}}["q"], ["p"]]
// CHECK: %[[G:.*]] = nn.cross_entropy_grad
// CHECK-NEXT: %[[D:.*]] = nn.transpose %[[G]] {permutation = array<i64: 0, 1>} : tensor<4x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT: nn.all_reduce_start %[[G]] {bucket = 1 : i64}
// CHECK-NEXT: nn.all_reduce_start %[[D]] {bucket = 0 : i64}
nn.model @shared {
  %x = nn.input "x" : tensor<4x3xf32>
  %y = nn.input "y" : tensor<4xi64>
  %p = nn.param "p" init(zeros) : tensor<4x3xf32>
  %q = nn.param "q" init(zeros) : tensor<4x3xf32>
  %s = nn.add %x, %p : tensor<4x3xf32>, tensor<4x3xf32>
  %t = nn.add %s, %q : tensor<4x3xf32>, tensor<4x3xf32>
  %l = nn.cross_entropy %t, %y : tensor<4x3xf32>, tensor<4xi64>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
