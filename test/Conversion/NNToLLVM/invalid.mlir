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

// -----

// An encode model (nngc-derive-step, for translators) comes only with the
// step model that reads it.
// expected-error @+1 {{expected at most one encode model, of @m, and only with its step model}}
module {
  nn.model @m attributes {nngc.arena_bytes = 64 : i64} {
    %x = nn.input "x" {nngc.offset = 0 : i64} : tensor<4xf32>
    nn.output "x" %x : tensor<4xf32>
  }
  nn.model @m_encode attributes {nngc.encode_of = @m, nngc.arena_bytes = 64 : i64} {
    %x = nn.input "x" {nngc.offset = 0 : i64} : tensor<4xf32>
    nn.output "encoded.0" %x : tensor<4xf32>
  }
}
