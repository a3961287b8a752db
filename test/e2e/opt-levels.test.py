"""-O0 against -O2 on one model: the same loss, gradients and outputs of a
step, and the same losses over the optimizer steps that follow.

    opt-levels.test.py NNGC WORKDIR STEPS [--a FLAGS] [--b FLAGS] MODEL.mlir...

(--a and --b replace the two compile flag sets, "-O0" and "-O2", e.g. to
compare a build under --max-memory with one without.)

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
import argparse
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


def run(nngc, work, path, tag, flags, steps):
    exe = os.path.join(work, f"trainer-{tag}")
    subprocess.run([nngc, "compile", path, "-o", exe] + flags.split(), check=True)
    out = os.path.join(work, f"out-{tag}.safetensors")
    subprocess.run([exe, "grad-check", "--random-inputs", "--seed", "0",
                    "--out", out, "--train-steps", str(steps)],
                   check=True, capture_output=True)
    return safetensors_io.load(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("nngc")
    p.add_argument("workdir")
    p.add_argument("steps", type=int)
    p.add_argument("models", nargs="+")
    p.add_argument("--a", default="-O0")
    p.add_argument("--b", default="-O2")
    p.add_argument("--rtol", type=float, default=RTOL)
    args = p.parse_args()
    nngc, workdir, steps = args.nngc, args.workdir, args.steps
    failures = 0
    for path in args.models:
        name = os.path.splitext(os.path.basename(path))[0]
        work = os.path.join(workdir, name)
        os.makedirs(work, exist_ok=True)
        o0 = run(nngc, work, path, "a", args.a, steps)
        o2 = run(nngc, work, path, "b", args.b, steps)
        if set(o0) != set(o2):
            print(f"FAIL {name}: {args.a} and {args.b} write different tensors")
            failures += 1
            continue
        errors = {k: rel_err(o2[k], o0[k]) for k in o0 if not k.startswith("param.")}
        worst = max(errors, key=errors.get)
        finite = all(np.isfinite(v).all() for v in o2.values())
        ok = errors[worst] <= args.rtol and finite
        failures += not ok
        print(f"{'ok' if ok else 'FAIL'} {name}: {len(errors)} tensors, worst "
              f"relative error {errors[worst]:.1e} ({worst})"
              + ("" if finite else ", not finite"))
    print(f"opt-levels: {len(args.models) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
