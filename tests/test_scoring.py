"""Debrief scoring: look-fors as data, levels from weighted shares, missed opportunities
grounded in the session's own simulation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.debrief.scoring import Debrief, compile_pattern, fill, play, score
from simulator.engine.metrics import school_masks, score_stat
from simulator.engine.playthrough import simulate
from simulator.engine.pricing import at_meetings
from simulator.formats.loading import ScenarioError, builtin_dir, parse_scenario
from simulator.formats.lookfors import (
    LookForsError,
    default_lookfors,
    lookfors_for,
    parse_lookfors,
)
from simulator.formats.rubric import LEVELS, ROUTINES, level_for
from simulator.formats.rubric import SUB_ELEMENTS as ELEMENTS
from simulator.formats.scenario import Scenario
from simulator.session.state import plan_of
from simulator.session.transcript import Transcript, load_transcript

STRONG_PATH = builtin_dir() / "hudson-strong-transcript.yaml"
WEAK_PATH = builtin_dir() / "hudson-weak-transcript.yaml"
HUDSON_TEXT = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")

Events = list[dict[str, Any]]


@pytest.fixture(scope="module")
def strong() -> Transcript:
    return load_transcript(STRONG_PATH)


@pytest.fixture(scope="module")
def weak() -> Transcript:
    return load_transcript(WEAK_PATH)


def events_of(transcript: Transcript) -> Events:
    return [e.model_dump(mode="json") for e in transcript.events]


def debrief(sc: Scenario, events: Events, upto: str | None = None) -> Debrief:
    transcript = Transcript(scenario="hudson", seed=1, events=events)
    return score(sc, transcript.state(), upto_meeting=upto)


def status(result: Debrief, rule_id: str) -> str:
    for rating in result.elements + result.routine:
        for lookfor in rating.lookfors:
            if lookfor.id == rule_id:
                return lookfor.status
    raise AssertionError(f"no look-for {rule_id}")


def rating(result: Debrief, rid: str):
    return next(r for r in result.elements + result.routine if r.id == rid)


# --------------------------------------------------------------------------- worked transcripts


def test_the_strong_playthrough_rates_strong_and_the_weak_one_weak(
    hudson: Scenario, strong: Transcript, weak: Transcript
) -> None:
    good = score(hudson, strong.state())
    poor = score(hudson, weak.state())
    top, bottom = set(LEVELS[2:]), set(LEVELS[:2])
    assert all(r.level in top for r in good.elements + good.routine), [
        (r.id, r.level) for r in good.elements + good.routine]
    assert sum(r.level in bottom for r in poor.elements) >= 10
    assert all(r.level in bottom for r in poor.routine)
    for g, p in zip(good.elements + good.routine, poor.elements + poor.routine, strict=True):
        assert LEVELS.index(g.level) > LEVELS.index(p.level), g.id


def test_the_strong_playthrough_keeps_its_one_slip_in_view(
    hudson: Scenario, strong: Transcript
) -> None:
    a3 = rating(score(hudson, strong.state()), "A3")
    assert a3.level == "Strong"
    assert a3.missed == ["Strategies adopted without a theory of action: adopted Attendance "
                         "outreach to families at Meeting #1: no theory record for it."]


def test_after_meeting_one_the_weak_pair_already_rates_low(
    hudson: Scenario, weak: Transcript
) -> None:
    first = score(hudson, weak.state(), upto_meeting="meeting-1")
    assert [r.level for r in first.elements].count("Inadequate") >= 9


# --------------------------------------------------------------------------- the JSON contract


def test_to_json_has_the_eleven_sub_elements_with_the_contract_keys(
    hudson: Scenario, weak: Transcript
) -> None:
    data = json.loads(json.dumps(score(hudson, weak.state()).to_json()))
    assert [e["id"] for e in data["elements"]] == list(ELEMENTS)
    assert [r["id"] for r in data["routine"]] == list(ROUTINES)
    for item in data["elements"] + data["routine"]:
        assert {"id", "level", "evidence", "missed"} <= set(item)
        assert item["level"] in LEVELS
        assert all(isinstance(s, str) and s for s in item["evidence"] + item["missed"])
        assert "{" not in "".join(item["evidence"] + item["missed"])


def test_scoring_is_deterministic(hudson: Scenario, strong: Transcript) -> None:
    assert score(hudson, strong.state()).to_json() == score(hudson, strong.state()).to_json()


def test_a_given_replay_is_used_as_is(hudson: Scenario, strong: Transcript) -> None:
    state = strong.state()
    played = play(hudson, state)
    assert score(hudson, state, played=played).to_json() == score(hudson, state).to_json()


def test_the_one_replay_is_the_sessions_simulation_and_pricing(
    hudson: Scenario, strong: Transcript
) -> None:
    state = strong.state()
    played = play(hudson, state)
    sim, _ = simulate(hudson, state.seed, plan_of(state))
    assert played.sim.quarters_done == sim.quarters_done
    for mine, theirs in zip(played.sim.history, sim.history, strict=True):
        assert np.array_equal(mine.scores, theirs.scores)
    closed = at_meetings(hudson, state.seed, plan_of(state))
    assert closed and closed == [played.priced[p.meeting] for p in closed]


@pytest.mark.parametrize(
    ("points", "max_points", "level"),
    [(0, 5, "Inadequate"), (1.7, 5, "Inadequate"), (1.75, 5, "Emerging"), (2.9, 5, "Emerging"),
     (3, 5, "Strong"), (4.2, 5, "Strong"), (4.25, 5, "Exemplary"), (5, 5, "Exemplary"),
     (0, 0, "Inadequate")],
)
def test_levels_come_from_the_weighted_share_of_points(
    points: float, max_points: float, level: str
) -> None:
    assert level_for(points, max_points) == level


# --------------------------------------------------------------------------- scope


def test_upto_meeting_one_ignores_everything_after_it(
    hudson: Scenario, strong: Transcript
) -> None:
    events = events_of(strong)
    cut = next(i for i, e in enumerate(events) if e.get("quarter") == "Q3")
    whole = debrief(hudson, events, "meeting-1").to_json()
    assert whole == debrief(hudson, events[:cut], "meeting-1").to_json()
    assert whole["upto_meeting"] == "meeting-1"


def test_look_fors_about_later_meetings_do_not_apply_after_the_first(
    hudson: Scenario, strong: Transcript
) -> None:
    first = score(hudson, strong.state(), upto_meeting="meeting-1")
    for rule in ("followup-every-commitment", "c3-course-correction", "c2-implementation-view",
                 "focus-targets-reviewed"):
        assert status(first, rule) == "n/a"
    assert all(r.max_points > 0 for r in first.elements + first.routine)


def test_without_upto_a_session_is_scored_as_far_as_it_got(
    hudson: Scenario, strong: Transcript
) -> None:
    events = events_of(strong)
    closed = next(i for i, e in enumerate(events) if e["event"] == "meeting.closed")
    partial = debrief(hudson, events[:closed])
    assert partial.to_json()["elements"] == debrief(
        hudson, events, "meeting-1").to_json()["elements"]


def test_an_unknown_meeting_is_a_clear_error(hudson: Scenario, strong: Transcript) -> None:
    with pytest.raises(ValueError, match="no meeting 'meeting-9'"):
        score(hudson, strong.state(), upto_meeting="meeting-9")


# --------------------------------------------------------------------------- grounded text


def q2_reading(sc: Scenario, group: str) -> float:
    """% on benchmark in reading at Hudson MS at Q2, computed apart from scoring."""
    sim, _ = simulate(sc, 1, [])
    q2 = sim.history[1]
    mask = school_masks(sim.population, 0)[group]
    return score_stat(q2.scores[0], q2.cuts[0], mask).pct_proficient


def test_missed_opportunities_quote_this_sessions_data(
    hudson: Scenario, weak: Transcript
) -> None:
    el, overall = q2_reading(hudson, "el"), q2_reading(hudson, "all")
    c1 = rating(score(hudson, weak.state()), "C1")
    assert (f"Hudson Middle School results were never broken down by subgroup; at Q2 English "
            f"learners were {el:.1f}% on benchmark in reading against {overall:.1f}% overall."
            ) in c1.missed
    assert f"{round((100 - overall) / 10):.0f} in 10 Hudson Middle School students" in " ".join(
        rating(score(hudson, weak.state()), "D2").missed)


def test_another_seed_gives_other_figures(hudson: Scenario, weak: Transcript) -> None:
    other = Transcript(scenario="hudson", seed=5, events=weak.events)
    one = rating(score(hudson, weak.state()), "C1").missed
    five = rating(score(hudson, other.state()), "C1").missed
    assert one != five


def test_evidence_names_the_views_opened_and_when(hudson: Scenario, strong: Transcript) -> None:
    c1 = rating(score(hudson, strong.state()), "C1")
    assert ("Broke the results down by subgroup: reading/hudson-ms/subgroup "
            "(Q2, Meeting #1).") in c1.evidence


def test_the_first_debrief_reveals_no_hidden_truth(hudson: Scenario, weak: Transcript) -> None:
    text = json.dumps(score(hudson, weak.state(), upto_meeting="meeting-1").to_json())
    for need in hudson.needs:
        assert need.name not in text and need.description[:40] not in text
    for truth in hudson.hidden_truths:
        assert truth.title not in text


def test_templates_are_filled_by_substitution_only() -> None:
    assert fill("{school} {missing} {school.__class__}", {"school": "Hudson"}) == (
        "Hudson {missing} {school.__class__}")


def test_patterns_are_globs_with_scenario_names(hudson: Scenario) -> None:
    from simulator.debrief.scoring import _pattern_values

    pattern = compile_pattern("{subject}/{priority}/*", _pattern_values(hudson))
    assert pattern is not None
    assert pattern.fullmatch("Reading/hudson-ms/strand")
    assert not pattern.fullmatch("reading/riverside-ms/strand")
    assert compile_pattern("x/{need_strand}", {"need_strand": []}) is None


# --------------------------------------------------------------------------- every look-for


def _records(events: Events, kind: str, edit: Callable[[dict[str, Any]], None]) -> Events:
    out = copy.deepcopy(events)
    for e in out:
        if e["event"] == "record.added" and e["kind"] == kind:
            edit(e["fields"])
    return out


def _record(events: Events, record_id: str, **fields: Any) -> Events:
    out = copy.deepcopy(events)
    for e in out:
        if e["event"] == "record.added" and e["record_id"] == record_id:
            for key, value in fields.items():
                if value is None:
                    e["fields"].pop(key, None)
                else:
                    e["fields"][key] = value
    return out


def _drop(events: Events, keep: Callable[[dict[str, Any]], bool]) -> Events:
    return [e for e in copy.deepcopy(events) if keep(e)]


def _without_records(*ids: str) -> Callable[[Events], Events]:
    return lambda ev: _drop(ev, lambda e: e.get("record_id") not in ids
                            or e["event"] != "record.added")


def _without_views(view: str, quarter: str | None = None) -> Callable[[Events], Events]:
    return lambda ev: _drop(ev, lambda e: not (
        e["event"] == "view.opened" and e["view"].endswith(view)
        and quarter in (None, e.get("quarter"))))


def _decision(events: Events, meeting: str, strategy: str, **changes: Any) -> Events:
    out = copy.deepcopy(events)
    for e in out:
        if (e["event"] == "decision.made" and e["meeting"] == meeting
                and e["strategy"] == strategy):
            e.update(changes)
    return out


def _adopt(meeting: str, strategy: str, **options: Any) -> Callable[[Events], Events]:
    def edit(events: Events) -> Events:
        out = copy.deepcopy(events)
        at = next(i for i, e in enumerate(out) if e["event"] == "meeting.closed"
                  and e["meeting"] == meeting)
        out.insert(at, {"event": "decision.made", "by": "district", "meeting": meeting,
                        "strategy": strategy, "action": "adopt", "options": options})
        return out
    return edit


def _swap_strategy(old: str, new: str) -> Callable[[Events], Events]:
    def edit(events: Events) -> Events:
        out = copy.deepcopy(events)
        for e in out:
            if e["event"] == "decision.made" and e["strategy"] == old:
                e["strategy"], e["options"] = new, {}
            if e["event"] == "record.added" and e["fields"].get("strategy") == old:
                e["fields"]["strategy"] = new
        return out
    return edit


def _theory_for_outreach(events: Events) -> Events:
    out = copy.deepcopy(events)
    at = next(i for i, e in enumerate(out) if e.get("record_id") == "a1")
    out.insert(at, {"event": "record.added", "by": "district", "meeting": "meeting-1",
                    "record_id": "th2", "kind": "theory",
                    "fields": {"strategy": "attendance-outreach",
                               "indicator": "Families reached within a week",
                               "outcome": "Fewer grade 8 students chronically absent"}})
    return out


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(fields: dict[str, Any]) -> None:
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return edit


def _same(events: Events) -> Events:
    return events


# rule id -> (edit that earns it, edit that misses it), both applied to the strong transcript.
CASES: dict[str, tuple[Callable[[Events], Events], Callable[[Events], Events]]] = {
    "a1-measurable-target": (_same, lambda ev: _records(ev, "target", _set("baseline", None))),
    "a1-baseline-from-data": (_same, lambda ev: _records(ev, "target", _set("baseline", 50))),
    "a1-target-improves": (_same, lambda ev: _records(
        ev, "target", lambda f: f.update(target=f["baseline"]))),
    "a1-target-for-students-behind": (_same, lambda ev: _records(
        ev, "target", _set("metric", "pct:reading:hudson-ms:all"))),
    "a2-theory-of-action": (_same, lambda ev: _records(ev, "theory", _set("indicator", None))),
    "a2-theory-about-a-decision": (_same, lambda ev: _records(
        ev, "theory", _set("strategy", "tutoring-math"))),
    "a2-diagnosis-where-need-shows": (_same, lambda ev: _records(
        _records(ev, "finding", _set("view", "reading/hudson-ms/grade")),
        "diagnosis", _set("view", "reading/hudson-ms/grade"))),
    "a2-strategy-fits-need": (_same, _swap_strategy("structured-literacy", "balanced-literacy")),
    "a3-complete-action-steps": (_same, lambda ev: _record(ev, "a1", target=None)),
    "a3-theory-for-each-adoption": (_theory_for_outreach, _same),
    "a3-aimed-at-need": (_same, lambda ev: _decision(ev, "meeting-1", "structured-literacy",
                                                      options={})),
    "b1-within-resources": (_same, lambda ev: _adopt("meeting-1", "instructional-coaching")(
        _adopt("meeting-1", "extended-day")(ev))),
    "b1-no-unfounded-favourite": (_same, _adopt("meeting-1", "balanced-literacy")),
    "b1-early-investment": (_same, _swap_strategy("structured-literacy", "balanced-literacy")),
    "b2-decision-owners": (_same, lambda ev: _record(ev, "dec2", owner="TBD")),
    "b2-action-owners": (_same, lambda ev: _record(ev, "a2", owner=None)),
    "c1-subgroup-breakdown": (_same, _without_views("/subgroup", "Q2")),
    "c1-strand-breakdown": (_same, _without_views("/strand", "Q2")),
    "c1-attendance-breakdown": (_same, lambda ev: _drop(
        ev, lambda e: not e.get("view", "").startswith("attendance/"))),
    "c1-findings-cite-views": (_same, lambda ev: _drop(
        ev, lambda e: e["event"] != "view.opened" or e["view"].endswith("/all"))),
    "c2-implementation-view": (_same, _without_views("implementation/hudson-ms/implementation")),
    "c2-implementation-finding": (_same, _without_records("f6")),
    "c2-implementation-metrics": (_same, lambda ev: _records(
        ev, "action", _set("metric", "Reading % on benchmark"))),
    "c3-diagnosis-from-data": (_same, lambda ev: _record(ev, "d1", view=None)),
    "c3-course-correction": (_same, lambda ev: _decision(ev, "meeting-2", "attendance-outreach",
                                                          action="continue", options={})),
    "c3-served-view-before-deciding": (_same, lambda ev: _served_views_only()(ev)),
    "c3-progress-reviewed": (_same, _without_records("f4", "f5")),
    "d1-state-owns-steps": (_same, lambda ev: _record(_record(
        ev, "a3", owner="District data coordinator"), "a6", owner="District data coordinator")),
    "d1-state-steps-reviewed": (_same, _without_records("fu3")),
    "d2-consequence": (_same, _without_records("c1", "c2")),
    "d2-consequence-applies": (_same, lambda ev: _records(ev, "consequence",
                                                          _set("applies_to", None))),
    "d2-district-commitments": (_same, lambda ev: _records(
        ev, "action", _set("owner", "State Turnaround Lead"))),
    "d3-stakeholders-named": (_same, lambda ev: _drop(
        ev, lambda e: e.get("kind") != "stakeholder")),
    "d3-partner-named": (_same, lambda ev: _records(ev, "stakeholder",
                                                    _set("party", "stakeholder"))),
    "d3-stakeholder-named": (_same, lambda ev: _records(ev, "stakeholder",
                                                        _set("party", "partner"))),
    "d3-partner-think-feel-do": (_same, lambda ev: _records(ev, "stakeholder",
                                                            _set("feel", None))),
    "d3-stakeholder-think-feel-do": (_same, lambda ev: _records(ev, "stakeholder",
                                                                _set("do", None))),
    "d3-partner-involved": (_same, lambda ev: _records(ev, "stakeholder",
                                                       _set("how", "Inquire"))),
    "followup-every-commitment": (_same, _without_records("fu4")),
    "followup-dated-commitments": (_same, lambda ev: _record(ev, "a4", due=None)),
    "focus-results-each-meeting": (_same, lambda ev: _drop(ev, lambda e: not (
        e["event"] == "view.opened" and e.get("quarter") == "Q3"
        and e["view"].startswith(("reading/", "math/"))))),
    "focus-disaggregated-each-meeting": (_same, lambda ev: _without_views("/strand", "Q3")(
        _without_views("/subgroup", "Q3")(ev))),
    "focus-targets-reviewed": (_same, _without_views("/subgroup", "Q3")),
    "focus-findings-each-meeting": (_same, _without_records("f4", "f5")),
    "act-decision-each-meeting": (_same, lambda ev: _drop(
        ev, lambda e: not (e["event"] == "decision.made" and e["meeting"] == "meeting-2"))),
    "act-steps-each-meeting": (_same, _without_records("a5", "a6")),
    "act-on-what-data-showed": (_same, lambda ev: _decision(ev, "meeting-1",
                                                             "structured-literacy", options={})),
}


def test_every_look_for_has_an_earn_and_a_miss_case() -> None:
    assert sorted(CASES) == sorted(lf.id for lf in default_lookfors())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_look_for_is_earned_and_missed_as_its_case_says(
    rule_id: str, hudson: Scenario, strong: Transcript
) -> None:
    earn, miss = CASES[rule_id]
    base = events_of(strong)
    assert status(debrief(hudson, earn(base)), rule_id) == "met"
    missed = debrief(hudson, miss(base))
    assert status(missed, rule_id) == "missed"
    lookfor = next(lf for lf in default_lookfors() if lf.id == rule_id)
    lines = rating(missed, lookfor.element).missed
    assert lines and all("{" not in line for line in lines)


def test_a_subgroup_by_grade_view_looks_beneath_the_average(
    hudson: Scenario, strong: Transcript
) -> None:
    rule = "focus-disaggregated-each-meeting"
    none_at_q3 = _without_views("/strand", "Q3")(_without_views("/subgroup", "Q3")(
        events_of(strong)))
    assert status(debrief(hudson, none_at_q3), rule) == "missed"
    crossed = copy.deepcopy(none_at_q3)
    at = next(i for i, e in enumerate(crossed)
              if e["event"] == "view.opened" and e.get("quarter") == "Q3")
    crossed.insert(at, {**crossed[at], "view": "reading/hudson-ms/cross/el", "filters": {}})
    assert status(debrief(hudson, crossed), rule) == "met"


SERVED_RULE = "c3-served-view-before-deciding"


def _served_views_only(*views: str) -> Callable[[Events], Events]:
    """The strong transcript with only these served views opened at Meeting #2 (Q3), just
    before its first decision there."""
    def edit(events: Events) -> Events:
        out = _drop(events, lambda e: not (e["event"] == "view.opened"
                                          and "/served/" in e["view"]))
        at = next(i for i, e in enumerate(out) if e["event"] == "decision.made"
                  and e["meeting"] == "meeting-2")
        out[at:at] = [{"event": "view.opened", "by": "district", "view": v, "quarter": "Q3"}
                      for v in views]
        return out
    return edit


def test_a_strategy_in_plays_served_view_before_deciding_is_credited_by_name_and_quarter(
    hudson: Scenario, strong: Transcript
) -> None:
    view = "reading/hudson-ms/served/structured-literacy"
    result = debrief(hudson, _served_views_only(view)(events_of(strong)))
    assert status(result, SERVED_RULE) == "met"
    [line] = [e for e in rating(result, "C3").evidence if view in e]
    assert (f"continued Structured-literacy intervention block at Meeting #2, after opening "
            f"{view} (Q3)") in line
    assert "attendance-outreach" not in line  # its own served view was not opened


def test_no_served_view_or_one_opened_too_late_or_of_a_strategy_not_in_play_is_not_credited(
    hudson: Scenario, strong: Transcript
) -> None:
    base = events_of(strong)
    none = debrief(hudson, _served_views_only()(base))
    assert status(none, SERVED_RULE) == "missed"
    [line] = [m for m in rating(none, "C3").missed if "served view" in m]
    assert "continued Structured-literacy intervention block at Meeting #2 without opening " \
           "*/*/served/structured-literacy first" in line
    not_in_play = _served_views_only("reading/hudson-ms/served/balanced-literacy")(base)
    assert status(debrief(hudson, not_in_play), SERVED_RULE) == "missed"
    late = _served_views_only()(base)
    closed = next(i for i, e in enumerate(late) if e["event"] == "meeting.closed"
                  and e["meeting"] == "meeting-2")
    late.insert(closed, {"event": "view.opened", "by": "district", "quarter": "Q3",
                         "view": "reading/hudson-ms/served/structured-literacy"})
    assert status(debrief(hudson, late), SERVED_RULE) == "missed"  # after the decision
    at_first = debrief(hudson, base, upto="meeting-1")
    assert status(at_first, SERVED_RULE) == "n/a"  # nothing is in play to review yet


def test_the_decided_strategy_names_only_the_views_a_decision_opened() -> None:
    viewed = SCENARIO_LOOKFOR.replace(
        """        check: record
        kind: [diagnosis]
        match:
          statement: ["*decod*"]""",
        """        check: decision
        viewed: ["{subject}/{school}/served/{strategy}"]""").replace(
        "{gap_group} were {gap_pct} on benchmark", "{failing}")
    parse_scenario(_with_debrief(viewed))
    in_a_view_check = viewed.replace("check: decision", "check: view").replace(
        "viewed:", "pattern:")
    assert any("unknown pattern name '{strategy}'" in p
               for p in _scenario_problems(in_a_view_check))


# --------------------------------------------------------------------------- a scenario's own


def _with_debrief(section: str) -> bytes:
    return (HUDSON_TEXT.rstrip("\n") + "\n\n" + section).encode()


SCENARIO_LOOKFOR = """debrief:
  lookfors:
    - id: hudson-names-decoding
      element: A2
      weight: 3
      description: The diagnosis names decoding.
      when:
        check: record
        kind: [diagnosis]
        match:
          statement: ["*decod*"]
      evidence: "Decoding named: {found}."
      missed: "No diagnosis named decoding; {gap_group} were {gap_pct} on benchmark."
  weights:
    c1-attendance-breakdown: 0
    a2-theory-of-action: 4
