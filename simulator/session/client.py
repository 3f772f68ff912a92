"""The meeting room's model: one session, its events, its replayed simulation.

This is the TUI's adapter to the engine. It imports no Textual, so tests can
drive it directly. Every change a player makes is an event appended (and
committed) to the store first; the room's state is only ever the fold of the
events read back from the store, so two terminals on one session converge.

The simulation is rebuilt from the session alone: ``Simulation(scenario, seed)``
run to the first meeting, then, for each closed meeting in order, its recorded
decisions applied and the quarters up to the next meeting simulated.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.engine.playthrough import Plan
from simulator.formats.routine import Stage
from simulator.session.home import Home, open_store
from simulator.session.sqlite import BUSY_TIMEOUT_S
from simulator.session.state import (
    Record,
    SessionState,
    append_event,
    append_events,
    check_scenario,
    plan_of,
    replay,
)
from simulator.session.store import Event, NotSaved, Store, StoreError, os_refusal
from simulator.session.summary import ClosingSummary, closing_summary

if TYPE_CHECKING:
    from simulator.engine.simulation import Simulation
    from simulator.formats.loading import LoadedScenario
    from simulator.formats.scenario import Meeting, Scenario

WHAT = {
    "stage.changed": "where the session is",
    "view.opened": "the view you opened",
    "record.added": "the record",
    "record.removed": "the removal of the record",
    "meeting.closed": "the closing of the meeting",
    "poll.answered": "the poll answers",
    "takehome.answered": "the next steps",
    "selfassess.rated": "your State's rating",
    "note.added": "the note",
    "solo.intent": "what you mean to achieve",
    "solo.turn": "what you said and the answer",
}
"""What each kind of event saves, in the player's words (for a write the store refused)."""


