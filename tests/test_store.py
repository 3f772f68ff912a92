"""What a store promises, on each backend: durable appends, contiguous seqs under concurrent
writers, atomic batches, a newer schema refused (tests that take ``store`` or ``store_url``
run once on SQLite and once on PostgreSQL, see tests/conftest.py); and what only the SQLite
store does: WAL, pragmas, its file. PostgreSQL's own (LISTEN/NOTIFY, a server that stops,
refused logins) are in test_postgres.py."""

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
from simulator.session.home import DB_FILENAME, Home, open_store
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
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """The store at ``store_url``: once a SQLite file, once a PostgreSQL database."""
    with open_store(store_url, Home(tmp_path / "home")) as opened:
        yield opened


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore.open(tmp_path / "home" / DB_FILENAME) as opened:
        yield opened


def reopen(url: str, tmp_path: Path) -> Store:
    return open_store(url, Home(tmp_path / "home"))


def raw(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of ``sql`` run on the store's own database, behind pmsim's back ('?' params)."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        cur = pg.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def table(url: str, name: str) -> str:
    """A table of pmsim's schema as the backend names it."""
    return name if url.startswith("sqlite:") else f"pmsim.{name}"


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


def test_connection_is_durable_and_enforces_foreign_keys(sqlite_store: SqliteStore) -> None:
    conn = sqlite_store._conn
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_reopening_keeps_sessions(store_url: str, tmp_path: Path) -> None:
    with reopen(store_url, tmp_path) as first:
        info = first.create_session("hudson", SHA, 7, "Pair 3")
    with reopen(store_url, tmp_path) as second:
        assert second.get(info.id) == info
        assert second.list_sessions() == [info]


def test_seeds_keep_their_whole_range(store: Store) -> None:
    for seed in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        info = store.create_session("hudson", SHA, seed, "t")
        assert store.get(info.id).seed == seed == info.seed
        assert store.events(info.id)[0].payload["seed"] == seed


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


def test_payload_is_stored_as_canonical_json(store: Store, store_url: str) -> None:
    sid = store.create_session("hudson", SHA, 1, "t").id
    payload = {"z": 1, "a": {"é": [1, 2]}, "f": 1e300, "nul": "a\x00b"}
    event = store.append(sid, "note.added", "state", payload)
    [(text,)] = raw(store_url, f"SELECT payload FROM {table(store_url, 'events')}"
                               " WHERE session_id = ? AND seq = ?", sid, event.seq)
    assert text == '{"a":{"é":[1,2]},"f":1e+300,"nul":"a\\u0000b","z":1}'
    assert event.payload == json.loads(str(text)) == payload
    assert store.events(sid, after=1)[0].payload == payload  # a float stays a float


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


def test_a_store_from_a_newer_pmsim_is_refused(store_url: str, tmp_path: Path) -> None:
    with reopen(store_url, tmp_path) as opened:
        opened.create_session("hudson", SHA, 1, "t")
    if store_url.startswith("sqlite:"):
        raw(store_url, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    else:
        raw(store_url, "UPDATE pmsim.meta SET schema_version = schema_version + 1")
    for url in (store_url, f"{store_url}?mode=ro"):
        with pytest.raises(StoreError, match=r"was written by a newer pmsim \(schema 2, this"
                                             r" one knows 1\); upgrade pmsim"):
            reopen(url, tmp_path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_text("not sqlite at all" * 100)
    with pytest.raises(StoreError, match=DB_FILENAME):
        SqliteStore.open(tmp_path / DB_FILENAME)


def test_a_closed_store_raises_store_error(store_url: str, tmp_path: Path) -> None:
    with reopen(store_url, tmp_path) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    with pytest.raises(StoreError):
        opened.events(sid)
    with pytest.raises(StoreError):
        opened.append(sid, "note.added", "state", {"text": "x"})


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_appended_event_survives_a_killed_process(store_url: str, tmp_path: Path) -> None:
    with reopen(store_url, tmp_path) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    child = python_child(
        """
        import os, signal, sys
        from pathlib import Path
        from simulator.session.home import Home, open_store
        store = open_store(sys.argv[1], Home(Path(sys.argv[3])))
        event = store.append(sys.argv[2], "note.added", "state", {"text": "saved"})
        print(event.seq, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        store_url,
        sid,
        str(tmp_path / "child-home"),
    )
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err
    assert out.strip() == "2"
    with reopen(store_url, tmp_path) as reopened:
        [event] = reopened.events(sid, after=1)
    assert (event.seq, event.payload) == (2, {"text": "saved"})


WRITER = """
    import sys, time
    from pathlib import Path
    from simulator.session.home import Home, open_store
    gate, url, sid, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    with open_store(url, Home(gate / name)) as store:
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
    from simulator.session.home import Home, open_store
    gate, url, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    (gate / f"ready-{name}").touch()
    while not (gate / "go").exists():
        time.sleep(0.001)
    with open_store(url, Home(gate / name)) as store:
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


def test_concurrent_writers_lose_no_event(store_url: str, tmp_path: Path) -> None:
    writers, count = 4, 200
    with reopen(store_url, tmp_path) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    release_together(
        tmp_path,
        [
            python_child(WRITER, str(tmp_path), store_url, sid, f"w{i}", str(count))
            for i in range(writers)
        ],
    )

    with reopen(store_url, tmp_path) as reopened:
        events = reopened.events(sid)
    assert [e.seq for e in events] == list(range(1, writers * count + 2))
    for i in range(writers):
        mine = [e.payload["n"] for e in events if e.role == f"w{i}"]
        assert mine == list(range(count))  # each writer's events, once each, in its order
    roles = [e.role for e in events[1:]]
    switches = sum(a != b for a, b in itertools.pairwise(roles))
    assert switches > writers  # the writers really interleaved


def test_concurrent_first_open_of_a_fresh_store(store_url: str, tmp_path: Path) -> None:
    names = [f"o{i}" for i in range(4)]
    release_together(tmp_path, [python_child(OPENER, str(tmp_path), store_url, n)
                                for n in names])
    with reopen(store_url, tmp_path) as opened:
        assert sorted(s.title for s in opened.list_sessions()) == names


def refuse_kind(url: str, kind: str) -> None:
    """Make the database itself refuse events of ``kind``: a failure inside the transaction."""
    if url.startswith("sqlite:"):
        raw(url, f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = '{kind}'"
                 " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        return
    raw(url, "CREATE FUNCTION pmsim.refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
             " BEGIN RAISE EXCEPTION 'refused by the test'; END $$")
    raw(url, f"CREATE TRIGGER refuse BEFORE INSERT ON pmsim.events FOR EACH ROW"
             f" WHEN (NEW.kind = '{kind}') EXECUTE FUNCTION pmsim.refuse()")


def test_append_many_stores_nothing_when_a_later_insert_fails(
        store_url: str, tmp_path: Path) -> None:
    with reopen(store_url, tmp_path) as opened:
        sid = opened.create_session("hudson", SHA, 1, "t").id
    refuse_kind(store_url, "record.added")
    with reopen(store_url, tmp_path) as store:
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
