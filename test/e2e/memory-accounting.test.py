"""Checks a bench run's peak RSS against the compile report's plan.

    memory-accounting.test.py REPORT.json BENCH.jsonl [KEPT_TOLERANCE_MIB]

With KEPT_TOLERANCE_MIB, the primitives must hold what the plan counts for
them to within that many MiB.
"""
import json
import sys

report = json.load(open(sys.argv[1]))
bench = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
planned = report["memory"]["total"] / 2**20
held, kept = bench["primitive_mib"], bench["planned_kept_mib"]
rss = bench["peak_rss_mib"]
failed = False
if len(sys.argv) > 3:
    tol = float(sys.argv[3])
    ok = abs(held - kept) <= tol
    failed |= not ok
    print(f"{'ok' if ok else 'FAIL'}: primitives hold {held:.1f} MiB, "
          f"the plan counts {kept:.1f} MiB")
unplanned = max(0.0, held - kept)
overhead = rss - planned - unplanned
# bench's printed figures are rounded to 0.1 MiB.
ok = -0.5 <= overhead <= 40
failed |= not ok
print(f"{'ok' if ok else 'FAIL'}: RSS {rss:.1f} MiB = planned {planned:.1f} + "
      f"unplanned {unplanned:.1f} + overhead {overhead:.1f} MiB")
sys.exit(1 if failed else 0)
