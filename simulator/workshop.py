"""Workshops: breakout rooms, join codes and the facilitator's controls, kept in the store.

A workshop is a log in the store like a session's (so it works on every ``Store``
and several servers share it): its ``session.created`` payload carries
``{"workshop": {"rooms": N}}`` and its title starts with :data:`TITLE_PREFIX`; its
events are ``workshop.created`` (rooms, seed, code hashes), then ``workshop.started``,
``workshop.paused``, ``workshop.advanced`` {stage} and ``workshop.closed``. Each room
is a normal session created with ``{"workshop": ID, "room": NAME}``; its players
append ``presence.seen`` {role} when they join.

Codes are drawn from :data:`CODE_ALPHABET` (no look-alikes) with :mod:`secrets`,
stored only as sha256 of a per-workshop salt and the code, and shown once at
creation. A closed workshop's codes find nothing. No Textual here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from simulator.session.store import SESSION_CREATED, Event, SessionInfo, Store, StoreError

if TYPE_CHECKING:
    from simulator.session.home import Home

TITLE_PREFIX = "Workshop · "
"""How a workshop log's title begins: a cheap filter before its first event is read."""
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Join-code characters: upper case, without 0/O, 1/I/L, which people misread."""
ROOM_CODE_LENGTH = 10
FACILITATOR_CODE_LENGTH = 12
MAX_ROOMS = 100
FACILITATOR_ROLE = "facilitator"
PRESENT_S = 120.0
"""A role counts as in the room if it was seen (or wrote) this many seconds ago or less."""
Action = Literal["start", "pause", "advance", "close"]
ACTIONS: tuple[str, ...] = ("start", "pause", "advance", "close")


class WorkshopError(StoreError):
    """A workshop request that can't be done, worded for the facilitator."""


@dataclass(frozen=True)
class RoomRef:
    """A room a join code opens."""

    workshop: str
    room: str
    session_id: str
    scenario: str
    seed: int


@dataclass(frozen=True)
class NewWorkshop:
    """A workshop just created, with its codes in clear (shown once, never stored)."""

    id: str
    facilitator_code: str
    rooms: list[tuple[str, str, str]]
    """(room name, code, session_id), in order."""


@dataclass(frozen=True)
class Score:
    """One rating of a room's debrief."""

    element_id: str
    element: str
    name: str
    level: str
    points: float
    max_points: float


@dataclass(frozen=True)
class RoomStatus:
    name: str
    session_id: str
    stage: str
    present: tuple[str, ...]
    """Roles seen in the last :data:`PRESENT_S` seconds, e.g. ("state", "district")."""
    last_activity: str
    """When the room's latest event was written (ISO, UTC)."""
    polls: list[dict[str, Any]] = field(default_factory=list)
    """The room's poll answers (meeting, role, went_well, improve)."""
    scores: dict[str, list[Score]] = field(default_factory=dict)
    """Per closed meeting (its debrief), the ratings up to it."""


@dataclass(frozen=True)
class WorkshopStatus:
    id: str
    title: str
    scenario: str
    seed: int
    created: str
    state: Literal["waiting", "running", "paused", "closed"]
    stage: str | None
    """The stage the facilitator moved every room to (None before the start)."""
    stages: list[str]
    """The run of show's stages in order."""
    rooms: list[RoomStatus]


@dataclass
class _Log:
    """A workshop log folded."""

    id: str
    title: str
    created: str
    data: dict[str, Any]
    state: Literal["waiting", "running", "paused", "closed"] = "waiting"
    stage: str | None = None


