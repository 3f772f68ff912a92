"""The meeting room survives a store that refuses a write (issue 8, item 2).

Each fault is real where it can be: another connection holding the session file's
write lock (``BEGIN IMMEDIATE``; the store URL's ``?timeout=`` keeps the wait short),
the store's connection swapped for a ``mode=ro`` one; a full disk is injected at the
store's write as SQLite (``database or disk is full``) or the OS (``ENOSPC``) reports it.
For a screen switch, a view, a record, closing a meeting, the poll and the take-home:
the app keeps running, a dialog names what was not saved and why, nothing unsaved is
shown as saved, and Retry once the fault is cleared saves it.
"""

from __future__ import annotations

import asyncio
import errno
import re
import shutil
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tui_debrief import REPLICATIONS, open_tab, ratings_shown, seed_session, shows
from test_tui_meetings import SIZE, fill, screen_name, until
from textual.pilot import Pilot
from textual.widgets import Input, Static

from simulator.session import sqlite
from simulator.session.home import DB_FILENAME, Home, open_store
from simulator.session.sqlite import SqliteStore
from simulator.session.store import NotSaved, StoreError
from tui.app import PmsimApp
from tui.widgets.forms import RecordForm

TIMEOUT_S = 0.2


class Refusing:
    """The store's connection, refusing every INSERT (a full disk) or, with ``reads``,
    every statement (a failing disk) with ``error``."""

    def __init__(self, conn: sqlite3.Connection, error: Exception, *,
                 reads: bool = False) -> None:
        self.conn = conn
        self.error = error
        self.reads = reads

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.reads or sql.lstrip().upper().startswith("INSERT"):
            raise self.error
        return self.conn.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        raise self.error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