@dataclass
class Room:
    """A session being played at this terminal, in one role (or both)."""

    store: Store
    home: Home
    """Where this terminal keeps reports and caches (the store may be elsewhere)."""
    loaded: LoadedScenario
    state: SessionState
    role: str = "both"
    sim: Simulation | None = None
    simulated_meetings: tuple[str, ...] = field(default=())
    """The closed meetings whose decisions ``sim`` has applied, in order."""
    scenario_changed: bool = False
    """The scenario file differs from the one the session was started on."""
    listener: Callable[[list[Event]], None] | None = None
    """Told of every batch of new events folded in (the UI redraws from it)."""
    written: set[int] = field(default_factory=set)
    """Seqs of the events this terminal appended (others' events are what it follows)."""
    speaker: str = "state"
    """At a shared terminal (role "both"): the role speaking now, whose events these are."""
    frozen: str | None = None
    """Why nothing more is saved (the facilitator closed the room's workshop), or None."""

    # ------------------------------------------------------------------ opening

    @classmethod
    def new(cls, home: Home, scenario: str, seed: int, role: str = "both",
            participant: str = "", store_url: str | None = None,
            wait: float = BUSY_TIMEOUT_S, solo: dict[str, str] | None = None) -> Room:
        """Create a session on a scenario (built-in id, own scenario's id or path) and open it.

        ``wait`` is how long a write waits for another process's (unless the store URL
        says): a terminal waits less than a script, since its player is looking at it.

        ``participant`` (who plays, e.g. "Ana & Ben") goes into the session.created
        payload and the session's title, so attempts can be followed across sessions.
        The session is saved in the store at ``store_url``, else in ``home``.
        ``solo`` (``{"role": …, "persona": …}``) makes it solo practice: the player plays
        ``role`` (the room's too) and the persona the other, for the whole session.
        """
        from simulator.formats.loading import load_scenario, scenario_ref

        loaded = load_scenario(scenario, (home.scenarios,))
        ref = scenario_ref(loaded)  # an own scenario by its absolute path, so it resumes
        title = f"{loaded.scenario.title} · seed {seed}"
        participant = " ".join(participant.split())
        if participant:
            title += f" · {participant}"
        payload: dict[str, Any] = {"participant": participant, "role": role} if participant else {}
        if solo is not None:
            role = solo["role"]
            payload["solo"] = dict(solo)
            title += f" · solo with {solo['persona']}"
        store = open_store(store_url, home, timeout=wait)
        try:
            info = store.create_session(ref, loaded.sha256, seed, title,
                                        payload=payload or None)
            state = replay(store.events(info.id))
        except BaseException:
            store.close()
            raise
        return cls(store, home, loaded, state, role)

    @classmethod
    def resume(cls, home: Home, session_id: str, role: str = "both",
               store_url: str | None = None, scenario: str | Path | None = None,
               wait: float = BUSY_TIMEOUT_S) -> Room:
        """Open a saved session, on ``scenario`` if given (the file moved), else on the one
        it names.

        Raises UnknownSessionError for an unknown id, DamagedSessionError for a log
        pmsim didn't write, ScenarioGone for a file no longer there, and
        ScenarioMismatchError when the scenario lacks a strategy or meeting the session
        used; a changed file only sets ``scenario_changed``.
        """
        from simulator.formats.loading import load_played, scenario_name

        store = open_store(store_url, home, timeout=wait)
        try:
            state = replay(store.events(session_id))
            solo = state.extra.get("solo")
            if isinstance(solo, dict) and solo.get("role") in ("state", "district"):
                role = solo["role"]  # solo practice: the player's role, on every terminal
            loaded = load_played(state.scenario, scenario)
            check_scenario(state, loaded.scenario, scenario_name(loaded))
        except BaseException:
            store.close()
            raise
        return cls(store, home, loaded, state, role,
                   scenario_changed=loaded.sha256 != state.scenario_sha256)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ reading

    @property
    def scenario(self) -> Scenario:
        return self.loaded.scenario

    @property
    def session_id(self) -> str:
        return self.state.session_id

    @property
    def solo(self) -> dict[str, str] | None:
        """Solo practice: ``{"role": the player's, "persona": the counterpart's}``, or None
        for a session two people play."""
        solo = self.state.extra.get("solo")
        if isinstance(solo, dict) and isinstance(solo.get("role"), str) and isinstance(
                solo.get("persona"), str):
            return {"role": solo["role"], "persona": solo["persona"]}
        return None

    @property
    def event_role(self) -> str:
        """The role events from this terminal are recorded as: at a shared terminal, the
        speaker ("state" or "district"), never "both"."""
        return self.speaker if self.role == "both" else self.role

    def switch_speaker(self) -> str:
        """At a shared terminal, let the other role speak; returns who speaks now."""
        if self.role == "both":
            self.speaker = "district" if self.speaker == "state" else "state"
        return self.event_role

    def meeting(self, meeting_id: str) -> Meeting:
        return next(m for m in self.scenario.calendar.meetings if m.id == meeting_id)

    @property
    def current_meeting(self) -> Meeting | None:
        """The first meeting not yet closed (None once every meeting is closed)."""
        closed = set(self.state.closed_meetings)
        return next((m for m in self.scenario.calendar.meetings if m.id not in closed), None)

    def previous_meeting(self, meeting_id: str) -> Meeting | None:
        meetings = self.scenario.calendar.meetings
        i = next(i for i, m in enumerate(meetings) if m.id == meeting_id)
        return meetings[i - 1] if i else None

    def records(self, meeting: str | None = None, kinds: tuple[str, ...] = ()) -> list[
            tuple[str, Record]]:
        """Records in the order they were added, optionally of one meeting and some kinds."""
        out = [
            (rid, r)
            for rid, r in self.state.records.items()
            if (meeting is None or r.meeting == meeting) and (not kinds or r.kind in kinds)
        ]
        return sorted(out, key=lambda item: item[1].seq)

    def views_opened(self) -> list[str]:
        """Views opened in this session, each once, most recent first."""
        seen: dict[str, None] = {}
        for v in reversed(self.state.views_opened):
            seen.setdefault(v.view, None)
        return list(seen)

    # ------------------------------------------------------------------ writing

    @property
    def read_only(self) -> bool:
        """The store can't be written from here: the room can be looked at, not played."""
        return self.store.read_only or self.frozen is not None

    def sync(self) -> list[Event]:
        """Read and fold every event after the last one applied; returns them."""
        new = self.store.events(self.session_id, after=self.state.last_seq)
        for event in new:
            self.state.apply(event)
        if new and self.listener is not None:
            self.listener(new)
        return new

    def commit(self, what: str, write: Callable[[], list[Event]]) -> list[Event]:
        """The one way a change reaches the store: ``write`` appends, then everything new is
        folded in. A store that refuses (busy, full, read-only) raises NotSaved naming
        ``what``; nothing of it was saved and the room's state is unchanged."""
        if self.frozen is not None:
            raise NotSaved(what, self.frozen)
        try:
            events = write()
        except NotSaved:
            raise
        except StoreError as err:
            raise NotSaved(what, str(err)) from None
        except OSError as err:
            raise NotSaved(what, os_refusal(err, "the sessions file")) from None
        self.written.update(e.seq for e in events)
        try:
            self.sync()
        except (StoreError, OSError):
            # Saved, but not read back: fold what was written if nothing came between
            # (the poll reads the rest once the store answers again).
            if events and events[0].seq == self.state.last_seq + 1:
                for event in events:
                    self.state.apply(event)
                if self.listener is not None:
                    self.listener(events)
        return events

    def append(self, kind: str, payload: dict[str, Any], what: str | None = None) -> Event:
        """Validate, append and commit one event, then fold everything new (NotSaved if the
        store refuses; ``what`` names the change for the player, else its kind does)."""
        [event] = self.commit(
            what or WHAT.get(kind, kind),
            lambda: [append_event(self.store, self.session_id, kind, self.event_role, payload)],
        )
        return event

    def add_record(self, meeting: str, kind: str, fields: dict[str, Any]) -> str:
        record_id = f"{kind}-{secrets.token_hex(4)}"
        self.append(
            "record.added",
            {"meeting": meeting, "record_id": record_id, "kind": kind, "fields": fields},
            what=f"the {kind} record",
        )
        return record_id

    def remove_record(self, record_id: str) -> None:
        """Take a record out of the minutes; a decision's minute withdraws its decision."""
        self.append("record.removed", {"record_id": record_id})

    def removal_problem(self, record_id: str) -> str | None:
        """Why removing ``record_id`` would not do what the minutes show, or None."""
        record = self.state.records.get(record_id)
        if record is None:
            return "that record is no longer in the minutes"
        decided = any(d.record_id == record_id for d in self.state.made.get(record.meeting, []))
        if decided and record.meeting in self.state.closed_meetings:
            return ("its meeting is closed and the quarters after it ran with the decision: "
                    "stop or adjust the strategy at the next meeting instead")
        return None

    def make_decision(
        self, meeting: str, strategy: str, action: str, fields: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> str:
        """A decision is both a decision.made and a record for the meeting's minutes.

        The two are saved in one transaction, so no decision is ever without its minute,
        and the decision names its minute, so removing the minute withdraws it.
        """
        record_id = f"decision-{secrets.token_hex(4)}"
        decided = {"meeting": meeting, "strategy": strategy, "action": action,
                   "options": options or {}, "record_id": record_id}
        minute = {"meeting": meeting, "record_id": record_id, "kind": "decision",
                  "fields": {"strategy": strategy, "action": action, **fields}}
        role = self.event_role
        self.commit(f"the decision on {strategy}", lambda: append_events(
            self.store, self.session_id,
            [("decision.made", role, decided), ("record.added", role, minute)]))
        return record_id

    def append_as(self, what: str, events: list[tuple[str, str, dict[str, Any]]]) -> list[Event]:
        """Validate and append ``(kind, role, payload)`` events as one transaction (a solo
        turn and the counterpart's own events: its role, not this terminal's), then fold."""
        return self.commit(what, lambda: append_events(self.store, self.session_id, events))

    def open_view(self, view: str, quarter: str | None, filters: dict[str, str] | None = None
                  ) -> None:
        if self.frozen is not None:
            return  # looking around a frozen room is not recorded, nor refused
        self.append("view.opened", {"view": view, "quarter": quarter, "filters": filters or {}})

    @property
    def stage(self) -> Stage:
        """Where the session is, read against this scenario's calendar."""
        return self.stage_of(self.state.stage)

    def stage_of(self, text: str) -> Stage:
        """The stage a stored ``stage.changed`` text names in this scenario."""
        return Stage.parse(self.scenario.calendar, text)

    def set_stage(self, stage: str, screen: str | None) -> None:
        """Record where the session is, unless it is already there (or the room is frozen)."""
        if self.frozen is None and (self.state.stage, self.state.screen) != (stage, screen):
            self.append("stage.changed", {"stage": stage, "screen": screen})

    def close_meeting(self, meeting: str) -> None:
        if meeting not in self.state.closed_meetings:
            self.append("meeting.closed", {"meeting": meeting})

    def closing_summary(self, meeting: str) -> ClosingSummary:
        """What closing ``meeting`` commits and what its minutes lack (the close dialog)."""
        return closing_summary(self.scenario, self.state, self.sim, meeting)

    def reopen_meeting(self, meeting: str) -> None:
        """Undo the last close before its debrief begins: the meeting is open again and
        the session back in it, in one transaction. ValueError says why it cannot be."""
        problem = self.state.reopen_problem(meeting)
        if problem:
            raise ValueError(f"cannot reopen the meeting: {problem}")
        role = self.event_role
        back = Stage("meeting", meeting)
        self.commit("the reopening of the meeting", lambda: append_events(
            self.store, self.session_id, [
                ("meeting.reopened", role, {"meeting": meeting}),
                ("stage.changed", role, {"stage": back.text, "screen": back.screen}),
            ]))

    # ------------------------------------------------------------------ simulation

    def plan(self) -> Plan:
        """Closed meetings and their decisions, in order: what the simulation must replay."""
        return plan_of(self.state)

    def needs_simulation(self) -> bool:
        return self.sim is None or tuple(m for m, _ in self.plan()) != self.simulated_meetings

    def simulate(self, plan: Plan, progress: Callable[[str], None] | None = None) -> Simulation:
        """Bring ``sim`` in line with ``plan`` (run in a worker thread)."""
        from simulator.engine.playthrough import simulate

        self.sim, self.simulated_meetings = simulate(
            self.scenario, self.state.seed, plan, sim=self.sim, done=self.simulated_meetings,
            on_quarter=(lambda q: progress(q.label)) if progress else None,
        )
        return self.sim

