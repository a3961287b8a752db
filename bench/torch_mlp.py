#!/usr/bin/python3
"""PyTorch twin of an nngc MLP benchmark model: the same layers, batch,
loss and optimizer, timed the way ../shared/bench/ref_models.py times
(zero_grad, forward, loss, backward, step), one JSON line out.

    torch_mlp.py --layers 64,128,10 --batch 32 --optimizer adam --lr 1e-3 --threads 2

BLAS: re-executes itself with OpenBLAS (OpenMP build) first on the loader
path; --blas takes ref_models.py's names (openblas: OPENBLAS_CORETYPE
unset, the default; openblas-haswell: its AVX2 kernels).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import reexec_for_torch  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--layers", required=True)
p.add_argument("--batch", type=int, required=True)
p.add_argument("--optimizer", choices=["adam", "sgd"], required=True)
p.add_argument("--lr", type=float, required=True)
p.add_argument("--momentum", type=float, default=0.0)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--steps", type=int, default=300)
p.add_argument("--warmup", type=int, default=30)
p.add_argument("--blas", choices=["openblas", "openblas-haswell"], default="openblas")
args = p.parse_args()

reexec_for_torch(args.threads, args.blas)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
dims = [int(d) for d in args.layers.split(",")]
layers = []
for i in range(len(dims) - 1):
    layers.append(nn.Linear(dims[i], dims[i + 1]))
    if i + 2 < len(dims):
        layers.append(nn.ReLU())
model = nn.Sequential(*layers)
if args.optimizer == "adam":
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
else:
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
x = torch.rand(args.batch, dims[0]) * 2 - 1
y = torch.randint(dims[-1], (args.batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


for _ in range(args.warmup):
    step()
times = []
for _ in range(args.steps):
    t0 = time.perf_counter()
    loss = step()
    times.append(time.perf_counter() - t0)
med = statistics.median(times)
print(json.dumps({"step_ms": {"median": 1e3 * med, "min": 1e3 * min(times)},
                  "samples_per_s": args.batch / med, "threads": args.threads,
                  "blas": args.blas,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "final_loss": float(loss)}))
