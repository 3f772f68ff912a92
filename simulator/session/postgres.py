"""The shared store: sessions in a PostgreSQL database, for several hosts at once.

Selected by a store URL ``postgresql://USER@HOST:PORT/DB`` (see
:func:`simulator.session.home.open_store`); the password comes from ``PGPASSWORD``
or ``~/.pgpass`` as libpq finds it, and is never shown in a message.

Everything lives in the database's schema ``pmsim``, created on first use:

- ``pmsim.meta``: one row, the schema version (a newer one is refused);
- ``pmsim.sessions``: one row per session;
- ``pmsim.events``: the append-only log, primary key (session_id, seq); a trigger
  refuses UPDATE, DELETE and TRUNCATE.

Appends to one session serialise on its ``sessions`` row (``SELECT … FOR UPDATE``):
the next seq is read after the lock is held, so concurrent writers on any number
of hosts get consecutive seqs, and (session_id, seq) being unique is the backstop.
Each transaction commits before the call returns (``synchronous_commit`` is the
server's; its default waits for the disk). A committing append sends
``NOTIFY pmsim_events, 'SESSION SEQ'``; :meth:`PostgresStore.wait` LISTENs on a
connection of its own and wakes on it, then reads by sequence number.

A connection the server dropped is opened again on the next call: a read is
retried once, and so is a write that had not reached its COMMIT (the server
rolled it back whole). A write whose COMMIT got no answer is looked up on a new
connection, so it is reported saved only if it was.

psycopg is imported here only; :mod:`simulator.session.home` imports this module
when a PostgreSQL URL is given, so the SQLite store never loads it.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pgerrors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

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
    session_created_json,
    unknown_session,
)

SCHEMES = ("postgresql", "postgres")
BUSY_TIMEOUT_S = 10.0
"""How long an append waits for another writer of the same session, unless told."""
CHANNEL = "pmsim_events"
"""The NOTIFY channel of appends; the payload is ``SESSION_ID SEQ`` (the batch's last)."""
RECHECK_S = 2.0
"""A waiting follower reads the log at least this often, notified or not."""
_MIGRATION_LOCK = 0x706D73696D  # "pmsim": the advisory lock two first openers share

# Migration i takes the schema from version i to i + 1; append one to change the schema,
# never edit a shipped one. All of them run in one transaction.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE SCHEMA IF NOT EXISTS pmsim",
        """CREATE TABLE pmsim.meta (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            schema_version integer NOT NULL
        )""",
        """CREATE TABLE pmsim.sessions (
            id text PRIMARY KEY,
            scenario text NOT NULL,
            scenario_sha256 text NOT NULL,
            seed numeric(20, 0) NOT NULL CHECK (seed >= 0),
            title text NOT NULL,
            created text NOT NULL,
            ord bigint GENERATED ALWAYS AS IDENTITY
        )""",
        """CREATE TABLE pmsim.events (
            session_id text NOT NULL REFERENCES pmsim.sessions (id),
            seq integer NOT NULL CHECK (seq >= 1),
            kind text NOT NULL,
            role text NOT NULL,
            payload text NOT NULL,
            created text NOT NULL,
            PRIMARY KEY (session_id, seq)
        )""",
        # The stage of a session is its latest stage.changed event: one index probe.
        "CREATE INDEX events_by_kind ON pmsim.events (session_id, kind, seq)",
        "CREATE INDEX sessions_by_created ON pmsim.sessions (created, ord)",
        """CREATE FUNCTION pmsim.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the events of pmsim sessions are append-only';
            END $$""",
        """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON pmsim.events
            FOR EACH ROW EXECUTE FUNCTION pmsim.refuse_change()""",
        """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON pmsim.events
            FOR EACH STATEMENT EXECUTE FUNCTION pmsim.refuse_change()""",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)

