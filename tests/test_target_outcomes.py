"""Outcomes for the students a plan was for: each target group's own growth beside the
school-wide figure, against business as usual and the best bundle, with the band."""

from __future__ import annotations

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.debrief.outcomes import (
    TargetGroup,
    beyond_noise,
    outcomes,
    target_groups,
)
from simulator.debrief.report import build_report, schema
from simulator.engine.dashboard import metric_value
from simulator.engine.metrics import students
from simulator.engine.playthrough import first_meeting_plan, replay
from simulator.engine.simulation import Simulation
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.formats.refs import Group
from simulator.render.html import render_html
from simulator.render.markdown import render_markdown
from simulator.session.state import SessionState, plan_of
from simulator.session.transcript import load_transcript
from tui.screens.debrief import outcomes_content

REPLICATIONS = 200
"""The default the final debrief uses, so the band is the one a pair would read."""


@pytest.fixture(scope="module")
def hudson():
    return load_scenario("hudson").scenario


@pytest.fixture(scope="module")
def strong() -> SessionState:
    return load_transcript(builtin_dir() / "hudson-strong-transcript.yaml").state()


def _targets(state: SessionState) -> list[dict]:
    return [r.fields for r in state.records.values() if r.kind == "target"]


@pytest.fixture(scope="module")
def strong_doc(hudson, strong):
    return outcomes(hudson, strong.seed, plan_of(strong), REPLICATIONS,
                    targets=_targets(strong))


def _vs(entry: dict, vs: str) -> dict:
    return next(d for d in entry["differences"] if d["vs"] == vs)


def test_the_strong_pairs_target_group_gains_beyond_the_band_where_the_school_does_not(
        strong_doc):
    el = next(t for t in strong_doc["targets"]
              if (t["subject"], t["group"]) == ("reading", "el"))
    school = next(d for d in strong_doc["differences"]
                  if (d["vs"], d["subject"]) == ("business_as_usual", "reading"))
    assert el["source"] == "target" and el["group_name"] == "English learners"
    mine = _vs(el, "business_as_usual")
    # The English learners' reading gain over business as usual leaves zero out of its band
    # and its whole band lies above the school-wide one: the average dilutes it.
    assert beyond_noise(mine["score"]) and mine["score"]["low"] > 0
    assert mine["score"]["low"] > school["score"]["high"]
    # In SD too, the group's gain is several times the school's: the average dilutes it.
    assert mine["score"]["mean"] > 2 * school["score"]["mean"]
    assert el["students"] > 0
    assert set(el["plans"]) == {"played", "business_as_usual", "best"}
    line = next(s for s in strong_doc["summary"] if s.startswith("English learners, Reading"))
    assert "named by a target" in line and "school-wide" in line


def test_the_groups_come_from_targets_then_decisions_once_each(hudson, strong):
    found = target_groups(hudson, _targets(strong), plan_of(strong))
    keys = [(t.subject, t.strand, str(t.group), t.source) for t in found]
    # The targets first (two in reading, one on chronic absence), then the decisions'.
    assert keys[:3] == [("reading", None, "el", "target"), ("reading", None, "swd", "target"),
                        ("attendance", None, "grade-8", "target")]
    assert len(keys) == len({k[:3] for k in keys})
    # Structured literacy, decided for grades 6-7, English learners and students with
    # disabilities, teaches reading and remediates the need that shows on word study.
    assert ("reading", None, "grade-6", "decision") in keys
    assert {("reading", "word-study", g, "decision") for g in
            ("grade-6", "grade-7", "el", "swd")} <= set(keys)
    # It teaches no math, and attendance outreach (adjusted to grade 8) teaches neither
    # subject: no math rows, and no reading row for grade 8.
    assert not any(k[0] == "math" for k in keys)
    assert ("reading", None, "grade-8", "decision") not in keys


def _decided(strategy: str, **options) -> list:
    return [("meeting-1", [{"strategy": strategy, "action": "adopt", "options": options}])]


