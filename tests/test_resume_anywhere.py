"""A session played on a scenario file resumes, reports and exports from any folder; a file
that moved, changed or lost a strategy is said in plain words, never a traceback."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import yaml

from pmsim.cli import main
from simulator.formats.loading import ScenarioGone
from simulator.session.client import Room
from simulator.session.home import Home, open_store
from simulator.session.state import ScenarioMismatchError
from simulator.session.transcript import parse_transcript

ROOT = Path(__file__).resolve().parents[1]
HUDSON = ROOT / "scenarios" / "hudson.yaml"
REPS = "2"


@pytest.fixture
def played(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, Path]:
    """A session started in ./started on ./riverside.yaml with a decision on tutoring-math;
    the test then runs from ./elsewhere. Returns (session id, the file, the pmsim home)."""
    started, elsewhere, home = tmp_path / "started", tmp_path / "elsewhere", tmp_path / "home"
    started.mkdir()
    elsewhere.mkdir()
    (started / "riverside.yaml").write_bytes(HUDSON.read_bytes())
    monkeypatch.setenv("PMSIM_HOME", str(home))
    monkeypatch.chdir(started)
    room = Room.new(Home(home), "riverside.yaml", 1)
    try:
        room.make_decision("meeting-1", "tutoring-math", "adopt", {})
        room.close_meeting("meeting-1")
    finally:
        room.close()
    monkeypatch.chdir(elsewhere)
    return room.session_id, started / "riverside.yaml", home


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def without_strategy(path: Path, strategy: str) -> None:
    doc = yaml.safe_load(path.read_text())
    doc["strategies"] = [s for s in doc["strategies"] if s["id"] != strategy]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_a_session_names_its_file_by_absolute_path(played: tuple[str, Path, Path]) -> None:
    session, path, home = played
    with open_store(None, Home(home)) as store:
        assert store.get(session).scenario == str(path)


def test_a_session_resumes_reports_and_exports_from_another_folder(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    session, path, home = played
    room = Room.resume(Home(home), session)
    try:
        assert room.loaded.path == path and not room.scenario_changed
        assert room.plan() == [("meeting-1", [{"action": "adopt", "meeting": "meeting-1",
                                                "options": {}, "strategy": "tutoring-math"}])]
    finally:
        room.close()
    code, out, err = run(capsys, "report", session, "--format", "json", "--replications", REPS)
    assert (code, err) == (0, "")
    code, out, err = run(capsys, "session", "export", session)
    assert (code, err) == (0, "")
    assert parse_transcript(out.encode()).scenario == str(path)


def test_a_moved_file_is_named_and_scenario_tells_where_it_is_now(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    session, path, home = played
    moved = path.with_name("moved.yaml")
    path.rename(moved)
    gone = f"the scenario file {path} is gone; pass --scenario PATH"

    code, out, err = run(capsys, "report", session, "--replications", REPS)
    assert (code, out, err) == (1, "", f"pmsim: {gone}\n")
    with pytest.raises(ScenarioGone, match="is gone; pass --scenario PATH"):
        Room.resume(Home(home), session)
    code, out, err = run(capsys, "session", "export", session)
    assert code == 0 and err == f"pmsim: note: {gone}\n", "the transcript needs no scenario"
    assert parse_transcript(out.encode()).scenario == str(path)

    code, out, err = run(capsys, "report", session, "--format", "json",
                         "--replications", REPS, "--scenario", str(moved))
    assert (code, err) == (0, "") and '"elements"' in out
    code, out, err = run(capsys, "session", "export", session, "--scenario", str(moved))
    assert (code, err) == (0, "")
    exported = parse_transcript(out.encode())
    assert exported.scenario == str(moved), "the transcript names the file as it is now"
    code, _, err = run(capsys, "debrief", str(moved), "--transcript", _saved(out, path.parent),
                       "--format", "json", "--replications", REPS)
    assert (code, err) == (0, "")
    room = Room.resume(Home(home), session, scenario=moved)
    try:
        assert room.loaded.path == moved and not room.scenario_changed
    finally:
        room.close()


def _saved(text: str, folder: Path) -> str:
    path = folder / "exported-transcript.yaml"
    path.write_text(text)
    return str(path)


def test_an_exported_transcript_is_debriefed_on_its_file_named_relatively(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    session, path, _ = played
    code, out, _ = run(capsys, "session", "export", session)
    transcript = _saved(out, path.parent)
    monkeypatch.chdir(path.parent)
    code, _, err = run(capsys, "debrief", "riverside.yaml", "--transcript", transcript,
                       "--format", "json", "--replications", REPS)
    assert (code, err) == (0, "")


def test_a_changed_file_is_a_note_and_still_opens(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    session, path, home = played
    path.write_text(path.read_text().replace("Hudson Middle School", "Hudson Middle"))
    code, out, err = run(capsys, "report", session, "--format", "json", "--replications", REPS)
    assert code == 0 and '"elements"' in out
    assert err == (f"pmsim: note: the scenario file {path} has changed since session {session}"
                   " was played; the report uses it as it is now\n")
    room = Room.resume(Home(home), session)
    try:
        assert room.scenario_changed
    finally:
        room.close()


def test_a_strategy_the_session_used_no_longer_defined_is_named(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    session, path, home = played
    without_strategy(path, "tutoring-math")
    said = (f"session {session} used strategy 'tutoring-math', which riverside.yaml"
            " no longer defines")
    code, out, err = run(capsys, "report", session, "--replications", REPS)
    assert code == 1 and out == ""
    assert err.splitlines()[-1] == f"pmsim: {said}"
    with pytest.raises(ScenarioMismatchError) as caught:
        Room.resume(Home(home), session)
    assert str(caught.value) == said
    code, _, err = run(capsys, "session", "export", session, "--scenario", str(path))
    assert code == 1 and err.splitlines()[-1] == f"pmsim: {said}"
    code, out, err = run(capsys, "session", "export", session)
    assert code == 0 and f"pmsim: note: {said}" in err and out


def test_a_meeting_the_session_closed_no_longer_defined_is_named(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    session, path, _ = played
    path.write_text(path.read_text().replace("meeting-1", "meeting-one"))
    code, _, err = run(capsys, "report", session, "--replications", REPS)
    assert code == 1
    assert err.splitlines()[-1] == (f"pmsim: session {session} used meeting 'meeting-1', which"
                                    " riverside.yaml no longer defines")


def test_everything_missing_is_named_at_once(
        played: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    session, path, _ = played
    without_strategy(path, "tutoring-math")
    path.write_text(path.read_text().replace("meeting-1", "meeting-one"))
    code, _, err = run(capsys, "report", session, "--replications", REPS)
    assert code == 1
    assert err.splitlines()[-1] == (f"pmsim: session {session} used strategy 'tutoring-math'"
                                    " and meeting 'meeting-1', which riverside.yaml no longer"
                                    " defines")


def test_an_old_session_naming_its_file_relatively_still_opens_in_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Sessions saved before paths were absolute name the file as it was given."""
    (tmp_path / "riverside.yaml").write_bytes(HUDSON.read_bytes())
    monkeypatch.chdir(tmp_path)
    with open_store(None, Home.locate()) as store:
        from simulator.formats.loading import load_scenario

        sha = load_scenario("riverside.yaml").sha256
        session = store.create_session("riverside.yaml", sha, 1, "old").id
    code, _, err = run(capsys, "report", session, "--format", "json", "--replications", REPS)
    assert (code, err) == (0, "")
    os.chdir(tmp_path.parent)
    code, _, err = run(capsys, "report", session, "--replications", REPS)
    assert code == 1
    assert err == (f"pmsim: the scenario file riverside.yaml is not in this folder"
                   f" ({tmp_path.parent}); the session was started in another:"
                   " pass --scenario PATH\n")