_SESSION_COLUMNS = f"""
    s.id, s.scenario, s.scenario_sha256, s.seed, s.title, s.created, st.seq, st.payload,
    (SELECT max(e.seq) FROM pmsim.events AS e WHERE e.session_id = s.id)
    FROM pmsim.sessions AS s LEFT JOIN LATERAL (
        SELECT e.seq, e.payload FROM pmsim.events AS e
        WHERE e.session_id = s.id AND e.kind = '{STAGE_CHANGED}'
        ORDER BY e.seq DESC LIMIT 1
    ) AS st ON true
"""
_INSERT_EVENT = (
    "INSERT INTO pmsim.events (session_id, seq, kind, role, payload, created)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
_PMSIM_OPTIONS = ("timeout", "mode")
"""Options of the URL's query that pmsim reads itself; libpq gets the rest."""
_DEFAULTS = {"keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5",
             "keepalives_count": "3", "application_name": "pmsim"}

T = TypeVar("T")
_EventRow = tuple[str, int, str, str, str, str]
_Rows = list[tuple[Any, ...]]
_NO_ROWS: _Rows = []


@dataclass(frozen=True)
class Target:
    """A parsed store URL: what libpq is given, and how messages name it (no password)."""

    conninfo: dict[str, str]
    timeout: float
    read_only: bool
    user: str
    server: str
    """``HOST:PORT`` (or the socket folder and port) as messages name the server."""
    database: str

    @property
    def shown(self) -> str:
        """The store as a message names it: ``postgresql://USER@HOST:PORT/DB``."""
        return f"postgresql://{self.user}@{self.server}/{self.database}"

    def scrub(self, text: str) -> str:
        """``text`` with the password, if one was given, masked (messages quote the server)."""
        password = self.conninfo.get("password")
        return text.replace(password, "********") if password else text


def parse_url(url: str, default_timeout: float) -> Target:
    """A ``postgresql://`` URL as libpq's parameters, with pmsim's own ``timeout=SECONDS``
    (how long an append waits for another's lock) and ``mode=ro`` taken out; StoreError
    for one pmsim or libpq can't read (the URL is never quoted: it may hold a password)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in SCHEMES:
        raise StoreError("a PostgreSQL store URL starts with postgresql://")
    try:
        parts = urlsplit("postgresql://" + rest)
    except ValueError as err:
        raise StoreError(f"the PostgreSQL store URL can't be read ({err});"
                         " write postgresql://USER@HOST:PORT/DB") from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in _PMSIM_OPTIONS}
    theirs = [(k, v) for k, v in query if k not in _PMSIM_OPTIONS]
    libpq_url = urlunsplit(parts._replace(query=urlencode(theirs)))
    try:
        conninfo = {k: str(v) for k, v in conninfo_to_dict(libpq_url).items()}
    except psycopg.Error as err:
        raise StoreError(f"the PostgreSQL store URL can't be used: {_first_line(err)};"
                         " write postgresql://USER@HOST:PORT/DB, and options after ?"
                         " as libpq knows them") from None
    if ours.get("mode", "ro") != "ro":
        raise StoreError("the PostgreSQL store URL: mode can only be ro")
    try:
        timeout = float(ours.get("timeout", default_timeout))
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 3600:
        raise StoreError("the PostgreSQL store URL: timeout must be seconds, above 0 up to 3600")
    port = conninfo.get("port") or os.environ.get("PGPORT") or "5432"
    if not all(p.strip().isdigit() for p in port.split(",")):
        raise StoreError(f"the PostgreSQL store URL: the port {port!r} is not a number")
    user = conninfo.get("user") or os.environ.get("PGUSER") or _os_user()
    host = (conninfo.get("host") or conninfo.get("hostaddr") or os.environ.get("PGHOST")
            or "localhost")
    database = conninfo.get("dbname") or os.environ.get("PGDATABASE") or user
    shown_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    conninfo = _DEFAULTS | {"connect_timeout": str(max(2, math.ceil(min(timeout, 30))))} | (
        conninfo)
    return Target(conninfo, timeout, "mode" in ours, user, f"{shown_host}:{port}", database)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid with no name in a container
        return "the current user"


def _first_line(err: BaseException) -> str:
    """The server's or libpq's words, without libpq's ``connection to server … failed:``."""
    text = str(err).strip()
    text = re.sub(r'^connection to server (at|on) "[^"]*"(, port \d+)? failed: ', "", text)
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text)
    return text.splitlines()[0].strip() if text else type(err).__name__


