#!/usr/bin/env python3
"""Compares a CUDA trainer's grad-check output with the CPU trainer's.

Both files are `trainer grad-check --random-inputs --seed S --dropout 0
--train-steps N --out FILE` safetensors: the loss, every gradient, and the
parameters and losses after N optimizer steps on the same batch. The loss,
the gradients and the outputs must agree to `--tol` relative error
(max |cuda - cpu| / max |cpu|, per tensor); the parameters after the
steps only to `--param-tol` (5 %, which a wrong update exceeds by far):
Adam's first steps move a parameter by about lr times the sign of its
gradient, so where a gradient is zero up to rounding (attention's key
bias, whose gradient is 0 in exact arithmetic) the two sides move it by
up to 2 lr in different directions, a large error relative to a
parameter that started at 0. The losses after the steps are held to
`--tol`. Reads safetensors by hand (a JSON header, then raw bytes), so
it needs nothing but Python and the standard library (numpy, where
present, only makes it faster). A NaN or infinity in the CUDA trainer's
tensor is an infinite error. With `--expect-above E`, the worst
gradient's error must also exceed E: a reduced-precision trainer
(--precision=bf16) must differ from the CPU's by at least that much
somewhere, or the reduced precision was not in effect. Prints one line
per file pair and exits 1 on any mismatch.
"""
import argparse
import json
import struct
import sys
from array import array

try:  # much faster on gpt_small's 30 M floats; optional
    import numpy as np
except ImportError:
    np = None


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        code = {"F32": "f", "F64": "d", "I64": "q", "I32": "i"}[info["dtype"]]
        tensors[name] = array(code, data[lo:hi])
    return tensors


def relative_error(r, g):
    """max |g - r| / max |r| (1 where r is all 0); inf if g has a NaN or
    an infinity (max() alone would skip a NaN after the first element)."""
    if np is not None:
        dtype = {"f": np.float32, "d": np.float64, "q": np.int64,
                 "i": np.int32}[r.typecode]
        r = np.frombuffer(r, dtype=dtype).astype(np.float64)
        g = np.frombuffer(g, dtype=dtype).astype(np.float64)
        if not np.isfinite(g).all():
            return float("inf")
        if r.size == 0:
            return 0.0
        scale = float(np.abs(r).max()) or 1.0
        return float(np.abs(g - r).max()) / scale
    if any(y != y or y in (float("inf"), float("-inf")) for y in g):
        return float("inf")
    scale = max((abs(x) for x in r), default=0.0) or 1.0
    return max((abs(x - y) for x, y in zip(r, g)), default=0.0) / scale


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cpu")
    p.add_argument("cuda")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--param-tol", type=float, default=0.05)
    p.add_argument("--name", default="")
    p.add_argument("--expect-above", type=float, default=None)
    a = p.parse_args()
    ref, got = read_safetensors(a.cpu), read_safetensors(a.cuda)
    worst, worst_name, bad = 0.0, "", []
    worst_grad = 0.0
    for name, r in ref.items():
        if name not in got:
            bad.append(f"{name} missing")
            continue
        g = got[name]
        if len(g) != len(r):
            bad.append(f"{name}: {len(g)} elements, not {len(r)}")
            continue
        err = relative_error(r, g)
        if err > worst:
            worst, worst_name = err, name
        if name.startswith("grad."):
            worst_grad = max(worst_grad, err)
        if err > (a.param_tol if name.startswith("param.") else a.tol):
            bad.append(f"{name}: relative error {err:.2e}")
    if a.expect_above is not None and not worst_grad > a.expect_above:
        bad.append(f"the largest gradient error {worst_grad:.2e} is not "
                   f"above {a.expect_above:.0e}: the reduced precision is "
                   f"not in effect")
    status = "ok" if not bad else "MISMATCH"
    print(f"{a.name:20s} {len(ref):4d} tensors  max relative error "
          f"{worst:.2e} ({worst_name or '-'})  {status}")
    for b in bad[:10]:
        print(f"    {b}")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
