#!/usr/bin/python3
"""nngc vs PyTorch on the same model configurations, in one run.

For each configuration and thread count, runs the compiled nngc trainer's
`bench` at -O2 and at -O0 and the PyTorch twin alternately, --reps times
each, and reports the medians, the throughput ratios (-O2 over -O0, nngc
over PyTorch), the memory nngc planned (`nngc compile --report`: parameters,
gradients, optimizer state, arena, primitives' workspace), what the
primitives hold at run time beyond it (`bench`'s primitive_mib less the
plan's count: the recurrent layers' oneDNN workspace, scratchpad and weight
copies, which the plan does not count), the peak RSS measured on both sides
and what nngc's RSS holds beyond both (the runtime's fixed overhead: code,
oneDNN, OpenMP, the data of `bench`). The machine is shared and
noisy: only medians of interleaved runs are quoted. The twins are
bench/torch_mlp.py for the MLPs and ../shared/bench/ref_models.py itself
for the recurrent models (char_lstm, char_gru, bilstm_cls; bench/models/
holds the same configurations in nngc's dialect), gpt_tiny
(examples/gpt_tiny.mlir), encoder_cls (bench/models/encoder_cls.mlir,
dropout 0.1 on both sides) and gpt_small (examples/gpt_small.mlir run with
--dropout 0, as the reference runs it). For those, the nngc
column also gives the per-step time spent converting recurrent weights and
gradients between PyTorch's layout and oneDNN's ("pack ms").

PyTorch runs under each OpenBLAS setting of --torch-blas (default both of
ref_models.py's: the kernels OpenBLAS picks for the CPU it detects, and its
AVX2 kernels), interleaved with the nngc runs, and the table compares with
the faster one's median ("PyTorch BLAS" names it). Which is faster depends
on the machine: on an Intel Sapphire Rapids core OpenBLAS 0.3.21 detects
Cooperlake, and those kernels made the mlp 2.3x slower than its AVX2 ones.

    bench/compare_torch.py [--reps 5] [--threads 1,2] [--configs mlp,char_lstm]
                           [--torch-blas openblas,openblas-haswell] [--out results.jsonl]
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
    # ref_models.py's own workloads: (nngc model, ("ref", name, steps)).
    "char_lstm": ("bench/models/char_lstm.mlir", ("ref", "char_lstm", 40)),
    "char_gru": ("bench/models/char_gru.mlir", ("ref", "char_gru", 40)),
    "bilstm_cls": ("bench/models/bilstm_cls.mlir", ("ref", "bilstm_cls", 60)),
    "gpt_tiny": ("examples/gpt_tiny.mlir", ("ref", "gpt_tiny", 60)),
    "encoder_cls": ("bench/models/encoder_cls.mlir", ("ref", "encoder_cls", 15)),
    # ref_models.py runs gpt_small at dropout 0: so does the nngc side.
    "gpt_small": ("examples/gpt_small.mlir", ("ref", "gpt_small", 3), ["--dropout", "0"]),
}
REF = os.path.join(ROOT, "..", "shared", "bench", "ref_models.py")


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
    p.add_argument("--torch-blas", default="openblas,openblas-haswell",
                   help="PyTorch's OpenBLAS settings to try; the faster one is compared")
    p.add_argument("--out", help="append one JSON line per configuration")
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print("| model | threads | -O2 step ms | -O0 step ms | -O2/-O0 | of which pack ms "
          "| PyTorch step ms | PyTorch BLAS | speed-up | planned MiB | unplanned MiB | nngc RSS MiB "
          "| overhead MiB | PyTorch RSS MiB | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.configs.split(","):
        model, torch_args, *extra = CONFIGS[name]
        extra = extra[0] if extra else []
        exe = {}
        for level in (2, 0):
            exe[level] = os.path.join(args.workdir, f"{name}-O{level}")
            report = exe[level] + ".report.json"
            subprocess.run([args.nngc, "compile", os.path.join(ROOT, model), f"-O{level}",
                            "-o", exe[level], "--report=json", "--report-file", report],
                           check=True)
            if level == 2:
                with open(report) as f:
                    planned = json.load(f)["memory"]["total"] / 2**20
        for t in (int(x) for x in args.threads.split(",")):
            blases = args.torch_blas.split(",")
            ours, ours0, theirs = [], [], {b: [] for b in blases}
            ref = isinstance(torch_args, tuple)
            steps = torch_args[2] if ref else args.steps
            warmup = max(1, steps // 10) if ref else 20
            bench = ["bench", "--threads", str(t), "--steps", str(steps),
                     "--warmup", str(warmup)] + extra
            for _ in range(args.reps):
                ours.append(run_json([exe[2]] + bench))
                ours0.append(run_json([exe[0]] + bench))
                for blas in blases:
                    twin = ([REF, torch_args[1]] if ref else
                            [os.path.join(ROOT, "bench", "torch_mlp.py")] + torch_args)
                    theirs[blas].append(run_json(
                        ["/usr/bin/python3"] + twin + ["--threads", str(t), "--steps",
                                                       str(steps), "--blas", blas]))
            a = statistics.median(r["step_ms"]["median"] for r in ours)
            a0 = statistics.median(r["step_ms"]["median"] for r in ours0)
            torch_ms = {blas: statistics.median(r["step_ms"]["median"] for r in runs)
                        for blas, runs in theirs.items()}
            best = min(torch_ms, key=torch_ms.get)
            b = torch_ms[best]
            ra = max(r["peak_rss_mib"] for r in ours)
            rb = max(r["peak_rss_mib"] for r in theirs[best])
            pack = statistics.median(r.get("rnn_pack_ms_per_step", 0) for r in ours)
            # What the primitives hold at run time beyond what the plan
            # counts for them (the recurrent layers' oneDNN workspace,
            # scratchpad and weight copies); the rest of RSS over the plan
            # is the runtime's fixed overhead.
            unplanned = max(0.0, ours[0].get("primitive_mib", 0)
                            - ours[0].get("planned_kept_mib", 0))
            print(f"| {name} | {t} | {a:.3f} | {a0:.3f} | {a0 / a:.2f}x | {pack:.3f} "
                  f"| {b:.3f} | {best} | {b / a:.2f}x | {planned:.1f} | {unplanned:.1f} | {ra:.0f} "
                  f"| {ra - planned - unplanned:.0f} | {rb:.0f} | {ra / rb:.2f}x |")
            sys.stdout.flush()
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps({"config": name, "threads": t, "reps": args.reps,
                                        "nngc_step_ms": a, "nngc_O0_step_ms": a0,
                                        "torch_step_ms": b, "torch_blas": best,
                                        "torch_step_ms_by_blas": torch_ms,
                                        "speedup": b / a,
                                        "speedup_O2_over_O0": a0 / a,
                                        "nngc_planned_mib": planned,
                                        "nngc_unplanned_mib": unplanned,
                                        "nngc_rss_mib": ra,
                                        "nngc_rnn_pack_ms": pack,
                                        "torch_rss_mib": rb,
                                        "nngc_runs": [r["step_ms"]["median"] for r in ours],
                                        "nngc_O0_runs": [r["step_ms"]["median"]
                                                         for r in ours0],
                                        "torch_runs": {blas: [r["step_ms"]["median"]
                                                              for r in runs]
                                                       for blas, runs in theirs.items()}})
                            + "\n")


if __name__ == "__main__":
    main()