"""


def test_a_scenario_adds_look_fors_and_reweights_the_defaults(
    strong: Transcript, weak: Transcript
) -> None:
    sc = parse_scenario(_with_debrief(SCENARIO_LOOKFOR))
    rules = {lf.id: lf for lf in lookfors_for(sc.debrief)}
    assert "c1-attendance-breakdown" not in rules
    assert rules["a2-theory-of-action"].weight == 4
    good, poor = score(sc, strong.state()), score(sc, weak.state())
    assert status(good, "hudson-names-decoding") == "met"
    assert status(poor, "hudson-names-decoding") == "missed"
    el = q2_reading(sc, "el")
    assert f"No diagnosis named decoding; English learners were {el:.1f}% on benchmark." in (
        rating(poor, "A2").missed)
    assert rating(good, "A2").max_points == 7 + 3 + 2


def _scenario_problems(section: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_with_debrief(section), "s.yaml")
    return caught.value.lines()


def _line_of(needle: str, section: str) -> int:
    return HUDSON_TEXT.rstrip("\n").count("\n") + 3 + section[: section.index(needle)].count("\n")


def test_an_unknown_weight_id_is_reported_at_its_line_with_a_suggestion() -> None:
    section = "debrief:\n  weights:\n    a1-measurable-targets: 2\n"
    assert _scenario_problems(section) == [
        f"s.yaml:{_line_of('a1-measurable-targets', section)}:5: unknown look-for "
        "'a1-measurable-targets'; did you mean 'a1-measurable-target'?"
    ]


def test_a_setting_a_check_does_not_read_is_reported_at_its_key() -> None:
    section = SCENARIO_LOOKFOR.replace("        kind: [diagnosis]\n",
                                       "        kind: [diagnosis]\n        pattern: [x]\n")
    [line] = _scenario_problems(section)
    assert line.startswith(f"s.yaml:{_line_of('pattern', section)}:9: 'pattern' means nothing "
                           "to a record check")


def test_unknown_placeholders_are_reported_with_suggestions() -> None:
    section = SCENARIO_LOOKFOR.replace("{gap_pct}", "{gap_pc}").replace(
        '"*decod*"', '"{need_strnd}"')
    found = _scenario_problems(section)
    assert any("unknown pattern name '{need_strnd}'; did you mean '{need_strand}'?" in p
               for p in found)
    assert any("unknown fact for a record check '{gap_pc}'; did you mean '{gap_pct}'?" in p
               for p in found)


def test_a_scenario_cannot_redefine_or_silence_a_whole_element() -> None:
    clash = SCENARIO_LOOKFOR.replace("hudson-names-decoding", "a2-theory-of-action")
    assert any("'a2-theory-of-action' is a default look-for" in p
               for p in _scenario_problems(clash))
    silence = "debrief:\n  weights:\n" + "".join(
        f"    {lf.id}: 0\n" for lf in default_lookfors() if lf.element == "D3")
    assert any("every look-for of D3 has weight 0" in p for p in _scenario_problems(silence))


def test_a_broken_look_fors_file_reports_every_problem_at_its_line() -> None:
    raw = b"""lookfors:
  - id: x
    element: Z9
    description: d
    when: {check: view}
    evidence: e
    missed: m
