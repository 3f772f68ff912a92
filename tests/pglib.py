"""A throwaway PostgreSQL server for the tests and for CI, started as an unprivileged user.

``initdb`` refuses to run as root, and CI (like this machine) runs as root: the cluster
then belongs to an unprivileged system user of its own (:data:`OS_USER`, created when it
is missing) and every server command runs through ``runuser``. The server listens on
loopback only, in a data folder under the system's temporary folder (the user must be able
to reach it; pytest's own temporary folders are private to root), with ``fsync`` off: it
holds nothing worth keeping.

Roles: ``postgres`` is the superuser and logs in without a password over loopback (trust);
the role :data:`PASSWORD_ROLE` (created by the tests that need it) must give a password, so
that a refused password can be tested.

``python tests/pglib.py start DIR`` starts one in DIR (reusing it if it already runs there)
and prints its URL; ``python tests/pglib.py stop DIR`` stops it. ``.ci/run`` uses both;
tests/conftest.py imports :func:`start` when no server is given.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OS_USER = "pmsim-pg"
"""The system user that owns a cluster started as root."""
SUPERUSER = "postgres"
PASSWORD_ROLE = "pmsim_password"
"""The role that must log in with a password (every other loopback login is trusted)."""
URL_FILE = "pmsim-url"
"""The file in the data folder that holds the running server's URL."""


@dataclass(frozen=True)
class Cluster:
    """A running throwaway server: its data folder, port and the superuser's URL."""

    datadir: Path
    port: int

    @property
    def url(self) -> str:
        """The superuser's URL of the ``postgres`` database (tests create their own)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        _server_command(self.datadir, ["pg_ctl", "-D", str(self.datadir), "-m", "fast",
                                       "-w", "stop"], check=False)

    def running(self) -> bool:
        return _server_command(self.datadir, ["pg_ctl", "-D", str(self.datadir), "status"],
                               check=False) == 0

    def start_again(self) -> None:
        """Start the stopped server again, on the same port (a restart mid-session); a
        running one is left as it is."""
        if self.running():
            return
        _server_command(self.datadir, ["pg_ctl", "-D", str(self.datadir), "-l",
                                       str(self.datadir / "server.log"), "-w", "-t", "30",
                                       "start"])


def with_database(url: str, database: str) -> str:
    """``url`` naming another database of the same server."""
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def with_user(url: str, user: str, password: str | None = None) -> str:
    """``url`` logging in as another user (with a password in the URL, if given)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    login = f"{user}:{password}" if password is not None else user
    return urlunsplit(parts._replace(netloc=f"{login}@{parts.hostname}:{parts.port}"))


def execute(url: str, *statements: str) -> list[Any]:
    """Run statements as they are (autocommit) on ``url``; the last one's rows, if any."""
    import psycopg

    rows: list[Any] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            cur = conn.execute(statement)  # type: ignore[call-overload]
            rows = cur.fetchall() if cur.description else []
    return rows


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server of ``admin_url`` (a superuser's), dropped after."""
    name = f"pmsim_test_{secrets.token_hex(6)}"
    execute(admin_url, f"CREATE DATABASE {name}")
    try:
        yield with_database(admin_url, name)
    finally:
        execute(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest version."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(datadir: Path | None = None, port: int | None = None) -> Cluster:
    """initdb (once) and start a server in ``datadir`` (a new temporary folder if None);
    a server already running there is reused."""
    if datadir is None:
        import tempfile

        parent = Path(tempfile.mkdtemp(prefix="pmsim-pg-"))
        parent.chmod(0o755)  # the server's user must reach the data folder inside
        datadir = parent / "data"
    datadir = datadir.resolve()
    running = _running(datadir)
    if running is not None:
        return running
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine;"
                           " install Debian's postgresql package")
    _ensure_user()
    if not (datadir / "PG_VERSION").exists():
        datadir.mkdir(parents=True, exist_ok=True)
        _own(datadir)
        _server_command(datadir, [str(bindir / "initdb"), "-D", str(datadir), "-U", SUPERUSER,
                                  "--auth=trust", "-N", "-E", "UTF8", "--locale=C"])
        (datadir / "pg_hba.conf").write_text(
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
        )
    port = port or free_port()
    (datadir / "postgresql.auto.conf").write_text(
        "listen_addresses = '127.0.0.1'\n"
        f"port = {port}\n"
        "unix_socket_directories = ''\n"
        "fsync = off\nfull_page_writes = off\n"
        "max_connections = 300\n"
        "log_min_messages = warning\n"
    )
    _own(datadir)
    cluster = Cluster(datadir, port)
    cluster.start_again()
    (datadir / URL_FILE).write_text(f"{port}\n")
    _wait_ready(port)
    return cluster


def _running(datadir: Path) -> Cluster | None:
    """The cluster already serving ``datadir`` (from its URL file), if it answers."""
    try:
        port = int((datadir / URL_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not (datadir / "postmaster.pid").exists():
        return None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return Cluster(datadir, port)
    except OSError:
        return None


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _ensure_user() -> None:
    if not _as_root():
        return
    if subprocess.run(["id", "-u", OS_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", OS_USER],
                       check=True, capture_output=True)


def _own(path: Path) -> None:
    if _as_root():
        subprocess.run(["chown", "-R", f"{OS_USER}:", str(path)], check=True)
        path.chmod(0o700)


def _server_command(datadir: Path, argv: list[str], *, check: bool = True) -> int:
    """Run a server command as the cluster's owner (through runuser when we are root)."""
    bindir = binaries()
    if bindir is not None and not os.path.isabs(argv[0]):
        argv = [str(bindir / argv[0]), *argv[1:]]
    if _as_root():
        argv = ["runuser", "-u", OS_USER, "--", *argv]
    ran = subprocess.run(argv, capture_output=True, text=True, cwd="/")
    if check and ran.returncode != 0:
        log = datadir / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{' '.join(argv)} failed ({ran.returncode}):\n{ran.stdout}"
                           f"{ran.stderr}{tail}")
    return ran.returncode


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python tests/pglib.py start|stop DIR", file=sys.stderr)
        return 2
    datadir = Path(argv[1]).resolve()
    if argv[0] == "start":
        print(start(datadir).url)
    elif (running := _running(datadir)) is not None:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
