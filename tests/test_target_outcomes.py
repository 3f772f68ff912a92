"""Outcomes for the students a plan was for: each target group's own growth beside the
school-wide figure, against business as usual and the best bundle, with the band."""

from __future__ import annotations

import jsonschema
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
from simulator.engine.playthrough import first_meeting_plan
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.formats.refs import Group
from simulator.render.html import render_html
from simulator.render.markdown import render_markdown
from simulator.session.state import SessionState, plan_of
from simulator.session.transcript import load_transcript

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
    keys = [(t.subject, str(t.group), t.source) for t in found]
    assert keys[:2] == [("reading", "el", "target"), ("reading", "swd", "target")]
    assert len(keys) == len({k[:2] for k in keys})
    # The attendance target names no scale-score group; the decisions' grades 6–8 do.
    assert {("reading", "grade-8", "decision"), ("math", "grade-6", "decision")} <= set(keys)
    assert not any("chronic" in k[0] for k in keys)


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
    md, page = render_markdown(report), render_html(report)
    assert "| English learners | Reading |" in md
    assert "<table class=\"targets\">" in page and "<td>English learners</td>" in page


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
    subjects = {s.id for s in hudson.subjects}
    for t in found:
        assert isinstance(t, TargetGroup) and t.subject in subjects
        assert t.group != Group() and t.group.problem(hudson) is None
    assert len(found) == len({(t.subject, str(t.group)) for t in found})
