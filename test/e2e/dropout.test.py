"""Closed-form checks of nn.dropout through `trainer grad-check`/`predict`."""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, work = sys.argv[1], sys.argv[2]
P, N, C = 0.3, 64, 100
model = f"""nn.model @drop {{
  %x = nn.input "x" : tensor<{N}x{C}xf32>
  %t = nn.input "t" : tensor<{N}x{C}xf32>
  %w = nn.param "w" init(ones) : tensor<{C}xf32>
  %d = nn.dropout %x {{p = {P}}} : tensor<{N}x{C}xf32>
  %y = nn.mul %d, %w : tensor<{N}x{C}xf32>, tensor<{C}xf32>
  %loss = nn.mse %y, %t : tensor<{N}x{C}xf32>, tensor<{N}x{C}xf32>
  nn.output "y" %y : tensor<{N}x{C}xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
}}
"""
mlir, exe = os.path.join(work, "drop.mlir"), os.path.join(work, "drop")
with open(mlir, "w") as f:
    f.write(model)
subprocess.run([nngc, "compile", mlir, "-o", exe], check=True)
rng = np.random.default_rng(0)
x = rng.uniform(1, 2, size=(N, C)).astype(np.float32)  # never 0
t = rng.normal(size=(N, C)).astype(np.float32)
inputs = os.path.join(work, "in.safetensors")
safetensors_io.save(inputs, {"x": x, "t": t})


def run(seed):
    out = os.path.join(work, f"out{seed}.safetensors")
    subprocess.run([exe, "grad-check", "--inputs", inputs, "--out", out,
                    "--seed", str(seed)], check=True, capture_output=True)
    return safetensors_io.load(out)


r = run(0)
y = r["output.y"]  # w = 1: y is the dropped-out x
kept = y != 0
print(f"zero fraction {1 - kept.mean():.4f} (p = {P})")
assert abs((1 - kept.mean()) - P) < 0.02
assert np.allclose(y[kept], x[kept] / (1 - P), rtol=1e-6)
print("kept elements scaled by 1/(1-p): ok")
# d loss / d w_c = sum_n 2 (y - t) * d / (N C), with d the dropped-out x.
grad = (2 * (y - t) * y).sum(axis=0) / (N * C)
assert np.allclose(r["grad.w"], grad, rtol=1e-4, atol=1e-7), \
    np.abs(r["grad.w"] - grad).max()
print("gradient through the mask: ok")
assert np.array_equal(run(0)["output.y"], y)
print("same seed, same mask: ok")
assert (run(1)["output.y"] != 0).mean() != kept.mean() or \
    not np.array_equal(run(1)["output.y"] != 0, kept)
print("other seed, other mask: ok")
