"""The debrief in the meeting room: the poll first, then the ratings; the reveal and the
take-home exercise only at the end of the year.

Sessions are set up quickly from the weak Hudson transcript (a worked example: the pair
look only at the all-students view and never follow up), written to a temporary store
through :class:`simulator.session.client.Room`; the meeting is then closed, and the debrief played,
through the TUI with Pilot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_meetings import SIZE, close_meeting, events, screen_name, until
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TabbedContent

from simulator.formats.loading import builtin_dir
from simulator.session import store as store_module
from simulator.session.client import Room
from simulator.session.home import Home
from simulator.session.state import append_event
from simulator.session.transcript import load_transcript
from tui.app import PmsimApp

REPLICATIONS = 20
WEAK = builtin_dir() / "hudson-weak-transcript.yaml"
STRONG = builtin_dir() / "hudson-strong-transcript.yaml"


def seed_session(home: Path, *, through: str, close: bool = True, screen: str = "changes",
                 polls: bool = False, transcript_path: Path = WEAK) -> str:
    """A Hudson session holding a transcript's events (the weak one by default) up to
    the closing of meeting ``through`` (left open unless ``close``), on ``screen``; the
    poll of meeting ``through`` answered by both leads if ``polls``."""
    transcript = load_transcript(transcript_path)
    room = Room.new(Home(home), "hudson", transcript.seed, "both")
    sid = room.session_id
    for entry in transcript.events:
        kind, role = entry.event, entry.by  # type: ignore[attr-defined]
        payload = entry.model_dump(mode="json", exclude={"event", "by"})
        if kind in ("poll.answered", "takehome.answered"):
            continue
        if kind == "meeting.closed" and payload["meeting"] == through and not close:
            break
        append_event(room.store, sid, kind, role, payload)
        if kind == "meeting.closed" and payload["meeting"] == through:
            break
    for role in ("state", "district") if polls else ():
        append_event(room.store, sid, "poll.answered", role, {
            "meeting": through, "role": role, "went_well": f"The {role} lead's answer.",
            "improve": "Look beneath the average."})
    room.sync()
    last = room.scenario.calendar.meetings[-1].id
    if close:
        stage = "end" if through == last else f"debrief-{through.split('-')[-1]}"
        room.set_stage(stage, screen)
    else:
        room.set_stage(through, "meeting")
    room.close()
    return sid


def app_for(home: Path, sid: str, role: str = "both") -> PmsimApp:
    app = PmsimApp(session=sid, role=role, home=home, pace=0)
    app.report_replications = REPLICATIONS
    return app


def text(app: PmsimApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def shows(app: PmsimApp, selector: str) -> bool:
    """Whether ``selector`` is on screen (False while the screen is still composing)."""
    found = app.screen.query(selector)
    return bool(found) and found.first().display and not found.first().has_class("hidden")


async def answer_poll(pilot: Pilot, went_well: str, improve: str) -> None:
    app = pilot.app
    await until(pilot, lambda: shows(app, "#poll"))
    before = len(app.room.state.polls)
    app.screen.query_one("#went-well", Input).value = went_well
    app.screen.query_one("#improve", Input).value = improve
    await until(pilot, lambda: not app.screen.query_one("#poll-save").has_class("-active"))
    await pilot.click("#poll-save")
    await until(pilot, lambda: len(app.room.state.polls) > before)
    await pilot.pause()


async def ratings_shown(pilot: Pilot) -> None:
    await until(pilot, lambda: shows(pilot.app, "#debrief-tabs"), timeout=30)
    await pilot.pause()


def tab_shown(app: PmsimApp, pane: str) -> bool:
    return bool(app.screen.query_one(TabbedContent).get_tab(pane).display)


async def open_tab(pilot: Pilot, pane: str) -> None:
    await pilot.click(f"#--content-tab-{pane}")
    await pilot.pause()


def screen_text(app: PmsimApp) -> str:
    """Everything the debrief's Statics and options say (shown or not)."""
    texts = [str(w.render()) for w in app.screen.query(Static) if w.display]
    ratings = app.screen.query_one("#ratings", OptionList)
    texts += [str(ratings.get_option_at_index(i).prompt) for i in range(ratings.option_count)]
    return "\n".join(texts)


# --------------------------------------------------------------------------- Meeting #1


def test_meeting_1_debrief_asks_the_poll_first_then_shows_the_ratings(tmp_path: Path) -> None:
    asyncio.run(_meeting_1(tmp_path))


