// Every verifier message of the tensor ops, each in its own chunk.
// RUN: nngc-opt %s -split-input-file -verify-diagnostics

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.reduce' op axis 3 is out of range for rank 3}}
  %r = nn.reduce sum %x {axis = 3} : tensor<2x5x4xf32> -> tensor<2x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.reduce' op result must be [2, 4] (or [2, 1, 4] keeping the axis), got [2, 5]}}
  %r = nn.reduce sum %x {axis = 1} : tensor<2x5x4xf32> -> tensor<2x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  %m = nn.input "m" : tensor<2x5xf32>
  // expected-error @+1 {{'nn.reduce' op mask [2, 5] must have the input's leading dimensions, through axis 1, then 1s (the input is [2, 5, 4])}}
  %r = nn.reduce mean %x mask(%m : tensor<2x5xf32>) {axis = 1} : tensor<2x5x4xf32> -> tensor<2x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  %m = nn.input "m" : tensor<2x1x1xf32>
  // expected-error @+1 {{'nn.reduce' op mask [2, 1, 1] must have the input's leading dimensions, through axis 1, then 1s}}
  %r = nn.reduce mean %x mask(%m : tensor<2x1x1xf32>) {axis = 1} : tensor<2x5x4xf32> -> tensor<2x4xf32>
}

// -----

nn.model @m {
  %x = nn.fill 1.0 : tensor<f32>
  // expected-error @+1 {{'nn.reduce' op needs an input of rank >= 1}}
  %r = nn.reduce sum %x {axis = 0} : tensor<f32> -> tensor<f32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.slice' op range [4, 4 + 2) does not fit in a dimension of size 5}}
  %r = nn.slice %x {axis = 1, start = 4} : tensor<2x5x4xf32> -> tensor<2x2x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.slice' op range [-6, -6 + 1) does not fit in a dimension of size 5}}
  %r = nn.slice %x {axis = 1, start = -6} : tensor<2x5x4xf32> -> tensor<2x1x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.slice' op result [2, 2, 3] must match the input [2, 5, 4] everywhere but axis 1}}
  %r = nn.slice %x {axis = 1, start = 0} : tensor<2x5x4xf32> -> tensor<2x2x3xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.select' op result must be [2, 4], got [2, 1, 4]}}
  %r = nn.select %x {axis = 1, index = 0} : tensor<2x5x4xf32> -> tensor<2x1x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.select' op range [5, 5 + 1) does not fit in a dimension of size 5}}
  %r = nn.select %x {axis = 1, index = 5} : tensor<2x5x4xf32> -> tensor<2x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5x4xf32>
  // expected-error @+1 {{'nn.select' op axis -4 is out of range for rank 3}}
  %r = nn.select %x {axis = -4, index = 0} : tensor<2x5x4xf32> -> tensor<5x4xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5xf32>
  %y = nn.input "y" : tensor<2x3xf32>
  // expected-error @+1 {{'nn.concat' op result has 9 along axis 1 but the inputs add up to 8}}
  %r = nn.concat %x, %y {axis = 1} : tensor<2x5xf32>, tensor<2x3xf32> -> tensor<2x9xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x5xf32>
  %y = nn.input "y" : tensor<2x3xf32>
  // expected-error @+1 {{'nn.concat' op input 1 [2, 3] must match the result [4, 5] everywhere but axis 0}}
  %r = nn.concat %x, %y {axis = 0} : tensor<2x5xf32>, tensor<2x3xf32> -> tensor<4x5xf32>
}

// -----

nn.model @m {
  %x = nn.input "x" : tensor<2x2xf32>
  // expected-error @+1 {{'nn.slice_grad' op range [4, 4 + 2) does not fit in a dimension of size 5}}
  %r = nn.slice_grad %x {axis = 1, start = 4} : tensor<2x2xf32> -> tensor<2x5xf32>
}
