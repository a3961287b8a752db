// nngc-convert-nn-to-llvm{target=cuda} of nn.attention: nngc_setup sets
// up its products (nngc_cuda_attention_init: batch, heads, Tq, Tk, width,
// scale, dropout, flags = causal | backward) and registers its softmax
// kernels; the step calls the runtime, which runs the products and
// launches the kernels between them. The backward reads the kept
// probabilities (no launch to recompute them: -1).
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %S/../NNToGPU/Inputs/attention.mlir | FileCheck %s
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %S/../NNToGPU/Inputs/attention.mlir | FileCheck %s --check-prefix=NOCPU

// CHECK-DAG: llvm.mlir.global private constant @[[SPEC:__nngc_str_[0-9]+]]("ptr=attention_scores,ptr=attention_probs,ptr=attention_dropped,dropout_k1,dropout_k2,dropout_threshold=0.10000000000000001,dropout_scale=0.10000000000000001,dropout_offset=64\00")
// CHECK-DAG: llvm.mlir.global private constant @[[GRADSPEC:__nngc_str_[0-9]+]]("ptr=attention_dprobs,ptr=attention_probs,ptr=attention_dropped,dropout_k1,{{.*}}")

// CHECK-LABEL: llvm.func @nngc_train
// CHECK: %[[SLOT:.*]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[TRAINING:.*]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: %[[SOFTMAX:.*]] = llvm.mlir.constant([[ID:[0-9]+]] : i32)
// CHECK-NEXT: llvm.call @nngc_cuda_attention(%arg0, %[[SLOT]], %[[TRAINING]], %[[SOFTMAX]],
// CHECK: %[[FWD:.*]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[NONE:.*]] = llvm.mlir.constant(-1 : i32)
// CHECK-NEXT: %[[GRAD:.*]] = llvm.mlir.constant([[GRADID:[0-9]+]] : i32)
// CHECK-NEXT: %[[NOMASK:.*]] = llvm.mlir.zero
// CHECK-NEXT: llvm.call @nngc_cuda_attention_grad(%arg0, %[[FWD]], %[[NONE]], %[[GRAD]], {{.*}}, %[[NOMASK]],

// CHECK-LABEL: llvm.func @nngc_setup
// CHECK: llvm.mlir.constant(2 : i64)
// CHECK-NEXT: llvm.mlir.constant(2 : i64)
// CHECK-NEXT: llvm.mlir.constant(4 : i64)
// CHECK-NEXT: llvm.mlir.constant(4 : i64)
// CHECK-NEXT: llvm.mlir.constant(8 : i64)
// CHECK-NEXT: llvm.mlir.constant(5.000000e-01 : f64)
// CHECK-NEXT: llvm.mlir.constant(1.000000e-01 : f64)
// CHECK-NEXT: llvm.mlir.constant(3 : i32)
// CHECK-NEXT: llvm.call @nngc_cuda_attention_init(
// The training launch of the forward's softmax (2 blocks of 8 warps: 16
// rows), for the forward's slot.
// CHECK: %[[TID:.*]] = llvm.mlir.constant([[ID]] : i32)
// CHECK-NEXT: llvm.mlir.addressof @{{.*}}
// CHECK-NEXT: llvm.mlir.constant(2 : i64)
// CHECK-NEXT: llvm.mlir.constant(256 : i64)
// CHECK-NEXT: llvm.mlir.addressof @[[SPEC]]
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.mlir.constant(1 : i32)
// CHECK-NEXT: llvm.call @nngc_cuda_launch_init(%arg0, %[[TID]],

// NOCPU-NOT: nngc_rt_
