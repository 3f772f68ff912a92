"""The dashboard's served-against-not-served and subgroup-by-grade views, one key each.

A session is set up from the strong Hudson transcript up to the close of Meeting #1
(structured literacy and attendance outreach adopted), so that Q3 is simulated and
the two strategies are in play when the dashboard opens.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_debrief import STRONG, app_for, seed_session
from test_tui_meetings import SIZE, events, open_from_briefing, screen_name, until
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from simulator.engine import dashboard as figures
from simulator.session import store as store_module
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
            assert "Structured-literacy intervention block: served vs not" in _title(app)
            grid = screen.query_one("#figures", DataTable)
            # Only the latest quarter beside the growth columns (the chart draws the year).
            assert [c.label.plain for c in grid.columns.values()] == [
                "Group", "n", "Q3", "Growth Q2→Q3", "Growth Q1→Q2", "Reach"]
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


def test_one_key_crosses_a_subgroup_with_grade_and_the_chooser_picks_a_grade(tmp_path: Path
                                                                              ) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await open_from_briefing(pilot, "f3", "DashboardScreen")
            await pilot.pause()
            screen = app.screen
            chooser = screen.query_one("#cross", Select)
            assert not chooser.display  # only for cross views
            await pilot.press("3", "x", "x")  # from attendance: back to reading
            await pilot.pause()
            assert screen.view == "reading/hudson-ms/cross/el"
            assert chooser.display and chooser.value == "el"
            assert "English learners by grade" in _title(app)
            grid = screen.query_one("#figures", DataTable)
            assert _labels(grid) == ["English learners, all grades", "English learners, grade 6",
                                     "English learners, grade 7", "English learners, grade 8"]
            assert [c.label.plain for c in grid.columns.values()][-1] == "Gap (Q2)"
            chooser.value = "grade-7"
            await pilot.pause()
            assert screen.view == "reading/hudson-ms/cross/grade-7"
            assert _labels(grid)[0] == "Grade 7, all students"
            await pilot.press("v")  # nothing in play before Meeting #1 closes
            await pilot.pause()
            assert screen.view == "reading/hudson-ms/cross/grade-7"
            return app.room.session_id

    sid = asyncio.run(run())
    opened = [e.payload["view"] for e in events(tmp_path, sid) if e.kind == "view.opened"]
    assert opened[-3:] == ["reading/hudson-ms/cross/econ", "reading/hudson-ms/cross/el",
                           "reading/hudson-ms/cross/grade-7"]
    assert not any("/served/" in v for v in opened)


# ---------------------------------------------------------------------- snapshots


@pytest.fixture
def _fixed_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_new_session_id", lambda: "snapshot")


def test_snapshot_served_against_not_served(snap_compare, tmp_path: Path, _fixed_id: None
                                            ) -> None:
    sid = seed_session(tmp_path, through="meeting-1", transcript_path=STRONG)

    async def served(pilot: Pilot) -> None:
        await _dashboard_at_meeting_2(pilot)
        await pilot.press("v")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app_for(tmp_path, sid), terminal_size=SIZE, run_before=served)


def test_snapshot_english_learners_by_grade(snap_compare, tmp_path: Path, _fixed_id: None
                                            ) -> None:
    async def crossed(pilot: Pilot) -> None:
        await open_from_briefing(pilot, "f3", "DashboardScreen")
        await pilot.press("x", "x")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=crossed)
