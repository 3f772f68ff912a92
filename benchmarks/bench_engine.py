"""Benchmarks of the engine: prints figures, ratios against baselines measured in the same run.

Run:  python benchmarks/bench_engine.py

1. What the user runs: ``pmsim run hudson --replications 1000 --format json`` as a whole
   process, less the same command with 1 replication (which takes out the start-up:
   imports, loading the scenario, drawing the population, writing the JSON), medians of
   ``--repeat`` runs of each, interleaved. Per student-subject-quarter, against one numpy
   standard-normal draw at the precision the engine draws (float32) into an array as large
   as the replications added, measured in the same run. Goal: at most 8x. The floor is
   the model's own draws: every student-quarter draws growth for each subject, a
   measurement error for each strand (or for the subject without strands) and an
   attendance deviation; no engine can cost less than those draws.
2. Names for 1,000,000 students (pools drawn once from Faker, combined by index)
   against Faker itself making names one at a time. Goal: under 2 s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ENGINE_DTYPE = np.float32
"""The engine's precision (its scores' dtype): the baseline draws in it too."""


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _command(replications: int) -> tuple[float, float]:
    """Wall and CPU seconds of one whole ``pmsim run`` process, its output thrown away."""
    t, c = time.perf_counter(), _cpu_children()
    subprocess.run([sys.executable, "-m", "pmsim.cli", "run", "hudson", "--replications",
                    str(replications), "--format", "json"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t, _cpu_children() - c


def _draw(out: np.ndarray) -> tuple[float, float]:
    """Wall and CPU seconds of filling ``out`` with standard normals."""
    rng = np.random.default_rng(0)
    t, c = time.perf_counter(), time.process_time()
    rng.standard_normal(dtype=out.dtype, out=out)
    return time.perf_counter() - t, time.process_time() - c


def draws_per_unit(scenario) -> float:
    """Normal draws the model makes per student-subject-quarter: growth per subject, one
    measurement error per strand (per subject when it has none), attendance per student."""
    subjects = len(scenario.subjects)
    per_student = subjects + sum(max(len(s.strands), 1) for s in scenario.subjects) + 1
    return per_student / subjects


def bench_year(replications: int, repeat: int) -> dict:
    """The whole command with ``replications`` less with 1, against the baseline draw, each
    measured ``repeat`` times interleaved (so that a busy machine slows all alike): medians
    of wall time and of CPU time (which another program on the machine inflates less)."""
    from simulator.engine.simulation import Simulation
    from simulator.formats.loading import load_scenario

    sc = load_scenario("hudson").scenario
    n_students = Simulation(sc, 1, 1).population.n
    units = (replications - 1) * n_students * len(sc.subjects) * len(sc.calendar.quarters)
    out = np.empty(units, dtype=ENGINE_DTYPE)
    many, one, draw = [], [], []
    for _ in range(repeat):
        many.append(_command(replications))
        one.append(_command(1))
        draw.append(_draw(out))
    figures: dict = {"students": n_students, "replications": replications, "units": units,
                     "floor": draws_per_unit(sc)}
    for i, clock in enumerate(("wall", "cpu")):
        added = statistics.median(m[i] for m in many) - statistics.median(o[i] for o in one)
        normal = statistics.median(d[i] for d in draw)
        figures[clock] = {
            "many_s": statistics.median(m[i] for m in many),
            "one_s": statistics.median(o[i] for o in one),
            "ns_per_unit": added / units * 1e9,
            "ns_per_normal": normal / units * 1e9,
            "ratio": added / normal,
            "runs": sorted((m[i] - o[i]) / d[i] for m, o, d in zip(many, one, draw, strict=True)),
        }
    return figures


def bench_names(n: int, repeat: int) -> dict:
    from faker import Faker

    from simulator.engine.names import _build_pool, student_names

    def pooled() -> None:
        _build_pool.cache_clear()
        student_names(12345, np.random.default_rng(0), n)

    pooled_s = _best(pooled, repeat)
    fake = Faker("en_US")
    fake.seed_instance(1)
    sample = 2000
    faker_s = _best(lambda: [fake.name() for _ in range(sample)], 1)
    faker_rate = sample / faker_s
    return {
        "names": n,
        "pooled_s": pooled_s,
        "faker_names_per_s": faker_rate,
        "faker_estimate_s": n / faker_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    year = bench_year(args.replications, args.repeat)
    print(f"pmsim run hudson --format json: {year['students']} students x 2 subjects x "
          f"4 quarters x {year['replications'] - 1} added replications = "
          f"{year['units']:,} student-subject-quarters; medians of {args.repeat} runs")
    for clock in ("wall", "cpu"):
        f = year[clock]
        print(f"  {clock:4}  {year['replications']} replications {f['many_s']:.3f} s, "
              f"1 replication {f['one_s']:.3f} s: {f['ns_per_unit']:.1f} ns per unit; "
              f"one {np.dtype(ENGINE_DTYPE).name} normal draw {f['ns_per_normal']:.1f} ns")
        print(f"        ratio {f['ratio']:.2f}x  (goal: at most 8x; per run: "
              + ", ".join(f"{x:.1f}x" for x in f["runs"]) + ")")
    print(f"  floor {year['floor']:.1f}x: the model's normal draws per student-subject-quarter "
          "(growth per subject, measurement per strand, attendance per student)")

    names = bench_names(args.names, args.repeat)
    print(f"Names for {names['names']:,} students")
    print(f"  pooled (incl. pools)  {names['pooled_s']:.3f} s "
          f"(best of {args.repeat}; goal: under 2 s)")
    print(f"  Faker one at a time   {names['faker_names_per_s']:,.0f} names/s -> "
          f"{names['faker_estimate_s']:.0f} s for the same names "
          f"({names['faker_estimate_s'] / names['pooled_s']:.0f}x slower)")


if __name__ == "__main__":
    main()
