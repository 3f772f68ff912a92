"""A workshop's room follows the facilitator: start, pause, advance, close (issue 12).

The facilitator's controls are written with :func:`simulator.workshop.control`, as the
console writes them, into the store a room's app plays on; each test asserts that the
room shows them within about a second, and that a session that is no room is unaffected.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from test_tui_meetings import SIZE, events, screen_name, until
from textual.pilot import Pilot
from textual.widgets import Input

from simulator.session.home import Home, open_store
from simulator.workshop import control, create_workshop
from tui.app import PmsimApp
from tui.messages import ContinueToMeeting
from tui.widgets.header import WorkshopBadge

FOLLOW_POLLS = 3
"""A room shows a control by its follower's next poll or so (a poll's ``Store.wait``
may already be under way when the control is written): 0.25 s each on SQLite. Counted in
polls, not seconds, so a loaded machine's slowness is not mistaken for the follower's."""
SLOW_S = 10.0
"""The seconds a control may take to show even on a machine loaded many times over."""


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


def _workshop(home: Path, rooms: int = 1) -> tuple[str, str]:
    """A new workshop in ``home``: (its id, its first room's session)."""
    with open_store(None, Home(home)) as store:
        made = create_workshop(store, Home(home), "hudson", rooms, seed=3)
    return made.id, made.rooms[0][2]


def _control(home: Path, workshop: str, action: str, stage: str | None = None,
             app: PmsimApp | None = None) -> tuple[float, int]:
    """The facilitator's key, written from another connection: when it was written, and
    how many polls the room's follower had made by then."""
    polls = app._follower.waits if app is not None and app._follower is not None else 0
    with open_store(None, Home(home)) as store:
        control(store, workshop, action, stage)  # type: ignore[arg-type]
    return time.monotonic(), polls


async def _shown_within(pilot: Pilot, check, since: tuple[float, int], what: str) -> None:
    app = pilot.app
    await until(pilot, check, timeout=SLOW_S * 2)
    took = time.monotonic() - since[0]
    # How many polls the follower took to see the control; the room's drawing it after
    # that is bounded by the wall clock (a loaded machine's UI thread may lag its polls).
    polls = app._follower.told_at - since[1] if app._follower is not None else 0
    assert polls <= FOLLOW_POLLS, f"{what} was seen after {polls} polls of the workshop log"
    assert took < SLOW_S, f"{what} took {took:.2f} s to show"


def _header(app: PmsimApp) -> str:
    """The workshop's badge in the header of the screen under any dialog, as drawn."""
    badge = app._base_screen().query_one(WorkshopBadge)
    return str(badge.render()) if badge.has_class("-shown") else ""


def _notices(app: PmsimApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def test_a_room_waits_for_the_start_pauses_and_resumes_with_its_draft_kept(
        tmp_path: Path) -> None:
    asyncio.run(_pause_and_resume(tmp_path))


async def _pause_and_resume(tmp_path: Path) -> None:
    workshop, sid = _workshop(tmp_path)
    app = PmsimApp(session=sid, role="state", home=tmp_path, pace=0, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                    and app.workshop is not None)
        await until(pilot, lambda: "Workshop · waiting for the facilitator to start"
                    in _header(app))
        # On SQLite the room's own timer asks for the controls: no thread of the follower
        assert app._follower is not None and app._follower.polled
        assert app._follower._thread is None

        # Before the start, the briefing and the dashboards, but not the meeting.
        await pilot.press("f4")
        await until(pilot, lambda: any("has not started yet" in n for n in _notices(app)))
        assert screen_name(app) == "BriefingScreen"
        await pilot.press("f3")
        await until(pilot, lambda: screen_name(app) == "DashboardScreen")

        since = _control(tmp_path, workshop, "start", app=app)
        await _shown_within(pilot, lambda: "Briefing · running" in _header(app), since,
                            "the start")
        since = _control(tmp_path, workshop, "advance", app=app)
        await _shown_within(pilot, lambda: "Meeting #1 · running" in _header(app), since,
                            "the advance")
        await until(pilot, lambda: any("moved on to Meeting #1" in n and "(F4)" in n
                                       for n in _notices(app)))
        await pilot.press("f4")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        assert events(tmp_path, sid)[-1].payload == {"stage": "meeting-1", "screen": "meeting"}

        # A draft in a record form, then the pause: laid over it, taking every key.
        meeting = app.screen
        app.screen.show_step("stakeholders")
        await pilot.pause()
        who = meeting.query_one("#stakeholder").widget("who")
        assert isinstance(who, Input)
        who.value = "School board"
        since = _control(tmp_path, workshop, "pause", app=app)
        await _shown_within(pilot, lambda: screen_name(app) == "PausedScreen", since,
                            "the pause")
        await until(pilot, lambda: "Paused by the facilitator" in str(
            app.screen.query_one("#paused-title").render()))
        assert "Meeting #1 · paused" in _header(app)
        written = len(events(tmp_path, sid))
        await pilot.press("f3", "f10", "ctrl+p", "f1", "x", "enter")
        await pilot.pause(0.3)
        assert screen_name(app) == "PausedScreen"
        assert app.screen_stack[-2] is meeting
        assert len(events(tmp_path, sid)) == written

        # Start again resumes: the meeting as it was, the draft still in its field.
        since = _control(tmp_path, workshop, "start", app=app)
        await _shown_within(pilot, lambda: screen_name(app) == "MeetingScreen", since,
                            "the resume")
        assert app.screen is meeting and who.value == "School board"
        assert "Meeting #1 · running" in _header(app)


def test_closing_a_meeting_waits_for_the_facilitator_then_the_close_ends_it_read_only(
        tmp_path: Path) -> None:
    asyncio.run(_close_gate(tmp_path))


async def _close_gate(tmp_path: Path) -> None:
    workshop, sid = _workshop(tmp_path)
    _control(tmp_path, workshop, "advance", "meeting-1")
    app = PmsimApp(session=sid, role="district", home=tmp_path, pace=0, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                    and app.room.sim is not None and app.workshop is not None)
        await until(pilot, lambda: "Meeting #1 · running" in _header(app))
        await pilot.press("f4")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")

        # Closing Meeting #1 runs the simulation through Q3: held, and told why.
        await pilot.press("f10")
        await until(pilot, lambda: any("Closing Meeting #1 lets time pass through Q3" in n
                                       and "waits until the facilitator" in n
                                       for n in _notices(app)))
        assert screen_name(app) == "MeetingScreen"
        assert "meeting.closed" not in [e.kind for e in events(tmp_path, sid)]

        # Once the facilitator moves every room on to the debrief, the room is told, and
        # the close goes through (its dialog, then time passes).
        since = _control(tmp_path, workshop, "advance", app=app)
        await _shown_within(pilot, lambda: "Debrief #1 · running · you're at Meeting #1"
                            in _header(app), since, "the advance to the debrief")
        await until(pilot, lambda: any("moved on to the debrief of Meeting #1" in n
                                       and "(F10)" in n for n in _notices(app)))
        assert screen_name(app) == "MeetingScreen"  # never closed for the room
        await pilot.press("f10")
        await until(pilot, lambda: screen_name(app) == "ClosingScreen")
        await pilot.click("#close")
        await until(pilot, lambda: screen_name(app) == "ClosedScreen")
        await pilot.click("#go-on")
        await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                    and app.room.sim.quarters_done == 3, timeout=SLOW_S * 3)
        assert _header(app) == "Workshop · Debrief #1 · running"  # caught up

        # Going on to Meeting #2 waits for the facilitator too.
        app.post_message(ContinueToMeeting())
        await until(pilot, lambda: any("opens Meeting #2 for every room together" in n
                                       for n in _notices(app)))
        assert app.room.state.stage == "debrief-1"

        # The close: said once, and the room is read-only from then.
        since = _control(tmp_path, workshop, "close", app=app)
        await _shown_within(pilot, lambda: screen_name(app) == "WorkshopClosedScreen",
                            since, "the close")
        assert "Workshop closed · read-only" in _header(app)
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "ChangesScreen")
        written = len(events(tmp_path, sid))
        await pilot.press("f3")
        await until(pilot, lambda: screen_name(app) == "DashboardScreen")
        await pilot.press("g")
        await pilot.pause(0.3)
        assert screen_name(app) == "DashboardScreen"  # looking is neither refused nor saved
        assert len(events(tmp_path, sid)) == written
        assert app.room.read_only


