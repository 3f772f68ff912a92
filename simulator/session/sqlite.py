"""The embedded store: every session in one SQLite file (WAL).

Two terminals may play the same session at once through the same file, so
every append takes the write lock (``BEGIN IMMEDIATE``), numbers its events
from ``max(seq) + 1`` and commits with ``synchronous=FULL`` before returning:
concurrent appends serialise instead of losing one another, and a killed
process loses nothing it was told is saved.

Standard library only, so that ``pmsim session list`` starts fast.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from simulator.session import store as base
from simulator.session.store import (
    ID_ATTEMPTS,
    INITIAL_STAGE,
    SESSION_CREATED,
    STAGE_CHANGED,
    SYSTEM_ROLE,
    Event,
    NewEvent,
    SessionInfo,
    Store,
    StoreError,
    canonical_json,
    check_expected,
    os_refusal,
    session_created_json,
    unknown_session,
)

BUSY_TIMEOUT_S = 10.0
"""How long an append waits for another process's write before giving up."""

# Migration i takes the schema from version i to i + 1; append one to change the
# schema, never edit a shipped one. Statements run one by one in a single
# transaction (``executescript`` would commit half-way).
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            scenario TEXT NOT NULL,
            scenario_sha256 TEXT NOT NULL,
            seed INTEGER NOT NULL,
            title TEXT NOT NULL,
            created TEXT NOT NULL
        )""",
        """CREATE TABLE events (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            kind TEXT NOT NULL,
            role TEXT NOT NULL,
            payload TEXT NOT NULL,
            created TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID""",
        # The stage of a session is its latest stage.changed event: one index probe.
        "CREATE INDEX events_by_kind ON events (session_id, kind, seq)",
        "CREATE INDEX sessions_by_created ON sessions (created)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)

# The stage of a session is its latest stage.changed event: two index probes. Its payload
# is decoded in Python, so that a damaged one is reported with its session and seq.
_LATEST_STAGE = f"""
    FROM events AS e WHERE e.session_id = s.id AND e.kind = '{STAGE_CHANGED}'
    ORDER BY e.seq DESC LIMIT 1
"""
_SESSION_COLUMNS = f"""
    s.id, s.scenario, s.scenario_sha256, s.seed, s.title, s.created,
    (SELECT e.seq {_LATEST_STAGE}), (SELECT e.payload {_LATEST_STAGE}),
    (SELECT MAX(e.seq) FROM events AS e WHERE e.session_id = s.id)
"""

_INSERT_EVENT = (
    "INSERT INTO events (session_id, seq, kind, role, payload, created)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


_EventRow = tuple[str, int, str, str, str, str]
"""A row of the events table, in ``_INSERT_EVENT``'s order."""


def _encoded(events: Sequence[NewEvent]) -> list[tuple[str, str, str]]:
    """Each event's kind, role and payload as canonical JSON; raises for a payload that is
    not JSON, so a caller encodes before its transaction and a bad batch writes nothing."""
    return [(kind, role, canonical_json(payload)) for kind, role, payload in events]


def _event_rows(session_id: str, first: int, encoded: Sequence[tuple[str, str, str]],
                created: str) -> list[_EventRow]:
    """The events table's rows of ``encoded`` events, numbered from ``first``, one stamp."""
    return [(session_id, first + i, kind, role, text, created)
            for i, (kind, role, text) in enumerate(encoded)]


def _seed_column(seed: int) -> int:
    """A seed (0 … 2**64 - 1) as SQLite's signed 64-bit INTEGER holds it: two's complement."""
    return seed - 2**64 if seed >= 2**63 else seed


def _seed_value(column: int) -> int:
    """The seed that ``_seed_column`` stored as ``column``."""
    return column + 2**64 if column < 0 else column


class _Damaged(Exception):
    """A value of a row that is not what pmsim wrote there (raised as a StoreError)."""


def _session_info(row: tuple[Any, ...], path: Path) -> SessionInfo:
    """A sessions row (with its latest stage), or a StoreError naming what is damaged."""
    sid, scenario, sha, seed, title, created, stage_seq, stage_payload, last_seq = row
    try:
        for column, value in (("id", sid), ("scenario", scenario),
                              ("scenario_sha256", sha), ("title", title)):
            _expect(isinstance(value, str) and (value != "" or column == "title"),
                    f"its {column} is {value!r}, not text")
        _expect(isinstance(seed, int), f"its seed is {seed!r}, not a whole number")
        _timestamp(created)
        _expect(isinstance(last_seq, int), "it has no events")
    except _Damaged as err:
        raise StoreError(f"session {_shown(sid)} in the sessions file {path} is damaged: {err}"
                         " (its row in the sessions table)") from None
    stage: object = INITIAL_STAGE
    if stage_seq is not None:
        stage = _event_payload(sid, stage_seq, stage_payload, path).get("stage")
    if not isinstance(stage, str):
        raise _damaged_event(sid, stage_seq, path, f"its stage is {stage!r}, not text")
    return SessionInfo(sid, scenario, sha, _seed_value(seed), title, created, stage, last_seq)


def _event(session_id: str, row: tuple[Any, ...], path: Path) -> Event:
    """An events row as an Event, or a StoreError naming the session and the row's seq."""
    seq, kind, role, payload, created = row
    try:
        _expect(isinstance(seq, int) and seq >= 1, f"its seq is {seq!r}, not a whole number")
        _expect(isinstance(kind, str) and kind != "", f"its kind is {kind!r}, not a name")
        _expect(isinstance(role, str) and role != "", f"its role is {role!r}, not a name")
        _timestamp(created)
    except _Damaged as err:
        raise _damaged_event(session_id, seq, path, str(err)) from None
    return Event(session_id, seq, kind, role, _event_payload(session_id, seq, payload, path),
                 created)


def _event_payload(session_id: str, seq: object, text: object, path: Path) -> dict[str, Any]:
    """A stored payload: the JSON text of an object, else a StoreError naming the event."""
    if not isinstance(text, str):
        raise _damaged_event(session_id, seq, path, "its payload is not text")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise _damaged_event(session_id, seq, path, "its payload is not JSON") from None
    if not isinstance(payload, dict):
        raise _damaged_event(session_id, seq, path,
                             f"its payload is a JSON {type(payload).__name__}, not an object")
    return payload


def _damaged_event(session_id: object, seq: object, path: Path, problem: str) -> StoreError:
    return StoreError(
        f"session {_shown(session_id)}, event {_shown(seq)}, in the sessions file {path}"
        f" is damaged: {problem}"
    )


def _shown(value: object) -> str:
    """An id or seq as a message names it: as is when it has its type, else quoted."""
    return str(value) if isinstance(value, str | int) and value != "" else repr(value)


def _expect(ok: bool, problem: str) -> None:
    if not ok:
        raise _Damaged(problem)


def _timestamp(value: object) -> None:
    """Stores stamp rows in ISO 8601 (UTC); anything else was not written by pmsim."""
    try:
        datetime.fromisoformat(value if isinstance(value, str) else "")
    except ValueError:
        raise _Damaged(f"its time {value!r} is not a timestamp") from None


class SqliteStore(Store):
    """Sessions in one SQLite file; safe to share between threads and processes."""

    def __init__(self, connection: sqlite3.Connection, path: Path, *,
                 timeout: float = BUSY_TIMEOUT_S, read_only: bool = False,
                 asked_read_only: bool = False) -> None:
        """Wrap an open, migrated connection; use :meth:`open` instead."""
        self._conn = connection
        self.path = path
        self.timeout = timeout
        self.read_only = read_only
        self._asked_read_only = asked_read_only
        """Opened read-only on request, not because the file could not be written."""
        # One connection serves the UI thread and its workers; sqlite3 objects
        # are not safe to use from two threads at once.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False,
             timeout: float = BUSY_TIMEOUT_S) -> Self:
        """Open (creating it and its folder if need be) the sessions file at ``path``.

        A file or folder this process may not write is opened read-only
        (``read_only`` says so; every write is then refused with a StoreError).
        With ``readonly`` nothing is ever created, migrated or locked, so the
        commands that only read work on a read-only home; a missing file is an
        empty store. ``timeout`` is how long a write waits for another process's.
        """
        path = Path(path)
        if readonly or (path.exists() and not _writable(path)):
            return cls._open_read_only(path, timeout, asked=readonly)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(
                f"cannot create the folder {path.parent} for the sessions file: {err.strerror}"
            ) from None
        try:
            conn = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the sessions file {path}: {err}") from None
        try:
            _prepare(conn, path, timeout)
        except sqlite3.Error as err:
            conn.close()
            raise StoreError(_refusal(err, path, timeout)) from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, timeout=timeout)

    @classmethod
    def _open_read_only(cls, path: Path, timeout: float, *, asked: bool) -> Self:
        """The file opened with ``mode=ro`` (no file: an empty store, nothing created)."""
        if not path.exists():
            conn = _empty_database(path)
        else:
            try:
                conn, version = _connect_read_only(path, timeout)
            except sqlite3.Error as err:
                raise StoreError(f"cannot read the sessions file {path}: {err}") from None
            if version < SCHEMA_VERSION:  # created but never written to: no sessions yet
                conn.close()
                conn = _empty_database(path)
        return cls(conn, path, timeout=timeout, read_only=True, asked_read_only=asked)

    def close(self) -> None:
        """Close the file; the store can't be used afterwards."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._translated():
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A transaction holding the write lock from its start, so max(seq) can't go stale."""
        with self._lock, self._translated():
            if self.read_only:
                self._reopen_writable()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _reopen_writable(self) -> None:
        """A file opened read-only because it could not be written is reopened for writing
        once it can be (the home was made writable again); else the write is refused."""
        if self._asked_read_only:
            raise StoreError(f"the sessions file {self.path} was opened read-only")
        if not _writable(self.path):
            raise StoreError(f"the sessions file {self.path} is read-only here"
                             " (this user may not write it or its folder)")
        writable = type(self).open(self.path, timeout=self.timeout)
        if writable.read_only:
            writable.close()
            raise StoreError(f"the sessions file {self.path} is read-only here")
        self._conn.close()
        self._conn, self.read_only = writable._conn, False

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """SQLite's and the OS's errors as a StoreError saying why, in the user's words."""
        try:
            yield
        except sqlite3.Error as err:
            raise StoreError(_refusal(err, self.path, self.timeout)) from None
        except OSError as err:
            raise StoreError(os_refusal(err, self.path)) from None

    def create_session(
        self,
        scenario: str,
        scenario_sha256: str,
        seed: int,
        title: str,
        payload: dict[str, Any] | None = None,
        events: Sequence[NewEvent] = (),
    ) -> SessionInfo:
        first = (SESSION_CREATED, SYSTEM_ROLE,
                 session_created_json(scenario, scenario_sha256, seed, title, payload))
        encoded = [first, *_encoded(events)]  # checked before the transaction
        created = base._now()
        with self._write() as conn:
            for _ in range(ID_ATTEMPTS):
                sid = base._new_session_id()
                if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone() is None:
                    break
            else:
                raise StoreError("could not find an unused session id; try again")
            conn.execute(
                "INSERT INTO sessions (id, scenario, scenario_sha256, seed, title, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sid, scenario, scenario_sha256, _seed_column(seed), title, created),
            )
            conn.executemany(_INSERT_EVENT, _event_rows(sid, 1, encoded, created))
        stage = next((p["stage"] for kind, _, p in reversed(events) if kind == STAGE_CHANGED),
                     INITIAL_STAGE)
        return SessionInfo(sid, scenario, scenario_sha256, seed, title, created, stage,
                           1 + len(events))

    def append_many(
        self, session_id: str, events: Sequence[NewEvent], *, expect_seq: int | None = None
    ) -> list[Event]:
        if not events:
            return []
        encoded = _encoded(events)  # checked before the transaction: a bad one appends nothing
        created = base._now()
        with self._write() as conn:
            first = _max_seq(conn, session_id) + 1
            check_expected(session_id, first, expect_seq)
            rows = _event_rows(session_id, first, encoded, created)
            conn.executemany(_INSERT_EVENT, rows)
        return [
            Event(sid, seq, kind, role, json.loads(text), stamp)
            for sid, seq, kind, role, text, stamp in rows
        ]

    def events(self, session_id: str, after: int = 0) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT e.seq, e.kind, e.role, e.payload, e.created"
                " FROM sessions AS s LEFT JOIN events AS e"
                " ON e.session_id = s.id AND e.seq > ?"
                " WHERE s.id = ? ORDER BY e.seq",
                (after, session_id),
            ).fetchall()
        if not rows:
            raise unknown_session(session_id)
        events = [_event(session_id, row, self.path) for row in rows if row[0] is not None]
        if after == 0 and not events:
            raise _damaged_event(session_id, 1, self.path, f"its {SESSION_CREATED} is missing")
        return events

    def get(self, session_id: str) -> SessionInfo:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions AS s WHERE s.id = ?", (session_id,)
            ).fetchone()
        if row is None:
            raise unknown_session(session_id)
        return _session_info(row, self.path)

    def list_sessions(self) -> list[SessionInfo]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions AS s"
                " ORDER BY s.created DESC, s.rowid DESC"
            ).fetchall()
        return [_session_info(row, self.path) for row in rows]

    def last_seq(self, session_id: str) -> int:
        with self._read() as conn:
            return _max_seq(conn, session_id)


