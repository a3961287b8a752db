#!/usr/bin/python3
"""Loads an nngc checkpoint into the same network written in PyTorch, with
strict=False only for nngc's own extra keys, and checks that its
predictions equal `trainer predict`'s.

    torch_checkpoint.py CKPT.safetensors DATA.csv.gz PREDICTIONS.csv
"""
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, __import__("os").path.dirname(__file__))
import safetensors_io  # noqa: E402

ckpt, data, preds = sys.argv[1:4]
state = {k: torch.tensor(v) for k, v in safetensors_io.load(ckpt).items()}
model = nn.Sequential()
model.add_module("fc1", nn.Linear(64, 128))
model.add_module("act", nn.ReLU())
model.add_module("fc2", nn.Linear(128, 10))
weights = {k: v for k, v in state.items() if k.startswith("fc")}
model.load_state_dict(weights, strict=True)
extra = sorted(k for k in state if not k.startswith("fc"))
print("non-model keys:", ", ".join(k for k in extra if not k.startswith("optimizer.fc")))

x = np.loadtxt(data, delimiter=",", dtype=np.float32)[:, :64]
x = (x - state["nngc.feature_mean"].numpy()) / state["nngc.feature_std"].numpy()
with torch.no_grad():
    logits = model(torch.tensor(x)).numpy()
ours = np.loadtxt(preds, delimiter=",", skiprows=1, dtype=np.float32)
assert ours.shape == (x.shape[0], 11), ours.shape
err = np.max(np.abs(ours[:, 1:] - logits)) / np.max(np.abs(logits))
same = np.mean(ours[:, 0] == logits.argmax(1))
print(f"rows {x.shape[0]}  logits relative error {err:.2e}  same class {100 * same:.1f}%")
sys.exit(0 if err < 1e-5 and same == 1.0 else 1)
