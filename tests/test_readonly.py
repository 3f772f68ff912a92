"""Commands that only read work on a read-only store (issue 8, item 2).

A read-only home is made real: ``chmod`` for a user, and for root (whom modes don't
stop) the file system's immutable attribute (``chattr +i``); where neither holds the
tests that need it skip. Store-level tests use SQLite's own ``mode=ro``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_tui_meetings import SIZE, screen_name, until
from textual.widgets import Static

from pmsim.cli import main
from simulator.formats.loading import load_scenario
from simulator.session.home import DB_FILENAME, Home, open_store
from simulator.session.sqlite import SqliteStore
from simulator.session.state import append_event
from simulator.session.store import StoreError
from tui.app import PmsimApp


def seeded(home: Path) -> str:
    """A Hudson session with a decision and a closed meeting, in ``home``'s sessions file
    (closed, so nothing but the file is left beside it)."""
    with open_store(None, Home(home)) as store:
        sid = store.create_session("hudson", load_scenario("hudson").sha256, 1, "t").id
        append_event(store, sid, "decision.made", "district",
                     {"meeting": "meeting-1", "strategy": "structured-literacy",
                      "action": "adopt"})
        append_event(store, sid, "meeting.closed", "state", {"meeting": "meeting-1"})
    return sid


def _set_read_only(folder: Path, on: bool) -> None:
    paths = [folder, *folder.iterdir()]
    if os.geteuid() != 0:
        for p in paths:
            p.chmod((0o555 if p.is_dir() else 0o444) if on else (0o755 if p.is_dir() else 0o644))
        return
    subprocess.run(["chattr", "+i" if on else "-i", *map(str, paths)], check=True,
                   capture_output=True)


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and its files can't be written, even by root, for the block."""
    try:
        _set_read_only(folder, True)
    except (OSError, subprocess.CalledProcessError) as err:
        pytest.skip(f"cannot make {folder} read-only here: {err}")
    try:
        try:
            (folder / "probe").touch()
        except OSError:
            pass
        else:
            (folder / "probe").unlink()
            pytest.skip(f"{folder} stays writable here")
        yield
    finally:
        _set_read_only(folder, False)


# --------------------------------------------------------------------------- the CLI


