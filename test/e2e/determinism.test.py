"""Compares the losses of two runs' --json records (determinism.test)."""
import json
import os
import sys

work = sys.argv[1]
for name in sys.argv[2:]:
    runs = []
    for k in (1, 2):
        with open(os.path.join(work, f"{name}.{k}")) as f:
            runs.append([(r["step"], r["train_loss"], r.get("val_loss"))
                         for r in map(json.loads, f) if "train_loss" in r])
    same = runs[0] == runs[1] and runs[0]
    print(f"{name}: {len(runs[0])} records, train and validation losses "
          f"{'identical' if same else 'DIFFER: ' + repr(runs)}")
