// nngc-convert-nn-to-llvm{target=cuda} of the recurrent layers: nngc_setup
// sets up each stack (nngc_cuda_rnn_init: mode, layers, directions, steps,
// batch, input and hidden size, flags, dropout) and registers its kernels
// (the cell, then the dropout after each layer but the last, consecutive
// ids); each forward and backward op calls the runtime with the first.
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %S/../NNToGPU/Inputs/recurrent.mlir | FileCheck %s
// RUN: nngc-opt --nngc-training-pipeline=opt-level=0 --nngc-gpu-kernel-pipeline --nngc-lower-to-llvm-pipeline=target=cuda %S/../NNToGPU/Inputs/recurrent.mlir | FileCheck %s --check-prefix=NOCPU

// CHECK-DAG: llvm.mlir.global private constant @{{.*}}("recurrent_{{[0-9]+}}_lstm_cell\00")
// CHECK-DAG: llvm.mlir.global private constant @{{.*}}("ptr=rnn_gx,ptr=rnn_gh,ptr=rnn_h_prev,ptr=rnn_h,ptr=rnn_c_prev,ptr=rnn_c,ptr=rnn_gates,ptr=rnn_y,ptr=rnn_mask\00")
// CHECK-DAG: llvm.mlir.global private constant @{{.*}}("ptr=rnn_layer_out,ptr=rnn_layer_in,rnn_dropout_k1=0,rnn_dropout_k2=0,rnn_dropout_threshold=0.25,rnn_dropout_scale=0.25\00")

// The training step: the three stacks forward (training = 1), then their
// backward ops, last first.
// CHECK-LABEL: llvm.func @nngc_train
// CHECK-COUNT-3: llvm.call @nngc_cuda_rnn(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i32, i32, i32, !llvm.ptr, !llvm.ptr)
// CHECK-COUNT-3: llvm.call @nngc_cuda_rnn_grad(%arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i32, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)

// The LSTM: mode 2, 2 layers, 2 directions, 3 steps, batch 2, 5 inputs,
// 4 units, batch-first | bias | backward | mask, dropout 0.25; its
// inference launches (training = 0) first: the cell, then the dropout.
// CHECK-LABEL: llvm.func @nngc_setup
// CHECK: llvm.mlir.constant(2 : i32)
// CHECK-NEXT: llvm.mlir.constant(2 : i64)
// CHECK-NEXT: llvm.mlir.constant(2 : i64)
// CHECK-NEXT: llvm.mlir.constant(3 : i64)
// CHECK-NEXT: llvm.mlir.constant(2 : i64)
// CHECK-NEXT: llvm.mlir.constant(5 : i64)
// CHECK-NEXT: llvm.mlir.constant(4 : i64)
// CHECK-NEXT: llvm.mlir.constant(27 : i32)
// CHECK-NEXT: llvm.mlir.constant(2.500000e-01 : f64)
// CHECK-NEXT: llvm.call @nngc_cuda_rnn_init(
// CHECK-NEXT: %[[ID:.*]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.mlir.addressof @__nngc_str_{{[0-9]+}}
// CHECK: llvm.call @nngc_cuda_launch_init(%arg0, %[[ID]],
// CHECK-NEXT: %[[NEXT:.*]] = llvm.mlir.constant(1 : i32)
// CHECK: llvm.call @nngc_cuda_launch_init(%arg0, %[[NEXT]],
// The GRU (mode 3) with an initial state, the RNN (ReLU, 1) without bias.
// CHECK: llvm.mlir.constant(3 : i32)
// CHECK: llvm.call @nngc_cuda_rnn_init(
// CHECK: llvm.mlir.constant(1 : i32)
// CHECK: llvm.call @nngc_cuda_rnn_init(

// NOCPU-NOT: nngc_rt_
