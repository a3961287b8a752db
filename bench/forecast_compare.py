#!/usr/bin/python3
"""nngc vs PyTorch vs persistence: examples/lstm_forecast.mlir and its
PyTorch twin forecasting the yearly sunspot numbers, by held-out error.

The series is statsmodels' sunspots.csv (1700-2008, 309 values; Debian's
python3-statsmodels). Both sides use the trainer's recipe:

  * the last --val-fraction of the values held out (chronological); a
    held-out window's target lies there, its 24 past values may not;
  * values standardised with the training part's mean and (population)
    standard deviation;
  * every window of 24 values -> the next one in the training part,
    batches of 16 reshuffled every epoch (the last one partial),
    LSTM(1, 32) then Linear(32, 1) on the last step, MSE, Adam(3e-3),
    PyTorch's default initialisation;
  * scored in the series' units: the one-step RMSE over the held-out
    windows, and the RMSE of recursive 11-step forecasts (one solar cycle)
    from every held-out origin, next to persistence (the last value seen).

Each side runs --reps seeds (nngc: --seed; PyTorch: torch.manual_seed);
the table gives medians, and the training time of each side in the same
run (same thread count).

    bench/forecast_compare.py [--epochs 40] [--reps 5] [--threads 1]
"""
import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import reexec_for_torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERIES = "/usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv"
T, HORIZON, BATCH, HIDDEN = 24, 11, 16, 32


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--nngc", default=os.path.join(ROOT, "build", "bin", "nngc"))
    p.add_argument("--workdir", default=None)
    p.add_argument("--torch-only", type=int, metavar="SEED",
                   help="(internal) run the PyTorch side, print its scores as JSON")
    return p.parse_args()


def read_series():
    values = []
    with open(SERIES) as f:
        next(f)
        for line in f:
            if line.strip():
                values.append(float(line.split(",")[1]))
    return values


def persistence(values, start, steps):
    """RMSE of forecasting each value from `start` on by the last value
    before its origin, for `steps`-step forecasts (steps = 1: one-step)."""
    se, n = 0.0, 0
    for o in range(max(start, T), len(values) - steps + 1):
        for k in range(steps):
            se += (values[o - 1] - values[o + k]) ** 2
            n += 1
    return math.sqrt(se / n)


def torch_side(seed, args):
    reexec_for_torch(args.threads)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    values = read_series()
    n = len(values)
    split = n - round(args.val_fraction * n)
    mean = sum(values[:split]) / split
    std = math.sqrt(sum((v - mean) ** 2 for v in values[:split]) / split)
    z = torch.tensor([(v - mean) / std for v in values])
    starts = [i for i in range(n) if i + T + 1 <= split]
    held = [i for i in range(max(split - T, 0), n) if i + T + 1 <= n]
    wins = lambda idx: torch.stack([z[i:i + T] for i in idx]).unsqueeze(2)  # noqa: E731
    tx, ty = wins(starts), torch.stack([z[i + T:i + T + 1] for i in starts])

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(1, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, 1)

        def forward(self, x):
            h, _ = self.rnn(x)
            return self.head(h[:, -1])

    model = Forecaster()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(starts))
        for b in range(0, len(starts), BATCH):
            i = order[b:b + BATCH]
            loss = F.mse_loss(model(tx[i]), ty[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        pred = model(wins(held))[:, 0] * std + mean
        truth = torch.tensor([values[i + T] for i in held])
        one = float(((pred - truth) ** 2).mean().sqrt())
        origins = [o for o in range(max(split, T), n - HORIZON + 1)]
        hist = torch.stack([z[o - T:o] for o in origins])
        outs = []
        for _ in range(HORIZON):
            f = model(hist[:, -T:].unsqueeze(2))
            outs.append(f)
            hist = torch.cat([hist, f], 1)
        f = torch.cat(outs, 1) * std + mean
        truth = torch.tensor([values[o:o + HORIZON] for o in origins])
        multi = float(((f - truth) ** 2).mean().sqrt())
    print(json.dumps({"rmse": one, "rmse11": multi, "seconds": seconds,
                      "windows_per_s": args.epochs * len(starts) / seconds}))


def nngc_side(exe, seed, args, work):
    ckpt = os.path.join(work, f"fc-{seed}.safetensors")
    common = ["--data", SERIES, "--column", "SUNACTIVITY",
              "--val-split", str(args.val_fraction), "--threads", str(args.threads)]
    t0 = time.perf_counter()
    out = subprocess.run([exe, "train", *common, "--epochs", str(args.epochs),
                          "--eval-every", str(args.epochs), "--seed", str(seed),
                          "--save", ckpt, "--json"],
                         check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - t0
    record = [json.loads(x) for x in out.splitlines() if '"epoch"' in x][-1]
    ev = subprocess.run([exe, "eval", "--checkpoint", ckpt, *common,
                         "--horizon", str(HORIZON)],
                        check=True, capture_output=True, text=True).stdout
    one = float(re.search(r"^1-step: .*? rmse ([0-9.e+-]+)", ev, re.M).group(1))
    multi = float(re.search(r"^11-step recursive: rmse ([0-9.e+-]+)", ev, re.M).group(1))
    return {"rmse": one, "rmse11": multi, "seconds": seconds,
            "windows_per_s": record["windows_per_s"]}


def main():
    args = parse()
    if args.torch_only is not None:
        return torch_side(args.torch_only, args)
    work = args.workdir or tempfile.mkdtemp(prefix="nngc-forecast-")
    os.makedirs(work, exist_ok=True)
    exe = os.path.join(work, "lstm_forecast")
    subprocess.run([args.nngc, "compile",
                    os.path.join(ROOT, "examples", "lstm_forecast.mlir"), "-o", exe],
                   check=True)
    values = read_series()
    split = len(values) - round(args.val_fraction * len(values))
    ours, theirs = [], []
    for seed in range(args.reps):
        ours.append(nngc_side(exe, seed, args, work))
        out = subprocess.run([sys.executable, os.path.abspath(__file__),
                              "--torch-only", str(seed), "--epochs", str(args.epochs),
                              "--threads", str(args.threads),
                              "--val-fraction", str(args.val_fraction)],
                             check=True, capture_output=True, text=True).stdout
        theirs.append(json.loads(out.strip().splitlines()[-1]))
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    p1, p11 = persistence(values, split, 1), persistence(values, split, HORIZON)
    print(f"lstm_forecast on sunspots: {split} training, {len(values) - split} held-out "
          f"values, {args.epochs} epochs, {args.threads} thread(s), median of "
          f"{args.reps} seeds")
    print("| | 1-step RMSE | 11-step RMSE | training windows/s |")
    print("|---|---|---|---|")
    print(f"| persistence | {p1:.2f} | {p11:.2f} | |")
    print(f"| nngc | {med(ours, 'rmse'):.2f} | {med(ours, 'rmse11'):.2f} | "
          f"{med(ours, 'windows_per_s'):.0f} |")
    print(f"| PyTorch | {med(theirs, 'rmse'):.2f} | {med(theirs, 'rmse11'):.2f} | "
          f"{med(theirs, 'windows_per_s'):.0f} |")
    print(json.dumps({"model": "lstm_forecast", "epochs": args.epochs,
                      "threads": args.threads, "persistence_rmse": p1,
                      "persistence_rmse11": p11, "nngc": ours, "torch": theirs}))


if __name__ == "__main__":
    sys.exit(main())