def test_a_room_opened_on_a_paused_workshop_opens_paused(tmp_path: Path) -> None:
    asyncio.run(_opens_paused(tmp_path))


async def _opens_paused(tmp_path: Path) -> None:
    workshop, sid = _workshop(tmp_path, rooms=2)
    _control(tmp_path, workshop, "advance", "debrief-1")
    _control(tmp_path, workshop, "pause")
    app = PmsimApp(session=sid, role="state", home=tmp_path, pace=0, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "PausedScreen"
                    and "Debrief #1 · paused" in _header(app))
        await until(pilot, lambda: any("moved on to the debrief of Meeting #1" in n
                                       for n in _notices(app)))
        since = _control(tmp_path, workshop, "start", app=app)
        await _shown_within(pilot, lambda: screen_name(app) == "BriefingScreen", since,
                            "the resume")


def test_a_session_that_is_no_room_plays_as_before(tmp_path: Path) -> None:
    asyncio.run(_plain(tmp_path))


async def _plain(tmp_path: Path) -> None:
    workshop, _ = _workshop(tmp_path)
    _control(tmp_path, workshop, "pause")  # another workshop in the same store
    app = PmsimApp(scenario="hudson", seed=1, role="state", home=tmp_path, pace=0,
                   poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        # (the briefing switched to, and composed: its header's badge is there to read)
        await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                    and app.room.sim is not None
                    and bool(app._base_screen().query(WorkshopBadge)))
        assert app.workshop is None and app._follower is None
        assert _header(app) == "" and app.workshop_label == ""
        assert "Workshop" not in app.screen.sub_title
        await pilot.press("f4")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        await pilot.press("f10")
        await until(pilot, lambda: screen_name(app) == "ClosingScreen")


