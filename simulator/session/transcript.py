"""Transcripts: the records of a playthrough as a file people can read, write and score.

A transcript holds what a session's event log holds — views opened, records,
decisions, polls — without the parts only a live session needs (its id, clock
times, stage changes). ``pmsim session export`` writes one; ``pmsim debrief``
scores one; facilitators write them by hand as worked examples. So loading is as
strict and as helpful as loading a scenario: safe YAML, unknown keys are errors,
and every problem is reported as ``PATH:LINE:COL: message``.

Each event is one mapping: ``event`` names its kind, ``by`` the role that acted,
and the payload's own keys sit beside them unchanged. (``event`` and ``by`` rather
than ``kind`` and ``role`` because ``record.added`` payloads have a ``kind`` and
poll and take-home payloads a ``role`` of their own.)

``python -m simulator.session.transcript`` prints the JSON Schema of the format
(committed as ``scenarios/transcript.schema.json``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Union, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from scenarios import DIRECTORY as SCENARIOS_DIRECTORY
from simulator.formats.refs import View, unknown
from simulator.formats.routine import choice_problems, not_a_field, unknown_fields
from simulator.formats.scenario import Scenario
from simulator.formats.strict import load_model, validation_problems
from simulator.formats.yamlsafe import (
    FileProblems,
    Loaded,
    MarkPath,
    Position,
    Problem,
    read_or_problem,
)
from simulator.session.state import (
    EVENT_MODELS,
    DecisionMade,
    DecisionOptions,
    RecordAdded,
    SessionState,
    ViewOpened,
    replay,
    validate_payload,
)
from simulator.session.store import SESSION_CREATED, STAGE_CHANGED, Event, SessionInfo, Store

TRANSCRIPT_VERSION: Final = 1
SESSION_ID = "transcript"
"""The session id a transcript's replayed state carries."""
SCHEMA_PATH = SCENARIOS_DIRECTORY / "transcript.schema.json"
REGENERATE = "python -m simulator.session.transcript > scenarios/transcript.schema.json"
LEFT_OUT = frozenset({SESSION_CREATED, STAGE_CHANGED, "presence.seen", "workshop.created",
                      "workshop.started", "workshop.paused", "workshop.advanced",
                      "workshop.closed"})
"""Event kinds a transcript leaves out: the header stands for the first, where the
screens were and who was present say nothing about the meeting, and workshop events
belong to a workshop's log, not a playthrough."""
EVENT_KINDS = tuple(kind for kind in EVENT_MODELS if kind not in LEFT_OUT)

Name = Annotated[str, StringConstraints(min_length=1)]


if TYPE_CHECKING:

    class TranscriptEvent(BaseModel):
        """What the type checker knows of an entry model (they are built at run time):
        a payload model with ``event`` and ``by`` beside its own keys."""

        event: str
        by: str


def _entry_model(kind: str) -> type[TranscriptEvent]:
    """The transcript form of one event kind: its payload's keys plus ``event`` and ``by``."""
    payload = EVENT_MODELS[kind]
    title = "".join(part.title() for part in kind.replace(".", " ").split()) + "Event"
    # Literal[kind] is a type made at run time: no type checker can read it as a form.
    keys: dict[str, Any] = {
        "event": (Literal[kind], Field(description=f"The kind of event: `{kind}`.")),
        "by": (Name, Field(description='The role that acted: "state", "district" or "both".')),
    }
    model = create_model(title, __base__=payload, __doc__=payload.__doc__, **keys)
    return cast("type[TranscriptEvent]", model)  # it has `event` and `by` now


ENTRY_MODELS: dict[str, type[TranscriptEvent]] = {kind: _entry_model(kind) for kind in EVENT_KINDS}
if not TYPE_CHECKING:
    TranscriptEvent = Annotated[
        Union[tuple(ENTRY_MODELS.values())],  # noqa: UP007 - a union built at run time
        Field(discriminator="event"),
    ]


