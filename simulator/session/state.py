"""A session's events, and its state as a fold over them.

Every participant action is an event appended to the store; what a session *is*
at any moment is ``replay(events)``. Resume is replay, a second terminal stays
in step by applying the events after its ``last_seq``, and the debrief reads the
same log. Payloads are validated here, before they are stored, so the log never
holds data the fold would have to guess about; the fold itself stays tolerant of
interleavings two terminals can produce (an update of a record the other player
just removed is dropped, not an error).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    model_serializer,
)
from pydantic_core import ErrorDetails, PydanticSerializationError

from simulator.engine.playthrough import Plan
from simulator.formats.routine import DecisionAction, RecordKind
from simulator.formats.rubric import SUB_ELEMENTS, Level
from simulator.formats.strict import Grade
from simulator.session.store import (
    INITIAL_STAGE,
    SESSION_CREATED,
    Event,
    NewEvent,
    Store,
    StoreError,
)

if TYPE_CHECKING:
    from simulator.formats.scenario import Scenario

Name = Annotated[str, StringConstraints(min_length=1)]


class _Payload(BaseModel):
    """Base of every event payload: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True)


class SessionCreated(_Payload):
    """The first event of every session; written by ``Store.create_session``."""

    scenario: Name
    """The scenario played: a built-in id such as "hudson", or a path."""
    scenario_sha256: Name
    """Hash of the scenario file, so a changed file is noticed on resume."""
    seed: int
    """Seed of the simulation; with the scenario and decisions it fixes every number."""
    title: str
    """What the session list shows."""


class StageChanged(_Payload):
    """The session moved on (e.g. from the briefing to Meeting #1)."""

    stage: Name
    """Where the session is: "briefing", "meeting-1", "debrief-1", …, "end"."""
    screen: str | None = None
    """The screen the UI showed, so a resumed session opens on it."""


class ViewOpened(_Payload):
    """A dashboard view a player looked at; the debrief cites these as evidence."""

    view: Name
    """The view's path, e.g. "reading/hudson-ms/subgroup"."""
    quarter: str | None = None
    """The quarter shown, e.g. "Q2"; None for a view across quarters."""
    filters: dict[str, str] = {}
    """Filters applied, e.g. {"grade": "7"}."""


class RecordAdded(_Payload):
    """A meeting record written (a target, a finding, an action step, …)."""

    meeting: Name
    """The meeting it belongs to, e.g. "meeting-1"."""
    record_id: Name
    """Unique within the session; later events name the record by it."""
    kind: RecordKind
    """What sort of record it is."""
    fields: dict[str, Any] = {}
    """The record's content; its shape is checked by the meeting layer."""


class RecordUpdated(_Payload):
    """A record's content replaced."""

    record_id: Name
    """The record changed."""
    fields: dict[str, Any]
    """The record's new content, replacing all of the old."""


class RecordRemoved(_Payload):
    """A record withdrawn; a decision's minute takes its decision with it."""

    record_id: Name
    """The record removed. When it is the minute a decision was saved with (the
    decision's ``record_id``), the decision is withdrawn too, unless its meeting is
    closed: then neither goes (the quarters after it were simulated with it)."""


class MeetingClosed(_Payload):
    """A meeting ended: its decisions are committed and the next quarters simulated."""

    meeting: Name
    """The meeting closed, e.g. "meeting-1"."""


class MeetingReopened(_Payload):
    """The last close undone before its debrief began: the meeting is open again."""

    meeting: Name
    """The meeting reopened: the last one closed, whose poll no one has answered yet."""


