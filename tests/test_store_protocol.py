"""What every Store promises (see simulator.session.store), against each implementation.

Stores are opened by URL, as the commands open them: ``store_url`` (tests/conftest.py) is
a SQLite file and a fresh PostgreSQL database in turn; a new implementation joins by adding
its URL to that fixture's parameters. What only SQLite does (WAL, pragmas,
migrations, its file) is tested in test_store.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_store import python_child, release_together

from simulator.session.home import Home, open_store
from simulator.session.state import append_events
from simulator.session.store import ConflictError, Store, UnknownSessionError

SHA = "12" * 32


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    with open_store(store_url, Home(tmp_path / "home")) as opened:
        yield opened


@pytest.fixture
def sid(store: Store) -> str:
    return store.create_session("hudson", SHA, 1, "t").id


def notes(*texts: str, role: str = "state") -> list[tuple[str, str, dict[str, str]]]:
    return [("note.added", role, {"text": t}) for t in texts]


def test_every_store_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_append_many_numbers_its_events_consecutively_with_one_stamp(
    store: Store, sid: str
) -> None:
    store.append(sid, "note.added", "state", {"text": "before"})
    batch = store.append_many(sid, notes("a", "b", "c", role="district"))
    assert [e.seq for e in batch] == [3, 4, 5]
    assert len({e.created for e in batch}) == 1
    assert [(e.kind, e.role, e.payload) for e in batch] == notes("a", "b", "c", role="district")
    assert store.events(sid, after=2) == batch
    assert store.last_seq(sid) == 5



def test_events_saved_with_a_session_read_back_as_appended_ones(store: Store) -> None:
    # create_session(events=...) and append_many write their rows alike: numbered on from
    # session.created, one stamp a write, payloads as canonical JSON, read back the same.
    batch = [("note.added", "state", {"text": "a", "n": 1.0}),
             ("stage.changed", "both", {"stage": "meeting:meeting-1", "screen": 1})]
    saved = store.create_session("hudson", SHA, 1, "t", events=batch)
    appended = store.create_session("hudson", SHA, 1, "t")
    written = store.append_many(appended.id, batch)
    for sid in (saved.id, appended.id):
        log = store.events(sid)
        assert [e.seq for e in log] == [1, 2, 3]
        assert [(e.kind, e.role, e.payload) for e in log[1:]] == batch
        assert store.last_seq(sid) == 3 and store.get(sid).stage == "meeting:meeting-1"
    assert len({e.created for e in store.events(saved.id)}) == 1
    assert store.events(appended.id)[1:] == written
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        store.create_session("hudson", SHA, 1, "bad",
                             events=[*batch, ("note.added", "state", {"x": object()})])
    assert len(store.list_sessions()) == 2

def test_append_many_of_nothing_appends_nothing(store: Store, sid: str) -> None:
    assert store.append_many(sid, []) == []
    assert store.last_seq(sid) == 1


def test_append_many_stores_none_of_a_batch_with_a_bad_payload(store: Store, sid: str) -> None:
    batch = [*notes("fine"), ("note.added", "state", {"when": object()})]
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        store.append_many(sid, batch)  # type: ignore[arg-type]
    assert store.last_seq(sid) == 1


def test_append_many_with_a_stale_expect_seq_stores_none(store: Store, sid: str) -> None:
    assert [e.seq for e in store.append_many(sid, notes("a", "b"), expect_seq=2)] == [2, 3]
    with pytest.raises(ConflictError, match=sid):
        store.append_many(sid, notes("c", "d"), expect_seq=3)
    assert store.last_seq(sid) == 3


def test_append_many_to_an_unknown_session_is_a_user_error(store: Store) -> None:
    with pytest.raises(UnknownSessionError, match="nope1234"):
        store.append_many("nope1234", notes("a"))


def test_append_events_validates_every_payload_before_storing_any(store: Store, sid: str) -> None:
    good = ("decision.made", "district",
            {"meeting": "meeting-1", "strategy": "structured-literacy", "action": "adopt"})
    bad = ("record.added", "district", {"meeting": "meeting-1", "kind": "decision"})
    with pytest.raises(ValueError, match=r"invalid record\.added payload: record_id"):
        append_events(store, sid, [good, bad])
    with pytest.raises(ValueError, match="needs a role"):
        append_events(store, sid, [good, ("note.added", "", {"text": "x"})])
    with pytest.raises(ValueError, match=r"only by Store\.create_session"):
        append_events(store, sid, [good, ("session.created", "system", {})])
    assert store.last_seq(sid) == 1
    [stored] = append_events(store, sid, [good])
    assert stored.payload["options"] == {}  # stored as validated, defaults filled in


BATCH_WRITER = """
    import sys, time
    from pathlib import Path
    from simulator.session.home import Home, open_store
    gate, url, sid, name, batches = Path(sys.argv[1]), *sys.argv[2:5], int(sys.argv[5])
    with open_store(url, Home(gate / name)) as store:
        (gate / f"ready-{name}").touch()
        while not (gate / "go").exists():
            time.sleep(0.001)
        for b in range(batches):
            store.append_many(sid, [("note.added", name, {"batch": b, "i": i}) for i in range(3)])
            time.sleep(0.002)  # a player between clicks lets the other writer in
