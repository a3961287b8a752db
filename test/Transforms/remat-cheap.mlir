// nngc-remat=cheap (nngc compile -O2): without a budget, recompute the
// activations that cost at most a FLOP per byte freed where that lowers
// the plan. The layer norm's output (which gelu_grad reads) is recomputed
// from its input, which layer_norm_grad keeps alive anyway, in a state of
// its own (nngc.recomputed: its slot comes after the stateful ops');
// layer_norm_grad still names the original op, and neither its `output`
// nor dropout_grad's `saved` keeps a buffer alive: the GELU and the dropout
// write over the layer norm's output in place, and the recomputation takes
// the same buffer once the dropout's result has had its last read (the
// fc2 weight gradient): 163904 -> 131136 bytes.
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-fuse --nngc-remat=cheap=true --nngc-plan-memory %s | FileCheck %s
// RUN: nngc-opt --nngc-autodiff --nngc-optimizer --nngc-fuse --nngc-plan-memory %s | FileCheck %s --check-prefix=NONE
// RUN: nngc compile %s -O2 --emit=nn -o - | FileCheck %s --check-prefix=O2
// RUN: nngc compile %s -O1 --emit=nn -o - | FileCheck %s --check-prefix=NONE

// CHECK-LABEL: nn.model @ln
// CHECK-SAME: nngc.arena_bytes = 131136
// CHECK-SAME: nngc.rematerialised = 1
// CHECK: %[[H:.*]] = nn.linear
// CHECK: %[[N:.*]] = nn.layer_norm %[[H]] weight(%[[G:[0-9]+]] : tensor<128xf32>) {nngc.offset = [[OFF:[0-9]+]] : i64
// CHECK: %[[A:.*]] = nn.gelu %[[N]] {nngc.offset = [[OFF]] : i64
// CHECK: %[[D:.*]] = nn.dropout %[[A]] {nngc.offset = [[OFF]] : i64
// CHECK: nn.loss
// CHECK: nn.matmul %{{.*}}, %[[D]] {{.*}}transpose_lhs
// CHECK: %[[DG:.*]] = nn.dropout_grad %{{.*}}, %[[D]]
// CHECK: %[[N2:.*]] = nn.layer_norm %[[H]] weight(%[[G]] : tensor<128xf32>) {nngc.offset = [[OFF]] : i64, nngc.recomputed
// CHECK: nn.gelu_grad %[[DG]], %[[N2]]
// CHECK: nn.layer_norm_grad %{{.*}}, %[[H]] weight(%[[G]] : tensor<128xf32>) output(%[[N]])

// NONE-LABEL: nn.model @ln
// NONE-SAME: nngc.arena_bytes = 163904
// NONE-NOT: nngc.rematerialised
// NONE-COUNT-1: nn.layer_norm %
// NONE-NOT: nn.layer_norm %

// O2: nngc.rematerialised = 1
// O2: nn.layer_norm {{.*}}nngc.recomputed

// (That the dropout masks stay those of -O0, whose slots the recomputation
// must not move, is test/e2e/opt-levels.test's: bit-identical steps.)
nn.model @ln {
  %x = nn.input "x" : tensor<64x32xf32>
  %t = nn.input "t" : tensor<64x32xf32>
  %w1 = nn.param "fc1.weight" init(zeros) : tensor<128x32xf32>
  %g = nn.param "ln.weight" init(ones) : tensor<128xf32>
  %w2 = nn.param "fc2.weight" init(zeros) : tensor<32x128xf32>
  %h = nn.linear %x, %w1 : tensor<64x32xf32>, tensor<128x32xf32>
  %n = nn.layer_norm %h weight(%g : tensor<128xf32>) : tensor<64x128xf32>
  %a = nn.gelu %n : tensor<64x128xf32>
  %d = nn.dropout %a {p = 0.25} : tensor<64x128xf32>
  %y = nn.linear %d, %w2 : tensor<64x128xf32>, tensor<32x128xf32>
  %l = nn.mse %y, %t : tensor<64x32xf32>, tensor<64x32xf32>
  nn.output "y" %y : tensor<64x32xf32>
  nn.minimize %l with #nn.sgd<lr = 0.1>
}