class DecisionOptions(_Payload):
    """Whom an adopted or adjusted strategy serves; a key left out keeps the strategy's own."""

    # Dumped with only the keys set, so stored sessions and transcripts keep their text.
    # The scenario's own grades and subgroups are checked by transcript_problems.

    grades: list[Grade] | None = None
    """Only these of the scenario's grades, e.g. [6, 7] (empty: the strategy's own)."""
    subgroups: list[Name] | None = None
    """Only students in these of the scenario's subgroups, e.g. ["el"] (empty: the
    strategy's own)."""
    capacity: Annotated[int, Field(ge=1)] | None = None
    """At most this many students, 1 or more."""

    @model_serializer(mode="wrap")
    def _as_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Only the keys the decision set, so the stored form is what was written."""
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if key in self.model_fields_set}


class DecisionMade(_Payload):
    """A decision about a strategy at a meeting."""

    meeting: Name
    """The meeting deciding, e.g. "meeting-1"."""
    strategy: Name
    """The strategy's id in the scenario."""
    action: DecisionAction
    """Adopt a new strategy, or continue, adjust or stop one in use."""
    options: DecisionOptions = DecisionOptions()
    """How it is targeted, e.g. {"grades": [7], "subgroups": ["ell"]}."""
    record_id: Name | None = None
    """The minute saved with the decision (its ``record.added``): removing that record
    withdraws the decision. Absent in sessions from before the two were linked, where
    removing the minute left the decision standing, as it still does there."""

    @model_serializer(mode="wrap")
    def _linked_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No ``record_id`` key when unlinked, so older payloads keep their stored form."""
        data: dict[str, Any] = handler(self)
        if data.get("record_id") is None:
            data.pop("record_id", None)
        return data


class PollAnswered(_Payload):
    """One participant's answer to the debrief poll."""

    meeting: Name
    """The meeting the poll follows."""
    role: Name
    """The role the participant played."""
    went_well: str
    """What went well."""
    improve: str
    """What could be improved."""


class TakeHomeAnswered(_Payload):
    """One participant's take-home exercise: next steps for their own State."""

    role: Name
    """The role the participant played."""
    participant: str = ""
    """The participant's name, if given."""
    steps: Annotated[list[Name], Field(min_length=1, max_length=5)]
    """Two or three next steps the participant's State might take to improve its
    performance-management routines."""


class SoloIntent(_Payload):
    """Solo practice: what the player means to achieve in a meeting, written before it."""

    meeting: Name
    """The meeting, e.g. "meeting-1"."""
    text: Name
    """The player's intent, in their words (set beside what happened at the debrief)."""


class SoloTurn(_Payload):
    """Solo practice: one exchange with the counterpart. The counterpart's decisions and
    records are their own events, appended with this one."""

    meeting: Name
    """The meeting, e.g. "meeting-1"."""
    said: str
    """What the player said (free text, or the menu move's words)."""
    move: dict[str, Any]
    """What it was understood as (the counterpart's move, and the data, strategy and
    group it names): replayed on resume, so the conversation picks up where it was."""
    reply: str
    """What the counterpart answered."""
    revealed: list[Name] = []
    """The counterpart's facts disclosed in the reply."""
    hint: str | None = None
    """The coaching hint on screen when the player spoke (None: hints off)."""


def _sub_element(value: str) -> str:
    if value not in SUB_ELEMENTS:
        raise ValueError(f"'{value}' is not a sub-element (one of {', '.join(SUB_ELEMENTS)})")
    return value


class SelfAssessRated(_Payload):
    """After the final debrief: one sub-element of the participant's own State, rated (a
    later rating of the same sub-element by the same role replaces the earlier)."""

    sub_element: Annotated[str, AfterValidator(_sub_element)]
    """The sub-element rated, ``A1`` … ``D3``."""
    level: Level
    """The participant's State's level: Inadequate, Emerging, Strong or Exemplary."""
    evidence: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    """One sentence of evidence from the State's own routines."""
    state: Annotated[str, StringConstraints(max_length=80)] = ""
    """The State assessed, if named."""


class NoteAdded(_Payload):
    """A free note outside any meeting record."""

    text: Name
    """The note."""


class WorkshopRoom(_Payload):
    """One breakout room of a workshop, as its log records it (never its code)."""

    name: Name
    """The room's name, e.g. "room-1"."""
    session_id: Name
    """The room's session: the pair plays it."""
    code_hash: Name
    """sha256 of the workshop's salt and the room's join code (the code is never stored)."""


class WorkshopCreated(_Payload):
    """A workshop's rooms and codes (as hashes): the first event of a workshop log."""

    scenario: Name
    """The scenario every room plays."""
    seed: int
    """The seed every room plays (the same data in every room)."""
    title: str = ""
    """What the facilitator calls the workshop."""
    salt: Name
    """The per-workshop salt of the code hashes."""
    facilitator_hash: Name
    """sha256 of the salt and the facilitator code."""
    rooms: list[WorkshopRoom]
    """The rooms, in order."""


class WorkshopControl(_Payload):
    """The facilitator started, paused or closed every room of a workshop together."""


class WorkshopAdvanced(_Payload):
    """The facilitator moved every room of a workshop to a stage of the run of show."""

    stage: Name
    """The stage, as sessions name theirs: "briefing", "meeting-1", "debrief-1", …, "end"."""


