"""-O0 against -O2 on one model: the same loss, gradients and outputs of a
step, and the same losses over the optimizer steps that follow.

    opt-levels.test.py NNGC WORKDIR STEPS MODEL.mlir...

For each model: compile it at -O0 (no nn optimisation) and -O2 (fusion,
in-place memory plan), run `trainer grad-check --random-inputs --seed 0
--train-steps STEPS` on both (the same seeded inputs, initial parameters
and dropout masks), and compare the loss, every gradient and output, and
the loss after each step as max|a - b| / max|b| <= 1e-6. Prints the number
of tensors compared and the worst error.

The parameters after the steps are not compared: a parameter whose
gradient is zero in exact arithmetic (the key bias of attention, which the
softmax cancels) gets gradients of rounding noise, which Adam normalises
into full-size steps of either sign, at -O0 as at -O2 or in PyTorch.
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

RTOL = 1e-6


def rel_err(ours, ref):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    scale = np.max(np.abs(ref)) if ref.size else 0.0
    diff = np.max(np.abs(ours - ref)) if ref.size else 0.0
    return diff / scale if scale > 0 else diff


def run(nngc, work, path, level, steps):
    exe = os.path.join(work, f"trainer-O{level}")
    subprocess.run([nngc, "compile", path, f"-O{level}", "-o", exe], check=True)
    out = os.path.join(work, f"out-O{level}.safetensors")
    subprocess.run([exe, "grad-check", "--random-inputs", "--seed", "0",
                    "--out", out, "--train-steps", str(steps)],
                   check=True, capture_output=True)
    return safetensors_io.load(out)


def main():
    nngc, workdir, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    failures = 0
    for path in sys.argv[4:]:
        name = os.path.splitext(os.path.basename(path))[0]
        work = os.path.join(workdir, name)
        os.makedirs(work, exist_ok=True)
        o0 = run(nngc, work, path, 0, steps)
        o2 = run(nngc, work, path, 2, steps)
        if set(o0) != set(o2):
            print(f"FAIL {name}: -O0 and -O2 write different tensors")
            failures += 1
            continue
        errors = {k: rel_err(o2[k], o0[k]) for k in o0 if not k.startswith("param.")}
        worst = max(errors, key=errors.get)
        finite = all(np.isfinite(v).all() for v in o2.values())
        ok = errors[worst] <= RTOL and finite
        failures += not ok
        print(f"{'ok' if ok else 'FAIL'} {name}: {len(errors)} tensors, worst "
              f"relative error {errors[worst]:.1e} ({worst})"
              + ("" if finite else ", not finite"))
    print(f"opt-levels: {len(sys.argv) - 4 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
