"""Workshops: rooms as sessions, join codes only as hashes, controls, status, export, CLI."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from pmsim.cli import main
from simulator.formats.loading import load_scenario
from simulator.session.client import Room
from simulator.session.home import Home, open_store
from simulator.session.importing import session_events
from simulator.session.transcript import load_transcript
from simulator.workshop import (
    CODE_ALPHABET,
    WorkshopError,
    control,
    create_workshop,
    find_room,
    find_workshop,
    mark_present,
    workshop_stage,
    workshop_status,
)

ROOT = Path(__file__).resolve().parents[1]
STRONG = ROOT / "scenarios" / "hudson-strong-transcript.yaml"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def test_codes_are_unique_random_and_only_hashed_in_the_store(home: Home) -> None:
    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 4, seed=7)
    codes = [made.facilitator_code, *(c for _, c, _ in made.rooms)]
    assert len(set(codes)) == 5
    assert all(set(c) <= set(CODE_ALPHABET) and len(c) >= 8 for c in codes)
    assert [r for r, _, _ in made.rooms] == ["room-1", "room-2", "room-3", "room-4"]
    data = b"".join(p.read_bytes() for p in home.root.iterdir() if p.is_file())
    for code in codes:
        assert code.encode() not in data


def test_codes_find_their_room_and_workshop_and_die_with_it(home: Home) -> None:
    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 2, seed=3)
        other = create_workshop(store, home, "hudson", 1)
        name, code, session = made.rooms[1]
        ref = find_room(store, code.lower())
        assert ref is not None
        assert (ref.workshop, ref.room, ref.session_id, ref.seed) == (made.id, name, session, 3)
        assert find_room(store, "NOTACODE22") is None
        assert find_room(store, made.facilitator_code) is None
        assert find_workshop(store, made.facilitator_code) == made.id
        assert find_workshop(store, code) is None
        assert find_workshop(store, other.facilitator_code) == other.id
        control(store, made.id, "close")
        assert find_room(store, code) is None
        assert find_workshop(store, made.facilitator_code) is None
        assert find_room(store, other.rooms[0][1]) is not None
        with pytest.raises(WorkshopError, match="closed"):
            control(store, made.id, "start")


def test_rooms_are_real_sessions_with_presence_and_controls(home: Home) -> None:
    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 2)
        session = made.rooms[0][2]
        assert workshop_stage(store, session) is None  # not started
        mark_present(store, session, "district")
        control(store, made.id, "start")
        assert workshop_stage(store, session) == "briefing"
        control(store, made.id, "advance")
        control(store, made.id, "pause")
        assert workshop_stage(store, made.rooms[1][2]) == "meeting-1"
        control(store, made.id, "advance", "debrief-1")
        with pytest.raises(WorkshopError, match="no stage"):
            control(store, made.id, "advance", "lunch")
        status = workshop_status(store, made.id)
        kinds = [e.kind for e in store.events(made.id)][1:]
    assert kinds == ["workshop.created", "workshop.started", "workshop.advanced",
                     "workshop.paused", "workshop.advanced"]
    assert status.state == "paused" and status.stage == "debrief-1"
    assert [r.present for r in status.rooms] == [("district",), ()]
    room = Room.resume(home, session, role="state")
    try:
        assert room.state.extra == {"workshop": made.id, "room": "room-1"}
    finally:
        room.close()


def _play_strong(store, session_id: str) -> None:
    loaded = load_scenario("hudson")
    transcript = load_transcript(STRONG, loaded.scenario)
    store.append_many(session_id, session_events(transcript, loaded.scenario))


def test_status_scores_and_export_of_a_played_room(home: Home, tmp_path: Path) -> None:
    from pmsim.workshop_cli import export_bytes

    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 2)
        _play_strong(store, made.rooms[0][2])
        status = workshop_status(store, made.id)
        data = export_bytes(store, home, made.id, replications=2)
    played = status.rooms[0]
    assert played.stage == "end" and set(played.scores) == {"meeting-1", "meeting-2"}
    assert played.polls and not status.rooms[1].scores
    z = zipfile.ZipFile(io.BytesIO(data))
    names = set(z.namelist())
    assert {"ratings.csv", "polls.csv", "status.json", "rooms/room-1/report.html",
            "rooms/room-1/transcript.yaml", "rooms/room-2/report.html"} <= names
    ratings = z.read("ratings.csv").decode().splitlines()
    assert ratings[0].startswith("room,session,debrief,id")
    assert any(line.startswith("room-1,") for line in ratings[1:])
    assert "room-1" in z.read("polls.csv").decode()
    assert b"<html" in z.read("rooms/room-1/report.html").lower()


def test_cli_new_json_follows_the_contract_and_session_list_hides_the_log(
        home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workshop", "new", "hudson", "--rooms", "3", "--seed", "5", "--format",
                 "json", "--home", str(home.root)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"workshop", "facilitator_code", "rooms"}
    assert [set(r) for r in doc["rooms"]] == [{"room", "code"}] * 3
    assert main(["session", "list", "--format", "json", "--home", str(home.root)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 3 and doc["workshop"] not in {s["id"] for s in listed}
    assert all("room-" in s["title"] for s in listed)
    assert main(["workshop", "show", doc["workshop"], "--format", "json",
                 "--home", str(home.root)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["room"] for r in shown["rooms"]] == ["room-1", "room-2", "room-3"]
    assert main(["workshop", "list", "--home", str(home.root)]) == 0
    assert doc["workshop"] in capsys.readouterr().out
    assert main(["console", doc["workshop"], "--code", "WRONGCODE22",
                 "--home", str(home.root)]) == 1
    assert "facilitator code" in capsys.readouterr().err
    assert main(["workshop", "close", doc["workshop"], "--home", str(home.root)]) == 0
    assert main(["workshop", "show", "nosuchid", "--home", str(home.root)]) == 1
    assert main(["workshop", "new", "hudson", "--rooms", "0", "--home", str(home.root)]) == 1
