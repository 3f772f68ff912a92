"""Sessions and their events as every store keeps them: the ``Store`` protocol.

A session is an append-only log of events; everything else is derived from it
(see :mod:`simulator.session.state`). Two terminals (later, two servers) may
play the same session at once, so every implementation promises the same:

- an append is committed, durably, before it returns: an event a caller was
  told is saved survives a killed process;
- a session's events are numbered 1, 2, 3 … with no gap and no repeat, however
  many processes write at once (appends to one session serialise);
- ``append_many`` commits all its events or none, with consecutive seqs, so a
  decision and its minute can't be separated by a crash or another writer;
- with ``expect_seq`` an append succeeds only if nothing was appended since the
  caller last looked (else :class:`ConflictError`);
- readers poll cheaply with ``events(session_id, after=seq)``, and a follower can
  block in ``wait(session_id, after, timeout)`` until there is something new
  (PostgreSQL is woken by LISTEN/NOTIFY, whichever host appended; the default,
  which SQLite uses, polls ``last_seq``).

The SQLite store (:mod:`simulator.session.sqlite`) is the embedded one, the
PostgreSQL store (:mod:`simulator.session.postgres`) the one several hosts share; a store
is chosen by URL in :func:`simulator.session.home.open_store`. This module
imports only the standard library so that ``pmsim session list`` starts fast.
"""

from __future__ import annotations

import errno
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

INITIAL_STAGE = "briefing"
"""The stage of a session before its first ``stage.changed`` event."""
SESSION_CREATED = "session.created"
STAGE_CHANGED = "stage.changed"
SYSTEM_ROLE = "system"
"""The role of events no participant wrote (the ``session.created`` event)."""

ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
"""Session-id characters: lower case, without 0/o, 1/i/l, which people misread."""
ID_LENGTH = 8
ID_ATTEMPTS = 20
"""New ids a store draws before it gives up finding an unused one."""
WAIT_POLL_S = 0.05
"""How often the default ``Store.wait`` asks for the latest seq while it waits."""

NewEvent = tuple[str, str, dict[str, Any]]
"""An event to append: (kind, role, payload)."""


class StoreError(Exception):
    """A problem with saved sessions, worded for the user (the CLI prints it as is)."""


class UnknownSessionError(StoreError):
    """No session has the id asked for."""


class ConflictError(StoreError):
    """Someone else appended to the session since the caller last looked."""


class NotSaved(StoreError):
    """A write the store refused (busy, disk full, read-only, I/O): nothing of it was saved.

    ``what`` names the change in the player's words, ``why`` is the store's reason;
    the meeting room shows both and offers to try again.
    """

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what} was not saved: {why}")
        self.what = what
        self.why = why


def os_refusal(err: OSError, path: object) -> str:
    """Why the OS refused a write to ``path``, in plain words (full, read-only, or its own)."""
    if err.errno == errno.ENOSPC:
        return f"the disk holding {path} is full"
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{path} is read-only here ({err.strerror or err})"
    return f"cannot write {path}: {err.strerror or err}"


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


@runtime_checkable
class Store(Protocol):
    """Where sessions are saved (see the module docstring for what every store promises).

    Implementations subclass it to inherit ``append`` and the context manager;
    all of them are safe to share between threads.
    """

    read_only: bool = False
    """Opened for reading only (a read-only file or home, or asked so): every write fails."""

    def close(self) -> None:
        """Let go of the store; it can't be used afterwards."""
        ...

    def create_session(
        self,
        scenario: str,
        scenario_sha256: str,
        seed: int,
        title: str,
        payload: dict[str, Any] | None = None,
        events: Sequence[NewEvent] = (),
    ) -> SessionInfo:
        """Start a session: a new id and its ``session.created`` event, in one transaction.

        ``payload`` adds keys to the ``session.created`` event (how the session
        was started beyond scenario and seed); it can't change the four above.
        ``events`` follow it in the same transaction (an imported playthrough): the
        session is saved with all of them, or not at all.
        """
        ...

    def append_many(
        self, session_id: str, events: Sequence[NewEvent], *, expect_seq: int | None = None
    ) -> list[Event]:
        """Add events at the end of the log as one transaction: all are committed, or none.

        Their seqs are consecutive. With ``expect_seq`` the first must get that
        seq (the caller has seen everything before it), else ConflictError.
        An empty ``events`` appends nothing.
        """
        ...

    def events(self, session_id: str, after: int = 0) -> list[Event]:
        """The session's events with seq > ``after``, in order (for polling)."""
        ...

    def get(self, session_id: str) -> SessionInfo:
        """One session's summary, including its current stage."""
        ...

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, newest first."""
        ...

    def last_seq(self, session_id: str) -> int:
        """The seq of the session's latest event (cheap: tells a poller if anything is new)."""
        ...

    def wait(self, session_id: str, after: int, timeout: float) -> list[Event]:
        """Block until the session has events with seq > ``after`` and return them (as
        ``events(session_id, after)`` would), or return [] once ``timeout`` seconds pass.

        For a follower (another tab, terminal or host playing the same session): call it
        in a loop with the last seq applied. This default reads ``last_seq`` every
        WAIT_POLL_S; a store told of appends (PostgreSQL's LISTEN/NOTIFY) overrides it.
        UnknownSessionError for an unknown id, StoreError if the store can't be read.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            if self.last_seq(session_id) > after:
                return self.events(session_id, after)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            time.sleep(min(WAIT_POLL_S, remaining))

    def append(
        self,
        session_id: str,
        kind: str,
        role: str,
        payload: dict[str, Any],
        *,
        expect_seq: int | None = None,
    ) -> Event:
        """Add one event at the end of the log and commit it before returning."""
        [event] = self.append_many(session_id, [(kind, role, payload)], expect_seq=expect_seq)
        return event

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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


def session_created_json(
    scenario: str, scenario_sha256: str, seed: int, title: str, payload: dict[str, Any] | None
) -> str:
    """The ``session.created`` payload's text: ``payload``'s extra keys and the four core ones."""
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
    return canonical_json(extra | core)


def check_expected(session_id: str, next_seq: int, expect_seq: int | None) -> None:
    """ConflictError unless the next event would get ``expect_seq`` (or none was expected)."""
    if expect_seq is not None and expect_seq != next_seq:
        raise ConflictError(
            f"session {session_id} changed meanwhile (event {next_seq - 1} is the latest,"
            f" not {expect_seq - 1}); reload it and try again"
        )


def unknown_session(session_id: str) -> UnknownSessionError:
    """The one wording of an unknown id, whichever store is asked."""
    return UnknownSessionError(f"no session with id {session_id!r}")


# Stores stamp and name through these two module attributes, so that tests can
# pin them here for every implementation at once.
def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_session_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