def test_the_partners_close_during_a_pause_lets_time_pass_on_the_resume(tmp_path: Path) -> None:
    asyncio.run(_partner_closes_while_paused(tmp_path))


async def _partner_closes_while_paused(tmp_path: Path) -> None:
    from simulator.session.client import Room

    workshop, sid = _workshop(tmp_path)
    _control(tmp_path, workshop, "advance", "debrief-1")
    partner = Room.resume(Home(tmp_path), sid, role="state")
    partner.set_stage("meeting-1", "meeting")
    app = PmsimApp(session=sid, role="district", home=tmp_path, pace=0, poll_interval=0.2)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "MeetingScreen"
                        and app.room.sim is not None and app.workshop is not None)
            since = _control(tmp_path, workshop, "pause", app=app)
            await _shown_within(pilot, lambda: screen_name(app) == "PausedScreen", since,
                                "the pause")
            # The State Lead's terminal closed the meeting just before its pause arrived.
            partner.close_meeting("meeting-1")
            partner.set_stage("debrief-1", "changes")
            await until(pilot, lambda: "meeting-1" in app.room.state.closed_meetings)
            await pilot.pause(0.5)
            assert screen_name(app) == "PausedScreen"  # time does not pass under the pause
            assert app.room.sim.quarters_done == 2
            _control(tmp_path, workshop, "start", app=app)
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and app.room.sim.quarters_done == 3, timeout=SLOW_S * 3)
    finally:
        partner.close()
