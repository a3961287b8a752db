"""Train a small character LSTM with nngc, sample from it, and load its
checkpoint into PyTorch modules."""
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, corpus, work = sys.argv[1:4]
V, E, H, T, B, L = 65, 16, 32, 16, 8, 2
G = 4 * H
params = [f'  %emb = nn.param "embed.weight" init(normal) : tensor<{V}x{E}xf32>']
names, types = [], []
for layer in range(L):
    inp = E if layer == 0 else H
    for kind, shape in [("weight_ih", f"{G}x{inp}"), ("weight_hh", f"{G}x{H}"),
                        ("bias_ih", f"{G}"), ("bias_hh", f"{G}")]:
        n = f"%{kind}_l{layer}"
        params.append(f'  {n} = nn.param "rnn.{kind}_l{layer}" '
                      f'init(uniform, -0.17, 0.17) : tensor<{shape}xf32>')
        names.append(n)
        types.append(f"tensor<{shape}xf32>")
model = f"""nn.model @tiny_lstm {{
  %ids = nn.input "ids" : tensor<{B}x{T}xi64>
  %next = nn.input "next" : tensor<{B}x{T}xi64>
{chr(10).join(params)}
  %hw = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<{V}x{H}xf32>
  %hb = nn.param "head.bias" init(uniform, -0.17, 0.17) : tensor<{V}xf32>
  %x = nn.embedding %ids, %emb : tensor<{B}x{T}xi64>, tensor<{V}x{E}xf32>
  %h, %hn, %cn = nn.lstm %x weights({", ".join(names)}) {{batch_first, num_layers = {L}}} : tensor<{B}x{T}x{E}xf32> weights({", ".join(types)}) -> tensor<{B}x{T}x{H}xf32>, tensor<{L}x{B}x{H}xf32>, tensor<{L}x{B}x{H}xf32>
  %logits = nn.linear %h, %hw, %hb : tensor<{B}x{T}x{H}xf32>, tensor<{V}x{H}xf32>, tensor<{V}xf32>
  %loss = nn.cross_entropy %logits, %next : tensor<{B}x{T}x{V}xf32>, tensor<{B}x{T}xi64>
  nn.output "logits" %logits : tensor<{B}x{T}x{V}xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-2>
}}
"""
mlir, exe = os.path.join(work, "tiny.mlir"), os.path.join(work, "tiny")
ckpt, log = os.path.join(work, "tiny.safetensors"), os.path.join(work, "log.jsonl")
with open(mlir, "w") as f:
    f.write(model)
subprocess.run([nngc, "compile", mlir, "-o", exe], check=True)
out = subprocess.run([exe, "train", "--data", corpus, "--steps", "150",
                      "--eval-every", "50", "--eval-batches", "10", "--save", ckpt,
                      "--log", log, "--threads", "2"],
                     check=True, capture_output=True, text=True).stdout
print(out.splitlines()[0])
evals = [json.loads(line) for line in open(log)]
losses = [e["val_loss"] for e in evals]
# A unigram model of tinyshakespeare scores 3.3 nats; uniform is ln 65 = 4.17.
assert losses[-1] < losses[0] and losses[-1] < 3.0, losses
print("val loss falls: ok", [round(v, 3) for v in losses])
sample = subprocess.run([exe, "sample", "--checkpoint", ckpt, "--prompt", "ROMEO:",
                         "--tokens", "40", "--seed", "3"],
                        check=True, capture_output=True, text=True).stdout
assert sample.startswith("ROMEO:") and len(sample) > 40, repr(sample)
print("sample:", sample.replace("\n", " "))

# The checkpoint in PyTorch.
state = safetensors_io.load(ckpt)
embed, head = torch.nn.Embedding(V, E), torch.nn.Linear(H, V)
lstm = torch.nn.LSTM(E, H, num_layers=L, batch_first=True)
embed.load_state_dict({"weight": torch.tensor(state["embed.weight"])}, strict=True)
head.load_state_dict({"weight": torch.tensor(state["head.weight"]),
                      "bias": torch.tensor(state["head.bias"])}, strict=True)
lstm.load_state_dict({k[len("rnn."):]: torch.tensor(v) for k, v in state.items()
                      if k.startswith("rnn.")}, strict=True)
print("torch.nn.LSTM load_state_dict: ok")
rng = np.random.default_rng(0)
ids = rng.integers(0, V, size=(B, T)).astype(np.int64)
inputs = os.path.join(work, "in.safetensors")
safetensors_io.save(inputs, {"ids": ids, "next": np.roll(ids, -1, axis=1)})
res = os.path.join(work, "out.safetensors")
subprocess.run([exe, "grad-check", "--inputs", inputs, "--params", ckpt, "--out", res],
               check=True, capture_output=True)
ours = safetensors_io.load(res)["output.logits"]
with torch.no_grad():
    ref = head(lstm(embed(torch.tensor(ids)))[0]).numpy()
err = np.abs(ours - ref).max() / np.abs(ref).max()
assert err <= 1e-5, err
print(f"logits vs torch: max relative error {err:.2e} ok")
bad = subprocess.run([exe, "sample", "--checkpoint", os.path.join(work, "nope")],
                     capture_output=True, text=True)
assert "nope" in bad.stderr, bad.stderr
print("missing checkpoint: exit", bad.returncode)
