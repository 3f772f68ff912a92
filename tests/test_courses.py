"""Course grades and credits: a measure beside the benchmark, declared in the scenario
file with its own norm (``courses``), for scenarios such as ninth-grade on-track.

The tests add a ``courses`` section to Hudson's text (its grade 8 takes four courses)
and check the file's checks, the model's derivation from its norm, what strategies and
needs do to course grades, the credits and on-track rule, and the views and metrics.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_scenario_validation import HUDSON, edit, position, problems

from simulator.engine.dashboard import build_table, metric_options
from simulator.engine.metrics import course_stat, metric_value, quarter_json
from simulator.engine.simulation import Decision, Simulation
from simulator.formats.loading import parse_scenario
from simulator.formats.refs import Metric, View
from simulator.formats.scenario import Scenario

COURSES = """courses:
  name: Core courses
  grades: [8]
  courses:
    - {id: ela-8, name: ELA 8, subject: reading}
    - {id: math-8, name: Math 8, subject: math}
    - {id: science-8, name: Science 8}
    - {id: history-8, name: US History}
  terms: [q2, q4]
  credit: 0.5
  pass_rate: 0.93
  on_track: {credits: 3.5, max_failures: 1}

"""
ANCHOR = "subgroups:\n"


def with_courses(block: str = COURSES, text: str = HUDSON) -> str:
    assert text.count(ANCHOR) == 1
    return text.replace(ANCHOR, block + ANCHOR)


def scenario(text: str | None = None) -> Scenario:
    return parse_scenario((text or with_courses()).encode(), "courses.yaml")


def played(sc: Scenario, decisions: list[Decision] | None = None, seed: int = 3,
           replications: int = 40) -> Simulation:
    sim = Simulation(sc, seed=seed, replications=replications)
    sim.run_until_meeting()
    if decisions:
        sim.decide(decisions)
    while not sim.finished:
        sim.advance()
    return sim


# --------------------------------------------------------------------------- the file


def test_hudson_with_courses_validates_and_shows_them() -> None:
    sc = scenario()
    assert sc.courses is not None
    assert [c.id for c in sc.courses.courses] == ["ela-8", "math-8", "science-8", "history-8"]
    assert sc.courses.on_track.credits == 3.5


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("subject: math}", "subject: maths}", "maths", "unknown subject 'maths'; did you mean 'math'"),
    ("terms: [q2, q4]", "terms: [q2, Q4]", "Q4", "did you mean 'q4'"),
    ("terms: [q2, q4]", "terms: [q2, q3]", "q3", "the last term must end with the year's last"),
    ("terms: [q2, q4]", "terms: [q4, q2]", "q2]", "terms must come in calendar order"),
    ("grades: [8]", "grades: [9]", "9]", "grade 9 is not one of the scenario's grades"),
    ("credits: 3.5", "credits: 4.5", "4.5", "passing every course every term earns only 4"),
])
def test_course_mistakes_are_located(old: str, new: str, needle: str, message: str) -> None:
    text = with_courses(edit(old, new, COURSES))
    found = problems(text.encode())
    assert len(found) == 1, found
    line, col = position(text, needle)
    assert found[0][:2] == (line, col)
    assert message in found[0][2]


def test_course_effects_without_courses_are_refused_where_written() -> None:
    text = edit("    attendance_effect: -0.12\n",
                "    attendance_effect: -0.12\n    course_effect: 0.2\n")
    found = problems(text.encode())
    assert [f[2] for f in found] == ["course_effect needs a `courses` section (course "
                                     "grades to act on)"]
    assert found[0][0] == position(text, "course_effect")[0]


def test_a_course_metric_needs_courses() -> None:
    hudson = parse_scenario(HUDSON.encode())
    assert "no `courses` section" in str(Metric.check("failing:courses:hudson-ms:all", hudson))
    sc = scenario()
    assert Metric.check("failing:courses:hudson-ms:all", sc) is None
    assert "subject is courses" in str(Metric.check("ontrack:reading:hudson-ms:all", sc))
    assert Metric.parse("failing:courses:hudson-ms:all").lower_is_better
    assert not Metric.parse("ontrack:courses:hudson-ms:el").lower_is_better
    assert View.check("courses/hudson-ms/absence", sc) is None
    assert "splits course grades" in str(View.check("reading/hudson-ms/absence", sc))
    assert "unknown subject in view 'courses'" in str(View.check("courses/hudson-ms/all",
                                                                 hudson))


# --------------------------------------------------------------------------- the model


def test_the_threshold_is_derived_from_the_norm() -> None:
    """A student at the national norm (ability 0, typical absences, no need, no strategy)
    passes ``pass_rate`` of grades: with a school at the norm and no drags, the share of
    passing grades across thousands of students is the declared norm."""
    text = with_courses(edit("  pass_rate: 0.93", "  pass_rate: 0.80", COURSES))
    sc = scenario(text)
    normal = sc.model_copy(update={
        "schools": [s.model_copy(update={"effect_sd": 0.0, "growth_sd": 0.0,
                                         "absence_rate": 0.08, "subgroup_rates": {}})
                    for s in sc.schools],
        "subgroups": [], "needs": [], "population": sc.population.model_copy(update={
            "attendance": sc.population.attendance.model_copy(update={"spread": 0.01})})})
    sim = Simulation(normal, seed=5, replications=30)
    res = sim.advance()
    assert res.courses is not None
    takes = sim.population.takes_courses
    passed = 1.0 - res.courses.failures[:, takes].mean() / len(sc.courses.courses)
    # ~30 × 500 students × 4 grades: the share is within two points of the norm (the
    # within-school spread of ability, 0.9 rather than the nation's 1, nudges it up); a
    # threshold on the wrong side of the mean would give 20 %.
    assert 0.79 <= passed <= 0.825


def test_no_courses_no_course_figures() -> None:
    sim = Simulation(parse_scenario(HUDSON.encode()), seed=1)
    res = sim.advance()
    assert res.courses is None
    assert "courses" not in quarter_json(sim, res)["schools"][0]


def test_only_the_course_grades_get_grades_and_credits_come_at_term_ends() -> None:
    sim = played(scenario(), replications=4)
    pop = sim.population
    q1, q2, q3, q4 = sim.history
    for res in sim.history:
        assert res.courses is not None
        assert not res.courses.failures[:, ~pop.takes_courses].any()
    assert not q1.courses.credits.any() and q1.courses.terms_left == 2
    assert q2.courses.final and not q3.courses.final and q4.courses.final
    takers = pop.takes_courses
    # Credits: 0.5 per course passed at each term end, never in between.
    earned = 0.5 * (4 - q2.courses.failures[:, takers])
    assert np.array_equal(q2.courses.credits[:, takers], earned)
    assert np.array_equal(q3.courses.credits, q2.courses.credits)
    both = earned + 0.5 * (4 - q4.courses.failures[:, takers])
    assert np.array_equal(q4.courses.credits[:, takers], both)
    # At the end, on track is exactly the rule: enough credits, few enough failed grades.
    failed = q2.courses.failures + q4.courses.failures
    rule = (q4.courses.credits >= 3.5) & (failed <= 1)
    assert np.array_equal(q4.courses.on_track(sim.scenario.courses)[:, takers],
                          rule[:, takers])


def test_same_seed_same_grades() -> None:
    a, b = played(scenario(), replications=3), played(scenario(), replications=3)
    for x, y in zip(a.history, b.history, strict=True):
        assert np.array_equal(x.courses.failures, y.courses.failures)
        assert np.array_equal(x.courses.credits, y.courses.credits)


def test_a_course_strategy_lowers_its_students_failures_only() -> None:
    text = with_courses(text=edit("    attendance_effect: -0.12\n",
                                  "    attendance_effect: -0.12\n    course_effect: 0.8\n"))
    sc = scenario(text)
    mentor = next(s for s in sc.strategies if s.course_effect)
    base = played(sc)
    treated = played(sc, [Decision(mentor.id)])
    served = treated.active[mentor.id].served & treated.population.takes_courses
    rest = ~treated.active[mentor.id].served & treated.population.takes_courses
    bau_f, new_f = base.history[-1].courses.failures, treated.history[-1].courses.failures
    assert served.any()
    assert new_f[served].mean() < bau_f[served].mean() - 0.05
    # Common random numbers: students it does not serve get the same grades, up to the
    # attendance the strategy changes only for the served.
    assert np.array_equal(new_f[rest], bau_f[rest])


def test_a_course_need_raises_failures_until_remedied() -> None:
    # Hudson's need is in grades 6 and 7: they take the courses too, here.
    text = with_courses(edit("grades: [8]", "grades: [6, 7, 8]", COURSES),
                        edit("    growth_penalty_sd: 0.17\n",
                                  "    growth_penalty_sd: 0.17\n    course_shift_sd: -1.0\n"))
    sc = scenario(text)
    need = sc.needs[0]
    assert need.course_shift_sd == -1.0
    sim = played(sc)
    k = 0
    has = sim.population.has_need[k] & sim.population.takes_courses
    without = ~sim.population.has_need[k] & sim.population.takes_courses
    assert has.any()
    f = sim.history[0].courses.failures
    plain = played(scenario(with_courses(edit("grades: [8]", "grades: [6, 7, 8]", COURSES)))
                   ).history[0].courses.failures
    assert f[:, has].mean() > plain[:, has].mean() + 0.3
    assert np.array_equal(f[:, without], plain[:, without])


# --------------------------------------------------------------------------- what is shown


def test_the_course_view_and_metrics_agree() -> None:
    sc = scenario()
    sim = played(sc, replications=1)
    table = build_table(sim, "courses/hudson-ms/all")
    assert table.unit == "%" and table.quarters == ["Q1", "Q2", "Q3", "Q4"]
    assert table.rows[0].label == "All students"
    value = metric_value(sim, "failing:courses:hudson-ms:all")
    assert value is not None and math.isclose(table.rows[0].values[-1], value)
    track = build_table(sim, "courses/hudson-ms/all", measure="mean")
    assert math.isclose(track.rows[0].values[-1],
                        metric_value(sim, "ontrack:courses:hudson-ms:all") or -1)
    by_grade = build_table(sim, "courses/hudson-ms/grade")
    assert [r.label for r in by_grade.rows] == ["All students", "Grade 8"]
    absence = build_table(sim, "courses/hudson-ms/absence")
    labels = [r.label for r in absence.rows]
    assert labels == ["All students", "Chronically absent so far", "Not chronically absent"]
    # The chronically absent fail more: each missed day costs course performance.
    assert absence.rows[1].values[-1] > absence.rows[2].values[-1]
    keys = [k for _, k in metric_options(sc)]
    assert "failing:courses:hudson-ms:all" in keys and "ontrack:courses:hudson-ms:grade-8" in keys
    assert "failing:courses:hudson-ms:grade-6" not in keys


def test_run_json_reports_courses_per_group() -> None:
    sc = scenario()
    sim = Simulation(sc, seed=1, replications=2)
    res = sim.advance()
    school = quarter_json(sim, res)["schools"][0]
    rows = {r["group"]: r for r in school["courses"]}
    assert set(rows) == {"all", "econ", "el", "swd", "grade-8"}
    assert rows["all"]["n"] == rows["grade-8"]["n"] == int(sim.population.takes_courses[
        sim.population.school == 0].sum())
    stat = course_stat(res, sc.courses, sim.population.takes_courses,
                       sim.population.school == 0)
    assert rows["all"]["pct_failing"] == round(stat.pct_failing, 2)
    assert rows["all"]["mean_credits"] == 0.0


# --------------------------------------------------------------------------- the debrief


def test_the_debrief_reports_course_grades_against_both_yardsticks(tmp_path) -> None:
    from simulator.debrief.outcomes import outcomes

    text = with_courses(text=edit("    attendance_effect: -0.12\n",
                                  "    attendance_effect: -0.12\n    course_effect: 0.8\n"))
    sc = scenario(text)
    mentor = next(s for s in sc.strategies if s.course_effect)
    plan = [("meeting-1", [{"strategy": mentor.id, "action": "adopt"}])]
    doc = outcomes(sc, 1, plan, replications=6, cache_dir=tmp_path)
    courses = doc["courses"]
    assert courses["name"] == "Core courses" and courses["students"] > 0
    assert set(courses["plans"]) == {"played", "business_as_usual", "best"}
    bau = next(d for d in courses["differences"] if d["vs"] == "business_as_usual")
    # A strategy that lifts course performance by 0.8 SD puts more students on track.
    assert bau["on_track"]["mean"] > 0 and bau["failing"]["mean"] < 0
    assert any(line.startswith("Core courses: at Q4") for line in doc["summary"])
    hudson = outcomes(parse_scenario(HUDSON.encode()), 1, plan[:0], replications=2,
                      yardsticks=False)
    assert hudson["courses"] is None


# --------------------------------------------------------------------------- the meeting room


def test_key_5_opens_course_grades_in_the_dashboard(tmp_path) -> None:
    import asyncio

    from test_tui_meetings import open_from_briefing
    from textual.widgets import DataTable, Static

    from tui.app import PmsimApp

    path = tmp_path / "graded.yaml"
    path.write_text(with_courses(), encoding="utf-8")
    app = PmsimApp(scenario=str(path), seed=1, home=tmp_path / "home", pace=0)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_from_briefing(pilot, "f3", "DashboardScreen")
            await pilot.press("5")
            await pilot.pause()
            title = str(app.screen.query_one("#view-title", Static).render())
            assert title.startswith("Core courses – Hudson Middle School")
            grid = app.screen.query_one("#figures", DataTable)
            headers = [c.label.plain for c in grid.columns.values()]
            assert headers[-3:] == ["Fs/student", "Credits", "On track"]
            for _ in range(3):  # all → grade → subgroup → by attendance
                await pilot.press("g")
            await pilot.pause()
            labels = [str(grid.get_row_at(i)[0]) for i in range(grid.row_count)]
            assert labels == ["All students", "Chronically absent so far",
                              "Not chronically absent"]

    asyncio.run(run())


def test_key_5_says_when_a_scenario_has_no_course_grades(tmp_path) -> None:
    import asyncio

    from test_tui_meetings import open_from_briefing
    from textual.widgets import Static

    from tui.app import PmsimApp

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_from_briefing(pilot, "f3", "DashboardScreen")
            before = str(app.screen.query_one("#view-title", Static).render())
            await pilot.press("5")
            await pilot.pause()
            assert str(app.screen.query_one("#view-title", Static).render()) == before
            assert any("no course grades" in str(n.message) for n in app._notifications)

    asyncio.run(run())


def test_an_electives_failures_earn_no_credit_but_do_not_count_against_on_track() -> None:
    text = with_courses(edit("    - {id: history-8, name: US History}\n",
                             "    - {id: history-8, name: US History, core: false}\n", COURSES))
    sim = played(scenario(text), replications=4)
    q2, q4 = sim.history[1].courses, sim.history[3].courses
    takers = sim.population.takes_courses
    assert (q4.failures[:, takers] > q4.core_failures[:, takers]).any()  # the elective failed
    core = q2.core_failures + q4.core_failures
    assert np.array_equal(q4.term_failures, core)
    rule = (q4.credits >= 3.5) & (core <= 1)
    assert np.array_equal(q4.on_track(sim.scenario.courses)[:, takers], rule[:, takers])
