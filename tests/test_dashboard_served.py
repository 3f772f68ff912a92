"""Served against not served: the figures recomputed with numpy from the engine's arrays,
and the view's name (``SUBJECT/SCHOOL/served/STRATEGY``) parsed in one place.

The expected figures are computed here from the scores, cuts and the engine's own serving
mask (``Simulation.active``), independently of the dashboard's helpers, so that a wrong
window, a mask that picks the wrong students or a wrong standard error fails here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulator.engine import dashboard as figures
from simulator.engine.playthrough import simulate
from simulator.engine.simulation import Simulation
from simulator.formats.refs import SERVED, Metric, View
from simulator.formats.scenario import Scenario

SEED = 2
ADOPT = ("meeting-1", [
    {"strategy": "structured-literacy", "action": "adopt",
     "options": {"grades": [6, 7], "subgroups": ["el", "swd"]}},
    {"strategy": "balanced-literacy", "action": "adopt", "options": {}},
])
VIEW = "reading/hudson-ms/served/structured-literacy"
FEWER = settings(max_examples=40, deadline=None)


@pytest.fixture(scope="module")
def meeting_2(hudson: Scenario) -> Simulation:
    """Q1–Q3 played, two reading strategies adopted at Meeting #1: the data of Meeting #2."""
    played, done = simulate(hudson, SEED, [ADOPT])
    assert done == ("meeting-1",) and len(played.history) == 3
    return played


@pytest.fixture(scope="module")
def year(hudson: Scenario) -> Simulation:
    played, _ = simulate(hudson, SEED, [ADOPT, ("meeting-2", [])])
    assert played.finished
    return played


def _school(sim: Simulation) -> np.ndarray:
    return sim.population.school == [s.id for s in sim.scenario.schools].index("hudson-ms")


def _member(sim: Simulation, group: str) -> np.ndarray:
    return sim.population.member[[g.id for g in sim.scenario.subgroups].index(group)]


def _signed(mean: float, se: float) -> str:
    return f"{mean:+.1f} ±{se:.1f}"


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    x = x.astype(np.float64)
    return float(x.mean()), float(x.std() / math.sqrt(x.size))


