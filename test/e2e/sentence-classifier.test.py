"""Sentence classifiers: padding and masking (a bidirectional LSTM given the
sentence lengths), PyTorch equivalence, and the bilstm_sentiment example's
held-out accuracy."""
import json
import os
import random
import re
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, data, examples, work = sys.argv[1:5]
FILES = ["amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"]
V, E, H, B = 3000, 16, 24, 8


def tokens(text):
    """nngc's word tokens of lowercased text."""
    return re.findall(r"[a-z0-9'\x80-\U0010ffff]+|[^\sa-z0-9'\x80-\U0010ffff]",
                      text.lower())


def model(T):
    """A bidirectional LSTM that takes the sentence lengths as a mask, with
    masked mean pooling."""
    w = "".join(f"""
  %wih{r} = nn.param "rnn.weight_ih_l0{r}" init(uniform, -0.2, 0.2) : tensor<{4 * H}x{E}xf32>
  %whh{r} = nn.param "rnn.weight_hh_l0{r}" init(uniform, -0.2, 0.2) : tensor<{4 * H}x{H}xf32>
  %bih{r} = nn.param "rnn.bias_ih_l0{r}" init(uniform, -0.2, 0.2) : tensor<{4 * H}xf32>
  %bhh{r} = nn.param "rnn.bias_hh_l0{r}" init(uniform, -0.2, 0.2) : tensor<{4 * H}xf32>""" for r in ["", "_reverse"])
    wt = ", ".join([f"tensor<{4 * H}x{E}xf32>, tensor<{4 * H}x{H}xf32>, tensor<{4 * H}xf32>, tensor<{4 * H}xf32>"] * 2)
    return f"""nn.model @bi_{T} {{
  %ids = nn.input "ids" : tensor<{B}x{T}xi64>
  %label = nn.input "label" : tensor<{B}xi64>
  %mask = nn.input "mask" : tensor<{B}x{T}x1xf32>
  %emb = nn.param "embed.weight" init(normal) : tensor<{V}x{E}xf32>
  {w}
  %hw = nn.param "head.weight" init(kaiming_uniform, 2.23606797749979) : tensor<2x{2 * H}xf32>
  %hb = nn.param "head.bias" init(uniform, -0.2, 0.2) : tensor<2xf32>
  %x = nn.embedding %ids, %emb {{padding_idx = 0}} : tensor<{B}x{T}xi64>, tensor<{V}x{E}xf32>
  %h, %hn, %cn = nn.lstm %x mask(%mask : tensor<{B}x{T}x1xf32>) weights(%wih, %whh, %bih, %bhh, %wih_reverse, %whh_reverse, %bih_reverse, %bhh_reverse) {{batch_first, bidirectional}} : tensor<{B}x{T}x{E}xf32> weights({wt}) -> tensor<{B}x{T}x{2 * H}xf32>, tensor<2x{B}x{H}xf32>, tensor<2x{B}x{H}xf32>
  %p = nn.reduce mean %h mask(%mask : tensor<{B}x{T}x1xf32>) {{axis = 1}} : tensor<{B}x{T}x{2 * H}xf32> -> tensor<{B}x{2 * H}xf32>
  %logits = nn.linear %p, %hw, %hb : tensor<{B}x{2 * H}xf32>, tensor<2x{2 * H}xf32>, tensor<2xf32>
  %loss = nn.cross_entropy %logits, %label : tensor<{B}x2xf32>, tensor<{B}xi64>
  nn.output "logits" %logits : tensor<{B}x2xf32>
  nn.minimize %loss with #nn.adam<lr = 1.0e-2>
}}
"""


def compile_model(name, text=None, path=None):
    if text is not None:
        path = os.path.join(work, name + ".mlir")
        with open(path, "w") as f:
            f.write(text)
    exe = os.path.join(work, name)
    subprocess.run([nngc, "compile", path, "-o", exe], check=True)
    return exe


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


# Sentences of at most 12 tokens (none is cut), seeded split.
rows = []
for f in FILES:
    with open(os.path.join(data, f), encoding="utf-8") as fh:
        rows += [x for x in fh.read().split("\n") if x][1:]
short = [r for r in rows if len(tokens(r.rpartition("\t")[0])) <= 12]
random.Random(0).shuffle(short)
train_path, val_path = os.path.join(work, "train.txt"), os.path.join(work, "val.txt")
with open(train_path, "w", encoding="utf-8") as f:
    f.write("sentence\tscore\n" + "\n".join(short[:-203]) + "\n")
with open(val_path, "w", encoding="utf-8") as f:
    f.write("\n".join(short[-203:]) + "\n")  # 203: a partial last batch

