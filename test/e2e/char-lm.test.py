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

# Greedy decoding (--top-k 1), 3T tokens past a prompt longer than T. `sample` runs the
# compiled step entry point and carries the LSTM state, so it must match
# PyTorch decoding with a carried state; `--mode window` reruns the last T
# tokens from a zero state each time, so it must match that instead. The two
# differ here, which shows that the default is not the window.
vocab = json.loads(safetensors_io.load_metadata(ckpt)["nngc.vocab"])
index = {b: i for i, b in enumerate(vocab)}
prompt, N = "First Citizen:\nBefore we proceed any further, hear me speak.\n", 3 * T
encode = lambda text: [index[b] for b in text.encode()]


def decode_torch(window):
    seq = encode(prompt)
    with torch.no_grad():
        if window:
            for _ in range(N):
                x = torch.tensor([seq[-T:]])
                seq.append(int(head(lstm(embed(x))[0])[0, -1].argmax()))
        else:
            y, state = lstm(embed(torch.tensor([seq])))
            for _ in range(N):
                seq.append(int(head(y)[0, -1].argmax()))
                y, state = lstm(embed(torch.tensor([[seq[-1]]])), state)
    return seq


def decode_nngc(*extra):
    text = subprocess.run([exe, "sample", "--checkpoint", ckpt, "--prompt", prompt,
                           "--tokens", str(N), "--top-k", "1", *extra],
                          check=True, capture_output=True).stdout
    return encode(text.decode().rstrip("\n")[:len(prompt)]) + \
        [index[b] for b in text[len(prompt):len(prompt) + N]]


step, window = decode_nngc(), decode_nngc("--mode", "window")
ref_step, ref_window = decode_torch(False), decode_torch(True)
assert step == ref_step, (step, ref_step)
assert window == ref_window, (window, ref_window)
assert ref_step != ref_window
print(f"greedy {N} tokens, step entry point vs torch with carried state: ok")
print(f"greedy {N} tokens, --mode window vs torch on the last {T} tokens: ok")
bad = subprocess.run([exe, "sample", "--checkpoint", os.path.join(work, "nope")],
                     capture_output=True, text=True)
assert "nope" in bad.stderr, bad.stderr
print("missing checkpoint: exit", bad.returncode)