@pytest.mark.parametrize(("strategy", "expected"), [
    ("tutoring-math", [("math", None)]),
    ("after-school-tutoring", [("reading", None), ("math", None)]),
    ("structured-literacy", [("reading", None), ("reading", "word-study")]),
    ("tutoring-reading", [("reading", None), ("reading", "word-study")]),
    ("balanced-literacy", [("reading", None)]),  # it does nothing for the need (0.0)
    ("attendance-outreach", [("attendance", None)]),
    ("no-such-strategy", []),
])
def test_a_decisions_rows_are_what_its_strategy_teaches(hudson, strategy, expected):
    found = target_groups(hudson, [], _decided(strategy, grades=[6], subgroups=["el"]))
    for group in ("grade-6", "el"):
        assert [(t.subject, t.strand) for t in found if str(t.group) == group] == expected
    assert all(t.source == "decision" and t.school is None for t in found)


def test_chronic_absence_targets_name_their_group_even_the_whole_school(hudson):
    found = target_groups(hudson, [{"metric": "chronic:attendance:hudson-ms:all"},
                                   {"metric": "chronic:attendance:hudson-ms:grade-8"},
                                   {"metric": "pct:reading:hudson-ms:all"}], [])
    assert [(t.kind, str(t.group), t.school) for t in found] == [
        ("attendance", "all", "hudson-ms"), ("attendance", "grade-8", "hudson-ms")]


def test_the_strong_pairs_strand_row_is_measured_on_the_strand(hudson, strong, strong_doc):
    el = next(t for t in strong_doc["target_strands"] if t["group"] == "el")
    assert (el["subject"], el["strand"], el["strand_name"], el["source"]) == \
        ("reading", "word-study", "Vocabulary & Word Study", "decision")
    subject = next(t for t in strong_doc["targets"] if (t["subject"], t["group"]) ==
                   ("reading", "el"))
    assert el["students"] == subject["students"]
    mine, overall = _vs(el, "business_as_usual")["score"], _vs(subject, "business_as_usual")
    # Structured literacy remediates decoding, which shows on word study: the English
    # learners' strand gains beyond the band, and more than their whole reading score.
    assert beyond_noise(mine) and mine["low"] > overall["score"]["high"]
    assert set(el["plans"]) == {"played", "business_as_usual", "best"}
    assert all(set(p) == {"score"} for p in el["plans"].values())
    line = next(s for s in strong_doc["summary"]
                if s.startswith("English learners, Reading: Vocabulary & Word Study"))
    assert "named by a decision" in line and "strand" in line


def _replayed(hudson, strong, replications):
    sim = Simulation(hudson, seed=strong.seed, replications=replications)
    base = {}
    replay(sim, plan_of(strong), through=len(hudson.calendar.quarters) - 1,
           at_meeting=lambda m: base.setdefault("q", sim.latest))
    return sim, base["q"]


def test_strand_and_chronic_rows_match_the_engines_own_figures(hudson, strong):
    """Measured independently: the played plan's strand change from the English learners'
    strand scores, and grade 8's chronic absence by the engine's own target metric."""
    r = 20
    doc = outcomes(hudson, strong.seed, plan_of(strong), r, targets=_targets(strong))
    sim, base = _replayed(hudson, strong, r)
    el = students(sim.population, "hudson-ms", Group(subgroup="el"))
    k = [t.id for t in hudson.subject("reading").strands].index("word-study")
    change = (sim.latest.strand_scores[0][k][:, el].mean(axis=1, dtype=np.float64)
              - base.strand_scores[0][k][:, el].mean(axis=1, dtype=np.float64))
    row = next(t for t in doc["target_strands"] if t["group"] == "el")
    assert row["plans"]["played"]["score"]["mean"] == pytest.approx(change.mean(), abs=0.006)
    assert row["plans"]["played"]["score"]["replication_0"] == pytest.approx(change[0],
                                                                            abs=0.006)
    chronic = metric_value(sim, "chronic:attendance:hudson-ms:grade-8")
    grade_8 = next(t for t in doc["target_attendance"] if t["group"] == "grade-8")
    assert grade_8["plans"]["played"]["chronic"]["mean"] == pytest.approx(chronic, abs=0.006)


