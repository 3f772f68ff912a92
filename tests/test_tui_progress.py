"""The Progress screen: a participant's attempts over time, opened from the home screen.

Attempts are set up by replaying the worked Hudson transcripts (weak, then strong) into
new sessions of a temporary store, named as the home screen names them; the levels the
screen shows are checked against :func:`simulator.debrief.progress.progress`.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from test_tui_meetings import until
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from simulator.debrief.progress import progress
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.formats.rubric import level_rank
from simulator.session import store as store_module
from simulator.session.home import Home, open_store
from simulator.session.state import append_event
from simulator.session.transcript import load_transcript
from tui.app import PmsimApp
from tui.screens.progress import EMPTY, ProgressScreen, ProgressTable
from tui.widgets.levels import gauge

SIZE = (100, 30)
ELEMENTS = ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3"]


@pytest.fixture(autouse=True)
def _fixed_clock_and_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions created a minute apart with ids in order, so snapshots are byte-stable."""
    minutes, ids = itertools.count(), itertools.count(1)

    def now() -> str:
        m = next(minutes)
        return f"2025-03-{10 + m // 60:02d}T09:{m % 60:02d}:00.000000Z"

    monkeypatch.setattr(store_module, "_now", now)
    monkeypatch.setattr(store_module, "_new_session_id", lambda: f"attempt{next(ids)}")


def attempt(home: Path, created: dict, which: str = "weak", through: str | None = None) -> str:
    """A Hudson session holding a worked transcript's events (up to the closing of
    meeting ``through``, or all of them)."""
    transcript = load_transcript(builtin_dir() / f"hudson-{which}-transcript.yaml")
    with open_store(None, Home(home)) as store:
        sid = store.create_session("hudson", load_scenario("hudson").sha256, transcript.seed,
                                   f"Hudson · {which}", created).id
        for entry in transcript.events:
            payload = entry.model_dump(mode="json", exclude={"event", "by"})
            append_event(store, sid, entry.event, entry.by, payload)  # type: ignore[attr-defined]
            if entry.event == "meeting.closed" and payload["meeting"] == through:  # type: ignore[attr-defined]
                break
    return sid


ANA = {"participant": "Ana", "role": "state"}


def seed_attempts(home: Path) -> list[str]:
    """Ana: weak, weak to the first meeting only, strong; Ben (not Ana's): strong."""
    ana = [attempt(home, ANA), attempt(home, ANA, through="meeting-1"),
           attempt(home, ANA, "strong")]
    attempt(home, {"participants": {"state": "Ben", "district": "Cy"}}, "strong")
    return ana


async def open_progress(pilot: Pilot, name: str) -> ProgressScreen:
    """From the home screen, with ``name`` typed as the participant, press p."""
    app = pilot.app
    scenarios = app.screen.query_one("#scenarios", OptionList)
    await until(pilot, lambda: scenarios.option_count and
                scenarios.get_option_at_index(0).id == "hudson")
    app.screen.query_one("#participant", Input).value = name
    scenarios.focus()
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, ProgressScreen))
    screen = app.screen
    assert isinstance(screen, ProgressScreen)
    await until(pilot, lambda: screen.doc is not None and screen.query_one(
        "#progress-wait").has_class("hidden"))
    await pilot.pause()
    return screen


def cells(table: ProgressTable, row: str) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in table.get_row(row)]


def test_levels_per_attempt_match_progress_and_improve_from_weak_to_strong(
        tmp_path: Path) -> None:
    ana = seed_attempts(tmp_path)
    with open_store(None, Home(tmp_path)) as store:
        expected = progress(store, "Ana").model_dump(mode="json")["attempts"]
    assert [a["session"] for a in expected] == ana
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot, "  ana ")
            (table,) = screen.query(ProgressTable)
            assert table.participant == "ana"
            keys = [c.key.value for c in table.ordered_columns]
            assert keys == ["element", *(f"s:{sid}" for sid in ana), "trend"]
            for eid in ELEMENTS:
                row = cells(table, eid)
                assert row[0].startswith(eid)
                assert row[1:4] == [gauge(a["levels"][eid]) for a in expected]
                first, last = expected[0]["levels"][eid], expected[-1]["levels"][eid]
                assert level_rank(last) >= level_rank(first)
                arrow = "↑" if level_rank(last) > level_rank(first) else "="
                assert row[4] == f"{first} → {last} {arrow}"
            means = [a["mean"] for a in expected]
            assert cells(table, "mean")[1:4] == [f"{m:.2f}" for m in means]
            assert means[-1] > means[0] + 1  # strong is far better than weak
            assert sum(level_rank(expected[-1]["levels"][e]) > level_rank(
                expected[0]["levels"][e]) for e in ELEMENTS) >= 8
            # The cursor starts on the latest attempt, which the line below describes.
            detail = str(screen.query_one("#attempt-detail", Static).render())
            assert f"#3 · session {ana[2]}" in detail and "whole year" in detail
            await pilot.press("left")
            detail = str(screen.query_one("#attempt-detail", Static).render())
            assert f"#2 · session {ana[1]}" in detail and "through meeting-1" in detail
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")

    asyncio.run(run())


def test_everyone_is_grouped_by_participant_and_q_goes_home(tmp_path: Path) -> None:
    ana = seed_attempts(tmp_path)
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot, "")
            tables = list(screen.query(ProgressTable))
            assert [t.participant for t in tables] == ["Ana", "Ben", "Cy"]
            assert [a["session"] for a in tables[0].attempts] == ana
            assert len(tables[1].attempts) == len(tables[2].attempts) == 1
            assert cells(tables[1], "A1")[2].endswith("(one attempt)")
            await pilot.press("q")
            await until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")

    asyncio.run(run())


def test_no_attempts_yet(tmp_path: Path) -> None:
    attempt(tmp_path, ANA, through="meeting-1")  # Ana's; none is Zoe's
    with open_store(None, Home(tmp_path)) as store:
        sid = store.create_session("hudson", "00" * 32, 1, "not closed", {"participant": "Zoe"})
    assert sid
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot, "Zoe")
            empty = screen.query_one("#progress-empty", Static)
            assert not empty.has_class("hidden")
            assert str(empty.render()).startswith(EMPTY)
            assert not screen.query(ProgressTable)
            assert "resume" not in {b.binding.action for b in screen.active_bindings.values()
                                    if screen.check_action(b.binding.action, ())}

    asyncio.run(run())


def test_home_offers_progress_in_footer_and_palette(tmp_path: Path) -> None:
    from tui.commands import ScreenActions

    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            active = app.screen.active_bindings["p"]
            assert active.binding.description == "Progress" and active.binding.show
            provider = ScreenActions(app.screen)
            assert "Progress" in [label for label, _, _ in provider._commands()]

    asyncio.run(run())


def test_enter_resumes_the_attempts_session(tmp_path: Path) -> None:
    ana = seed_attempts(tmp_path)
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_progress(pilot, "Ana")
            await pilot.press("left", "enter")
            await until(pilot, lambda: app.room is not None)
            assert app.room is not None and app.room.session_id == ana[1]
            await until(pilot, lambda: type(app.screen).__name__ != "OpeningScreen")

    asyncio.run(run())


def test_snapshot(snap_compare, tmp_path: Path) -> None:
    seed_attempts(tmp_path)

    async def opened(pilot: Pilot) -> None:
        await open_progress(pilot, "Ana")
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(PmsimApp(home=tmp_path, pace=0), terminal_size=SIZE,
                        run_before=opened)