"""
    with pytest.raises(LookForsError) as caught:
        parse_lookfors(raw, "l.yaml")
    assert caught.value.lines()[0].startswith("l.yaml:3:14: lookfors.0.element: input should be")


def test_the_shipped_look_fors_cover_every_element_with_distinct_ids() -> None:
    lookfors = default_lookfors()
    assert len({lf.id for lf in lookfors}) == len(lookfors)
    assert {lf.element for lf in lookfors} == set(ELEMENTS) | set(ROUTINES)


def test_the_guide_lists_every_default_look_for_with_its_element_and_weight() -> None:
    guide = (Path(__file__).resolve().parent.parent / "facilitator_guide" / "debrief.md"
             ).read_text(encoding="utf-8")
    for lf in default_lookfors():
        assert f"| {lf.element} | `{lf.id}` | {lf.weight:g} |" in guide, lf.id


def test_a_need_that_names_only_grades_still_asks_for_a_target_on_them(
        hudson: Scenario, strong: Transcript) -> None:
    """The look-for's alternatives are its need's subgroup or its grades: a need naming no
    subgroup drops the first alternative, not the look-for (it once did)."""
    grades_only = hudson.model_copy(update={"needs": [
        hudson.needs[0].model_copy(update={"subgroups": []})]})
    strong_result = score(grades_only, strong.state())
    assert status(strong_result, "a1-target-for-students-behind") != "n/a"
    # The strong pair's targets are on subgroups, not on grades 6-7: with only grades as
    # the need's students, the look-for is missed rather than skipped.
    assert status(strong_result, "a1-target-for-students-behind") == "missed"
    assert status(score(hudson, strong.state()), "a1-target-for-students-behind") == "met"