def _writable(path: Path) -> bool:
    """Whether this process may write the file and create its journal beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _connect_read_only(path: Path, timeout: float) -> tuple[sqlite3.Connection, int]:
    """A ``mode=ro`` connection and the file's schema version.

    A reader of a WAL file needs its ``-shm`` beside it; in a folder nobody may
    write, with no log pending, the file is read as ``immutable`` instead.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    try:
        return _configured_read_only(uri, path, timeout)
    except sqlite3.OperationalError as err:
        if err.sqlite_errorname != "SQLITE_CANTOPEN" or (wal.exists() and wal.stat().st_size):
            raise
    return _configured_read_only(uri + "&immutable=1", path, timeout)


def _configured_read_only(uri: str, path: Path, timeout: float
                          ) -> tuple[sqlite3.Connection, int]:
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        _check_version(version, path)
    except BaseException:
        conn.close()
        raise
    return conn, version


def _empty_database(path: Path) -> sqlite3.Connection:
    """An in-memory store with the schema and no sessions: what a missing file holds."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _migrate(conn, path)
    return conn


def _prepare(conn: sqlite3.Connection, path: Path, timeout: float) -> None:
    """Configure and migrate, retrying while another process is doing the same.

    Switching a new file to WAL does not wait on SQLite's busy handler, so two
    terminals opening a fresh home at once would otherwise see "database is locked".
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            _configure(conn, path, timeout)
            _migrate(conn, path)
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _configure(conn: sqlite3.Connection, path: Path, timeout: float) -> None:
    """Per-connection settings; WAL is stored in the file, the others are not."""
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    if mode != "wal":
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if mode != "wal":
        raise StoreError(
            f"the sessions file {path} can't use write-ahead logging"
            f" (journal mode stays {mode!r}); put it on a local disk"
        )