async def _meeting_1(home: Path) -> None:
    sid = seed_session(home, through="meeting-1", close=False)
    app = app_for(home, sid)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        await pilot.pause()
        await close_meeting(pilot)
        await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                    and not app.room.needs_simulation())
        await pilot.pause()
        await pilot.click("#to-debrief")
        await until(pilot, lambda: screen_name(app) == "DebriefScreen")
        await pilot.pause()
        screen = app.screen

        # The poll first: no rating anywhere on screen until both leads have answered.
        assert shows(app, "#poll") and not shows(app, "#debrief-tabs")
        assert app.room.event_role == "state"
        assert "State Turnaround Lead" in text(app, "#poll-who")
        assert not any(level in text(app, "#debrief-title")
                       for level in ("Inadequate", "Emerging", "Strong", "Exemplary"))
        await answer_poll(pilot, "We agreed a target quickly.", "Look beneath the average.")
        assert app.room.event_role == "district", "the District Lead answers next"
        assert "District Turnaround Lead" in text(app, "#poll-who")
        assert not shows(app, "#debrief-tabs")
        await answer_poll(pilot, "The plan was agreed.", "Follow up on the commitments.")
        await ratings_shown(pilot)

        # The ratings: eleven sub-elements in four elements, and the routine.
        ratings = screen.query_one("#ratings", OptionList)
        ids = [ratings.get_option_at_index(i).id for i in range(ratings.option_count)]
        assert [i for i in ids if i and not i.startswith("routine:")] == [
            "A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3"]
        assert [i for i in ids if i and i.startswith("routine:")] == [
            "routine:followup", "routine:performance-focus", "routine:action-on-performance"]
        report = screen.report
        assert report is not None and report["final"] is False and "reveal" not in report
        levels = {e["id"]: e["level"] for e in report["elements"]}
        a1 = str(ratings.get_option("A1").prompt)
        assert "A1" in a1 and levels["A1"] in a1
        assert f"{sum(v == 'Inadequate' for v in levels.values())} Inadequate" in text(
            app, "#debrief-title")
        # The detail pane opens on the first rating with a missed opportunity.
        first = next(e for e in report["elements"] if e["missed"])
        assert ratings.highlighted_option.id == first["id"]
        detail = text(app, "#rating-text")
        assert "Missed opportunities" in detail
        assert first["missed"][0][:40] in detail.replace("\n", " ")
        await pilot.press("down")
        await pilot.pause()
        nxt = ratings.highlighted_option.id
        assert nxt != first["id"] and report_item(report, nxt)["name"] in text(
            app, "#rating-text")

        # Outcomes in plain words; no reveal, no take-home before the end of the year.
        assert not tab_shown(app, "tab-reveal") and not tab_shown(app, "tab-takehome")
        await open_tab(pilot, "tab-outcomes")
        outcomes = text(app, "#outcomes")
        assert "Hudson Middle School" in outcomes and "points on benchmark" in outcomes
        assert "Business as usual" not in outcomes
        assert "could not decode" not in screen_text(app)
        await open_tab(pilot, "tab-poll")
        assert "Follow up on the commitments." in text(app, "#poll-answers")

        # Save the report: Markdown and HTML; the path in a notification only.
        await pilot.press("f7")
        reports = home / "reports"
        await until(pilot, lambda: len(list(reports.glob("*.html"))) == 1)
        await until(pilot, lambda: any("Saved the report" in n.message
                                       for n in app._notifications))
        md = (reports / f"pmsim-{sid}-meeting-1.md").read_text("utf-8")
        assert "Debrief after Meeting #1" in md and "Look beneath the average." in md
        assert "What was really going on" not in md
        assert not list(reports.glob(".*.tmp"))
        assert str(reports) not in screen_text(app)

    log = events(home, sid)
    polls = [(e.role, e.payload) for e in log if e.kind == "poll.answered"]
    assert polls == [
        ("state", {"meeting": "meeting-1", "role": "state",
                   "went_well": "We agreed a target quickly.",
                   "improve": "Look beneath the average."}),
        ("district", {"meeting": "meeting-1", "role": "district",
                      "went_well": "The plan was agreed.",
                      "improve": "Follow up on the commitments."}),
    ]
    assert log[-1].kind != "takehome.answered"

    # Resume: straight back to the debrief, the poll already answered.
    resumed = app_for(home, sid)
    async with resumed.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(resumed) == "DebriefScreen")
        await ratings_shown(pilot)
        assert not shows(resumed, "#poll")
        assert "Debrief after Meeting #1" in text(resumed, "#debrief-title")


def report_item(report: dict, item_id: str) -> dict:
    if item_id.startswith("routine:"):
        return next(r for r in report["routine"] if f"routine:{r['id']}" == item_id)
    return next(e for e in report["elements"] if e["id"] == item_id)


# --------------------------------------------------------------------------- the final debrief


def test_final_debrief_reveals_the_truths_and_takes_home_next_steps(tmp_path: Path) -> None:
    asyncio.run(_final(tmp_path))