def _masks(sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
    """Served at Hudson MS, and the comparable: grades 6–7, EL or SWD, below the reading
    cut at Q2 (the benchmark the serving was decided on), not served."""
    pop, res = sim.population, sim.history[1]
    served = sim.active["structured-literacy"].served[0] & _school(sim)
    below = res.scores[0, 0] < res.cuts[0]
    eligible = (_school(sim) & np.isin(pop.grade, [6, 7])
                & (_member(sim, "el") | _member(sim, "swd")) & below)
    return served, eligible & ~served


def test_served_and_comparable_students_each_quarter_with_their_growth(
    meeting_2: Simulation,
) -> None:
    sim = meeting_2
    table = figures.build_table(sim, VIEW)
    served, comparable = _masks(sim)
    assert served.any() and comparable.any() and not (served & comparable).any()
    assert [r.label for r in table.rows[:3]] == [
        "Served", "Comparable, not served", "Difference (served − not)"]
    assert table.extra_columns == ["Growth Q2→Q3", "Growth Q1→Q2", "Reach"]
    s = [res.scores[0, 0] for res in sim.history]
    for row, mask in zip(table.rows[:2], (served, comparable), strict=True):
        assert row.n == np.count_nonzero(mask)
        for q in range(3):
            mean, se = _mean_se(s[q][mask])
            assert row.values[q] == pytest.approx(mean, abs=1e-6)
            assert row.errors[q] == pytest.approx(se, abs=1e-6)
        assert row.extra[:2] == [_signed(*_mean_se((s[2] - s[1])[mask])),
                                 _signed(*_mean_se((s[1] - s[0])[mask]))]
    assert table.rows[0].extra[2] == (
        f"{served.sum()} of {_school(sim).sum()} ({100 * served.sum() / _school(sim).sum():.0f}%)")
    since = [_mean_se((s[2] - s[1])[m]) for m in (served, comparable)]
    before = [_mean_se((s[1] - s[0])[m]) for m in (served, comparable)]
    assert table.rows[2].extra[:2] == [
        _signed(a[0] - b[0], math.hypot(a[1], b[1])) for a, b in (since, before)]
    assert all(math.isnan(v) for v in table.rows[2].values)
    assert not table.rows[2].counted and not table.rows[2].small


def test_whom_it_reaches_by_grade_and_subgroup(meeting_2: Simulation) -> None:
    sim = meeting_2
    table = figures.build_table(sim, VIEW)
    served, _ = _masks(sim)
    school, pop = _school(sim), sim.population
    s = [res.scores[0, 0] for res in sim.history]
    groups = [(f"Grade {g}", school & (pop.grade == g)) for g in sim.scenario.grades] + [
        (g.short, school & _member(sim, g.id)) for g in sim.scenario.subgroups]
    rows = table.rows[3:]
    assert [r.label for r in rows] == [f"Served · {label}" for label, _ in groups]
    for row, (_, mask) in zip(rows, groups, strict=True):
        reached = served & mask
        assert row.n == reached.sum()
        share = 100 * reached.sum() / mask.sum()
        assert row.extra[2] == f"{reached.sum()} of {mask.sum()} ({share:.0f}%)"
        if reached.any():
            assert row.extra[0] == _signed(*_mean_se((s[2] - s[1])[reached]))
        else:
            assert row.extra[:2] == ["—", "—"]
    grade_8 = next(r for r in rows if r.label == "Served · Grade 8")
    assert grade_8.n == 0  # the decision named grades 6 and 7


def test_a_strategy_serving_everyone_has_no_comparable_but_its_own_growth_before(
    meeting_2: Simulation,
) -> None:
    table = figures.build_table(meeting_2, "reading/hudson-ms/served/balanced-literacy")
    served, comparable = table.rows[0], table.rows[1]
    assert served.n == _school(meeting_2).sum() and comparable.n == 0
    assert comparable.extra[:2] == ["—", "—"] and served.extra[1] != "—"


def test_by_the_end_of_the_year_growth_runs_from_the_last_benchmark_before_it(
    year: Simulation,
) -> None:
    table = figures.build_table(year, VIEW)
    assert table.quarters == ["Q1", "Q2", "Q3", "Q4"]
    # Two quarters since Q2, and only one before it in the year.
    assert table.extra_columns[:2] == ["Growth Q2→Q4", "Growth Q1→Q2"]
    served, _ = _masks(year)
    s = [res.scores[0, 0] for res in year.history]
    assert table.rows[0].extra[0] == _signed(*_mean_se((s[3] - s[1])[served]))


def test_a_strategy_not_in_play_says_so(meeting_2: Simulation) -> None:
    table = figures.build_table(meeting_2, "math/hudson-ms/served/tutoring-math")
    assert table.rows == [] and "not in play" in table.empty
    assert figures.served_options(meeting_2) == [
        ("Structured-literacy intervention block", "structured-literacy"),
        ("Expand balanced literacy", "balanced-literacy")]


def test_the_figures_are_averaged_over_replications_each_computed_alone(
    hudson: Scenario,
) -> None:
    """Calibration runs many replications at once: each is computed with its own mask."""
    played, _ = simulate(hudson, SEED, [ADOPT], replications=3)
    table = figures.build_table(played, VIEW)
    act = played.active["structured-literacy"]
    school = _school(played)
    s = [res.scores[0] for res in played.history]
    means = [s[2][r][act.served[r] & school].mean(dtype=np.float64) for r in range(3)]
    gains = [(s[2][r] - s[1][r])[act.served[r] & school].astype(np.float64) for r in range(3)]
    assert table.rows[0].values[2] == pytest.approx(np.mean(means), abs=1e-5)
    expected = (np.mean([g.mean() for g in gains]),
                np.mean([g.std() / math.sqrt(g.size) for g in gains]))
    assert table.rows[0].extra[0] == _signed(*expected)


@FEWER
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 30)),
                  elements=st.floats(-50, 50, width=32)),
       st.data())
def test_mean_and_se_of_a_masked_group_is_numpys_per_replication(values: np.ndarray,
                                                                  data: st.DataObject) -> None:
    mask = data.draw(hnp.arrays(bool, values.shape))
    n, mean, se = figures.mean_and_se(values, mask)
    seen = [r for r in range(values.shape[0]) if mask[r].any()]
    if not seen:
        assert n == 0 and math.isnan(mean) and math.isnan(se)
        return
    picked = [values[r][mask[r]].astype(np.float64) for r in seen]
    assert mean == pytest.approx(np.mean([p.mean() for p in picked]), abs=1e-4)
    assert se == pytest.approx(np.mean([p.std() / math.sqrt(p.size) for p in picked]), abs=1e-4)
    assert n == round(mask.sum(axis=1).mean())


# ---------------------------------------------------------------------- the view's name

