"""examples/transformer_translate.mlir against torch.nn.Transformer
(transformer-translate.test): the state_dict loads by name, one training
step's loss, logits and every gradient, the parameters after 1 Adam step
and the losses of 3, and greedy translations of a trained checkpoint."""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, src, data, work = sys.argv[1:5]
sys.path.insert(0, os.path.join(src, "bench"))
import translate_models  # noqa: E402
from translate_text import normalize, tokens  # noqa: E402
SV, TV, D, H, FF, L, S, T, B = 1300, 2700, 128, 4, 512, 2, 8, 12, 32
torch.set_num_threads(1)
exe = os.path.join(work, "tt")
subprocess.run([nngc, "compile", os.path.join(src, "examples", "transformer_translate.mlir"),
                "-o", exe], check=True)


def ok(c):
    return "ok" if c else "FAIL"


def rel(ours, ref):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))


# Seeded batch: sources of 1-8 words, targets of 1-11 words plus <bos> or
# <eos>, padded with 0.
g = torch.Generator().manual_seed(0)
src_len = torch.randint(1, S + 1, (B,), generator=g)
tgt_len = torch.randint(1, T, (B,), generator=g)
src_ids = torch.randint(4, SV, (B, S), generator=g)
tgt_ids = torch.randint(4, TV, (B, T), generator=g)
src_mask = (torch.arange(S)[None, :] < src_len[:, None]).float()
src_ids = src_ids * src_mask.long()
tgt_in = torch.zeros(B, T, dtype=torch.long)
tgt_out = torch.zeros(B, T, dtype=torch.long)
for r in range(B):
    n = int(tgt_len[r])
    tgt_in[r, 0] = 2
    tgt_in[r, 1:n + 1] = tgt_ids[r, :n]
    tgt_out[r, :n] = tgt_ids[r, :n]
    tgt_out[r, n] = 3
src_mask = src_mask[..., None]
inputs = os.path.join(work, "inputs.safetensors")
safetensors_io.save(inputs, {"src": src_ids.numpy(), "src_mask": src_mask.numpy(),
                             "tgt_in": tgt_in.numpy(), "tgt_out": tgt_out.numpy()})

# PyTorch-initialised parameters; the layer norms perturbed so that their
# gradients are not trivial.
torch.manual_seed(1)
init = translate_models.TransformerSeq2Seq(dropout=0.0)
params = {k: v.detach().numpy().copy() for k, v in init.state_dict().items()}
rng = np.random.default_rng(2)
for k in params:
    if ".norm" in k:
        params[k] = (params[k] + 0.1 * rng.normal(size=params[k].shape)).astype(np.float32)
params_file = os.path.join(work, "params.safetensors")
safetensors_io.save(params_file, params)


def reference(weights):
    model = translate_models.TransformerSeq2Seq(dropout=0.0)
    model.load_state_dict({k: torch.tensor(v) for k, v in weights.items()}, strict=True)
    return model


def grad_check(steps):
    out = os.path.join(work, f"out{steps}.safetensors")
    subprocess.run([exe, "grad-check", "--inputs", inputs, "--params", params_file,
                    "--out", out, "--train-steps", str(steps), "--dropout", "0"],
                   check=True, capture_output=True)
    return safetensors_io.load(out)


def loss_of(model):
    logits = model(src_ids, src_mask, tgt_in)
    return logits, F.cross_entropy(logits.reshape(-1, TV), tgt_out.reshape(-1), ignore_index=0)


# 1. One step: loss, logits and every gradient.
model = reference(params)
print(f"torch.nn.Transformer load_state_dict(strict=True): {len(params)} tensors ok")
ours = grad_check(0)
logits, loss = loss_of(model)
loss.backward()
worst = {"loss": rel(ours["loss"], loss.item()),
         "logits": rel(ours["output.logits"], logits.detach().numpy())}
named = dict(model.named_parameters())
for k in params:
    worst["grad." + k] = rel(ours["grad." + k], named[k].grad.numpy())
key = max(worst, key=worst.get)
torch_grads = {k: named[k].grad.numpy().copy() for k in params}
print(f"loss {float(ours['loss']):.6f} vs torch {loss.item():.6f}; {len(params)} gradients; "
      f"worst relative error {worst[key]:.1e} ({key}) "
      + ok(worst["loss"] <= 1e-5 and worst[key] <= 1e-4))

# 2. Adam on the same batch: the parameters after one step, and the losses
# of three. (The parameters after three steps are not compared: a ReLU
# unit that a step's rounding puts on the other side of its kink changes
# that row's next gradient, and Adam's normalisation turns a small
# gradient's change into a step of up to lr; measured 1e-2 relative on the
# zero-initialised biases while the losses agree to 4e-7.)
ours = grad_check(1)
model = reference(params)
opt = torch.optim.Adam(model.parameters(), lr=5e-4)
losses = []
for _ in range(3):
    opt.zero_grad()
    loss = loss_of(model)[1]
    losses.append(loss.item())
    loss.backward()
    opt.step()
    if len(losses) == 1:
        after = {k: v.detach().numpy().copy() for k, v in model.named_parameters()}


