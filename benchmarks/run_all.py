"""`make bench`: every benchmark and evaluation, one after the other, at full size.

    python benchmarks/run_all.py [--quick]

Each script prints its own ratios against a baseline measured in the same run;
--quick runs them at a size that finishes in a few minutes.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = [
    ["bench_cycle.py", "--feeds", "20", "--items", "10", "--prefect", "--runner", "processes", "--not-modified", "1000"],
    ["bench_poll.py"],
    ["eval_extract.py"],
    ["eval_dedup.py"],
    ["bench_dedup.py"],
    ["bench_rules.py"],
    ["bench_prune.py", "--stories", "5000"],
]
QUICK = [
    ["bench_cycle.py", "--feeds", "5", "--items", "5"],
    ["bench_poll.py", "--feeds", "200", "--new-feeds", "40", "--repeat", "1"],
    ["eval_extract.py", "--repeat", "1"],
    ["eval_dedup.py", "--no-sweep"],
    ["bench_dedup.py", "--n", "10000", "--baseline-n", "1000", "--store-n", "500"],
    ["bench_rules.py", "--rules", "200", "--articles", "2000", "--pages", "40"],
    ["bench_prune.py", "--stories", "1000", "--backend", "sqlite"],
]


def main() -> int:
    plan = QUICK if "--quick" in sys.argv else FULL
    failed = []
    for args in plan:
        print(f"\n=== {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], cwd=HERE.parent).returncode:
            failed.append(args[0])
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
