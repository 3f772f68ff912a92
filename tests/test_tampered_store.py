"""A sessions file whose rows are valid SQLite but not events pmsim wrote: every command
that reads them says which session and which event (or row), exit 1, never a traceback."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmsim.cli import main
from simulator.formats.loading import ScenarioNotFound
from simulator.session.client import Room
from simulator.session.home import DB_FILENAME, Home, open_store
from simulator.session.store import StoreError

REPS = "2"
COMMANDS = ("list", "report", "export", "resume")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str, dict[str, int]]:
    """A sessions file holding one played session: (its bytes, the id, kind → first seq)."""
    home = tmp_path_factory.mktemp("pristine")
    room = Room.new(Home(home), "hudson", 1)
    try:
        room.set_stage("meeting-1", "meeting")
        room.open_view("reading/hudson-ms/all", "Q2")
        target = room.add_record("meeting-1", "target", {"metric": "pct:reading:hudson-ms:all"})
        room.append("record.updated", {"record_id": target, "fields": {"metric": "x"}})
        room.make_decision("meeting-1", "tutoring-math", "adopt", {})
        room.close_meeting("meeting-1")
        session = room.session_id
    finally:
        room.close()
    with open_store(None, Home(home)) as store:
        first = {}
        for event in store.events(session):
            first.setdefault(event.kind, event.seq)
    return (home / DB_FILENAME).read_bytes(), session, first


@pytest.fixture
def home(tmp_path: Path, pristine: tuple[bytes, str, dict[str, int]]) -> Path:
    (tmp_path / DB_FILENAME).write_bytes(pristine[0])
    return tmp_path


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pmsim home for the reports' outcomes cache, so each case stays quick."""
    return tmp_path_factory.mktemp("report-cache")


def tamper(home: Path, sql: str, *params: object) -> None:
    with closing(sqlite3.connect(home / DB_FILENAME)) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        with conn:
            conn.execute(sql, params)


def outcome(command: str, home: Path, session: str, capsys: pytest.CaptureFixture[str],
            cache: Path) -> tuple[int, str]:
    """Exit status and message of one command on the (tampered) home; a traceback (any
    exception escaping the command) fails the test."""
    if command == "resume":
        try:
            Room.resume(Home(home), session).close()
        except (ScenarioNotFound, StoreError, OSError, ValueError) as err:  # what the TUI shows
            return 1, str(err)
        return 0, ""
    args = {"list": ["session", "list"],
            "report": ["report", session, "--replications", REPS, "--home", str(cache)],
            "export": ["session", "export", session]}[command]
    store = ["--store", f"sqlite:///{home / DB_FILENAME}"]
    code = main([*args, *store])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


EVENT_DAMAGE: dict[str, tuple[str, str, tuple[object, ...]]] = {
    # name: (kind of the event damaged, SET clause, its values)
    "kind garbage": ("view.opened", "kind = ?", ("view opened!",)),
    "kind empty": ("view.opened", "kind = ?", ("",)),
    "kind a number": ("view.opened", "kind = ?", (42,)),
    "kind a second session.created": ("view.opened", "kind = ?", ("session.created",)),
    "kind of another payload": ("view.opened", "kind = ?", ("record.added",)),
    "payload not JSON": ("record.added", "payload = ?", ('{"meeting": "meeting-1", ',)),
    "payload not text": ("record.added", "payload = ?", (b"\x00\xff",)),
    "payload a number": ("record.added", "payload = ?", (7,)),
    "payload a JSON list": ("record.added", "payload = ?", ("[1, 2]",)),
    "payload a JSON string": ("view.opened", "payload = ?", ('"reading"',)),
    "payload JSON null": ("stage.changed", "payload = ?", ("null",)),
    "payload nested too deep": ("view.opened", "payload = ?", ("[" * 100_000,)),
    "payload missing keys": ("record.added", "payload = ?", ("{}",)),
    "payload wrong type": ("view.opened", "payload = ?", ('{"view": 5}',)),
    "decision strategy a number": ("decision.made", "payload = json_set(payload, '$.strategy', 3)",
                                   ()),
    "decision action unknown": ("decision.made",
                                "payload = json_set(payload, '$.action', 'explode')", ()),
    "decision capacity zero": ("decision.made",
                               "payload = json_set(payload, '$.options.capacity', 0)", ()),
    "payload an unknown key": ("record.added", "payload = json_set(payload, '$.mood', 1)", ()),
    "update without fields": ("record.updated", "payload = json_remove(payload, '$.fields')", ()),
    "stage a number": ("stage.changed", "payload = json_set(payload, '$.stage', 1)", ()),
    "created seed text": ("session.created", "payload = json_set(payload, '$.seed', 'one')", ()),
    "created sha a number": ("session.created",
                             "payload = json_set(payload, '$.scenario_sha256', 5)", ()),
    "created scenario missing": ("session.created",
                                 "payload = json_remove(payload, '$.scenario')", ()),
    "seq text": ("record.added", "seq = ?", ("three",)),
    "seq a fraction": ("record.added", "seq = ?", (4.5,)),
    "seq gap": ("record.added", "seq = seq + 1000", ()),
    "seq of session.created gone": ("session.created", "seq = seq + 1000", ()),
    "role empty": ("record.added", "role = ?", ("",)),
    "role bytes": ("record.added", "role = ?", (b"\x01",)),
    "time garbage": ("record.added", "created = ?", ("yesterday",)),
    "time a number": ("view.opened", "created = ?", (1234,)),
}


