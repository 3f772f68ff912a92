"""The primer screen and the meeting room's look-fors panel, driven with Pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_meetings import open_from_briefing, screen_name, until
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Static

from simulator.formats.framework import shown_lookfors
from simulator.formats.loading import load_scenario
from simulator.formats.routine import STEPS
from simulator.formats.rubric import SUB_ELEMENTS
from simulator.render.framework import primer_markdown
from tui.app import PmsimApp
from tui.widgets.lookfors import LookForsPanel

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


async def primer_open(pilot: Pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_name(app) == "PrimerScreen"
                and app.screen.query(Markdown).first().query("MarkdownH2"))
    md = app.screen.query_one("#primer-text", Markdown)
    assert md.source == primer_markdown()
    assert len(md.query("MarkdownH2")) == 4  # definition, elements, design, routine
    assert len(md.query("MarkdownH3")) == 4  # the four elements


def panel_text(app: PmsimApp) -> str:
    panel = app.screen.query_one(LookForsPanel)
    return "\n".join(str(panel.query_one(f"#{w}", Static).render())
                     for w in ("lookfors-title", "lookfors-list"))


def test_the_primer_opens_from_home_and_closes_back(tmp_path: Path) -> None:
    asyncio.run(_the_primer_opens_from_home_and_closes_back(tmp_path))


async def _the_primer_opens_from_home_and_closes_back(tmp_path: Path) -> None:
    app = PmsimApp(home=tmp_path, pace=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "HomeScreen")
        await until(pilot, lambda: app.screen.query_one("#scenarios").has_focus)
        await pilot.press("g")
        await primer_open(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "HomeScreen")
        # Ctrl+G works while typing in a field too, and closes the primer again.
        app.screen.query_one("#seed", Input).focus()
        await pilot.press("ctrl+g")
        await primer_open(pilot)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: screen_name(app) == "HomeScreen")
        assert app.screen.query_one("#seed", Input).value == "1"


def test_the_primer_opens_from_the_briefing_and_the_meeting(tmp_path: Path) -> None:
    asyncio.run(_the_primer_opens_from_the_briefing_and_the_meeting(tmp_path))


async def _the_primer_opens_from_the_briefing_and_the_meeting(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                    and app.room.sim is not None, timeout=30)
        await pilot.press("ctrl+g")
        await primer_open(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "BriefingScreen")
        await pilot.press("f4")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        app.screen.query_one("#target-target", Input).focus()
        await pilot.press("ctrl+g")
        await primer_open(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        assert app.screen.focused is app.screen.query_one("#target-target", Input)


def test_the_look_fors_panel_toggles_and_follows_the_step(tmp_path: Path) -> None:
    asyncio.run(_the_look_fors_panel_toggles_and_follows_the_step(tmp_path))


async def _the_look_fors_panel_toggles_and_follows_the_step(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    expected = shown_lookfors(load_scenario("hudson").scenario)
    async with app.run_test(size=SIZE) as pilot:
        await open_from_briefing(pilot, "f4", "MeetingScreen")
        panel = app.screen.query_one(LookForsPanel)
        assert not panel.display
        app.screen.query_one("#target-target", Input).focus()
        await pilot.press("ctrl+l")  # from inside a field
        await until(pilot, lambda: panel.display and "Goal and targets" in panel_text(app))
        text = panel_text(app)
        for shown in expected["targets"]:
            assert shown.text in " ".join(text.split())
        assert "A1 " + SUB_ELEMENTS["A1"] in text
        assert "D3" not in text
        await pilot.press("ctrl+n")  # the next step: follow-up
        await until(pilot, lambda: STEPS[1].title in panel_text(app))
        for step in STEPS[2:]:
            app.screen.show_step(step.id)
            await until(pilot, lambda step=step: f"— {step.title}" in panel_text(app))
            flat = " ".join(panel_text(app).split())
            for shown in expected[step.id]:
                assert shown.text in flat, (step.id, shown.id)
        assert "D3 " + SUB_ELEMENTS["D3"] in panel_text(app)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: not panel.display)


def test_the_look_fors_panel_keeps_the_hidden_need_to_itself(tmp_path: Path) -> None:
    asyncio.run(_the_look_fors_panel_keeps_the_hidden_need_to_itself(tmp_path))


async def _the_look_fors_panel_keeps_the_hidden_need_to_itself(tmp_path: Path) -> None:
    pine = load_scenario("pine-valley").scenario
    app = PmsimApp(scenario="pine-valley", seed=1, home=tmp_path, pace=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_briefing(pilot, "f4", "MeetingScreen")
        await pilot.press("ctrl+l")
        for step in STEPS:
            app.screen.show_step(step.id)
            await until(pilot, lambda step=step: f"— {step.title}" in panel_text(app))
            flat = " ".join(panel_text(app).split()).lower()
            for lf in pine.debrief.lookfors:
                if "decoding" in lf.description or "fractions" in lf.description:
                    assert lf.description.lower() not in flat
            for need in pine.needs:
                assert need.name.lower() not in flat and need.id not in flat
        app.screen.show_step("targets")
        await until(pilot, lambda: "a look-for of this scenario's own" in panel_text(app))


def test_solo_talk_and_look_fors_take_turns_on_a_narrow_screen(tmp_path: Path) -> None:
    asyncio.run(_solo_talk_and_look_fors_take_turns(tmp_path))


async def _solo_talk_and_look_fors_take_turns(tmp_path: Path) -> None:
    from test_tui_solo import _into_meeting

    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0, solo="state")
    async with app.run_test(size=SIZE) as pilot:
        await _into_meeting(pilot, None)
        talk = app.screen.query_one("#talk")
        panel = app.screen.query_one(LookForsPanel)
        assert talk.display and not panel.display
        await pilot.press("ctrl+l")
        await until(pilot, lambda: panel.display and not talk.display)
        assert app.screen.query_one("#step-pane").size.width >= 30
        await pilot.press("f7")
        await until(pilot, lambda: talk.display and not panel.display)
