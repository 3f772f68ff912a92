"""A role's private briefing shows only while that role speaks and asked for it: at a
shared terminal, switching the speaker hides it, and ``p`` opens the briefing of whoever
speaks now (after its confirmation), never the State's by default."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_meetings import SIZE, screen_name, until
from textual.pilot import Pilot
from textual.widgets import Button, Static

from tui.app import PmsimApp


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


def briefing_ready(app: PmsimApp) -> bool:
    return screen_name(app) == "BriefingScreen" and app.room is not None and \
        app.room.sim is not None


def _on_screen(app: PmsimApp) -> str:
    """The private panel's text, if the panel is shown."""
    panel = app.screen.query_one("#private")
    if panel.has_class("hidden"):
        return ""
    return str(app.screen.query_one("#private-text", Static).render())


def _shows(app: PmsimApp, private: str) -> bool:
    """Whether the private panel shows ``private`` (its first words, however wrapped)."""
    return " ".join(private.split()[:6]) in " ".join(_on_screen(app).split())


async def _ask_with_p(pilot: Pilot, title: str) -> None:
    """Press p, check the confirmation names ``title``, and say yes."""
    await pilot.press("p")
    await until(pilot, lambda: screen_name(pilot.app) == "ConfirmScreen")
    assert title in str(pilot.app.screen.query_one("#question").render())
    await pilot.press("y")
    await until(pilot, lambda: screen_name(pilot.app) == "BriefingScreen")


def test_each_speaker_sees_only_their_own_private_briefing(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: briefing_ready(app))
            roles = app.room.scenario.roles
            state, district = roles.state.private, roles.district.private
            await _ask_with_p(pilot, roles.state.title)
            await until(pilot, lambda: _shows(app, state))

            await pilot.press("f6")  # the District Lead speaks: the State's text goes
            await until(pilot, lambda: _on_screen(app) == "")
            assert app.screen.query_one("#private-district", Button).display
            assert not app.screen.query_one("#private-state", Button).display

            await _ask_with_p(pilot, roles.district.title)
            await until(pilot, lambda: _shows(app, district))
            assert not _shows(app, state)

            # Switched while away on another screen: hidden on the way back.
            await pilot.press("f3")
            await until(pilot, lambda: screen_name(app) == "DashboardScreen")
            await pilot.press("f6")
            await pilot.press("f2")
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await until(pilot, lambda: _on_screen(app) == "")

    asyncio.run(run())


def test_a_switch_while_the_confirmation_is_open_shows_nothing(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: briefing_ready(app))
            await pilot.press("p")
            await until(pilot, lambda: screen_name(app) == "ConfirmScreen")
            app.action_switch_speaker()  # the State asked; the District now speaks
            assert app.room.event_role == "district"
            await pilot.press("y")
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await pilot.pause()
            assert _on_screen(app) == ""

    asyncio.run(run())
