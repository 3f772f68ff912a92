"""Sessions and their events in one SQLite file (WAL).

A session is an append-only log of events; everything else is derived from it
(see :mod:`simulator.session.state`). Two terminals may play the same session at once
through the same file, so every append takes the write lock (``BEGIN
IMMEDIATE``), numbers its event ``max(seq) + 1`` and commits with
``synchronous=FULL`` before returning: an event a caller was told is saved
survives a killed process, and concurrent appends serialise instead of losing
one another. Readers poll cheaply with ``events(session_id, after=seq)``.

This module imports only the standard library so that ``pmsim session list``
starts fast.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

DB_FILENAME = "sessions.sqlite3"
INITIAL_STAGE = "briefing"
"""The stage of a session before its first ``stage.changed`` event."""
SESSION_CREATED = "session.created"
STAGE_CHANGED = "stage.changed"
SYSTEM_ROLE = "system"
"""The role of events no participant wrote (the ``session.created`` event)."""

BUSY_TIMEOUT_S = 10.0
"""How long an append waits for another process's write before giving up."""

ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
"""Session-id characters: lower case, without 0/o, 1/i/l, which people misread."""
ID_LENGTH = 8
_ID_ATTEMPTS = 20

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

_SESSION_COLUMNS = f"""
    s.id, s.scenario, s.scenario_sha256, s.seed, s.title, s.created,
    COALESCE(
        (SELECT json_extract(e.payload, '$.stage') FROM events AS e
         WHERE e.session_id = s.id AND e.kind = '{STAGE_CHANGED}'
         ORDER BY e.seq DESC LIMIT 1),
        '{INITIAL_STAGE}'
    ),
    (SELECT MAX(e.seq) FROM events AS e WHERE e.session_id = s.id)
"""


class StoreError(Exception):
    """A problem with saved sessions, worded for the user (the CLI prints it as is)."""


class UnknownSessionError(StoreError):
    """No session has the id asked for."""


class ConflictError(StoreError):
    """Someone else appended to the session since the caller last looked."""


@dataclass(frozen=True)
class Event:
    """One entry of a session's log, as stored."""

    session_id: str
    seq: int
    kind: str
    role: str
    payload: dict[str, Any]
    created: str


@dataclass(frozen=True)
class SessionInfo:
    """What a list of sessions shows, computed without replaying the log."""

    id: str
    scenario: str
    scenario_sha256: str
    seed: int
    title: str
    created: str
    stage: str
    last_seq: int


