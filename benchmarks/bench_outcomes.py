"""Benchmark of the debrief report: how long a Hudson report takes, cold and cached.

Run:  python benchmarks/bench_outcomes.py [--replications 200]

1. Outcomes with the best-bundle search (every affordable bundle screened, the
   best few confirmed), no cache. Goal: a whole report under 10 s on 2 cores.
2. The whole final report (levels, outcomes, reveal) of the strong worked
   transcript, cold and then with the search read from the cache.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    args = parser.parse_args()

    from simulator.debrief.outcomes import outcomes
    from simulator.debrief.report import build_report
    from simulator.formats.loading import builtin_dir, load_scenario
    from simulator.render.html import render_html
    from simulator.session.transcript import load_transcript

    sc = load_scenario("hudson").scenario
    transcript = load_transcript(builtin_dir() / "hudson-strong-transcript.yaml", sc)
    state = transcript.state()
    from simulator.session.state import plan_of

    t = time.perf_counter()
    doc = outcomes(sc, state.seed, plan_of(state), args.replications)
    search = doc["search"]
    print(f"outcomes, no cache:      {time.perf_counter() - t:6.2f} s "
          f"({search['screened']} bundles screened at {search['screen_replications']} "
          f"replications, {search['confirmed']} confirmed at {args.replications})")
    with tempfile.TemporaryDirectory() as home:
        for label in ("report, cold cache:     ", "report, warm cache:     "):
            t = time.perf_counter()
            report = build_report(sc, state, replications=args.replications,
                                  participants=transcript.participants,
                                  cache_dir=Path(home))
            render_html(report)
            print(f"{label}{time.perf_counter() - t:6.2f} s")


if __name__ == "__main__":
    main()
