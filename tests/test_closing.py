"""Closing a meeting cannot happen by accident and can be undone until time passes.

Headless: the summary the close dialog shows, and the rules of reopening. With Pilot:
the Tab order, the dialog that stays by default, the close, and the undo.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_meetings import SIZE, events, fill, open_from_briefing, screen_name, until
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static

from simulator.session.client import Room
from simulator.session.home import Home
from simulator.session.state import plan_of, replay
from simulator.session.transcript import parse_transcript, transcript_from_session
from tui.app import PmsimApp

# --------------------------------------------------------------------------- the summary


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    """A Hudson session at Meeting #1, its first quarters simulated."""
    opened = Room.new(Home(tmp_path), "hudson", 1, "state")
    opened.simulate(opened.plan())
    yield opened
    opened.close()


def test_the_summary_says_what_will_run_and_what_is_missing(room: Room) -> None:
    room.make_decision("meeting-1", "structured-literacy", "adopt", {"owner": "Dana"})
    room.make_decision("meeting-1", "balanced-literacy", "stop", {"owner": "Dana"})
    room.add_record("meeting-1", "action", {"step": "Screen readers", "due": "end of Q3",
                                            "metric": "screened", "target": "100%"})
    summary = room.closing_summary("meeting-1")
    assert (summary.title, summary.then) == ("Meeting #1", "time passes until Meeting #2")
    [running] = summary.running
    assert (running.name, running.how) == ("Structured-literacy intervention block", "adopted")
    assert running.price.cost > 0 and running.price.staff_fte > 0
    assert summary.resources is not None and not summary.resources.over
    assert summary.resources.needed == running.price
    assert summary.missing == (
        "Nothing recorded under 1. Goal and targets",
        "Nothing recorded under 3. Performance",
        "Nothing recorded under 4. Implementation",
        "Nothing recorded under 5. Problem-solving",
        "Nothing recorded under 8. Stakeholders",
        "An action step without owner: 'Screen readers' (by end of Q3; screened: 100%)",
        "Stop Expand balanced literacy will not take effect: cannot stop 'balanced-literacy':"
        " it is not running",
    )


def test_the_summary_of_a_later_meeting_asks_for_each_follow_up(room: Room) -> None:
    first = room.add_record("meeting-1", "action", {"step": "Screen readers", "owner": "Dana",
                                                    "due": "end of Q3"})
    room.add_record("meeting-1", "action", {"step": "Train tutors", "owner": "Lee",
                                            "due": "end of Q3"})
    room.make_decision("meeting-1", "structured-literacy", "adopt", {"owner": "Dana"})
    room.close_meeting("meeting-1")
    room.simulate(room.plan())
    room.add_record("meeting-2", "followup", {"record_id": first, "step": "Screen readers",
                                              "status": "done"})
    summary = room.closing_summary("meeting-2")
    assert "No follow-up of 'Train tutors' (Meeting #1)" in summary.missing
    assert not any("Screen readers" in m for m in summary.missing)
    assert summary.then == "the rest of the year plays out"
    assert [(r.name, r.how) for r in summary.running] == [
        ("Structured-literacy intervention block", "running, no decision")]


def test_the_summary_flags_a_plan_over_budget(room: Room) -> None:
    for strategy in ("structured-literacy", "tutoring-reading", "tutoring-math",
                     "after-school-tutoring", "instructional-coaching", "extended-day"):
        room.make_decision("meeting-1", strategy, "adopt", {"owner": "Dana"})
    summary = room.closing_summary("meeting-1")
    assert summary.resources is not None and summary.resources.over
    assert any(m.startswith("The strategies in play need more than the district has")
               for m in summary.missing)


# --------------------------------------------------------------------------- reopening


def test_only_the_last_close_reopens_and_only_before_its_debrief(room: Room) -> None:
    assert room.state.reopen_problem("meeting-1") == "'meeting-1' is not closed"
    room.close_meeting("meeting-1")
    room.reopen_meeting("meeting-1")
    assert room.state.closed_meetings == []
    assert (room.state.stage, room.state.screen) == ("meeting-1", "meeting")
    assert room.stage.kind == "meeting"
    room.close_meeting("meeting-1")
    room.append("poll.answered", {"meeting": "meeting-1", "role": "state", "went_well": "a",
                                  "improve": "b"})
    with pytest.raises(ValueError, match="the debrief of 'meeting-1' has begun"):
        room.reopen_meeting("meeting-1")
    # A reopen the other terminal wrote anyway (a race) changes nothing, in every replay.
    room.append("meeting.reopened", {"meeting": "meeting-1"})
    assert room.state.closed_meetings == ["meeting-1"]
    assert replay(room.store.events(room.session_id)).closed_meetings == ["meeting-1"]