uni12, uni24 = compile_model("bi_12", model(12)), compile_model("bi_24", model(24))
ckpt = os.path.join(work, "bi.safetensors")
out = run([uni12, "train", "--data", train_path, "--val-data", val_path, "--epochs", "2",
           "--save", ckpt])
print(out.splitlines()[0])


def predictions(exe):
    lines = run([exe, "predict", "--checkpoint", ckpt, "--data", val_path]).splitlines()
    return np.array([[float(v) for v in line.split("\t")[1:]] for line in lines])


p12, p24 = predictions(uni12), predictions(uni24)
assert p12.shape == (203, 2), p12.shape
d = np.abs(p12 - p24).max()
print(f"T = 12 vs T = 24 predictions: max abs difference {d:.2e}", "ok" if d <= 1e-5 else "FAIL")

# PyTorch on each sentence alone, no padding at all.
params = safetensors_io.load(ckpt)
with open(ckpt, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    meta = json.loads(f.read(n))["__metadata__"]
vocab = json.loads(meta["nngc.vocab"])
index = {w: i for i, w in enumerate(vocab)}
assert vocab[:2] == ["<pad>", "<unk>"], vocab[:2]
embed = torch.nn.Embedding(V, E, padding_idx=0)
lstm = torch.nn.LSTM(E, H, batch_first=True, bidirectional=True)
head = torch.nn.Linear(2 * H, 2)
embed.load_state_dict({"weight": torch.tensor(params["embed.weight"])})
lstm.load_state_dict({k[len("rnn."):]: torch.tensor(v) for k, v in params.items()
                      if k.startswith("rnn.") and "optimizer" not in k})
head.load_state_dict({"weight": torch.tensor(params["head.weight"]),
                      "bias": torch.tensor(params["head.bias"])})
probs, labels = [], []
with torch.no_grad():
    for line in short[-203:]:
        text, _, label = line.rpartition("\t")
        ids = torch.tensor([[index.get(w, 1) for w in tokens(text)]])
        h, _ = lstm(embed(ids))
        probs.append(F.softmax(head(h.mean(1)), -1)[0].numpy())
        labels.append(int(label))
probs = np.array(probs)
d = np.abs(p12 - probs).max()
print(f"vs torch on unpadded sentences: max abs difference {d:.2e}",
      "ok" if d <= 1e-5 else "FAIL")
torch_acc = float((probs.argmax(1) == np.array(labels)).mean())
ev = run([uni24, "eval", "--checkpoint", ckpt, "--data", val_path])
acc = float(re.search(r"accuracy ([0-9.]+)%", ev).group(1)) / 100
print("eval accuracy equals torch's:",
      "ok" if abs(acc - torch_acc) < 1e-4 else f"FAIL ({acc} vs {torch_acc})")

# The example, on the README's split: all three files, 20% held out.
bil = compile_model("bilstm", path=os.path.join(examples, "bilstm_sentiment.mlir"))
log = os.path.join(work, "bilstm.jsonl")
run([bil, "train"] + sum([["--data", os.path.join(data, f)] for f in FILES], [])
    + ["--val-split", "0.2", "--epochs", "4", "--log", log])
best = max(json.loads(line)["val_accuracy"] for line in open(log))
print(f"bilstm_sentiment held-out accuracy after 4 epochs: {100 * best:.1f}% >= 72%:",
      "ok" if best >= 0.72 else "FAIL")

# Bad data.
bad = os.path.join(work, "bad.txt")
with open(bad, "w") as f:
    f.write("good film\t1\nbad film\t2\n")
p = subprocess.run([uni12, "train", "--data", bad], capture_output=True, text=True)
print(f"label out of range: exit {p.returncode}, {p.stderr.strip()}")
bad2 = os.path.join(work, "bad2.txt")
with open(bad2, "w") as f:
    f.write("a sentence without a label\n")
p = subprocess.run([uni12, "train", "--data", bad2], capture_output=True, text=True)
print(f"no label: exit {p.returncode}, {p.stderr.strip()}")
# A mask that is not 1s then 0s cannot be a set of sequence lengths.
gaps = np.ones((B, 12, 1), np.float32)
gaps[3, 5] = 0
inputs = os.path.join(work, "gaps.safetensors")
safetensors_io.save(inputs, {"ids": np.ones((B, 12), np.int64), "label": np.zeros(B, np.int64),
                             "mask": gaps})
p = subprocess.run([uni12, "grad-check", "--inputs", inputs, "--params", ckpt,
                    "--out", os.path.join(work, "gaps.out")], capture_output=True, text=True)
print(f"mask with a gap: exit {p.returncode}, {p.stderr.strip()}")
p = subprocess.run([uni12, "eval", "--checkpoint", os.path.join(work, "none.safetensors"),
                    "--data", val_path], capture_output=True, text=True)
print(f"missing checkpoint: exit {p.returncode}")