class Transcript(BaseModel):
    """The records of one playthrough of a scenario, in the order they happened."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    transcript_version: Literal[1] = TRANSCRIPT_VERSION
    """Version of this file format."""
    scenario: Name
    """The scenario played: a built-in id such as "hudson", or a path."""
    seed: int
    """Seed of the simulation: with the scenario and the decisions it fixes every number."""
    title: str = ""
    """What the playthrough was, e.g. "Hudson — a strong playthrough"."""
    scenario_sha256: str | None = None
    """Hash of the scenario file played, when the transcript came from a saved session."""
    participants: dict[Name, str] = Field(default_factory=dict)
    """Who played, role → name (e.g. {state: "Pat", district: "Lee"})."""
    events: list[TranscriptEvent] = Field(default_factory=list)
    """What happened, in order: views opened, records, decisions, meetings closed, polls."""

    def events_for_replay(self) -> list[Event]:
        """The events of a session log: ``session.created``, then one per entry, in order."""
        created = {
            "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256 or "",
            "seed": self.seed,
            "title": self.title,
        }
        if self.participants:
            created["participants"] = dict(self.participants)
        log = [Event(SESSION_ID, 1, SESSION_CREATED, "system", created, "")]
        for seq, entry in enumerate(self.events, start=2):
            kind, role, payload = _split(entry)
            log.append(Event(SESSION_ID, seq, kind, role, validate_payload(kind, payload), ""))
        return log

    def state(self) -> SessionState:
        """The session state the transcript's events fold to."""
        return replay(self.events_for_replay())

    def to_yaml(self) -> str:
        """The transcript as YAML: the same text for the same transcript; loads back equal."""
        data: dict[str, Any] = {"transcript_version": self.transcript_version,
                                "scenario": self.scenario, "seed": self.seed}
        if self.title:
            data["title"] = self.title
        if self.scenario_sha256:
            data["scenario_sha256"] = self.scenario_sha256
        if self.participants:
            data["participants"] = dict(self.participants)
        data["events"] = [
            {"event": e.event, "by": e.by, **_payload_of(e, exclude_defaults=True)}
            for e in self.events
        ]
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         width=100, default_flow_style=False)


class _Dumper(yaml.SafeDumper):
    """Safe dumper that double-quotes text YAML would otherwise fold or mangle.

    A plain or single-quoted scalar holding NEL, LS, PS or BOM is read back with a
    line break (or nothing) in its place; double quotes escape them.
    """

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if any(ch in data for ch in "\x85\u2028\u2029\ufeff") or not data.isprintable():
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Dumper.add_representer(str, _Dumper.represent_str)


def _payload_of(entry: BaseModel, *, exclude_defaults: bool = False) -> dict[str, Any]:
    return entry.model_dump(mode="json", exclude={"event", "by"},
                            exclude_defaults=exclude_defaults)


def _split(entry: TranscriptEvent) -> tuple[str, str, dict[str, Any]]:
    return entry.event, entry.by, _payload_of(entry)


# --------------------------------------------------------------------------- from a session


def transcript_from_events(
    info_or_state: SessionInfo | SessionState, events: list[Event]
) -> Transcript:
    """A session's transcript from its summary (or state) and its events.

    ``session.created`` and ``stage.changed`` are left out; kinds this pmsim does
    not know (from a newer version) too, as replay ignores them.
    """
    info = info_or_state
    participants = info.participants() if isinstance(info, SessionState) else {}
    entries = [
        ENTRY_MODELS[e.kind].model_validate({"event": e.kind, "by": e.role, **e.payload})
        for e in events
        if e.kind in ENTRY_MODELS
    ]
    return Transcript(
        scenario=info.scenario, seed=info.seed, title=info.title,
        scenario_sha256=info.scenario_sha256 or None,
        participants=participants,
        events=entries,
    )


def transcript_from_session(store: Store, session_id: str) -> Transcript:
    """A saved session's transcript (UnknownSessionError for an unknown id)."""
    events = store.events(session_id)
    return transcript_from_events(replay(events), events)


