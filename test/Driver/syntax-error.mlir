// RUN: not nngc compile %s -o %t 2>&1 | FileCheck %s
nn.model @bad {
  %x = nn.input "x" : tensor<32x64xf32>
  // CHECK: syntax-error.mlir:[[@LINE+1]]:8: error: custom op 'nn.relux' is unknown
  %h = nn.relux %x : tensor<32x64xf32>
}
