"""Shared fixtures: every test runs away from the user's real data folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.formats.loading import load_scenario
from simulator.formats.scenario import Scenario


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Point the pmsim home at a fresh folder (and no store elsewhere), so no test touches
    real sessions."""
    home = tmp_path_factory.mktemp("pmsim-home")
    monkeypatch.setenv("PMSIM_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    monkeypatch.delenv("PMSIM_STORE", raising=False)
    return home


@pytest.fixture(scope="session")
def hudson() -> Scenario:
    return load_scenario("hudson").scenario


# --------------------------------------------------------------------------- stores
# The store's tests run against every backend: a test asks for ``store_url`` and runs once
# on a SQLite file and once on a fresh PostgreSQL database. The server is
# $PMSIM_TEST_POSTGRES (a superuser's URL; .ci/run starts one and sets it), else a
# throwaway one these fixtures start (tests/pglib.py) where the server's binaries are
# installed. Without either the PostgreSQL tests are skipped, unless
# $PMSIM_TEST_POSTGRES_REQUIRED is set (CI sets it): then they fail.

POSTGRES_ENV = "PMSIM_TEST_POSTGRES"
POSTGRES_REQUIRED_ENV = "PMSIM_TEST_POSTGRES_REQUIRED"
BACKENDS = ("sqlite", "postgresql")


def postgres_missing(why: str) -> None:
    """Skip the test (fail it in CI, where a server must be there) for want of a server."""
    if os.environ.get(POSTGRES_REQUIRED_ENV):
        pytest.fail(f"{why}, and ${POSTGRES_REQUIRED_ENV} says the PostgreSQL tests must run")
    pytest.skip(why)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A superuser's URL of a running PostgreSQL server (its ``postgres`` database)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        postgres_missing("psycopg is not installed")
    given = os.environ.get(POSTGRES_ENV)
    if given:
        yield given
        return
    import pglib

    if pglib.binaries() is None:
        postgres_missing(f"no PostgreSQL server: ${POSTGRES_ENV} is unset and initdb is missing")
    cluster = pglib.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()
        shutil.rmtree(cluster.datadir.parent, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped after the test."""
    import pglib

    with pglib.fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL of each backend: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'sessions.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))
