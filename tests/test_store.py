"""The SQLite store: WAL, durable appends, contiguous seqs under concurrent writers."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.session import store as store_module
from simulator.session.home import DB_FILENAME
from simulator.session.sqlite import SCHEMA_VERSION, SqliteStore
from simulator.session.store import (
    ID_ALPHABET,
    ID_LENGTH,
    ConflictError,
    Store,
    StoreError,
    UnknownSessionError,
)

ROOT = Path(__file__).resolve().parents[1]
SHA = "ab" * 32


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with SqliteStore.open(tmp_path / "home" / DB_FILENAME) as opened:
        yield opened


def python_child(code: str, *args: str) -> subprocess.Popen[str]:
    """Start a fresh interpreter that imports this checkout's simulator."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_open_creates_a_wal_file_at_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / DB_FILENAME
    with SqliteStore.open(path):
        pass
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        raw.close()


def test_connection_is_durable_and_enforces_foreign_keys(store: Store) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_reopening_keeps_sessions(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / DB_FILENAME) as first:
        info = first.create_session("hudson", SHA, 7, "Pair 3")
    with SqliteStore.open(tmp_path / DB_FILENAME) as second:
        assert second.get(info.id) == info


def test_create_session_writes_session_created_first(store: Store) -> None:
    info = store.create_session("hudson", SHA, 42, "Room 1", payload={"mode": "solo"})
    assert len(info.id) == ID_LENGTH
    assert set(info.id) <= set(ID_ALPHABET)
    assert (info.scenario, info.seed, info.title, info.stage, info.last_seq) == (
        "hudson",
        42,
        "Room 1",
        "briefing",
        1,
    )
    assert info.created.endswith("Z")
    [event] = store.events(info.id)
    assert (event.seq, event.kind, event.role) == (1, "session.created", "system")
    assert event.payload == {
        "scenario": "hudson",
        "scenario_sha256": SHA,
        "seed": 42,
        "title": "Room 1",
        "mode": "solo",
    }


def test_create_session_payload_cannot_override_the_core_fields(store: Store) -> None:
    with pytest.raises(ValueError, match="seed"):
        store.create_session("hudson", SHA, 1, "t", payload={"seed": 2})
    assert store.list_sessions() == []


def test_session_ids_are_unique(store: Store) -> None:
    ids = {store.create_session("hudson", SHA, i, "t").id for i in range(100)}
    assert len(ids) == 100


def test_create_session_retries_on_id_collision(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidates = iter(["aaaaaaaa", "aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(store_module, "_new_session_id", lambda: next(candidates))
    assert store.create_session("hudson", SHA, 1, "first").id == "aaaaaaaa"
    assert store.create_session("hudson", SHA, 1, "second").id == "bbbbbbbb"


def test_append_numbers_events_and_events_after_polls(store: Store) -> None:
    sid = store.create_session("hudson", SHA, 1, "t").id
    appended = [store.append(sid, "note.added", "state", {"text": f"n{i}"}) for i in range(5)]
    assert [e.seq for e in appended] == [2, 3, 4, 5, 6]
    assert store.events(sid)[1:] == appended
    assert [e.seq for e in store.events(sid, after=4)] == [5, 6]
    assert store.events(sid, after=6) == []
    assert store.last_seq(sid) == 6
    assert store.get(sid).last_seq == 6


def test_events_of_sessions_do_not_mix(store: Store) -> None:
    a = store.create_session("hudson", SHA, 1, "a").id
    b = store.create_session("hudson", SHA, 1, "b").id
    store.append(a, "note.added", "state", {"text": "for a"})
    assert [e.seq for e in store.events(b)] == [1]
    assert store.append(b, "note.added", "district", {"text": "for b"}).seq == 2


def test_payload_is_stored_as_canonical_json(store: Store) -> None:
    sid = store.create_session("hudson", SHA, 1, "t").id
    event = store.append(sid, "note.added", "state", {"z": 1, "a": {"é": [1, 2]}})
    raw = store._conn.execute(
        "SELECT payload FROM events WHERE session_id = ? AND seq = ?", (sid, event.seq)
    ).fetchone()[0]
    assert raw == '{"a":{"é":[1,2]},"z":1}'
    assert event.payload == json.loads(raw)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"when": object()}, "not JSON-serialisable"),
        ({"x": float("nan")}, "not JSON-serialisable"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_unserialisable_payloads_are_rejected_and_not_stored(
    store: Store, payload: object, problem: str
) -> None:
    sid = store.create_session("hudson", SHA, 1, "t").id
    with pytest.raises(ValueError, match=problem):
        store.append(sid, "note.added", "state", payload)  # type: ignore[arg-type]
    assert store.last_seq(sid) == 1


def test_stage_is_the_latest_stage_changed(store: Store) -> None:
    sid = store.create_session("hudson", SHA, 1, "t").id
    assert store.get(sid).stage == "briefing"
    store.append(sid, "stage.changed", "state", {"stage": "meeting-1", "screen": "agenda"})
    store.append(sid, "note.added", "state", {"text": "x"})
    assert store.get(sid).stage == "meeting-1"
    store.append(sid, "stage.changed", "district", {"stage": "debrief-1"})
    assert store.get(sid).stage == "debrief-1"
    assert [s.stage for s in store.list_sessions()] == ["debrief-1"]


def test_list_sessions_is_newest_first(store: Store) -> None:
    ids = [store.create_session("hudson", SHA, i, f"s{i}").id for i in range(3)]
    assert [s.id for s in store.list_sessions()] == ids[::-1]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get("nope1234"),
        lambda s: s.events("nope1234"),
        lambda s: s.events("nope1234", after=3),
        lambda s: s.last_seq("nope1234"),
        lambda s: s.append("nope1234", "note.added", "state", {"text": "x"}),
    ],
)
def test_unknown_session_id_is_a_user_error(store: Store, call) -> None:
    with pytest.raises(UnknownSessionError, match="nope1234"):
        call(store)


