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

How the rooms follow the facilitator (the run of show has fixed times, so every room
keeps one pace; a room's work is never thrown away or closed for it):

- **Waiting** (before the start): a room reads its briefing, private briefing and
  dashboards; it can't open Meeting #1 yet, and is told the facilitator opens it.
- **The stage sets the pace.** The stages are :func:`stage_order`'s (briefing, each
  meeting, its debrief, the end) and a room may go as far as the facilitator's stage,
  no further (:func:`room_hold`): opening a meeting waits until the facilitator
  advances to it; closing one, which lets time pass and opens its debrief, waits until
  the facilitator advances to that debrief (the room is told why, and keeps working on
  its minutes); going on to the next meeting waits for it too. Going back (undoing a
  close) is never held.
- **Advance beyond a room**: the room is told where the facilitator is and what to do
  next (:func:`moved_on`), e.g. "close Meeting #1 (F10)"; it moves when it is ready.
- **Pause**: every room is covered by "Paused by the facilitator" and takes no input
  until the facilitator starts again (start resumes); what was typed stays. Time
  already passing finishes first.
- **Close** ends the workshop: each room is told once and becomes read-only (it can be
  looked at, its report saved; nothing more is recorded), and its codes stop working.
- A session that is no workshop's room is never held.

A room follows its workshop with :class:`WorkshopFollower`, reading only new events:
on PostgreSQL a thread per room process woken by LISTEN/NOTIFY, at once; on SQLite
asked on the room's own timer (every half second in the meeting room), or by a thread
every :data:`POLL_S` for an owner without one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
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
    names: dict[str, str] = field(default_factory=dict)
    """Each stage of the run of show and of a room as a header names it ("Meeting #1");
    empty when the scenario can't be loaded (the ids are shown then)."""


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


class _Folder:
    """A workshop log folded event by event (a room following it feeds it what is new)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.after = 0
        """The seq of the last event fed."""
        self.log: _Log | None = None
        self._created: Event | None = None
        self._other = False
        """The log is no workshop's (its first event says so): nothing more is folded."""

    def feed(self, events: list[Event]) -> None:
        for e in events:
            self.after = max(self.after, e.seq)
            if self._other:
                continue
            if self._created is None:
                if e.kind != SESSION_CREATED or not isinstance(e.payload.get("workshop"), dict):
                    self._other = True
                    continue
                self._created = e
                continue
            self._step(e)

    def _step(self, e: Event) -> None:
        log = self.log
        if e.kind == "workshop.created":
            assert self._created is not None
            created = self._created.payload
            self.log = _Log(self.session_id,
                            str(created.get("title", "")).removeprefix(TITLE_PREFIX),
                            self._created.created, dict(e.payload))
        elif log is None or log.state == "closed":
            return
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


def _fold(session_id: str, events: list[Event]) -> _Log | None:
    """The workshop a log holds, or None if it is no (complete) workshop log."""
    folder = _Folder(session_id)
    folder.feed(events)
    return folder.log


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
    names: dict[str, str] = {}
    if loaded is not None:
        for stage in dict.fromkeys([*stages, *(r.stage for r in listed)]):
            try:
                names[stage] = stage_name(loaded.scenario, stage)
            except ValueError:
                continue  # a stage this scenario's calendar does not know: shown as its id
    return WorkshopStatus(log.id, log.title, log.data["scenario"], log.data["seed"],
                          log.created, log.state, log.stage, stages, listed, names)


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


# ---------------------------------------------------------------------- rooms following

FOLLOW_WAIT_S = 5.0
"""How long one ``Store.wait`` of a follower blocks before it asks again (it returns at
once when the facilitator writes; this only bounds how long a stopped follower lingers)."""
RETRY_S = 1.0
"""How long a follower whose store can't be read waits before it reads again."""
POLL_S = 0.25
"""How often a follower asks a store that is told of no appends (SQLite) for the log's last
seq: the protocol's own ``wait`` asks 20 times a second, which 80 rooms of a workshop on one
laptop would pay for a log that changes a dozen times in two hours."""


@dataclass(frozen=True)
class RoomControl:
    """What the facilitator has set for every room of a workshop, as a room sees it."""

    workshop: str
    state: Literal["waiting", "running", "paused", "closed"]
    stage: str | None
    """The pace-setting stage (None before the start)."""


def _control(folder: _Folder) -> RoomControl | None:
    log = folder.log
    return None if log is None else RoomControl(log.id, log.state, log.stage)


