"""The pmsim home, and the store a command opens.

The home is this user's pmsim folder: reports saved from the debrief, caches,
and (unless a store URL says otherwise) the SQLite file of saved sessions. It is
found once, from ``--home``, ``$PMSIM_HOME`` or the platform's user data
folder; nothing derives it from where the sessions happen to be stored, so a
store elsewhere (another file, later a database server) leaves reports and
caches at home.

Standard library only (platformdirs is imported when it is needed), so that
``pmsim session list`` starts fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from simulator.session.sqlite import BUSY_TIMEOUT_S, SqliteStore
from simulator.session.store import Store, StoreError

HOME_ENV = "PMSIM_HOME"
STORE_ENV = "PMSIM_STORE"
DB_FILENAME = "sessions.sqlite3"
"""The home's sessions file, used when no store URL is given."""
SQLITE_PREFIX = "sqlite:///"


@dataclass(frozen=True)
class Home:
    """The folders of one pmsim home (none is created until something is written there)."""

    root: Path

    @classmethod
    def locate(cls, given: Path | str | None = None) -> Home:
        """``given`` (``--home``), else ``$PMSIM_HOME``, else the platform's user data dir."""
        if given is not None:
            return cls(Path(given))
        env = os.environ.get(HOME_ENV)
        if env:
            return cls(_expanded(Path(env)))
        import platformdirs  # only the commands that store need it

        return cls(Path(platformdirs.user_data_dir("pmsim")))

    @property
    def reports(self) -> Path:
        """Where debrief reports are saved from the meeting room."""
        return self.root / "reports"

    @property
    def cache(self) -> Path:
        """Results worth remembering between runs (the best-bundle search)."""
        return self.root / "cache"

    @property
    def store_file(self) -> Path:
        """The SQLite file of sessions when no store URL is given."""
        return self.root / DB_FILENAME


def store_url(given: str | None = None) -> str | None:
    """``given`` (``--store``), else ``$PMSIM_STORE``; None means the home's own file."""
    return given or os.environ.get(STORE_ENV) or None


def open_store(url: str | None, home: Home, *, readonly: bool = False) -> Store:
    """The store at ``url`` (``sqlite:///PATH``), or the SQLite file in ``home`` for None.

    As in SQLAlchemy, PATH after the three slashes is relative to the current
    folder unless it starts with one: ``sqlite:////srv/pmsim/sessions.sqlite3``;
    ``?timeout=SECONDS`` sets how long a write waits for another one, ``?mode=ro``
    never writes. ``readonly`` opens for reading only (nothing is created or locked).
    Anything else is a StoreError saying what to write instead (PostgreSQL, one
    day, will be one more scheme here).
    """
    if url is None:
        return SqliteStore.open(home.store_file, readonly=readonly)
    if url.startswith(SQLITE_PREFIX):
        path, _, query = url.removeprefix(SQLITE_PREFIX).partition("?")
        if not path:
            raise StoreError(f"the store URL {url} names no file; write {SQLITE_PREFIX}PATH")
        timeout, read_only = _sqlite_options(url, query)
        return SqliteStore.open(_expanded(Path(path)), readonly=readonly or read_only,
                                timeout=timeout)
    scheme, sep, _ = url.partition("://")
    hint = f"write {SQLITE_PREFIX}PATH, or give no store for the sessions file in the pmsim home"
    if not sep:
        raise StoreError(f"{url!r} is not a store URL; for that file write {SQLITE_PREFIX}{url}")
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        raise StoreError(f"PostgreSQL stores are not supported yet; {hint}")
    if scheme == "sqlite":
        raise StoreError(f"a SQLite store is a local file: {url} names a host; {hint}")
    raise StoreError(f"unknown kind of store {scheme!r}; {hint}")  # the URL may hold a password


def _sqlite_options(url: str, query: str) -> tuple[float, bool]:
    """``timeout`` (seconds, > 0) and ``mode=ro`` of a SQLite store URL's query."""
    from urllib.parse import parse_qsl

    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - {"timeout", "mode"})
    if unknown:
        raise StoreError(f"the store URL {url} has unknown options {', '.join(unknown)};"
                         " it takes timeout=SECONDS and mode=ro")
    if options.get("mode", "ro") != "ro":
        raise StoreError(f"the store URL {url}: mode can only be ro")
    try:
        timeout = float(options.get("timeout", BUSY_TIMEOUT_S))
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 3600:
        raise StoreError(f"the store URL {url}: timeout must be seconds, above 0 up to 3600")
    return timeout, "mode" in options


def _expanded(path: Path) -> Path:
    """``~`` expanded, or the path as given when there is no such user."""
    try:
        return path.expanduser()
    except RuntimeError:
        return path
