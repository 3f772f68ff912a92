"""A removed decision is withdrawn, everywhere, in one event: the fold, the room, the plan,
the resources, transcripts and the debrief all see it gone; sessions from before the
decision and its minute were linked read as they always did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.debrief.report import build_report
from simulator.session.client import Room
from simulator.session.home import Home
from simulator.session.state import append_event, plan_of, replay, validate_payload
from simulator.session.store import SESSION_CREATED, Event
from simulator.session.summary import resources
from simulator.session.transcript import parse_transcript, transcript_from_session

SID = "s"
STRATEGIES = ("a", "b", "c")
ACTIONS = ("adopt", "adjust", "continue", "stop")


# --------------------------------------------------------------------------- the fold

Op = tuple[str, Any]
ops = st.lists(st.one_of(
    st.tuples(st.just("make"), st.tuples(st.sampled_from(STRATEGIES), st.sampled_from(ACTIONS))),
    st.tuples(st.just("withdraw"), st.integers(0, 30)),
    st.tuples(st.just("close"), st.none()),
    st.tuples(st.just("reopen"), st.none()),
), max_size=40)


def _log(steps: list[Op]) -> tuple[list[Event], dict[str, dict[str, Any]]]:
    """The events of ``steps`` at meeting "m", and what each decision's minute id decided."""
    created = {"scenario": "x", "scenario_sha256": "", "seed": 1, "title": ""}
    log = [Event(SID, 1, SESSION_CREATED, "system", created, "")]
    decided: dict[str, dict[str, Any]] = {}

    def add(kind: str, payload: dict[str, Any]) -> None:
        log.append(Event(SID, len(log) + 1, kind, "state", validate_payload(kind, payload), ""))

    for n, (op, arg) in enumerate(steps):
        if op == "make":
            strategy, action = arg
            rid = f"decision-{n}"
            payload = {"meeting": "m", "strategy": strategy, "action": action, "options": {}}
            add("decision.made", {**payload, "record_id": rid})
            add("record.added", {"meeting": "m", "record_id": rid, "kind": "decision",
                                 "fields": {"strategy": strategy, "action": action}})
            decided[rid] = payload
        elif op == "withdraw" and decided:
            add("record.removed", {"record_id": sorted(decided)[arg % len(decided)]})
        elif op == "close":
            add("meeting.closed", {"meeting": "m"})
        elif op == "reopen":
            add("meeting.reopened", {"meeting": "m"})
    return log, decided