class PresenceSeen(_Payload):
    """A participant joined (or is still at) a room's session."""

    role: Name
    """The role they play: "state" or "district"."""


EVENT_MODELS: dict[str, type[BaseModel]] = {
    SESSION_CREATED: SessionCreated,
    "stage.changed": StageChanged,
    "view.opened": ViewOpened,
    "record.added": RecordAdded,
    "record.updated": RecordUpdated,
    "record.removed": RecordRemoved,
    "meeting.closed": MeetingClosed,
    "meeting.reopened": MeetingReopened,
    "decision.made": DecisionMade,
    "poll.answered": PollAnswered,
    "takehome.answered": TakeHomeAnswered,
    "selfassess.rated": SelfAssessRated,
    "note.added": NoteAdded,
    "solo.intent": SoloIntent,
    "solo.turn": SoloTurn,
    "workshop.created": WorkshopCreated,
    "workshop.started": WorkshopControl,
    "workshop.paused": WorkshopControl,
    "workshop.advanced": WorkshopAdvanced,
    "workshop.closed": WorkshopControl,
    "presence.seen": PresenceSeen,
}


def validate_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it will be stored (defaults filled in), or ValueError saying what's wrong."""
    model = EVENT_MODELS.get(kind)
    if model is None:
        known = ", ".join(sorted(EVENT_MODELS))
        raise ValueError(f"unknown event kind {kind!r} (known: {known})")
    try:
        return model.model_validate(payload).model_dump(mode="json")
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in err.errors()
        )
        raise ValueError(f"invalid {kind} payload: {problems}") from None
    except PydanticSerializationError as err:
        raise ValueError(f"invalid {kind} payload: not JSON-serialisable: {err}") from None


def append_event(
    store: Store, session_id: str, kind: str, role: str, payload: dict[str, Any]
) -> Event:
    """Validate, then append and commit: once this returns, the event is saved."""
    return store.append(session_id, *_checked(kind, role, payload))


def append_events(store: Store, session_id: str, events: Sequence[NewEvent]) -> list[Event]:
    """Validate every event, then append them as one transaction: all are saved, or none.

    For events that belong together (a decision and its minute): no crash and
    no other writer can come between them, and one invalid payload stores none.
    """
    return store.append_many(session_id, [_checked(*event) for event in events])


def _checked(kind: str, role: str, payload: dict[str, Any]) -> NewEvent:
    """The event as it will be stored, or ValueError saying what's wrong with it."""
    if kind == SESSION_CREATED:
        raise ValueError("session.created is written only by Store.create_session")
    if not isinstance(role, str) or not role:
        raise ValueError(f"an event needs a role, got {role!r}")
    return kind, role, validate_payload(kind, payload)


@dataclass(frozen=True)
class Record:
    """A meeting record as it stands; ``role`` and ``seq`` are those of its adding."""

    meeting: str
    kind: str
    fields: dict[str, Any]
    role: str
    seq: int


class ViewSeen(NamedTuple):
    """A dashboard view opened, by whom and when in the log."""

    seq: int
    role: str
    view: str
    quarter: str | None
    filters: tuple[tuple[str, str], ...] = ()
    """The view's filters (e.g. (("group", "el"),) for the strands of English learners)."""


class Decided(NamedTuple):
    """A decision standing in the log: its payload and the minute it was saved with."""

    record_id: str | None
    """The minute's record id (None for decisions from before the two were linked)."""
    payload: dict[str, Any]
    """The ``decision.made`` payload as the plan reads it (no ``record_id``)."""
    seq: int = 0
    """Its event's place in the log (what was looked at before it was taken)."""


class Note(NamedTuple):
    """A free note, by whom and when in the log."""

    seq: int
    role: str
    text: str


