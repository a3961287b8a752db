"""Starts a long training run, interrupts it with SIGINT once a periodic
checkpoint exists, and checks what it leaves (used by interrupt.test)."""
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time

exe, data, ckpt = sys.argv[1:4]
proc = subprocess.Popen([exe, "train", "--data", data, "--no-header", "--epochs", "100000",
                         "--save", ckpt, "--save-every", "50"], stdout=subprocess.PIPE, text=True)
deadline = time.time() + 120
while not os.path.exists(ckpt) and time.time() < deadline:
    time.sleep(0.05)
time.sleep(0.5)
proc.send_signal(signal.SIGINT)
out, _ = proc.communicate(timeout=60)
print("exit", proc.returncode)
last = out.strip().splitlines()[-1]
print(last)
with open(ckpt, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    meta = json.loads(f.read(n))["__metadata__"]
m = re.search(r"stopped by SIGINT at step (\d+)", last)
if m and int(meta["step"]) == int(m.group(1)):
    print("checkpoint step matches")
else:
    print("checkpoint step", meta["step"], "is not the one in", last)
