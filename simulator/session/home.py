"""The pmsim home, and the store a command opens.

The home is this user's pmsim folder: reports saved from the debrief, caches, own
scenarios,
and (unless a store URL says otherwise) the SQLite file of saved sessions. It is
found once, from ``--home``, ``$PMSIM_HOME`` or the platform's user data
folder; nothing derives it from where the sessions happen to be stored, so a
store elsewhere (another file, a PostgreSQL database) leaves reports and
caches at home.

Standard library only (platformdirs, and psycopg for a PostgreSQL store, are imported
when they are needed), so that
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
POSTGRESQL_FORM = "postgresql://USER@HOST:PORT/DB"


@dataclass(frozen=True)
class Home:
    """The folders of one pmsim home (none is created until something is written there)."""

    root: Path

    @classmethod
    def locate(cls, given: Path | str | None = None) -> Home:
        """``given`` (``--home``), else ``$PMSIM_HOME``, else the platform's user data dir.

        A home named by the user may not exist yet (it is created on the first write),
        but its parent folder must: a typo fails here with a HomeError rather than
        scattering folders, and so does ``~user`` for a user this machine doesn't have.
        """
        if given is not None:
            return cls(_usable_home(_expanded(Path(given), "--home"), "--home"))
        env = os.environ.get(HOME_ENV)
        if env:
            return cls(_usable_home(_expanded(Path(env), f"${HOME_ENV}"), f"${HOME_ENV}"))
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
    def scenarios(self) -> Path:
        """One's own scenarios (``pmsim scenario add``), named by id like the built-ins."""
        return self.root / "scenarios"

    @property
    def store_file(self) -> Path:
        """The SQLite file of sessions when no store URL is given."""
        return self.root / DB_FILENAME


def store_url(given: str | None = None) -> str | None:
    """``given`` (``--store``), else ``$PMSIM_STORE``; None means the home's own file."""
    return given or os.environ.get(STORE_ENV) or None


def open_store(url: str | None, home: Home, *, readonly: bool = False,
               timeout: float = BUSY_TIMEOUT_S) -> Store:
    """The store at ``url`` (``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/DB``), or
    the SQLite file in ``home`` for None.

    As in SQLAlchemy, PATH after the three slashes is relative to the current
    folder unless it starts with one: ``sqlite:////srv/pmsim/sessions.sqlite3``.
    Both kinds take ``?timeout=SECONDS``, how long a write waits for another one,
    and ``?mode=ro``, never write; a PostgreSQL URL passes its other options to
    libpq (``sslmode=require``), and its password comes from ``PGPASSWORD`` or
    ``~/.pgpass``. ``readonly`` opens for reading only (nothing is created or
    locked). ``timeout`` is how long a write waits for another when the URL does
    not say. Anything else is a StoreError saying what to write instead.
    """
    if url is None:
        return SqliteStore.open(home.store_file, readonly=readonly, timeout=timeout)
    if url.startswith(SQLITE_PREFIX):
        path, _, query = url.removeprefix(SQLITE_PREFIX).partition("?")
        if not path:
            raise StoreError(f"the store URL {url} names no file; write {SQLITE_PREFIX}PATH")
        timeout, read_only = _sqlite_options(url, query, timeout)
        return SqliteStore.open(_expanded(Path(path), "the store URL's path"),
                                readonly=readonly or read_only, timeout=timeout)
    scheme, sep, _ = url.partition("://")
    hint = (f"write {SQLITE_PREFIX}PATH or {POSTGRESQL_FORM}, or give no store for the"
            " sessions file in the pmsim home")
    if not sep:
        raise StoreError(f"{url!r} is not a store URL; for that file write {SQLITE_PREFIX}{url}")
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        return _postgres_store(url, readonly, timeout)
    if scheme == "sqlite":
        raise StoreError(f"a SQLite store is a local file: {url} names a host; {hint}")
    raise StoreError(f"unknown kind of store {scheme!r}; {hint}")  # the URL may hold a password


def _postgres_store(url: str, readonly: bool, timeout: float) -> Store:
    """The PostgreSQL store (psycopg is imported only now: SQLite users never load it)."""
    try:
        from simulator.session.postgres import PostgresStore
    except ImportError as err:
        if not (err.name or "").startswith("psycopg"):
            raise
        raise StoreError("PostgreSQL stores need the psycopg package, which is not installed"
                         " here; install pmsim again, or: pip install 'psycopg[binary]'") from None
    return PostgresStore.open(url, readonly=readonly, timeout=timeout)


class HomeError(StoreError):
    """The pmsim home (or a store file) named by the user can't be used, worded for the user."""


def _sqlite_options(url: str, query: str, default: float) -> tuple[float, bool]:
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
        timeout = float(options.get("timeout", default))
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 3600:
        raise StoreError(f"the store URL {url}: timeout must be seconds, above 0 up to 3600")
    return timeout, "mode" in options


def _expanded(path: Path, named_by: str) -> Path:
    """``~`` and ``~user`` expanded; HomeError for a user this machine doesn't know."""
    try:
        return path.expanduser()
    except RuntimeError:
        user = path.parts[0].removeprefix("~") if path.parts else ""
        whose = f"user '{user}'" if user else "the current user"
        raise HomeError(f"{named_by} {path} starts with the home of {whose}, "
                        "which this machine does not have; give a full path") from None


def _usable_home(root: Path, named_by: str) -> Path:
    """``root`` if it is a folder, or could be made one in an existing folder; else HomeError."""
    if root.exists():
        if not root.is_dir():
            raise HomeError(f"{named_by} {root} is a file, not a folder; "
                            "give the folder pmsim may keep its sessions and reports in")
        return root
    parent = root.parent
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise HomeError(f"{named_by} {root} can't be created: the folder {parent} {what}; "
                        "create it, or give another folder")
    return root