@dataclass
class SessionState:
    """Everything a session is, derived from its events alone."""

    session_id: str
    scenario: str
    scenario_sha256: str
    seed: int
    title: str
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys of the session.created payload beyond the four above."""
    stage: str = INITIAL_STAGE
    screen: str | None = None
    records: dict[str, Record] = field(default_factory=dict)
    closed_meetings: list[str] = field(default_factory=list)
    made: dict[str, list[Decided]] = field(default_factory=dict)
    """Per meeting, every decision made and not withdrawn, in order; a later decision
    about a strategy does not replace an earlier one here, so withdrawing the later
    brings the earlier back."""
    refused: set[str] = field(default_factory=set)
    """Minute ids of decisions that came after their meeting closed: the minute goes
    with its decision (both are dropped)."""
    decisions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per meeting, what it decided: of ``made``, the latest decision per strategy, at
    the place of the strategy's first (payloads without their ``record_id``). Meetings
    with none have no key."""
    views_opened: list[ViewSeen] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    takehome: list[dict[str, Any]] = field(default_factory=list)
    """Take-home answers, one per participant (a later answer by a role replaces its earlier)."""
    notes: list[Note] = field(default_factory=list)
    selfassess: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """The State self-assessment: per role, per sub-element, the latest ``selfassess.rated``
    payload (with its ``seq``)."""
    intents: dict[str, str] = field(default_factory=dict)
    """Solo practice: per meeting, what the player meant to achieve (the latest written)."""
    turns: list[dict[str, Any]] = field(default_factory=list)
    """Solo practice: every exchange with the counterpart, in order (``solo.turn``
    payloads with their ``seq``)."""
    last_seq: int = 1

    def participants(self, given: dict[str, str] | None = None) -> dict[str, str]:
        """Role → name: given names first, then the session's own (the created payload's
        ``participants`` or ``participant`` and ``role``, then take-home answers)."""
        names: dict[str, str] = {}
        extra = self.extra
        if isinstance(extra.get("participants"), dict):
            names |= {str(k): str(v) for k, v in extra["participants"].items() if v}
        if isinstance(extra.get("participant"), str) and extra["participant"]:
            names.setdefault(str(extra.get("role") or "player"), extra["participant"])
        for t in self.takehome:
            if t.get("participant"):
                names.setdefault(t["role"], t["participant"])
        names |= {k: v for k, v in (given or {}).items() if v}
        order = {"state": 0, "district": 1}
        return dict(sorted(names.items(), key=lambda kv: (order.get(kv[0], 2), kv)))

    def reopen_problem(self, meeting: str) -> str | None:
        """Why ``meeting`` cannot be reopened, or None: only the last meeting closed can,
        and only until its debrief begins (a poll answered, the next meeting written in)."""
        if meeting not in self.closed_meetings:
            return f"'{meeting}' is not closed"
        if meeting != self.closed_meetings[-1]:
            return f"only the last meeting closed ('{self.closed_meetings[-1]}') can be reopened"
        if any(p["meeting"] == meeting for p in self.polls) or self.takehome:
            return f"the debrief of '{meeting}' has begun"
        written = {r.meeting for r in self.records.values()} | set(self.decisions)
        later = sorted(written - set(self.closed_meetings))
        if later:
            return f"'{later[0]}' has begun"
        return None

    @classmethod
    def start(cls, event: Event) -> SessionState:
        """The state right after a session's first event."""
        if event.kind != SESSION_CREATED or event.seq != 1:
            raise DamagedSessionError(
                f"session {event.session_id}: its log starts with {SESSION_CREATED} at seq 1,"
                f" not {event.kind} at seq {event.seq}; events before it are missing"
            )
        core = ("scenario", "scenario_sha256", "seed", "title")
        p = checked_event(event).payload
        return cls(
            session_id=event.session_id,
            scenario=p["scenario"],
            scenario_sha256=p["scenario_sha256"],
            seed=p["seed"],
            title=p["title"],
            extra={k: v for k, v in p.items() if k not in core},
        )

    def apply(self, event: Event) -> None:
        """Fold in the next event; events already applied are skipped, so polls may overlap."""
        if event.session_id != self.session_id:
            raise ValueError(
                f"event of session {event.session_id} applied to session {self.session_id}"
            )
        if event.seq <= self.last_seq:
            return
        if event.seq != self.last_seq + 1:
            raise DamagedSessionError(
                f"session {self.session_id}: event {event.seq} follows {self.last_seq};"
                " events in between are missing"
            )
        handler = self._HANDLERS.get(checked_event(event).kind)
        if handler is not None:  # kinds from a newer pmsim change nothing here
            handler(self, event)
        self.last_seq = event.seq

    def _stage_changed(self, event: Event) -> None:
        self.stage = event.payload["stage"]
        self.screen = event.payload.get("screen")

    def _view_opened(self, event: Event) -> None:
        p = event.payload
        self.views_opened.append(ViewSeen(event.seq, event.role, p["view"], p.get("quarter"),
                                          tuple(sorted(p.get("filters", {}).items()))))

    def _record_added(self, event: Event) -> None:
        p = event.payload
        if p["record_id"] in self.refused:
            return
        self.records[p["record_id"]] = Record(
            p["meeting"], p["kind"], p.get("fields", {}), event.role, event.seq
        )

    def _record_updated(self, event: Event) -> None:
        record_id = event.payload["record_id"]
        if record_id in self.records:
            self.records[record_id] = replace(
                self.records[record_id], fields=event.payload["fields"]
            )

    def _record_removed(self, event: Event) -> None:
        record_id = event.payload["record_id"]
        meeting = next((m for m, made in self.made.items()
                        if any(d.record_id == record_id for d in made)), None)
        if meeting is not None:
            # A decision and its minute are one thing: both go, or, once the quarters
            # after the meeting were simulated with the decision, neither.
            if meeting in self.closed_meetings:
                return
            self.made[meeting] = [d for d in self.made[meeting] if d.record_id != record_id]
            self._settle(meeting)
        self.records.pop(record_id, None)

    def _meeting_closed(self, event: Event) -> None:
        meeting = event.payload["meeting"]
        if meeting not in self.closed_meetings:
            self.closed_meetings.append(meeting)

    def _meeting_reopened(self, event: Event) -> None:
        # Two terminals may race (one answers the poll as the other undoes the close):
        # the log decides, the same way in every replay.
        if self.reopen_problem(event.payload["meeting"]) is None:
            self.closed_meetings.pop()

    def _decision_made(self, event: Event) -> None:
        p = dict(event.payload)
        # The quarters after a closed meeting were simulated from its decisions;
        # a late decision from the other terminal must not rewrite them.
        record_id = p.pop("record_id", None)
        if p["meeting"] in self.closed_meetings:
            if record_id is not None:
                self.refused.add(record_id)
            return
        self.made.setdefault(p["meeting"], []).append(Decided(record_id, p, event.seq))
        self._settle(p["meeting"])

    def _settle(self, meeting: str) -> None:
        """``decisions[meeting]`` from ``made[meeting]``: one per strategy, the latest."""
        latest: dict[str, dict[str, Any]] = {}  # a key keeps the place it was first set at
        for d in self.made.get(meeting, []):
            latest[d.payload["strategy"]] = d.payload
        if latest:
            self.decisions[meeting] = list(latest.values())
        else:
            self.decisions.pop(meeting, None)

    def _poll_answered(self, event: Event) -> None:
        self.polls.append(event.payload)

    def _takehome_answered(self, event: Event) -> None:
        self.takehome = [t for t in self.takehome if t["role"] != event.payload["role"]]
        self.takehome.append(event.payload)

    def _selfassess_rated(self, event: Event) -> None:
        rated = self.selfassess.setdefault(event.role, {})
        rated[event.payload["sub_element"]] = {**event.payload, "seq": event.seq}

    def _note_added(self, event: Event) -> None:
        self.notes.append(Note(event.seq, event.role, event.payload["text"]))

    def _solo_intent(self, event: Event) -> None:
        self.intents[event.payload["meeting"]] = event.payload["text"]

    def _solo_turn(self, event: Event) -> None:
        self.turns.append({**event.payload, "seq": event.seq})

    _HANDLERS: ClassVar[dict[str, Callable[[SessionState, Event], None]]] = {
        "stage.changed": _stage_changed,
        "view.opened": _view_opened,
        "record.added": _record_added,
        "record.updated": _record_updated,
        "record.removed": _record_removed,
        "meeting.closed": _meeting_closed,
        "meeting.reopened": _meeting_reopened,
        "takehome.answered": _takehome_answered,
        "decision.made": _decision_made,
        "poll.answered": _poll_answered,
        "selfassess.rated": _selfassess_rated,
        "note.added": _note_added,
        "solo.intent": _solo_intent,
        "solo.turn": _solo_turn,
    }