def test_scenario_without_session_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "play", "--scenario", str(HUDSON))
    assert code == 2 and "--scenario goes with --session" in err


def _resume_in_tui(home: Path, session: str, scenario: str | None = None) -> list[str]:
    """Open the session from the home screen; the notices shown."""
    from test_tui_meetings import SIZE, until

    from tui import messages
    from tui.app import PmsimApp

    app = PmsimApp(home=home, pace=0)
    shown: list[str] = []

    async def go() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
            app.post_message(messages.OpenSession(scenario=scenario, session=session))
            await until(pilot, lambda: app._notifications)
            await until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
            shown.extend(n.message for n in app._notifications)

    asyncio.run(go())
    return shown


def test_the_tui_gives_a_notice_for_a_strategy_gone(played: tuple[str, Path, Path]) -> None:
    session, path, home = played
    without_strategy(path, "tutoring-math")
    assert _resume_in_tui(home, session) == [
        f"session {session} used strategy 'tutoring-math', which riverside.yaml no longer defines"
    ]


def test_the_tui_gives_a_notice_for_a_file_gone(played: tuple[str, Path, Path]) -> None:
    session, path, home = played
    path.unlink()
    assert _resume_in_tui(home, session) == [
        f"the scenario file {path} is gone; pass --scenario PATH"
    ]
