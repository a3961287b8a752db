#!/usr/bin/python3
"""nngc vs PyTorch: a translation example and its PyTorch twin trained on
the same English-French pairs, compared by held-out BLEU and training
throughput (--model gru: examples/seq2seq_gru_attention.mlir; --model
transformer: examples/transformer_translate.mlir).

The script holds out a seeded --val-fraction of the distinct English
sentences of ../shared/data/translation/eng-fra.txt (with all their
translations, which are the references) and writes both parts. Both sides
then read them:

  * nngc: `train --data train.txt --val-split 0 --epochs E`, then
    `eval --data val.txt --val-split 0` (greedy decoding);
  * PyTorch: the same words (lowercased, U+00A0/U+202F as spaces, runs of
    letters, digits, apostrophes and non-ASCII characters, every other
    non-space character a token), the same vocabularies (<pad>, <unk>
    [, <bos>, <eos>], then the training words by frequency, ties by first
    appearance), the twin in bench/translate_models.py (GRUSeq2Seq: GRU
    encoder over packed sources and GRU decoder with Luong attention,
    Adam(1e-3); TransformerSeq2Seq: torch.nn.Transformer, Adam(5e-4)),
    cross-entropy ignoring padding, batches of 32 reshuffled every epoch,
    greedy decoding.

BLEU is the same corpus BLEU-4 on both sides (computed here for PyTorch,
by the trainer for nngc). One seed per side per --reps; the sides
initialise with their own generators (the same formulas).

    bench/translate_compare.py [--model gru] [--epochs 10] [--reps 1] [--threads 2]
"""
import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import reexec_for_torch  # noqa: E402
from translate_text import bleu, normalize, read, tokens  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "translation", "eng-fra.txt")
B, S, T, SV, TV = 32, 8, 12, 1300, 2700
# --model: the example and its learning rate (the twins are
# bench/translate_models.py's).
MODELS = {"gru": ("seq2seq_gru_attention", 1e-3), "transformer": ("transformer_translate", 5e-4)}


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(MODELS), default="gru")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--nngc", default=os.path.join(ROOT, "build", "bin", "nngc"))
    p.add_argument("--workdir", default=None)
    p.add_argument("--torch-only", nargs=3, metavar=("TRAIN", "VAL", "SEED"),
                   help="(internal) run the PyTorch side, print its scores as JSON")
    return p.parse_args()


def vocab(texts, size, specials):
    counts, first = collections.Counter(), {}
    for t in texts:
        for w in tokens(t):
            counts[w] += 1
            first.setdefault(w, len(first))
    words = sorted(counts, key=lambda w: (-counts[w], first[w]))
    itos = specials + words[:size - len(specials)]
    return itos, {w: i for i, w in enumerate(itos)}


def torch_side(train_path, val_path, seed, args):
    reexec_for_torch(args.threads)
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    train, val = read(train_path), read(val_path)
    _, sidx = vocab([a for a, _ in train], SV, ["<pad>", "<unk>"])
    titos, tidx = vocab([b for _, b in train], TV, ["<pad>", "<unk>", "<bos>", "<eos>"])

    def enc_src(texts):
        ids = torch.zeros(len(texts), S, dtype=torch.long)
        for r, t in enumerate(texts):
            w = [sidx.get(x, 1) for x in tokens(t)][:S]
            ids[r, :len(w)] = torch.tensor(w)
        return ids

    def enc_tgt(texts):
        tin = torch.zeros(len(texts), T, dtype=torch.long)
        tout = torch.zeros(len(texts), T, dtype=torch.long)
        for r, t in enumerate(texts):
            w = [tidx.get(x, 1) for x in tokens(t)][:T - 1]
            tin[r, 0] = 2
            tin[r, 1:1 + len(w)] = torch.tensor(w, dtype=torch.long)
            tout[r, :len(w)] = torch.tensor(w, dtype=torch.long)
            tout[r, len(w)] = 3
        return tin, tout

    import translate_models
    model = (translate_models.GRUSeq2Seq() if args.model == "gru"
             else translate_models.TransformerSeq2Seq())
    opt = torch.optim.Adam(model.parameters(), lr=MODELS[args.model][1])
    sx = enc_src([a for a, _ in train])
    smask = (sx != 0).float()[..., None]
    tin, tout = enc_tgt([b for _, b in train])
    t0 = time.perf_counter()
    model.train()
    for _ in range(args.epochs):
        order = torch.randperm(len(train))
        for b in range(0, len(train), B):
            i = order[b:b + B]
            logits = model(sx[i], smask[i], tin[i])
            loss = F.cross_entropy(logits.reshape(-1, TV), tout[i].reshape(-1), ignore_index=0)
            opt.zero_grad()
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t0
    refs = collections.defaultdict(list)
    for a, b in val:
        refs[a].append(tokens(b))
    sources = list(refs)
    src = enc_src(sources)
    model.eval()
    out = [[titos[i] for i in row] for row in
           translate_models.greedy(model, src, (src != 0).float()[..., None], T)]
    score = bleu(out, [refs[s] for s in sources])
    exact = sum(o in refs[s] for o, s in zip(out, sources)) / len(sources)
    print(json.dumps({"bleu": score, "exact": exact, "seconds": seconds,
                      "pairs_per_s": args.epochs * len(train) / seconds}))


