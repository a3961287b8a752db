// nngc-convert-nn-to-llvm: four entry points holding only what each needs,
// oneDNN primitives created once in nngc_setup, the JSON manifest (at
// -O0: unfused; test/Conversion/NNToLLVM/fused.mlir has the fused ops).
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline %s | FileCheck %s
// Each primitive is created once (in nngc_setup), though up to four entry
// points run it: 5 matmuls (2 forward, 3 backward), relu and relu_grad.
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline %s | grep "llvm.call @nngc_rt_matmul_init" | count 5
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-lower-to-llvm-pipeline %s | grep "llvm.call @nngc_rt_eltwise_init" | count 2

// CHECK-DAG: llvm.func @nngc_rt_matmul_init(!llvm.ptr, i32, i64, i64, i64, i64, i32)
// CHECK-DAG: llvm.func @nngc_rt_eltwise_init(!llvm.ptr, i32, i32, i32, i64, f64)

// predict: the forward pass to the outputs only, no loss, no labels.
// CHECK-LABEL: llvm.func @nngc_predict(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: !llvm.ptr)
// CHECK: %[[X:.*]] = llvm.getelementptr %arg1[0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[W1:.*]] = llvm.getelementptr %arg2[0]
// CHECK: llvm.call @nngc_rt_matmul(%arg0, %{{.*}}, %[[X]], %[[W1]], %{{.*}}, %{{.*}})
// CHECK: llvm.call @nngc_rt_eltwise(
// CHECK: llvm.call @nngc_rt_matmul(
// CHECK-NOT: cross_entropy
// CHECK: llvm.return

// eval: forward and the loss.
// CHECK-LABEL: llvm.func @nngc_eval
// CHECK: llvm.call @nngc_rt_cross_entropy(%arg0,
// CHECK-NOT: _grad
// CHECK: llvm.return

// grad: forward and backward, no update.
// CHECK-LABEL: llvm.func @nngc_grad
// CHECK: llvm.call @nngc_rt_cross_entropy_grad(
// CHECK: llvm.call @nngc_rt_eltwise_grad(
// CHECK-NOT: adam_update
// CHECK: llvm.return

// train: everything, updates last.
// CHECK-LABEL: llvm.func @nngc_train
// CHECK: llvm.call @nngc_rt_eltwise_grad(
// CHECK: llvm.call @nngc_rt_adam_update(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: llvm.call @nngc_rt_adam_update(
// CHECK: llvm.return

// CHECK-LABEL: llvm.func @nngc_setup(%arg0: !llvm.ptr)
// CHECK: llvm.call @nngc_rt_matmul_init(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i32, i64, i64, i64, i64, i32) -> ()
// CHECK: llvm.return

// The manifest's keys are sorted.
// CHECK: llvm.mlir.global external constant @nngc_manifest
// CHECK-SAME: \22arena_bytes\22:1408,\22batch\22:8,
// CHECK-SAME: \22entries\22:[\22predict\22,\22eval\22,\22grad\22,\22train\22]
// CHECK-SAME: \22classes\22:3,\22dtype\22:\22i64\22,\22name\22:\22y\22,\22offset\22:192,\22role\22:\22label\22
// CHECK-SAME: \22loss\22:{\22offset\22:896,\22space\22:\22arena\22}
// CHECK-SAME: \22model\22:\22mlp\22
// CHECK-SAME: \22kind\22:\22adam\22,\22lr\22:0.001
// CHECK-SAME: \22name\22:\22fc2.weight\22,\22offset\22:192,\22shape\22:[3,7]
// CHECK-SAME: \22name\22:\22optimizer.fc1.weight.exp_avg\22
// An MLP has no step entry point; the manifest says why.
// CHECK-SAME: \22step\22:null,\22step_note\22:\22no token-id input [B, T] read by an nn.embedding\22,\22target\22:\22cpu\22}
// CHECK-NOT: {{^ *(%.* = )?}}nn.
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