def test_a_meeting_whose_successor_has_begun_does_not_reopen(room: Room) -> None:
    room.close_meeting("meeting-1")
    room.add_record("meeting-2", "note", {"text": "begun"})
    assert room.state.reopen_problem("meeting-1") == "'meeting-2' has begun"
    room.close_meeting("meeting-2")
    assert room.state.reopen_problem("meeting-1") == (
        "only the last meeting closed ('meeting-2') can be reopened")


def test_a_reopened_meeting_takes_decisions_again_and_its_plan_follows(room: Room) -> None:
    room.make_decision("meeting-1", "structured-literacy", "adopt", {"owner": "Dana"})
    room.close_meeting("meeting-1")
    room.reopen_meeting("meeting-1")
    assert room.plan() == []
    minute = room.make_decision("meeting-1", "tutoring-reading", "adopt", {"owner": "Dana"})
    room.remove_record(minute)
    room.make_decision("meeting-1", "tutoring-math", "adopt", {"owner": "Dana"})
    room.close_meeting("meeting-1")
    assert [d["strategy"] for d in room.plan()[0][1]] == ["structured-literacy",
                                                          "tutoring-math"]


def test_a_transcript_carries_the_reopening(room: Room) -> None:
    room.make_decision("meeting-1", "structured-literacy", "adopt", {"owner": "Dana"})
    room.close_meeting("meeting-1")
    room.reopen_meeting("meeting-1")
    room.make_decision("meeting-1", "tutoring-math", "adopt", {"owner": "Dana"})
    transcript = transcript_from_session(room.store, room.session_id)
    assert "meeting.reopened" in [e.event for e in transcript.events]
    again = parse_transcript(transcript.to_yaml().encode(), scenario=room.scenario)
    assert again.to_yaml() == transcript.to_yaml()
    state = again.state()
    assert state.closed_meetings == [] and plan_of(state) == []
    assert state.decisions == room.state.decisions


# --------------------------------------------------------------------------- the TUI


async def _in_meeting(pilot: Pilot) -> PmsimApp:
    await open_from_briefing(pilot, "f4", "MeetingScreen")
    await pilot.pause()
    return pilot.app  # type: ignore[return-value]


def _closing_text(app: PmsimApp) -> str:
    return str(app.screen.query_one("#closing-text", Static).render())