def test_the_strong_pairs_attendance_target_has_its_row_against_both_yardsticks(strong_doc):
    (row,) = strong_doc["target_attendance"]
    assert (row["group"], row["group_name"], row["source"], row["threshold"]) == \
        ("grade-8", "Grade 8", "target", 0.1)
    assert row["students"] > 0 and set(row["plans"]) == {"played", "business_as_usual", "best"}
    bau = _vs(row, "business_as_usual")["chronic"]
    # Attendance outreach, concentrated on grade 8, leaves fewer of them chronically absent
    # than doing nothing, beyond the band.
    assert bau["high"] < 0
    played, nothing = (row["plans"][p]["chronic"]["mean"] for p in ("played",
                                                                    "business_as_usual"))
    assert played < nothing
    assert bau["mean"] == pytest.approx(played - nothing, abs=0.011)
    line = next(s for s in strong_doc["summary"] if s.startswith("Grade 8, chronic absence"))
    assert "named by a target" in line and "business as usual" in line


def test_the_tui_lists_the_strand_and_attendance_lines(strong_doc):
    text = outcomes_content(strong_doc).plain
    assert "English learners, Reading: Vocabulary & Word Study" in text
    assert "Grade 8, chronic absence" in text


def test_a_session_with_no_targets_shows_no_target_groups(hudson):
    plan = first_meeting_plan(hudson, ("structured-literacy",))
    doc = outcomes(hudson, 4, plan, 20)
    assert doc["targets"] == []
    assert not any("named by" in s for s in doc["summary"])


def test_before_the_final_debrief_there_are_no_target_groups(hudson, strong):
    doc = outcomes(hudson, strong.seed, plan_of(strong), 20, targets=_targets(strong),
                   yardsticks=False)
    assert doc["targets"] == []


def test_target_outcomes_are_deterministic(hudson, strong, strong_doc):
    again = outcomes(hudson, strong.seed, plan_of(strong), REPLICATIONS,
                     targets=_targets(strong))
    assert again["targets"] == strong_doc["targets"]
    assert again["summary"] == strong_doc["summary"]


def test_the_final_report_carries_and_renders_the_target_groups(hudson, strong):
    report = build_report(hudson, strong, final=True, replications=20)
    doc = report.model_dump(mode="json")
    jsonschema.validate(doc, schema())
    assert [t["group"] for t in doc["outcomes"]["targets"]][:2] == ["el", "swd"]
    assert "el" in [t["group"] for t in doc["outcomes"]["target_strands"]]
    assert [t["group"] for t in doc["outcomes"]["target_attendance"]] == ["grade-8"]
    md, page = render_markdown(report), render_html(report)
    assert "| English learners | Reading |" in md
    assert "| English learners | Reading: Vocabulary & Word Study |" in md
    assert "| Grade 8 |" in md and "missing at least 10% of the days" in md
    assert "<table class=\"targets\">" in page and "<td>English learners</td>" in page
    assert "<table class=\"target-strands\">" in page
    assert "<table class=\"target-attendance\">" in page
    assert "<td>Reading: Vocabulary &amp; Word Study</td>" in page


def test_a_report_without_target_groups_has_no_target_tables(hudson):
    weak = load_transcript(builtin_dir() / "hudson-weak-transcript.yaml").state()
    report = build_report(hudson, weak, final=True, replications=20)
    doc = report.model_dump(mode="json")
    jsonschema.validate(doc, schema())
    out = doc["outcomes"]
    assert (out["targets"], out["target_strands"], out["target_attendance"]) == ([], [], [])
    assert "class=\"target" not in render_html(report)


METRIC_PARTS = st.sampled_from(["pct", "chronic", "mean", "reading", "math", "attendance",
                                "hudson-ms", "ridge-es", "district", "el", "swd", "grade-6",
                                "grade-9", "all", "x"])


@settings(max_examples=200, deadline=None)
@given(metrics=st.lists(st.one_of(
    st.lists(METRIC_PARTS, min_size=1, max_size=5).map(":".join), st.text(max_size=20),
    st.none(), st.integers()), max_size=6),
    grades=st.lists(st.one_of(st.integers(0, 12), st.text(max_size=3), st.booleans()),
                    max_size=4),
    subgroups=st.lists(st.sampled_from(["el", "swd", "frl", "nobody"]), max_size=3))
