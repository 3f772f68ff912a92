"""The pmsim meeting room: ``PmsimApp`` and ``launch`` (called by ``pmsim`` / ``pmsim play``).

Only Textual is imported before the first screen paints; the engine (numpy,
pydantic) is imported in workers. Every screen of a session is drawn from a
:class:`~simulator.session.client.Room`, whose state is the replay of the session's events.

A session that is a workshop's room also follows the facilitator
(:class:`~simulator.workshop.WorkshopFollower`: a thread blocked in ``Store.wait`` on the
workshop's log, or on SQLite asked on the room's own timer): the header shows the
workshop's stage and state; a pause lays
:class:`~tui.screens.workshop_state.PausedScreen` over every screen until the resume; a
move past the facilitator's stage (opening or closing a meeting, going on to the next)
waits and says why; a room the facilitator moves beyond is told what to do next; a close
makes the room read-only. A session that is no room has none of this.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, LoadingIndicator, Static

from simulator.formats.routine import short_title
from simulator.session.home import Home, open_store, store_url
from tui import messages
from tui.commands import ScreenActions
from tui.screens.session_screen import SessionScreen
from tui.screens.unsaved import save
from tui.served import ServedApp

if TYPE_CHECKING:
    from simulator.counterpart.solo import Solo
    from simulator.session.client import Room
    from simulator.session.store import Event, Store
    from simulator.session.summary import ClosingSummary
    from simulator.workshop import RoomControl, WorkshopFollower
    from tui.screens.dialogs import PassingScreen

SESSION_SCREENS = ("briefing", "dashboard", "meeting", "changes", "debrief", "selfassess")
WRITE_WAIT_S = 3.0
"""How long a write from the meeting room waits for another process's before the player is
told it was not saved (and offered Retry). Writes run on the UI thread, so this is how
long the screen can stand still; another terminal's writes take milliseconds."""
SCREEN_WORDS = {"briefing": "the briefing", "dashboard": "the dashboard",
                "meeting": "the meeting room", "changes": "what changed",
                "debrief": "the debrief", "selfassess": "the self-assessment"}
"""The session's screens as a notice names them."""


