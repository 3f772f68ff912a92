"""The self-assessment screen in the meeting room: reached from the final debrief, two
rows filled and saved as events, shown again on resume, the handout shown and saved;
and its SVG snapshot (update with ``--snapshot-update``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_debrief import app_for, ratings_shown, seed_session
from test_tui_meetings import until
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from simulator.session import store as store_module
from simulator.session.home import Home, open_store
from simulator.session.state import replay
from tui.app import PmsimApp

SIZE = (100, 30)
WAIT = 60.0
"""Seconds a step may take on a loaded machine (scoring the year runs in a worker)."""


def _final_session(home: Path) -> str:
    return seed_session(home, through="meeting-2", polls=True, screen="debrief")


async def _open(pilot: Pilot) -> None:
    app = pilot.app
    await ratings_shown(pilot)
    await pilot.press("f9")
    await until(pilot, lambda: type(app.screen).__name__ == "SelfAssessScreen", WAIT)
    await pilot.pause()


def focused(app: PmsimApp) -> str | None:
    return app.focused.id if app.focused is not None else None


def _fill(app: PmsimApp, sid: str, level: str, evidence: str) -> None:
    app.screen.query_one(f"#sa-level-{sid}", Select).value = level
    app.screen.query_one(f"#sa-evidence-{sid}", Input).value = evidence


def test_two_rows_saved_as_events_and_shown_again_on_resume(tmp_path: Path) -> None:
    sid = _final_session(tmp_path)

    async def rate() -> None:
        app = app_for(tmp_path, sid)
        async with app.run_test(size=SIZE) as pilot:
            await _open(pilot)
            app.screen.query_one("#sa-state", Input).value = "Our State"
            _fill(app, "A1", "Strong", "We set targets with baselines each fall.")
            _fill(app, "C2", "Inadequate", "We never collect fidelity data.")
            _fill(app, "D1", "Emerging", "")  # unfinished: not saved
            app.screen.save_ratings()  # type: ignore[attr-defined]
            await until(pilot, lambda: len(app.room.state.selfassess.get("state", {})) == 2,
                        WAIT)
            # The handout is drawn from them beside what was practised.
            await until(pilot, lambda: "Take-home" in str(
                app.screen.query_one("#sa-handout", Static).render()), WAIT)
            handout = str(app.screen.query_one("#sa-handout", Static).render())
            assert "The State self-assessment: Our State" in handout
            assert "Draft: Quality data on implementation (C2)" in handout
            await pilot.press("f7")
            folder = Home(tmp_path).reports
            await until(pilot, lambda: (folder / f"pmsim-{sid}-self-assessment-state.html"
                                        ).exists(), WAIT)

    asyncio.run(rate())
    with open_store(None, Home(tmp_path)) as store:
        state = replay(store.events(sid))
    rated = state.selfassess["state"]
    assert {k: (v["level"], v["state"]) for k, v in rated.items()} == {
        "A1": ("Strong", "Our State"), "C2": ("Inadequate", "Our State")}
    assert state.screen == "selfassess"
    md = (Home(tmp_path).reports / f"pmsim-{sid}-self-assessment-state.md").read_text()
    assert "| A1 | Student-outcome targets | Strong |" in md

    async def resume() -> None:
        app = app_for(tmp_path, sid)
        async with app.run_test(size=SIZE) as pilot:
            # The session opens where it was left: on the self-assessment, rows filled.
            await until(pilot, lambda: type(app.screen).__name__ == "SelfAssessScreen", WAIT)
            await until(pilot, lambda: app.screen.query_one("#sa-level-A1", Select).value
                        == "Strong", WAIT)
            screen = app.screen
            assert screen.query_one("#sa-evidence-C2", Input).value == (
                "We never collect fidelity data.")
            assert screen.query_one("#sa-state", Input).value == "Our State"
            assert screen.query_one("#sa-level-D1", Select).is_blank()
            # Saving again with nothing changed appends nothing.
            before = app.room.state.last_seq
            screen.save_ratings()  # type: ignore[attr-defined]
            await pilot.pause()
            assert app.room.state.last_seq == before
            await pilot.click("#sa-back")
            await until(pilot, lambda: type(app.screen).__name__ == "DebriefScreen", WAIT)

    asyncio.run(resume())


def test_a_row_filled_from_the_keyboard_alone(tmp_path: Path) -> None:
    sid = _final_session(tmp_path)

    async def run() -> None:
        app = app_for(tmp_path, sid)
        async with app.run_test(size=SIZE) as pilot:
            await _open(pilot)
            app.screen.query_one("#sa-state", Input).focus()
            await pilot.press(*"Ours", "enter")
            await until(pilot, lambda: focused(app) == "sa-level-A1", WAIT)
            await pilot.press("enter")
            await until(pilot, lambda: app.screen.query_one("#sa-level-A1", Select).expanded,
                        WAIT)
            await pilot.press("down", "down", "down", "enter")
            await until(pilot, lambda: focused(app) == "sa-evidence-A1", WAIT)
            await pilot.press(*"Targets with baselines.", "enter")
            await until(pilot, lambda: focused(app) == "sa-level-A2", WAIT)
            app.screen.query_one("#sa-evidence-D3", Input).focus()
            await until(pilot, lambda: focused(app) == "sa-evidence-D3", WAIT)
            await pilot.press("enter")  # Enter on the last row saves
            await until(pilot, lambda: "A1" in app.room.state.selfassess.get("state", {}),
                        WAIT)
            saved = app.room.state.selfassess["state"]["A1"]
            assert (saved["level"], saved["evidence"], saved["state"]) == (
                "Strong", "Targets with baselines.", "Ours")

    asyncio.run(run())


def test_not_offered_before_the_final_debrief(tmp_path: Path) -> None:
    sid = seed_session(tmp_path, through="meeting-1", polls=True, screen="debrief")

    async def run() -> None:
        app = app_for(tmp_path, sid)
        async with app.run_test(size=SIZE) as pilot:
            await ratings_shown(pilot)
            await pilot.press("f9")
            await pilot.pause()
            assert type(app.screen).__name__ == "DebriefScreen"
            assert app.screen.check_action("self_assess", ()) is False  # not in the footer

    asyncio.run(run())


@pytest.fixture
def _fixed_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))
    monkeypatch.setattr(store_module, "_new_session_id", lambda: "snapshot")


@pytest.mark.usefixtures("_fixed_ids")
def test_snapshot_of_the_self_assessment(snap_compare, tmp_path: Path) -> None:
    sid = _final_session(tmp_path)

    async def filled(pilot: Pilot) -> None:
        await _open(pilot)
        app = pilot.app
        app.screen.query_one("#sa-state", Input).value = "Our State"
        _fill(app, "A1", "Strong", "We set targets with baselines each fall.")
        _fill(app, "C2", "Inadequate", "We never collect fidelity data.")
        app.screen.save_ratings()  # type: ignore[attr-defined]
        await until(pilot, lambda: len(app.room.state.selfassess.get("state", {})) == 2,
                    WAIT)
        app.screen.set_focus(None)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app_for(tmp_path, sid), terminal_size=SIZE, run_before=filled)
