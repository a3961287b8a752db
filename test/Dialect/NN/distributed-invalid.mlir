// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %g = nn.input "g" : tensor<4xf32>
  // expected-error @+1 {{results may be taken only by nn.all_reduce_wait, not by nn.relu}}
  %f = nn.all_reduce_start %g {bucket = 0 : i64} : tensor<4xf32>
  %r = nn.relu %f : tensor<4xf32>
}

// -----

nn.model @m {
  %g = nn.input "g" : tensor<4xf32>
  %f = nn.all_reduce_start %g {bucket = 0 : i64} : tensor<4xf32>
  // expected-error @+1 {{waits for bucket 1 but its start is bucket 0}}
  %a = nn.all_reduce_wait %f {bucket = 1 : i64} : tensor<4xf32>
}

// -----

nn.model @m {
  %g = nn.input "g" : tensor<4xf32>
  %h = nn.input "h" : tensor<3xf32>
  %f:2 = nn.all_reduce_start %g, %h {bucket = 0 : i64} : tensor<4xf32>, tensor<3xf32>
  // expected-error @+1 {{must take every result of one nn.all_reduce_start}}
  %a = nn.all_reduce_wait %f#0 {bucket = 0 : i64} : tensor<4xf32>
}

// -----

nn.model @m {
  %g = nn.input "g" : tensor<4xf32>
  %h = nn.input "h" : tensor<4xf32>
  %f:2 = nn.all_reduce_start %g, %h {bucket = 0 : i64} : tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{operand 0 must be result 0 of its nn.all_reduce_start}}
  %a:2 = nn.all_reduce_wait %f#1, %f#0 {bucket = 0 : i64} : tensor<4xf32>, tensor<4xf32>
}

// -----

nn.model @m {
  %g = nn.input "g" : tensor<4xf32>
  // expected-error @+1 {{bucket must not be negative}}
  %f = nn.all_reduce_start %g {bucket = -1 : i64} : tensor<4xf32>
  %a = nn.all_reduce_wait %f {bucket = -1 : i64} : tensor<4xf32>
}

// -----

nn.model @m {
  // expected-error @+1 {{needs at least one gradient}}
  "nn.all_reduce_start"() {bucket = 0 : i64} : () -> ()
}
