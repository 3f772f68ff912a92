"""The routine, defined once: record fields, stages, and the look-fors that name fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.formats.loading import load_scenario
from simulator.formats.lookfors import LOOKFORS_PATH, LookForsError, parse_lookfors
from simulator.formats.routine import (
    ACTIONS,
    FORMS,
    RECORD_KINDS,
    RECORDS,
    STEPS,
    Stage,
    minutes_line,
    past_tense,
    record_summary,
    retargeting_hint,
    role_label,
    stage_after_closing,
    step_of,
    unknown_fields,
)

CALENDAR = load_scenario("hudson").scenario.calendar


def _lookfor(when: str) -> bytes:
    return (f"lookfors:\n  - id: x\n    element: A1\n    description: d\n"
            f"    when: {when}\n    evidence: e\n    missed: m\n").encode()


# --------------------------------------------------------------------------- records


def test_every_record_kind_is_defined_and_every_form_writes_defined_fields() -> None:
    assert set(RECORDS) == set(RECORD_KINDS)
    for form in FORMS:
        names = {f.name for f in form.fields} | set(form.fixed)
        assert names <= RECORDS[form.kind].field_names, form.id


def test_a_finding_is_about_performance_or_implementation_and_listed_at_its_step() -> None:
    assert step_of("finding", {"about": "performance"}) == "performance"
    assert step_of("finding", {"about": "implementation"}) == "implementation"
    assert step_of("followup", {}) == "followup"
    assert step_of("note", {"text": "x"}) == "problem"
    assert [s.id for s in STEPS if s.from_second_meeting] == ["followup"]


def test_unknown_fields_are_named_in_their_order() -> None:
    assert unknown_fields("target", {"metric": "m", "metric_label": "l"}) == []
    assert unknown_fields("decision", {"cost": 1, "serves": "x", "colour": "red",
                                       "capacity": 4, "owners": "y"}) == ["colour", "owners"]


def test_actions_know_their_past_tense_and_whether_they_retarget() -> None:
    assert [past_tense(a.id) for a in ACTIONS] == ["adopted", "continued", "adjusted",
                                                   "stopped"]
    assert past_tense("pause") == "pause"
    assert [a.id for a in ACTIONS if a.retargets] == ["adopt", "adjust"]
    assert retargeting_hint() == "Continue or stop keeps whom it serves; adjust to retarget it"
    assert [role_label(r) for r in ("state", "district", "both", "coach")] == [
        "State", "District", "Both", "Coach"]


def test_summaries_quote_evidence_and_give_the_minutes_what_the_meeting_added() -> None:
    names = {"tutoring": "Tutoring"}
    decision = {"strategy": "tutoring", "action": "adopt", "owner": "Dana", "cost": 12500.0,
                "staff_fte": 1.5, "students": 40, "serves": "grades 6, 7 · EL"}
    assert record_summary("decision", decision, names) == "adopted Tutoring, owner Dana"
    assert minutes_line("decision", decision, names) == (
        "Adopt Tutoring — serves grades 6, 7 · EL — owner Dana, $12,500, 1.5 FTE, 40 students")
    finding = {"statement": "EL reading lags", "view": "reading/hudson-ms/subgroup"}
    assert record_summary("finding", finding, names) == (
        "finding 'EL reading lags' [reading/hudson-ms/subgroup]")
    assert minutes_line("finding", finding, names) == (
        "EL reading lags  [reading/hudson-ms/subgroup]")
    target = {"metric_label": "EL reading", "target": 25, "by": "end of Q4"}
    assert record_summary("target", target, names) == "target EL reading: ? → 25 by end of Q4"
    assert minutes_line("target", target, names) == "EL reading: ? → 25 by end of Q4"
    follow = {"step": "Hire", "status": "partly", "note": "one of two"}
    assert minutes_line("followup", follow, names) == "Hire — Partly done: one of two"
    assert record_summary("followup", follow, names) == "follow-up 'Hire' — partly"


# --------------------------------------------------------------------------- stages


def test_stages_parse_from_the_calendar_and_keep_their_stored_text() -> None:
    ids = [m.id for m in CALENDAR.meetings]
    for text, kind, screen in (("briefing", "briefing", "briefing"),
                               (ids[0], "meeting", "meeting"),
                               ("debrief-1", "debrief", "changes"),
                               ("end", "end", "changes")):
        stage = Stage.parse(CALENDAR, text)
        assert (stage.kind, stage.screen, stage.text) == (kind, screen, text)
    assert Stage.parse(CALENDAR, "debrief-1").meeting == ids[0]
    assert Stage.parse(CALENDAR, ids[1]).number == 2
    # What the calendar does not know is the briefing, where a session starts.
    for text in ("meeting-9", f"debrief-{len(ids) + 1}", "debrief-0", "Meeting-1", ""):
        assert Stage.parse(CALENDAR, text).kind == "briefing", text


def test_a_stage_never_comes_from_a_meeting_ids_spelling() -> None:
    renamed = CALENDAR.model_copy(update={"meetings": [
        m.model_copy(update={"id": f"review-{i}"}) for i, m in
        enumerate(CALENDAR.meetings, 1)]})
    assert Stage.parse(renamed, "review-2").screen == "meeting"
    assert Stage.parse(renamed, "meeting-1").kind == "briefing"
    assert stage_after_closing(renamed, "review-1").text == "debrief-1"
    assert stage_after_closing(renamed, "review-2").text == "end"
    assert Stage.parse(renamed, "debrief-1").meeting == "review-1"


# --------------------------------------------------------------------------- look-fors


def test_the_shipped_look_fors_name_only_fields_the_routine_defines() -> None:
    parse_lookfors(LOOKFORS_PATH.read_bytes(), str(LOOKFORS_PATH))
    text = LOOKFORS_PATH.read_text(encoding="utf-8")
    named = set(re.findall(r"(?:has|numbers): \[([^\]]*)\]", text))
    fields = {f.strip() for group in named for f in group.split(",")}
    every = set().union(*(r.field_names for r in RECORDS.values()))
    assert fields and fields <= every


@pytest.mark.parametrize(("when", "where", "message"), [
    ("{check: record, kind: [target], has: [metric, baselin]}", ":5:",
     "'baselin' is not a field of a target record; did you mean 'baseline'?"),
    ("{check: record, kind: [finding], numbers: [score]}", ":5:",
     "'score' is not a field of a finding record (it has: about, statement, view)"),
    ("{check: record, kind: [action], match: {owners: ['*']}}", ":5:",
     "'owners' is not a field of an action record; did you mean 'owner'?"),
    ("{check: record, kind: [decision], reject: {ownr: [x]}}", ":5:",
     "did you mean 'owner'?"),
    ("{check: record, kind: [finding, diagnosis], where: {abut: [performance]}}", ":5:",
     "'abut' is not a field of a finding or diagnosis record; did you mean 'about'?"),
    ("{check: followed_up, where: {statement: ['*']}}", ":5:",
     "'statement' is not a field of an action record"),
])
def test_a_look_for_naming_an_undefined_field_is_refused_at_its_line(
        when: str, where: str, message: str) -> None:
    with pytest.raises(LookForsError) as caught:
        parse_lookfors(_lookfor(when), "l.yaml")
    lines = caught.value.lines()
    assert len(lines) == 1 and lines[0].startswith("l.yaml" + where), lines
    assert message in lines[0]


def test_a_look_for_naming_defined_fields_loads() -> None:
    for when in ("{check: record, kind: [target], has: [metric_label], numbers: [baseline]}",
                 "{check: record, kind: [note], has: [text]}",
                 "{check: followed_up, where: {owner: ['*']}}"):
        assert parse_lookfors(_lookfor(when), "l.yaml")


def test_transcripts_shipped_carry_only_defined_fields() -> None:
    from simulator.session.transcript import load_transcript

    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    for path in sorted(scenarios.glob("*-transcript.yaml")):
        load_transcript(path)


def test_a_transcript_record_with_a_field_its_kind_lacks_is_refused_at_its_line() -> None:
    from simulator.session.transcript import TranscriptError, parse_transcript

    raw = b"""scenario: hudson
seed: 1
events:
  - event: record.added
    by: state
    meeting: meeting-1
    record_id: f1
    kind: finding
    fields: {statement: s, view: reading/hudson-ms/all, abuot: performance}
"""
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(raw, "t.yaml")
    assert caught.value.lines() == [
        "t.yaml:9:57: events.0: 'abuot' is not a field of a finding record; "
        "did you mean 'about'?"]
    parse_transcript(raw.replace(b"abuot", b"about"), "t.yaml")