IDS = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@FEWER
@given(IDS, IDS, IDS)
def test_a_served_view_gives_back_the_text_it_was_parsed_from(subject: str, school: str,
                                                              strategy: str) -> None:
    text = f"{subject}/{school}/served/{strategy}"
    view = View.parse(text)
    assert (view.breakdown, view.about) == (SERVED, strategy)
    assert str(view) == text and View.parse(str(view)) == view


@FEWER
@given(st.sampled_from(["served", "cross"]), st.text(alphabet="abz/-:7 ", max_size=20))
def test_any_text_after_a_breakdown_that_names_whom_is_a_view_or_refused_naming_it(
    breakdown: str, tail: str,
) -> None:
    text = f"reading/x/{breakdown}/{tail}"
    try:
        view = View.parse(text)
    except ValueError as err:
        assert text in str(err)
    else:
        assert (view.breakdown, view.about, str(view)) == (breakdown, tail, text)


@pytest.mark.parametrize(("text", "message"), [
    ("reading/hudson-ms/served", "is not SUBJECT/SCHOOL/served/STRATEGY"),
    ("reading/hudson-ms/served/", "is not SUBJECT/SCHOOL/BREAKDOWN"),
    ("reading/hudson-ms/grade/structured-literacy", "is not SUBJECT/SCHOOL/BREAKDOWN"),
    ("reading/hudson-ms/serve", "did you mean 'served'?"),
])
def test_a_malformed_served_view_is_refused_saying_what_is_wrong(text: str, message: str
                                                                  ) -> None:
    with pytest.raises(ValueError, match=message):
        View.parse(text)
    with pytest.raises(ValueError, match="only served and cross views"):
        View("reading", "hudson-ms", SERVED)


def test_a_served_view_is_checked_against_the_scenarios_strategies(hudson: Scenario) -> None:
    assert View.check(VIEW, hudson) is None
    assert View.check("reading/hudson-ms/served/structured-litteracy", hudson) == (
        "unknown strategy in view 'structured-litteracy'; did you mean 'structured-literacy'?")
    assert View.check("attendance/hudson-ms/served/attendance-outreach", hudson) == (
        "a served view compares benchmark scores: its subject is one of reading, math, "
        "not 'attendance'")
    # It shows no target's figure: its rows are served and not, not a subgroup or grade.
    assert not View.parse(VIEW).shows(Metric.parse("pct:reading:hudson-ms:all"))


def test_growth_is_the_paired_change_of_the_same_students(meeting_2: Simulation) -> None:
    served, _ = _masks(meeting_2)
    s = [res.scores[0, 0] for res in meeting_2.history]
    gain = figures.growth(meeting_2, 0, served, 1, 2)
    mean, se = _mean_se((s[2] - s[1])[served])
    assert (gain.n, gain.window) == (served.sum(), "Q2→Q3")
    assert gain.mean == pytest.approx(mean, abs=1e-6)
    assert gain.se == pytest.approx(se, abs=1e-6)
    # Unpaired, the error would be that of two independent means: far larger.
    assert gain.se < math.hypot(_mean_se(s[2][served])[1], _mean_se(s[1][served])[1]) / 2
    assert math.isnan(figures.growth(meeting_2, 0, served, 2, 2).mean)
    assert figures.windows(meeting_2, 1) == ((1, 2), (0, 1))


def test_after_an_adjustment_the_comparable_are_judged_on_the_benchmark_it_was_made_on(
    hudson: Scenario,
) -> None:
    """Adjusted at Meeting #2 to its own grades and subgroups, 40 students: chosen again on
    Q3's scores, but its growth still runs from Q2, the last benchmark before it started."""
    adjust = ("meeting-2", [{"strategy": "structured-literacy", "action": "adjust",
                             "options": {"capacity": 40}}])
    sim, _ = simulate(hudson, SEED, [ADOPT, adjust])
    served = sim.active["structured-literacy"].served[0] & _school(sim)
    assert served.sum() == 40
    q2, q3 = sim.history[1], sim.history[2]
    below = [_school(sim) & (q.scores[0, 0] < q.cuts[0]) & ~served for q in (q2, q3)]
    assert (below[0] != below[1]).any()  # the two benchmarks would pick different students
    found = figures.comparison(sim, "structured-literacy", "hudson-ms")
    assert found is not None and found.baseline == 1
    assert np.array_equal(found.comparable[0], below[1])
    assert figures.build_table(sim, VIEW).extra_columns[0] == "Growth Q2→Q4"
