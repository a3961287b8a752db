"""examples/gpt_tiny.mlir against nanoGPT's model as shared/bench/ref_models.py
writes it (GPT, gpt_adamw): one training step's loss, logits and every
parameter gradient, the parameters after 3 optimizer steps (AdamW parameter
groups, clipping at 1.0, the warm-up schedule), and a checkpoint written by
`train` loaded into the reference model by name."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, src, shared, work = sys.argv[1:5]
sys.path.insert(0, os.path.join(shared, "bench"))
import ref_models  # noqa: E402

torch.set_num_threads(1)
exe = os.path.join(work, "gpt_tiny")
subprocess.run([nngc, "compile", os.path.join(src, "examples", "gpt_tiny.mlir"),
                "-o", exe], check=True)

B, T, V, L = 12, 64, 65, 4


def rel(ours, ref):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))


def reference(params):
    """ref_models.GPT with `params` (nngc names: lm_head is wte)."""
    model = ref_models.GPT(V, L, 4, 128, T, dropout=0.0)
    state = {k: torch.tensor(v) for k, v in params.items()}
    state["lm_head.weight"] = state["wte.weight"]
    # Strict but for the causal masks, buffers nngc does not store.
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("attn.mask") for k in missing), \
        (missing, unexpected)
    return model


# Seeded inputs and nanoGPT-initialised parameters (layer norms perturbed
# so that their gradients are not trivial).
gen = torch.Generator().manual_seed(0)
text = open(os.path.join(shared, "data", "tinyshakespeare.txt")).read()
chars = sorted(set(text))
data = torch.tensor([chars.index(c) for c in text[:20000]])
ix = torch.randint(len(data) - T - 1, (B,), generator=gen)
ids = torch.stack([data[i:i + T] for i in ix])
nxt = torch.stack([data[i + 1:i + 1 + T] for i in ix])
torch.manual_seed(1)
init = ref_models.GPT(V, L, 4, 128, T, dropout=0.0)
params = {k: v.detach().numpy().copy() for k, v in init.named_parameters()}
for k in params:
    if "ln" in k:
        params[k] = (1 + 0.1 * np.random.default_rng(2).normal(size=params[k].shape)).astype(np.float32)
safetensors_io.save(os.path.join(work, "inputs.safetensors"),
                    {"ids": ids.numpy(), "next": nxt.numpy()})
safetensors_io.save(os.path.join(work, "params.safetensors"), params)


def grad_check(steps, params_file):
    out = os.path.join(work, f"out{steps}.safetensors")
    subprocess.run([exe, "grad-check", "--inputs", os.path.join(work, "inputs.safetensors"),
                    "--params", params_file, "--out", out, "--train-steps", str(steps),
                    "--fd", "0"], check=True, capture_output=True)
    return safetensors_io.load(out)


# 1. One step: loss, logits, every gradient (the tied wte gets both uses').
ours = grad_check(0, os.path.join(work, "params.safetensors"))
model = reference(params)
logits = model(ids)
loss = F.cross_entropy(logits.reshape(-1, V), nxt.reshape(-1))
loss.backward()
worst = {"loss": rel(ours["loss"], loss.item()),
         "logits": rel(ours["output.logits"], logits.detach().numpy())}
named = dict(model.named_parameters())  # lm_head.weight is wte.weight
for k in params:
    worst["grad." + k] = rel(ours["grad." + k], named[k].grad.numpy())
key = max(worst, key=worst.get)
print(f"loss {float(ours['loss']):.6f} vs torch {loss.item():.6f}; "
      f"{len(params)} gradients; worst relative error {worst[key]:.1e} ({key}) "
      + ("ok" if worst["loss"] <= 1e-5 and worst[key] <= 1e-4 else "FAIL"))

# 2. Three optimizer steps as nanoGPT takes them: AdamW groups (decay on
# matrices), clip_grad_norm_(1.0), lr from get_lr (warm-up 100).
ours = grad_check(3, os.path.join(work, "params.safetensors"))
model = reference(params)
opt = ref_models.gpt_adamw(model, lr=1e-3, weight_decay=0.1)
for it in range(3):
    for g in opt.param_groups:
        g["lr"] = 1e-3 * (it + 1) / 101
    loss = F.cross_entropy(model(ids).reshape(-1, V), nxt.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
after = dict(model.named_parameters())
err = max(rel(ours["param." + k], after[k].detach().numpy()) for k in params)
print(f"parameters after 3 AdamW steps: worst relative error {err:.1e} "
      + ("ok" if err <= 1e-4 else "FAIL"))

# 3. A checkpoint from `train` loads into the reference model by name and
# gives nngc's logits.
ckpt = os.path.join(work, "gpt.safetensors")
train = subprocess.run([exe, "train", "--data", os.path.join(shared, "data", "tinyshakespeare.txt"),
                        "--steps", "20", "--eval-every", "0", "--eval-batches", "2",
                        "--save", ckpt, "--threads", "2"], capture_output=True, text=True)
print("train exit", train.returncode)
saved = safetensors_io.load(ckpt)
weights = {k: v for k, v in saved.items() if not k.startswith(("optimizer.", "nngc."))}
model = reference(weights)
print("ref_models.GPT load_state_dict (lm_head.weight = wte.weight): ok")
ours = grad_check(0, ckpt)
with torch.no_grad():
    err = rel(ours["output.logits"], model(ids).numpy())
print(f"checkpoint logits vs torch: max relative error {err:.1e} "
      + ("ok" if err <= 1e-5 else "FAIL"))

# 4. Greedy decoding with the key/value cache (the step entry point) and
# with the window, against the reference model decoding nanoGPT's way (the
# last 64 tokens each time); 61 + 80 tokens pass the window, so the caches
# are re-primed.
prompt = text[:61]
ctx_ids = [chars.index(ch) for ch in prompt]
with torch.no_grad():
    for _ in range(80):
        idx = torch.tensor([ctx_ids[-T:]])
        ctx_ids.append(int(model(idx)[0, -1].argmax()))
expected = "".join(chars[i] for i in ctx_ids)
for mode in ("step", "window"):
    got = subprocess.run([exe, "sample", "--checkpoint", ckpt, "--prompt", prompt,
                          "--tokens", "80", "--top-k", "1", "--mode", mode],
                         check=True, capture_output=True, text=True).stdout.rstrip("\n")
    print(f"greedy 80 tokens, --mode {mode} vs torch: "
          + ("ok" if got == expected else f"FAIL\n{got!r}\n{expected!r}"))