def test_read_only_commands_work_on_a_read_only_home(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seeded(home)
    before = (home / DB_FILENAME).read_bytes()
    with read_only(home):
        assert main(["session", "list", "--home", str(home)]) == 0
        assert capsys.readouterr().out.startswith(f"{sid}\thudson\t")
        assert main(["session", "list", "--format", "json", "--home", str(home)]) == 0
        assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [sid]
        assert main(["session", "export", sid, "--home", str(home)]) == 0
        assert "structured-literacy" in capsys.readouterr().out
        assert main(["report", sid, "--format", "json", "--replications", "2",
                     "--home", str(home)]) == 0
        assert json.loads(capsys.readouterr().out)["session"] == sid
        assert main(["session", "export", "nosuchid", "--home", str(home)]) == 1
        assert "no session with id 'nosuchid'" in capsys.readouterr().err
    assert sorted(p.name for p in home.iterdir()) == [DB_FILENAME]
    assert (home / DB_FILENAME).read_bytes() == before


def test_a_read_only_store_url_is_read_and_never_written(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seeded(home)
    url = f"sqlite:///{home / DB_FILENAME}?mode=ro"
    assert main(["session", "list", "--store", url, "--home", str(tmp_path / "other")]) == 0
    assert sid in capsys.readouterr().out
    with SqliteStore.open(home / DB_FILENAME, readonly=True) as store:
        with pytest.raises(StoreError, match="opened read-only"):
            store.append(sid, "note.added", "state", {"text": "x"})
        assert store.last_seq(sid) == 3


def test_listing_a_fresh_home_creates_nothing(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    home = tmp_path / "never-used"
    assert main(["session", "list", "--home", str(home)]) == 0
    assert capsys.readouterr().out == ""
    assert not home.exists()


# --------------------------------------------------------------------------- the store


def test_reading_takes_no_write_lock(tmp_path: Path) -> None:
    sid = seeded(tmp_path)
    holder = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # no other writer, no new reader of the journal
        with SqliteStore.open(tmp_path / DB_FILENAME, readonly=True, timeout=0.1) as store:
            assert store.read_only and [s.id for s in store.list_sessions()] == [sid]
    finally:
        holder.close()


def test_an_empty_sessions_file_reads_as_no_sessions(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / DB_FILENAME).close()  # created, never migrated
    with SqliteStore.open(tmp_path / DB_FILENAME, readonly=True) as store:
        assert store.list_sessions() == []
    assert (tmp_path / DB_FILENAME).stat().st_size == 0


def test_a_file_from_a_newer_pmsim_is_refused_read_only_too(tmp_path: Path) -> None:
    seeded(tmp_path)
    raw = sqlite3.connect(tmp_path / DB_FILENAME)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(StoreError, match="newer pmsim"):
        SqliteStore.open(tmp_path / DB_FILENAME, readonly=True)


@pytest.mark.parametrize("query", ["timeout=0", "timeout=-1", "timeout=nan", "timeout=x",
                                   "timeout=inf", "mode=rw", "cache=shared"])
def test_bad_store_url_options_are_refused(tmp_path: Path, query: str) -> None:
    with pytest.raises(StoreError, match="store URL"):
        open_store(f"sqlite:///{tmp_path / DB_FILENAME}?{query}", Home(tmp_path))
    assert not (tmp_path / DB_FILENAME).exists()


def test_the_store_url_sets_the_lock_timeout(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / DB_FILENAME}?timeout=0.25", Home(tmp_path)) as s:
        assert isinstance(s, SqliteStore) and s.timeout == 0.25
        assert s._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 250


def test_a_read_only_home_opens_read_only_and_writes_once_it_is_writable(
        tmp_path: Path) -> None:
    sid = seeded(tmp_path / "home")
    with read_only(tmp_path / "home"):
        store = SqliteStore.open(tmp_path / "home" / DB_FILENAME)
        assert store.read_only and store.last_seq(sid) == 3
        with pytest.raises(StoreError, match="read-only here"):
            store.append(sid, "note.added", "state", {"text": "x"})
    try:
        store.append(sid, "note.added", "state", {"text": "x"})
        assert not store.read_only and store.last_seq(sid) == 4
    finally:
        store.close()


# --------------------------------------------------------------------------- the TUI


def test_play_on_a_read_only_home_looks_and_says_it_cannot_save(tmp_path: Path) -> None:
    asyncio.run(_play_read_only(tmp_path))


async def _play_read_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seeded(home)
    app = PmsimApp(session=sid, home=tmp_path / "reports-home", pace=0,
                   store=f"sqlite:///{home / DB_FILENAME}")
    with read_only(home):
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.room is not None and app.room.sim is not None
                        and screen_name(app) != "OpeningScreen")
            await until(pilot, lambda: any("read-only here" in str(n.message)
                                           for n in app._notifications))
            await pilot.pause()
            await pilot.press("f3")
            await until(pilot, lambda: screen_name(app) == "UnsavedScreen")
            said = str(app.screen.query_one("#unsaved-text", Static).render())
            assert "the move to the dashboard" in said and "read-only" in said
            _set_read_only(home, False)
            await pilot.click("#retry")
            await until(pilot, lambda: screen_name(app) == "DashboardScreen")
            await until(pilot, lambda: app.room.state.screen == "dashboard")
            assert app.is_running
    with SqliteStore.open(home / DB_FILENAME, readonly=True) as store:
        assert store.events(sid)[-1].kind in ("stage.changed", "view.opened")


def test_a_new_session_on_a_read_only_home_exits_with_a_message(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seeded(home)
    app = PmsimApp(scenario="hudson", seed=2, home=home, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.return_code is not None)

    with read_only(home):
        asyncio.run(run())
    assert app.return_code == 1
    with SqliteStore.open(home / DB_FILENAME, readonly=True) as store:
        assert len(store.list_sessions()) == 1
