"""Progress: a participant's attempts over time, levels per element, oldest first."""

from __future__ import annotations

import pytest

from simulator.debrief.models import Debrief, Rating
from simulator.debrief.progress import progress
from simulator.formats.loading import load_scenario
from simulator.render.text import progress_table
from simulator.session.home import Home, open_store
from simulator.session.state import append_event

LEVELS = ["Inadequate", "Emerging", "Strong", "Exemplary"]
IDS = ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3"]


def by_views(scenario, state, *, upto_meeting=None, played=None) -> Debrief:
    """Stand-in rubric: one level up for each dashboard view opened (capped)."""
    level = LEVELS[min(len(state.views_opened), 3)]
    return Debrief(upto_meeting=upto_meeting, routine=[], elements=[
        Rating(id=i, element="", name=i, level=level, points=0, max_points=0, evidence=[],
               missed=[]) for i in IDS])


@pytest.fixture
def store(tmp_path):
    with open_store(None, Home(tmp_path)) as s:
        yield s


def _attempt(store, views: int, *, created: dict, close: bool = True, takehome: str = ""):
    sha = load_scenario("hudson").sha256
    sid = store.create_session("hudson", sha, 1, f"{views} views", created).id
    for k in range(views):
        append_event(store, sid, "view.opened", "state",
                     {"view": f"reading/hudson-ms/{['all', 'grade', 'strand'][k % 3]}",
                      "quarter": "Q2"})
    if close:
        append_event(store, sid, "meeting.closed", "state", {"meeting": "meeting-1"})
    if takehome:
        append_event(store, sid, "takehome.answered", "state",
                     {"role": "state", "participant": takehome, "steps": ["One step"]})
    return sid


def test_attempts_are_listed_oldest_first_with_levels_per_element(store):
    first = _attempt(store, 0, created={"participant": "Ada", "role": "state"})
    second = _attempt(store, 2, created={"participant": "Ada", "role": "state"})
    third = _attempt(store, 3, created={"participant": "ada "})
    doc = progress(store, "Ada", scorer=by_views).model_dump(mode="json")
    assert [a["session"] for a in doc["attempts"]] == [first, second, third]
    assert [a["levels"]["C1"] for a in doc["attempts"]] == ["Inadequate", "Strong", "Exemplary"]
    assert [a["mean"] for a in doc["attempts"]] == [1.0, 3.0, 4.0]
    assert doc["elements"] == IDS
    assert all(a["problem"] is None and a["meeting"] == "meeting-1" for a in doc["attempts"])


def test_only_the_named_participants_attempts_count(store):
    _attempt(store, 1, created={"participant": "Ada", "role": "state"})
    ben = _attempt(store, 1, created={"participants": {"state": "Ben", "district": "Cy"}})
    by_takehome = _attempt(store, 1, created={}, takehome="Ben")
    _attempt(store, 1, created={"participant": "Ben"}, close=False)  # nothing to score yet
    doc = progress(store, "ben", scorer=by_views).model_dump(mode="json")
    assert [a["session"] for a in doc["attempts"]] == [ben, by_takehome]
    assert doc["attempts"][0]["participants"] == {"state": "Ben", "district": "Cy"}
    everyone = progress(store, None, scorer=by_views)
    assert len(everyone.attempts) == 3


def test_a_changed_scenario_file_is_flagged(store):
    sid = store.create_session("hudson", "00" * 32, 1, "old", {"participant": "Ada"}).id
    append_event(store, sid, "meeting.closed", "state", {"meeting": "meeting-1"})
    (a,) = progress(store, "Ada", scorer=by_views).attempts
    assert a.problem is not None and "changed" in a.problem
    assert a.levels


def test_the_table_shows_one_row_per_attempt(store):
    _attempt(store, 0, created={"participant": "Ada"})
    _attempt(store, 2, created={"participant": "Ada"})
    text = progress_table(progress(store, "Ada", scorer=by_views))
    lines = text.splitlines()
    assert "Attempts of Ada" in lines[0] and "1 Inadequate" in lines[0]
    assert all(i in lines[1] for i in IDS)
    assert len(lines) == 4
    assert lines[2].split()[4:15] == ["1"] * 11
    assert lines[3].split()[4:15] == ["3"] * 11


def test_no_attempts_says_so(store):
    text = progress_table(progress(store, "Nobody", scorer=by_views))
    assert "No attempts yet" in text