def test_any_recorded_metric_or_option_gives_only_groups_the_scenario_defines(
        hudson, metrics, grades, subgroups):
    plan = [("meeting-1", [{"strategy": "structured-literacy", "action": "adopt",
                            "options": {"grades": grades, "subgroups": subgroups}}])]
    found = target_groups(hudson, [{"metric": m} for m in metrics], plan)
    for t in found:
        assert isinstance(t, TargetGroup) and t.group.problem(hudson) is None
        if t.kind == "attendance":
            assert t.source == "target" and t.strand is None  # outreach is not decided here
        else:
            assert t.subject == "reading" and t.group != Group()  # what the strategy teaches
        if t.kind == "strand":
            assert t.strand == "word-study" and t.source == "decision"
    assert len(found) == len({t.key for t in found})


def test_the_same_grade_at_two_schools_is_two_rows_and_a_decision_repeats_none(hudson):
    from simulator.debrief.outcomes import target_groups

    targets = [{"metric": "pct:reading:hudson-ms:grade-6"},
               {"metric": "pct:reading:riverside-ms:grade-6"}]
    plan = [("meeting-1", [{"strategy": "structured-literacy", "action": "adopt",
                            "options": {"grades": [6]}}])]
    rows = [(t.subject, t.strand, str(t.group), t.school)
            for t in target_groups(hudson, targets, plan)]
    # The decision's grade-6 reading row is the Hudson MS target's (Hudson is the one
    # priority school); Riverside's grade 6 stays a row of its own.
    assert rows == [("reading", None, "grade-6", "hudson-ms"),
                    ("reading", None, "grade-6", "riverside-ms"),
                    ("reading", "word-study", "grade-6", None)]


def test_a_course_grades_target_on_a_group_gets_its_own_row_among_the_course_takers():
    """Millbrook: an on-track target for students with disabilities and a decision on
    mentors for grade 9 give course rows of the group's course takers, each plan's share
    on track, in the report's schema and in its Markdown table and summary."""
    loaded = load_scenario("millbrook")
    sc = loaded.scenario
    state = load_transcript(builtin_dir() / "millbrook-strong-transcript.yaml").state()
    targets = [*_targets(state), {"metric": "ontrack:courses:millbrook-hs:swd"},
               {"metric": "failing:courses:millbrook-hs:swd"}]  # one row for the two
    plan = plan_of(state)
    groups = target_groups(sc, targets, plan)
    courses = [t for t in groups if t.kind == "course"]
    assert [(str(t.group), t.school, t.source) for t in courses][:1] == \
        [("swd", "millbrook-hs", "target")]
    doc = outcomes(sc, state.seed, plan, 40, targets=targets)
    rows = doc["target_courses"]
    swd = next(r for r in rows if r["group"] == "swd" and r["source"] == "target")
    sim = Simulation(sc, seed=state.seed, replications=1)
    pop = sim.population
    takers = students(pop, "millbrook-hs", Group(subgroup="swd")) & pop.takes_courses
    assert swd["students"] == int(takers.sum()) > 0
    assert swd["name"] == sc.courses.name and {d["vs"] for d in swd["differences"]} == \
        {"business_as_usual", "best"}
    for plan_id in ("played", "business_as_usual", "best"):
        assert 0.0 <= swd["plans"][plan_id]["on_track"]["mean"] <= 100.0
    assert any("Students with disabilities" in s and "on track" in s for s in doc["summary"])
    from simulator.debrief.models import Outcomes
    from simulator.render.phrases import target_tables

    tables = {css: rows for css, _, _, rows in target_tables(Outcomes.model_validate(doc))}
    shown = next(r for r in tables["target-courses"] if r[0] == "Students with disabilities")
    assert shown[1] == str(swd["students"])
    assert shown[2] == f"{swd['plans']['played']['on_track']['mean']:.1f}%"