class PostgresStore(Store):
    """Sessions in a PostgreSQL database; safe to share between threads, processes, hosts."""

    def __init__(self, target: Target, connection: psycopg.Connection[Any], *,
                 read_only: bool, schema_ready: bool) -> None:
        """Wrap an open connection with the schema checked; use :meth:`open` instead."""
        self.target = target
        self.timeout = target.timeout
        self.read_only = read_only
        self._asked_read_only = target.read_only
        self._conn: psycopg.Connection[Any] | None = connection
        self._schema_ready = schema_ready
        """False only for a read-only store of a database pmsim has not set up yet."""
        self._lock = threading.RLock()
        self._listener: psycopg.Connection[Any] | None = None
        self._listen_lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, url: str, *, readonly: bool = False,
             timeout: float = BUSY_TIMEOUT_S) -> Self:
        """Connect to the store at ``url``, creating pmsim's schema on first use.

        With ``readonly`` (or ``?mode=ro`` in the URL) nothing is created or written: a
        database pmsim has not used yet is an empty store. A server or user that may not
        write opens read-only (``read_only`` says so). ``timeout`` is how long an append
        waits for another writer of the same session when the URL does not say.
        """
        target = parse_url(url, timeout)
        if readonly:
            target = Target(target.conninfo, target.timeout, True, target.user, target.server,
                            target.database)
        conn = _connect(target)
        try:
            try:
                version = _schema_version(conn)
                _check_version(version, target)
                if version < SCHEMA_VERSION and not target.read_only:
                    _migrate(conn, target)
                    version = SCHEMA_VERSION
                writable = not target.read_only and _writable(conn)
            except psycopg.Error as err:
                raise StoreError(_refusal(err, target, "")) from None
        except BaseException:
            conn.close()
            raise
        return cls(target, conn, read_only=not writable, schema_ready=version > 0)

    # ------------------------------------------------------------------ connections

    def close(self) -> None:
        """Close the connections; the store can't be used afterwards."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self._listen_lock.acquire(timeout=0):  # else a waiting thread closes it on waking
            try:
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
            finally:
                self._listen_lock.release()

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, connecting again if the server dropped the last one."""
        if self._closed:
            raise StoreError(f"the PostgreSQL store {self.target.shown} was closed")
        if self._conn is None or self._conn.closed:
            self._conn = None
            self._conn = _connect(self.target)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _read(self, body: Callable[[psycopg.Connection[Any]], T], empty: T) -> T:
        """``body`` on the connection (once more on a new one if the server dropped it);
        ``empty`` if pmsim has not set up this database yet (a read-only store)."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    if not self._schema_ready:
                        version = _schema_version(conn)
                        if version == 0:
                            return empty
                        _check_version(version, self.target)
                        self._schema_ready = True
                    return body(conn)
                except psycopg.Error as err:
                    if conn.closed:
                        self._drop()
                        if attempt == 1:
                            continue
                    raise StoreError(_refusal(err, self.target, "")) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, body: Callable[[psycopg.Connection[Any]], T],
               saved: Callable[[psycopg.Connection[Any]], T | None], session: str = "") -> T:
        """``body`` in one transaction, committed before this returns.

        A connection lost before COMMIT rolled the transaction back, so it is run once more
        on a new connection. One lost at COMMIT is looked up with ``saved`` on a new
        connection: what it returns was saved; None means nothing was, and it is run again.
        """
        with self._lock:
            self._check_writable()
            for attempt in (1, 2):
                conn = self._connection()
                committing = False
                try:
                    conn.execute("BEGIN")
                    result = body(conn)
                    committing = True
                    _commit(conn)
                    return result
                except BaseException as err:
                    if not conn.closed:
                        _rollback(conn)
                        if isinstance(err, psycopg.Error):
                            raise StoreError(_refusal(err, self.target, session)) from None
                        raise
                    self._drop()
                    if not isinstance(err, psycopg.Error):
                        raise
                    if committing:
                        found = self._look_up(saved)
                        if found is not None:
                            return found
                    if attempt == 2:
                        raise StoreError(_refusal(err, self.target, session)) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _look_up(self, saved: Callable[[psycopg.Connection[Any]], T | None]) -> T | None:
        """Whether a write whose COMMIT got no answer was saved, asked on a new connection."""
        try:
            return saved(self._connection())
        except (psycopg.Error, StoreError):
            self._drop()
            raise StoreError(
                f"the connection to the PostgreSQL server at {self.target.server} was lost"
                " while saving, and pmsim could not check whether it was saved; reopen the"
                " session to see, and make the change again if it is not there"
            ) from None

    def _check_writable(self) -> None:
        if self._asked_read_only:
            raise StoreError(f"the PostgreSQL store {self.target.shown} was opened read-only")
        if self.read_only:  # the server or its user could not write: perhaps now they can
            conn = self._connection()
            try:
                if self._schema_ready and _writable(conn):
                    self.read_only = False
                    return
            except psycopg.Error as err:
                raise StoreError(_refusal(err, self.target, "")) from None
            raise StoreError(f"the PostgreSQL store {self.target.shown} is read-only here"
                             f" (user {self.target.user} may not write to it, or the server"
                             " is a read-only standby)")

    # ------------------------------------------------------------------ writing

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
        if seed < 0 or seed >= 2**64:
            raise ValueError(f"a session's seed is 0 … 2**64 - 1, not {seed}")
        created = base._now()
        chosen: list[str] = []

        def body(conn: psycopg.Connection[Any]) -> str:
            for _ in range(ID_ATTEMPTS):
                sid = base._new_session_id()
                row = conn.execute(
                    "INSERT INTO pmsim.sessions"
                    " (id, scenario, scenario_sha256, seed, title, created)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING id",
                    (sid, scenario, scenario_sha256, seed, title, created),
                ).fetchone()
                if row is not None:
                    break
            else:
                raise StoreError("could not find an unused session id; try again")
            chosen[:] = [sid]
            with conn.cursor() as cur:
                cur.executemany(_INSERT_EVENT, _event_rows(sid, 1, encoded, created))
            return sid

        def saved(conn: psycopg.Connection[Any]) -> str | None:
            if not chosen:
                return None
            row = conn.execute("SELECT created, title FROM pmsim.sessions WHERE id = %s",
                               (chosen[0],)).fetchone()
            return chosen[0] if row == (created, title) else None

        sid = self._write(body, saved)
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
        written: list[_EventRow] = []

        def body(conn: psycopg.Connection[Any]) -> list[_EventRow]:
            # The row lock serialises the session's appends; max(seq) is read after it is
            # held, in a statement of its own, so it sees the previous holder's events.
            if conn.execute("SELECT 1 FROM pmsim.sessions WHERE id = %s FOR UPDATE",
                            (session_id,)).fetchone() is None:
                raise unknown_session(session_id)
            first = _max_seq(conn, session_id) + 1
            check_expected(session_id, first, expect_seq)
            rows = _event_rows(session_id, first, encoded, created)
            with conn.cursor() as cur:
                cur.executemany(_INSERT_EVENT, rows)
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{session_id} {rows[-1][1]}"))
            written[:] = rows
            return rows

        def saved(conn: psycopg.Connection[Any]) -> list[_EventRow] | None:
            if not written:
                return None
            stored = conn.execute(
                "SELECT session_id, seq, kind, role, payload, created FROM pmsim.events"
                " WHERE session_id = %s AND seq BETWEEN %s AND %s ORDER BY seq",
                (session_id, written[0][1], written[-1][1]),
            ).fetchall()
            return written if [tuple(r) for r in stored] == written else None

        rows = self._write(body, saved, session_id)
        return [Event(sid, seq, kind, role, json.loads(text), stamp)
                for sid, seq, kind, role, text, stamp in rows]

    # ------------------------------------------------------------------ reading

    def events(self, session_id: str, after: int = 0) -> list[Event]:
        def body(conn: psycopg.Connection[Any]) -> _Rows:
            return conn.execute(
                "SELECT e.seq, e.kind, e.role, e.payload, e.created"
                " FROM pmsim.sessions AS s LEFT JOIN pmsim.events AS e"
                " ON e.session_id = s.id AND e.seq > %s"
                " WHERE s.id = %s ORDER BY e.seq",
                (after, session_id),
            ).fetchall()

        rows = self._read(body, _NO_ROWS)
        if not rows:
            raise unknown_session(session_id)
        events = [self._event(session_id, row) for row in rows if row[0] is not None]
        if after == 0 and not events:
            raise self._damaged_event(session_id, 1, f"its {SESSION_CREATED} is missing")
        return events

    def get(self, session_id: str) -> SessionInfo:
        rows = self._read(
            lambda conn: conn.execute(f"SELECT {_SESSION_COLUMNS} WHERE s.id = %s",
                                      (session_id,)).fetchall(),
            _NO_ROWS)
        if not rows:
            raise unknown_session(session_id)
        return self._session_info(rows[0])

    def list_sessions(self) -> list[SessionInfo]:
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT {_SESSION_COLUMNS} ORDER BY s.created DESC, s.ord DESC").fetchall(),
            _NO_ROWS)
        return [self._session_info(row) for row in rows]

    def last_seq(self, session_id: str) -> int:
        def body(conn: psycopg.Connection[Any]) -> int | None:
            row = conn.execute(
                "SELECT (SELECT max(seq) FROM pmsim.events WHERE session_id = s.id)"
                " FROM pmsim.sessions AS s WHERE s.id = %s", (session_id,)).fetchone()
            return None if row is None else int(row[0] or 0)

        seq = self._read(body, None)
        if seq is None:
            raise unknown_session(session_id)
        return seq

    def wait(self, session_id: str, after: int, timeout: float) -> list[Event]:
        """The session's events after ``after`` as soon as there are any: woken by the
        NOTIFY of an append (from any host), else read again every RECHECK_S; [] once
        ``timeout`` seconds pass with none."""
        deadline = time.monotonic() + max(0.0, timeout)
        if not self._listen_lock.acquire(timeout=max(0.0, timeout)):
            return self.events(session_id, after)  # another thread of this store waits
        try:
            while True:
                listening = self._listen()  # before the read: no NOTIFY after it is missed
                new = self.events(session_id, after)
                remaining = deadline - time.monotonic()
                if new or remaining <= 0:
                    return new
                slice_s = min(remaining, RECHECK_S)
                if listening is None:  # the listener can't connect: poll until it can
                    time.sleep(min(slice_s, 0.5))
                    continue
                try:
                    for note in listening.notifies(timeout=slice_s):
                        sid, _, seq = note.payload.partition(" ")
                        if sid == session_id and (not seq.isdigit() or int(seq) > after):
                            break
                except psycopg.Error:
                    listening.close()
                    self._listener = None
                if self._closed and self._listener is not None:
                    self._listener.close()
                    self._listener = None
        finally:
            self._listen_lock.release()

    def _listen(self) -> psycopg.Connection[Any] | None:
        """The LISTENing connection (held with ``_listen_lock``); None if it can't connect."""
        if self._closed:
            raise StoreError(f"the PostgreSQL store {self.target.shown} was closed")
        if self._listener is not None and not self._listener.closed:
            return self._listener
        try:
            conn = _connect(self.target)
        except StoreError:
            return None
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error:
            conn.close()
            return None
        self._listener = conn
        return conn

    # ------------------------------------------------------------------ rows

    def _session_info(self, row: tuple[Any, ...]) -> SessionInfo:
        sid, scenario, sha, seed, title, created, stage_seq, stage_payload, last_seq = row
        if last_seq is None:
            raise StoreError(f"session {sid} in the PostgreSQL store {self.target.shown} is"
                             " damaged: it has no events (its row in pmsim.sessions)")
        stage: object = INITIAL_STAGE
        if stage_seq is not None:
            stage = self._payload(sid, stage_seq, stage_payload).get("stage")
        if not isinstance(stage, str):
            raise self._damaged_event(sid, stage_seq, f"its stage is {stage!r}, not text")
        return SessionInfo(sid, scenario, sha, int(seed), title, created, stage, int(last_seq))

    def _event(self, session_id: str, row: tuple[Any, ...]) -> Event:
        seq, kind, role, payload, created = row
        return Event(session_id, seq, kind, role, self._payload(session_id, seq, payload),
                     created)

    def _payload(self, session_id: str, seq: int, text: str) -> dict[str, Any]:
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            raise self._damaged_event(session_id, seq, "its payload is not JSON") from None
        if not isinstance(payload, dict):
            raise self._damaged_event(
                session_id, seq, f"its payload is a JSON {type(payload).__name__}, not an object")
        return payload

    def _damaged_event(self, session_id: str, seq: object, problem: str) -> StoreError:
        return StoreError(f"session {session_id}, event {seq}, in the PostgreSQL store"
                          f" {self.target.shown} is damaged: {problem}")


