"""Keyboard alone is enough: boxes show their state in their shape, Enter presses the
dialog button it is on, Tab walks an action step's fields without losing a key, long
records wrap, due dates are real dates of the calendar, and the debrief reads at 80×24."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_forms_records import meeting_at, minutes_of, recorded_at_meeting_1
from test_tui_debrief import STRONG, _debrief_ready, app_for, seed_session
from test_tui_meetings import SIZE, until
from textual.app import App, ComposeResult
from textual.widgets import Input, OptionList, Static

from simulator.formats.loading import load_scenario
from simulator.formats.routine import DECISION, due_problem, due_window
from tui.app import PmsimApp
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.forms import RecordForm, TickBox

CALENDAR = load_scenario("hudson").scenario.calendar


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


# --------------------------------------------------------------------------- tick boxes


class _DecisionForm(App[None]):
    def compose(self) -> ComposeResult:
        yield RecordForm(DECISION)

    def on_mount(self) -> None:
        self.query_one(RecordForm).set_options("grades", [("6", "6"), ("7", "7")])


def test_ticked_and_unticked_boxes_differ_in_shape_not_only_colour() -> None:
    app = _DecisionForm()

    async def run() -> None:
        async with app.run_test(size=(80, 20)) as pilot:
            form = app.query_one(RecordForm)
            await until(pilot, lambda: len(form.checkboxes("grades")) == 2)
            form.set_checked("grades", ["6"])
            await pilot.pause()
            six, seven = form.checkboxes("grades")
            assert isinstance(six, TickBox)
            assert six.render().plain.startswith("[X]")
            assert seven.render().plain.startswith("[ ]")
            seven.focus()
            await pilot.press("space")
            assert seven.value and seven.render().plain.startswith("[X]")

    asyncio.run(run())


# --------------------------------------------------------------------------- dialogs


class _Asks(App[None]):
    answer: bool | None = None

    def on_mount(self) -> None:
        self.push_screen(ConfirmScreen("Remove it?", yes="Remove"), self._answered)

    def _answered(self, answer: bool | None) -> None:
        self.answer = answer


@pytest.mark.parametrize(("focus", "answer"), [("#yes", True), ("#no", False), (None, False)])
def test_enter_does_what_the_focused_dialog_button_says(focus: str | None,
                                                         answer: bool) -> None:
    """Enter on a button presses it; with no button focused (a click beside them) Enter
    gives the safe answer the dialog opened on, rather than nothing at all."""
    app = _Asks()

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            app.screen.set_focus(app.screen.query_one(focus) if focus else None)
            await pilot.pause()
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
            assert app.answer is answer

    asyncio.run(run())


# --------------------------------------------------------------------------- the meeting


def test_tab_walks_an_action_step_and_every_key_typed_is_kept(tmp_path: Path) -> None:
    """On main the due date was a choice list between the owner and the metric: the metric
    typed after Tab went into the closed list (its space opened it, the rest searched it)
    and was lost. Every field of an action step now takes what is typed."""
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            meeting = await meeting_at(pilot, "actions")
            meeting.query_one("#action-step", Input).focus()
            due = meeting.query_one("#action-due", Input)
            assert due.value == "2027-04-15"  # the next meeting, where it is followed up
            await pilot.press(*"Screen readers", "tab", *"Dana", "tab")
            assert app.focused is due
            await pilot.press("ctrl+a", "ctrl+k", *"2027-03-01", "tab")
            await pilot.press(*"students screened", "tab", *"all 140", "enter")
            await until(pilot, lambda: app.room.records("meeting-1", ("action",)))
            [(_, record)] = app.room.records("meeting-1", ("action",))
            assert record.fields == {"step": "Screen readers", "owner": "Dana",
                                     "due": "2027-03-01", "metric": "students screened",
                                     "target": "all 140"}
            assert due.value == "2027-04-15"  # cleared back to the default for the next

    asyncio.run(run())


@pytest.mark.parametrize(("typed", "says"), [
    ("next week", "'next week' is not a date"),
    ("2027-02-30", "'2027-02-30' is not a date"),
    ("2027-05-01", "after Meeting #2 (2027-04-15)"),
    ("2026-12-01", "before this meeting (2027-01-30)"),
])
def test_a_due_date_outside_the_calendar_is_refused_with_the_reason(
        tmp_path: Path, typed: str, says: str) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            meeting = await meeting_at(pilot, "actions")
            form = meeting.query_one("#action", RecordForm)
            for name, value in (("step", "Screen"), ("owner", "Dana"), ("due", typed),
                                ("metric", "screened"), ("target", "all")):
                form.set_value(name, value)
            form.submit()
            await pilot.pause()
            assert says in str(meeting.query_one("#action-hint", Static).render())
            assert form.widget("due").value == typed  # kept to be corrected, not lost
            assert not app.room.records("meeting-1", ("action",))

    asyncio.run(run())


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 1, 1)),
       meeting=st.sampled_from([m.id for m in CALENDAR.meetings]))
def test_a_due_date_is_accepted_exactly_inside_its_window(day: date, meeting: str) -> None:
    first, last, limit = due_window(CALENDAR, meeting)
    year = CALENDAR.school_year
    assert year.starts <= first <= last <= year.ends
    problem = due_problem(CALENDAR, meeting, day.isoformat())
    if first <= day <= last:
        assert problem is None
    else:
        assert problem is not None
        assert (limit if day > last else "before this meeting") in problem
        assert (last if day > last else first).isoformat() in problem


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=20))
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    problem = due_problem(CALENDAR, "meeting-1", text)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        assert problem is not None and "is not a date" in problem
    else:
        first, last, _ = due_window(CALENDAR, "meeting-1")
        assert (problem is None) == (first <= day <= last)


def test_long_records_wrap_and_show_as_typed_in_the_minutes(tmp_path: Path) -> None:
    statement = ("English learners in grades six and seven read well below their peers in "
                 "every strand, most of all in vocabulary and word study, and the gap has "
                 "widened since the autumn benchmark [bold]x[/] \x1b[31m until zebrafinch")
    app, rid = recorded_at_meeting_1(tmp_path, "state", "finding", {
        "view": "reading/hudson-ms/all", "statement": statement, "about": "performance"})

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            table = await minutes_of(pilot, "performance")
            await until(pilot, lambda: table.rows[rid].height > 2)
            shown = table.get_cell(rid, "record")
            assert "[bold]x[/]" in shown.plain and "\x1b" not in shown.plain
            width = sum(c.get_render_width(table) for c in table.ordered_columns)
            assert width <= table.size.width  # wrapped: nothing runs off to the right
            assert "zebrafinch" in app.export_screenshot()

    asyncio.run(run())


# --------------------------------------------------------------------------- the debrief


def test_the_final_debrief_reads_at_80_by_24(tmp_path: Path) -> None:
    sid = seed_session(tmp_path, through="meeting-2", screen="debrief", polls=True,
                       transcript_path=STRONG)
    app = app_for(tmp_path, sid)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _debrief_ready(pilot)
            screen = app.screen
            detail = screen.query_one("#rating-detail")
            ratings = screen.query_one("#ratings", OptionList)
            # The evidence stands under the list at full width, not in a strip beside it.
            assert detail.region.width >= 70 and ratings.region.width >= 70
            assert detail.region.bottom <= 24 - 3 and detail.region.height >= 6
            # Every sub-element is reachable from the keyboard, its evidence beside it.
            ratings.focus()
            await pilot.pause()
            ids = [o.id for o in ratings.options if o.id]
            await pilot.press("end")
            await pilot.pause()
            last = ratings.get_option_at_index(ratings.highlighted or 0)
            assert last.id == ids[-1]
            name = screen._items[ids[-1]]["name"]
            assert name in " ".join(str(screen.query_one("#rating-text").render()).split())

    asyncio.run(run())


def test_letters_typed_on_a_closed_choice_list_are_not_lost_unnoticed(tmp_path: Path) -> None:
    """The other forms keep choice lists between text fields (a stakeholder's "Approach"):
    a letter typed on one, closed, says it is a list instead of vanishing."""
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            meeting = await meeting_at(pilot, "stakeholders")
            form = meeting.query_one("#stakeholder", RecordForm)
            form.widget("party").value = "stakeholder"
            form.widget("who").value = "Families"
            meeting.query_one("#stakeholder-do", Input).focus()
            await pilot.press(*"visit", "tab")
            await pilot.press(*"monthly")
            hint = str(meeting.query_one("#stakeholder-hint", Static).render())
            assert "Approach is a list to choose from" in hint
            await pilot.press("enter")  # opens it (on the blank); ↓ Enter takes the first way
            await pilot.pause()
            await pilot.press("down", "enter")
            await pilot.pause()
            assert str(meeting.query_one("#stakeholder-hint", Static).render()) == ""
            await pilot.press("tab", *"monthly", "enter")
            await until(pilot, lambda: app.room.records("meeting-1", ("stakeholder",)))
            [(_, record)] = app.room.records("meeting-1", ("stakeholder",))
            assert record.fields == {"party": "stakeholder", "who": "Families", "do": "visit",
                                     "how": "Inform", "message": "monthly"}

    asyncio.run(run())