async def _final(home: Path) -> None:
    sid = seed_session(home, through="meeting-2")
    app = app_for(home, sid)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                    and app.room.sim is not None and app.room.sim.finished)
        await pilot.pause()
        await pilot.press("f5")
        await until(pilot, lambda: screen_name(app) == "DebriefScreen")
        await pilot.pause()
        assert "The poll — Meeting #2" in text(app, "#poll-who")
        await answer_poll(pilot, "Both of us came prepared.", "Open the subgroup views.")
        await answer_poll(pilot, "Clear owners.", "Check what we promised.")
        await ratings_shown(pilot)
        screen = app.screen
        assert "Final debrief" in text(app, "#debrief-title")
        report = screen.report
        assert report["final"] is True

        # The reveal: each hidden truth, where the data showed it, whether they looked.
        assert tab_shown(app, "tab-reveal")
        await open_tab(pilot, "tab-reveal")
        reveal = text(app, "#reveal")
        for truth in report["reveal"]:
            assert truth["title"] in reveal
        assert "How clearly your data showed it" in reveal
        assert "Not opened" in reveal  # the weak pair never looked beneath the average
        await open_tab(pilot, "tab-outcomes")
        outcomes_text = text(app, "#outcomes")
        assert "Business as usual" in outcomes_text and "Best affordable bundle" in outcomes_text

        # The take-home: each lead in turn, two or three next steps.
        await open_tab(pilot, "tab-takehome")
        intro = text(app, "#takehome-intro")
        for prompt in ("From mock", "Data", "Routine", "Consequences"):
            assert prompt in intro
        assert app.room.event_role == "district"  # who answered the poll last
        await pilot.press("f6")
        await pilot.pause()
        assert "State Turnaround Lead" in text(app, "#takehome-who")
        screen.query_one("#takehome-name", Input).value = "Ada"
        screen.query_one("#step-1", Input).value = "Pull strand data for every school."
        screen.query_one("#step-2", Input).value = "Open with last meeting's commitments."
        await pilot.click("#takehome-save")
        await until(pilot, lambda: len(app.room.state.takehome) == 1)
        await pilot.pause()
        assert app.room.event_role == "district", "the District Lead's turn"
        assert "District Turnaround Lead" in text(app, "#takehome-who")
        for i, step in enumerate(("Name an owner for every step.", "Review targets monthly.",
                                  "Agree consequences in writing."), 1):
            screen.query_one(f"#step-{i}", Input).value = step
        await until(pilot, lambda: not screen.query_one("#takehome-save").has_class("-active"))
        await pilot.click("#takehome-save")
        await until(pilot, lambda: len(app.room.state.takehome) == 2)
        await pilot.pause()
        saved = text(app, "#takehome-saved")
        assert "Ada (State Turnaround Lead)" in saved and "3. Agree consequences" in saved

        await pilot.press("f7")
        md_path = home / "reports" / f"pmsim-{sid}-final.md"
        await until(pilot, lambda: md_path.exists())
        md = md_path.read_text("utf-8")
        assert "What was really going on" in md and "Agree consequences in writing." in md

    log = events(home, sid)
    polls = [e.payload for e in log if e.kind == "poll.answered"]
    assert [(p["meeting"], p["role"]) for p in polls] == [
        ("meeting-2", "state"), ("meeting-2", "district")]
    takehome = [(e.role, e.payload) for e in log if e.kind == "takehome.answered"]
    assert takehome == [
        ("state", {"role": "state", "participant": "Ada",
                   "steps": ["Pull strand data for every school.",
                             "Open with last meeting's commitments."]}),
        ("district", {"role": "district", "participant": "",
                      "steps": ["Name an owner for every step.", "Review targets monthly.",
                                "Agree consequences in writing."]}),
    ]
    stages = [(e.payload["stage"], e.payload["screen"]) for e in log
              if e.kind == "stage.changed"]
    assert stages[-1] == ("end", "debrief")


def test_a_second_terminal_answers_for_its_own_role_only(tmp_path: Path) -> None:
    asyncio.run(_one_role(tmp_path))


async def _one_role(home: Path) -> None:
    sid = seed_session(home, through="meeting-1", screen="debrief")
    app = app_for(home, sid, role="district")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "DebriefScreen")
        await pilot.pause()
        assert "District Turnaround Lead" in text(app, "#poll-who")
        await answer_poll(pilot, "", "Ask for the strand data.")
        await ratings_shown(pilot)  # the State Lead's answer is theirs to give, elsewhere
    polls = [(e.role, e.payload["improve"]) for e in events(home, sid)
             if e.kind == "poll.answered"]
    assert polls == [("district", "Ask for the strand data.")]


# --------------------------------------------------------------------------- snapshots


@pytest.fixture
def fixed_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_new_session_id", lambda: "snapshot")


async def _debrief_ready(pilot: Pilot) -> None:
    await until(pilot, lambda: screen_name(pilot.app) == "DebriefScreen", timeout=30)
    await ratings_shown(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def test_snapshot_debrief_meeting_1(snap_compare, tmp_path: Path, fixed_id: None) -> None:
    sid = seed_session(tmp_path, through="meeting-1", screen="debrief", polls=True)
    assert snap_compare(app_for(tmp_path, sid), terminal_size=SIZE, run_before=_debrief_ready)


def test_snapshot_debrief_final(snap_compare, tmp_path: Path, fixed_id: None) -> None:
    """The strong playthrough's final debrief, in the light theme."""
    sid = seed_session(tmp_path, through="meeting-2", screen="debrief", polls=True,
                       transcript_path=STRONG)
    app = app_for(tmp_path, sid)
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=SIZE, run_before=_debrief_ready)
