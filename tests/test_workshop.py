"""Workshops: rooms as sessions, join codes only as hashes, controls, status, export, CLI."""

from __future__ import annotations

import io
import json
import threading
import time
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
    RoomControl,
    WorkshopError,
    WorkshopFollower,
    control,
    control_label,
    create_workshop,
    find_room,
    find_workshop,
    mark_present,
    moved_on,
    room_hold,
    stage_name,
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


def workshop_stage(store, session_id: str) -> str | None:
    """The stage a room's session follows, as the room's app reads it: the workshop its
    session names, folded by a follower; None before the start or after the close."""
    from simulator.session.state import replay

    control_ = WorkshopFollower(store, replay(store.events(session_id)).extra["workshop"],
                                on_change=lambda _: None).read()
    return None if control_.state in ("waiting", "closed") else control_.stage


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


# ---------------------------------------------------------------------- rooms following

FOLLOW_POLLS = 3
"""A follower sees a control by its next ``Store.wait`` or so (one may be under way when
the control is written), counted in waits so a loaded machine is not the follower's fault;
and within SLOW_S seconds however loaded."""
SLOW_S = 5.0


def test_a_follower_sees_every_control_promptly_and_reads_only_what_is_new(
        store_url: str, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with open_store(store_url, home) as console, open_store(store_url, home) as room:
        made = create_workshop(console, home, "hudson", 2)
        seen: list[tuple[RoomControl, float]] = []
        arrived = threading.Event()

        def changed(c: RoomControl) -> None:
            seen.append((c, time.monotonic()))
            arrived.set()

        reads: list[int] = []
        events = room.events

        def counted(session_id: str, after: int = 0) -> list:
            got = events(session_id, after)
            if session_id == made.id:
                reads.append(len(got))
            return got

        room.events = counted  # type: ignore[method-assign]  # counts the store's own reads
        follower = WorkshopFollower(room, made.id, changed, timeout=0.5)
        assert follower.read() == RoomControl(made.id, "waiting", None)
        assert reads == [2]  # session.created and workshop.created, once
        follower.start()
        try:
            for action, stage, expected in [
                    ("start", None, ("running", "briefing")),
                    ("advance", None, ("running", "meeting-1")),
                    ("pause", None, ("paused", "meeting-1")),
                    ("advance", "debrief-1", ("paused", "debrief-1")),
                    ("start", None, ("running", "debrief-1")),
                    ("close", None, ("closed", "debrief-1"))]:
                arrived.clear()
                written, waits = time.monotonic(), follower.waits
                control(console, made.id, action, stage)  # type: ignore[arg-type]
                assert arrived.wait(SLOW_S * 2), f"{action} never reached the follower"
                got, at = seen[-1]
                assert (got.state, got.stage) == expected
                assert follower.waits - waits <= FOLLOW_POLLS
                assert at - written < SLOW_S, f"{action} took {at - written:.2f} s"
        finally:
            follower.stop()
        assert len(seen) == 6 and follower.control == seen[-1][0]
        assert sum(n for n in reads[1:]) == 6  # each control read once, never the log again
        assert workshop_status(console, made.id, scores=False).state == "closed"


def test_a_follower_says_once_that_it_cannot_read_and_stops_when_asked(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with open_store(None, home) as console:
        made = create_workshop(console, home, "hudson", 1)
    room = open_store(None, home)
    errors: list[Exception | None] = []
    follower = WorkshopFollower(room, made.id, lambda c: None, errors.append, timeout=0.2)
    follower.read()
    follower.start()
    room.close()  # the room's store goes away under the follower
    deadline = time.monotonic() + 5
    while not errors and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # it reads again every second: still told only once
    assert len(errors) == 1 and isinstance(errors[0], Exception)
    follower.stop()
    thread = follower._thread
    assert thread is not None
    thread.join(3)
    assert not thread.is_alive()


def test_a_follower_whose_room_is_gone_stops(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 1)

        def gone(c: RoomControl) -> None:
            raise RuntimeError("the app is not running")

        follower = WorkshopFollower(store, made.id, gone, timeout=0.2)
        follower.read()
        follower.start()
        control(store, made.id, "start")
        assert follower._thread is not None
        follower._thread.join(3)
        assert follower.stopped and not follower._thread.is_alive()
        with pytest.raises(WorkshopError, match="not a workshop"):
            WorkshopFollower(store, made.rooms[0][2], gone).read()


def test_a_follower_polled_on_its_owners_timer_reads_only_whats_new(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with open_store(None, home) as console, open_store(None, home) as room:
        made = create_workshop(console, home, "hudson", 1)
        follower = WorkshopFollower(room, made.id, lambda c: None)
        assert follower.polled  # SQLite is told of no appends: its owner asks it
        follower.read()
        reads: list[int] = []
        events = room.events

        def counted(session_id: str, after: int = 0) -> list:
            got = events(session_id, after)
            reads.append(len(got))
            return got

        room.events = counted  # type: ignore[method-assign]
        assert follower.poll() is None and reads == []  # nothing new: one last_seq only
        control(console, made.id, "start")
        assert follower.poll() == RoomControl(made.id, "running", "briefing")
        assert follower.poll() is None and reads == [1]  # the start, read once
        control(console, made.id, "pause")
        assert follower.poll() == RoomControl(made.id, "paused", "briefing")
        assert follower.control == RoomControl(made.id, "paused", "briefing")
        assert follower._thread is None  # never a thread of its own
        room.close()
        with pytest.raises(Exception):  # noqa: B017 - the store's own error, for the owner
            follower.poll()


def _c(state: str, stage: str | None) -> RoomControl:
    return RoomControl("w", state, stage)  # type: ignore[arg-type]


def test_a_room_may_go_as_far_as_the_facilitator_and_no_further(hudson) -> None:
    assert room_hold(hudson, None, "end") is None  # no room: never held
    waiting = _c("waiting", None)
    assert room_hold(hudson, waiting, "briefing") is None
    assert "has not started yet" in str(room_hold(hudson, waiting, "meeting-1"))
    at_briefing = _c("running", "briefing")
    assert "opens Meeting #1 for every room" in str(room_hold(hudson, at_briefing, "meeting-1"))
    at_meeting = _c("running", "meeting-1")
    assert room_hold(hudson, at_meeting, "meeting-1") is None
    closing = str(room_hold(hudson, at_meeting, "debrief-1"))
    assert "Closing Meeting #1 lets time pass through Q3" in closing
    assert room_hold(hudson, _c("running", "debrief-1"), "debrief-1") is None
    assert "opens Meeting #2" in str(room_hold(hudson, _c("running", "debrief-1"), "meeting-2"))
    assert "end of the year" in str(room_hold(hudson, _c("running", "meeting-2"), "end"))
    assert room_hold(hudson, _c("running", "end"), "end") is None
    assert room_hold(hudson, _c("running", "end"), "meeting-1") is None  # behind: free
    assert "Paused by the facilitator" in str(room_hold(hudson, _c("paused", "end"), "end"))
    assert "read-only" in str(room_hold(hudson, _c("closed", "end"), "briefing"))


def test_a_room_left_behind_is_told_what_to_do_next(hudson) -> None:
    assert moved_on(hudson, None, "briefing") is None
    assert moved_on(hudson, _c("waiting", None), "briefing") is None
    assert moved_on(hudson, _c("running", "briefing"), "briefing") is None
    assert moved_on(hudson, _c("running", "meeting-1"), "meeting-1") is None
    told = str(moved_on(hudson, _c("running", "meeting-1"), "briefing"))
    assert told == ("The facilitator has moved on to Meeting #1: go to Meeting #1 (F4) once "
                    "you have read your briefing.")
    told = str(moved_on(hudson, _c("paused", "meeting-2"), "meeting-1"))
    assert told.startswith("The facilitator has moved on to Meeting #2: finish Meeting #1")
    assert "(F10)" in told
    assert "go on to Meeting #2" in str(moved_on(hudson, _c("running", "end"), "debrief-1"))
    assert moved_on(hudson, _c("closed", "end"), "briefing") is None


def test_the_header_names_the_stage_and_state(hudson) -> None:
    assert control_label(hudson, None) == ""
    assert control_label(hudson, _c("waiting", None)) == (
        "Workshop · waiting for the facilitator to start")
    assert control_label(hudson, _c("running", "meeting-1")) == "Workshop · Meeting #1 · running"
    assert control_label(hudson, _c("paused", "debrief-1")) == "Workshop · Debrief #1 · paused"
    assert control_label(hudson, _c("closed", "end")) == "Workshop closed · read-only"
    assert control_label(hudson, _c("running", "debrief-1"), "meeting-1") == (
        "Workshop · Debrief #1 · running · you're at Meeting #1")
    assert control_label(hudson, _c("running", "meeting-1"), "meeting-1") == (
        "Workshop · Meeting #1 · running")
    assert [stage_name(hudson, s) for s in ("briefing", "meeting-2", "end")] == [
        "Briefing", "Meeting #2", "Final debrief"]


def test_a_frozen_room_refuses_every_record_and_records_no_looking(home: Home) -> None:
    from simulator.session.store import NotSaved

    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 1)
    room = Room.resume(home, made.rooms[0][2], role="state")
    try:
        before = room.state.last_seq
        room.frozen = "the facilitator closed the workshop: this room is read-only"
        assert room.read_only
        with pytest.raises(NotSaved, match="closed the workshop") as refused:
            room.add_record("meeting-1", "note", {"text": "late"})
        assert refused.value.what == "the note record"
        room.open_view("reading/hudson-ms/all", None)
        room.set_stage("meeting-1", "meeting")
        assert room.store.last_seq(room.session_id) == before == room.state.last_seq
    finally:
        room.close()
