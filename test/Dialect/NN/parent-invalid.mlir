// Every nn op but nn.model must be directly in an nn.model. (Found by
// nngc-fuzz: a stray nn.param outside the model crashed the lowering.)
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

// expected-error @below {{'nn.param' op expects parent op 'nn.model'}}
%w = nn.param "w" init(zeros) : tensor<6x6xf32>
nn.model @m {
  %x = nn.input "x" : tensor<8x6xf32>
  nn.output "x" %x : tensor<8x6xf32>
}

// -----

// Nor inside another op's region.
"builtin.module"() ({
  // expected-error @below {{'nn.input' op expects parent op 'nn.model'}}
  %x = nn.input "x" : tensor<8x6xf32>
}) : () -> ()