class WorkshopFollower:
    """A room following its workshop's log: the facilitator's start, pause, advance, close.

    :meth:`read` folds the log once (on opening the room); :meth:`start` then follows it
    from a daemon thread. On a store told of appends (PostgreSQL's LISTEN/NOTIFY) the
    thread blocks in ``Store.wait(workshop, after, FOLLOW_WAIT_S)`` and wakes as soon as
    the facilitator writes; on one that is not (SQLite, whose ``wait`` is the protocol's
    polling one) it asks ``Store.wait(workshop, after, 0)`` (one ``last_seq``) every
    :data:`POLL_S`. Either way only the new events are read and folded, never the whole
    log again. ``on_change`` gets each new
    :class:`RoomControl` (from the thread: the caller hands it to its own); ``on_error``
    gets a read's error once (then None when the log can be read again). A callback
    that raises, or :meth:`stop`, ends the thread.

    An owner that already reads the store on a timer of its own (a room's app reads its
    session twice a second) can instead call :meth:`poll` from it when :attr:`polled`
    says the store must be asked: no thread, no wake-ups of its own. On the laptop that
    serves a workshop, eighty tabs each waking four times a second for a thread cost
    about a tenth of a core (``benchmarks/bench_serve.py``).
    """

    def __init__(self, store: Store, workshop_id: str,
                 on_change: Callable[[RoomControl], None],
                 on_error: Callable[[Exception | None], None] | None = None,
                 timeout: float = FOLLOW_WAIT_S) -> None:
        self.store = store
        self.workshop_id = workshop_id
        self.on_change = on_change
        self.on_error = on_error
        self.timeout = timeout
        self._folder = _Folder(workshop_id)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.waits = 0
        """How many ``Store.wait`` calls returned (for measuring what following costs)."""
        self.told_at = 0
        """``waits`` when the latest change was handed to ``on_change`` (how promptly the
        follower saw it, apart from how soon the room could draw it)."""

    @property
    def control(self) -> RoomControl | None:
        """The workshop as folded so far (None until read, or if the log is no workshop's)."""
        return _control(self._folder)

    def read(self) -> RoomControl:
        """Fold the log up to now; WorkshopError if it is no workshop's log."""
        self._folder.feed(self.store.events(self.workshop_id, after=self._folder.after))
        control = self.control
        if control is None:
            raise WorkshopError(f"{self.workshop_id!r} is not a workshop")
        return control

    @property
    def polled(self) -> bool:
        """Whether the store is not told of appends (SQLite): it must be asked, either
        by the thread :meth:`start` starts or by the owner calling :meth:`poll`."""
        return type(self.store).wait is Store.wait

    def poll(self) -> RoomControl | None:
        """Read what the log gained since the last read, without waiting: the new
        :class:`RoomControl` if the facilitator changed it, else None. The store's error
        is raised (the caller says it and polls on)."""
        return self._fold_new(self.store.wait(self.workshop_id, self._folder.after, 0.0))

    def _fold_new(self, new: list[Event]) -> RoomControl | None:
        self.waits += 1
        if not new:
            return None
        before = self.control
        self._folder.feed(new)
        after = self.control
        if after is None or after == before:
            return None
        self.told_at = self.waits
        return after

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"workshop-{self.workshop_id}")
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        failing = False
        notified = not self.polled
        while not self._stop.is_set():
            if not notified and self._stop.wait(POLL_S):
                return
            began = time.monotonic()
            try:
                new = self.store.wait(self.workshop_id, self._folder.after,
                                      self.timeout if notified else 0.0)
            except Exception as err:  # any store's error: told once, then read again
                if self._stop.is_set():
                    return
                if not failing and not self._tell(self.on_error, err):
                    return
                failing = True
                self._stop.wait(RETRY_S)
                continue
            if failing:
                failing = False
                if not self._tell(self.on_error, None):
                    return
            if not new and notified and time.monotonic() - began < POLL_S:
                self._stop.wait(POLL_S)  # the store would not wait (another thread of it did)
            if self._stop.is_set():
                return
            changed = self._fold_new(new)
            if changed is not None and not self._tell(self.on_change, changed):
                return

    def _tell(self, callback: Callable[[Any], None] | None, value: object) -> bool:
        """Hand ``value`` on; False (the follower stops) if the callback raised."""
        if callback is None:
            return True
        try:
            callback(value)
        except Exception:  # the room is gone (its app stopped)
            self._stop.set()
            return False
        return True


def _stage_index(stages: list[str], stage: str | None) -> int:
    return stages.index(stage) if stage in stages else 0


def stage_name(scenario: Any, stage: str | None) -> str:
    """A stage as a header names it: "Briefing", "Meeting #1", "Debrief #1", "Final debrief"."""
    from simulator.formats.routine import Stage, short_title

    parsed = Stage.parse(scenario.calendar, stage or "briefing")
    if parsed.kind == "meeting":
        return short_title(next(m.title for m in scenario.calendar.meetings
                                if m.id == parsed.meeting))
    if parsed.kind == "debrief":
        return f"Debrief #{parsed.number}"
    return "Final debrief" if parsed.kind == "end" else "Briefing"


