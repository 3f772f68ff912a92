"""Grade × subgroup: a subgroup by grade, or a grade by subgroup, recomputed with numpy,
and the view's name (``SUBJECT/SCHOOL/cross/GROUP``) parsed in one place."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.engine import dashboard as figures
from simulator.engine.simulation import Simulation
from simulator.formats.refs import CROSS, Group, Metric, View
from simulator.formats.scenario import Scenario

FEWER = settings(max_examples=40, deadline=None)


@pytest.fixture(scope="module")
def meeting_1(hudson: Scenario) -> Simulation:
    """The data of Meeting #1: Q1 and Q2, seed 1, as every room sees them."""
    sim = Simulation(hudson, seed=1)
    sim.run_until_meeting()
    assert len(sim.history) == 2
    return sim


def _school(sim: Simulation) -> np.ndarray:
    return sim.population.school == [s.id for s in sim.scenario.schools].index("hudson-ms")


def _member(sim: Simulation, group: str) -> np.ndarray:
    return sim.population.member[[g.id for g in sim.scenario.subgroups].index(group)]


def _pct(sim: Simulation, mask: np.ndarray, q: int = -1) -> tuple[float, float]:
    res = sim.history[q]
    on = (res.scores[0, 0] >= res.cuts[0])[mask]
    p = on.mean()
    return 100 * p, 100 * math.sqrt(p * (1 - p) / on.size)


def _gap(a: tuple[float, float], b: tuple[float, float], unit: str) -> str:
    return f"{a[0] - b[0]:+.1f}{unit} ±{math.hypot(a[1], b[1]):.1f}"


def test_english_learners_by_grade_each_against_the_rest_of_their_grade(
    meeting_1: Simulation,
) -> None:
    sim = meeting_1
    table = figures.build_table(sim, "reading/hudson-ms/cross/el")
    school, el, grade = _school(sim), _member(sim, "el"), sim.population.grade
    assert table.title.endswith("· English learners by grade")
    assert [r.label for r in table.rows] == [
        "English learners, all grades", "English learners, grade 6",
        "English learners, grade 7", "English learners, grade 8"]
    masks = [school & el] + [school & el & (grade == g) for g in (6, 7, 8)]
    peers = [school & ~el] + [school & ~el & (grade == g) for g in (6, 7, 8)]
    assert table.extra_columns == ["Gap (Q2)"]
    for row, mask, peer in zip(table.rows, masks, peers, strict=True):
        assert row.n == mask.sum()
        assert row.small is bool(0 < mask.sum() < figures.SMALL_N)
        for q in range(2):
            pct, se = _pct(sim, mask, q)
            assert row.values[q] == pytest.approx(pct, abs=1e-9)
            assert row.errors[q] == pytest.approx(se, abs=1e-9)
        assert row.extra == [_gap(_pct(sim, mask), _pct(sim, peer), "%")]


def test_a_grade_by_subgroup_in_mean_scores(meeting_1: Simulation) -> None:
    sim = meeting_1
    table = figures.build_table(sim, View("reading", "hudson-ms", CROSS, "grade-6"),
                                measure="mean")
    school, grade = _school(sim), sim.population.grade == 6
    assert [r.label for r in table.rows] == ["Grade 6, all students"] + [
        f"Grade 6, {g.name}" for g in sim.scenario.subgroups]
    masks = [school & grade] + [school & grade & _member(sim, g.id)
                                for g in sim.scenario.subgroups]
    peers = [school & ~grade] + [school & grade & ~_member(sim, g.id)
                                 for g in sim.scenario.subgroups]
    s = sim.history[-1].scores[0, 0].astype(np.float64)
    for row, mask, peer in zip(table.rows, masks, peers, strict=True):
        mean = (s[mask].mean(), s[mask].std() / math.sqrt(mask.sum()))
        assert row.values[-1] == pytest.approx(mean[0], abs=1e-6)
        assert row.errors[-1] == pytest.approx(mean[1], abs=1e-6)
        other = (s[peer].mean(), s[peer].std() / math.sqrt(peer.sum()))
        assert row.extra == [_gap(mean, other, "")]


def test_a_cross_row_agrees_with_the_subgroup_and_grade_views(meeting_1: Simulation) -> None:
    """The same students, the same figure and ± in every view."""
    subgroups = {r.label: r for r in figures.build_table(meeting_1,
                                                         "reading/hudson-ms/subgroup").rows}
    grades = {r.label: r for r in figures.build_table(meeting_1, "reading/hudson-ms/grade").rows}
    el = figures.build_table(meeting_1, "reading/hudson-ms/cross/el").rows[0]
    six = figures.build_table(meeting_1, "reading/hudson-ms/cross/grade-6").rows[0]
    for crossed, plain in ((el, subgroups["English learners"]), (six, grades["Grade 6"])):
        assert (crossed.n, crossed.values, crossed.errors) == (plain.n, plain.values,
                                                                plain.errors)


def test_every_cross_option_is_a_view_the_scenario_has(hudson: Scenario) -> None:
    options = figures.cross_options(hudson)
    assert options[0] == ("Economically disadvantaged by grade", "econ")
    assert options[-1] == ("Grade 8 by subgroup", "grade-8")
    for _, about in options:
        assert View.check(f"reading/hudson-ms/cross/{about}", hudson) is None
    assert ("Subgroup × grade", CROSS) in figures.breakdown_options("reading")
    assert CROSS not in [b for _, b in figures.breakdown_options("attendance")]


# ---------------------------------------------------------------------- the view's name

GROUPS = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).filter(
    lambda s: s != "all" and not s.startswith("grade-")),
    st.integers(0, 12).map(lambda g: f"grade-{g}"))


@FEWER
@given(GROUPS)
def test_a_cross_view_gives_back_the_text_it_was_parsed_from(about: str) -> None:
    text = f"math/district/cross/{about}"
    view = View.parse(text)
    assert view.group == Group.parse(about) and view.group.kind != "all"
    assert str(view) == text and View.parse(str(view)) == view


@pytest.mark.parametrize(("text", "message"), [
    ("reading/hudson-ms/cross", "is not SUBJECT/SCHOOL/cross/GROUP"),
    ("reading/hudson-ms/cross/all", "a cross view breaks a subgroup down by grade"),
    ("reading/hudson-ms/cross/grade-07", "group 'grade-07' is not grade-N"),
])
def test_a_malformed_cross_view_is_refused_saying_what_is_wrong(text: str, message: str
                                                                 ) -> None:
    with pytest.raises(ValueError, match=message) as err:
        View.parse(text)
    assert text in str(err.value)


def test_a_cross_view_is_checked_against_the_scenario_and_shows_its_groups_target(
    hudson: Scenario,
) -> None:
    assert View.check("reading/hudson-ms/cross/ell", hudson) == (
        "unknown group 'ell'; did you mean 'el'?")
    assert View.check("reading/hudson-ms/cross/grade-5", hudson).startswith(
        "unknown group 'grade-5'")
    assert View.check("implementation/hudson-ms/cross/el", hudson).startswith(
        "a cross view compares benchmark scores")
    view = View.parse("reading/hudson-ms/cross/el")
    assert view.shows(Metric.parse("pct:reading:hudson-ms:el"))
    assert not view.shows(Metric.parse("pct:reading:hudson-ms:all"))
    assert not view.shows(Metric.parse("pct:reading:hudson-ms:swd"))
