"""Benchmarks of the engine: prints figures, ratios against baselines measured in the same run.

Run:  python benchmarks/bench_engine.py

1. The Hudson year with 1,000 replications (four quarters, decisions at Meeting #1):
   time per student-subject-quarter against one numpy standard-normal draw
   (float64, ``Generator.standard_normal`` into a large array). Goal: at most 8x.
2. Names for 1,000,000 students (pools drawn once from Faker, combined by index)
   against Faker itself making names one at a time. Goal: under 2 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_year(replications: int, repeat: int) -> dict:
    from simulator.engine.simulation import Decision, Simulation
    from simulator.formats.loading import load_scenario

    sc = load_scenario("hudson").scenario
    decisions = [Decision("structured-literacy"), Decision("tutoring-math"),
                 Decision("attendance-outreach")]
    n_students = Simulation(sc, 1, 1).population.n

    def year() -> None:
        sim = Simulation(sc, seed=1, replications=replications, keep_history=False)
        sim.run_until_meeting()
        sim.decide(decisions)
        while not sim.finished:
            sim.run_until_meeting()

    units = replications * n_students * len(sc.subjects) * len(sc.calendar.quarters)
    rng = np.random.default_rng(0)
    out = np.empty(units)
    year_s = _best(year, repeat)
    normal_s = _best(lambda: rng.standard_normal(units, out=out), repeat)
    per_unit = year_s / units
    per_normal = normal_s / units
    return {
        "students": n_students,
        "replications": replications,
        "units": units,
        "year_s": year_s,
        "ns_per_unit": per_unit * 1e9,
        "ns_per_normal": per_normal * 1e9,
        "ratio": per_unit / per_normal,
    }


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
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    year = bench_year(args.replications, args.repeat)
    print(f"Hudson year: {year['students']} students x 2 subjects x 4 quarters x "
          f"{year['replications']} replications = {year['units']:,} student-subject-quarters")
    print(f"  whole year            {year['year_s']:.3f} s (best of {args.repeat})")
    print(f"  per unit              {year['ns_per_unit']:.1f} ns")
    print(f"  one normal draw       {year['ns_per_normal']:.1f} ns (same run)")
    print(f"  ratio                 {year['ratio']:.2f}x   (goal: at most 8x)")

    names = bench_names(args.names, args.repeat)
    print(f"Names for {names['names']:,} students")
    print(f"  pooled (incl. pools)  {names['pooled_s']:.3f} s "
          f"(best of {args.repeat}; goal: under 2 s)")
    print(f"  Faker one at a time   {names['faker_names_per_s']:,.0f} names/s -> "
          f"{names['faker_estimate_s']:.0f} s for the same names "
          f"({names['faker_estimate_s'] / names['pooled_s']:.0f}x slower)")


if __name__ == "__main__":
    main()