def _encoded(events: Sequence[NewEvent]) -> list[tuple[str, str, str]]:
    return [(kind, role, canonical_json(payload)) for kind, role, payload in events]


def _event_rows(session_id: str, first: int, encoded: Sequence[tuple[str, str, str]],
                created: str) -> list[_EventRow]:
    return [(session_id, first + i, kind, role, text, created)
            for i, (kind, role, text) in enumerate(encoded)]


def _max_seq(conn: psycopg.Connection[Any], session_id: str) -> int:
    row = conn.execute("SELECT max(seq) FROM pmsim.events WHERE session_id = %s",
                       (session_id,)).fetchone()
    return int(row[0] or 0) if row is not None else 0


def _connect(target: Target) -> psycopg.Connection[Any]:
    """A new autocommit connection with pmsim's settings, or a StoreError in plain words."""
    try:
        conn = psycopg.connect(make_conninfo(**target.conninfo), autocommit=True)
    except psycopg.Error as err:
        raise StoreError(_connect_refusal(err, target)) from None
    try:
        conn.execute("SELECT set_config('lock_timeout', %s, false),"
                     " set_config('client_encoding', 'UTF8', false)",
                     (f"{int(target.timeout * 1000)}ms",))
        if target.read_only:
            conn.execute("SET default_transaction_read_only = on")
    except psycopg.Error as err:
        conn.close()
        raise StoreError(_refusal(err, target, "")) from None
    return conn


