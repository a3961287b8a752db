#!/usr/bin/python3
"""Data-parallel training on this machine: one process with 2 threads
against 2 MPI ranks with 1 thread each, on the same global batch.

For each model, compiles the example at its batch B (one process) and at
B/2 with --distributed=mpi, then runs `bench` alternately --reps times:

  * 1 x 2 threads, batch B;
  * mpirun -np 2, 1 thread per rank, batch B/2 each, the all-reduces
    overlapped with the backward pass (the compiled schedule);
  * the same with `bench --no-overlap` (each all-reduce waited for as soon
    as it starts).

It prints the medians of the step times and, from the ranks' timestamps
(rank 0's `all_reduce` figures): the gradient bytes a step all-reduces, the
time they are in flight, the time the step is blocked waiting for them, and
the share of the in-flight time the backward pass hid (1 - blocked / in
flight); and, as a second measure of the same thing, the time overlap saves
against --no-overlap over the time --no-overlap spends blocked.

    bench/distributed_compare.py [--reps 5] [--configs gpt_tiny,char_lstm,mlp]
                                 [--out results.jsonl]
"""
import argparse
import json
import os
import re
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = {
    # name: (model, batch, bench steps)
    "gpt_tiny": ("examples/gpt_tiny.mlir", 12, 60),
    "char_lstm": ("examples/char_lstm.mlir", 32, 40),
    "mlp": ("bench/models/mlp.mlir", 128, 300),
}
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=ENV).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--nngc", default=os.path.join(ROOT, "build", "bin", "nngc"))
    p.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench"))
    p.add_argument("--out", help="append one JSON line per configuration")
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print("| model | global batch | 1 x 2 threads ms | 2 ranks x 1 thread ms | ratio "
          "| no-overlap ms | all-reduce MiB/step | in flight ms | blocked ms "
          "| hidden (timestamps) | hidden (vs no-overlap) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.configs.split(","):
        model, batch, steps = CONFIGS[name]
        with open(os.path.join(ROOT, model)) as f:
            text = f.read()
        half = re.sub(rf"(?<![0-9]){batch}x", f"{batch // 2}x", text)
        one = os.path.join(args.workdir, f"{name}-dp1")
        two = os.path.join(args.workdir, f"{name}-dp2")
        src = two + ".mlir"
        with open(src, "w") as f:
            f.write(half)
        subprocess.run([args.nngc, "compile", os.path.join(ROOT, model), "-o", one],
                       check=True)
        subprocess.run([args.nngc, "compile", src, "--distributed=mpi", "-o", two],
                       check=True)
        bench = ["bench", "--steps", str(steps), "--warmup", str(max(2, steps // 10))]
        mpi = ["mpirun", "-np", "2", "--bind-to", "core", two] + bench + ["--threads", "1"]
        singles, overlapped, serial = [], [], []
        for _ in range(args.reps):
            singles.append(run_json([one] + bench + ["--threads", "2"]))
            overlapped.append(run_json(mpi))
            serial.append(run_json(mpi + ["--no-overlap"]))

        def med(runs, f):
            return statistics.median(f(r) for r in runs)

        a = med(singles, lambda r: r["step_ms"]["median"])
        b = med(overlapped, lambda r: r["step_ms"]["median"])
        c = med(serial, lambda r: r["step_ms"]["median"])
        mib = med(overlapped, lambda r: r["all_reduce"]["mib_per_step"])
        flight = med(overlapped, lambda r: r["all_reduce"]["in_flight_ms_per_step"])
        blocked = med(overlapped, lambda r: r["all_reduce"]["blocked_ms_per_step"])
        serial_blocked = med(serial, lambda r: r["all_reduce"]["blocked_ms_per_step"])
        hidden = 1 - blocked / flight if flight > 0 else 0
        saved = (c - b) / serial_blocked if serial_blocked > 0 else 0
        print(f"| {name} | {batch} | {a:.2f} | {b:.2f} | {a / b:.2f}x | {c:.2f} "
              f"| {mib:.2f} | {flight:.2f} | {blocked:.2f} | {100 * hidden:.0f}% "
              f"| {100 * saved:.0f}% |", flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps({
                    "config": name, "global_batch": batch, "reps": args.reps,
                    "one_process_2_threads_ms": a, "two_ranks_1_thread_ms": b,
                    "two_ranks_no_overlap_ms": c, "all_reduce_mib_per_step": mib,
                    "in_flight_ms": flight, "blocked_ms": blocked,
                    "no_overlap_blocked_ms": serial_blocked,
                    "hidden_by_timestamps": hidden, "hidden_vs_no_overlap": saved,
                    "runs": {"one": [r["step_ms"]["median"] for r in singles],
                             "two": [r["step_ms"]["median"] for r in overlapped],
                             "two_no_overlap": [r["step_ms"]["median"] for r in serial]},
                }) + "\n")


if __name__ == "__main__":
    main()