def replay(events: Iterable[Event]) -> SessionState:
    """The state after ``events`` (a whole log or a prefix of one); a pure fold.

    A log that isn't one pmsim wrote (a seq repeated or missing, an event of the wrong
    shape) is a DamagedSessionError naming the session and the event.
    """
    it = iter(events)
    first = next(it, None)
    if first is None:
        raise DamagedSessionError(f"a session's log starts with {SESSION_CREATED}; got no events")
    state = SessionState.start(first)
    for event in it:
        if event.seq <= state.last_seq:  # apply skips these for pollers; a whole log has none
            raise DamagedSessionError(
                f"session {state.session_id}: event {event.seq} comes after event"
                f" {state.last_seq}; a log's events are numbered 1, 2, 3 … once each"
            )
        state.apply(event)
    return state


# --------------------------------------------------------------------------- damaged logs


class DamagedSessionError(StoreError, ValueError):
    """A stored session whose events pmsim could not have written (a damaged or edited
    file): the message names the session and the event, for the user."""


KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
"""The form of every event kind ("record.added"); one of this form pmsim doesn't know is a
newer pmsim's and is skipped, anything else is damage."""


def checked_event(event: Event) -> Event:
    """``event`` if it is one pmsim could have appended, else DamagedSessionError.

    A payload is checked against its kind's model as on appending; a kind this pmsim
    doesn't know (a newer one's) is let through, as the fold skips it.
    """
    where = f"session {event.session_id}, event {event.seq} ({event.kind})"
    if not KIND_PATTERN.fullmatch(event.kind):
        raise DamagedSessionError(f"{where}: {event.kind!r} is not an event kind")
    if event.kind == SESSION_CREATED and event.seq != 1:
        raise DamagedSessionError(f"{where}: a session is created once, by its first event")
    if not isinstance(event.role, str) or not event.role:
        raise DamagedSessionError(f"{where}: its role is {event.role!r}, not a name")
    model = EVENT_MODELS.get(event.kind)
    if model is None:
        return event
    try:
        model.model_validate(event.payload)
    except ValidationError as err:
        problems = [e for e in err.errors() if not _tolerated(event.kind, e)]
        if problems:
            said = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
                for e in problems
            )
            raise DamagedSessionError(f"{where} is damaged: {said}") from None
    return event


