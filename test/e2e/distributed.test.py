"""Data-parallel training (distributed.test): N ranks of a --distributed=mpi
trainer with batch B must log the losses one process logs with the global
batch N x B, for an MLP (table data, with a final partial batch that leaves
some ranks without rows), an LSTM and a GPT with dropout (text), a BiLSTM
sentence classifier, an LSTM forecaster and a GRU translator (whose loss
averages over target tokens); a run
resumed with another number of ranks must continue as one process would;
a rank that hangs or dies must end the job with an error, not a hang.

    distributed.test.py NNGC WORKDIR SKLEARN_DATA SHARED_DATA [SUNSPOTS_CSV]
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

NNGC, WORK, SKLEARN, SHARED = sys.argv[1:5]
SUNSPOTS = sys.argv[5] if len(sys.argv) > 5 else None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples"))
from make_gpt import gpt  # noqa: E402

# Containers often forbid the cross-process reads (CMA) Open MPI's
# shared-memory transport uses for large messages: copy through shared
# memory instead, which works everywhere.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1",
           OMPI_MCA_btl_vader_single_copy_mechanism="none")
TOL = 1e-5
DIGITS = ["--data", os.path.join(SKLEARN, "digits.csv.gz"), "--no-header",
          "--val-split", "0.21"]
TEXT = ["--data", os.path.join(SHARED, "tinyshakespeare.txt"), "--eval-every", "10",
        "--eval-batches", "2"]
failures = []


def compile_model(name, text, distributed):
    path = os.path.join(WORK, name + ".mlir")
    with open(path, "w") as f:
        f.write(text)
    exe = os.path.join(WORK, name)
    cmd = [NNGC, "compile", path, "-o", exe]
    if distributed:
        # Small buckets: several all-reduces per step.
        cmd += ["--distributed=mpi", "--bucket-size", "64K"]
    subprocess.run(cmd, check=True)
    return exe


def mpirun(n):
    return ["mpirun", "--bind-to", "none", "-np", str(n)]


def records(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=ENV).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def compare(what, ref, got, keys):
    worst, n = 0.0, 0
    for a, b in zip(ref, got):
        for k in keys:
            if k in a:
                if k not in b:
                    failures.append(f"{what}: {k} missing")
                    continue
                worst = max(worst, abs(a[k] - b[k]) / max(abs(a[k]), 1e-30))
                n += 1
    ok = len(ref) == len(got) and n > 0 and worst <= TOL
    print(f"{what}: {len(got)} records, {n} losses, worst relative difference "
          f"{worst:.1e} {'<=' if ok else 'NOT <='} {TOL:g}")
    if not ok:
        failures.append(what)


# MLP on sklearn's digits: 1420 training rows, 44 global batches of 32 and
# one of 12 (N = 2: 12 and 0 rows; N = 4: 8, 4, 0, 0).
mlp = open(os.path.join(ROOT, "examples", "mlp_digits.mlir")).read()
assert "32x" in mlp
one = compile_model("mlp32", mlp, False)
run = DIGITS + ["--epochs", "2", "--seed", "3", "--threads", "1", "--json"]
ref = records([one, "train"] + run)
for n, b in ((2, 16), (4, 8)):
    exe = compile_model(f"mlp{b}_dp", mlp.replace("32x", f"{b}x"), True)
    compare(f"mlp, {n} ranks x batch {b} vs 1 x {n * b}", ref,
            records(mpirun(n) + [exe, "train"] + run),
            ["train_loss", "val_loss", "val_accuracy"])

# Character LSTM: 2 ranks x batch 8 and 4 x 4 vs 1 x 16, 20 steps.
lstm = open(os.path.join(ROOT, "examples", "char_lstm.mlir")).read()
one = compile_model("lstm16", lstm.replace("32x", "16x"), False)
run = TEXT + ["--steps", "20", "--seed", "3", "--threads", "1", "--json"]
ref = records([one, "train"] + run)
for n, b in ((2, 8), (4, 4)):
    dp = compile_model(f"lstm{b}_dp", lstm.replace("32x", f"{b}x"), True)
    compare(f"char_lstm, {n} ranks x batch {b} vs 1 x 16", ref,
            records(mpirun(n) + [dp, "train"] + run), ["train_loss", "val_loss"])

# The sentence classifier (a BiLSTM over masked, padded sentences) and
# the forecaster (an LSTM on sunspot windows) shard epochs as the table
# trainer does.
def batch_of(text, old, new):
    return re.sub(rf"(?<![0-9]){old}x", f"{new}x", text)


bil = open(os.path.join(ROOT, "examples", "bilstm_sentiment.mlir")).read()
one = compile_model("bil32", bil, False)
dp = compile_model("bil16_dp", batch_of(bil, 32, 16), True)
sentences = ["--data", os.path.join(SHARED, "sentiment", "yelp_labelled.txt"),
             "--val-split", "0.1", "--epochs", "1", "--seed", "3", "--threads", "1",
             "--json"]
compare("bilstm_sentiment, 2 ranks x batch 16 vs 1 x 32",
        records([one, "train"] + sentences),
        records(mpirun(2) + [dp, "train"] + sentences), ["train_loss", "val_loss"])
if SUNSPOTS and os.path.exists(SUNSPOTS):
    fc = open(os.path.join(ROOT, "examples", "lstm_forecast.mlir")).read()
    one = compile_model("fc16", fc, False)
    dp = compile_model("fc8_dp", batch_of(fc, 16, 8), True)
    series = ["--data", SUNSPOTS, "--column", "SUNACTIVITY", "--epochs", "2", "--seed",
              "3", "--threads", "1", "--json"]
    compare("lstm_forecast, 2 ranks x batch 8 vs 1 x 16",
            records([one, "train"] + series),
            records(mpirun(2) + [dp, "train"] + series), ["train_loss", "val_loss"])

# The GRU translator with attention: its loss averages over target
# tokens, so each rank weighs its gradients by its share of the global
# batch's tokens (700 pairs: 20 steps of 32, 2 ranks x 16).
pairs = os.path.join(WORK, "pairs.txt")
with open(os.path.join(SHARED, "translation", "eng-fra.txt")) as f, open(pairs, "w") as out:
    out.writelines(f.readlines()[:700])
s2s = open(os.path.join(ROOT, "examples", "seq2seq_gru_attention.mlir")).read()
one = compile_model("s2s32", s2s, False)
dp = compile_model("s2s16_dp", batch_of(s2s, 32, 16), True)
translate = ["--data", pairs, "--epochs", "1", "--seed", "3", "--threads", "1", "--json"]
compare("seq2seq_gru_attention, 2 ranks x batch 16 vs 1 x 32",
        records([one, "train"] + translate),
        records(mpirun(2) + [dp, "train"] + translate), ["train_loss", "val_loss", "val_bleu"])

# A small GPT with dropout 0.1 (embeddings, attention, residuals): the
# ranks draw the masks the global batch's rows get in one process.
def small_gpt(batch):
    return gpt("gpt_dp", dict(n_layer=2, n_head=2, n_embd=32, block=32, batch=batch,
                              dropout=0.1, lr=1e-3, min_lr=1e-4, warmup=5,
                              decay_steps=40, doc="// distributed.test\n"))


one8 = compile_model("gpt8", small_gpt(8), False)
one4 = compile_model("gpt4", small_gpt(4), False)
ref = records([one8, "train"] + run)
for n, b in ((2, 4), (4, 2)):
    exe = compile_model(f"gpt{b}_dp", small_gpt(b), True)
    compare(f"gpt (dropout 0.1), {n} ranks x batch {b} vs 1 x {n * b}", ref,
            records(mpirun(n) + [exe, "train"] + run), ["train_loss", "val_loss"])

# Resumed with another number of ranks: 10 steps on 2 ranks x 4, then 10
# more as one process (batch 4), against one process with batch 8, then
# one with batch 4.
dp4 = os.path.join(WORK, "gpt4_dp")
first = TEXT + ["--seed", "3", "--threads", "1", "--json", "--steps", "10", "--save"]
records(mpirun(2) + [dp4, "train"] + first + [os.path.join(WORK, "dp.safetensors")])
records([one8, "train"] + first + [os.path.join(WORK, "one.safetensors")])
more = TEXT + ["--threads", "1", "--json", "--steps", "20", "--resume"]
got = records([dp4, "train"] + more + [os.path.join(WORK, "dp.safetensors")])
ref = records([one4, "train"] + more + [os.path.join(WORK, "one.safetensors")])
compare("gpt resumed: 2 ranks then 1 vs batch 8 then 4", ref, got,
        ["train_loss", "val_loss"])


def rank_pid(exe, rank):
    """The pid of `exe`'s process of MPI rank `rank`."""
    out = subprocess.run(["pgrep", "-f", exe], capture_output=True, text=True).stdout
    for pid in out.split():
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(pid)
    return None


