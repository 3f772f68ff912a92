"""The meeting room end to end: Hudson's two meetings played through the TUI with Pilot.

Each test runs the app against a temporary store and asserts on the events the
store holds and on what the screens show.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from simulator.engine import dashboard as figures
from simulator.session.home import Home, open_store
from tui.app import PmsimApp
from tui.widgets.forms import RecordForm

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


async def until(pilot: Pilot, check: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until ``check()`` is true; a widget not mounted yet (NoMatches)
    counts as not yet, so a check may query a screen that is still being switched to."""
    deadline = time.monotonic() + timeout
    while not _holds(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        await pilot.pause(0.05)


async def open_from_briefing(pilot: Pilot, key: str, screen: str) -> None:
    """Wait for a new session's briefing (its first quarters simulated), then press
    ``key`` and wait for ``screen``."""
    app = pilot.app
    await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                and app.room.sim is not None)
    await pilot.press(key)
    await until(pilot, lambda: screen_name(app) == screen)


def _holds(check: Callable[[], object]) -> bool:
    try:
        return bool(check())
    except NoMatches:
        return False


def screen_name(app: PmsimApp) -> str:
    return type(app.screen).__name__


def events(home: Path, session_id: str) -> list:
    with open_store(None, Home(home)) as store:
        return store.events(session_id)


def text_of(app: PmsimApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def fill(pilot: Pilot, form_id: str, **values: str) -> None:
    """Fill a record form (selects by value, inputs by typing) and press its button."""
    form = pilot.app.screen.query_one(f"#{form_id}", RecordForm)
    for name, value in values.items():
        widget = form.widget(name)
        widget.value = value
    await pilot.pause()
    await pilot.click(f"#{form_id}-save")
    await pilot.pause()


async def close_meeting(pilot: Pilot) -> None:
    """Close the meeting from its dialog, then let time pass (rather than undo the close)."""
    await pilot.press("f10")
    await until(pilot, lambda: screen_name(pilot.app) == "ClosingScreen")
    await pilot.click("#close")
    await until(pilot, lambda: screen_name(pilot.app) == "ClosedScreen")
    await pilot.click("#go-on")


async def start_hudson(pilot: Pilot) -> PmsimApp:
    app = pilot.app
    await until(pilot, lambda: screen_name(app) == "BriefingScreen")
    return app  # type: ignore[return-value]


async def play_meeting_1(pilot: Pilot, home: Path) -> str:
    app = await start_hudson(pilot)
    room = app.room
    sid = room.session_id

    # The dashboard: the default view, then the subgroup breakdown.
    await pilot.press("f3")
    await until(pilot, lambda: screen_name(app) == "DashboardScreen")
    await pilot.pause()
    assert "Reading Benchmark Assessment – Hudson Middle School" in text_of(app, "#view-title")
    await pilot.press("g", "g")
    await pilot.pause()
    assert "by subgroup" in text_of(app, "#view-title")
    grid = app.screen.query_one("#figures", DataTable)
    labels = [str(grid.get_row_at(i)[0]) for i in range(grid.row_count)]
    assert "English learners" in labels
    await pilot.press("g")
    await pilot.pause()
    assert "by strand" in text_of(app, "#view-title")
    # The roster: every Hudson MS student, sortable, built off the UI thread.
    await pilot.press("s")
    roster = app.screen.query_one("#roster", DataTable)
    await until(pilot, lambda: roster.row_count == 412)
    await pilot.click("#roster", offset=(2, 0))
    await pilot.press("s")
    await pilot.pause()

    # The meeting, step by step.
    await pilot.press("f4")
    await until(pilot, lambda: screen_name(app) == "MeetingScreen")
    await pilot.pause()
    meeting = app.screen
    await fill(pilot, "target", metric="pct:reading:hudson-ms:el", target="25", by="end of Q4")
    assert room.records("meeting-1", ("target",)), "the target was not saved"
    target = room.records("meeting-1", ("target",))[0][1]
    baseline = figures.metric_value(room.sim, "pct:reading:hudson-ms:el")
    assert baseline is not None
    assert target.fields == {"metric": "pct:reading:hudson-ms:el", "baseline": f"{baseline:g}",
                             "target": "25", "by": "end of Q4",
                             "metric_label": "Reading % on benchmark – English learners"}

    meeting.show_step("performance")
    await pilot.pause()
    await fill(pilot, "perf", view="reading/hudson-ms/strand",
               statement="Word study lags the other strands")
    meeting.show_step("decisions")
    await pilot.pause()
    await fill(pilot, "decision", strategy="structured-literacy", action="adopt", owner="Dana")
    meeting.show_step("actions")
    await pilot.pause()
    await fill(pilot, "action", step="Screen grade 6-7 readers for decoding", owner="Dana",
               due="2027-04-09", metric="students screened", target="100%")
    meeting.show_step("stakeholders")
    await pilot.pause()
    await fill(pilot, "stakeholder", party="stakeholder", who="Families of English learners",
               how="Involve")

    minutes = meeting.query_one("#minutes-stakeholders", DataTable)
    assert minutes.row_count == 1

    await close_meeting(pilot)
    await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                and app.room.sim is not None and app.room.sim.quarters_done == 3)
    await until(pilot, lambda: "What changed since Meeting #1" in text_of(app, "#changes-title"))

    kinds = [e.kind for e in events(home, sid)]
    assert kinds.count("record.added") == 5
    assert kinds.count("decision.made") == 1
    assert "view.opened" in kinds
    assert kinds.index("meeting.closed") > kinds.index("decision.made")
    return sid