def _check_version(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the sessions file {path} was written by a newer pmsim"
            f" (schema {version}, this one knows {SCHEMA_VERSION}); upgrade pmsim"
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION; readers of a current file take no write lock."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()  # another process may have
        _check_version(version, path)
        for statements in _MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _refusal(err: sqlite3.Error, path: Path, timeout: float) -> str:
    """Why SQLite refused, in the user's words: busy, full, read-only, the disk, or its own."""
    name = getattr(err, "sqlite_errorname", None) or ""
    text = str(err)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return (f"the sessions file {path} stayed busy for {timeout:g} s "
                "(another pmsim is writing to it); try again")
    if name == "SQLITE_FULL" or "disk is full" in text:
        return f"the disk holding the sessions file {path} is full; free some space and try again"
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"the sessions file {path} is read-only here"
    if name.startswith("SQLITE_IOERR") or "disk I/O" in text:
        return f"the disk holding the sessions file {path} failed ({text}); try again"
    return f"cannot use the sessions file {path}: {text}"


def _max_seq(conn: sqlite3.Connection, session_id: str) -> int:
    """The session's latest seq (0 before any event); UnknownSessionError if none."""
    row = conn.execute(
        "SELECT (SELECT MAX(seq) FROM events WHERE session_id = s.id)"
        " FROM sessions AS s WHERE s.id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        raise unknown_session(session_id)
    return row[0] or 0