# --------------------------------------------------------------------------- loading


class TranscriptError(FileProblems):
    """A transcript file that cannot be used, with every problem found in it."""


def load_transcript(path: Path, scenario: Scenario | None = None) -> Transcript:
    """Load and validate a transcript file; raises TranscriptError with every problem.

    With ``scenario``, references to it (meetings, strategies, views) are checked too.
    """
    return parse_transcript(read_or_problem(path, TranscriptError, "a transcript"), str(path),
                            scenario)


def parse_transcript(
    raw: bytes | Loaded, name: str = "<transcript>", scenario: Scenario | None = None
) -> Transcript:
    """Validate a transcript's bytes (YAML or JSON, or their YAML already loaded); raises
    TranscriptError."""
    return load_model(
        raw, name, Transcript, error=TranscriptError, parts=_part_problems,
        checks=(lambda t: transcript_problems(t, scenario)) if scenario is not None else None,
        mapping_of="(scenario, seed, events, …)", what="a transcript",
    )


def _part_problems(loaded: Loaded) -> list[Problem]:
    """The header, then each event on its own (hints then name the event and its kind)."""
    data = loaded.data
    assert isinstance(data, dict)  # load_model checked
    events = data.get("events")
    problems = _header_problems(loaded, events)
    if isinstance(events, list):
        marks = _marks_by_event(loaded)
        for i, event in enumerate(events):
            problems += _event_problems(loaded, i, event, marks.get(i, {}))
    return problems


def _marks_by_event(loaded: Loaded) -> dict[int, dict[MarkPath, Position]]:
    """Each event's marks, keyed by its index, with paths relative to the event.

    Grouped in one pass over the file's marks, so checking every event costs time
    linear in the file (scanning all marks once per event was quadratic).
    """
    grouped: dict[int, dict[MarkPath, Position]] = {}
    for path, pos in loaded.marks.items():
        if len(path) >= 2 and path[0] == "events" and isinstance(path[1], int):
            grouped.setdefault(path[1], {})[path[2:]] = pos
    return grouped


def _header_problems(loaded: Loaded, events: object) -> list[Problem]:
    """Problems outside the events (each event is checked on its own, for better hints)."""
    assert isinstance(loaded.data, dict)  # _part_problems checked
    head = dict(loaded.data)
    if isinstance(events, list):
        head["events"] = []
    try:
        Transcript.model_validate(head)
    except ValidationError as exc:
        return validation_problems(exc, loaded, Transcript)
    return []


def _event_problems(loaded: Loaded, i: int, event: object,
                    marks: dict[MarkPath, Position]) -> list[Problem]:
    """One event checked against its kind; ``marks`` are its own, relative to it."""
    path = ("events", i)
    line, col = loaded.locate(path)
    if not isinstance(event, dict):
        return [Problem(line, col, f"events.{i}: each event is a mapping with an `event` key")]
    kind = event.get("event")
    if kind is None:
        return [Problem(line, col, f"events.{i}: missing required key 'event' "
                                   f"(one of {', '.join(EVENT_KINDS)})")]
    if not isinstance(kind, str):  # a list or mapping can't even be looked up
        return [Problem(*loaded.locate((*path, "event")),
                        f"events.{i}: `event` names the kind of event as text (one of "
                        f"{', '.join(EVENT_KINDS)}), not a {_yaml_type(kind)}")]
    if kind not in ENTRY_MODELS:
        if kind in LEFT_OUT:
            why = f"'{kind}' is not part of a transcript"
        else:
            why = unknown(str(kind), EVENT_KINDS, "event kind")
        return [Problem(*loaded.locate((*path, "event")), f"events.{i}: {why}")]
    local = Loaded(event, marks)
    model = ENTRY_MODELS[kind]
    try:
        entry = model.model_validate(event)
    except ValidationError as exc:
        # Positions and hints are the event's own; "top level" would mean the file's.
        return [Problem(p.line, p.col,
                        f"events.{i}: " + p.message.replace(" in the top level",
                                                            f" in this {kind} event"))
                for p in validation_problems(exc, local, model)]
    try:
        validate_payload(kind, _payload_of(entry))
    except ValueError as err:
        return [Problem(line, col, f"events.{i}: {err}")]
    if kind == "record.added":
        return _field_problems(loaded, i, event["kind"], event.get("fields") or {})
    return []


