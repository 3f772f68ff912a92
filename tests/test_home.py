"""The pmsim home and the store a command opens: --home, --store, $PMSIM_HOME, $PMSIM_STORE.

Reports and caches belong to the home; the sessions may be stored elsewhere (a
``sqlite:///`` URL today, a database server later) without taking them along.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmsim.cli import main
from simulator.formats.loading import load_scenario
from simulator.session.client import Room
from simulator.session.home import DB_FILENAME, Home, open_store, store_url
from simulator.session.sqlite import SqliteStore
from simulator.session.state import append_event
from simulator.session.store import Store, StoreError

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE = "postgresql://pmsim@127.0.0.1:1/pmsim"
"""A PostgreSQL store where no server listens (the store tests themselves use a real one)."""
SHA = "ef" * 32


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def pmsim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmsim.cli", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})}, cwd=ROOT,
    )


def session_ids(out: str) -> list[str]:
    return [row["id"] for row in json.loads(out)]


# --------------------------------------------------------------------------- the home


def test_the_home_given_wins_over_pmsim_home(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "env"))
    assert Home.locate(tmp_path / "given") == Home(tmp_path / "given")
    assert Home.locate() == Home(tmp_path / "env")


def test_pmsim_home_expands_the_user_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", "~/pmsim-somewhere")
    assert Home.locate().root == Path.home() / "pmsim-somewhere"


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is the Linux convention")
def test_without_pmsim_home_the_home_is_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PMSIM_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Home.locate().root == tmp_path / "xdg" / "pmsim"


def test_reports_caches_and_the_default_store_are_folders_of_the_home(tmp_path: Path) -> None:
    home = Home(tmp_path)
    assert (home.reports, home.cache, home.store_file) == (
        tmp_path / "reports", tmp_path / "cache", tmp_path / DB_FILENAME)


# --------------------------------------------------------------------------- open_store


def test_no_url_opens_the_sessions_file_of_the_home(tmp_path: Path) -> None:
    with open_store(None, Home(tmp_path / "h")) as store:
        assert isinstance(store, Store)
        store.create_session("hudson", SHA, 1, "t")
    assert (tmp_path / "h" / DB_FILENAME).is_file()


def test_a_sqlite_url_opens_that_file_and_leaves_the_home_alone(tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared" / "pmsim.db"
    with open_store(url_of(elsewhere), Home(tmp_path / "h")) as store:
        sid = store.create_session("hudson", SHA, 1, "t").id
    assert not (tmp_path / "h").exists()
    with SqliteStore.open(elsewhere) as reopened:
        assert reopened.get(sid).title == "t"


def test_a_sqlite_url_path_is_relative_to_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///here/s.sqlite3", Home(tmp_path / "h")) as store:
        store.create_session("hudson", SHA, 1, "t")
    assert (tmp_path / "here" / "s.sqlite3").is_file()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:///", "names no file"),
        ("sqlite://somehost/s.sqlite3", "local file"),
        ("/srv/pmsim/s.sqlite3", "write sqlite:////srv/pmsim/s.sqlite3"),
        ("mysql://me:hunter2@db/pmsim", "unknown kind of store 'mysql'"),
    ],
)
def test_a_url_pmsim_cannot_open_is_a_store_error_saying_what_to_write(
    tmp_path: Path, url: str, says: str
) -> None:
    with pytest.raises(StoreError, match="sqlite:///") as raised:
        open_store(url, Home(tmp_path))
    assert says in str(raised.value)
    assert "hunter2" not in str(raised.value)  # a URL's password is never echoed
    assert not tmp_path.joinpath(DB_FILENAME).exists()


def test_the_store_url_is_the_one_given_else_pmsim_store(monkeypatch: pytest.MonkeyPatch) -> None:
    assert store_url(None) is None
    monkeypatch.setenv("PMSIM_STORE", "sqlite:///env.sqlite3")
    assert store_url(None) == "sqlite:///env.sqlite3"
    assert store_url("sqlite:///given.sqlite3") == "sqlite:///given.sqlite3"
    monkeypatch.setenv("PMSIM_STORE", "")
    assert store_url(None) is None


# --------------------------------------------------------------------------- the command


def test_session_list_reads_the_store_of_pmsim_store(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite3"
    with open_store(url_of(elsewhere), Home(tmp_path)) as store:
        sid = store.create_session("hudson", SHA, 1, "in the shared file").id
    home = tmp_path / "home"
    done = pmsim("session", "list", "--format", "json", "--home", str(home),
                 env={"PMSIM_STORE": url_of(elsewhere)})
    assert done.returncode == 0, done.stderr
    assert session_ids(done.stdout) == [sid]
    assert not home.exists()  # the home's own sessions file was not even created


def test_store_given_on_the_command_line_wins_over_pmsim_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = {}
    for name in ("env", "flag"):
        with open_store(url_of(tmp_path / f"{name}.sqlite3"), Home(tmp_path)) as store:
            ids[name] = store.create_session("hudson", SHA, 1, name).id
    monkeypatch.setenv("PMSIM_STORE", url_of(tmp_path / "env.sqlite3"))
    assert main(["session", "list", "--format", "json"]) == 0
    assert session_ids(capsys.readouterr().out) == [ids["env"]]
    assert main(["session", "list", "--format", "json",
                 "--store", url_of(tmp_path / "flag.sqlite3")]) == 0
    assert session_ids(capsys.readouterr().out) == [ids["flag"]]


@pytest.mark.parametrize(
    "argv",
    [
        ["play", "hudson"],
        ["session", "list"],
        ["session", "export", "abcdefgh"],
        ["report", "abcdefgh"],
        ["progress"],
    ],
)
def test_an_unreachable_store_is_exit_1_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    code = main([*argv, "--home", str(tmp_path), "--store", UNREACHABLE])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("pmsim: cannot reach the PostgreSQL server at 127.0.0.1:1"
                          " (connection refused)")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["session", "list"], []])
def test_an_unreachable_store_prints_no_traceback(tmp_path: Path, argv: list[str]) -> None:
    done = pmsim(*argv, env={"PMSIM_HOME": str(tmp_path),
                             "PMSIM_STORE": UNREACHABLE.replace("pmsim@", "pmsim:hunter2@")})
    assert (done.returncode, done.stdout) == (1, "")
    assert "Traceback" not in done.stderr
    assert "cannot reach the PostgreSQL server" in done.stderr
    assert "hunter2" not in done.stderr


def test_session_list_imports_only_the_standard_library(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pmsim.cli import main\n"
        "assert main(['session', 'list']) == 0\n"
        "heavy = {'textual', 'numpy', 'pydantic', 'faker', 'yaml'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PMSIM_HOME": str(tmp_path)})
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_a_report_keeps_its_cache_in_the_home_not_beside_the_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shared = tmp_path / "shared" / "sessions.sqlite3"
    home = tmp_path / "home"
    with open_store(url_of(shared), Home(home)) as store:
        sid = store.create_session("hudson", load_scenario("hudson").sha256, 1, "t").id
        append_event(store, sid, "decision.made", "district",
                     {"meeting": "meeting-1", "strategy": "structured-literacy",
                      "action": "adopt"})
        append_event(store, sid, "meeting.closed", "state", {"meeting": "meeting-1"})
    code = main(["report", sid, "--final", "--format", "json", "--replications", "4",
                 "--home", str(home), "--store", url_of(shared)])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["session"] == sid
    assert list(home.glob("cache/outcomes-*.json"))
    beside = {p.name for p in shared.parent.iterdir()}
    assert beside <= {"sessions.sqlite3", "sessions.sqlite3-wal", "sessions.sqlite3-shm"}


# --------------------------------------------------------------------------- the room


def test_a_room_stores_at_the_url_and_keeps_reports_in_the_home(tmp_path: Path) -> None:
    shared = tmp_path / "shared.sqlite3"
    home = Home(tmp_path / "home")
    room = Room.new(home, "hudson", 3, "state", store_url=url_of(shared))
    try:
        assert room.home == home
        sid = room.session_id
    finally:
        room.close()
    with SqliteStore.open(shared) as store:
        assert store.get(sid).seed == 3
    resumed = Room.resume(home, sid, "district", store_url=url_of(shared))
    try:
        assert (resumed.state.seed, resumed.home.reports) == (3, tmp_path / "home" / "reports")
    finally:
        resumed.close()
    assert not home.store_file.exists()


def test_the_app_opens_the_store_of_its_url(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    from tui.app import PmsimApp

    shared = tmp_path / "shared.sqlite3"
    with open_store(url_of(shared), Home(tmp_path)) as store:
        sid = store.create_session("hudson", SHA, 1, "t").id
    monkeypatch.setenv("PMSIM_STORE", url_of(shared))
    app = PmsimApp(home=tmp_path / "home")
    assert app.home == Home(tmp_path / "home")
    with app.open_store() as opened:
        assert [s.id for s in opened.list_sessions()] == [sid]