def main():
    args = parse()
    if args.torch_only:
        return torch_side(args.torch_only[0], args.torch_only[1],
                          int(args.torch_only[2]), args)
    work = args.workdir or tempfile.mkdtemp(prefix="nngc-translate-")
    os.makedirs(work, exist_ok=True)
    lines = [x for x in open(DATA, encoding="utf-8").read().split("\n") if x]
    sources = list(dict.fromkeys(normalize(x.split("\t")[0]) for x in lines))
    random.Random(args.split_seed).shuffle(sources)
    held = set(sources[len(sources) - round(args.val_fraction * len(sources)):])
    train_path, val_path = os.path.join(work, "train.txt"), os.path.join(work, "val.txt")
    with open(train_path, "w", encoding="utf-8") as f:
        f.write("\n".join(x for x in lines if normalize(x.split("\t")[0]) not in held) + "\n")
    with open(val_path, "w", encoding="utf-8") as f:
        f.write("\n".join(x for x in lines if normalize(x.split("\t")[0]) in held) + "\n")
    name = MODELS[args.model][0]
    exe = os.path.join(work, name)
    subprocess.run([args.nngc, "compile",
                    os.path.join(ROOT, "examples", name + ".mlir"), "-o", exe], check=True)
    ours, theirs = [], []
    for seed in range(args.reps):
        log, ckpt = (os.path.join(work, f"{name}-{seed}.{x}") for x in ("jsonl", "safetensors"))
        if os.path.exists(log):
            os.remove(log)
        subprocess.run([exe, "train", "--data", train_path, "--val-split", "0",
                        "--epochs", str(args.epochs), "--eval-every", str(args.epochs),
                        "--seed", str(seed), "--threads", str(args.threads), "--log", log,
                        "--save", ckpt], check=True, stdout=subprocess.DEVNULL)
        rec = [json.loads(x) for x in open(log)][-1]
        ev = subprocess.run([exe, "eval", "--checkpoint", ckpt, "--data", val_path,
                             "--val-split", "0", "--threads", str(args.threads)],
                            check=True, capture_output=True, text=True).stdout
        m = re.search(r"BLEU ([0-9.]+)  exact ([0-9.]+)%", ev)
        ours.append({"bleu": float(m.group(1)) / 100, "exact": float(m.group(2)) / 100,
                     "pairs_per_s": rec["pairs_per_s"]})
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-only",
                              train_path, val_path, str(seed), "--epochs", str(args.epochs),
                              "--model", args.model,
                              "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True).stdout
        theirs.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{name}: {len(sources) - len(held)} training and {len(held)} "
          f"held-out English sentences, {args.epochs} epochs, {args.threads} threads")
    print("| seed | nngc BLEU | PyTorch BLEU | nngc exact | PyTorch exact | nngc pairs/s | "
          "PyTorch pairs/s |")
    print("|---|---|---|---|---|---|---|")
    for s, (o, t) in enumerate(zip(ours, theirs)):
        print(f"| {s} | {100 * o['bleu']:.2f} | {100 * t['bleu']:.2f} | "
              f"{100 * o['exact']:.1f}% | {100 * t['exact']:.1f}% | "
              f"{o['pairs_per_s']:.0f} | {t['pairs_per_s']:.0f} |")
    print(json.dumps({"model": name, "epochs": args.epochs,
                      "threads": args.threads, "nngc": ours, "torch": theirs}))


if __name__ == "__main__":
    sys.exit(main())