def _yaml_type(value: object) -> str:
    """What a value is, in the words of a YAML file."""
    if isinstance(value, bool):
        return "true/false"
    return {dict: "mapping", list: "list", int: "number", float: "number"}.get(
        type(value), type(value).__name__)


def _field_problems(loaded: Loaded, i: int, kind: str, fields: dict[str, Any]
                    ) -> list[Problem]:
    """A record's fields that its kind does not define (the routine says which it does),
    and choices outside the options the routine fixes for them."""
    return [Problem(*loaded.locate(("events", i, "fields", name, "<key>")),
                    f"events.{i}: {not_a_field(name, [kind])}")
            for name in unknown_fields(kind, fields)] + [
            Problem(*loaded.locate(("events", i, "fields", name)), f"events.{i}: {why}")
            for name, why in choice_problems(kind, fields)]


def transcript_problems(transcript: Transcript, sc: Scenario) -> list[tuple[tuple, str]]:
    """References from a transcript to a scenario that lead nowhere, each with its path."""
    meetings = [m.id for m in sc.calendar.meetings]
    strategies = [s.id for s in sc.strategies]
    problems: list[tuple[tuple, str]] = []
    minutes: set[tuple[str, str]] = set()  # decisions name them, wherever they stand
    for entry in transcript.events:
        if isinstance(entry, RecordAdded) and entry.kind == "decision":
            minutes.add((entry.record_id, entry.meeting))
    if transcript.scenario != sc.id and not transcript.scenario.endswith((".yaml", ".yml")):
        problems.append((("scenario",), f"the transcript is of scenario '{transcript.scenario}', "
                                        f"not '{sc.id}'"))
    for i, entry in enumerate(transcript.events):
        meeting = getattr(entry, "meeting", None)
        if meeting is not None and meeting not in meetings:
            problems.append((("events", i, "meeting"), unknown(meeting, meetings, "meeting")))
        # Each entry model subclasses its kind's payload model, and no other kind's.
        if isinstance(entry, DecisionMade):
            if entry.strategy not in strategies:
                problems.append((("events", i, "strategy"),
                                 unknown(entry.strategy, strategies, "strategy")))
            problems += _option_problems(entry.options, ("events", i, "options"), sc)
            if entry.record_id is not None and (entry.record_id, entry.meeting) not in minutes:
                problems.append((("events", i, "record_id"),
                                 f"'{entry.record_id}' is not a decision record of "
                                 f"'{entry.meeting}': a decision names the minute saved "
                                 f"with it (a record.added of kind decision)"))
        if isinstance(entry, ViewOpened):
            problem = View.check(entry.view, sc)
            if problem:
                problems.append((("events", i, "view"), problem))
    return problems


def _option_problems(options: DecisionOptions, path: tuple, sc: Scenario
                    ) -> list[tuple[tuple, str]]:
    """Grades and subgroups a decision targets that the scenario does not have."""
    grades = [str(g) for g in sc.grades]
    subgroups = [g.id for g in sc.subgroups]
    return [((*path, "grades", j), unknown(str(g), grades, "grade"))
            for j, g in enumerate(options.grades or ()) if str(g) not in grades] + [
            ((*path, "subgroups", j), unknown(g, subgroups, "subgroup"))
            for j, g in enumerate(options.subgroups or ()) if g not in subgroups]


# --------------------------------------------------------------------------- the schema


def transcript_schema() -> dict:
    """The JSON Schema of transcript files (committed as scenarios/transcript.schema.json)."""
    schema = Transcript.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:pmsim:transcript:1"
    return schema


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(transcript_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
