#!/usr/bin/python3
"""nngc vs PyTorch: examples/bilstm_sentiment.mlir and its PyTorch twin
trained on the same sentences, compared by held-out accuracy.

The script shuffles the labelled sentences of ../shared/data/sentiment
(amazon, imdb, yelp; 3000 in all) with --split-seed and writes the last
--val-fraction as the held-out file, the rest as the training file. Both
sides then read those two files:

  * nngc: `train --data train.txt --val-data val.txt --epochs E`;
  * PyTorch: the same words (lowercased; runs of letters, digits and
    apostrophes, every other non-space byte a token of its own), the same
    vocabulary rule (<pad>, <unk>, then the training words by frequency),
    sentences cut to 64 tokens, Embedding(10000, 128, padding_idx=0),
    bidirectional LSTM(128) over each sentence's own tokens
    (pack_padded_sequence), the mean over them,
    Linear(256, 2), Adam(1e-3), batches of 32 reshuffled every epoch.

Each side is run with --reps seeds; the table gives the held-out accuracy
after every epoch (median over seeds).

With --model encoder, both sides are examples/encoder_sentiment.mlir's
Transformer encoder instead (PyTorch: nn.TransformerEncoder with
src_key_padding_mask, AdamW(5e-4, weight_decay=0.01)).

    bench/sentiment_compare.py [--model bilstm|encoder] [--epochs 6] [--reps 3]
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import reexec_for_torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "sentiment")
FILES = ["amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"]


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["bilstm", "encoder"], default="bilstm",
                   help="examples/bilstm_sentiment.mlir or examples/encoder_sentiment.mlir")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--nngc", default=os.path.join(ROOT, "build", "bin", "nngc"))
    p.add_argument("--workdir", default=None)
    p.add_argument("--torch-only", nargs=3, metavar=("TRAIN", "VAL", "SEED"),
                   help="(internal) run the PyTorch side, print its accuracies as JSON")
    return p.parse_args()


def read(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            text, _, label = line.rstrip("\n").rpartition("\t")
            if n == 0 and not label.strip().isdigit():
                continue
            out.append((text, int(label)))
    return out


def tokens(text):
    """nngc's wordTokens on lowercased text."""
    return re.findall(r"[a-z0-9'\x80-\U0010ffff]+|[^\sa-z0-9'\x80-\U0010ffff]",
                      text.lower())


