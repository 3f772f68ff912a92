"""The dashboard's figures, checked headless against numpy computed from the arrays.

Each expected figure is computed here from the simulation's own arrays (scores,
cuts, absences, implementation), independently of ``engine.metrics``, so that a
wrong standard error, a swapped field or a mask that picks the wrong students
fails a test and not only a snapshot.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine import dashboard as figures
from simulator.engine.headless import run
from simulator.engine.playthrough import simulate
from simulator.engine.simulation import Decision, Simulation
from simulator.formats.refs import View
from simulator.formats.scenario import Scenario

SEED = 2
PLAN = [
    ("meeting-1", [
        {"strategy": "structured-literacy", "action": "adopt",
         "options": {"grades": [6, 7], "subgroups": ["el", "swd"]}},
        {"strategy": "attendance-outreach", "action": "adopt", "options": {}},
        {"strategy": "tutoring-math", "action": "adopt", "options": {"capacity": 12}},
    ]),
    ("meeting-2", [{"strategy": "tutoring-math", "action": "stop", "options": {}}]),
]


@pytest.fixture(scope="module")
def sim(hudson: Scenario) -> Simulation:
    """A whole year, one replication, three strategies adopted and one stopped."""
    played, done = simulate(hudson, SEED, PLAN)
    assert played.finished and done == ("meeting-1", "meeting-2")
    return played


def _school(sim: Simulation, school: str) -> np.ndarray:
    return sim.population.school == [s.id for s in sim.scenario.schools].index(school)


def _subgroup(sim: Simulation, group: str) -> np.ndarray:
    return sim.population.member[[g.id for g in sim.scenario.subgroups].index(group)]


def _j(sim: Simulation, subject: str) -> int:
    return [s.id for s in sim.scenario.subjects].index(subject)


def _pct_and_se(on: np.ndarray) -> tuple[float, float]:
    p = on.mean()
    return 100 * p, 100 * math.sqrt(p * (1 - p) / on.size)


def test_percent_on_benchmark_and_its_standard_error_by_subgroup(sim: Simulation) -> None:
    table = figures.build_table(sim, "reading/hudson-ms/subgroup")
    school, j = _school(sim, "hudson-ms"), _j(sim, "reading")
    masks = [school] + [school & _subgroup(sim, g.id) for g in sim.scenario.subgroups]
    assert [r.label for r in table.rows] == ["All students"] + [
        g.name for g in sim.scenario.subgroups]
    assert table.unit == "%" and table.quarters == ["Q1", "Q2", "Q3", "Q4"]
    for row, mask in zip(table.rows, masks, strict=True):
        assert row.n == np.count_nonzero(mask)
        for q, res in enumerate(sim.history):
            pct, se = _pct_and_se(res.scores[j, 0][mask] >= res.cuts[j][mask])
            assert row.values[q] == pytest.approx(pct, abs=1e-9)
            assert row.errors[q] == pytest.approx(se, abs=1e-9)


def test_mean_score_and_its_standard_error_by_grade(sim: Simulation) -> None:
    table = figures.build_table(sim, View("math", "hudson-ms", "grade"), measure="mean")
    school, j = _school(sim, "hudson-ms"), _j(sim, "math")
    masks = [school] + [school & (sim.population.grade == g) for g in sim.scenario.grades]
    assert [r.label for r in table.rows] == ["All students", "Grade 6", "Grade 7", "Grade 8"]
    assert table.unit == ""
    for row, mask in zip(table.rows, masks, strict=True):
        for q, res in enumerate(sim.history):
            scores = res.scores[j, 0][mask].astype(np.float64)
            assert row.values[q] == pytest.approx(scores.mean(), rel=1e-9)
            assert row.errors[q] == pytest.approx(scores.std() / math.sqrt(scores.size),
                                                  rel=1e-9)


def test_the_district_view_covers_every_student(sim: Simulation) -> None:
    table = figures.build_table(sim, "reading/district/all", measure="mean")
    (row,) = table.rows
    assert row.n == sim.population.n
    assert row.values[-1] == pytest.approx(
        sim.history[-1].scores[0, 0].astype(np.float64).mean(), rel=1e-9)


@pytest.mark.parametrize("group", ["el", "grade-7", "all"])
def test_strand_rows_are_each_strands_mean_for_the_group(sim: Simulation, group: str) -> None:
    table = figures.build_table(sim, "reading/hudson-ms/strand", group=group)
    j = _j(sim, "reading")
    mask = _school(sim, "hudson-ms")
    if group == "el":
        mask = mask & _subgroup(sim, "el")
    elif group == "grade-7":
        mask = mask & (sim.population.grade == 7)
    strands = sim.scenario.subject("reading").strands
    assert [r.label for r in table.rows] == ["Overall score"] + [s.name for s in strands]
    label = {"el": "English learners", "grade-7": "Grade 7", "all": None}[group]
    assert (table.title.endswith(f" · {label}") if label else "·" not in table.title.split(
        "by strand")[-1])
    for k, row in enumerate(table.rows):
        assert row.n == np.count_nonzero(mask)
        for q, res in enumerate(sim.history):
            source = res.scores[j, 0] if k == 0 else res.strand_scores[j][k - 1, 0]
            values = source[mask].astype(np.float64)
            assert row.values[q] == pytest.approx(values.mean(), rel=1e-9)
            assert row.errors[q] == pytest.approx(values.std() / math.sqrt(values.size),
                                                  rel=1e-9)


def test_attendance_rows_are_the_share_chronically_absent_so_far(sim: Simulation) -> None:
    table = figures.build_table(sim, "attendance/hudson-ms/grade")
    threshold = sim.scenario.population.attendance.chronic_threshold
    school = _school(sim, "hudson-ms")
    masks = [school] + [school & (sim.population.grade == g) for g in sim.scenario.grades]
    for row, mask in zip(table.rows, masks, strict=True):
        for q, res in enumerate(sim.history):
            ytd = res.absences_ytd[0][mask]
            pct, se = _pct_and_se(ytd >= threshold * res.days_ytd)
            assert row.values[q] == pytest.approx(pct, abs=1e-9)
            assert row.errors[q] == pytest.approx(se, abs=1e-9)
        assert row.extra == [f"{sim.history[-1].absences_ytd[0][mask].mean():.1f}"]
    assert sim.history[-1].days_ytd == 4 * sim.scenario.population.attendance.days_per_quarter


def test_implementation_rows_show_fidelity_while_running_and_who_is_served(
    sim: Simulation,
) -> None:
    table = figures.build_table(sim, "implementation/hudson-ms/implementation")
    names = {s.id: s.name for s in sim.scenario.strategies}
    assert [r.label for r in table.rows] == [
        names[s] for s in ("structured-literacy", "attendance-outreach", "tutoring-math")]
    by_name = {r.label: r for r in table.rows}
    for sid in ("structured-literacy", "attendance-outreach"):
        row = by_name[names[sid]]
        assert math.isnan(row.values[0]) and math.isnan(row.values[1])  # adopted at meeting 1
        for q in (2, 3):
            imp = sim.history[q].implementation[sid]
            assert row.values[q] == pytest.approx(100 * float(imp.fidelity[0]), rel=1e-6)
        served = int(sim.active[sid].served[0].sum())
        assert row.n == served
        assert row.extra[0] == "running, quarter 2"
        assert row.extra[1:3] == [str(served), str(int(sim.active[sid].taken[0].sum()))]
    tutoring = by_name[names["tutoring-math"]]
    assert tutoring.extra[0] == "stopped"
    assert math.isnan(tutoring.values[3]) and not math.isnan(tutoring.values[2])
    assert tutoring.n == 12 and tutoring.small  # capacity 12: a small group, flagged


def test_structured_literacy_serves_only_the_grades_and_subgroups_decided(
    sim: Simulation,
) -> None:
    served = sim.active["structured-literacy"].served[0]
    pop = sim.population
    in_groups = _subgroup(sim, "el") | _subgroup(sim, "swd")
    assert served.any()
    assert not (served & ~np.isin(pop.grade, [6, 7])).any()
    assert not (served & ~in_groups).any()
    assert not (served & ~_school(sim, "hudson-ms")).any()


def test_small_groups_are_flagged_and_only_those(sim: Simulation) -> None:
    for view in ("reading/northgate-ms/subgroup", "reading/hudson-ms/grade",
                 "implementation/hudson-ms/implementation"):
        for row in figures.build_table(sim, view).rows:
            assert row.small is (0 < row.n < figures.SMALL_N)
    assert figures.Row("x", figures.SMALL_N - 1, [], []).small
    assert not figures.Row("x", figures.SMALL_N, [], []).small
    assert not figures.Row("x", 0, [], []).small


def test_roster_rows_are_each_students_latest_scores(sim: Simulation) -> None:
    columns, rows = figures.roster(sim, "hudson-ms")
    res, pop = sim.history[-1], sim.population
    idx = np.flatnonzero(_school(sim, "hudson-ms"))
    assert columns == ["Student", "School", "Grade", "Groups", "Reading (Q4)", "On bm",
                       "Math (Q4)", "On bm", "Days absent"]
    assert len(rows) == idx.size
    for k in (0, 17, idx.size - 1):
        i = idx[k]
        row = rows[k]
        groups = " ".join(g.id.upper() for gi, g in enumerate(sim.scenario.subgroups)
                          if pop.member[gi, i])
        assert row[:4] == (str(pop.names[i]), "Hudson MS", int(pop.grade[i]), groups)
        for j in range(2):
            assert row[4 + 2 * j] == f"{res.scores[j, 0, i]:.0f}"
            assert row[5 + 2 * j] == ("yes" if res.scores[j, 0, i] >= res.cuts[j, i] else "no")
        assert row[8] == str(int(res.absences_ytd[0, i]))
    _, everyone = figures.roster(sim, "district")
    assert len(everyone) == pop.n


@pytest.mark.parametrize(("key", "subject", "group"), [
    ("pct:reading:hudson-ms:el", "reading", "el"),
    ("pct:math:hudson-ms:all", "math", None),
    ("pct:reading:hudson-ms:grade-6", "reading", 6),
    ("chronic:attendance:hudson-ms:grade-7", None, 7),
])
def test_metric_value_is_the_latest_figure_of_its_students(
    sim: Simulation, key: str, subject: str | None, group: str | int | None
) -> None:
    mask = _school(sim, "hudson-ms")
    if isinstance(group, str):
        mask = mask & _subgroup(sim, group)
    elif isinstance(group, int):
        mask = mask & (sim.population.grade == group)
    res = sim.history[-1]
    if subject is None:
        threshold = sim.scenario.population.attendance.chronic_threshold
        expected = 100 * (res.absences_ytd[0][mask] >= threshold * res.days_ytd).mean()
    else:
        j = _j(sim, subject)
        expected = 100 * (res.scores[j, 0][mask] >= res.cuts[j][mask]).mean()
    assert figures.metric_value(sim, key) == round(expected, 1)


@pytest.mark.parametrize("key", ["pct:reading:hudson-ms:ell", "pct:reading:nowhere:all",
                                 "pct:reading:hudson-ms", "rate:reading:hudson-ms:all", ""])
def test_metric_value_of_a_key_naming_nothing_is_none(sim: Simulation, key: str) -> None:
    assert figures.metric_value(sim, key) is None


def test_every_metric_offered_has_a_value(sim: Simulation, hudson: Scenario) -> None:
    options = figures.metric_options(hudson)
    assert any(label.endswith("– English learners") for label, _ in options)
    assert all(figures.metric_value(sim, key) is not None for _, key in options)
    assert len({key for _, key in options}) == len(options)


def test_changes_compare_each_headline_figure_with_the_last_meeting(sim: Simulation) -> None:
    found = figures.changes(sim, since=1)
    j = _j(sim, "reading")
    school = _school(sim, "hudson-ms")
    el = next(c for c in found if c.label == "Reading % on benchmark – English learners")
    mask = school & _subgroup(sim, "el")
    per_quarter = [100 * (r.scores[j, 0][mask] >= r.cuts[j][mask]).mean() for r in sim.history]
    assert el.values == pytest.approx(per_quarter, abs=1e-9)
    assert el.delta == pytest.approx(per_quarter[-1] - per_quarter[1], abs=1e-9)
    grade8 = next(c for c in found if c.label == "% chronically absent – Grade 8")
    threshold = sim.scenario.population.attendance.chronic_threshold
    mask = school & (sim.population.grade == 8)
    chronic = [100 * (r.absences_ytd[0][mask] >= threshold * r.days_ytd).mean()
               for r in sim.history]
    assert grade8.delta == pytest.approx(chronic[-1] - chronic[1], abs=1e-9)
    labels = [c.label for c in found]
    assert len(labels) == len(set(labels))
    assert "Reading % on benchmark – All students" in labels
    assert "Reading % on benchmark – Grade 6" in labels


def test_group_options_and_names_read_as_the_scenario_writes_them(hudson: Scenario) -> None:
    options = figures.group_options(hudson)
    assert options[0] == ("All students", "all")
    assert ("English learners", "el") in options and ("Grade 8", "grade-8") in options
    assert figures.group_name(hudson, "swd") == "Students with disabilities"
    assert figures.group_name(hudson, "grade-6") == "Grade 6"


# ---------------------------------------------------------------------- pmsim run --format json

R = 12


@pytest.fixture(scope="module")
def runs(hudson: Scenario) -> tuple[dict, list]:
    """``pmsim run``'s document and, independently, the same year's raw results."""
    strategies = ["structured-literacy", "tutoring-math"]
    doc = run(hudson, seed=3, strategies=strategies, replications=R)
    sim = Simulation(hudson, seed=3, replications=R)
    decided = False
    while not sim.finished:
        sim.advance()
        if not decided and sim.meeting_due() is not None:
            sim.decide([Decision(s) for s in strategies])
            decided = True
    return doc, sim.history


def test_run_json_figures_are_means_and_spreads_across_replications(
    hudson: Scenario, runs: tuple[dict, list]
) -> None:
    doc, history = runs
    assert doc["replications"] == R and len(doc["quarters"]) == len(history)
    school = next(s for s in doc["quarters"][-1]["schools"] if s["id"] == "hudson-ms")
    pop = Simulation(hudson, seed=3).population
    mask = (pop.school == 0) & pop.member[[g.id for g in hudson.subgroups].index("el")]
    res = history[-1]
    for j, subject in enumerate(hudson.subjects):
        got = next(r for r in school["results"] if r["subject"] == subject.id
                   and r["group"] == "el")
        scores = res.scores[j][:, mask].astype(np.float64)
        means = scores.mean(axis=1)
        pcts = 100 * (res.scores[j][:, mask] >= res.cuts[j][mask]).mean(axis=1)
        assert got["n"] == np.count_nonzero(mask)
        assert got["mean_score"] == pytest.approx(means.mean(), abs=0.006)
        assert got["mean_score_sd"] == pytest.approx(means.std(), abs=0.006)
        assert got["pct_proficient"] == pytest.approx(pcts.mean(), abs=0.006)
        assert got["pct_proficient_sd"] == pytest.approx(pcts.std(), abs=0.006)
        assert got["sd_score"] == pytest.approx(scores.std(axis=1).mean(), abs=0.006)
        assert got["se"] == pytest.approx(scores.std(axis=1).mean() / math.sqrt(mask.sum()),
                                          abs=0.006)
        # The two spreads differ enough here that swapping them could not pass.
        assert abs(pcts.std() - means.std()) > 0.5


def test_run_json_attendance_is_the_share_chronically_absent(
    hudson: Scenario, runs: tuple[dict, list]
) -> None:
    doc, history = runs
    school = next(s for s in doc["quarters"][-1]["schools"] if s["id"] == "hudson-ms")
    pop = Simulation(hudson, seed=3).population
    res = history[-1]
    threshold = hudson.population.attendance.chronic_threshold
    mask = (pop.school == 0) & (pop.grade == 7)
    got = next(a for a in school["attendance"] if a["group"] == "grade-7")
    chronic = 100 * (res.absences_ytd[:, mask] >= threshold * res.days_ytd).mean(axis=1)
    assert got["pct_chronic"] == pytest.approx(chronic.mean(), abs=0.006)
    assert got["pct_chronic_sd"] == pytest.approx(chronic.std(), abs=0.006)
