#!/usr/bin/python3
"""nngc vs PyTorch: the same character language model trained on the same
text, for the same steps, compared by validation loss.

Both sides train ../shared/bench/ref_models.py's CharRNN configuration (the
nngc side is bench/models/char_lstm.mlir or char_gru.mlir, the same layers,
initialiser distributions and Adam(lr = 2e-3)) on one text:

  * vocabulary: the sorted distinct bytes of the whole text (nngc's
    `--tokenizer char`);
  * split: the last 10% of the text is validation (nngc's `--val-split 0.1`,
    nanoGPT's split);
  * each step: B random windows of T + 1 tokens of the training part;
  * evaluation every --eval-every steps: the mean loss over --eval-batches
    batches of random validation windows, the same windows at every
    evaluation (each side draws its own).

Random streams differ (initial weights, windows), so the curves agree only
statistically; --tolerance bounds the final validation losses' difference.

    bench/char_lm_curve.py --text ../shared/data/tinyshakespeare.txt --steps 2000

Prints both curves as a table and one JSON line; exits 1 when the final
validation losses differ by more than --tolerance.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_env import reexec_for_torch  # noqa: E402
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(ROOT, "..", "shared", "bench")


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--text", default=os.path.join(ROOT, "..", "shared", "data",
                                                   "tinyshakespeare.txt"))
    p.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--eval-batches", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=0.03)
    p.add_argument("--nngc", default=os.path.join(ROOT, "build", "bin", "nngc"))
    p.add_argument("--workdir", default=None)
    p.add_argument("--torch-only", action="store_true",
                   help="(internal) run the PyTorch side, print its curve as JSON")
    return p.parse_args()


def torch_curve(args):
    """The PyTorch side, in a process whose BLAS and threads are set."""
    reexec_for_torch(args.threads)
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, REF)
    from ref_models import CharRNN  # the reference's own module

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = open(args.text, "rb").read()
    chars = sorted(set(data))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in data], dtype=torch.long)
    cut = int(len(data) * 0.9)
    train, val = ids[:cut], ids[cut:]
    B, T = 32, 64
    model = CharRNN(args.cell, len(chars))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def windows(stream, gen):
        ix = torch.randint(len(stream) - T - 1, (B,), generator=gen)
        x = torch.stack([stream[i:i + T] for i in ix])
        y = torch.stack([stream[i + 1:i + 1 + T] for i in ix])
        return x, y

    def loss_of(x, y):
        logits = model(x)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))

    @torch.no_grad()
    def val_loss():
        model.eval()
        gen = torch.Generator().manual_seed(args.seed ^ 0xe7a1)
        v = sum(loss_of(*windows(val, gen)).item() for _ in range(args.eval_batches))
        model.train()
        return v / args.eval_batches

    gen = torch.Generator().manual_seed(args.seed * 7919 + 1)
    curve, t0 = [], time.perf_counter()
    for step in range(1, args.steps + 1):
        loss = loss_of(*windows(train, gen))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % args.eval_every == 0 or step == args.steps:
            curve.append({"step": step, "val_loss": val_loss(),
                          "seconds": time.perf_counter() - t0})
    print(json.dumps({"vocab": len(chars), "curve": curve}))


def main():
    args = parse()
    if args.torch_only:
        return torch_curve(args)
    work = args.workdir or tempfile.mkdtemp(prefix="nngc-charlm-")
    os.makedirs(work, exist_ok=True)
    exe = os.path.join(work, f"char_{args.cell}")
    subprocess.run([args.nngc, "compile",
                    os.path.join(ROOT, "bench", "models", f"char_{args.cell}.mlir"),
                    "-o", exe], check=True)
    log = os.path.join(work, "nngc.jsonl")
    if os.path.exists(log):
        os.remove(log)
    subprocess.run([exe, "train", "--data", args.text, "--steps", str(args.steps),
                    "--eval-every", str(args.eval_every),
                    "--eval-batches", str(args.eval_batches),
                    "--threads", str(args.threads), "--seed", str(args.seed),
                    "--log", log], check=True, stdout=subprocess.DEVNULL)
    ours = [json.loads(line) for line in open(log)]
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-only",
                          "--text", args.text, "--cell", args.cell,
                          "--steps", str(args.steps), "--eval-every", str(args.eval_every),
                          "--eval-batches", str(args.eval_batches),
                          "--threads", str(args.threads), "--seed", str(args.seed)],
                         check=True, capture_output=True, text=True).stdout
    theirs = json.loads(out.strip().splitlines()[-1])["curve"]
    print(f"char_{args.cell} on {os.path.basename(args.text)}, {args.steps} steps, "
          f"{args.threads} threads")
    print("| step | nngc val loss | PyTorch val loss | difference |")
    print("|---|---|---|---|")
    for a, b in zip(ours, theirs):
        assert a["step"] == b["step"], (a, b)
        print(f"| {a['step']} | {a['val_loss']:.4f} | {b['val_loss']:.4f} | "
              f"{a['val_loss'] - b['val_loss']:+.4f} |")
    final = ours[-1]["val_loss"] - theirs[-1]["val_loss"]
    result = {"model": f"char_{args.cell}", "steps": args.steps,
              "nngc_final_val": ours[-1]["val_loss"],
              "torch_final_val": theirs[-1]["val_loss"], "difference": final,
              "nngc_seconds": ours[-1]["seconds"], "torch_seconds": theirs[-1]["seconds"],
              "tolerance": args.tolerance,
              "nngc_curve": [(a["step"], a["val_loss"]) for a in ours],
              "torch_curve": [(b["step"], b["val_loss"]) for b in theirs]}
    print(json.dumps(result))
    if abs(final) > args.tolerance:
        print(f"FAIL: final validation losses differ by {final:+.4f} "
              f"(tolerance {args.tolerance})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
