"""Removing a decision in the meeting room withdraws it: the resources panel, the checks
of the decision form and the closed meeting's plan all see it gone (Pilot)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_tui_meetings import (
    SIZE,
    close_meeting,
    events,
    fill,
    open_from_briefing,
    screen_name,
    text_of,
    until,
)
from textual.widgets import DataTable

from tui.app import PmsimApp


def test_removing_a_decision_withdraws_it_from_the_panel_the_checks_and_the_plan(
        tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await open_from_briefing(pilot, "f4", "MeetingScreen")
            await pilot.pause()
            meeting = app.screen
            meeting.show_step("decisions")
            await pilot.pause()
            nothing = text_of(app, "#resources")
            await fill(pilot, "decision", strategy="structured-literacy", action="adopt",
                       owner="Dana")
            one = text_of(app, "#resources")
            await fill(pilot, "decision", strategy="tutoring-reading", action="adopt",
                       owner="Lee")
            two = text_of(app, "#resources")
            assert len({nothing, one, two}) == 3

            minutes = meeting.query_one("#minutes-decisions", DataTable)
            assert minutes.row_count == 2
            minutes.focus()
            minutes.move_cursor(row=1)
            await pilot.press("delete")
            await until(pilot, lambda: screen_name(app) == "ConfirmScreen")
            assert "Withdraw this decision?" in text_of(app, "#question")
            await pilot.click("#yes")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen"
                        and minutes.row_count == 1)
            assert text_of(app, "#resources") == one
            assert [d["strategy"] for d in app.room.state.decisions["meeting-1"]] == [
                "structured-literacy"]

            # It is not running, and no longer adopted: a Stop of it is refused, and saves
            # nothing.
            await fill(pilot, "decision", strategy="tutoring-reading", action="stop",
                       owner="Lee")
            assert "cannot stop 'tutoring-reading': it is not running" in text_of(
                app, "#decision-hint")
            assert minutes.row_count == 1

            await close_meeting(pilot)
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and app.room.sim.quarters_done == 3)
            assert [(m, [d["strategy"] for d in ds]) for m, ds in app.room.plan()] == [
                ("meeting-1", ["structured-literacy"])]
            assert set(app.room.sim.active) == {"structured-literacy"}

            # At the next meeting the kept strategy is running (Stop allowed), the withdrawn
            # one never ran (Stop refused).
            await pilot.click("#continue")
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await pilot.click("#start")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.pause()
            app.screen.show_step("decisions")
            await pilot.pause()
            await fill(pilot, "decision", strategy="tutoring-reading", action="stop",
                       owner="Lee")
            assert "not running" in text_of(app, "#decision-hint")
            await fill(pilot, "decision", strategy="structured-literacy", action="stop",
                       owner="Dana")
            assert [(d["strategy"], d["action"])
                    for d in app.room.state.decisions["meeting-2"]] == [
                ("structured-literacy", "stop")]
            return app.room.session_id

    sid = asyncio.run(run())
    log = events(tmp_path, sid)
    removed = [e for e in log if e.kind == "record.removed"]
    [decided] = [e for e in log if e.kind == "decision.made"
                 and e.payload["strategy"] == "tutoring-reading"]
    assert [e.payload for e in removed] == [{"record_id": decided.payload["record_id"]}]
