"""The dashboard's served-against-not-served and subgroup-by-grade views, one key each.

A session is set up from the strong Hudson transcript up to the close of Meeting #1
(structured literacy and attendance outreach adopted), so that Q3 is simulated and
the two strategies are in play when the dashboard opens.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_tui_debrief import STRONG, app_for, seed_session
from test_tui_meetings import SIZE, events, screen_name, until
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from simulator.engine import dashboard as figures
from tui.app import PmsimApp


def _labels(grid: DataTable) -> list[str]:
    """Row labels without the small-group flag."""
    return [str(grid.get_row_at(i)[0]).removeprefix("⚠ ") for i in range(grid.row_count)]


def _cells(grid: DataTable, row: int) -> list[str]:
    return [str(c) for c in grid.get_row_at(row)]


def _title(app: PmsimApp) -> str:
    return str(app.screen.query_one("#view-title").render())


async def _dashboard_at_meeting_2(pilot: Pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.room is not None and app.room.sim is not None
                and len(app.room.sim.history) == 3, timeout=30)
    await pilot.press("f3")
    await until(pilot, lambda: screen_name(app) == "DashboardScreen")
    await pilot.pause()


def test_one_key_shows_the_served_against_the_comparable_and_records_it(tmp_path: Path
                                                                         ) -> None:
    sid = seed_session(tmp_path, through="meeting-1", transcript_path=STRONG)
    app = app_for(tmp_path, sid)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _dashboard_at_meeting_2(pilot)
            await pilot.press("v")
            await pilot.pause()
            screen = app.screen
            assert screen.view == "reading/hudson-ms/served/structured-literacy"
            assert "served by Structured-literacy" in _title(app)
            grid = screen.query_one("#figures", DataTable)
            table = figures.build_table(app.room.sim, screen.view)
            assert _labels(grid)[:3] == ["Served", "Comparable, not served",
                                         "Difference (served − not)"]
            served = table.rows[0]
            assert _cells(grid, 0)[1] == str(served.n)
            assert _cells(grid, 0)[-3:] == served.extra
            assert _cells(grid, 2)[1] == "—"  # a difference has no students of its own
            chooser = screen.query_one("#strategy", Select)
            assert chooser.display and chooser.value == "structured-literacy"
            # v again: the next strategy in play, on the subject it means to move.
            await pilot.press("v")
            await pilot.pause()
            assert screen.view == "reading/hudson-ms/served/attendance-outreach"
        opened = [e.payload["view"] for e in events(tmp_path, sid) if e.kind == "view.opened"]
        assert "reading/hudson-ms/served/structured-literacy" in opened
        assert opened[-1] == "reading/hudson-ms/served/attendance-outreach"

    asyncio.run(run())