def torch_side(train_path, val_path, seed, args):
    reexec_for_torch(args.threads)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    train, val = read(train_path), read(val_path)
    counts, first = {}, {}
    for text, _ in train:
        for w in tokens(text):
            counts[w] = counts.get(w, 0) + 1
            first.setdefault(w, len(first))
    words = sorted(counts, key=lambda w: (-counts[w], first[w]))[:10000 - 2]
    index = {w: i + 2 for i, w in enumerate(words)}
    T = 64

    def encode(rows):
        ids = torch.zeros(len(rows), T, dtype=torch.long)
        mask = torch.zeros(len(rows), T, 1)
        for r, (text, _) in enumerate(rows):
            t = [index.get(w, 1) for w in tokens(text)][:T]
            ids[r, :len(t)] = torch.tensor(t)
            mask[r, :len(t)] = 1
        return ids, mask, torch.tensor([label for _, label in rows])

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10000, 128, padding_idx=0)
            self.rnn = nn.LSTM(128, 128, batch_first=True, bidirectional=True)
            self.head = nn.Linear(256, 2)

        def forward(self, ids, mask):
            # The LSTM sees each sentence's own words only (nngc's mask
            # operand): packed by length.
            lengths = mask[:, :, 0].sum(1).long().clamp(min=1)
            packed = nn.utils.rnn.pack_padded_sequence(
                self.embed(ids), lengths, batch_first=True, enforce_sorted=False)
            h, _ = self.rnn(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=T)
            return self.head((h * mask).sum(1) / mask.sum(1))

    class Encoder(nn.Module):
        """examples/encoder_sentiment.mlir: token + position embeddings,
        2 post-LN TransformerEncoderLayers (src_key_padding_mask), the mean
        over each sentence's words, a linear head."""

        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(10000, 128)
            self.pos = nn.Embedding(T, 128)
            layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.1,
                                               batch_first=True, norm_first=False)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2,
                                                 enable_nested_tensor=False)
            self.head = nn.Linear(128, 2)

        def forward(self, ids, mask):
            h = self.tok(ids) + self.pos(torch.arange(T))
            h = self.encoder(h, src_key_padding_mask=mask[:, :, 0] == 0)
            return self.head((h * mask).sum(1) / mask.sum(1))

    if args.model == "encoder":
        model = Encoder()
        opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    else:
        model = Model()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tx, tm, ty = encode(train)
    vx, vm, vy = encode(val)
    accuracies = []
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(train))
        for b in range(0, len(train), 32):
            i = order[b:b + 32]
            loss = F.cross_entropy(model(tx[i], tm[i]), ty[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(vx, vm).argmax(1)
        accuracies.append(float((pred == vy).float().mean()))
    print(json.dumps(accuracies))


def main():
    args = parse()
    if args.torch_only:
        return torch_side(args.torch_only[0], args.torch_only[1],
                          int(args.torch_only[2]), args)
    work = args.workdir or tempfile.mkdtemp(prefix="nngc-sentiment-")
    os.makedirs(work, exist_ok=True)
    rows = []
    for f in FILES:
        with open(os.path.join(DATA, f), encoding="utf-8") as fh:
            # Not splitlines(): a sentence holds a U+0085, which it splits at.
            lines = [x for x in fh.read().split("\n") if x]
        rows += lines[1:]  # each file's first line is a header
    random.Random(args.split_seed).shuffle(rows)
    n_val = round(args.val_fraction * len(rows))
    train_path, val_path = os.path.join(work, "train.txt"), os.path.join(work, "val.txt")
    with open(train_path, "w", encoding="utf-8") as f:
        f.write("\n".join(rows[:-n_val]) + "\n")
    with open(val_path, "w", encoding="utf-8") as f:
        f.write("\n".join(rows[-n_val:]) + "\n")
    name = f"{args.model}_sentiment"
    exe = os.path.join(work, name)
    subprocess.run([args.nngc, "compile",
                    os.path.join(ROOT, "examples", name + ".mlir"), "-o", exe],
                   check=True)
    ours, theirs = [], []
    for seed in range(args.reps):
        log = os.path.join(work, f"nngc-{seed}.jsonl")
        if os.path.exists(log):
            os.remove(log)
        subprocess.run([exe, "train", "--data", train_path, "--val-data", val_path,
                        "--epochs", str(args.epochs), "--seed", str(seed),
                        "--threads", str(args.threads), "--log", log],
                       check=True, stdout=subprocess.DEVNULL)
        ours.append([json.loads(line)["val_accuracy"] for line in open(log)])
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-only",
                              train_path, val_path, str(seed), "--model", args.model,
                              "--epochs", str(args.epochs), "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True).stdout
        theirs.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{name}: {len(rows) - n_val} training, {n_val} held-out sentences, "
          f"median of {args.reps} seeds")
    print("| epoch | nngc accuracy | PyTorch accuracy |")
    print("|---|---|---|")
    med = lambda runs, e: statistics.median(r[e] for r in runs)  # noqa: E731
    for e in range(args.epochs):
        print(f"| {e + 1} | {100 * med(ours, e):.1f}% | {100 * med(theirs, e):.1f}% |")
    print(json.dumps({"model": name, "epochs": args.epochs,
                      "nngc": ours, "torch": theirs,
                      "nngc_best_median": max(med(ours, e) for e in range(args.epochs)),
                      "torch_best_median": max(med(theirs, e) for e in range(args.epochs))}))


if __name__ == "__main__":
    sys.exit(main())
