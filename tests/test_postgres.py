"""What only the PostgreSQL store does: followers woken by LISTEN/NOTIFY, writers on other
connections and in killed processes, a server that stops and comes back, logins and
read-only servers refused in plain words. The promises every store keeps run on
PostgreSQL too, in test_store.py and test_store_protocol.py (``store_url``)."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pglib
import psycopg
import pytest
from conftest import postgres_missing
from test_store import python_child, release_together

from pmsim.cli import main
from simulator.session import postgres
from simulator.session.client import Room
from simulator.session.home import Home, open_store
from simulator.session.postgres import PostgresStore
from simulator.session.store import NotSaved, StoreError

ROOT = Path(__file__).resolve().parents[1]
SHA = "cd" * 32


@pytest.fixture
def store(postgres_url: str, tmp_path: Path) -> Iterator[PostgresStore]:
    with PostgresStore.open(postgres_url) as opened:
        yield opened


@pytest.fixture
def sid(store: PostgresStore) -> str:
    return store.create_session("hudson", SHA, 1, "t").id


def cli(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, str, str]:
    code = main([*argv, "--home", str(tmp_path / "home")])
    out, err = capsys.readouterr()
    return code, out, err


def said(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What a command that must fail prints: exit 1, one line on stderr, nothing else."""
    code, out, err = cli(argv, tmp_path, capsys)
    assert (code, out) == (1, ""), err
    assert err.startswith("pmsim: ") and len(err.splitlines()) == 1, err
    return err.removeprefix("pmsim: ").strip()


# --------------------------------------------------------------------------- writers


TICKER = """
    import sys, time
    from pathlib import Path
    from simulator.session.home import Home, open_store
    gate, url, sid, name, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], \\
        int(sys.argv[5])
    with open_store(url, Home(gate / name)) as store:
        (gate / f"ready-{name}").touch()
        while not (gate / "go").exists():
            time.sleep(0.001)
        for n in range(count):
            store.append(sid, "note.added", name, {"n": n})
"""


def test_two_processes_appending_at_once_lose_nothing_and_number_1_to_n(
        store: PostgresStore, sid: str, postgres_url: str, tmp_path: Path) -> None:
    count = 300
    release_together(tmp_path, [python_child(TICKER, str(tmp_path), postgres_url, sid, name,
                                             str(count)) for name in ("a", "b")])
    events = store.events(sid)
    assert [e.seq for e in events] == list(range(1, 2 * count + 2))
    for name in ("a", "b"):
        assert [e.payload["n"] for e in events if e.role == name] == list(range(count))
    roles = [e.role for e in events[1:]]
    assert sum(x != y for x, y in itertools.pairwise(roles)) > 2  # interleaved
    assert store.last_seq(sid) == store.get(sid).last_seq == 2 * count + 1


