// A model with a shape error: a file:line:col diagnostic and exit status 1,
// and no output file.
// RUN: rm -f %t
// RUN: not nngc compile %s -o %t 2>&1 | FileCheck %s
// RUN: %py3 -c "import subprocess, sys; r = subprocess.run(['nngc', 'compile', sys.argv[1], '-o', sys.argv[2]], capture_output=True); sys.exit(r.returncode != 1)" %s %t
// RUN: not test -e %t

nn.model @bad {
  %x = nn.input "x" : tensor<32x64xf32>
  %w = nn.param "fc.weight" init(zeros) : tensor<10x65xf32>
  // CHECK: errors.mlir:[[@LINE+1]]:8: error: 'nn.linear' input features (64) do not match weight [out, in] = [10, 65]
  %h = nn.linear %x, %w : tensor<32x64xf32>, tensor<10x65xf32>
}