# A rank that hangs (stopped) or dies (killed) mid-run.
dp16 = os.path.join(WORK, "mlp16_dp")
long_run = DIGITS + ["--epochs", "100000", "--threads", "1", "--quiet"]
for how, sig in (("hangs", signal.SIGSTOP), ("dies", signal.SIGKILL)):
    job = subprocess.Popen(mpirun(2) + ["-x", "NNGC_COLLECTIVE_TIMEOUT=5", dp16, "train"]
                           + long_run, env=ENV, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    pid = None
    for _ in range(100):
        time.sleep(0.1)
        pid = rank_pid(dp16, 1)
        if pid:
            break
    time.sleep(1.0)  # well into training
    if pid:
        os.kill(pid, sig)
    t0 = time.time()
    try:
        _, err = job.communicate(timeout=60)
        seconds = time.time() - t0
    except subprocess.TimeoutExpired:
        job.kill()
        _, err = job.communicate()
        seconds = None
    for p in filter(None, [rank_pid(dp16, 0), rank_pid(dp16, 1)]):
        os.kill(p, signal.SIGKILL)
    told = ("no answer from the other ranks" in err if how == "hangs"
            else "signal 9" in err or "Killed" in err or "no answer" in err)
    ok = pid is not None and seconds is not None and job.returncode != 0 and told
    print(f"a rank that {how}: the job "
          + ("ended with status %d in %.0f s, saying why" % (job.returncode, seconds)
             if ok else "did NOT end as it should: " + repr((pid, seconds, job.returncode,
                                                             err[-2000:]))))
    if not ok:
        failures.append(f"a rank that {how}")

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all data-parallel checks passed")