def default_home() -> Path:
    """Where sessions live: ``$PMSIM_HOME``, else the platform's user data dir."""
    env = os.environ.get("PMSIM_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs  # only the commands that store need it

    return Path(platformdirs.user_data_dir("pmsim"))


def canonical_json(payload: dict[str, Any]) -> str:
    """The one text form of a payload, so equal payloads are equal bytes in the log."""
    if not isinstance(payload, dict):
        raise ValueError(f"an event payload must be a JSON object, not {type(payload).__name__}")
    try:
        return json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise ValueError(f"the event payload is not JSON-serialisable: {err}") from None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_session_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def _session_info(row: tuple[Any, ...]) -> SessionInfo:
    sid, scenario, sha, seed, title, created, stage, last_seq = row
    return SessionInfo(sid, scenario, sha, seed, title, created, str(stage), last_seq or 0)


class Store:
    """The sessions file of one pmsim home; safe to share between threads and processes."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Wrap an open, migrated connection; use :meth:`open` instead."""
        self._conn = connection
        self.path = path
        # One connection serves the UI thread and its workers; sqlite3 objects
        # are not safe to use from two threads at once.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, home: Path | None = None) -> Self:
        """Open (creating if need be) ``sessions.sqlite3`` under ``home``."""
        home = default_home() if home is None else Path(home)
        path = home / DB_FILENAME
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the pmsim home {home}: {err.strerror}") from None
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the sessions file {path}: {err}") from None
        try:
            _prepare(conn, path)
        except sqlite3.Error as err:
            conn.close()
            raise StoreError(f"cannot use the sessions file {path}: {err}") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        """Close the file; the store can't be used afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._translated():
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A transaction holding the write lock from its start, so max(seq) can't go stale."""
        with self._lock, self._translated():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise StoreError(
                    f"the sessions file {self.path} stayed busy for {BUSY_TIMEOUT_S:g} s "
                    "(another pmsim is writing to it); try again"
                ) from None
            raise StoreError(f"cannot use the sessions file {self.path}: {err}") from None
        except sqlite3.Error as err:
            raise StoreError(f"cannot use the sessions file {self.path}: {err}") from None

    def create_session(
        self,
        scenario: str,
        scenario_sha256: str,
        seed: int,
        title: str,
        payload: dict[str, Any] | None = None,
    ) -> SessionInfo:
        """Start a session: a new id and its ``session.created`` event, in one transaction.

        ``payload`` adds keys to the ``session.created`` event (how the session
        was started beyond scenario and seed); it can't change the four above.
        """
        core: dict[str, Any] = {
            "scenario": scenario,
            "scenario_sha256": scenario_sha256,
            "seed": seed,
            "title": title,
        }
        extra = dict(payload or {})
        clashes = sorted(k for k in extra if k in core and extra[k] != core[k])
        if clashes:
            raise ValueError(f"the session.created payload can't override {', '.join(clashes)}")
        text = canonical_json(extra | core)
        created = _now()
        with self._write() as conn:
            for _ in range(_ID_ATTEMPTS):
                sid = _new_session_id()
                if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone() is None:
                    break
            else:
                raise StoreError("could not find an unused session id; try again")
            conn.execute(
                "INSERT INTO sessions (id, scenario, scenario_sha256, seed, title, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sid, scenario, scenario_sha256, seed, title, created),
            )
            conn.execute(
                "INSERT INTO events (session_id, seq, kind, role, payload, created)"
                " VALUES (?, 1, ?, ?, ?, ?)",
                (sid, SESSION_CREATED, SYSTEM_ROLE, text, created),
            )
        return SessionInfo(sid, scenario, scenario_sha256, seed, title, created, INITIAL_STAGE, 1)

    def append(
        self,
        session_id: str,
        kind: str,
        role: str,
        payload: dict[str, Any],
        *,
        expect_seq: int | None = None,
    ) -> Event:
        """Add an event at the end of the log and commit it before returning.

        With ``expect_seq`` the append succeeds only if the new event would get
        that seq (the caller has seen everything before it), else ConflictError.
        """
        text = canonical_json(payload)
        created = _now()
        with self._write() as conn:
            seq = _max_seq(conn, session_id) + 1
            if expect_seq is not None and expect_seq != seq:
                raise ConflictError(
                    f"session {session_id} changed meanwhile (event {seq - 1} is the latest,"
                    f" not {expect_seq - 1}); reload it and try again"
                )
            conn.execute(
                "INSERT INTO events (session_id, seq, kind, role, payload, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, seq, kind, role, text, created),
            )
        return Event(session_id, seq, kind, role, json.loads(text), created)

    def events(self, session_id: str, after: int = 0) -> list[Event]:
        """The session's events with seq > ``after``, in order (for polling)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT e.seq, e.kind, e.role, e.payload, e.created"
                " FROM sessions AS s LEFT JOIN events AS e"
                " ON e.session_id = s.id AND e.seq > ?"
                " WHERE s.id = ? ORDER BY e.seq",
                (after, session_id),
            ).fetchall()
        if not rows:
            raise UnknownSessionError(f"no session with id {session_id!r}")
        return [
            Event(session_id, seq, kind, role, json.loads(payload), created)
            for seq, kind, role, payload, created in rows
            if seq is not None
        ]

    def get(self, session_id: str) -> SessionInfo:
        """One session's summary, including its current stage."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions AS s WHERE s.id = ?", (session_id,)
            ).fetchone()
        if row is None:
            raise UnknownSessionError(f"no session with id {session_id!r}")
        return _session_info(row)

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, newest first."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions AS s"
                " ORDER BY s.created DESC, s.rowid DESC"
            ).fetchall()
        return [_session_info(row) for row in rows]

    def last_seq(self, session_id: str) -> int:
        """The seq of the session's latest event (cheap: tells a poller if anything is new)."""
        with self._read() as conn:
            return _max_seq(conn, session_id)


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Configure and migrate, retrying while another process is doing the same.

    Switching a new file to WAL does not wait on SQLite's busy handler, so two
    terminals opening a fresh home at once would otherwise see "database is locked".
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            _configure(conn, path)
            _migrate(conn, path)
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    """Per-connection settings; WAL is stored in the file, the others are not."""
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    if mode != "wal":
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if mode != "wal":
        raise StoreError(
            f"the sessions file {path} can't use write-ahead logging"
            f" (journal mode stays {mode!r}); put PMSIM_HOME on a local disk"
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION; readers of a current file take no write lock."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()  # another process may have
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the sessions file {path} was written by a newer pmsim"
                f" (schema {version}, this one knows {SCHEMA_VERSION}); upgrade pmsim"
            )
        for statements in _MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _max_seq(conn: sqlite3.Connection, session_id: str) -> int:
    """The session's latest seq (0 before any event); UnknownSessionError if none."""
    row = conn.execute(
        "SELECT (SELECT MAX(seq) FROM events WHERE session_id = s.id)"
        " FROM sessions AS s WHERE s.id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        raise UnknownSessionError(f"no session with id {session_id!r}")
    return row[0] or 0
