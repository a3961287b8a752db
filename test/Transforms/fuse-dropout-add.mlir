// nngc-fuse{dropout-add} (the CUDA target's): x + dropout(h), where only
// the add reads the dropout, becomes one nn.dropout_add that the dropout's
// backward names; each refusal leaves the graph as it is. Without the
// option (the CPU target) nothing changes.
// RUN: nngc-opt "--nngc-fuse=dropout-add=true epilogues=false" %s | FileCheck %s
// RUN: nngc-opt "--nngc-fuse=epilogues=false" %s | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: nn.model @residual
// CHECK: %[[H:.*]] = nn.tanh
// CHECK-NOT: nn.dropout %
// CHECK: %[[Y:.*]] = nn.dropout_add %[[H]], %{{.*}} {p = 2.000000e-01 : f64} : tensor<4x8xf32>
// CHECK-NOT: nn.add
// CHECK: nn.dropout_grad %{{.*}}, %[[Y]] {p = 2.000000e-01 : f64}
// OFF-LABEL: nn.model @residual
// OFF: nn.dropout %
// OFF: nn.add
nn.model @residual {
  %x = nn.input "x" : tensor<4x8xf32>
  %g = nn.input "g" : tensor<4x8xf32>
  %h = nn.tanh %x : tensor<4x8xf32>
  %d = nn.dropout %h {p = 0.2} : tensor<4x8xf32>
  %y = nn.add %x, %d : tensor<4x8xf32>, tensor<4x8xf32>
  %dg = nn.dropout_grad %g, %d {p = 0.2} : tensor<4x8xf32>
  nn.output "y" %y : tensor<4x8xf32>
  nn.output "dg" %dg : tensor<4x8xf32>
}

// The dropout's result read elsewhere too: refused.
// CHECK-LABEL: nn.model @read_twice
// CHECK: nn.dropout %
// CHECK: nn.add
// CHECK-NOT: nn.dropout_add
nn.model @read_twice {
  %x = nn.input "x" : tensor<4x8xf32>
  %d = nn.dropout %x {p = 0.5} : tensor<4x8xf32>
  %y = nn.add %x, %d : tensor<4x8xf32>, tensor<4x8xf32>
  nn.output "y" %y : tensor<4x8xf32>
  nn.output "d" %d : tensor<4x8xf32>
}

// Another op that keeps state between the two (its mask key would come
// before the dropout's): refused.
// CHECK-LABEL: nn.model @state_between
// CHECK: nn.dropout %{{.*}} {p = 5.000000e-01 : f64}
// CHECK: nn.dropout %{{.*}} {p = 1.000000e-01 : f64}
// CHECK: nn.add
// CHECK-NOT: nn.dropout_add
nn.model @state_between {
  %x = nn.input "x" : tensor<4x8xf32>
  %d = nn.dropout %x {p = 0.5} : tensor<4x8xf32>
  %e = nn.dropout %x {p = 0.1} : tensor<4x8xf32>
  %y = nn.add %x, %d : tensor<4x8xf32>, tensor<4x8xf32>
  nn.output "y" %y : tensor<4x8xf32>
  nn.output "e" %e : tensor<4x8xf32>
}

// A broadcasting add: refused.
// CHECK-LABEL: nn.model @broadcast
// CHECK-NOT: nn.dropout_add
nn.model @broadcast {
  %x = nn.input "x" : tensor<4x8xf32>
  %b = nn.param "b" init(zeros) : tensor<8xf32>
  %d = nn.dropout %b {p = 0.5} : tensor<8xf32>
  %y = nn.add %x, %d : tensor<4x8xf32>, tensor<8xf32>
  nn.output "y" %y : tensor<4x8xf32>
}
