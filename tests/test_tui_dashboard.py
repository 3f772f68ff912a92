"""The dashboard: the trend chart beside the table, and strands broken down by group."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_meetings import open_from_briefing
from textual.widgets import DataTable, Select, Static

from simulator.session.home import Home, open_store
from tui.app import PmsimApp
from tui.widgets.charts import TrendChart, nice_ticks

SIZE = (100, 30)


async def _dashboard(pilot) -> None:
    await open_from_briefing(pilot, "f3", "DashboardScreen")
    await pilot.pause()


def _labels(grid: DataTable) -> list[str]:
    return [str(grid.get_row_at(i)[0]) for i in range(grid.row_count)]


def test_the_chart_draws_a_line_per_row_across_the_year(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _dashboard(pilot)
            await pilot.press("g", "g")  # by subgroup
            await pilot.pause()
            screen = app.screen
            grid = screen.query_one("#figures", DataTable)
            chart = screen.query_one("#trend", TrendChart)
            assert chart.display and chart.size.height >= 8
            series = chart.series()
            assert [label for label, _, _ in series] == _labels(grid)
            assert all(xs == [1, 2] for _, xs, _ in series)  # Q1 and Q2 so far
            assert chart.calendar == ["Q1", "Q2", "Q3", "Q4"]
            el = next(ys for label, _, ys in series if label == "English learners")
            assert el == pytest.approx(
                next(r.values for r in chart.table.rows if r.label == "English learners"))
            legend = str(screen.query_one("#trend-legend", Static).render())
            assert "English learners" in legend and "All students" in legend
            # The sparklines stay in the table.
            assert "Trend" in [c.label.plain for c in grid.columns.values()]
            # The label column is headed as the table says.
            assert next(c.label.plain for c in grid.columns.values()) == "Group"
            assert chart.table.label_heading == "Group"
            # Drawn twice, the same picture: nothing random in it.
            assert chart.plt.build() == chart.plt.build()

            await pilot.press("c")
            await pilot.pause()
            assert not chart.display
            assert grid.size.height > 6  # the table takes the room
            await pilot.press("c")
            await pilot.pause()
            assert chart.display

    asyncio.run(run())


def test_strands_by_subgroup_are_recorded_with_their_group(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await _dashboard(pilot)
            screen = app.screen
            group = screen.query_one("#group", Select)
            assert not group.display  # only for strand views
            await pilot.press("g", "g", "g")  # by strand, all students
            await pilot.pause()
            assert group.display
            everyone = screen.query_one("#figures", DataTable)
            assert _labels(everyone)[-1] == "Vocabulary & Word Study"
            group.value = "el"
            await pilot.pause()
            title = str(screen.query_one("#view-title", Static).render())
            assert "by strand · English learners" in title
            grid = screen.query_one("#figures", DataTable)
            assert str(grid.get_row_at(0)[1]) == "96"  # Hudson MS's English learners
            cells = [str(c) for c in grid.get_row_at(3)]
            assert "±" in cells[2]  # with its standard error
            await pilot.press("u")  # next group: students with disabilities
            await pilot.pause()
            assert screen.group == "swd"
            return app.room.session_id

    sid = asyncio.run(run())
    with open_store(None, Home(tmp_path)) as store:
        views = [(e.payload["view"], e.payload["filters"]) for e in store.events(sid)
                 if e.kind == "view.opened"]
    assert ("reading/hudson-ms/strand", {"group": "all"}) in views
    assert ("reading/hudson-ms/strand", {"group": "el"}) in views
    assert views[-1] == ("reading/hudson-ms/strand", {"group": "swd"})
    assert ("reading/hudson-ms/subgroup", {"measure": "pct"}) in views


def test_nice_ticks_are_round_and_cover_the_data() -> None:
    assert nice_ticks(32.4, 55.3, percent=True) == [30, 40, 50, 60]
    assert nice_ticks(198.4, 201.7, percent=False) == [198, 199, 200, 201, 202]
    low = nice_ticks(0.5, 3.0, percent=True)
    assert low[0] == 0 and low[-1] >= 3.0
