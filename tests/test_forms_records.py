"""The meeting room's forms never go stale or leak between records: a new meeting's forms
start from that meeting's own defaults, tick boxes do not carry over to the next decision,
a follow-up recorded at one terminal shows at the other, and the remove dialog names the
record it removes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_tui_meetings import SIZE, close_meeting, fill, open_from_briefing, screen_name, until
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from simulator.engine import dashboard as figures
from simulator.formats.routine import default_due
from simulator.session.client import Room
from simulator.session.home import Home
from tui.app import PmsimApp
from tui.screens.meeting import MeetingScreen
from tui.widgets.forms import RecordForm
from tui.widgets.minutes import MinutesTable

METRIC = "pct:reading:hudson-ms:grade-6"


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


def recorded_at_meeting_1(home: Path, by: str, kind: str,
                          fields: dict[str, Any]) -> tuple[PmsimApp, str]:
    """The State Lead's app on a session whose Meeting #1 holds one record of ``by``'s,
    and that record's id."""
    room = Room.new(Home(home), "hudson", 1, role=by)
    room.set_stage("meeting-1", "meeting")
    rid = room.add_record("meeting-1", kind, fields)
    room.close()
    return PmsimApp(session=room.session_id, role="state", home=home, pace=0), rid


async def minutes_of(pilot: Pilot, step: str) -> MinutesTable:
    """The meeting room open at ``step``, once its minutes list the one record."""
    app = pilot.app
    await until(pilot, lambda: screen_name(app) == "MeetingScreen"
                and app.screen.query_one(f"#minutes-{step}").row_count == 1)
    app.screen.show_step(step)
    await pilot.pause()
    return app.screen.query_one(f"#minutes-{step}", MinutesTable)


async def meeting_at(pilot: Pilot, step: str = "targets") -> MeetingScreen:
    """A new session's meeting room (its first quarters simulated), open at ``step``."""
    await open_from_briefing(pilot, "f4", "MeetingScreen")
    meeting = pilot.app.screen
    assert isinstance(meeting, MeetingScreen)
    meeting.show_step(step)
    await pilot.pause()
    return meeting


def test_meeting_2_opens_with_its_own_forms_not_meeting_1s(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            meeting = await meeting_at(pilot)
            target = meeting.query_one("#target", RecordForm)
            target.set_value("metric", METRIC)
            q2 = figures.metric_value(app.room.sim, METRIC)
            await until(pilot, lambda: target.widget("baseline").value == f"{q2:g}")
            decision = meeting.query_one("#decision", RecordForm)
            decision.set_checked("grades", ["6"])
            action = meeting.query_one("#action", RecordForm)
            assert action.widget("due").value == default_due(app.room.scenario.calendar,
                                                              "meeting-1")

            await close_meeting(pilot)
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and app.room.sim.quarters_done == 3)
            await pilot.click("#continue")
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await pilot.click("#start")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.pause()
            assert target.widget("metric").value is Select.NULL
            assert target.widget("baseline").value == ""
            assert decision.values()["grades"] == []
            assert action.widget("due").value == default_due(app.room.scenario.calendar,
                                                              "meeting-2") == "2027-06-30"
            # Chosen again, the metric's baseline is Q3's, not the Q2 figure of Meeting #1.
            target.set_value("metric", METRIC)
            q3 = figures.metric_value(app.room.sim, METRIC)
            await until(pilot, lambda: target.widget("baseline").value == f"{q3:g}")
            assert q3 != q2

    asyncio.run(run())


