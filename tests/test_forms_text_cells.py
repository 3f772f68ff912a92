"""Item 7's leftover: the meeting's minutes and the dashboard's roster carry text, not
markup. A scenario's or a participant's "[bold]x[/]" shows as typed and an escape character
never reaches the terminal raw; the roster still sorts by any column."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.text import Text
from test_forms_records import minutes_of, recorded_at_meeting_1
from test_tui_meetings import SIZE, open_from_briefing, until
from textual.pilot import Pilot
from textual.widgets import DataTable

from tui.app import PmsimApp

HUDSON = Path(__file__).resolve().parent.parent / "scenarios" / "hudson.yaml"
NASTY = "[bold]x[/]\x1b[31m"


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


def _plain(value: object) -> str:
    assert isinstance(value, Text), f"{value!r} would be read as markup"
    return value.plain


def test_minutes_show_a_record_with_markup_and_an_escape_as_typed(tmp_path: Path) -> None:
    app, rid = recorded_at_meeting_1(tmp_path, "state", "stakeholder",
                                     {"who": NASTY, "how": "inform"})

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            table = await minutes_of(pilot, "stakeholders")
            shown = _plain(table.get_cell(rid, "record"))
            assert "[bold]x[/]" in shown and "\x1b" not in shown
            assert _plain(table.get_cell(rid, "by")) == "State"

    asyncio.run(run())


async def select_header(pilot: Pilot, table: DataTable, index: int) -> None:
    """What a click on a column's heading posts (a click by offset misses on a busy machine,
    while the table is still scrolling)."""
    column = table.ordered_columns[index]
    table.post_message(DataTable.HeaderSelected(table, column.key, index, column.label))
    await pilot.pause()


def test_the_roster_shows_scenario_text_as_typed_and_still_sorts(tmp_path: Path) -> None:
    scenario = tmp_path / "nasty.yaml"
    text = HUDSON.read_text(encoding="utf-8")
    assert text.count("short_name: Hudson MS") == 1
    scenario.write_text(text.replace("short_name: Hudson MS",
                                     'short_name: "[bold]x[/]\\e[31m"'), encoding="utf-8")
    app = PmsimApp(scenario=str(scenario), seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_from_briefing(pilot, "f3", "DashboardScreen")
            await pilot.press("s")
            roster = app.screen.query_one("#roster", DataTable)
            await until(pilot, lambda: roster.row_count == 412)
            school = [_plain(roster.get_cell_at((i, 1))) for i in range(roster.row_count)]
            assert set(school) == {"[bold]x[/]\\x1b[31m"}  # the escape made visible
            assert all("\x1b" not in _plain(c.label) for c in roster.ordered_columns)
            # Sorted by a column of numbers (days absent, the last), by value.
            last = len(roster.ordered_columns) - 1
            await select_header(pilot, roster, last)

            def days() -> list[int]:
                return [int(_plain(roster.get_cell_at((i, last))))
                        for i in range(roster.row_count)]

            await until(pilot, lambda: days() == sorted(days()))  # a busy machine is slow
            assert days()[0] < days()[-1]
            # And by a column of names, as text.
            await select_header(pilot, roster, 0)

            def names() -> list[str]:
                return [_plain(roster.get_cell_at((i, 0))).casefold()
                        for i in range(roster.row_count)]

            await until(pilot, lambda: names() == sorted(names()))

    asyncio.run(run())
