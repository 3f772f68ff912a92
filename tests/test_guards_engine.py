"""Engine figures a trainee relies on, checked against the parameters the scenario declares.

The statistical checks pool enough students (and replications) that the tolerance is a
few standard errors of the estimate, derived here, not tuned to the code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine.dashboard import Targeting, build_table, estimated_cost, view_title
from simulator.engine.headless import run
from simulator.engine.population import build_population
from simulator.engine.pricing import price
from simulator.engine.simulation import Decision, Simulation
from simulator.formats.refs import View
from simulator.formats.scenario import Scenario, Seasons

SEEDS = range(1, 9)
Z = 4.0
"""Tolerance in standard errors: a correct engine fails about once in 16 000 runs."""
RHO = 0.7
"""Within-student correlation of reading and math ability the population model declares."""


def test_reading_and_math_abilities_correlate_as_declared(hudson: Scenario) -> None:
    """Within a school and a set of subgroups the two abilities differ only by the student,
    so their pooled correlation is the model's within-student correlation."""
    xs, ys = [], []
    for seed in SEEDS:
        pop = build_population(hudson, seed)
        cell = pop.school.astype(np.int64)
        for g in range(pop.member.shape[0]):
            cell = cell * 2 + pop.member[g]
        for c in np.unique(cell):
            at = cell == c
            if at.sum() > 1:
                xs.append(pop.ability[0, at] - pop.ability[0, at].mean())
                ys.append(pop.ability[1, at] - pop.ability[1, at].mean())
    x, y = np.concatenate(xs), np.concatenate(ys)
    r = float((x @ y) / math.sqrt((x @ x) * (y @ y)))
    se = (1 - RHO**2) / math.sqrt(x.size)
    assert abs(r - RHO) < Z * se, (r, se)


def test_absence_propensity_averages_the_declared_school_rate(hudson: Scenario) -> None:
    """The lognormal spread concentrates absences in few students without moving the mean:
    students in no subgroup average their school's declared absence rate."""
    ratios = []
    for seed in SEEDS:
        pop = build_population(hudson, seed)
        alone = ~pop.member.any(axis=0)
        for si, school in enumerate(hudson.schools):
            at = alone & (pop.school == si)
            for grade in hudson.grades:
                here = at & (pop.grade == grade)
                mult = school.grade_absence_multiplier.get(grade, 1.0)
                ratios.append(pop.absence_p[here] / (school.absence_rate * mult))
    ratio = np.concatenate(ratios).astype(np.float64)
    spread = hudson.population.attendance.spread
    se = math.sqrt(math.exp(spread**2) - 1) / math.sqrt(ratio.size)
    assert ratio.size > 2000
    assert abs(ratio.mean() - 1.0) < Z * se, (ratio.mean(), se)


def test_quarter_absences_vary_like_a_poisson_count(hudson: Scenario) -> None:
    """Across replications a student's days missed in a quarter have a variance about equal
    to their mean (a Poisson count, plus the 1/12 of rounding to whole days)."""
    r = 200
    sim = Simulation(hudson, seed=3, replications=r)
    absences = sim.advance().absences.astype(np.float64)
    mean = absences.mean(axis=0)
    # Students who miss enough days that the floor at zero days does not matter.
    frequent = (mean >= 8) & (mean <= 30)
    assert frequent.sum() >= 20
    x = absences[:, frequent]
    dispersion = x.var(axis=0, ddof=1).sum() / (mean[frequent] + 1 / 12).sum()
    se = math.sqrt(2 / (r - 1) / frequent.sum())
    assert abs(dispersion - 1.0) < Z * se, (dispersion, se)


def test_seasonal_norms_interpolate_linearly_between_windows(hudson: Scenario) -> None:
    """A quarter's norm sits on the line between the declared fall, winter and spring means:
    at the end of Q1 halfway from fall to winter, at the end of Q3 halfway to spring."""
    seasons: Seasons = hudson.subjects[0].norms[6]
    assert seasons.at(0.0) == pytest.approx(seasons.fall)
    assert seasons.at(0.25) == pytest.approx((seasons.fall + seasons.winter) / 2)
    assert seasons.at(0.5) == pytest.approx(seasons.winter)
    assert seasons.at(0.75) == pytest.approx((seasons.winter + seasons.spring) / 2)
    assert seasons.at(1.0) == pytest.approx(seasons.spring)


def test_the_attendance_table_has_its_title_and_the_quarters_as_columns(
    hudson: Scenario,
) -> None:
    sim = Simulation(hudson, seed=1)
    sim.advance()
    sim.advance()
    view = View.of("attendance/hudson-ms/subgroup")
    table = build_table(sim, view)
    assert table.title == view_title(hudson, view)
    assert table.quarters == ["Q1", "Q2"]


def test_seed_one_shows_the_figures_its_saved_sessions_showed(hudson: Scenario) -> None:
    """A resumed session replays its seed: every room must see again the Meeting #1 data it
    wrote down. The worked transcript quotes the reading baselines; math is pinned here."""
    sim = Simulation(hudson, seed=1)
    sim.advance()
    sim.advance()
    rows = {r.label: r for r in build_table(sim, "reading/hudson-ms/subgroup").rows}
    assert round(rows["English learners"].values[-1], 1) == 10.4  # target t1's baseline
    assert round(rows["Students with disabilities"].values[-1], 1) == 11.9  # target t2's
    rows = {r.label: r for r in build_table(sim, "math/hudson-ms/subgroup").rows}
    assert [round(v, 1) for v in rows["English learners"].values] == [17.7, 20.8]
    assert [round(v, 1) for v in rows["All students"].values] == [36.2, 36.2]
    means = build_table(sim, "math/hudson-ms/all", measure="mean").rows[0].values
    assert [round(v, 1) for v in means] == [208.0, 209.9]


def test_the_cost_estimate_is_what_the_decision_will_be_charged(hudson: Scenario) -> None:
    """The decision form shows this estimate before a strategy is adopted: it is the price
    the engine charges for the same targeting, and it reaches no more than the capacity."""
    sim = Simulation(hudson, seed=1)
    sim.advance()
    sim.advance()
    targeting = Targeting((6, 7), ("el",), 30)
    decision = Decision("structured-literacy", grades=(6, 7), subgroups=("el",), capacity=30)
    charged = price(sim, decision)
    assert estimated_cost(sim, "structured-literacy", targeting) == (
        charged.cost, charged.staff_fte, charged.students)
    assert 0 < charged.students <= 30


def test_the_run_json_says_a_strategy_runs_and_for_how_many_quarters(
    hudson: Scenario,
) -> None:
    """Adopted at Meeting #1 (after Q2), a strategy has run two quarters by the end of Q4."""
    doc = run(hudson, 1, ["structured-literacy"])
    [entry] = doc["quarters"][-1]["implementation"]
    assert entry["strategy"] == "structured-literacy"
    assert entry["running"] is True
    assert entry["quarters_running"] == 2