class Fault:
    """One way a store refuses writes: ``arm`` it on the app's store, ``clear`` it."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind, self.path = kind, path
        self.holder: sqlite3.Connection | None = None
        self.real: Any = None
        self.store: SqliteStore | None = None

    @property
    def why(self) -> str:
        """What the dialog must say of the cause."""
        return {"lock": f"stayed busy for {TIMEOUT_S:g} s", "full": "is full",
                "enospc": "is full", "readonly": "read-only"}[self.kind]

    def arm(self, app: PmsimApp) -> None:
        """Start refusing (again: a fault still armed stays as it is)."""
        store = app.room.store
        assert isinstance(store, SqliteStore)
        if self.holder is not None or (self.store is store and store._conn is not self.real):
            return
        self.store, self.real = store, store._conn
        if self.kind == "lock":
            self.holder = sqlite3.connect(self.path, isolation_level=None)
            self.holder.execute("BEGIN IMMEDIATE")
        elif self.kind == "readonly":
            store._conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True,
                                          isolation_level=None, check_same_thread=False)
        else:
            error: Exception = (sqlite3.OperationalError("database or disk is full")
                                if self.kind == "full"
                                else OSError(errno.ENOSPC, "No space left on device"))
            store._conn = Refusing(self.real, error)  # type: ignore[assignment]

    def clear(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None
        if self.store is not None and self.store._conn is not self.real:
            if self.kind == "readonly":
                self.store._conn.close()
            self.store._conn = self.real


FAULTS = ["lock", "full", "enospc", "readonly"]


@pytest.fixture(params=FAULTS)
def fault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fault]:
    made = Fault(request.param, tmp_path / "store" / DB_FILENAME)
    yield made
    made.clear()


def moved_store(home: Path, to: Path) -> str:
    """Move the home's sessions file to ``to`` (so the home stays writable for reports and
    caches); the store URL of it, with the short lock timeout."""
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(Home(home).store_file, to)
    return f"sqlite:///{to}?timeout={TIMEOUT_S}"


def app_on(home: Path, sid: str, url: str) -> PmsimApp:
    app = PmsimApp(session=sid, home=home, store=url, pace=0)
    app.report_replications = REPLICATIONS
    return app


def stored_kinds(path: Path, sid: str) -> list[str]:
    with SqliteStore.open(path, readonly=True) as store:
        return [e.kind for e in store.events(sid)]


def dialog_text(app: PmsimApp) -> str:
    return str(app.screen.query_one("#unsaved-text", Static).render())


async def refused(pilot: Pilot, fault: Fault, what: str,
                  act: Callable[[], Any]) -> None:
    """Arm the fault, act, and check the dialog: it names ``what`` and the cause."""
    app = pilot.app
    fault.arm(app)
    await act()
    await until(pilot, lambda: screen_name(app) == "UnsavedScreen")
    text = dialog_text(app)
    assert "Not saved" in text and what in text and fault.why in text, text
    assert app.is_running


async def retried(pilot: Pilot, fault: Fault) -> None:
    """Clear the fault and press Retry."""
    fault.clear()
    await pilot.click("#retry")
    await until(pilot, lambda: screen_name(pilot.app) != "UnsavedScreen")
    await pilot.pause()


# --------------------------------------------------------------------------- in a meeting


def test_a_meeting_survives_refused_writes_and_retry_saves_them(
        fault: Fault, tmp_path: Path) -> None:
    asyncio.run(_in_a_meeting(fault, tmp_path))


async def _in_a_meeting(fault: Fault, tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seed_session(home, through="meeting-1", close=False)
    url = moved_store(home, fault.path)
    app = app_on(home, sid, url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "MeetingScreen"
                    and app.room.sim is not None)
        await pilot.pause()
        kinds = stored_kinds(fault.path, sid)

        # A screen switch: the dashboard shows (it is only where this terminal looks),
        # the dialog says the move was not recorded; Retry records it.
        # The view the dashboard opens on is refused too: one dialog names both.
        await refused(pilot, fault, "the move to the dashboard", lambda: pilot.press("f3"))
        await until(pilot, lambda: "reading/hudson-ms/all" in dialog_text(app))
        assert stored_kinds(fault.path, sid) == kinds
        assert app.room.state.screen == "meeting"
        await retried(pilot, fault)
        assert screen_name(app) == "DashboardScreen"
        assert app.room.state.screen == "dashboard"
        assert stored_kinds(fault.path, sid) == [*kinds, "stage.changed", "view.opened"]

        # A view: not counted for the debrief until it is saved.
        views = len(app.room.state.views_opened)
        await refused(pilot, fault, "that you looked at reading/hudson-ms/grade",
                      lambda: pilot.press("g"))
        assert len(app.room.state.views_opened) == views
        await retried(pilot, fault)
        assert app.room.state.views_opened[-1].view == "reading/hudson-ms/grade"

        # A record: the form keeps what was typed and nothing says "Saved"; Retry saves
        # it and only then clears the form.
        await pilot.press("f4")
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        await pilot.pause()
        meeting = app.screen
        meeting.show_step("stakeholders")
        await pilot.pause()
        records = len(app.room.records("meeting-1", ("stakeholder",)))
        await refused(pilot, fault, "a partner or stakeholder to engage", lambda: fill(
            pilot, "stakeholder", party="stakeholder", who="Families of English learners",
            how="Involve"))
        assert len(app.room.records("meeting-1", ("stakeholder",))) == records
        assert not any("Saved: a partner or stakeholder" in str(n.message)
                       for n in app._notifications)
        await pilot.press("escape")  # keep working, not saved
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        await pilot.pause()
        form = meeting.query_one("#stakeholder", RecordForm)
        assert form.widget("who").value == "Families of English learners"
        assert any(n.message.startswith("Not saved: a partner or stakeholder to engage")
                   for n in app._notifications)
        fault.arm(app)
        await pilot.click("#stakeholder-save")
        await until(pilot, lambda: screen_name(app) == "UnsavedScreen")
        await retried(pilot, fault)
        saved = app.room.records("meeting-1", ("stakeholder",))
        assert len(saved) == records + 1
        assert saved[-1][1].fields["who"] == "Families of English learners"
        assert form.widget("who").value == ""

        # Closing the meeting: it stays open, on screen and in the store, until saved.
        await refused(pilot, fault, "the closing of Meeting #1", lambda: _close(pilot))
        assert "meeting-1" not in app.room.state.closed_meetings
        assert "meeting.closed" not in stored_kinds(fault.path, sid)
        assert app.screen_stack[-2] is meeting
        await retried(pilot, fault)
        await until(pilot, lambda: screen_name(app) == "ClosedScreen")
        await pilot.click("#go-on")
        await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                    and not app.room.needs_simulation())
        assert "meeting-1" in app.room.state.closed_meetings
        assert app.room.state.stage == "debrief-1"
        assert app.is_running


async def _close(pilot: Pilot) -> None:
    await pilot.press("f10")
    await until(pilot, lambda: screen_name(pilot.app) == "ClosingScreen")
    await pilot.click("#close")
    await pilot.pause()


# --------------------------------------------------------------------------- stage changes


def test_a_meeting_starts_and_the_year_moves_on_only_once_saved(tmp_path: Path) -> None:
    asyncio.run(_stage_changes(tmp_path))


async def _stage_changes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seed_session(home, through="meeting-1", screen="changes")
    fault = Fault("lock", tmp_path / "store" / DB_FILENAME)
    app = app_on(home, sid, moved_store(home, fault.path))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and not app.room.needs_simulation())
            await pilot.pause()
            changes = app.screen
            # On to Meeting #2's briefing: the stage does not move until that is saved.
            await refused(pilot, fault, "the move on to the next meeting's briefing",
                          lambda: pilot.click("#continue"))
            assert app.screen_stack[-2] is changes and app.room.state.stage == "debrief-1"
            await retried(pilot, fault)
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            assert app.room.state.stage == "meeting-2"
            # The meeting opens on screen only once its start is saved.
            await pilot.pause()
            briefing = app.screen
            await refused(pilot, fault, "the start of Meeting #2",
                          lambda: pilot.click("#start"))
            assert app.screen_stack[-2] is briefing
            assert app.room.state.screen == "briefing"
            await retried(pilot, fault)
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            assert (app.room.state.stage, app.room.state.screen) == ("meeting-2", "meeting")
    finally:
        fault.clear()


# --------------------------------------------------------------------------- the debrief


def test_the_poll_and_the_take_home_survive_refused_writes(
        fault: Fault, tmp_path: Path) -> None:
    asyncio.run(_in_the_debrief(fault, tmp_path))


async def _in_the_debrief(fault: Fault, tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seed_session(home, through="meeting-2", screen="debrief")
    url = moved_store(home, fault.path)
    app = app_on(home, sid, url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "DebriefScreen"
                    and shows(app, "#poll"), timeout=30)
        await pilot.pause()
        went = app.screen.query_one("#went-well", Input)
        improve = app.screen.query_one("#improve", Input)

        # The poll: the answers stay in the form until they are saved.
        went.value, improve.value = "We named a target", "Look beneath the average"
        await pilot.pause()
        await refused(pilot, fault, "poll answers", lambda: pilot.click("#poll-save"))
        assert app.room.state.polls == []
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "DebriefScreen")
        await pilot.pause()
        assert (went.value, improve.value) == ("We named a target", "Look beneath the average")
        fault.arm(app)
        await pilot.click("#poll-save")
        await until(pilot, lambda: screen_name(app) == "UnsavedScreen")
        await retried(pilot, fault)
        assert [p["went_well"] for p in app.room.state.polls] == ["We named a target"]
        assert went.value == ""
        improve.value = "Follow up each step"
        await pilot.click("#poll-save")
        await until(pilot, lambda: len(app.room.state.polls) == 2)

        # The take-home (the year is over): the steps stay until saved.
        await ratings_shown(pilot)
        await open_tab(pilot, "tab-takehome")
        step = app.screen.query_one("#step-1", Input)
        step.value = "Look at subgroups before deciding"
        await pilot.pause()
        await refused(pilot, fault, "next steps", lambda: pilot.click("#takehome-save"))
        assert app.room.state.takehome == []
        assert "takehome.answered" not in stored_kinds(fault.path, sid)
        await retried(pilot, fault)
        assert [t["steps"] for t in app.room.state.takehome] == [
            ["Look at subgroups before deciding"]]
        assert step.value == ""
        assert app.is_running


# --------------------------------------------------------------------------- the poll


def test_the_poll_survives_a_store_it_cannot_read(tmp_path: Path) -> None:
    asyncio.run(_unreadable(tmp_path))


async def _unreadable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = seed_session(home, through="meeting-1", close=False)
    path = tmp_path / "store" / DB_FILENAME
    app = app_on(home, sid, moved_store(home, path))
    app.poll_interval = 0.05
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: screen_name(app) == "MeetingScreen")
        store = app.room.store
        assert isinstance(store, SqliteStore)
        real = store._conn
        store._conn = Refusing(real, sqlite3.OperationalError("disk I/O error"), reads=True)
        await until(pilot, lambda: any("Can't read" in str(n.message)
                                       for n in app._notifications))
        await pilot.pause(0.3)  # several polls fail: told once
        assert sum("Can't read" in str(n.message) for n in app._notifications) == 1
        with SqliteStore.open(path) as other:  # the other terminal writes meanwhile
            other.append(sid, "note.added", "district", {"text": "From the district"})
        store._conn = real
        await until(pilot, lambda: app.room.state.last_seq == stored_seq(path, sid))
        assert any("read again" in str(n.message) for n in app._notifications)
        assert app.is_running


def stored_seq(path: Path, sid: str) -> int:
    with SqliteStore.open(path, readonly=True) as store:
        return store.last_seq(sid)


# --------------------------------------------------------------------------- the room


def test_a_room_write_the_store_refuses_is_not_saved_and_changes_nothing(
        tmp_path: Path) -> None:
    from simulator.session.client import Room

    path = tmp_path / DB_FILENAME
    room = Room.new(Home(tmp_path), "hudson", 1, store_url=f"sqlite:///{path}?timeout=0.1")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        before = room.state.last_seq
        with pytest.raises(NotSaved) as refusal:
            room.add_record("meeting-1", "stakeholder", {"who": "Families", "how": "Involve"})
        assert refusal.value.what == "the stakeholder record"
        assert "stayed busy for 0.1 s" in refusal.value.why
        assert room.state.last_seq == before and not room.state.records
        holder.execute("ROLLBACK")
        room.add_record("meeting-1", "stakeholder", {"who": "Families", "how": "Involve"})
        assert [r.fields for r in room.state.records.values()] == [
            {"who": "Families", "how": "Involve"}]
    finally:
        holder.close()
        room.close()



# --------------------------------------------------------------------------- the store


@pytest.mark.parametrize(("error", "said"), [
    (sqlite3.OperationalError("database or disk is full"), "is full"),
    (sqlite3.OperationalError("disk I/O error"), "failed (disk I/O error)"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "is read-only here"),
    (sqlite3.OperationalError("database is locked"), "stayed busy for 0.1 s"),
    (OSError(errno.ENOSPC, "No space left on device"), "is full"),
    (OSError(errno.EROFS, "Read-only file system"), "is read-only here"),
    (OSError(errno.EACCES, "Permission denied"), "is read-only here"),
    (OSError(errno.EIO, "Input/output error"), "cannot write"),
])
def test_a_refused_write_says_why_appends_nothing_and_the_store_goes_on(
        tmp_path: Path, error: Exception, said: str) -> None:
    with SqliteStore.open(tmp_path / DB_FILENAME, timeout=0.1) as store:
        sid = store.create_session("hudson", "0" * 64, 1, "t").id
        real = store._conn
        store._conn = Refusing(real, error)  # type: ignore[assignment]
        with pytest.raises(StoreError, match=re.escape(said)) as refusal:
            store.append(sid, "note.added", "state", {"text": "lost"})
        assert str(tmp_path) in str(refusal.value)
        store._conn = real
        assert not real.in_transaction and store.last_seq(sid) == 1
        store.append(sid, "note.added", "state", {"text": "kept"})
        assert [e.payload for e in store.events(sid, after=1)] == [{"text": "kept"}]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeout=st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.-e+xn", max_size=6)))
def test_a_store_url_timeout_is_seconds_above_0_up_to_an_hour_or_refused(
        tmp_path: Path, timeout: str) -> None:
    url = f"sqlite:///{tmp_path / DB_FILENAME}?timeout={timeout}"
    given = urllib.parse.unquote_plus(timeout)  # how a URL's query is read ("+" is a space)
    try:
        seconds = float(given)
    except ValueError:
        seconds = float("nan")
    if 0 < seconds <= 3600:
        with open_store(url, Home(tmp_path)) as store:
            assert isinstance(store, SqliteStore) and store.timeout == seconds
    else:
        with pytest.raises(StoreError, match="timeout must be seconds"):
            open_store(url, Home(tmp_path))


def test_a_terminal_waits_seconds_not_ten_for_a_held_lock_before_it_says_so(
        tmp_path: Path) -> None:
    """Writes run on the UI thread: under another process's lock the screen stands still
    only WRITE_WAIT_S (3 s), not the 10 s a script waits, before the dialog says so."""
    from faultlib import held_write_lock

    from tui.app import WRITE_WAIT_S

    home = tmp_path / "home"
    app = PmsimApp(scenario="hudson", seed=1, home=home, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "BriefingScreen")
            assert app.room.store.timeout == WRITE_WAIT_S < sqlite.BUSY_TIMEOUT_S
            conn = app.room.store._conn  # type: ignore[attr-defined]
            assert conn.execute("PRAGMA busy_timeout").fetchone() == (WRITE_WAIT_S * 1000,)
            with held_write_lock(Home(home).store_file):
                start = time.monotonic()
                await pilot.press("f3")
                await until(pilot, lambda: screen_name(app) == "UnsavedScreen")
                took = time.monotonic() - start
            assert took > WRITE_WAIT_S - 0.5, took  # it did wait (an upper bound is the
            # busy timeout above: wall time on a loaded machine adds the UI's own delays)
            assert "busy" in dialog_text(app)

    asyncio.run(run())
