"""Two writers on one session: the other role's records appear within two seconds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable

from simulator.session.client import Room
from simulator.session.home import Home
from tui.app import PmsimApp

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


def test_district_terminal_sees_state_records_and_follows_the_meeting(tmp_path: Path) -> None:
    state = Room.new(Home(tmp_path), "hudson", 1, role="state")
    state.set_stage("meeting-1", "meeting")
    sid = state.session_id
    app = PmsimApp(session=sid, role="district", home=tmp_path, pace=0, poll_interval=0.2)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(400):
                if type(app.screen).__name__ == "MeetingScreen":
                    break
                await pilot.pause(0.05)
            await pilot.pause()
            assert type(app.screen).__name__ == "MeetingScreen"
            assert "District" in app.screen.sub_title

            # The State Lead, in another process, writes a target ...
            state.add_record("meeting-1", "target", {
                "metric": "pct:reading:hudson-ms:el", "metric_label": "EL reading",
                "baseline": "9.4", "target": "25", "by": "end of Q4"})
            written = time.monotonic()
            minutes = app.screen.query_one("#minutes-targets", DataTable)
            while minutes.row_count == 0:
                assert time.monotonic() - written < 2.0, "the record did not appear in 2 s"
                await pilot.pause(0.05)
            row = minutes.get_row_at(0)
            assert str(row[0]) == "State" and "EL reading" in str(row[1])

            # ... the District Lead answers with a stakeholder from this terminal ...
            form = app.screen.query_one("#stakeholder")
            form.widget("party").value = "stakeholder"
            form.widget("who").value = "School board"
            form.widget("how").value = "Inform"
            app.screen.show_step("stakeholders")
            await pilot.pause()
            await pilot.click("#stakeholder-save")
            await pilot.pause()

            # ... and when the State Lead closes the meeting, this terminal follows.
            state.sync()
            assert [r.role for _, r in state.records("meeting-1", ("stakeholder",))] == [
                "district"]
            state.close_meeting("meeting-1")
            state.set_stage("debrief-1", "changes")
            for _ in range(400):
                if (type(app.screen).__name__ == "ChangesScreen" and app.room.sim is not None
                        and app.room.sim.quarters_done == 3):
                    break
                await pilot.pause(0.05)
            assert type(app.screen).__name__ == "ChangesScreen"
            assert app.room.sim.quarters_done == 3

    try:
        asyncio.run(run())
    finally:
        state.close()
