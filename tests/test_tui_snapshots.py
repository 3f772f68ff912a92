"""SVG snapshots of the main screens at 100×30 (update with ``--snapshot-update``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot

from simulator.session import store as store_module
from tui.app import PmsimApp

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _fixed_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private home and a fixed session id, so that snapshots are byte-stable."""
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))
    monkeypatch.setattr(store_module, "_new_session_id", lambda: "snapshot")


async def _wait(pilot: Pilot, screen: str) -> None:
    for _ in range(200):
        if type(pilot.app.screen).__name__ == screen and pilot.app.room is not None and (
                pilot.app.room.sim is not None):
            break
        await asyncio.sleep(0.05)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def test_home(snap_compare, tmp_path: Path) -> None:
    async def loaded(pilot: Pilot) -> None:
        for _ in range(200):
            options = pilot.app.screen.query("#scenarios")
            if options and options.first().option_count and options.first().get_option_at_index(
                    0).id:
                break
            await asyncio.sleep(0.05)
        await pilot.pause()

    assert snap_compare(PmsimApp(home=tmp_path, pace=0), terminal_size=SIZE, run_before=loaded)


def test_briefing(snap_compare, tmp_path: Path) -> None:
    async def opened(pilot: Pilot) -> None:
        await _wait(pilot, "BriefingScreen")

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=opened)


def test_dashboard_by_subgroup(snap_compare, tmp_path: Path) -> None:
    async def subgroups(pilot: Pilot) -> None:
        await _wait(pilot, "BriefingScreen")
        await pilot.press("f3")
        await _wait(pilot, "DashboardScreen")
        await pilot.press("g", "g")
        await pilot.pause()

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=subgroups)


def test_dashboard_strands_by_group_light(snap_compare, tmp_path: Path) -> None:
    """The light theme; reading strands of English learners, with their trend chart."""

    async def strands(pilot: Pilot) -> None:
        await _wait(pilot, "BriefingScreen")
        await pilot.press("f8", "f3")
        await _wait(pilot, "DashboardScreen")
        await pilot.press("u", "u")  # strands: all students, then English learners
        await pilot.pause()

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=strands)


def test_meeting_decisions(snap_compare, tmp_path: Path) -> None:
    """Structured literacy for grades 6–7, English learners and students with disabilities."""

    async def decisions(pilot: Pilot) -> None:
        await _wait(pilot, "BriefingScreen")
        await pilot.press("f4")
        await _wait(pilot, "MeetingScreen")
        pilot.app.screen.show_step("decisions")
        await pilot.pause()
        form = pilot.app.screen.query_one("#decision")
        form.widget("strategy").value = "structured-literacy"
        form.widget("action").value = "adopt"
        form.widget("owner").value = "Hudson MS principal"
        form.set_checked("grades", ["6", "7"])
        form.set_checked("subgroups", ["el", "swd"])
        await pilot.pause()

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=decisions)