# Measured against the step, lr, on the coordinates whose gradient is at
# least 100 eps (or exactly 0: those must not move): Adam moves a
# coordinate by lr * g / (|g| + eps), so where |g| is near eps = 1e-8 the
# step depends on the gradient's last bits
# (measured: gradients of 3e-9 to 6e-8 took steps of 0.25 to 0.85 lr on
# one side and different ones on the other). The key third of every
# in_proj_bias is left out too: its gradient is rounding noise on both
# sides, or exactly 0 on one (it adds q . b_k to all of a query's scores,
# which the softmax cancels).
errs, left_out = {}, 0
for k in params:
    keep = (torch_grads[k] == 0) | (np.abs(torch_grads[k]) >= 1e-6)
    if k.endswith("in_proj_bias"):
        keep[D:2 * D] = False
    left_out += int((~keep).sum())
    errs[k] = float(np.max(np.abs(ours["param." + k] - after[k])[keep], initial=0)) / 5e-4
key = max(errs, key=errs.get)
print(f"parameters after 1 Adam step: worst error {errs[key]:.1e} of the step lr ({key}; "
      f"{left_out} coordinates left out) " + ok(errs[key] <= 1e-3))
ours = grad_check(3)
err = max(rel(ours[f"loss.{i}"], x) for i, x in enumerate(losses))
print(f"losses of 3 Adam steps: {', '.join(f'{x:.6f}' for x in losses)}; worst relative "
      f"error {err:.1e} " + ok(err <= 1e-5))

# 3. A short training run; its checkpoint's greedy translations of 256
# sources equal torch.nn.Transformer's greedy decoding of the same weights,
# both through the encode and step entry points (key/value caches, the
# cross-attention's keys and values projected once) and by rerunning the
# model per position; beam search through them (caches reordered between
# hypotheses) equals beam search by rerunning the model.
ckpt = os.path.join(work, "tt.safetensors")
subprocess.run([exe, "train", "--data", data, "--epochs", "1", "--save", ckpt, "--threads", "1",
                "--quiet"], check=True, capture_output=True)
saved = safetensors_io.load(ckpt)
meta = safetensors_io.load_metadata(ckpt)
src_vocab = json.loads(meta["nngc.src_vocab"])
tgt_vocab = json.loads(meta["nngc.tgt_vocab"])
sidx = {w: i for i, w in enumerate(src_vocab)}
model = reference({k: v for k, v in saved.items() if not k.startswith(("optimizer.", "nngc."))})
model.eval()


with open(data, encoding="utf-8") as f:
    sources = list(dict.fromkeys(line.split("\t")[0] for line in f))[::10][:256]
ids = torch.zeros(len(sources), S, dtype=torch.long)
mask = torch.zeros(len(sources), S, 1)
for r, s in enumerate(sources):
    i = [sidx.get(w, 1) for w in tokens(normalize(s))][:S]
    ids[r, :len(i)] = torch.tensor(i)
    mask[r, :len(i)] = 1
theirs = [[tgt_vocab[i] for i in row] for row in translate_models.greedy(model, ids, mask, T)]
src_file = os.path.join(work, "sources.txt")
with open(src_file, "w", encoding="utf-8") as f:
    f.write("\n".join(sources) + "\n")


def translate(*extra):
    return subprocess.run([exe, "translate", "--checkpoint", ckpt, "--data", src_file,
                           "--threads", "1", *extra],
                          check=True, capture_output=True, text=True).stdout.splitlines()


for mode in ("step", "full"):
    ours = [tokens(normalize(x)) for x in translate("--decode", mode)]
    same = sum(a == tokens(" ".join(b)) for a, b in zip(ours, theirs))
    print(f"greedy translations of {len(sources)} sources, --decode {mode}, equal torch's: "
          + ok(len(ours) == len(sources) and same == len(sources)))
beams = {mode: translate("--beam", "4", "--decode", mode) for mode in ("step", "full")}
print(f"beam 4, {len(sources)} sources: --decode step equals --decode full: "
      + ok(len(beams["step"]) == len(sources) and beams["step"] == beams["full"]))

# 4. A decoder whose self-attention is not causal gets no step entry point:
# info says why, --decode step refuses with that reason, and --decode auto
# falls back to rerunning the model per position.
with open(os.path.join(src, "examples", "transformer_translate.mlir"), encoding="utf-8") as f:
    text = f.read()
assert text.count("heads = 4, causal, ") == 2
variant = os.path.join(work, "noncausal.mlir")
with open(variant, "w", encoding="utf-8") as f:
    f.write(text.replace("heads = 4, causal, ", "heads = 4, "))
nc = os.path.join(work, "noncausal")
subprocess.run([nngc, "compile", variant, "-o", nc], check=True)
info = subprocess.run([nc, "info"], check=True, capture_output=True, text=True).stdout
why = "is not causal (a step sees no later token)"
print("non-causal decoder: info says why there is no step entry point: "
      + ok(f"step         none: 'nn.attention' at {variant}:" in info and why in info
           and " encode" not in info.split("entry points")[1].splitlines()[0]))
refused = subprocess.run([nc, "translate", "--checkpoint", ckpt, "--text", "go.",
                          "--decode", "step"], capture_output=True, text=True)
print("non-causal decoder: --decode step refused: "
      + ok(refused.returncode == 1 and "--decode step: 'nn.attention' at" in refused.stderr
           and why in refused.stderr))
fallback = subprocess.run([nc, "translate", "--checkpoint", ckpt, "--data", src_file,
                           "--threads", "1"], capture_output=True, text=True)
print("non-causal decoder: --decode auto reruns the model: "
      + ok(fallback.returncode == 0 and len(fallback.stdout.splitlines()) == len(sources)))
