#!/usr/bin/python3
"""nngc vs PyTorch: nanoGPT's shakespeare_char CPU recipe (gpt_tiny), trained
for real on tinyshakespeare, compared by validation loss and wall time.

  * nngc: examples/gpt_tiny.mlir, `train --data tinyshakespeare.txt --steps N`
    (90/10 split as nanoGPT, random windows, AdamW groups, clipping 1.0,
    warm-up 100 then cosine to 1e-4 over N steps);
  * PyTorch: ../shared/bench/ref_models.py's GPT and gpt_adamw with the loop
    of its train_char_gpt (the same recipe, seed 1337).

Both validation losses are means over --eval-batches random batches of 12
windows of the last 10% (nanoGPT's estimate_loss uses 20; more batches make
the comparison less noisy). The two runs use one thread count and run one
after the other.

    bench/gpt_tiny_shakespeare.py [--steps 2000] [--threads 2]
"""
import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import reexec_for_torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
TEXT = os.path.join(SHARED, "data", "tinyshakespeare.txt")


def run_nngc(args):
    exe = os.path.join(args.workdir, "gpt_tiny")
    subprocess.run([os.path.join(ROOT, "build", "bin", "nngc"), "compile",
                    os.path.join(ROOT, "examples", "gpt_tiny.mlir"), "-o", exe], check=True)
    t0 = time.perf_counter()
    out = subprocess.run([exe, "train", "--data", TEXT, "--steps", str(args.steps),
                          "--eval-every", "0", "--eval-batches", str(args.eval_batches),
                          "--threads", str(args.threads), "--seed", "1337"],
                         check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    m = re.search(r"train loss ([0-9.]+)\s+val loss ([0-9.]+)", out)
    return {"val_loss": float(m.group(2)), "mean_train_loss": float(m.group(1)),
            "wall_s": wall, "log": out.strip().splitlines()[-2:]}


def run_torch(args):
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.join(SHARED, "bench"))
    import ref_models
    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)
    cfg = ref_models.GPT_CONFIGS["gpt_tiny"]
    B, T = cfg["batch"], cfg["block_size"]
    lr, min_lr, warmup, iters = 1e-3, 1e-4, 100, args.steps
    text = open(TEXT, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    splits = {"train": data[:n], "val": data[n:]}

    def get_batch(split):
        d = splits[split]
        ix = torch.randint(len(d) - T, (B,))
        return (torch.stack([d[i:i + T] for i in ix]),
                torch.stack([d[i + 1:i + 1 + T] for i in ix]))

    def get_lr(it):
        if it < warmup:
            return lr * (it + 1) / (warmup + 1)
        if it > iters:
            return min_lr
        ratio = (it - warmup) / (iters - warmup)
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)

    model = ref_models.GPT(len(chars), cfg["n_layer"], cfg["n_head"], cfg["n_embd"], T,
                           dropout=0.0)
    opt = ref_models.gpt_adamw(model, lr=lr, weight_decay=0.1)
    t0 = time.perf_counter()
    for it in range(iters):
        for g in opt.param_groups:
            g["lr"] = get_lr(it)
        loss = ref_models.lm_loss(model, get_batch("train"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_wall = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        val = statistics.mean(ref_models.lm_loss(model, get_batch("val")).item()
                              for _ in range(args.eval_batches))
    return {"val_loss": val, "last_train_loss": loss.item(),
            "wall_s": time.perf_counter() - t0, "train_wall_s": train_wall}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-batches", type=int, default=200)
    ap.add_argument("--workdir", default="/tmp/nngc-gpt-bench")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "gpt_tiny_shakespeare.jsonl"))
    args = ap.parse_args()
    reexec_for_torch(args.threads)
    os.makedirs(args.workdir, exist_ok=True)
    ours = run_nngc(args)
    ref = run_torch(args)
    rec = {"bench": "gpt_tiny_shakespeare", "steps": args.steps, "threads": args.threads,
           "eval_batches": args.eval_batches, "nngc": ours, "pytorch": ref,
           "val_loss_diff": ours["val_loss"] - ref["val_loss"],
           "wall_ratio_torch_over_nngc": ref["wall_s"] / ours["wall_s"]}
    print(json.dumps(rec))
    with open(args.out, "a") as f:
        f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
