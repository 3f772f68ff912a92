"""Benchmark of ``pmsim scenario calibrate``: the whole command, timed from outside.

Run:  python benchmarks/bench_calibrate.py [--scenario hudson] [--repeat 1]

1. ``pmsim scenario calibrate SCENARIO --format json`` with its defaults (every
   affordable bundle x 1,000 replications, 100 seeds), as a subprocess: what a
   facilitator waits for. Goal for Hudson: under 60 s on 2 cores (issue 9, item 2).
2. Baseline, measured in the same run: ``pmsim run SCENARIO --strategies ONE
   --replications 1000 --format json`` (one bundle x 1,000 replications, the whole
   district, the whole year). The ratio says how many single-bundle runs the
   calibration costs; it stays meaningful on a faster or a busier machine.

Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

GOAL_S = 60.0


def _timed(args: list[str]) -> tuple[float, str]:
    """Seconds the command took, and its stdout; exits if it fails."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pmsim.cli", *args], capture_output=True,
                         text=True, check=False)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"pmsim {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return elapsed, out.stdout


def _median(args: list[str], repeat: int) -> tuple[float, str]:
    runs = [_timed(args) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="hudson")
    parser.add_argument("--strategy", default="structured-literacy",
                        help="the one strategy of the baseline run")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    base_s, _ = _median(["run", args.scenario, "--strategies", args.strategy,
                         "--replications", "1000", "--format", "json"], max(args.repeat, 3))
    cal_s, out = _median(["scenario", "calibrate", args.scenario, "--format", "json"],
                         args.repeat)
    doc = json.loads(out)
    plans = len(doc["plans"])
    print(f"baseline: run {args.strategy} x 1,000 replications: {base_s:6.2f} s")
    print(f"calibrate: {plans} plans x {doc['replications']:,} replications, "
          f"{doc['seeds']} seeds:   {cal_s:6.2f} s  ({cal_s / base_s:.1f}x the baseline, "
          f"{cal_s / plans:.3f} s a plan)")
    verdict = "meets" if cal_s < GOAL_S else "MISSES"
    print(f"goal: under {GOAL_S:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
