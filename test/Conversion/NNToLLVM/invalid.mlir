// RUN: nngc-opt --nngc-lower-to-llvm-pipeline %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'nn.model' op has no memory plan: run nngc-plan-memory first}}
nn.model @unplanned {
  %x = nn.input "x" : tensor<4xf32>
  nn.output "x" %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{expected exactly one nn.model, found 0}}
module {
}