def test_tab_from_the_agenda_reaches_the_work_before_close(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _in_meeting(pilot)
            meeting = app.screen
            meeting.query_one("#agenda").focus()
            await pilot.press("tab")
            step_pane = meeting.query_one("#step-pane")
            assert app.focused is not None
            assert step_pane in app.focused.ancestors_with_self
            chain = meeting.focus_chain
            assert chain[-1].id == "close-meeting"
            meeting.query_one("#agenda").focus()
            await pilot.press("shift+tab")  # back from the agenda: who speaks, then around
            assert app.focused is not None and app.focused.id == "speaker"
            await pilot.press("shift+tab")
            assert app.focused is not None and app.focused.id == "close-meeting"

    asyncio.run(run())


def test_the_close_dialog_stays_unless_close_is_chosen(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await _in_meeting(pilot)
            app.screen.show_step("decisions")
            await pilot.pause()
            await fill(pilot, "decision", strategy="structured-literacy", action="adopt",
                       owner="Dana")
            await pilot.press("f10")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            text = _closing_text(app)
            assert "Structured-literacy intervention block — adopted: $" in text
            assert "Nothing recorded under 1. Goal and targets" in text
            assert app.focused is not None and app.focused.id == "stay"
            await pilot.press("enter")  # Enter on Stay stays
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.press("f10")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            await pilot.press("escape")  # so does Escape
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.click("#close-meeting")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            await pilot.press("y")  # the old dialog's key closes nothing now
            await pilot.pause()
            assert screen_name(app) == "ClosingScreen"
            await pilot.press("escape")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            assert app.room.state.closed_meetings == []
            return app.room.session_id

    sid = asyncio.run(run())
    assert "meeting.closed" not in {e.kind for e in events(tmp_path, sid)}


def test_a_close_waits_for_time_to_pass_and_can_be_undone(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await _in_meeting(pilot)
            meeting = app.screen
            await fill(pilot, "target", metric="pct:reading:hudson-ms:el", target="25",
                       by="end of Q4")
            meeting.show_step("decisions")
            await pilot.pause()
            await fill(pilot, "decision", strategy="structured-literacy", action="adopt",
                       owner="Dana")
            before = sorted(app.room.state.records)
            await pilot.press("f10")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            await pilot.press("tab")
            assert app.focused is not None and app.focused.id == "close"
            await pilot.press("enter")  # Enter on Close closes
            await until(pilot, lambda: screen_name(app) == "ClosedScreen")
            assert app.room.state.closed_meetings == ["meeting-1"]
            await pilot.pause(0.2)
            assert app.room.sim.quarters_done == 2, "time passed before the pair let it"
            assert app.focused is not None and app.focused.id == "go-on"
            await pilot.press("f3", "f10")  # nothing moves under the dialog
            await pilot.pause()
            assert screen_name(app) == "ClosedScreen"
            assert "Meeting #1" in str(app.screen_stack[-2].query_one("#meeting-title",
                                                                       Static).render())

            await pilot.click("#undo")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            assert app.room.state.closed_meetings == []
            assert app.room.current_meeting.id == "meeting-1"
            assert sorted(app.room.state.records) == before
            assert "Meeting #1" in str(app.screen.query_one("#meeting-title", Static).render())
            assert app.screen.query_one("#minutes-decisions", DataTable).row_count == 1
            assert not app.screen.query_one("#close-meeting", Button).disabled

            # Closed again, and this time time passes.
            await pilot.press("f10")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            await pilot.click("#close")
            await until(pilot, lambda: screen_name(app) == "ClosedScreen")
            await pilot.press("enter")
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and app.room.sim.quarters_done == 3)
            assert set(app.room.sim.active) == {"structured-literacy"}
            return app.room.session_id

    sid = asyncio.run(run())
    log = events(tmp_path, sid)
    tail = [(e.kind, e.payload.get("meeting") or e.payload.get("stage")) for e in log
            if e.kind in ("meeting.closed", "meeting.reopened", "stage.changed")]
    assert tail[-6:] == [("meeting.closed", "meeting-1"), ("stage.changed", "debrief-1"),
                         ("meeting.reopened", "meeting-1"), ("stage.changed", "meeting-1"),
                         ("meeting.closed", "meeting-1"), ("stage.changed", "debrief-1")]


def test_another_terminal_follows_an_undone_close(tmp_path: Path) -> None:
    closer = Room.new(Home(tmp_path), "hudson", 1, role="state")
    sid = closer.session_id
    closer.set_stage("meeting-1", "meeting")
    closer.make_decision("meeting-1", "structured-literacy", "adopt", {"owner": "Dana"})
    follower = PmsimApp(session=sid, role="district", home=tmp_path, pace=0,
                        poll_interval=0.1)

    async def run() -> None:
        async with follower.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(follower) == "MeetingScreen")
            closer.close_meeting("meeting-1")
            closer.set_stage("debrief-1", "changes")
            await until(pilot, lambda: screen_name(follower) == "ChangesScreen"
                        and follower.room.sim.quarters_done == 3)
            closer.reopen_meeting("meeting-1")
            await until(pilot, lambda: screen_name(follower) == "MeetingScreen"
                        and follower.room.sim.quarters_done == 2
                        and not follower.room.needs_simulation())
            assert follower.room.current_meeting.id == "meeting-1"
            assert follower.app.screen.query_one("#minutes-decisions", DataTable).row_count == 1

    try:
        asyncio.run(run())
    finally:
        closer.close()


def test_an_undo_the_store_refuses_keeps_the_close_and_asks_again(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _in_meeting(pilot)
            await pilot.press("f10")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            await pilot.click("#close")
            await until(pilot, lambda: screen_name(app) == "ClosedScreen")
            raw = sqlite3.connect(app.home.store_file)
            raw.execute("CREATE TRIGGER refuse BEFORE INSERT ON events"
                        " WHEN NEW.kind = 'meeting.reopened'"
                        " BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
            raw.commit()
            await pilot.click("#undo")
            await until(pilot, lambda: screen_name(app) == "ClosedScreen"
                        and any("disk gone" in n.message for n in app._notifications))
            assert app.room.state.closed_meetings == ["meeting-1"]
            raw.execute("DROP TRIGGER refuse")
            raw.commit()
            raw.close()
            await pilot.click("#undo")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            assert app.room.state.closed_meetings == []

    asyncio.run(run())


def test_a_close_the_store_refuses_leaves_the_meeting_open(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _in_meeting(pilot)
            raw = sqlite3.connect(app.home.store_file)
            raw.execute("CREATE TRIGGER refuse BEFORE INSERT ON events"
                        " WHEN NEW.kind = 'meeting.closed'"
                        " BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
            raw.commit()
            raw.close()
            await pilot.press("f10")
            await until(pilot, lambda: screen_name(app) == "ClosingScreen")
            await pilot.click("#close")
            await until(pilot, lambda: screen_name(app) == "UnsavedScreen")
            assert "the closing of Meeting #1" in str(app.screen.query_one("#unsaved-text",
                                                                           Static).render())
            assert type(app.screen_stack[-2]).__name__ == "MeetingScreen"
            assert app.room.state.closed_meetings == []
            assert app.room.sim.quarters_done == 2

    asyncio.run(run())
