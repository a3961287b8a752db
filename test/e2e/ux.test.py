"""Every example (but gpt_small, whose step takes 11 s) trains for a few
steps with its stderr on a pseudo-terminal and --log; the live progress
line must show the step, the loss, the throughput, the learning rate and
the ETA, the log must hold records, and `plot` must draw them (ux.test).

Usage: ux.test.py NNGC SRC SHARED_DATA SKLEARN_DATA SUNSPOTS_CSV WORKDIR"""
import json
import os
import pty
import re
import subprocess
import sys

nngc, src, shared, sk, sunspots, work = sys.argv[1:7]
text = os.path.join(shared, "tinyshakespeare.txt")
lm = ["--data", text, "--steps", "4", "--eval-every", "2", "--eval-batches", "1"]
sent = ["--data", os.path.join(shared, "sentiment", "amazon_cells_labelled.txt"),
        "--val-split", "0.2", "--epochs", "1"]
EXAMPLES = {
    "mlp_digits": ["--data", os.path.join(sk, "digits.csv.gz"), "--no-header",
                   "--val-split", "0.2", "--epochs", "2"],
    "mlp_breast_cancer": ["--data", os.path.join(sk, "breast_cancer.csv"), "--skip-rows", "1",
                          "--no-header", "--val-split", "0.2", "--standardize", "--epochs", "2"],
    "mlp_diabetes": ["--data", os.path.join(sk, "diabetes_data_raw.csv.gz"), "--delimiter",
                     "whitespace", "--no-header", "--label-file",
                     os.path.join(sk, "diabetes_target.csv.gz"), "--label-column", "0",
                     "--val-split", "0.2", "--standardize", "--epochs", "2"],
    "char_lstm": lm, "char_gru": lm, "gpt_tiny": lm,
    "word_lstm": lm + ["--tokenizer", "word"],
    "bilstm_sentiment": sent, "encoder_sentiment": sent,
    "lstm_forecast": ["--data", sunspots, "--column", "SUNACTIVITY", "--epochs", "2",
                      "--eval-every", "1"],
}
progress = re.compile(r"\r(epoch \d+ )?step \d+/\d+  loss [0-9.]+(  val [0-9.]+)?  "
                      r"\d+ (rows|tokens|sentences|windows)/s  lr [0-9.e-]+(  ETA \d+m\d\ds)?")
bad = 0
for name, opts in EXAMPLES.items():
    exe, log, svg = (os.path.join(work, name + s) for s in ("", ".jsonl", ".svg"))
    subprocess.run([nngc, "compile", os.path.join(src, "examples", name + ".mlir"),
                    "-o", exe], check=True)
    master, slave = pty.openpty()
    p = subprocess.Popen([exe, "train", "--threads", "2", "--log", log] + opts,
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    out = p.communicate()[0].decode()
    os.close(master)
    lines = progress.findall(tty.decode(errors="replace"))
    eta = "ETA" in tty.decode(errors="replace")
    records = [json.loads(l) for l in open(log)]
    plot = subprocess.run([exe, "plot", log, "-o", svg], capture_output=True, text=True)
    ok = (p.returncode == 0 and lines and eta and records and plot.returncode == 0
          and os.path.getsize(svg) > 1000 and "\x1b[K" not in out)
    bad += not ok
    print(f"{name}: exit {p.returncode}, {len(lines)} progress lines"
          f"{' with ETA' if eta else ''}, {len(records)} log records, "
          f"plot: {plot.stdout.strip().split(': ', 1)[-1] or plot.stderr.strip()}"
          f"{'' if ok else '  <- FAILED'}")
print("failed", bad)
