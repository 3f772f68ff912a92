"""What the meeting room's forms store, field by field, and stages read from the calendar."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_meetings import SIZE, close_meeting, events, fill, screen_name, until
from textual.widgets import Input, Select

from simulator.engine import dashboard as figures
from simulator.session.client import Room
from simulator.session.home import Home
from tui.app import PmsimApp
from tui.widgets.forms import RecordForm


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


def test_findings_and_a_targeted_decision_are_stored_with_every_field(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await pilot.press("f4")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.pause()
            meeting, room = app.screen, app.room
            meeting.show_step("performance")
            await pilot.pause()
            await fill(pilot, "perf", view="reading/hudson-ms/all",
                       statement="English learners lag in reading")
            meeting.show_step("implementation")
            await pilot.pause()
            await fill(pilot, "impl", view="reading/hudson-ms/all",
                       statement="Tutoring sessions are half attended")
            findings = [r.fields for _, r in room.records("meeting-1", ("finding",))]
            assert findings == [
                {"view": "reading/hudson-ms/all", "statement": "English learners lag in reading",
                 "about": "performance"},
                {"view": "reading/hudson-ms/all",
                 "statement": "Tutoring sessions are half attended", "about": "implementation"},
            ]
            # Each is listed at its own step of the agenda.
            assert meeting.query_one("#minutes-performance").row_count == 1
            assert meeting.query_one("#minutes-implementation").row_count == 1

            meeting.show_step("decisions")
            await pilot.pause()
            form = meeting.query_one("#decision", RecordForm)
            form.set_checked("grades", ["6", "7"])
            form.set_checked("subgroups", ["el"])
            form.widget("capacity").value = "30"
            await fill(pilot, "decision", strategy="structured-literacy", action="adopt",
                       owner="Dana", note="two interventionists")
            targeting = figures.Targeting((6, 7), ("el",), 30)
            cost, staff, served = figures.estimated_cost(room.sim, "structured-literacy",
                                                         targeting)
            made = [e.payload for e in events(tmp_path, room.session_id)
                    if e.kind == "decision.made"]
            options = {"grades": [6, 7], "subgroups": ["el"], "capacity": 30}
            [(minute, record)] = room.records("meeting-1", ("decision",))
            assert made == [{"meeting": "meeting-1", "strategy": "structured-literacy",
                             "action": "adopt", "options": options, "record_id": minute}]
            assert record.fields == {
                "strategy": "structured-literacy", "action": "adopt", "owner": "Dana",
                "note": "two interventionists", "cost": cost, "staff_fte": staff,
                "students": served, "serves": "grades 6, 7 · EL · up to 30", **options}
            assert form.widget("owner").value == "" and isinstance(form.widget("owner"), Input)

            # Continuing what is not running is refused: nothing more is stored.
            await fill(pilot, "decision", strategy="tutoring-math", action="continue",
                       owner="Dana")
            assert "not running" in str(meeting.query_one("#decision-hint").render())
            assert len(room.records("meeting-1", ("decision",))) == 1

    asyncio.run(run())


def _renamed_hudson(tmp_path: Path) -> Path:
    """Hudson with meetings called review-1 and review-2: nothing may read the spelling."""
    text = (Path(__file__).resolve().parent.parent / "scenarios" / "hudson.yaml").read_text(
        encoding="utf-8")
    assert "id: meeting-1" in text and "id: meeting-2" in text
    path = tmp_path / "renamed.yaml"
    path.write_text(text.replace("meeting-1", "review-1").replace("meeting-2", "review-2"),
                    encoding="utf-8")
    return path


def test_a_follower_lands_on_the_right_screen_whatever_the_meetings_are_called(
        tmp_path: Path) -> None:
    leader = Room.new(Home(tmp_path), str(_renamed_hudson(tmp_path)), 1, role="state")
    sid = leader.session_id
    follower = PmsimApp(session=sid, role="district", home=tmp_path, pace=0,
                        poll_interval=0.1)

    async def run() -> None:
        async with follower.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(follower) == "BriefingScreen")
            leader.set_stage("review-1", "meeting")
            await until(pilot, lambda: screen_name(follower) == "MeetingScreen")
            leader.close_meeting("review-1")
            leader.set_stage("debrief-1", "changes")
            await until(pilot, lambda: screen_name(follower) == "ChangesScreen"
                        and follower.room.sim is not None
                        and follower.room.sim.quarters_done == 3)
            leader.set_stage("review-2", "briefing")
            await until(pilot, lambda: screen_name(follower) == "MeetingScreen")

    try:
        asyncio.run(run())
    finally:
        leader.close()


def test_closing_a_renamed_meeting_stores_the_stages_sessions_always_stored(
        tmp_path: Path) -> None:
    app = PmsimApp(scenario=str(_renamed_hudson(tmp_path)), seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await pilot.press("f4")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            for meeting in ("review-1", "review-2"):
                await close_meeting(pilot)
                await until(pilot, lambda m=meeting: m in app.room.state.closed_meetings
                            and screen_name(app) == "ChangesScreen")
                if meeting == "review-1":
                    await until(pilot, lambda: app.room.sim.quarters_done == 3)
                    await pilot.click("#continue")
                    await until(pilot, lambda: screen_name(app) == "BriefingScreen")
                    await pilot.click("#start")
                    await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            return app.room.session_id

    sid = asyncio.run(run())
    stages = [e.payload["stage"] for e in events(tmp_path, sid) if e.kind == "stage.changed"]
    # The briefing of review-2, then its meeting: the same stage on two screens.
    assert stages == ["review-1", "debrief-1", "review-2", "review-2", "end"]


def test_a_follow_up_quotes_the_step_it_follows_up(tmp_path: Path) -> None:
    step = "Place the grade 6 English learners in the literacy block"
    leader = Room.new(Home(tmp_path), "hudson", 1, role="state")
    sid = leader.session_id
    action = leader.add_record("meeting-1", "action",
                               {"step": step, "owner": "Dana", "due": "end of Q3"})
    leader.close_meeting("meeting-1")
    leader.set_stage("meeting-2", "meeting")
    leader.close()
    app = PmsimApp(session=sid, role="state", home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.pause()
            meeting = app.screen
            meeting.query_one(f"#fu-status-{action}", Select).value = "done"
            await pilot.pause()
            await pilot.click(f"#fu-save-{action}")
            await pilot.pause()
            [(_, followup)] = app.room.records("meeting-2", ("followup",))
            assert followup.fields == {"record_id": action, "step": step, "status": "done",
                                       "note": ""}

    asyncio.run(run())