def _tolerated(kind: str, error: ErrorDetails) -> bool:
    """What ``session.created`` may hold beyond its model: the keys a session was started
    with (``Store.create_session``'s payload), and the empty hash of a session replayed
    from a transcript that came without one."""
    return kind == SESSION_CREATED and (
        error["type"] == "extra_forbidden"
        or (error["loc"] == ("scenario_sha256",) and error["type"] == "string_too_short")
    )


# --------------------------------------------------------------------------- its scenario


class ScenarioMismatchError(ValueError):
    """A session names strategies, meetings, grades or subgroups the scenario (as it is now)
    doesn't define."""


def check_scenario(state: SessionState, scenario: Scenario, name: str) -> None:
    """ScenarioMismatchError unless every strategy, meeting, grade and subgroup the session
    used is in ``scenario`` (``name``: the file's name or the built-in id, for the message).

    Replaying a session on a scenario without them would silently drop a decision, or
    fail deep in the engine.
    """
    defined = {
        "strategy": {s.id for s in scenario.strategies},
        "meeting": {m.id for m in scenario.calendar.meetings},
        "grade": {str(g) for g in scenario.grades},
        "subgroup": {g.id for g in scenario.subgroups},
    }
    used: dict[str, dict[str, None]] = {what: {} for what in defined}
    used["meeting"].update(dict.fromkeys(state.closed_meetings))
    for meeting, decided in state.decisions.items():
        used["meeting"].setdefault(meeting, None)
        for d in decided:
            used["strategy"].setdefault(d["strategy"], None)
            options = d.get("options") or {}
            used["grade"].update(dict.fromkeys(str(g) for g in options.get("grades") or ()))
            used["subgroup"].update(dict.fromkeys(options.get("subgroups") or ()))
    for record in state.records.values():
        used["meeting"].setdefault(record.meeting, None)
        strategy = record.fields.get("strategy") if record.kind == "decision" else None
        if isinstance(strategy, str):
            used["strategy"].setdefault(strategy, None)
    missing = [f"{what} '{x}'" for what, xs in used.items() for x in xs
               if x not in defined[what]]
    if missing:
        listed = " and ".join([", ".join(missing[:-1]), missing[-1]] if missing[1:] else missing)
        raise ScenarioMismatchError(
            f"session {state.session_id} used {listed}, which {name} no longer defines"
        )


def plan_of(state: SessionState) -> Plan:
    """What a session's simulation must replay: closed meetings and their decisions."""
    return [(m, list(state.decisions.get(m, []))) for m in state.closed_meetings]
