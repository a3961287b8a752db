#!/usr/bin/python3
"""nngc vs PyTorch on the same MLP configurations, in one run.

For each configuration and thread count, runs the compiled nngc trainer's
`bench` and the PyTorch twin (bench/torch_mlp.py) alternately, --reps times
each, and reports the medians, the throughput ratio and peak RSS. The
machine is shared and noisy: only medians of interleaved runs are quoted.

    bench/compare_torch.py [--reps 5] [--threads 1,2] [--out results.jsonl]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = {
    # name: (nngc model, torch_mlp.py arguments)
    "mlp_digits": ("examples/mlp_digits.mlir",
                   ["--layers", "64,128,10", "--batch", "32", "--optimizer", "adam",
                    "--lr", "1e-3"]),
    "mlp": ("bench/models/mlp.mlir",
            ["--layers", "784,512,512,10", "--batch", "128", "--optimizer", "sgd",
             "--lr", "0.01", "--momentum", "0.9"]),
}


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--nngc", default=os.path.join(ROOT, "build", "bin", "nngc"))
    p.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench"))
    p.add_argument("--out", help="append one JSON line per configuration")
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print("| model | threads | nngc step ms | PyTorch step ms | speed-up | nngc RSS MiB | PyTorch RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for name in args.configs.split(","):
        model, torch_args = CONFIGS[name]
        exe = os.path.join(args.workdir, name)
        subprocess.run([args.nngc, "compile", os.path.join(ROOT, model), "-o", exe],
                       check=True)
        for t in (int(x) for x in args.threads.split(",")):
            ours, theirs = [], []
            for _ in range(args.reps):
                ours.append(run_json([exe, "bench", "--threads", str(t),
                                      "--steps", str(args.steps)]))
                theirs.append(run_json(["/usr/bin/python3",
                                        os.path.join(ROOT, "bench", "torch_mlp.py"),
                                        "--threads", str(t), "--steps", str(args.steps)]
                                       + torch_args))
            a = statistics.median(r["step_ms"]["median"] for r in ours)
            b = statistics.median(r["step_ms"]["median"] for r in theirs)
            ra = max(r["peak_rss_mib"] for r in ours)
            rb = max(r["peak_rss_mib"] for r in theirs)
            print(f"| {name} | {t} | {a:.3f} | {b:.3f} | {b / a:.2f}x | {ra:.0f} | {rb:.0f} |")
            sys.stdout.flush()
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps({"config": name, "threads": t, "reps": args.reps,
                                        "nngc_step_ms": a, "torch_step_ms": b,
                                        "speedup": b / a, "nngc_rss_mib": ra,
                                        "torch_rss_mib": rb,
                                        "nngc_runs": [r["step_ms"]["median"] for r in ours],
                                        "torch_runs": [r["step_ms"]["median"] for r in theirs]})
                            + "\n")


if __name__ == "__main__":
    main()