"""


def test_batches_of_two_writers_keep_together_and_number_without_gaps(
    store: Store, sid: str, store_url: str, tmp_path: Path
) -> None:
    writers, batches = ("w0", "w1"), 60
    release_together(tmp_path, [
        python_child(BATCH_WRITER, str(tmp_path), store_url, sid, name, str(batches))
        for name in writers
    ])

    events = store.events(sid)[1:]
    assert [e.seq for e in events] == list(range(2, 2 + len(writers) * batches * 3))
    for first in range(0, len(events), 3):
        batch = events[first:first + 3]  # every batch fills three consecutive seqs, in order
        assert len({(e.role, e.payload["batch"]) for e in batch}) == 1
        assert [e.payload["i"] for e in batch] == [0, 1, 2]
        assert len({e.created for e in batch}) == 1
    for name in writers:
        assert [e.payload["batch"] for e in events if e.role == name][::3] == list(range(batches))
    switches = sum(a.role != b.role for a, b in itertools.pairwise(events[::3]))
    assert switches >= 2  # one writer's batches on both sides of the other's: they overlapped


def test_wait_gives_what_another_writer_appends_as_soon_as_it_is_saved(
    store: Store, sid: str, store_url: str, tmp_path: Path
) -> None:
    import threading
    import time

    with open_store(store_url, Home(tmp_path / "other")) as other:
        writer = threading.Timer(0.2, lambda: other.append_many(sid, notes("x", "y")))
        writer.start()
        started = time.monotonic()
        woken = store.wait(sid, after=1, timeout=10)
        waited = time.monotonic() - started
        writer.join()
    assert [(e.seq, e.payload["text"]) for e in woken] == [(2, "x"), (3, "y")]
    assert 0.15 < waited < 1.5
    assert store.wait(sid, after=1, timeout=5) == woken  # something is there: no waiting
    started = time.monotonic()
    assert store.wait(sid, after=3, timeout=0.3) == []
    assert 0.25 < time.monotonic() - started < 1.5
    with pytest.raises(UnknownSessionError, match="nope1234"):
        store.wait("nope1234", after=0, timeout=0.1)


def test_a_transcript_comes_back_the_same_bytes_from_every_store(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # export -> import -> export gives the same transcript (CONTRACTS.md), on each backend,
    # and the same bytes whichever backend holds the session.
    from pmsim.cli import main

    worked = Path(__file__).resolve().parents[1] / "scenarios" / "hudson-strong-transcript.yaml"
    home = ["--home", str(tmp_path / "home")]
    exports = []
    for url in (store_url, f"sqlite:///{tmp_path / 'reference.sqlite3'}"):
        assert main(["session", "import", str(worked), "--store", url, *home]) == 0
        sid = capsys.readouterr().out.strip()
        assert main(["session", "export", sid, "--store", url, *home]) == 0
        exports.append(capsys.readouterr().out)
    assert exports[0] == exports[1] and "decision.made" in exports[0]
    again = tmp_path / "again.yaml"
    again.write_text(exports[0], encoding="utf-8")
    assert main(["session", "import", str(again), "--store", store_url, *home]) == 0
    sid = capsys.readouterr().out.strip()
    assert main(["session", "export", sid, "--store", store_url, *home]) == 0
    assert capsys.readouterr().out == exports[0]
