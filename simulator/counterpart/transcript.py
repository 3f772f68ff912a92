"""A solo conversation as a transcript: the meeting's events, both sides, for the debrief.

The counterpart's side is its own events (decisions with their minutes, the records it
wrote, withdrawals). The player's side is what their words did in the meeting room's
terms: a view asked about is a view opened; words grounded in a view are a finding from
it (what the data showed when the persona noticed a hidden truth's evidence there, else
the player's own words); a target with a baseline and a number is a target record on the
view's metric; a consequence grounded in data is a consequence record. The meeting then
closes, so ``pmsim debrief`` scores a solo meeting exactly as it scores a pair's.
"""

from __future__ import annotations

from typing import Any

from simulator.counterpart.conversation import Conversation, Turn
from simulator.formats.refs import View
from simulator.session.state import validate_payload
from simulator.session.transcript import Transcript

FINDING_MOVES = ("ask-view", "probe-subgroup", "challenge-strategy", "ask-implementation")


def player_events(conversation: Conversation, turn: Turn) -> list[tuple[str, dict[str, Any]]]:
    """What the player's words at ``turn`` did, as (kind, payload) session events."""
    u = turn.understood
    meeting = conversation.meeting
    quarter = _quarter_label(conversation)
    out: list[tuple[str, dict[str, Any]]] = []
    if u.view is not None:
        filters = {"group": u.group} if u.group and not u.group.startswith("grade-") else {}
        out.append(("view.opened", {"view": u.view, "quarter": quarter, "filters": filters}))
    record: tuple[str, dict[str, Any]] | None = None
    if u.move in FINDING_MOVES and u.grounded and u.view is not None:
        about = "implementation" if View.parse(u.view).subject == "implementation" \
            else "performance"
        noticed = [f for f in turn.revealed if f.startswith("truth:")]
        statement = conversation.revealed_text[noticed[0]] if noticed else turn.said
        record = ("finding", {"view": u.view, "statement": statement, "about": about})
    elif u.move == "propose-target" and len(u.numbers) >= 2 and u.view is not None:
        view = View.parse(u.view)
        measure, subject = ("chronic", "attendance") if view.subject == "attendance" else (
            "pct", view.subject)
        if subject != "implementation":
            record = ("target", {
                "metric": f"{measure}:{subject}:{view.school}:{u.group or 'all'}",
                "baseline": u.numbers[0], "target": u.numbers[1],
                "by": f"end of {conversation.scenario.calendar.quarters[-1].label}"})
    elif u.move == "name-consequence" and u.grounded:
        record = ("consequence", {"statement": turn.said})
    if record is not None:
        kind, fields = record
        out.append(("record.added", {"meeting": meeting, "record_id":
                                     f"{kind}-said-{meeting}-{turn.number}", "kind": kind,
                                     "fields": fields}))
    return [(kind, validate_payload(kind, payload)) for kind, payload in out]


def _quarter_label(conversation: Conversation) -> str:
    sc = conversation.scenario
    after = next(m.after_quarter for m in sc.calendar.meetings if m.id == conversation.meeting)
    return next(q.label for q in sc.calendar.quarters if q.id == after)


def solo_transcript(conversation: Conversation, player_role: str, scenario_ref: str,
                    *, close: bool = True) -> Transcript:
    """The conversation as a transcript of its meeting (closed unless ``close`` is false):
    the player's events by ``player_role``, the persona's by its own role."""
    persona = conversation.persona
    events: list[dict[str, Any]] = []
    for turn in conversation.history:
        for kind, payload in player_events(conversation, turn):
            events.append({"event": kind, "by": player_role, **payload})
        for kind, payload in turn.events:
            events.append({"event": kind, "by": persona.role, **payload})
    if close:
        events.append({"event": "meeting.closed", "by": player_role,
                       "meeting": conversation.meeting})
    sc = conversation.scenario
    return Transcript.model_validate({
        "scenario": scenario_ref, "seed": conversation.seed,
        "title": f"{sc.title} — practising alone with {persona.name}",
        "participants": {persona.role: f"{persona.name} (persona {persona.id})"},
        "events": events,
    })