def new_code(length: int = ROOM_CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    """What a person typed as a code: case, spaces and dashes ignored."""
    return "".join(c for c in code.upper() if c not in " -\t")


def code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{normalise_code(code)}".encode()).hexdigest()


def is_workshop_info(info: SessionInfo) -> bool:
    """Whether a listed session may be a workshop log (its first event decides)."""
    return info.title.startswith(TITLE_PREFIX)


def stage_order(scenario: Any) -> list[str]:
    """The run of show: the briefing, each meeting and its debrief, the end."""
    stages = ["briefing"]
    meetings = scenario.calendar.meetings
    for n, m in enumerate(meetings, start=1):
        stages.append(m.id)
        stages.append("end" if n == len(meetings) else f"debrief-{n}")
    return stages


def create_workshop(store: Store, home: Home, scenario: str, rooms: int, seed: int = 1,
                    title: str = "") -> NewWorkshop:
    """A workshop of ``rooms`` rooms on ``scenario``, each a session of its own."""
    from simulator.formats.loading import load_scenario, scenario_ref
    from simulator.session.state import append_event

    if not 1 <= rooms <= MAX_ROOMS:
        raise WorkshopError(f"a workshop has 1 to {MAX_ROOMS} rooms, not {rooms}")
    loaded = load_scenario(scenario, (home.scenarios,))
    ref = scenario_ref(loaded)
    title = " ".join(title.split()) or f"{loaded.scenario.title} · seed {seed}"
    log = store.create_session(ref, loaded.sha256, seed, TITLE_PREFIX + title,
                               payload={"workshop": {"rooms": rooms}})
    salt = secrets.token_hex(16)
    facilitator = new_code(FACILITATOR_CODE_LENGTH)
    codes: set[str] = {facilitator}
    made: list[tuple[str, str, str]] = []
    recorded = []
    for n in range(1, rooms + 1):
        name = f"room-{n}"
        code = new_code()
        while code in codes:
            code = new_code()
        codes.add(code)
        info = store.create_session(ref, loaded.sha256, seed,
                                    f"{loaded.scenario.title} · seed {seed} · {name}",
                                    payload={"workshop": log.id, "room": name})
        made.append((name, code, info.id))
        recorded.append({"name": name, "session_id": info.id,
                         "code_hash": code_hash(salt, code)})
    append_event(store, log.id, "workshop.created", FACILITATOR_ROLE, {
        "scenario": ref, "seed": seed, "title": title, "salt": salt,
        "facilitator_hash": code_hash(salt, facilitator), "rooms": recorded})
    return NewWorkshop(log.id, facilitator, made)


def _fold(session_id: str, events: list[Event]) -> _Log | None:
    """The workshop a log holds, or None if it is no (complete) workshop log."""
    if not events or events[0].kind != SESSION_CREATED:
        return None
    created = events[0].payload
    if not isinstance(created.get("workshop"), dict):
        return None
    log: _Log | None = None
    for e in events[1:]:
        if e.kind == "workshop.created":
            log = _Log(session_id, str(created.get("title", "")).removeprefix(TITLE_PREFIX),
                       events[0].created, dict(e.payload))
        elif log is None or log.state == "closed":
            continue
        elif e.kind == "workshop.started":
            log.state = "running"
            log.stage = log.stage or "briefing"
        elif e.kind == "workshop.paused":
            log.state = "paused"
        elif e.kind == "workshop.advanced":
            log.stage = e.payload["stage"]
            if log.state == "waiting":
                log.state = "running"
        elif e.kind == "workshop.closed":
            log.state = "closed"
    return log


def _workshop(store: Store, workshop_id: str) -> _Log:
    log = _fold(workshop_id, store.events(workshop_id))
    if log is None:
        raise WorkshopError(f"{workshop_id!r} is not a workshop")
    return log


def _open_logs(store: Store) -> list[_Log]:
    logs = []
    for info in store.list_sessions():
        if is_workshop_info(info):
            log = _fold(info.id, store.events(info.id))
            if log is not None and log.state != "closed":
                logs.append(log)
    return logs


def list_workshops(store: Store) -> list[WorkshopStatus]:
    """Every workshop in the store, newest first (rooms without presence or scores)."""
    out = []
    for info in store.list_sessions():
        if is_workshop_info(info):
            log = _fold(info.id, store.events(info.id))
            if log is not None:
                out.append(_status(store, log, rooms=False))
    return out


def workshop_ids(store: Store) -> set[str]:
    """The ids of the store's workshop logs (which ``session list`` leaves out)."""
    return {i.id for i in store.list_sessions() if is_workshop_info(i) and _is_marked(store, i.id)}


def _is_marked(store: Store, session_id: str) -> bool:
    first = store.events(session_id)[:1]
    return bool(first) and isinstance(first[0].payload.get("workshop"), dict)


def find_room(store: Store, code: str) -> RoomRef | None:
    """The room a join code opens; None for an unknown code or a closed workshop."""
    found: RoomRef | None = None
    for log in _open_logs(store):
        hashed = code_hash(log.data["salt"], code)
        for room in log.data["rooms"]:
            if hmac.compare_digest(hashed, room["code_hash"]) and found is None:
                found = RoomRef(log.id, room["name"], room["session_id"],
                                log.data["scenario"], log.data["seed"])
    return found


def find_workshop(store: Store, facilitator_code: str) -> str | None:
    """The workshop a facilitator code opens; None for an unknown code or a closed one."""
    found: str | None = None
    for log in _open_logs(store):
        hashed = code_hash(log.data["salt"], facilitator_code)
        if hmac.compare_digest(hashed, log.data["facilitator_hash"]) and found is None:
            found = log.id
    return found


def mark_present(store: Store, session_id: str, role: str) -> None:
    """Record that ``role`` is at a room's session (call on joining, and now and then)."""
    from simulator.session.state import append_event

    append_event(store, session_id, "presence.seen", role, {"role": role})


_SCORES: dict[tuple[str, int, str], list[Score]] = {}
"""Scores already computed, by (session, last seq, meeting): a status poll repeats them."""


def _scores(loaded: Any, state: Any, meeting: str) -> list[Score]:
    key = (state.session_id, state.last_seq, meeting)
    if key not in _SCORES:
        from simulator.debrief.scoring import score

        debrief = score(loaded.scenario, state, upto_meeting=meeting)
        _SCORES[key] = [Score(r.id, r.element, r.name, str(r.level), float(r.points),
                              float(r.max_points)) for r in [*debrief.elements,
                                                             *debrief.routine]]
    return _SCORES[key]


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _room_status(store: Store, room: dict[str, Any], loaded: Any, now: datetime,
                 scores: bool) -> RoomStatus:
    from simulator.session.state import replay

    events = store.events(room["session_id"])
    state = replay(events)
    recent = now - timedelta(seconds=PRESENT_S)
    present: dict[str, None] = {}
    for e in events:
        seen = _parse_time(e.created)
        role = e.payload["role"] if e.kind == "presence.seen" else e.role
        if role in ("state", "district") and seen is not None and seen >= recent:
            present[role] = None
    by_meeting: dict[str, list[Score]] = {}
    if scores and loaded is not None:
        for meeting in state.closed_meetings:
            by_meeting[meeting] = _scores(loaded, state, meeting)
    return RoomStatus(room["name"], room["session_id"], state.stage,
                      tuple(sorted(present, key=("state", "district").index)),
                      events[-1].created, list(state.polls), by_meeting)


def _status(store: Store, log: _Log, *, rooms: bool = True, scores: bool = True,
            now: datetime | None = None) -> WorkshopStatus:
    from simulator.formats.loading import load_played

    loaded = None
    stages: list[str] = []
    try:
        loaded = load_played(log.data["scenario"], None)
        stages = stage_order(loaded.scenario)
    except Exception:
        loaded = None
    now = now or datetime.now(UTC)
    listed = [_room_status(store, r, loaded, now, scores) for r in log.data["rooms"]] if rooms \
        else []
    return WorkshopStatus(log.id, log.title, log.data["scenario"], log.data["seed"],
                          log.created, log.state, log.stage, stages, listed)


def workshop_status(store: Store, workshop_id: str, *, scores: bool = True,
                    now: datetime | None = None) -> WorkshopStatus:
    """Where every room of a workshop is: stage, who is in it, polls, scores per debrief."""
    return _status(store, _workshop(store, workshop_id), scores=scores, now=now)


def control(store: Store, workshop_id: str, action: Action, stage: str | None = None) -> None:
    """Start, pause, advance (to ``stage``, else the next) or close every room together."""
    from simulator.session.state import append_event

    log = _workshop(store, workshop_id)
    if action not in ACTIONS:
        raise WorkshopError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if log.state == "closed":
        raise WorkshopError(f"workshop {workshop_id} is closed")
    if action == "advance":
        from simulator.formats.loading import load_played

        stages = stage_order(load_played(log.data["scenario"], None).scenario)
        if stage is None:
            at = stages.index(log.stage) if log.stage in stages else -1
            if at + 1 >= len(stages):
                raise WorkshopError(f"workshop {workshop_id} is at the end already")
            stage = stages[at + 1]
        elif stage not in stages:
            raise WorkshopError(f"no stage {stage!r}; the stages are {', '.join(stages)}")
        append_event(store, workshop_id, "workshop.advanced", FACILITATOR_ROLE,
                     {"stage": stage})
        return
    if stage is not None:
        raise WorkshopError("only advance takes a stage")
    kind = {"start": "workshop.started", "pause": "workshop.paused",
            "close": "workshop.closed"}[action]
    append_event(store, workshop_id, kind, FACILITATOR_ROLE, {})


_ROOM_OF: dict[str, str | None] = {}
"""Session id → its workshop's id (a session's first event never changes)."""


def room_workshop(store: Store, session_id: str) -> str | None:
    """The workshop a session is a room of, or None."""
    if session_id not in _ROOM_OF:
        first = store.events(session_id)[:1]
        marked = first[0].payload.get("workshop") if first else None
        _ROOM_OF[session_id] = marked if isinstance(marked, str) else None
    return _ROOM_OF[session_id]


def room_control(store: Store, session_id: str) -> tuple[str, str | None] | None:
    """(workshop state, stage) for a room's session; None for a session no room."""
    workshop = room_workshop(store, session_id)
    if workshop is None:
        return None
    log = _fold(workshop, store.events(workshop))
    return None if log is None else (log.state, log.stage)


def workshop_stage(store: Store, session_id: str) -> str | None:
    """The stage the facilitator has moved a room to; None when the session is no room,
    or its workshop has not started or is closed (the TUI polls this)."""
    control_ = room_control(store, session_id)
    if control_ is None or control_[0] in ("waiting", "closed"):
        return None
    return control_[1]
