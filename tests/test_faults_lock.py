"""Another process holds the sessions file's write lock (``BEGIN IMMEDIATE``): writes give a
clear message within the busy timeout, reads carry on, and all is well once it lets go."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultlib import ROOT, held_write_lock, stored_seqs

from pmsim.cli import main
from simulator.session import sqlite
from simulator.session.client import Room
from simulator.session.home import Home
from simulator.session.store import StoreError

SHORT_TIMEOUT_S = 0.4


@pytest.fixture
def played(tmp_path: Path) -> tuple[Home, str]:
    """A home with a session a few events into Meeting #1."""
    home = Home(tmp_path / "home")
    room = Room.new(home, "hudson", 1, participant="Lock drill")
    try:
        room.set_stage("meeting-1", "meeting")
        room.open_view("reading/hudson-ms/all", "Q2")
        room.add_record("meeting-1", "finding", {"statement": "Reading is low",
                                                 "about": "performance"})
    finally:
        room.close()
    return home, room.session_id


READS = (["session", "list", "--format", "json"], ["session", "export", "{sid}"],
         ["report", "{sid}", "--format", "json", "--replications", "2"],
         ["progress", "--format", "json"])


def _cli(argv: list[str], sid: str, home: Home, capsys: pytest.CaptureFixture[str]
         ) -> tuple[int, str, str]:
    code = main([a.format(sid=sid) for a in argv] + ["--home", str(home.root)])
    out, err = capsys.readouterr()
    return code, out, err


def test_reads_work_and_writes_are_refused_while_another_process_writes(
        played: tuple[Home, str], capsys: pytest.CaptureFixture[str]) -> None:
    home, sid = played
    before = [_cli(argv, sid, home, capsys) for argv in READS]
    assert all(code == 0 for code, _, _ in before), before
    short = f"sqlite:///{home.store_file}?timeout={SHORT_TIMEOUT_S}"
    with held_write_lock(home.store_file):
        assert [_cli(argv, sid, home, capsys) for argv in READS] == before
        room = Room.resume(home, sid, store_url=short)  # opening to play reads only
        try:
            writes = {
                "a view": lambda: room.open_view("math/hudson-ms/all", "Q2"),
                "a record": lambda: room.add_record("meeting-1", "finding",
                                                    {"statement": "x", "about": "performance"}),
                "a decision": lambda: room.make_decision("meeting-1", "tutoring-math",
                                                         "adopt", {}),
                "closing the meeting": lambda: room.close_meeting("meeting-1"),
                "a new session": lambda: Room.new(home, "hudson", 2, store_url=short).close(),
            }
            for what, write in writes.items():
                start = time.monotonic()
                with pytest.raises(StoreError) as refused:
                    write()
                took = time.monotonic() - start
                assert took < SHORT_TIMEOUT_S + 2, f"{what} took {took:.1f} s"
                assert str(home.store_file) in str(refused.value), what
                assert "busy" in str(refused.value) and "try again" in str(refused.value)
            assert room.state.last_seq == 4  # nothing shown as saved
        finally:
            room.close()
    room = Room.resume(home, sid)
    try:
        room.open_view("math/hudson-ms/all", "Q2")
        room.close_meeting("meeting-1")
    finally:
        room.close()
    assert stored_seqs(home.store_file, sid) == [1, 2, 3, 4, 5, 6]
    code, out, _ = _cli(["session", "list", "--format", "json"], sid, home, capsys)
    assert code == 0 and out.count('"id"') == 1


def test_a_read_only_command_never_waits_for_another_process_s_write_lock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh sessions file held by another process: ``pmsim session list`` only reads,
    so in a process of its own it answers at once (no tables to create, no lock to take)."""
    fresh = tmp_path / "fresh.sqlite3"
    with held_write_lock(fresh):
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pmsim.cli", "session", "list",
             "--store", f"sqlite:///{fresh}", "--home", str(tmp_path / "home")],
            capture_output=True, text=True, cwd=ROOT, timeout=sqlite.BUSY_TIMEOUT_S + 20,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        took = time.monotonic() - start
    assert (done.returncode, done.stderr) == (0, ""), done
    assert done.stdout == ""
    assert took < sqlite.BUSY_TIMEOUT_S / 2, f"waited {took:.1f} s for a lock it needs not"
    assert main(["session", "list", "--store", f"sqlite:///{fresh}"]) == 0
    capsys.readouterr()
