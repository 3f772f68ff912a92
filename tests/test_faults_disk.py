"""A full disk: a real small file system where the machine lets us mount one, and the same
faults injected (sqlite's "database or disk is full", OSError ENOSPC) at the store's write
and at the output. The write is refused with a message, nothing committed before is lost,
the store opens again, and no temporary file stays behind (write_atomic's own injected
faults are in test_cache_atomic_write.py)."""

from __future__ import annotations

import errno
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultlib import ROOT, small_file_system, stored_seqs

from pmsim.cli import main
from simulator.formats.atomic import write_atomic
from simulator.session import sqlite
from simulator.session.client import Room
from simulator.session.home import Home
from simulator.session.store import StoreError

FULL = "database or disk is full"
NO_SPACE = os.strerror(errno.ENOSPC)


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, NO_SPACE)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (skipped where mounting is not permitted)."""
    with small_file_system(tmp_path / "small") as refused:
        if refused is not None:
            pytest.skip(f"cannot mount a small file system here: {refused}")
        yield tmp_path / "small"


def _fill(path: Path) -> None:
    """Take every free byte of the file system ``path`` is on."""
    with path.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC


def _temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")]


def _why(path: Path, said: str) -> str:
    """How the store words ``said``, SQLite's reason for refusing a write to ``path``."""
    if said == FULL:
        return f"the disk holding the sessions file {path} is full; free some space and try again"
    return f"the disk holding the sessions file {path} failed ({said}); try again"


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_small_disk_that_fills_up(small_disk: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    home = Home(small_disk / "home")
    room = Room.new(home, "hudson", 1, participant="Disk drill")
    sid = room.session_id
    try:
        room.set_stage("meeting-1", "meeting")
        room.open_view("reading/hudson-ms/all", "Q2")
        _fill(small_disk / "filler")
        saved = room.state.last_seq
        with pytest.raises(StoreError) as full:
            for i in range(500):
                room.append("note.added", {"text": f"note {i} " + "n" * 2000})
                saved = room.state.last_seq
        assert str(full.value) == f"the note was not saved: {_why(home.store_file, FULL)}"
        assert room.state.last_seq == saved  # the refused note is not shown as saved
    finally:
        room.close()

    # Everything committed before is there, and the full disk still serves reads.
    assert stored_seqs(home.store_file, sid) == list(range(1, saved + 1))
    root = ["--home", str(home.root)]
    code, out, err = _cli(["session", "export", sid, *root], capsys)
    assert code == 0 and out.count("note.added") == saved - 3, err
    code, out, err = _cli(["report", sid, "--format", "json", "--replications", "2", *root],
                          capsys)
    assert code == 0 and '"elements"' in out, err  # its cache could not be written: no matter
    with pytest.raises(OSError):
        write_atomic(home.reports / "debrief.md", "# Debrief\n" * 5000)
    assert _temporaries(small_disk) == []

    # Output redirected to the full disk: one line, exit 1, in a process of its own.
    with (small_disk / "export.yaml").open("w") as target:
        done = subprocess.run([sys.executable, "-m", "pmsim.cli", "session", "export", sid,
                               *root], stdout=target, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stderr) == (1, f"pmsim: cannot write the output: {NO_SPACE}\n")

    # Space freed: the session carries on where it was.
    (small_disk / "filler").unlink()
    room = Room.resume(home, sid)
    try:
        room.close_meeting("meeting-1")
    finally:
        room.close()
    assert stored_seqs(home.store_file, sid) == list(range(1, saved + 2))


class FullDisk:
    """A sqlite3 connection whose statements starting with ``at`` fail while ``full``."""

    def __init__(self, conn: sqlite3.Connection, at: str, error: Exception) -> None:
        self.conn, self.at, self.error, self.full = conn, at, error, True

    def _check(self, sql: str) -> None:
        if self.full and sql.lstrip().upper().startswith(self.at):
            raise self.error

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._check(sql)
        return self.conn.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._check(sql)
        return self.conn.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


STORE_FAULTS = [
    ("INSERT", sqlite3.OperationalError(FULL), FULL),
    ("COMMIT", sqlite3.OperationalError(FULL), FULL),
    ("COMMIT", sqlite3.OperationalError("disk I/O error"), "disk I/O error"),
]


@pytest.mark.parametrize(("at", "error", "said"), STORE_FAULTS)
def test_a_write_the_store_refuses_keeps_what_was_committed(
        tmp_path: Path, at: str, error: Exception, said: str) -> None:
    home = Home(tmp_path / "home")
    room = Room.new(home, "hudson", 1)
    sid = room.session_id
    try:
        room.open_view("reading/hudson-ms/all", "Q2")
        fault = FullDisk(room.store._conn, at, error)  # type: ignore[attr-defined]
        room.store._conn = fault  # type: ignore[attr-defined]
        for what, write in (
                ("the view you opened", lambda: room.open_view("math/hudson-ms/all", "Q2")),
                ("the decision on tutoring-math",
                 lambda: room.make_decision("meeting-1", "tutoring-math", "adopt", {})),
                ("the closing of the meeting", lambda: room.close_meeting("meeting-1"))):
            with pytest.raises(StoreError) as refused:
                write()
            assert str(refused.value) == f"{what} was not saved: {_why(home.store_file, said)}"
            assert room.state.last_seq == 2
        assert stored_seqs(home.store_file, sid) == [1, 2]
        fault.full = False
        room.close_meeting("meeting-1")
    finally:
        room.close()
    assert stored_seqs(home.store_file, sid) == [1, 2, 3]


def test_a_sessions_file_that_cannot_be_created_is_a_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite.sqlite3, "connect", lambda *a, **k: FullDisk(
        connect(*a, **k), "CREATE", sqlite3.OperationalError(FULL)))
    home = Home(tmp_path / "home")
    with pytest.raises(StoreError) as refused:
        Room.new(home, "hudson", 1)
    assert str(refused.value) == _why(home.store_file, FULL)
    monkeypatch.setattr(sqlite.sqlite3, "connect", connect)
    argv = ["session", "list", "--home", str(tmp_path / "home")]
    assert _cli(argv, capsys) == (0, "", "")
    Room.new(home, "hudson", 1).close()
    assert _cli(argv, capsys)[0] == 0


class FullOutput(io.StringIO):
    """Standard output on a full disk."""

    def write(self, text: str) -> int:
        raise _no_space()


@pytest.mark.parametrize("argv", [["scenario", "show", "hudson", "--format", "json"],
                                  ["scenario", "list"], ["scenario", "schema"]])
def test_output_to_a_full_disk_is_one_line_and_exit_1(
        argv: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", FullOutput())
    assert main(argv) == 1
    assert capsys.readouterr().err == f"pmsim: cannot write the output: {NO_SPACE}\n"
