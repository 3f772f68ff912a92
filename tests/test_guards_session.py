"""The session client as the TUI drives it: a record's id, a free note in the minutes, and
store URLs pmsim cannot open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.formats.routine import minutes_line
from simulator.session.client import Room
from simulator.session.home import Home, open_store
from simulator.session.store import StoreError


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    opened = Room.new(Home(tmp_path), "hudson", 1, "state")
    yield opened
    opened.close()


def test_the_id_add_record_returns_names_the_record_and_removes_it(room: Room) -> None:
    rid = room.add_record("meeting-1", "note", {"text": "Ask for the Q3 rosters"})
    assert room.state.records[rid].fields == {"text": "Ask for the Q3 rosters"}
    room.remove_record(rid)
    assert rid not in room.state.records


def test_a_free_note_shows_its_text_in_the_minutes() -> None:
    assert minutes_line("note", {"text": "Ask for the Q3 rosters"}, {}) == (
        "text: Ask for the Q3 rosters")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_every_spelling_of_a_postgresql_url_opens_a_postgresql_store(
    tmp_path: Path, scheme: str
) -> None:
    # No server listens on port 1: the PostgreSQL store says so (the store's own tests use
    # a real server).
    with pytest.raises(StoreError, match=r"cannot reach the PostgreSQL server at"
                                         r" 127\.0\.0\.1:1 \(connection refused\)"):
        open_store(f"{scheme}://pmsim@127.0.0.1:1/pmsim", Home(tmp_path))


def test_simulate_returns_the_simulation_brought_to_the_next_meeting(room: Room) -> None:
    """The TUI runs this in a worker and shows what it returns: the room's own simulation,
    at the first meeting (end of Q2) for a new session."""
    sim = room.simulate(room.plan())
    assert sim is room.sim
    assert sim.quarters_done == 2 and sim.meeting_due().id == "meeting-1"