def test_meeting_1_records_every_step_as_events(tmp_path: Path) -> None:
    asyncio.run(_meeting_1(tmp_path))


async def _meeting_1(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    async with app.run_test(size=SIZE) as pilot:
        sid = await play_meeting_1(pilot, tmp_path)
        log = events(tmp_path, sid)
        views = {e.payload["view"] for e in log if e.kind == "view.opened"}
        assert {"reading/hudson-ms/all", "reading/hudson-ms/subgroup",
                "reading/hudson-ms/strand"} <= views
        decision = next(e for e in log if e.kind == "decision.made")
        [(minute, _)] = app.room.records("meeting-1", ("decision",))
        assert decision.payload == {"meeting": "meeting-1", "strategy": "structured-literacy",
                                    "action": "adopt", "options": {}, "record_id": minute}
        stages = [e.payload["stage"] for e in log if e.kind == "stage.changed"]
        assert stages[-1] == "debrief-1"
        assert "meeting-1" in stages


def test_meeting_2_follows_up_and_ends_the_year_then_resumes(tmp_path: Path) -> None:
    asyncio.run(_meeting_2(tmp_path))


async def _meeting_2(tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)
    async with app.run_test(size=SIZE) as pilot:
        sid = await play_meeting_1(pilot, tmp_path)
        await pilot.click("#continue")
        await until(pilot, lambda: screen_name(app) == "BriefingScreen")
        await pilot.pause()
        assert "Meeting #2" in text_of(app, "#meeting-card")
        await pilot.click("#start")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        await pilot.pause()
        meeting = app.screen
        # Meeting #2 opens on the follow-up of Meeting #1's commitments.
        assert meeting.query_one("#steps").current == "step-followup"
        rows = list(meeting.query(".followup-row"))
        assert len(rows) == 1
        action_id = rows[0].id.removeprefix("fu-")
        meeting.query_one(f"#fu-status-{action_id}", Select).value = "done"
        await pilot.pause()
        await pilot.click(f"#fu-save-{action_id}")
        await pilot.pause()
        followups = app.room.records("meeting-2", ("followup",))
        assert [r.fields["record_id"] for _, r in followups] == [action_id]
        assert followups[0][1].fields["status"] == "done"

        meeting.show_step("decisions")
        await pilot.pause()
        await fill(pilot, "decision", strategy="structured-literacy", action="continue",
                   owner="Dana")
        await fill(pilot, "decision", strategy="balanced-literacy", action="stop",
                   owner="Dana")
        assert "not running" in str(meeting.query_one("#decision-hint", Static).render())

        await close_meeting(pilot)
        await until(pilot, lambda: app.room.sim is not None and app.room.sim.finished)
        await until(pilot, lambda: "End-of-year results" in text_of(app, "#changes-title"))
        table = app.screen.query_one("#changes-table", DataTable)
        assert [c.label.plain for c in table.columns.values()][1:5] == [
            "Q1", "Q2", "Q3 ◆", "Q4"]

    log = events(tmp_path, sid)
    decisions = [e.payload for e in log if e.kind == "decision.made"]
    assert [(d["meeting"], d["strategy"], d["action"]) for d in decisions] == [
        ("meeting-1", "structured-literacy", "adopt"),
        ("meeting-2", "structured-literacy", "continue"),
    ]
    assert [e.payload["meeting"] for e in log if e.kind == "meeting.closed"] == [
        "meeting-1", "meeting-2"]

    # Resume: the same screen, the same numbers (replayed from the events).
    resumed = PmsimApp(session=sid, home=tmp_path, pace=0)
    async with resumed.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(resumed) == "ChangesScreen"
                    and "End-of-year" in text_of(resumed, "#changes-title"))
        sim = resumed.room.sim
        assert sim.finished
        assert [q.quarter.label for q in sim.history] == ["Q1", "Q2", "Q3", "Q4"]
        assert set(sim.active) == {"structured-literacy"}


def test_unknown_session_exits_with_a_message(tmp_path: Path) -> None:
    app = PmsimApp(session="nosuchid", home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.return_code is not None)

    asyncio.run(run())
    assert app.return_code == 1