def must_fail(command: str, damaged_kind: str) -> bool:
    """Every command that reads the damaged event refuses it; the list reads only the
    latest stage.changed of each session."""
    return command != "list" or damaged_kind == "stage.changed"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("damage", EVENT_DAMAGE, ids=list(EVENT_DAMAGE))
def test_a_damaged_event_is_named_with_its_session_and_seq(
        damage: str, command: str, home: Path, pristine: tuple[bytes, str, dict[str, int]],
        capsys: pytest.CaptureFixture[str], cache: Path) -> None:
    _, session, first = pristine
    kind, change, values = EVENT_DAMAGE[damage]
    seq = first[kind]
    tamper(home, f"UPDATE events SET {change} WHERE session_id = ? AND seq = ?",
           *values, session, seq)
    code, said = outcome(command, home, session, capsys, cache)
    if must_fail(command, kind):
        assert code == 1, said
        assert session in said, said
        named = [str(seq)] if change != "seq = ?" else [repr(v) for v in values]
        assert any(n in said for n in named) or "events in between are missing" in said, said


SESSION_DAMAGE: dict[str, tuple[str, tuple[object, ...]]] = {
    "seed text": ("seed = ?", ("many",)),
    "seed a fraction": ("seed = ?", (1.5,)),
    "sha bytes": ("scenario_sha256 = ?", (b"\x12",)),
    "scenario bytes": ("scenario = ?", (b"\xff",)),
    "title bytes": ("title = ?", (b"\x03",)),
    "id bytes": ("id = CAST(id AS BLOB)", ()),
    "created garbage": ("created = ?", ("last tuesday",)),
}


@pytest.mark.parametrize("damage", SESSION_DAMAGE, ids=list(SESSION_DAMAGE))
def test_a_damaged_session_row_is_named_by_the_list(
        damage: str, home: Path, pristine: tuple[bytes, str, dict[str, int]],
        capsys: pytest.CaptureFixture[str], cache: Path) -> None:
    """The sessions table is what the list reads; the other commands replay the events."""
    _, session, _ = pristine
    change, values = SESSION_DAMAGE[damage]
    tamper(home, f"UPDATE sessions SET {change} WHERE id = ?", *values, session)
    code, said = outcome("list", home, session, capsys, cache)
    assert code == 1 and session in said and "sessions table" in said, said
    for command in ("report", "export", "resume"):
        outcome(command, home, session, capsys, cache)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_session_without_its_row_or_its_events_is_named(
        command: str, home: Path, pristine: tuple[bytes, str, dict[str, int]],
        capsys: pytest.CaptureFixture[str], cache: Path) -> None:
    _, session, _ = pristine
    tamper(home, "DELETE FROM sessions WHERE id = ?", session)
    code, said = outcome(command, home, session, capsys, cache)
    assert code == (0 if command == "list" else 1) and (command == "list" or session in said)
    (home / DB_FILENAME).write_bytes(pristine[0])
    tamper(home, "DELETE FROM events WHERE session_id = ?", session)
    code, said = outcome(command, home, session, capsys, cache)
    assert code == 1 and session in said, said


