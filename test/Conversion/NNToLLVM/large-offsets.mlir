// Arena offsets past 2^28 bytes are i64 GEP operands: the LLVM dialect's
// constant GEP indices wrap past 2^29 (a 512 MiB arena once wrote below
// its start, crashing examples/gpt_small.mlir).
// RUN: nngc-opt --nngc-training-pipeline --nngc-lower-to-llvm-pipeline %s | FileCheck %s

// CHECK-LABEL: llvm.func @nngc_predict
// The first input sits at offset 0, the second 320 MB further.
// CHECK: llvm.getelementptr %arg1[0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[OFF:.*]] = llvm.mlir.constant(320000000 : i64) : i64
// CHECK: llvm.getelementptr %arg1[%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NOT: getelementptr %arg1[-
nn.model @large {
  %x = nn.input "x" : tensor<80000000xf32>
  %y = nn.input "y" : tensor<80000000xf32>
  %s = nn.add %x, %y : tensor<80000000xf32>, tensor<80000000xf32>
  nn.output "s" %s : tensor<80000000xf32>
}