def _commit(conn: psycopg.Connection[Any]) -> None:
    """COMMIT the connection's transaction (a function of its own, for the tests to break)."""
    conn.execute("COMMIT")


def _rollback(conn: psycopg.Connection[Any]) -> None:
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        conn.close()


def _schema_version(conn: psycopg.Connection[Any]) -> int:
    """The version of pmsim's schema in the database; 0 before pmsim set it up."""
    row = conn.execute("SELECT to_regclass('pmsim.meta') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    row = conn.execute("SELECT schema_version FROM pmsim.meta").fetchone()
    return int(row[0]) if row is not None else 0


def _check_version(version: int, target: Target) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the PostgreSQL store {target.shown} was written by a newer pmsim"
            f" (schema {version}, this one knows {SCHEMA_VERSION}); upgrade pmsim"
        )


def _migrate(conn: psycopg.Connection[Any], target: Target) -> None:
    """Bring the schema to SCHEMA_VERSION in one transaction; two first openers take turns.

    The advisory lock is taken before the transaction begins, so that the transaction's
    view of the catalog is taken after the other opener committed (within a transaction
    that waited on an advisory lock, ``to_regclass`` may not yet see its tables)."""
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        conn.execute("BEGIN")
        try:
            version = _schema_version(conn)  # another process may have done it meanwhile
            _check_version(version, target)
            for statements in _MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO pmsim.meta (schema_version) VALUES (%s)"
                " ON CONFLICT (one) DO UPDATE SET schema_version = excluded.schema_version",
                (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


def _writable(conn: psycopg.Connection[Any]) -> bool:
    """Whether this connection may append: not a read-only server, and allowed to insert."""
    row = conn.execute(
        "SELECT current_setting('transaction_read_only') = 'off'"
        " AND has_schema_privilege('pmsim', 'USAGE')"
        " AND has_table_privilege('pmsim.events', 'INSERT')"
        " AND has_table_privilege('pmsim.sessions', 'INSERT')"
        " AND has_table_privilege('pmsim.sessions', 'UPDATE')").fetchone()
    return bool(row and row[0])


def _connect_refusal(err: psycopg.Error, target: Target) -> str:
    """Why the server could not be reached or refused us, in the user's words."""
    text = target.scrub(_first_line(err))
    server, user, db = target.server, target.user, target.database
    if "password authentication failed" in text:
        return (f"the PostgreSQL server at {server} refused the password of user {user};"
                " check PGPASSWORD or ~/.pgpass")
    if "no password supplied" in text:
        return (f"the PostgreSQL server at {server} asks user {user} for a password and none"
                " was given; set PGPASSWORD, or put it in ~/.pgpass")
    if re.search(r'database ".*" does not exist', text):
        return (f"the PostgreSQL server at {server} has no database {db};"
                f" create it (createdb -O {user} {db}) or name another in the store URL")
    if re.search(r'role ".*" does not exist', text):
        return (f"the PostgreSQL server at {server} has no user {user};"
                f" create it (createuser {user}) or name another in the store URL")
    if "no pg_hba.conf entry" in text:
        return (f"the PostgreSQL server at {server} does not let user {user} connect to"
                f" database {db} from this machine (its pg_hba.conf)")
    if "Connection refused" in text or "No such file or directory" in text:
        return (f"cannot reach the PostgreSQL server at {server} (connection refused);"
                " check that it is running, and the host and port in the store URL")
    if "could not translate host name" in text or "failed to resolve host" in text:
        return (f"cannot find the PostgreSQL server {server}: its host name is not known"
                " here; check the store URL")
    if "timeout expired" in text:
        return (f"the PostgreSQL server at {server} did not answer within"
                f" {target.conninfo.get('connect_timeout')} s; check the network and the"
                " store URL")
    if "starting up" in text or "shutting down" in text or "recovery mode" in text:
        return (f"the PostgreSQL server at {server} is starting up or shutting down;"
                " try again in a moment")
    if "too many" in text and "clients" in text:
        return (f"the PostgreSQL server at {server} has no connection left (too many"
                " clients); try again, or raise its max_connections")
    return f"cannot connect to the PostgreSQL server at {server}: {text}"


def _refusal(err: psycopg.Error, target: Target, session: str) -> str:
    """Why the server refused a statement, in the user's words."""
    text = target.scrub(_first_line(err))
    where = f"the PostgreSQL store {target.shown}"
    if isinstance(err, pgerrors.LockNotAvailable | pgerrors.QueryCanceled):
        busy = f"session {session}" if session else where
        return (f"{busy} stayed busy for {target.timeout:g} s (another pmsim is writing to"
                " it); try again")
    if isinstance(err, pgerrors.ReadOnlySqlTransaction):
        return f"{where} is read-only here ({text})"
    if isinstance(err, pgerrors.InsufficientPrivilege):
        return (f"user {target.user} may not use {where} ({text}); grant it the database,"
                " or name its owner in the store URL")
    if isinstance(err, pgerrors.DiskFull | pgerrors.OutOfMemory):
        return f"the PostgreSQL server at {target.server} is out of space ({text}); try again"
    if isinstance(err, psycopg.OperationalError):  # the server went away, or we lost it
        return (f"lost the connection to the PostgreSQL server at {target.server} ({text});"
                " try again")
    return f"cannot use {where}: {text}"
