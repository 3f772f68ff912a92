"""Solo practice in the meeting room, driven with Pilot: the intent before the meeting,
the conversation pane (free text and menu moves), the persona's decisions in the
minutes, hints, resuming, and the debrief opening on the after-action review."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_tui_debrief import answer_poll, shows
from test_tui_meetings import close_meeting, screen_name, until
from textual.widgets import Input, Select, Static

from simulator.counterpart.solo import Solo
from simulator.session.client import Room
from simulator.session.home import Home
from tui.app import PmsimApp

SIZE = (140, 45)


def _log(app: PmsimApp) -> list[str]:
    return [str(s.render()) for s in app.screen.query("#talk-log Static")]


async def _say(pilot, text: str) -> None:
    app = pilot.app
    before = len(app.room.state.turns)
    box = app.screen.query_one("#talk-input", Input)
    box.focus()
    box.value = text
    await pilot.press("enter")
    await until(pilot, lambda: len(app.room.state.turns) == before + 1)
    await pilot.pause()


async def _into_meeting(pilot, intent: str | None) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                and app.room.sim is not None)
    await pilot.press("f4")
    await until(pilot, lambda: screen_name(app) == "IntentScreen")
    if intent is None:
        await pilot.press("escape")
    else:
        app.screen.query_one("#intent-text", Input).value = intent
        await pilot.press("enter")
    await until(pilot, lambda: screen_name(app) == "MeetingScreen")
    await pilot.pause()


def test_a_whole_solo_meeting_from_intent_to_review(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0, solo="state")
    app.report_replications = 4

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _into_meeting(pilot, "Find who is behind, and agree one targeted fix")
            room = app.room
            assert room.solo == {"role": "state", "persona": "literacy-veteran"}
            assert room.role == "state"
            assert room.state.intents == {
                "meeting-1": "Find who is behind, and agree one targeted fix"}
            # The persona opens, in its own words.
            assert "Ruth Calloway" in _log(app)[0]

            await _say(pilot, "Can we look at reading by subgroup at Hudson Middle?")
            await _say(pilot, "What do you think is behind the English learners' strand "
                              "scores? Let's work it out together.")
            log = _log(app)
            assert log[1].startswith("You: Can we look at reading by subgroup")
            assert "Ruth Calloway" in log[2] and len(log) == 5

            # A menu move: propose a strategy, chosen from the list.
            screen = app.screen
            screen.query_one("#talk-move", Select).value = "propose-strategy"
            await pilot.pause()
            about = screen.query_one("#talk-about", Select)
            assert about.display
            about.value = "structured-literacy"
            await pilot.pause()
            await pilot.click("#talk-say")
            await until(pilot, lambda: len(app.room.state.turns) == 3)
            turn = room.state.turns[-1]
            assert turn["move"]["move"] == "propose-strategy"
            assert turn["move"]["strategy"] == "structured-literacy"
            # The persona's decision is its own, in the minutes like a human's.
            made = room.state.made["meeting-1"]
            assert [(d.payload["strategy"], room.state.records[str(d.record_id)].role)
                    for d in made] == [("structured-literacy", "district")]

            # Hints: F9 shows what a skilled lead would ask next; the next turn records it.
            await pilot.press("f9")
            await pilot.pause()
            hint = str(screen.query_one("#talk-hint", Static).render())
            assert hint.startswith("Hint: ")
            await _say(pilot, "Who will own this, and by when?")
            assert room.state.turns[-1]["hint"] == hint.removeprefix("Hint: ")

            await close_meeting(pilot)
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and not app.room.needs_simulation(), timeout=30)
            await pilot.pause()
            await pilot.click("#to-debrief")
            await until(pilot, lambda: screen_name(app) == "DebriefScreen")
            await answer_poll(pilot, "We found the strand.", "Ask about implementation.")
            await until(pilot, lambda: shows(app, "#debrief-tabs"), timeout=60)
            review = str(app.screen.query_one("#review", Static).render())
            assert "Practice with Ruth Calloway" in review
            assert "What you meant to achieve: “Find who is behind" in review
            assert "exchanges" in review and "Why:" in review
            assert "you used hints at exchange 4" in review

    asyncio.run(run())


def test_a_solo_session_resumes_where_the_conversation_was(tmp_path: Path) -> None:
    home = Home.locate(tmp_path)
    room = Room.new(home, "hudson", 1, solo={"role": "district", "persona": "state-lead"})
    room.simulate(room.plan())
    solo = Solo.of(room)
    assert solo is not None and solo.persona_role == "state"
    solo.write_intent("meeting-1", "Show the State what we are doing about reading")
    first = solo.say("meeting-1", "Our reading data by subgroup show English learners behind.")
    sid = room.session_id
    room.close()

    app = PmsimApp(session=sid, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.room is not None and app.room.sim is not None)
            assert app.room.role == "district" and app.solo is not None
            await pilot.press("f4")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await pilot.pause()
            # The intent was written: no dialog; the log shows the saved exchange.
            assert screen_name(app) == "MeetingScreen"
            log = _log(app)
            assert log[1] == "You: Our reading data by subgroup show English learners behind."
            assert first.reply in log[2]
            # The conversation picks up with the persona's state as it was.
            assert app.solo.conversation("meeting-1").dials == first.dials

    asyncio.run(run())


def test_later_puts_the_intent_off_until_the_meeting_is_shown_again(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0, solo="state")

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _into_meeting(pilot, None)
            assert app.room.state.intents == {}
            await pilot.press("f2")
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            await pilot.press("f4")
            await until(pilot, lambda: screen_name(app) == "IntentScreen")

    asyncio.run(run())


def test_a_pair_session_has_no_conversation_pane(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                        and app.room.sim is not None)
            await pilot.press("f4")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            assert not app.screen.query("#talk")
            assert not app.screen.check_action("toggle_talk", ())
            offered = {b.binding.action for b in app.active_bindings.values() if b.enabled}
            assert "toggle_talk" not in offered and "toggle_hints" not in offered

    asyncio.run(run())


def test_practise_alone_from_the_home_screen(tmp_path: Path) -> None:
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: screen_name(app) == "HomeScreen")
            await until(pilot, lambda: not app.screen.query_one("#scenarios").option_count
                        or app.screen.query_one("#scenarios").highlighted is not None)
            await pilot.press("a")
            await until(pilot, lambda: screen_name(app) == "PractiseScreen")
            role = app.screen.query_one("#practise-role", Select)
            role.value = "district"
            await pilot.pause()
            persona = app.screen.query_one("#practise-persona", Select)
            assert persona.value == "state-lead"  # the default State Lead, first
            await pilot.click("#start")
            await until(pilot, lambda: app.room is not None and app.room.sim is not None)
            assert app.room.solo == {"role": "district", "persona": "state-lead"}

    asyncio.run(run())