def _stage_words(scenario: Any, stage: str) -> str:
    """A stage in a sentence: "the briefing", "Meeting #1", "the debrief of Meeting #1"."""
    from simulator.formats.routine import Stage, short_title

    parsed = Stage.parse(scenario.calendar, stage)
    if parsed.kind == "meeting":
        return stage_name(scenario, stage)
    if parsed.kind == "debrief":
        titles = [short_title(m.title) for m in scenario.calendar.meetings]
        return f"the debrief of {titles[parsed.number - 1]}"
    return "the final debrief" if parsed.kind == "end" else "the briefing"


def control_label(scenario: Any, control: RoomControl | None,
                  room_stage: str | None = None) -> str:
    """The workshop in a room's header; "" for a session that is no room. A room at
    ``room_stage`` behind the facilitator's stage sees where it is too."""
    if control is None:
        return ""
    if control.state == "waiting":
        return "Workshop · waiting for the facilitator to start"
    if control.state == "closed":
        return "Workshop closed · read-only"
    label = f"Workshop · {stage_name(scenario, control.stage)} · {control.state}"
    stages = stage_order(scenario)
    if room_stage is not None and _stage_index(stages, room_stage) < _stage_index(
            stages, control.stage):
        label += f" · you're at {stage_name(scenario, room_stage)}"
    return label


CLOSED_TEXT = ("The facilitator has closed the workshop. This room is read-only now: you can "
               "look at everything, and save the debrief report (F7), but nothing more is "
               "recorded.")
PAUSED_TEXT = "Paused by the facilitator"


def room_hold(scenario: Any, control: RoomControl | None, to_stage: str) -> str | None:
    """Why a room may not move on to ``to_stage`` now, in the players' words; None if it may.

    A room may go as far as the facilitator's stage and no further: before the start
    that is the briefing; opening a meeting waits until the facilitator opens it, and
    closing one (which lets time pass and opens its debrief) until the facilitator moves
    every room on to that debrief. Going back (undoing a close) is never held, nor is
    anything in a session that is no room (``control`` None)."""
    from simulator.formats.routine import Stage

    if control is None:
        return None
    if control.state == "closed":
        return CLOSED_TEXT
    if control.state == "paused":
        return f"{PAUSED_TEXT}: the room goes on when the workshop resumes."
    stages = stage_order(scenario)
    if to_stage not in stages or stages.index(to_stage) <= _stage_index(stages, control.stage):
        return None
    target = Stage.parse(scenario.calendar, to_stage)
    if target.kind == "meeting":
        opened = stage_name(scenario, to_stage)
        if control.state == "waiting":
            return (f"The workshop has not started yet. Read your briefing and look at the "
                    f"dashboards meanwhile: the facilitator opens {opened} for every room "
                    "together.")
        return (f"The facilitator opens {opened} for every room together. Until then, read "
                "its briefing and look at the dashboards.")
    meetings = scenario.calendar.meetings
    closing = meetings[target.number - 1] if target.kind == "debrief" else meetings[-1]
    if target.kind == "debrief":
        upto = meetings[target.number].after_quarter
        label = next(q.label for q in scenario.calendar.quarters if q.id == upto)
        passes = f"lets time pass through {label} and opens its debrief"
    else:
        passes = "lets time pass to the end of the year and opens the final debrief"
    return (f"Closing {stage_name(scenario, closing.id)} {passes}: that waits until the "
            "facilitator moves every room on together. Keep working on the minutes "
            "meanwhile; nothing is lost.")


def moved_on(scenario: Any, control: RoomControl | None, room_stage: str) -> str | None:
    """What a room the facilitator has moved beyond is told to do next; None if it is not
    behind (or is no room). The room's work is never closed or thrown away for it."""
    from simulator.formats.routine import Stage

    if control is None or control.state not in ("running", "paused"):
        return None
    stages = stage_order(scenario)
    if _stage_index(stages, control.stage) <= _stage_index(stages, room_stage):
        return None
    here = Stage.parse(scenario.calendar, room_stage)
    meetings = scenario.calendar.meetings
    if here.kind == "briefing":
        todo = f"go to {stage_name(scenario, meetings[0].id)} (F4) once you have read your briefing"
    elif here.kind == "meeting":
        todo = (f"finish {stage_name(scenario, str(here.meeting))} and close it (F10) when "
                "your minutes are ready")
    elif here.kind == "debrief":
        todo = (f"answer the poll, then go on to "
                f"{stage_name(scenario, meetings[here.number].id)}")
    else:
        return None
    return (f"The facilitator has moved on to {_stage_words(scenario, str(control.stage))}: "
            f"{todo}.")
