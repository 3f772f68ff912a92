"""A decision and its minute are one write: both saved, in consecutive seqs, or neither."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.session.client import Room
from simulator.session.home import Home
from simulator.session.store import StoreError

DECISION = ("meeting-1", "structured-literacy", "adopt")


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    opened = Room.new(Home(tmp_path), "hudson", 1, "district")
    yield opened
    opened.close()


def kinds(room: Room) -> list[str]:
    return [e.kind for e in room.store.events(room.session_id)]


def test_a_decision_and_its_minute_share_one_transaction(room: Room) -> None:
    record_id = room.make_decision(*DECISION, {"rationale": "Decoding gaps"},
                                   {"grades": [7]})
    decided, minute = room.store.events(room.session_id)[-2:]
    assert (decided.kind, minute.kind) == ("decision.made", "record.added")
    assert minute.seq == decided.seq + 1 and minute.created == decided.created
    assert decided.payload["options"] == {"grades": [7]}
    assert minute.payload["record_id"] == record_id
    assert minute.payload["fields"] == {"strategy": "structured-literacy", "action": "adopt",
                                        "rationale": "Decoding gaps"}
    assert {decided.seq, minute.seq} <= room.written
    assert room.state.records[record_id].kind == "decision"  # folded in at once


def test_a_minute_that_cannot_be_saved_takes_its_decision_with_it(room: Room) -> None:
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        room.make_decision(*DECISION, {"rationale": object()})
    assert kinds(room) == ["session.created"]
    assert not room.state.decisions and not room.state.records


def test_a_failed_write_of_the_minute_leaves_no_decision(room: Room) -> None:
    raw = sqlite3.connect(room.home.store_file)  # the room's store: the home's own file
    raw.execute("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = 'record.added'"
                " BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="disk gone"):
        room.make_decision(*DECISION, {})
    assert kinds(room) == ["session.created"]
    assert not room.state.decisions
