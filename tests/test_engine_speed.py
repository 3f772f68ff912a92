"""The fast paths of the engine compute what the plain ones do: the group statistics of
``pmsim run`` against :func:`score_stat` / :func:`attendance_stat` group by group, and
memory that grows with replications only by the state and the results."""

from __future__ import annotations

import importlib.util
import math
import tracemalloc
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.engine import memory, metrics, simulation
from simulator.engine.headless import run
from simulator.engine.simulation import Decision, Simulation
from simulator.formats.scenario import Scenario

BENCH = Path(__file__).parent.parent / "benchmarks" / "bench_engine.py"


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), replications=st.integers(1, 30),
       quarters=st.integers(1, 4), treat=st.booleans())
def test_every_group_statistic_matches_the_group_by_group_one(
        hudson: Scenario, seed: int, replications: int, quarters: int, treat: bool) -> None:
    sim = Simulation(hudson, seed, replications, keep_history=False)
    result = sim.run_until_meeting()[-1]
    if treat:
        sim.decide([Decision("structured-literacy"), Decision("attendance-outreach")])
    for _ in range(quarters - 1):
        if not sim.finished:
            result = sim.advance()
    groups = metrics._Groups.of(sim.population)
    threshold = hudson.population.attendance.chronic_threshold
    for j in range(len(hudson.subjects)):
        fast = metrics._score_stats(groups, result.scores[j], result.cuts[j])
        for (school, key), column in groups.index.items():
            mask = _mask(sim, school, key)
            slow = metrics.score_stat(result.scores[j], result.cuts[j], mask)
            got = fast[column]
            # Means and shares are the same bits; a spread may differ in its last bits only.
            for field in ("n", "mean_score", "pct_proficient", "mean_score_sd",
                          "pct_proficient_sd"):
                assert same(getattr(got, field), getattr(slow, field)), field
            assert math.isclose(got.sd_score, slow.sd_score, rel_tol=1e-9) or (
                math.isnan(got.sd_score) and math.isnan(slow.sd_score))
    fast_att = metrics._attendance_stats(groups, result, threshold)
    for (school, key), column in groups.index.items():
        slow_att = metrics.attendance_stat(result, threshold, _mask(sim, school, key))
        for field in ("n", "mean_days_absent", "pct_chronic", "mean_days_absent_sd",
                      "pct_chronic_sd"):
            assert same(getattr(fast_att[column], field), getattr(slow_att, field)), field


def _mask(sim: Simulation, school: int, key: str | int) -> np.ndarray:
    """The students of a school's group as quarter_json names them: all, a subgroup or
    (an int) a grade."""
    masks = metrics.school_masks(sim.population, school)
    return masks["all"] & (sim.population.grade == key) if isinstance(key, int) else masks[key]


@given(rows=st.integers(1, 6), reps=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_summaries_of_all_groups_at_once_are_the_same_bits_as_one_by_one(
        rows: int, reps: int, seed: int) -> None:
    per_rep = np.random.default_rng(seed).normal(200.0, 15.0, (rows, reps))
    means, spreads = metrics._spread(per_rep)
    for g in range(rows):
        assert (means[g], spreads[g]) == metrics._summary(per_rep[g])


def test_memory_grows_by_the_state_and_results_only(hudson: Scenario) -> None:
    peaks = []
    for replications in (100, 300):
        tracemalloc.start()
        try:
            run(hudson, 1, ["structured-literacy"], replications)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    students = hudson.enrolled
    per_replication = (peaks[1] - peaks[0]) / 200 / students
    # The state and 2 quarters' results in float32/int16: 14 + 2 × 36 bytes; the
    # temporaries would add ~70 bytes more if they grew with the replications.
    assert per_replication <= 90, per_replication
    assert per_replication <= memory.per_replication(hudson, 1)


def test_the_benchmark_states_the_floor_of_the_models_draws(hudson: Scenario) -> None:
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    # Per student-quarter: growth in 2 subjects, 3 + 3 strand errors, attendance: 9 draws
    # for 2 subjects.
    assert bench.draws_per_unit(hudson) == 4.5
    # The baseline draws at the engine's precision: the engine's scores are drawn in it.
    assert simulation.Simulation(hudson, seed=0).advance().scores.dtype == bench.ENGINE_DTYPE


def test_released_results_are_written_over_only_after_the_next_quarter(
        hudson: Scenario) -> None:
    """Releasing each result (as ``pmsim run`` does) gives the same quarters, bit for bit,
    as keeping them all; a released result stays whole through the next quarter, and its
    arrays are reused by the one after; a fork releases nothing the other still reads."""
    kept = Simulation(hudson, 4, 3)
    reused = Simulation(hudson, 4, 3, keep_history=False)
    seen: list[tuple[simulation.QuarterResult, bytes]] = []
    while not reused.finished:
        a, b = kept.advance(), reused.advance()
        if seen:
            previous, before = seen[-1]
            assert previous.scores.tobytes() == before  # intact through this quarter
        if len(seen) >= 2:
            assert b.scores is seen[-2][0].scores  # the arrays of two quarters back
        for x, y in zip((a.scores, *a.strand_scores, a.absences, a.absences_ytd),
                        (b.scores, *b.strand_scores, b.absences, b.absences_ytd),
                        strict=True):
            assert x.tobytes() == y.tobytes()
        seen.append((b, b.scores.tobytes()))
        reused.release(b)
        if reused.quarters_done == 2:
            twin = reused.fork()
            held = twin.latest
            assert held is not None
            snapshot = held.scores.tobytes()
            reused.release(held)
            reused.advance()
            reused.advance()
            assert held.scores.tobytes() == snapshot
            break
