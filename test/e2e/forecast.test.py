"""Forecasting: the series trainer against closed forms and PyTorch on the
same checkpoint, the example's margin over persistence, exact resume and
errors (forecast.test)."""
import json
import math
import os
import re
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, series_path, examples, work = sys.argv[1:5]
T, HORIZON = 24, 11
exe = os.path.join(work, "forecast")
subprocess.run([nngc, "compile", os.path.join(examples, "lstm_forecast.mlir"), "-o", exe],
               check=True)
common = ["--data", series_path, "--column", "SUNACTIVITY", "--threads", "1"]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def ok(cond):
    return "ok" if cond else "FAIL"


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b))


values = []
with open(series_path) as f:
    next(f)
    values = [float(line.split(",")[1]) for line in f if line.strip()]
n = len(values)
split = n - round(0.2 * n)

ckpt = os.path.join(work, "fc.safetensors")
out = run([exe, "train", *common, "--epochs", "40", "--save", ckpt])
print(out.splitlines()[0])
done = json.loads(run([exe, "train", *common, "--epochs", "40", "--json"]).splitlines()[-1])

# Scaling: the training part's mean and population deviation.
meta = safetensors_io.load_metadata(ckpt)
mean = sum(values[:split]) / split
std = math.sqrt(sum((v - mean) ** 2 for v in values[:split]) / split)
got_mean, got_std = float(meta["nngc.series_mean"]), float(meta["nngc.series_std"])
print("scaling equals the training part's mean and deviation:",
      ok(close(got_mean, mean, 1e-12) and close(got_std, std, 1e-12)))

# Persistence: each held-out value forecast by the one before it.
held = [i for i in range(split - T, n - T)]  # window starts
p1 = math.sqrt(sum((values[i + T - 1] - values[i + T]) ** 2 for i in held) / len(held))
print(f"persistence rmse {p1:.3f} equals the closed form:",
      ok(close(done["val_persistence_rmse"], p1, 1e-12)))

# The torch twin with the checkpoint's weights.
params = safetensors_io.load(ckpt)
rnn = torch.nn.LSTM(1, 32, batch_first=True)
head = torch.nn.Linear(32, 1)
with torch.no_grad():
    for name, p in list(rnn.named_parameters()):
        p.copy_(torch.from_numpy(params["rnn." + name].copy()))
    head.weight.copy_(torch.from_numpy(params["head.weight"].copy()))
    head.bias.copy_(torch.from_numpy(params["head.bias"].copy()))
z = torch.tensor([(v - got_mean) / got_std for v in values], dtype=torch.float32)


def model(windows):  # [N, T] standardised -> [N, 1]
    h, _ = rnn(windows.unsqueeze(2))
    return head(h[:, -1])


with torch.no_grad():
    # The checkpoint is the first run's; evaluate it with nngc too.
    ev = run([exe, "eval", "--checkpoint", ckpt, *common, "--horizon", str(HORIZON)])
    one = float(re.search(r"^1-step: loss \S+  rmse (\S+)", ev, re.M).group(1))
    multi = float(re.search(r"^11-step recursive: rmse (\S+)", ev, re.M).group(1))
    pred = model(torch.stack([z[i:i + T] for i in held]))[:, 0].double() * got_std + got_mean
    truth = torch.tensor([values[i + T] for i in held], dtype=torch.float64)
    t1 = float(((pred - truth) ** 2).mean().sqrt())
    print("1-step held-out rmse equals torch's on the checkpoint:", ok(close(one, t1, 1e-3)))

    def recursive(origins, steps):
        hist = torch.stack([z[o - T:o] for o in origins])
        for _ in range(steps):
            hist = torch.cat([hist, model(hist[:, -T:])], 1)
        return hist[:, T:].double() * got_std + got_mean

    origins = list(range(split, n - HORIZON + 1))
    f = recursive(origins, HORIZON)
    truth = torch.tensor([values[o:o + HORIZON] for o in origins], dtype=torch.float64)
    t11 = float(((f - truth) ** 2).mean().sqrt())
    print("11-step recursive rmse equals torch's:", ok(close(multi, t11, 1e-3)))

    lines = run([exe, "predict", "--checkpoint", ckpt, *common, "--horizon", str(HORIZON)])
    lines = lines.splitlines()
    ours = [float(x.split(",")[1]) for x in lines[1:]]
    theirs = recursive([n], HORIZON)[0].tolist()
    print(f"predict --horizon {HORIZON} equals torch's forecast:",
          ok(lines[0] == "step,forecast" and len(ours) == HORIZON and
             all(close(a, b, 1e-4) or abs(a - b) < 1e-3 for a, b in zip(ours, theirs))))

p11 = float(re.search(r"^11-step recursive: .*persistence rmse (\S+)", ev, re.M).group(1))
print(f"held-out rmse {done['val_rmse']:.2f} <= 0.7 x persistence {p1:.2f}:",
      ok(done["val_rmse"] <= 0.7 * p1))
print(f"11-step rmse {multi:.2f} <= 0.7 x persistence {p11:.2f}:", ok(multi <= 0.7 * p11))

# Resume: 2 epochs, stop, 2 more == 4 epochs straight.
straight, resumed = os.path.join(work, "a.jsonl"), os.path.join(work, "b.jsonl")
r = os.path.join(work, "r.safetensors")
run([exe, "train", *common, "--epochs", "4", "--eval-every", "1", "--log", straight])
run([exe, "train", *common, "--epochs", "2", "--eval-every", "1", "--log", resumed, "--save", r])
run([exe, "train", *common, "--epochs", "4", "--eval-every", "1", "--log", resumed,
     "--resume", r])
losses = lambda p: [json.loads(x)["train_loss"] for x in open(p)]  # noqa: E731
print("resumed run logs the same losses:",
      ok(losses(straight) == losses(resumed) and len(losses(straight)) == 4))


def fails(label, cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    err = p.stderr.strip().splitlines()
    print(f"{label}: exit {p.returncode}, {err[-1] if err else ''}")


fails("no such column", [exe, "train", "--data", series_path, "--column", "NOPE"])
short = os.path.join(work, "short.csv")
with open(short, "w") as f:
    f.write("year,x\n" + "".join(f"{1700 + i},{v}\n" for i, v in enumerate(values[:10])))
fails("too short", [exe, "train", "--data", short])
noscale = os.path.join(work, "noscale.safetensors")
safetensors_io.save(noscale, params)
fails("no scaling", [exe, "predict", "--checkpoint", noscale, *common])
fails("bad horizon", [exe, "eval", "--checkpoint", ckpt, *common, "--horizon", "0"])