def test_tick_boxes_reset_after_a_save_and_when_the_strategy_changes(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            meeting = await meeting_at(pilot, "decisions")
            form = meeting.query_one("#decision", RecordForm)
            # Ticked before any strategy is chosen: the ticks are for the one chosen next.
            form.set_checked("grades", ["6", "7"])
            form.set_value("strategy", "structured-literacy")
            await pilot.pause()
            assert form.values()["grades"] == ["6", "7"]
            # Another strategy: whom the first one served says nothing of it.
            form.set_checked("subgroups", ["el"])
            form.set_value("strategy", "tutoring-reading")
            await pilot.pause()
            assert form.values()["grades"] == [] and form.values()["subgroups"] == []

            form.set_checked("grades", ["8"])
            await fill(pilot, "decision", action="adopt", owner="Dana")
            [(_, record)] = app.room.records("meeting-1", ("decision",))
            assert record.fields["grades"] == [8]
            assert form.values()["grades"] == [] and form.values()["subgroups"] == []

    asyncio.run(run())


def _meeting_2_with_an_action_step(home: Path) -> tuple[Room, str]:
    leader = Room.new(Home(home), "hudson", 1, role="state")
    action = leader.add_record("meeting-1", "action", {
        "step": "Place the grade 6 English learners", "owner": "Dana", "due": "2027-04-01",
        "metric": "students placed", "target": "40"})
    leader.close_meeting("meeting-1")
    leader.set_stage("meeting-2", "meeting")
    return leader, action


def test_a_follow_up_recorded_at_one_terminal_shows_at_the_other(tmp_path: Path) -> None:
    leader, action = _meeting_2_with_an_action_step(tmp_path)
    app = PmsimApp(session=leader.session_id, role="district", home=tmp_path, pace=0,
                   poll_interval=0.1)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "MeetingScreen"
                        and app.screen.query_one(f"#fu-status-{action}").is_mounted)
            status = app.screen.query_one(f"#fu-status-{action}", Select)
            assert status.value is Select.NULL
            leader.add_record("meeting-2", "followup", {
                "record_id": action, "step": "Place the grade 6 English learners",
                "status": "partly", "note": "half placed"})
            await until(pilot, lambda: status.value == "partly")
            # Changed again there, it changes here; a choice made here is not undone by a
            # record about something else.
            leader.add_record("meeting-2", "followup", {
                "record_id": action, "step": "Place the grade 6 English learners",
                "status": "done"})
            await until(pilot, lambda: status.value == "done")
            status.value = "not-done"
            leader.add_record("meeting-2", "finding", {
                "view": "reading/hudson-ms/all", "statement": "Reading rose",
                "about": "performance"})
            await until(pilot, lambda: app.screen.query_one("#minutes-performance",
                                                            DataTable).row_count == 1)
            assert status.value == "not-done"

    try:
        asyncio.run(run())
    finally:
        leader.close()


def test_enter_in_a_follow_up_note_records_the_follow_up(tmp_path: Path) -> None:
    leader, action = _meeting_2_with_an_action_step(tmp_path)
    leader.close()
    app = PmsimApp(session=leader.session_id, role="state", home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            meeting = app.screen
            await until(pilot, lambda: meeting.query_one(f"#fu-status-{action}").is_mounted)
            meeting.query_one(f"#fu-status-{action}", Select).value = "done"
            meeting.query_one(f"#fu-note-{action}", Input).focus()
            await pilot.press(*"all placed", "enter")
            await until(pilot, lambda: app.room.records("meeting-2", ("followup",)))
            [(_, record)] = app.room.records("meeting-2", ("followup",))
            assert record.fields["status"] == "done" and record.fields["note"] == "all placed"

    asyncio.run(run())


def test_the_remove_dialog_names_the_record_and_who_recorded_it(tmp_path: Path) -> None:
    app, _ = recorded_at_meeting_1(tmp_path, "district", "finding", {
        "view": "reading/hudson-ms/all", "statement": "[b]EL[/b] readers lag in decoding",
        "about": "performance"})

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            table = await minutes_of(pilot, "performance")
            table.focus()
            await pilot.press("delete")
            await until(pilot, lambda: screen_name(app) == "ConfirmScreen")
            question = str(app.screen.query_one("#question", Static).render())
            assert "Remove this finding" in question
            assert "[b]EL[/b] readers lag in decoding  [reading/hudson-ms/all]" in question
            assert "District" in question
            await pilot.press("escape")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            assert len(app.room.records("meeting-1")) == 1

    asyncio.run(run())
