"""SVG snapshots of the primer and of the meeting room with its look-fors panel, at
100×30 (update with ``--snapshot-update``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_snapshots import _wait
from textual.pilot import Pilot
from textual.widgets import Markdown

from simulator.session import store as store_module
from tui.app import PmsimApp

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _fixed_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private home and a fixed session id, so that snapshots are byte-stable."""
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))
    monkeypatch.setattr(store_module, "_new_session_id", lambda: "snapshot")


async def _primer_drawn(pilot: Pilot) -> None:
    for _ in range(200):
        screen = pilot.app.screen
        if type(screen).__name__ == "PrimerScreen" and screen.query(Markdown).first().query(
                "MarkdownH3"):
            break
        await asyncio.sleep(0.05)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def test_primer_from_home(snap_compare, tmp_path: Path) -> None:
    async def opened(pilot: Pilot) -> None:
        for _ in range(200):
            if type(pilot.app.screen).__name__ == "HomeScreen":
                break
            await asyncio.sleep(0.05)
        await pilot.pause()
        await pilot.press("ctrl+g")
        await _primer_drawn(pilot)

    assert snap_compare(PmsimApp(home=tmp_path, pace=0), terminal_size=SIZE, run_before=opened)


def test_meeting_with_look_fors(snap_compare, tmp_path: Path) -> None:
    async def panel(pilot: Pilot) -> None:
        await _wait(pilot, "BriefingScreen")
        await pilot.press("f4")
        await _wait(pilot, "MeetingScreen")
        await pilot.press("ctrl+l")
        pilot.app.screen.show_step("performance")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=panel)