class OpeningScreen(Screen):
    """Shown while a scenario is validated and the first quarters are simulated."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="opening"):
            yield Static(self.what, id="opening-text")
            yield LoadingIndicator()
        yield Footer()


class PmsimApp(ServedApp):
    """Two leads, a district's data, and the meetings between them."""

    CSS_PATH = "pmsim.tcss"
    TITLE = "pmsim"
    COMMANDS: ClassVar = App.COMMANDS | {ScreenActions}
    workshop_label: reactive[str] = reactive("")
    """The workshop's stage and state, on the right of every header ("" for no room)."""
    BINDINGS: ClassVar = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "goto('briefing')", "Briefing", id="app.briefing"),
        Binding("f3", "goto('dashboard')", "Dashboard", id="app.dashboard"),
        Binding("f4", "goto('meeting')", "Meeting", id="app.meeting"),
        Binding("f5", "goto('debrief')", "Debrief", id="app.debrief",
                tooltip="The debrief of the last meeting closed: the poll, then the ratings"),
        Binding("f6", "switch_speaker", "Speaker", id="app.speaker",
                tooltip="At a shared terminal: who is speaking (and recorded) now"),
        Binding("f8", "toggle_theme", "Theme", id="app.theme"),
        Binding("ctrl+g", "primer", "Primer", id="app.primer",
                tooltip="The Performance Management Framework: what the debrief rates"),
    ]

    def __init__(
        self,
        scenario: str | None = None,
        seed: int | None = None,
        session: str | None = None,
        role: str | None = None,
        home: Path | str | None = None,
        store: str | None = None,
        *,
        solo: str | None = None,
        persona: str | None = None,
        pace: float = 0.2,
        poll_interval: float = 0.5,
    ) -> None:
        super().__init__()
        self.start_solo = solo
        """Practise alone in this role (a new session), a persona playing the other."""
        self.start_persona = persona
        self.solo: Solo | None = None
        """The counterpart, in a solo session."""
        self.coaching = False
        """Solo practice: hints of what a skilled lead would look at or ask next."""
        self.start_scenario = scenario
        self.start_seed = seed if seed is not None else 1
        self.start_session = session
        self.role = role or "both"
        self.home = Home.locate(home)
        """Where reports and caches go (and sessions, unless ``store_url`` says otherwise)."""
        self.store_url = store_url(store)
        """The store's URL (``--store`` / ``$PMSIM_STORE``); None: the home's sessions file."""
        self.pace = pace
        """Seconds per simulated quarter while time passes (0 in tests)."""
        self.poll_interval = poll_interval
        self.report_replications = 200
        """Replays of the year behind a debrief's outcomes (tests use fewer)."""
        self.room: Room | None = None
        self.session_label = ""
        """Shown in the header of a session's screens (who joins needs the id)."""
        self.shown_stage: str | None = None
        self._poll_timer: Timer | None = None
        self._poll_failing = False
        """The last poll could not read the store (told once, until it reads again)."""
        self._simulating = False
        self._direct = bool(scenario or session)
        self.workshop: RoomControl | None = None
        """What the facilitator has set, when the session is a workshop's room (else None)."""
        self._follower: WorkshopFollower | None = None
        self._follow_failing = False
        self._after_pause: list[str] = []
        """What a pause held back, done on the resume: "simulate", or a screen to show."""
        self._closed_told = False

    def open_store(self) -> Store:
        """The sessions' store, for a screen that lists or reads them (close it after): opened
        read-only, so it takes no lock and works on a read-only home."""
        return open_store(self.store_url, self.home, readonly=True)

    # ------------------------------------------------------------------ start

    def on_mount(self) -> None:
        if self._direct:
            self._open_session(messages.OpenSession(
                self.start_scenario, self.start_seed, self.start_session,
                solo=self.start_solo, persona=self.start_persona))
        else:
            from tui.screens.home import HomeScreen

            self.push_screen(HomeScreen())

    @on(messages.OpenSession)
    def _open_session(self, message: messages.OpenSession) -> None:
        what = (f"Opening session {message.session}…" if message.session
                else f"Opening {message.scenario}…")
        self.push_screen(OpeningScreen(what))
        self._open_room(message.scenario, message.seed, message.session, message.participant,
                        message.solo, message.persona)

    @work(thread=True, exclusive=True, group="open")
    def _open_room(self, scenario: str | None, seed: int, session: str | None,
                   participant: str = "", solo_role: str | None = None,
                   persona: str | None = None) -> None:
        from simulator.formats.loading import ScenarioError, ScenarioNotFound
        from simulator.formats.persona import PersonaError
        from simulator.session.client import Room
        from simulator.session.store import StoreError

        # The session's screens (and plotext) are imported here, off the UI thread.
        from tui.screens import briefing, changes, dashboard, debrief, meeting  # noqa: F401

        try:
            if session:
                room = Room.resume(self.home, session, self.role, store_url=self.store_url,
                                   scenario=scenario,  # given: the file moved
                                   wait=WRITE_WAIT_S)
            else:
                solo = None
                if solo_role is not None:
                    from simulator.counterpart.solo import choose_persona
                    from simulator.formats.loading import load_scenario

                    found = load_scenario(scenario or "hudson", (self.home.scenarios,))
                    chosen = choose_persona(solo_role, persona, found.scenario)
                    solo = {"role": solo_role, "persona": persona or chosen.id}
                room = Room.new(self.home, scenario or "hudson", seed, self.role,
                                participant=participant, store_url=self.store_url,
                                wait=WRITE_WAIT_S, solo=solo)
            room.simulate(room.plan())
            counterpart = self._counterpart(room)
            follower = self._workshop_follower(room)
        except ScenarioError as err:
            self.call_from_thread(self._open_failed, "invalid scenario:\n" +
                                  "\n".join(err.lines()))
            return
        except PersonaError as err:
            self.call_from_thread(self._open_failed, "invalid persona:\n" +
                                  "\n".join(err.lines()))
            return
        except (ScenarioNotFound, StoreError, OSError, ValueError) as err:
            self.call_from_thread(self._open_failed, str(err))
            return
        self.solo = counterpart
        self.call_from_thread(self._room_ready, room, follower)

    def _workshop_follower(self, room: Room) -> WorkshopFollower | None:
        """A room's follower of its workshop, its log read once (None for no room's session).
        A workshop log that can't be read is said, and the room plays without it."""
        from simulator.workshop import WorkshopFollower

        workshop = room.state.extra.get("workshop")
        if not isinstance(workshop, str):
            return None
        follower = WorkshopFollower(
            room.store, workshop,
            on_change=lambda control: self.call_from_thread(self._workshop_changed, control),
            on_error=lambda err: self.call_from_thread(self._workshop_unread, err))
        try:
            follower.read()
        except Exception as err:  # the workshop's log is another store's, or gone
            self.call_from_thread(self.notify, f"This room's workshop can't be followed: {err}",
                                  severity="warning", timeout=10, markup=False)
            return None
        return follower

    @staticmethod
    def _counterpart(room: Room) -> Solo | None:
        """The persona of a solo session, loaded (its errors are the opening's)."""
        from simulator.counterpart.solo import Solo

        return Solo.of(room)

    def _open_failed(self, message: str) -> None:
        if self._direct and self.room is None:
            self.exit(1, return_code=1, message=f"pmsim: {message}")
            return
        self.pop_screen()
        self.notify(message, severity="error", timeout=8)

    def _room_ready(self, room: Room, follower: WorkshopFollower | None = None) -> None:
        from tui.screens.briefing import BriefingScreen
        from tui.screens.changes import ChangesScreen
        from tui.screens.dashboard import DashboardScreen
        from tui.screens.debrief import DebriefScreen
        from tui.screens.meeting import MeetingScreen
        from tui.screens.selfassess import SelfAssessScreen

        self.room = room
        room.listener = self._on_events
        for name, cls in (("briefing", BriefingScreen), ("dashboard", DashboardScreen),
                          ("meeting", MeetingScreen), ("changes", ChangesScreen),
                          ("debrief", DebriefScreen), ("selfassess", SelfAssessScreen)):
            self.install_screen(cls(), name)
        self._label_screens()
        if room.read_only:
            self.notify("The sessions file is read-only here: you can look around, but "
                        "nothing you do in this session can be saved.", severity="warning",
                        timeout=10)
        if room.scenario_changed:
            self.notify("The scenario file changed since this session began; figures may "
                        "differ from what was seen.", severity="warning", timeout=8)
        self.shown_stage = room.state.stage
        target = room.state.screen or room.stage.screen
        if target not in SESSION_SCREENS:
            target = "briefing"
        self.switch_screen(target)
        self.refresh_bindings()
        self._poll_timer = self.set_interval(self.poll_interval, self._poll)
        if follower is not None and follower.control is not None:
            self._follower = follower
            self._workshop_changed(follower.control)
            if not follower.polled:  # told of appends: its thread sleeps until there are some
                follower.start()

    def _label_screens(self) -> None:
        """The session, and who this terminal speaks for, in every session screen's header."""
        from simulator.formats.routine import role_label

        room = self.room
        if room is None:
            return
        self.session_label = f"{room.scenario.district.name} · session {room.session_id}"
        if room.role != "both":
            self.session_label += f" · {role_label(room.role)}"
        else:
            self.session_label += f" · speaking as {role_label(room.speaker)}"
        from simulator.workshop import control_label

        self.workshop_label = control_label(room.scenario, self.workshop, room.state.stage)
        for name in SESSION_SCREENS:
            self.get_screen(name).sub_title = self.session_label

    @on(messages.SwitchSpeaker)
    def action_switch_speaker(self) -> None:
        """At a shared terminal: the other role speaks; what follows is recorded as theirs."""
        from simulator.formats.routine import role_label

        room = self.room
        if room is None or room.role != "both":
            return
        speaker = room.switch_speaker()
        self._label_screens()
        for screen in {self.get_screen("meeting"), self.screen}:
            refresh = getattr(screen, "draw_speaker", None)
            if refresh is not None and screen.is_mounted:  # installed screens compose late
                refresh()
        self.notify(f"Speaking as the {role_label(speaker)} Lead", timeout=2)

    # ------------------------------------------------------------------ events

    def _poll(self) -> None:
        """Follow the other terminal; a store that can't be read is told once, and polled on."""
        from simulator.session.store import StoreError

        if self.room is None:
            return
        try:
            self.room.sync()
        except (StoreError, OSError) as err:
            if not self._poll_failing:
                self._poll_failing = True
                self.notify(f"Can't read the session's new events (still trying): {err}",
                            severity="error", timeout=8)
            return
        if self._poll_failing:
            self._poll_failing = False
            self.notify("The session's events can be read again.", timeout=3)
        self._poll_workshop()

    def _poll_workshop(self) -> None:
        """A store not told of appends (SQLite) is asked for the facilitator's controls on
        the room's own timer, not by a thread waking on its own (80 tabs of a workshop on
        one laptop: every wake-up counts)."""
        follower = self._follower
        if follower is None or not follower.polled or follower.stopped:
            return
        try:
            control = follower.poll()
        except Exception as err:  # any store's error, as the thread's: said once, read again
            self._workshop_unread(err)
            return
        self._workshop_unread(None)
        if control is not None:
            self._workshop_changed(control)

    def _on_events(self, events: list[Event]) -> None:
        room = self.room
        if room is None:
            return
        kinds = {e.kind for e in events}
        if self.workshop is not None and "stage.changed" in kinds:
            self._label_screens()  # the header says where the room is, when it is behind
        for e in events:
            if e.kind == "stage.changed" and e.seq not in room.written:
                stage = e.payload["stage"]
                if stage != self.shown_stage:
                    self.shown_stage = stage
                    self._switch(room.stage_of(stage).screen)
        # This terminal's own close waits for the pair to let time pass (it may be undone);
        # another terminal's close, or undo, is followed at once.
        others = {e.kind for e in events if e.seq not in room.written}
        if others & {"meeting.closed", "meeting.reopened"} and room.needs_simulation():
            self.run_simulation()
        screen = self.screen
        # A screen just switched to and not yet composed draws itself when it is mounted.
        if isinstance(screen, SessionScreen) and screen.is_mounted and kinds & screen.WATCH:
            screen.refresh_room()

    # ------------------------------------------------------------------ workshop

    def _workshop_changed(self, control: RoomControl) -> None:
        """The facilitator started, paused, advanced or closed the workshop (or the room
        just opened on it): the header, the pause, the read-only room, what to do next."""
        from simulator.workshop import moved_on

        room = self.room
        follower = self._follower
        if room is None or follower is None or control.workshop != follower.workshop_id:
            return  # a follower of a room this app has left
        before = self.workshop
        self.workshop = control
        self._label_screens()
        if control.state == "closed":
            follower.stop()
            room.frozen = "the facilitator closed the workshop: this room is read-only"
            self._lift_pause()
            self._settle_workshop()
            return
        if control.state == "paused":
            self._settle_workshop()
        else:
            self._lift_pause()
        if before is None or control.stage != before.stage:
            told = moved_on(room.scenario, control, room.state.stage)
            if told:
                self.notify(told, title="The workshop moves on", timeout=15, markup=False)
        self.refresh_bindings()

    def _settle_workshop(self) -> None:
        """Show the pause, or that the workshop closed, unless time is passing (then once it
        has: a dialog over the passing quarters would hold them)."""
        from tui.screens.workshop_state import PausedScreen, WorkshopClosedScreen

        control = self.workshop
        if control is None or self._simulating:
            return
        if control.state == "paused" and self._paused() is None:
            from simulator.workshop import stage_name

            where = (f"The workshop is at {stage_name(self.room.scenario, control.stage)}."
                     if self.room is not None and control.stage else "")
            self.push_screen(PausedScreen(where))
        elif control.state == "closed" and not self._closed_told:
            self._closed_told = True  # said once; the header keeps saying it
            self.push_screen(WorkshopClosedScreen())

    def _paused(self) -> Screen | None:
        """The pause laid over the room, if it is."""
        from tui.screens.workshop_state import PausedScreen

        return next((s for s in self.screen_stack
                     if isinstance(s, PausedScreen) and not s.lifted), None)

    def _lift_pause(self) -> None:
        """The facilitator resumed (or closed): the pause goes, and what it held back runs."""
        from tui.screens.workshop_state import PausedScreen

        paused = self._paused()
        if not isinstance(paused, PausedScreen):
            return
        if self.screen is paused:
            self.pop_screen()
        else:  # a dialog over it (none is let up while paused, but be sure): once on top
            paused.lifted = True
        held, self._after_pause = self._after_pause, []
        for what in held:
            if what == "simulate":
                self.run_simulation()
            else:
                self._switch(what)

    def _workshop_unread(self, err: Exception | None) -> None:
        if err is not None and not self._follow_failing:
            self._follow_failing = True
            self.notify(f"Can't read the facilitator's controls (still trying): {err}",
                        severity="error", timeout=8, markup=False)
        elif err is None and self._follow_failing:
            self._follow_failing = False
            self.notify("The facilitator's controls can be read again.", timeout=3)

    def _held(self, to_stage: str) -> bool:
        """Whether the facilitator holds the room back from ``to_stage`` (then it says why)."""
        from tui.screens.workshop_state import held, tell_held

        why = held(self, to_stage)
        if why:
            tell_held(self, why)
        return bool(why)

    def run_simulation(self) -> None:
        room = self.room
        if room is None or self._simulating:
            return
        if self._paused() is not None:
            if "simulate" not in self._after_pause:
                self._after_pause.append("simulate")
            return
        self._simulating = True
        plan = room.plan()
        sc = room.scenario
        done = room.sim.quarters_done if room.sim is not None else 0
        nxt = room.current_meeting
        until = sc.quarter_index(nxt.after_quarter) + 1 if nxt else len(sc.calendar.quarters)
        from tui.screens.dialogs import PassingScreen

        passing = PassingScreen(max(until - done, 1))
        self.push_screen(passing)
        self._simulate(plan, passing)

    @work(thread=True, group="simulate")
    def _simulate(self, plan: list[tuple[str, list[dict[str, Any]]]],
                  passing: PassingScreen) -> None:
        room = self.room
        assert room is not None

        def progress(label: str) -> None:
            self.call_from_thread(passing.step, label)
            if self.pace:
                time.sleep(self.pace)

        room.simulate(plan, progress)
        self.call_from_thread(self._simulated, passing)

    def _simulated(self, passing: PassingScreen) -> None:
        self._simulating = False
        if passing.is_current:
            passing.dismiss()
        if self.room is not None and self.room.needs_simulation():
            self.run_simulation()
            return
        self.call_after_refresh(self._refresh_current)
        self._settle_workshop()

    def _refresh_current(self) -> None:
        refresh = getattr(self.screen, "refresh_room", None)
        if refresh is not None:
            refresh()

    # ------------------------------------------------------------------ navigation

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("goto", "switch_speaker") and self._holding():
            return False
        if action in ("help", "command_palette") and self._paused() is not None:
            return False  # the pause stays on top, so the resume finds it there
        if action == "goto":
            if parameters == ("debrief",):  # between meetings, and not on the debrief itself
                room = self.room
                return (room is not None and bool(room.state.closed_meetings)
                        and room.stage.between_meetings
                        and getattr(self._base_screen(), "SCREEN_NAME", "") != "debrief")
            return self.room is not None
        if action == "switch_speaker":
            return self.room is not None and self.room.role == "both"
        return True

    def _holding(self) -> bool:
        """Whether time is passing, or a close waits to be let through or undone: the
        screens under it stay until it is done. (Read from the screen's ``HOLDS_ROOM``,
        not by importing those screens: the footer asks at the first paint, and the
        close's screens import the summary and the engine.)"""
        return bool(getattr(self.screen, "HOLDS_ROOM", False))

    def _base_screen(self) -> Screen:
        """The screen under any modal (the command palette, a dialog) on top of it."""
        return next((s for s in reversed(self.screen_stack) if not s.is_modal), self.screen)

    def _switch(self, name: str) -> None:
        if self._paused() is not None:  # shown on the resume
            self._after_pause = [w for w in self._after_pause if w == "simulate"] + [name]
            return
        if self._holding():
            return
        if self.screen is not self.get_screen(name):
            self.switch_screen(name)

    def action_goto(self, name: str) -> None:
        room = self.room
        if room is None:
            return
        if name == "meeting" and room.current_meeting is None:
            name = "changes"
        if name == "debrief" and not room.state.closed_meetings:
            return
        if room.stage.kind == "briefing" and name == "meeting":
            self.start_meeting()
            return
        # Only where this terminal looks: it switches even if that is not recorded (the
        # dialog says so); the stage is read when the write runs, so a retry can't undo
        # a stage the other terminal moved on meanwhile.
        self._switch(name)
        save(self, f"the move to {SCREEN_WORDS.get(name, name)} (where a resumed session opens)",
             lambda: room.set_stage(room.state.stage, name))

    @on(messages.GoTo)
    def _goto(self, message: messages.GoTo) -> None:
        self.action_goto(message.screen)

    @on(messages.StartMeeting)
    def start_meeting(self) -> None:
        room = self.room
        if room is None:
            return
        meeting = room.current_meeting
        if meeting is None:
            self.action_goto("changes")
            return
        if self._held(meeting.id):
            return

        def started() -> None:
            self.shown_stage = meeting.id
            self._switch("meeting")

        # A stage change: the meeting opens on screen only once its start is saved.
        save(self, f"the start of {short_title(meeting.title)}",
             lambda: room.set_stage(meeting.id, "meeting"), started)

    @on(messages.CloseMeeting)
    def _close_meeting(self, message: messages.CloseMeeting) -> None:
        from simulator.formats.routine import stage_after_closing
        from simulator.session.store import NotSaved

        room = self.room
        if room is None:
            return
        summary = message.summary
        stage = stage_after_closing(room.scenario.calendar, summary.meeting)
        title = summary.title
        if self._held(stage.text):  # the facilitator paused or closed since the dialog
            return

        def close() -> None:
            # The undo dialog goes up first, so the meeting stays on screen beneath it until
            # time passes; if the store refuses, the meeting stays open, as in the store.
            self._hold_close(summary)
            try:
                room.close_meeting(summary.meeting)
            except NotSaved:
                self.pop_screen()
                raise

        def closed() -> None:
            self.shown_stage = stage.text
            where = SCREEN_WORDS.get(stage.screen, stage.screen)
            save(self, f"the move to {where} after closing {title}",
                 lambda: room.set_stage(stage.text, stage.screen))

        save(self, f"the closing of {title}", close, closed)

    def _hold_close(self, summary: ClosingSummary) -> None:
        """Hold the quarters back until the pair lets time pass: until then the close can
        be undone (:class:`~tui.screens.closing.ClosedScreen`)."""
        from tui.screens.closing import ClosedScreen

        def chosen(undo: bool | None) -> None:
            if undo:
                self._reopen(summary)
            else:
                self._let_time_pass()

        self.push_screen(ClosedScreen(summary), chosen)

    def _let_time_pass(self) -> None:
        room = self.room
        if room is None:
            return
        self._switch(room.stage.screen)
        if room.needs_simulation():
            self.run_simulation()

    def _reopen(self, summary: ClosingSummary) -> None:
        """Undo the close: the meeting is open again, with its records as they were."""
        from simulator.session.store import NotSaved

        room = self.room
        if room is None:
            return
        try:
            room.reopen_meeting(summary.meeting)
        except NotSaved as err:  # offered again: the quarters stay held back
            self.notify(f"Not saved: {err.what} ({err.why}). The meeting is still closed.",
                        severity="error", timeout=8)
            self._hold_close(summary)
            return
        except ValueError as err:  # the other terminal began the debrief meanwhile
            self.notify(f"{err}; time passes now.", severity="warning", timeout=8)
            self._let_time_pass()
            return
        self.shown_stage = room.state.stage
        self._switch("meeting")
        self._refresh_current()
        self.notify("The meeting is open again.", timeout=3)

    @on(messages.ContinueToMeeting)
    def _continue_to_meeting(self) -> None:
        room = self.room
        if room is None or room.current_meeting is None:
            return
        stage = room.current_meeting.id
        if self._held(stage):
            return

        def moved_on() -> None:
            self.shown_stage = stage
            self._switch("briefing")

        save(self, "the move on to the next meeting's briefing",
             lambda: room.set_stage(stage, "briefing"), moved_on)

    @on(messages.GoHome)
    def _go_home(self) -> None:
        from tui.screens.home import HomeScreen

        if self._poll_timer is not None:
            self._poll_timer.stop()
        self._stop_following()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(HomeScreen())
        for name in SESSION_SCREENS:
            self.uninstall_screen(name)
        if self.room is not None:
            self.room.close()
        self.room = None
        self.session_label = ""
        self.workshop_label = ""
        self._direct = False
        self.refresh_bindings()

    def action_help(self) -> None:
        from tui.screens.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_primer(self) -> None:
        from tui.screens.primer import PrimerScreen

        if not isinstance(self.screen, PrimerScreen):
            self.push_screen(PrimerScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def _stop_following(self) -> None:
        if self._follower is not None:
            self._follower.stop()
        self._follower = None
        self.workshop = None
        self._after_pause = []
        self._closed_told = False

    def on_unmount(self) -> None:
        self._stop_following()
        if self.room is not None:
            self.room.close()


def launch(
    scenario: str | None = None,
    seed: int | None = None,
    session: str | None = None,
    role: str | None = None,
    home: Path | str | None = None,
    store: str | None = None,
    solo: str | None = None,
    persona: str | None = None,
) -> int:
    """Run the TUI; the exit status for ``pmsim``."""
    app = PmsimApp(scenario=scenario, seed=seed, session=session, role=role, home=home,
                   store=store, solo=solo, persona=persona)
    app.run()
    return app.return_code or 0