def test_seq_is_unique_per_session_and_the_log_is_append_only(
        store: PostgresStore, sid: str, postgres_url: str) -> None:
    store.append(sid, "note.added", "state", {"text": "a"})
    with pytest.raises(psycopg.errors.UniqueViolation):
        pglib.execute(postgres_url, "INSERT INTO pmsim.events VALUES"
                                    f" ('{sid}', 2, 'note.added', 'state', '{{}}', 'x')")
    for change in (f"UPDATE pmsim.events SET payload = '{{}}' WHERE session_id = '{sid}'",
                   f"DELETE FROM pmsim.events WHERE session_id = '{sid}'",
                   "TRUNCATE pmsim.events CASCADE"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            pglib.execute(postgres_url, change)
    assert [e.seq for e in store.events(sid)] == [1, 2]


KILLED_WRITER = """
    import sys
    from pathlib import Path
    from simulator.session.home import Home, open_store
    url, sid, home = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with open_store(url, Home(home)) as store:
        print("READY", flush=True)
        while True:
            batch = store.append_many(sid, [("note.added", "state", {"i": i}) for i in range(3)])
            print("ACK", batch[-1].seq, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_writer_killed_at_random_loses_nothing_acknowledged_and_no_batch_is_torn(
        store: PostgresStore, sid: str, postgres_url: str, tmp_path: Path) -> None:
    for pause in (0.05, 0.13, 0.21):
        child = python_child(KILLED_WRITER, postgres_url, sid, str(tmp_path / "child"))
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        time.sleep(pause)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        # A kill can cut the last line short: only whole lines were acknowledged.
        whole = out.split("\n")[:-1]
        acked = [int(line.split()[1]) for line in whole
                 if line.startswith("ACK ") and len(line.split()) == 2]
        seqs = [e.seq for e in store.events(sid)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert (len(seqs) - 1) % 3 == 0  # whole batches only
        assert set(acked) <= set(seqs)
    payloads = [e.payload["i"] for e in store.events(sid)[1:]]
    assert payloads == [0, 1, 2] * (len(payloads) // 3)


def _sleep_on(url: str, kind: str, seconds: float) -> None:
    """Make every insert of ``kind`` sleep: a write caught half-way for as long as we like."""
    pglib.execute(
        url,
        "CREATE FUNCTION pmsim.slow() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$",
        "CREATE TRIGGER slow BEFORE INSERT ON pmsim.events FOR EACH ROW"
        f" WHEN (NEW.kind = '{kind}') EXECUTE FUNCTION pmsim.slow()")


def _sleeping_backends(url: str) -> list[int]:
    return [pid for (pid,) in pglib.execute(
        url, "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
             " AND datname = current_database()")]


def _wait_until(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return found


DECIDER = """
    import sys
    from pathlib import Path
    from simulator.session.home import Home, open_store
    url, sid, home = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with open_store(url, Home(home)) as store:
        store.append_many(sid, [("decision.made", "district", {"strategy": "s"}),
                                ("record.added", "district", {"record_id": "r"})])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_writer_killed_half_way_through_a_batch_leaves_none_of_it(
        store: PostgresStore, sid: str, postgres_url: str, tmp_path: Path) -> None:
    _sleep_on(postgres_url, "record.added", 0.6)
    child = python_child(DECIDER, postgres_url, sid, str(tmp_path / "child"))
    [backend] = _wait_until(lambda: _sleeping_backends(postgres_url))  # decision inserted
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    _wait_until(lambda: backend not in {pid for (pid,) in pglib.execute(
        postgres_url, "SELECT pid FROM pg_stat_activity")})
    assert [e.kind for e in store.events(sid)] == ["session.created"]
    pglib.execute(postgres_url, "DROP TRIGGER slow ON pmsim.events")
    assert store.append(sid, "note.added", "state", {"text": "next"}).seq == 2  # not locked


def test_a_connection_the_server_drops_mid_batch_is_retried_whole_once(
        store: PostgresStore, sid: str, postgres_url: str) -> None:
    _sleep_on(postgres_url, "record.added", 0.4)
    first_backend = store._connection().info.backend_pid

    def terminate() -> None:
        _wait_until(lambda: first_backend in _sleeping_backends(postgres_url))
        pglib.execute(postgres_url, f"SELECT pg_terminate_backend({first_backend})")

    killer = threading.Thread(target=terminate)
    killer.start()
    batch = store.append_many(sid, [("decision.made", "district", {"strategy": "s"}),
                                    ("record.added", "district", {"record_id": "r"})])
    killer.join()
    assert [e.seq for e in batch] == [2, 3]
    assert [e.kind for e in store.events(sid)] == ["session.created", "decision.made",
                                                   "record.added"]
    assert store._connection().info.backend_pid != first_backend


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "not-committed"])
def test_a_commit_whose_answer_is_lost_is_looked_up_not_guessed(
        store: PostgresStore, sid: str, monkeypatch: pytest.MonkeyPatch,
        committed: bool) -> None:
    real_commit, lost = postgres._commit, []

    def commit_and_lose_the_answer(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
        if not lost:
            lost.append(True)
            conn.execute("COMMIT" if committed else "ROLLBACK")
            conn.pgconn.finish()  # the connection is gone before the answer is read
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        real_commit(conn)

    monkeypatch.setattr(postgres, "_commit", commit_and_lose_the_answer)
    batch = store.append_many(sid, [("note.added", "state", {"i": i}) for i in range(2)])
    assert lost and [e.seq for e in batch] == [2, 3]
    assert [e.seq for e in store.events(sid)] == [1, 2, 3]  # saved once, either way


def test_an_append_waiting_longer_than_the_timeout_for_another_is_busy(
        postgres_url: str, sid: str) -> None:
    with psycopg.connect(postgres_url) as holder:  # holds the session's row, as a writer does
        holder.execute("SELECT 1 FROM pmsim.sessions WHERE id = %s FOR UPDATE", (sid,))
        with PostgresStore.open(f"{postgres_url}?timeout=0.3") as impatient:
            started = time.monotonic()
            with pytest.raises(StoreError, match=rf"session {sid} stayed busy for 0\.3 s"
                                                 r" \(another pmsim is writing to it\)"):
                impatient.append(sid, "note.added", "state", {"text": "x"})
            assert time.monotonic() - started < 2
            assert [e.seq for e in impatient.events(sid)] == [1]  # reads don't wait
        holder.rollback()


# --------------------------------------------------------------------------- followers


NOTIFIER = """
    import sys, time
    from pathlib import Path
    from simulator.session.home import Home, open_store
    gate, url, sid = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open_store(url, Home(gate / "writer")) as store:
        (gate / "ready-writer").touch()
        while not (gate / "go").exists():
            time.sleep(0.001)
        time.sleep(0.3)  # the follower is waiting by now
        event = store.append(sid, "note.added", "district", {"text": "from afar"})
        print(event.seq, time.time(), flush=True)
"""


def test_a_notify_wakes_a_follower_within_a_second_of_another_connections_append(
        store: PostgresStore, sid: str, postgres_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "RECHECK_S", 30.0)  # only the NOTIFY can wake it in time
    child = python_child(NOTIFIER, str(tmp_path), postgres_url, sid)
    _wait_until(lambda: (tmp_path / "ready-writer").exists(), 20)
    (tmp_path / "go").touch()
    started = time.monotonic()
    new = store.wait(sid, after=1, timeout=10)
    woken_at, waited = time.time(), time.monotonic() - started
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    seq, committed_at = out.split()
    assert [(e.seq, e.payload["text"]) for e in new] == [(int(seq), "from afar")]
    assert woken_at - float(committed_at) < 1.0
    assert waited < 5


def test_wait_sleeps_through_other_sessions_and_gives_nothing_at_its_timeout(
        store: PostgresStore, sid: str, postgres_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "RECHECK_S", 0.2)
    other = store.create_session("hudson", SHA, 2, "other").id
    with PostgresStore.open(postgres_url) as writer:
        chatter = threading.Thread(target=lambda: [
            (time.sleep(0.05), writer.append(other, "note.added", "state", {"i": i}))
            for i in range(10)])
        chatter.start()
        started = time.monotonic()
        assert store.wait(sid, after=1, timeout=0.8) == []
        assert 0.75 < time.monotonic() - started < 2
        chatter.join()
    assert [e.seq for e in store.wait(other, after=5, timeout=5)] == list(range(6, 12))
    assert store.wait(sid, after=0, timeout=0)[0].kind == "session.created"


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def own_server() -> Iterator[pglib.Cluster]:
    """A server of this module's own, to stop and start again."""
    if pglib.binaries() is None:
        postgres_missing("no PostgreSQL server binaries to start a server to stop")
    cluster = pglib.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        import shutil

        shutil.rmtree(cluster.datadir.parent, ignore_errors=True)


def test_a_server_stopped_mid_session_is_told_in_words_and_the_room_resumes_when_it_is_back(
        own_server: pglib.Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pglib.fresh_database(own_server.url) as url:
        home = Home(tmp_path / "home")
        room = Room.new(home, "hudson", 1, "state", store_url=url)
        try:
            room.set_stage("meeting-1", "meeting")
            own_server.stop()
            down = (f"cannot reach the PostgreSQL server at 127.0.0.1:{own_server.port}"
                    " (connection refused); check that it is running, and the host and port"
                    " in the store URL")
            with pytest.raises(NotSaved) as refused:
                room.open_view("reading/hudson-ms/all", "Q2")
            assert refused.value.why == down
            assert said(["session", "list", "--store", url], tmp_path, capsys) == down
            done = subprocess.run([sys.executable, "-c", "import sys; from pmsim.cli import"
                                   " main; sys.exit(main(['session', 'list']))"],
                                  capture_output=True, text=True, timeout=60, cwd=ROOT,
                                  env={**os.environ, "PMSIM_STORE": url,
                                       "PYTHONPATH": str(ROOT)})
            assert (done.returncode, done.stdout, done.stderr) == (1, "", f"pmsim: {down}\n")
            own_server.start_again()
            room.open_view("reading/hudson-ms/all", "Q3")  # the same room, a new connection
            assert [e.seq for e in room.store.events(room.session_id)] == [1, 2, 3]
            assert room.state.last_seq == 3
        finally:
            room.close()
            own_server.start_again()


def test_a_server_restarted_between_calls_is_reconnected_without_a_word(
        own_server: pglib.Cluster) -> None:
    with pglib.fresh_database(own_server.url) as url, PostgresStore.open(url) as store:
        sid = store.create_session("hudson", SHA, 1, "t").id
        own_server.stop()
        own_server.start_again()
        assert [e.seq for e in store.events(sid)] == [1]  # a read, retried on a new connection
        own_server.stop()
        own_server.start_again()
        assert store.append(sid, "note.added", "state", {"text": "x"}).seq == 2  # a write


# --------------------------------------------------------------------------- logins


@pytest.fixture
def role(postgres_server: str, postgres_url: str) -> Iterator[str]:
    """A new login role (its name), dropped after the test."""
    name = f"pmsim_role_{secrets.token_hex(4)}"
    pglib.execute(postgres_server, f"CREATE ROLE {name} LOGIN")
    try:
        yield name
    finally:
        pglib.execute(postgres_url, f"DROP OWNED BY {name}")
        pglib.execute(postgres_server, f"DROP ROLE {name}")


def _password_role(postgres_server: str) -> None:
    """The role tests/pglib.py's servers make give a password: 'right-one'."""
    with contextlib.suppress(psycopg.errors.DuplicateObject,  # another worker made it
                             psycopg.errors.UniqueViolation):
        pglib.execute(postgres_server, f"CREATE ROLE {pglib.PASSWORD_ROLE} LOGIN")
    pglib.execute(postgres_server, f"ALTER ROLE {pglib.PASSWORD_ROLE} PASSWORD 'right-one'")


def test_a_refused_login_is_told_without_the_password(
        postgres_server: str, postgres_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _password_role(postgres_server)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    user = pglib.PASSWORD_ROLE
    server = postgres_url.split("@")[1].split("/")[0]
    wrong = pglib.with_user(postgres_url, user, "hunter2-wrong")
    told = said(["session", "list", "--store", wrong], tmp_path, capsys)
    assert told == (f"the PostgreSQL server at {server} refused the password of user {user};"
                    " check PGPASSWORD or ~/.pgpass")
    assert said(["session", "list", "--store", pglib.with_user(postgres_url, user)],
                tmp_path, capsys) == (
        f"the PostgreSQL server at {server} asks user {user} for a password and none was"
        " given; set PGPASSWORD, or put it in ~/.pgpass")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{user}:right-one\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))  # as libpq finds it: ~/.pgpass, here named
    code, out, err = cli(["session", "list", "--store",
                          pglib.with_user(postgres_url, user) + "?mode=ro"], tmp_path, capsys)
    assert (code, out, err) == (0, "", "")  # a database pmsim has not set up: no sessions


def test_a_missing_database_or_user_or_server_is_told_with_what_to_do(
        postgres_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = postgres_server.split("@")[1].split("/")[0]
    nodb = pglib.with_database(postgres_server, "pmsim_nowhere")
    assert said(["session", "list", "--store", nodb], tmp_path, capsys) == (
        f"the PostgreSQL server at {server} has no database pmsim_nowhere; create it"
        " (createdb -O postgres pmsim_nowhere) or name another in the store URL")
    nobody = pglib.with_user(postgres_server, "pmsim_nobody")
    assert said(["session", "list", "--store", nobody], tmp_path, capsys) == (
        f"the PostgreSQL server at {server} has no user pmsim_nobody; create it"
        " (createuser pmsim_nobody) or name another in the store URL")
    closed = f"postgresql://pmsim:s3cret@127.0.0.1:{pglib.free_port()}/pmsim"
    told = said(["session", "list", "--store", closed], tmp_path, capsys)
    assert told.startswith("cannot reach the PostgreSQL server at 127.0.0.1:")
    assert "s3cret" not in told


@pytest.mark.parametrize(("url", "says"), [
    ("postgresql://pmsim:hunter2@127.0.0.1:5432/pmsim?colour=blue",
     'can\'t be used: invalid URI query parameter: "colour"'),
    ("postgresql://pmsim:hunter2@127.0.0.1:port/pmsim", "the port 'port' is not a number"),
    ("postgresql://pmsim:hunter2@127.0.0.1/pmsim?timeout=0", "timeout must be seconds"),
    ("postgres://pmsim:hunter2@127.0.0.1/pmsim?mode=rw", "mode can only be ro"),
])
def test_a_postgresql_url_pmsim_cannot_use_says_why_without_its_password(
        url: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(url, Home(tmp_path))
    assert says in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_read_only_user_or_server_opens_read_only_and_refuses_writes_in_words(
        store: PostgresStore, sid: str, postgres_url: str, role: str) -> None:
    pglib.execute(postgres_url, f"GRANT USAGE ON SCHEMA pmsim TO {role}",
                  f"GRANT SELECT ON ALL TABLES IN SCHEMA pmsim TO {role}")
    reader_url = pglib.with_user(postgres_url, role)
    with PostgresStore.open(reader_url) as reader:
        assert reader.read_only and [e.seq for e in reader.events(sid)] == [1]
        with pytest.raises(StoreError, match=rf"is read-only here \(user {role} may not"
                                             " write to it, or the server is a read-only"
                                             " standby\\)"):
            reader.append(sid, "note.added", "state", {"text": "x"})
        pglib.execute(postgres_url, f"GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA pmsim"
                                    f" TO {role}")
        assert reader.append(sid, "note.added", "state", {"text": "now"}).seq == 2
        assert not reader.read_only
    # A server that turns read-only under an open store (a fail-over to a standby):
    store._connection().execute("SET default_transaction_read_only = on")
    with pytest.raises(StoreError, match=r"is read-only here \(cannot execute [A-Z ]+ in a"
                                         r" read-only transaction\)"):
        store.append(sid, "note.added", "state", {"text": "x"})
    assert store.last_seq(sid) == 2


def test_a_read_only_open_of_a_database_pmsim_has_not_used_creates_nothing(
        postgres_url: str) -> None:
    with PostgresStore.open(postgres_url, readonly=True) as reader:
        assert reader.list_sessions() == []
        with pytest.raises(StoreError, match="no session with id 'nope1234'"):
            reader.events("nope1234")
        assert pglib.execute(postgres_url, "SELECT to_regnamespace('pmsim')") == [(None,)]
        with PostgresStore.open(postgres_url) as writer:  # then someone sets it up
            sid = writer.create_session("hudson", SHA, 1, "t").id
        assert [s.id for s in reader.list_sessions()] == [sid]
        with pytest.raises(StoreError, match="was opened read-only"):
            reader.append(sid, "note.added", "state", {"text": "x"})


def test_a_newer_schema_is_refused_by_every_command(
        postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with PostgresStore.open(postgres_url) as store:
        store.create_session("hudson", SHA, 1, "t")
    pglib.execute(postgres_url, "UPDATE pmsim.meta SET schema_version = 7")
    shown = "postgresql://" + postgres_url.split("://")[1]
    assert said(["session", "list", "--store", postgres_url], tmp_path, capsys) == (
        f"the PostgreSQL store {shown} was written by a newer pmsim (schema 7, this one"
        " knows 1); upgrade pmsim")


# --------------------------------------------------------------------------- imports


def test_neither_the_version_nor_a_sqlite_store_imports_psycopg(tmp_path: Path) -> None:
    code = ("import sys\nfrom pmsim.cli import main\n"
            "try:\n    main(sys.argv[1:] or ['session', 'list'])\n"
            "except SystemExit:\n    pass\n"
            "print('psycopg' in sys.modules)\n")
    for extra in ([], ["--version"]):
        done = subprocess.run([sys.executable, "-c", code, *extra], capture_output=True,
                              text=True, timeout=60,
                              env={**os.environ, "PMSIM_HOME": str(tmp_path),
                                   "PYTHONPATH": str(ROOT)})
        assert done.stdout.strip().splitlines()[-1] == "False", done.stdout + done.stderr


def test_without_psycopg_a_postgresql_store_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys\nsys.modules['psycopg'] = None\nfrom pmsim.cli import main\n"
            "sys.exit(main(['session', 'list', '--store', 'postgresql://u@127.0.0.1/db']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PMSIM_HOME": str(tmp_path),
                                           "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("pmsim: PostgreSQL stores need the psycopg package, which is not"
                           " installed here; install pmsim again, or:"
                           " pip install 'psycopg[binary]'\n")
