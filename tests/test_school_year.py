"""A scenario's calendar says which days its year stands for; due dates fall inside it."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.formats.loading import ScenarioError, builtin_dir, parse_scenario
from simulator.formats.routine import default_due, due_problem, due_window, meeting_date

HUDSON = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")
QUARTERS = "calendar:\n  quarters:\n"


def with_year(year: str) -> str:
    assert HUDSON.count(QUARTERS) == 1
    return HUDSON.replace(QUARTERS, f"calendar:\n  school_year: {year}\n  quarters:\n")


def test_without_a_school_year_the_calendar_stands_for_september_to_june() -> None:
    calendar = parse_scenario(HUDSON.encode()).calendar
    assert (calendar.school_year.starts, calendar.school_year.ends) == (
        date(2026, 9, 1), date(2027, 6, 30))


def test_a_declared_school_year_places_meetings_and_due_dates_in_it() -> None:
    calendar = parse_scenario(with_year("{starts: 2025-08-18, ends: 2026-05-29}").encode()
                              ).calendar
    first = meeting_date(calendar, "meeting-1")  # after Q2, half the year: 142 of 284 days
    assert first == date(2026, 1, 7)
    assert due_window(calendar, "meeting-2")[1] == date(2026, 5, 29)  # the last meeting
    assert default_due(calendar, "meeting-1") == meeting_date(calendar, "meeting-2").isoformat()
    assert due_problem(calendar, "meeting-1", "2026-09-01") is not None  # the default year's
    assert due_problem(calendar, "meeting-1", default_due(calendar, "meeting-1")) is None


@pytest.mark.parametrize(("year", "says"), [
    ("{starts: 2026-09-01, ends: 2026-08-01}", "a school year runs 60 to 400 days"),
    ("{starts: 2026-09-01, ends: 2028-09-01}", "a school year runs 60 to 400 days"),
    ("{starts: 2026-09-31, ends: 2027-06-30}", "date"),
    ("{starts: 2026-09-01}", "ends"),
])
def test_a_school_year_that_is_not_one_is_refused_at_its_place(year: str, says: str) -> None:
    text = with_year(year)
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(text.encode(), "mine.yaml")
    [problem] = refused.value.lines()
    line = text[:text.index("school_year")].count("\n") + 1
    assert problem.startswith(f"mine.yaml:{line}:") and says in problem, problem