def test_a_kind_from_a_newer_pmsim_is_skipped_not_refused(
        home: Path, pristine: tuple[bytes, str, dict[str, int]],
        capsys: pytest.CaptureFixture[str], cache: Path) -> None:
    """Design: kinds this pmsim doesn't know change nothing (and are not exported)."""
    _, session, first = pristine
    tamper(home, "UPDATE events SET kind = 'hint.shown' WHERE session_id = ? AND seq = ?",
           session, first["view.opened"])
    for command in COMMANDS:
        code, said = outcome(command, home, session, capsys, cache)
        assert code == 0, (command, said)


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1),
    st.floats(allow_nan=False), st.text(max_size=20), st.binary(max_size=8),
    st.sampled_from(["{}", "[]", "null", '{"view": 1}', '{"record_id": ""}', "session.created",
                     "2026-12-01T00:00:00Z", "-1", "0"]),
)


COLUMNS = [("events", c) for c in ("seq", "kind", "role", "payload", "created")] + [
    ("sessions", c) for c in ("scenario", "scenario_sha256", "seed", "title", "created")]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(COLUMNS), row=st.integers(1, 9), value=VALUES)
def test_any_value_in_any_column_is_never_a_traceback(
        column: tuple[str, str], row: int, value: object, tmp_path: Path,
        pristine: tuple[bytes, str, dict[str, int]], capsys: pytest.CaptureFixture[str],
        cache: Path) -> None:
    raw, session, _ = pristine
    home = Path(tempfile.mkdtemp(dir=tmp_path))  # no WAL of an earlier example beside it
    (home / DB_FILENAME).write_bytes(raw)
    table, name = column
    where = "session_id = ? AND seq = ?" if table == "events" else "id = ? AND ? > 0"
    try:
        tamper(home, f"UPDATE {table} SET {name} = ? WHERE {where}", value, session, row)
    except sqlite3.IntegrityError:
        return  # the schema itself refuses it (NOT NULL, seq >= 1, a repeated seq)
    for command in COMMANDS:
        code, said = outcome(command, home, session, capsys, cache)
        assert code in (0, 1)
        if code == 1:
            assert session in said, said


REFERENCE_DAMAGE = {
    "a subgroup": ("decision.made", "json_set(payload, '$.options.subgroups', json('[\"nope\"]'))",
                   "subgroup 'nope'"),
    "a grade": ("decision.made", "json_set(payload, '$.options.grades', json('[1]'))",
                "grade '1'"),
    "a strategy": ("decision.made", "json_set(payload, '$.strategy', 'nope')", "strategy 'nope'"),
    "a decision's meeting": ("decision.made", "json_set(payload, '$.meeting', 'meeting-9')",
                             "meeting 'meeting-9'"),
    "a record's meeting": ("record.added", "json_set(payload, '$.meeting', 'meeting-9')",
                           "meeting 'meeting-9'"),
}


@pytest.mark.parametrize("damage", REFERENCE_DAMAGE, ids=list(REFERENCE_DAMAGE))
def test_a_reference_the_scenario_lacks_is_named(
        damage: str, home: Path, pristine: tuple[bytes, str, dict[str, int]],
        capsys: pytest.CaptureFixture[str], cache: Path) -> None:
    """Well-formed events that name what the scenario doesn't define (an edited file, or a
    scenario changed since): replaying them would drop a decision or fail in the engine."""
    _, session, first = pristine
    kind, change, named = REFERENCE_DAMAGE[damage]
    tamper(home, f"UPDATE events SET payload = {change} WHERE session_id = ? AND seq = ?",
           session, first[kind])
    said = f"session {session} used {named}, which hudson no longer defines"
    for command in ("report", "resume"):
        assert outcome(command, home, session, capsys, cache) == (
            1, f"pmsim: {said}\n" if command == "report" else said)
    assert outcome("export", home, session, capsys, cache) == (0, f"pmsim: note: {said}\n")
