"""Targeted decisions, and who is speaking at a shared terminal."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_tui_meetings import open_from_briefing
from textual.widgets import Button, DataTable, Static

from simulator.engine.simulation import Decision, Simulation
from simulator.session.home import Home, open_store
from tui.app import PmsimApp
from tui.widgets.forms import RecordForm

SIZE = (100, 30)


async def _decisions(pilot) -> None:
    await open_from_briefing(pilot, "f4", "MeetingScreen")
    pilot.app.screen.show_step("decisions")
    await pilot.pause()


def _hint(app: PmsimApp) -> str:
    return str(app.screen.query_one("#decision-hint", Static).render())


def _events(home: Path, sid: str, kind: str) -> list:
    with open_store(None, Home(home)) as store:
        return [e for e in store.events(sid) if e.kind == kind]


def _served(app: PmsimApp, decision: Decision) -> int:
    """Students the engine itself serves when the decision is taken now."""
    sim = Simulation(app.room.scenario, seed=app.room.state.seed)
    sim.run_until_meeting()
    sim.decide([decision])
    return int(sim.active[decision.strategy].served.sum())


def test_a_decision_targets_grades_subgroups_and_capacity(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await _decisions(pilot)
            form = app.screen.query_one("#decision", RecordForm)
            form.widget("strategy").value = "structured-literacy"
            form.widget("action").value = "adopt"
            await pilot.pause()
            everyone = _served(app, Decision("structured-literacy"))
            assert f"{everyone} students" in _hint(app)
            for box in ("grades-6", "grades-7", "subgroups-el", "subgroups-swd"):
                await pilot.click(f"#decision-{box}")
            await pilot.pause()
            hint = _hint(app)
            targeted = _served(app, Decision("structured-literacy", "adopt", (6, 7),
                                             ("el", "swd")))
            assert f"{targeted} students" in hint
            assert f"${40_000 + 350 * targeted:,}" in hint  # fixed + per student served
            assert "grades 6, 7" in hint and "English learners" in hint
            form.widget("owner").value = "Dana"
            await pilot.click("#decision-save")
            await pilot.pause()
            minutes = app.screen.query_one("#minutes-decisions", DataTable)
            assert minutes.row_count == 1
            line = str(minutes.get_row_at(0)[1])
            assert "serves grades 6, 7 · EL, SWD — owner Dana" in line
            assert f"{targeted} students" in line
            assert [b.value for b in form.checkboxes("grades")] == [False] * 3  # cleared

            # A capacity must be a whole number of students: nothing saved otherwise.
            form.widget("strategy").value = "after-school-tutoring"
            form.widget("action").value = "adopt"
            form.widget("owner").value = "Lee"
            form.widget("capacity").value = "0"
            await pilot.pause()
            await pilot.click("#decision-save")
            await pilot.pause()
            assert "whole number" in _hint(app)
            assert minutes.row_count == 1
            form.widget("capacity").value = "40"
            await pilot.pause()
            assert "40 students" in _hint(app)
            await pilot.click("#decision-save")
            await pilot.pause()
            assert minutes.row_count == 2
            resources = str(app.screen.query_one("#resources", Static).render())
            budget = 40_000 + 350 * targeted + 20_000 + 600 * 40
            assert f"Budget ${budget:,}" in resources
            return app.room.session_id

    sid = asyncio.run(run())
    minutes = [e.payload["record_id"] for e in _events(tmp_path, sid, "record.added")
               if e.payload["kind"] == "decision"]
    made = [e.payload for e in _events(tmp_path, sid, "decision.made")]
    assert made == [
        {"meeting": "meeting-1", "strategy": "structured-literacy", "action": "adopt",
         "options": {"grades": [6, 7], "subgroups": ["el", "swd"]}, "record_id": minutes[0]},
        {"meeting": "meeting-1", "strategy": "after-school-tutoring", "action": "adopt",
         "options": {"capacity": 40}, "record_id": minutes[1]},
    ]


def test_the_speaker_at_a_shared_terminal_is_the_events_role(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> str:
        async with app.run_test(size=SIZE) as pilot:
            await _decisions(pilot)
            screen = app.screen
            speaker = screen.query_one("#speaker", Button)
            assert str(speaker.label).startswith("Speaking as: State")
            assert "speaking as State" in screen.sub_title
            screen.show_step("stakeholders")
            await pilot.pause()
            form = screen.query_one("#stakeholder", RecordForm)
            form.widget("party").value = "stakeholder"
            form.widget("who").value = "School board"
            form.widget("how").value = "Inform"
            await pilot.click("#stakeholder-save")
            await pilot.pause()

            await pilot.press("f6")  # the District Lead speaks now
            await pilot.pause()
            assert str(speaker.label).startswith("Speaking as: District")
            assert "speaking as District" in screen.sub_title
            form.widget("who").value = "Hudson MS families"
            form.widget("how").value = "Involve"
            await pilot.click("#stakeholder-save")
            await pilot.pause()
            minutes = screen.query_one("#minutes-stakeholders", DataTable)
            assert [str(minutes.get_row_at(i)[0]) for i in range(2)] == ["State", "District"]

            await pilot.click("#speaker")  # the widget switches too
            await pilot.pause()
            assert app.room.event_role == "state"
            return app.room.session_id

    sid = asyncio.run(run())
    records = _events(tmp_path, sid, "record.added")
    assert [(e.role, e.payload["fields"]["who"]) for e in records] == [
        ("state", "School board"), ("district", "Hudson MS families")]
    with open_store(None, Home(tmp_path)) as store:
        assert "both" not in {e.role for e in store.events(sid)[1:]}


def test_a_single_role_terminal_cannot_switch_speaker(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0, role="district")

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _decisions(pilot)
            speaker = app.screen.query_one("#speaker", Button)
            assert str(speaker.label) == "Speaking as: District" and speaker.disabled
            await pilot.press("f6")
            await pilot.pause()
            assert app.room.event_role == "district"
            assert app.check_action("switch_speaker", ()) is False

    asyncio.run(run())