def _expected(log: list[Event], decided: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What the meeting decided, read from the log by its rules, apart from the fold: the
    decisions made while the meeting was open and not withdrawn while it was open; the
    latest per strategy, at the place of the strategy's first."""
    live: list[str] = []
    closed = False
    for e in log[1:]:
        if e.kind == "meeting.closed":
            closed = True
        elif e.kind == "meeting.reopened":
            closed = False
        elif e.kind == "decision.made" and not closed:
            live.append(e.payload["record_id"])
        elif e.kind == "record.removed" and not closed and e.payload["record_id"] in live:
            live.remove(e.payload["record_id"])
    latest: dict[str, dict[str, Any]] = {}
    for rid in live:
        latest[decided[rid]["strategy"]] = decided[rid]
    return list(latest.values())


@settings(max_examples=300, deadline=None)
@given(ops)
def test_the_plan_holds_exactly_the_decisions_not_withdrawn(steps: list[Op]) -> None:
    log, decided = _log(steps)
    state = replay(log)
    expected = _expected(log, decided)
    assert state.decisions.get("m", []) == expected
    if "m" in state.closed_meetings:
        assert plan_of(state) == [("m", expected)]
    else:
        assert plan_of(state) == []
    standing = {d.record_id for d in state.made.get("m", [])}
    minutes = {rid for rid, r in state.records.items() if r.kind == "decision"}
    assert minutes == standing, "a decision and its minute stand or go together"


def test_a_removal_while_the_meeting_is_closed_leaves_both() -> None:
    log, _ = _log([("make", ("a", "adopt")), ("close", None), ("withdraw", 0)])
    state = replay(log)
    assert [d["strategy"] for d in state.decisions["m"]] == ["a"]
    assert "decision-0" in state.records


def test_withdrawing_a_later_decision_brings_the_earlier_back() -> None:
    log, _ = _log([("make", ("a", "adopt")), ("make", ("b", "adopt")), ("make", ("a", "adjust")),
                   ("withdraw", 2)])
    assert [(d["strategy"], d["action"]) for d in replay(log).decisions["m"]] == [
        ("a", "adopt"), ("b", "adopt")]
    log, _ = _log([("make", ("a", "adopt")), ("make", ("b", "adopt")), ("make", ("a", "adjust")),
                   ("withdraw", 0)])
    assert [(d["strategy"], d["action"]) for d in replay(log).decisions["m"]] == [
        ("b", "adopt"), ("a", "adjust")]


def test_an_unlinked_decision_of_an_older_session_stays_when_its_minute_goes() -> None:
    """Before the link, removing the minute left the decision in the plan, and the quarters
    after the meeting were simulated with it: a replay must give the same plan."""
    created = {"scenario": "x", "scenario_sha256": "", "seed": 1, "title": ""}
    payloads = [
        ("decision.made", {"meeting": "m", "strategy": "a", "action": "adopt", "options": {}}),
        ("record.added", {"meeting": "m", "record_id": "decision-1", "kind": "decision",
                          "fields": {"strategy": "a", "action": "adopt"}}),
        ("record.removed", {"record_id": "decision-1"}),
        ("meeting.closed", {"meeting": "m"}),
    ]
    log = [Event(SID, 1, SESSION_CREATED, "system", created, "")] + [
        Event(SID, i, kind, "state", validate_payload(kind, p), "")
        for i, (kind, p) in enumerate(payloads, start=2)]
    assert "record_id" not in log[1].payload, "an unlinked payload keeps its stored form"
    state = replay(log)
    assert not state.records
    assert plan_of(state) == [("m", [payloads[0][1]])]


# --------------------------------------------------------------------------- the room


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    opened = Room.new(Home(tmp_path), "hudson", 1, "district")
    opened.simulate(opened.plan())
    yield opened
    opened.close()


def _decide(room: Room, strategy: str, action: str = "adopt") -> str:
    return room.make_decision("meeting-1", strategy, action, {"owner": "Dana"})


def test_removing_a_decision_withdraws_it_in_one_event(room: Room) -> None:
    sim = room.sim
    assert sim is not None
    nothing = resources(sim, []).needed
    keep = _decide(room, "structured-literacy")
    drop = _decide(room, "tutoring-reading")
    both = resources(sim, room.state.decisions["meeting-1"]).needed
    before = len(room.store.events(room.session_id))
    assert room.removal_problem(drop) is None
    room.remove_record(drop)
    [event] = room.store.events(room.session_id, after=before)
    assert (event.kind, event.payload) == ("record.removed", {"record_id": drop})
    assert [d["strategy"] for d in room.state.decisions["meeting-1"]] == ["structured-literacy"]
    assert set(room.state.records) == {keep}
    after = resources(sim, room.state.decisions["meeting-1"]).needed
    assert nothing.cost < after.cost < both.cost
    room.close_meeting("meeting-1")
    assert [(m, [d["strategy"] for d in ds]) for m, ds in room.plan()] == [
        ("meeting-1", ["structured-literacy"])]
    room.simulate(room.plan())
    assert set(room.sim.active) == {"structured-literacy"}


def test_a_closed_meetings_decision_cannot_be_removed(room: Room) -> None:
    rid = _decide(room, "structured-literacy")
    room.close_meeting("meeting-1")
    problem = room.removal_problem(rid)
    assert problem and "meeting is closed" in problem
    room.remove_record(rid)  # another terminal may still write it: the fold keeps both
    assert rid in room.state.records
    assert room.plan() == [("meeting-1", [{"meeting": "meeting-1",
                                           "strategy": "structured-literacy",
                                           "action": "adopt", "options": {}}])]


def test_a_stop_of_a_withdrawn_adoption_is_refused_and_of_a_kept_one_allowed(
        room: Room) -> None:
    from simulator.engine.playthrough import decision_problem

    _decide(room, "structured-literacy")
    room.remove_record(_decide(room, "tutoring-reading"))
    room.close_meeting("meeting-1")
    room.simulate(room.plan())
    assert decision_problem(room.sim, "tutoring-reading", "stop") == (
        "cannot stop 'tutoring-reading': it is not running")
    assert decision_problem(room.sim, "structured-literacy", "stop") is None


def test_transcripts_carry_the_withdrawal(room: Room) -> None:
    _decide(room, "structured-literacy")
    room.remove_record(_decide(room, "tutoring-reading"))
    room.close_meeting("meeting-1")
    transcript = transcript_from_session(room.store, room.session_id)
    text = transcript.to_yaml()
    again = parse_transcript(text.encode(), scenario=room.scenario)
    assert again.to_yaml() == text
    assert plan_of(again.state()) == room.plan()
    assert again.state().records.keys() == room.state.records.keys()


def test_a_transcript_decision_naming_no_minute_is_a_problem(room: Room) -> None:
    from simulator.session.transcript import TranscriptError

    text = ("transcript_version: 1\nscenario: hudson\nseed: 1\nevents:\n"
            "  - {event: decision.made, by: state, meeting: meeting-1,\n"
            "     strategy: structured-literacy, action: adopt, record_id: decision-x}\n")
    with pytest.raises(TranscriptError) as err:
        parse_transcript(text.encode(), "t.yaml", scenario=room.scenario)
    assert any("decision-x" in line and line.startswith("t.yaml:6:63:")
               for line in err.value.lines())


def test_the_debrief_reports_only_what_was_not_withdrawn(room: Room, tmp_path: Path) -> None:
    _decide(room, "structured-literacy")
    room.remove_record(_decide(room, "tutoring-reading"))
    room.close_meeting("meeting-1")
    report = build_report(room.scenario, room.state, replications=2, cache_dir=tmp_path / "c")
    assert [(d.meeting, d.strategy) for d in report.decisions] == [
        ("meeting-1", "structured-literacy")]
    withdrawn = "tutoring-reading"
    b1 = next(e for e in report.elements if e.id == "B1")
    assert not any(withdrawn in line.lower() or "tutoring" in line.lower()
                   for line in b1.evidence)
    other = Room.new(Home(tmp_path / "other"), "hudson", 1, "district")
    try:
        other.make_decision("meeting-1", "structured-literacy", "adopt", {"owner": "Dana"})
        other.close_meeting("meeting-1")
        plain = build_report(other.scenario, other.state, replications=2,
                             cache_dir=tmp_path / "c")
    finally:
        other.close()
    assert [(e.id, e.level) for e in report.elements] == [
        (e.id, e.level) for e in plain.elements]
    assert report.outcomes == plain.outcomes


def test_state_append_of_a_linked_decision_keeps_the_link(room: Room) -> None:
    event = append_event(room.store, room.session_id, "decision.made", "state",
                         {"meeting": "meeting-1", "strategy": "structured-literacy",
                          "action": "adopt", "record_id": "decision-1"})
    assert event.payload["record_id"] == "decision-1"