def test_expect_seq_detects_a_concurrent_append(store: Store) -> None:
    sid = store.create_session("hudson", SHA, 1, "t").id
    assert store.append(sid, "note.added", "state", {"text": "a"}, expect_seq=2).seq == 2
    store.append(sid, "note.added", "district", {"text": "b"})
    with pytest.raises(ConflictError, match=sid):
        store.append(sid, "note.added", "state", {"text": "c"}, expect_seq=3)
    assert store.last_seq(sid) == 3


def test_errors_are_store_errors() -> None:
    assert issubclass(UnknownSessionError, StoreError)
    assert issubclass(ConflictError, StoreError)


def test_a_file_from_a_newer_pmsim_is_refused(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / DB_FILENAME):
        pass
    raw = sqlite3.connect(tmp_path / DB_FILENAME)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer pmsim"):
        SqliteStore.open(tmp_path / DB_FILENAME)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_text("not sqlite at all" * 100)
    with pytest.raises(StoreError, match=DB_FILENAME):
        SqliteStore.open(tmp_path / DB_FILENAME)


def test_a_closed_store_raises_store_error(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / DB_FILENAME) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    with pytest.raises(StoreError):
        opened.events(sid)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_appended_event_survives_a_killed_process(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / DB_FILENAME) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    child = python_child(
        """
        import os, signal, sys
        from pathlib import Path
        from simulator.session.sqlite import SqliteStore
        store = SqliteStore.open(Path(sys.argv[1]))
        event = store.append(sys.argv[2], "note.added", "state", {"text": "saved"})
        print(event.seq, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        str(tmp_path / DB_FILENAME),
        sid,
    )
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err
    assert out.strip() == "2"
    with SqliteStore.open(tmp_path / DB_FILENAME) as reopened:
        [event] = reopened.events(sid, after=1)
    assert (event.seq, event.payload) == (2, {"text": "saved"})


WRITER = """
    import sys, time
    from pathlib import Path
    from simulator.session.sqlite import SqliteStore
    gate, path, sid, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    with SqliteStore.open(path) as store:
        (gate / f"ready-{name}").touch()
        while not (gate / "go").exists():
            time.sleep(0.001)
        for n in range(int(sys.argv[5])):
            store.append(sid, "note.added", name, {"n": n})
            time.sleep(0.001)  # a (very fast) player between clicks lets the others in
"""

OPENER = """
    import sys, time
    from pathlib import Path
    from simulator.session.sqlite import SqliteStore
    gate, path, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    (gate / f"ready-{name}").touch()
    while not (gate / "go").exists():
        time.sleep(0.001)
    with SqliteStore.open(path) as store:
        store.create_session("hudson", "x", 1, name)
"""


def release_together(gate: Path, children: list[subprocess.Popen[str]]) -> None:
    """Start the children's work at one moment, so that it really overlaps."""
    deadline = time.monotonic() + 20
    while len(list(gate.glob("ready-*"))) < len(children):
        assert time.monotonic() < deadline, [c.poll() for c in children]
        time.sleep(0.005)
    (gate / "go").touch()
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err


def test_concurrent_writers_lose_no_event(tmp_path: Path) -> None:
    writers, count = 4, 200
    path = tmp_path / "home" / DB_FILENAME
    with SqliteStore.open(path) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    release_together(
        tmp_path,
        [
            python_child(WRITER, str(tmp_path), str(path), sid, f"w{i}", str(count))
            for i in range(writers)
        ],
    )

    with SqliteStore.open(path) as reopened:
        events = reopened.events(sid)
    assert [e.seq for e in events] == list(range(1, writers * count + 2))
    for i in range(writers):
        mine = [e.payload["n"] for e in events if e.role == f"w{i}"]
        assert mine == list(range(count))  # each writer's events, once each, in its order
    roles = [e.role for e in events[1:]]
    switches = sum(a != b for a, b in itertools.pairwise(roles))
    assert switches > writers  # the writers really interleaved


def test_concurrent_first_open_of_a_fresh_home(tmp_path: Path) -> None:
    path = tmp_path / "home" / DB_FILENAME
    names = [f"o{i}" for i in range(4)]
    release_together(tmp_path, [python_child(OPENER, str(tmp_path), str(path), n) for n in names])
    with SqliteStore.open(path) as opened:
        assert sorted(s.title for s in opened.list_sessions()) == names


def _refuse_kind(path: Path, kind: str) -> None:
    """Make the file itself refuse events of ``kind``: a failure inside the transaction."""
    raw = sqlite3.connect(path)
    raw.execute(
        f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = '{kind}'"
        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    raw.commit()
    raw.close()


def test_append_many_stores_nothing_when_a_later_insert_fails(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    with SqliteStore.open(path) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    _refuse_kind(path, "record.added")
    with SqliteStore.open(path) as store:
        with pytest.raises(StoreError, match="refused by the test"):
            store.append_many(sid, [
                ("decision.made", "district", {"strategy": "s"}),
                ("record.added", "district", {"record_id": "r"}),
            ])
        assert [e.kind for e in store.events(sid)] == ["session.created"]
        assert store.append(sid, "note.added", "state", {"text": "still fine"}).seq == 2


OLD_FILE = Path(__file__).parent / "data" / "sessions-schema-1.sqlite"
"""A sessions file as pmsim 0.1.0 wrote it before the store became a protocol: the worked
weak Hudson playthrough (18 events), one append at a time, between two stage changes."""


def test_a_sessions_file_written_before_the_protocol_still_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pmsim.cli import main
    from simulator.session.state import replay
    from simulator.session.transcript import transcript_from_session

    home = tmp_path / "home"
    home.mkdir()
    path = home / DB_FILENAME
    path.write_bytes(OLD_FILE.read_bytes())
    assert main(["session", "list", "--format", "json", "--home", str(home)]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["id"], row["stage"], row["seed"]) == ("v1weak01", "end", 1)

    with SqliteStore.open(path) as store:
        events = store.events("v1weak01")
        assert [e.seq for e in events] == list(range(1, 22))
        state = replay(events)
        assert state.participants() == {"state": "Ana", "district": "Ben"}
        assert state.closed_meetings == ["meeting-1", "meeting-2"]
        exported = transcript_from_session(store, "v1weak01")
        later = store.append_many("v1weak01", [("note.added", "state", {"text": "n"})] * 2)
    logged = [(e.kind, e.role, e.payload) for e in events
              if e.kind not in ("session.created", "stage.changed")]
    assert [(e.event, e.by) for e in exported.events] == [(k, r) for k, r, _ in logged]
    assert [e.seq for e in later] == [22, 23]
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        raw.close()
