"""`pmsim session import FILE`: a transcript becomes a saved session, all of it or nothing.

A facilitator opens a worked playthrough in the TUI, moves a session between machines or
restores one: the session opens where the playthrough stood, and export → import → export
gives the same transcript.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pmsim.cli import main
from simulator.formats.loading import builtin_dir
from simulator.session.client import Room
from simulator.session.home import Home

STRONG = builtin_dir() / "hudson-strong-transcript.yaml"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _sessions(capsys: pytest.CaptureFixture[str], home: Path) -> list[dict]:
    code, out, _ = _run(capsys, "session", "list", "--format", "json", "--home", str(home))
    assert code == 0
    return json.loads(out)


def _import(capsys, home: Path, path: Path, *more: str) -> tuple[int, str, str]:
    return _run(capsys, "session", "import", str(path), "--home", str(home), *more)


def _cut(tmp_path: Path, keep: int) -> Path:
    """The strong transcript's first ``keep`` events, as a file."""
    doc = yaml.safe_load(STRONG.read_text(encoding="utf-8"))
    doc["events"] = doc["events"][:keep]
    path = tmp_path / f"cut-{keep}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_worked_transcript_becomes_a_session_that_stands_where_it_ended(
        capsys, tmp_path: Path) -> None:
    code, out, err = _import(capsys, tmp_path, STRONG)
    assert (code, err) == (0, "")
    session_id = out.strip()
    assert out == session_id + "\n" and session_id  # the id alone on stdout
    [listed] = _sessions(capsys, tmp_path)
    assert listed["id"] == session_id and listed["scenario"] == "hudson"
    assert listed["seed"] == 1 and listed["title"] == "Hudson — a strong playthrough"
    assert listed["stage"] == "end"  # both meetings closed: the end-of-year debrief
    room = Room.resume(Home(tmp_path), session_id)
    try:
        assert room.state.closed_meetings == ["meeting-1", "meeting-2"]
        assert room.stage.kind == "end" and room.state.screen == "changes"
        assert room.state.participants()["state"] == "State Turnaround Lead (worked example)"
        assert [d["strategy"] for d in room.state.decisions["meeting-1"]] == [
            "structured-literacy", "attendance-outreach"]
    finally:
        room.close()


def test_export_import_export_gives_the_same_transcript(capsys, tmp_path: Path) -> None:
    _, first_id, _ = _import(capsys, tmp_path, STRONG)
    code, exported, _ = _run(capsys, "session", "export", first_id.strip(), "--home",
                             str(tmp_path))
    assert code == 0
    again = tmp_path / "exported.yaml"
    again.write_text(exported, encoding="utf-8")
    code, second_id, _ = _import(capsys, tmp_path, again)
    assert code == 0 and second_id != first_id
    _, re_exported, _ = _run(capsys, "session", "export", second_id.strip(), "--home",
                             str(tmp_path))
    assert re_exported == exported
    assert len(_sessions(capsys, tmp_path)) == 2


def test_the_imported_session_reports_as_its_transcript_debriefs(capsys, tmp_path: Path) -> None:
    _, session_id, _ = _import(capsys, tmp_path, STRONG)
    small = ("--format", "json", "--replications", "2", "--home", str(tmp_path))
    code, report, _ = _run(capsys, "report", session_id.strip(), *small)
    assert code == 0
    code, debrief, _ = _run(capsys, "debrief", "hudson", "--transcript", str(STRONG), *small)
    assert code == 0
    mine, theirs = json.loads(report), json.loads(debrief)
    assert mine["session"] != theirs["session"]  # a saved session, not a file
    for key in ("elements", "routine", "decisions", "outcomes", "poll", "take_home", "reveal"):
        assert mine[key] == theirs[key], key


def test_a_playthrough_cut_short_opens_where_it_was(capsys, tmp_path: Path) -> None:
    events = yaml.safe_load(STRONG.read_text(encoding="utf-8"))["events"]
    first_record = next(i for i, e in enumerate(events) if e["event"] == "record.added")
    assert all(e["event"] == "view.opened" for e in events[:first_record])
    _import(capsys, tmp_path, _cut(tmp_path, first_record))  # only views opened
    _import(capsys, tmp_path, _cut(tmp_path, first_record + 1))  # a record at Meeting #1
    stages = [s["stage"] for s in reversed(_sessions(capsys, tmp_path))]  # oldest first
    assert stages == ["briefing", "meeting-1"]


def test_after_the_first_meeting_closed_it_opens_at_that_meetings_debrief(
        capsys, tmp_path: Path) -> None:
    doc = yaml.safe_load(STRONG.read_text(encoding="utf-8"))
    closed = next(i for i, e in enumerate(doc["events"])
                  if e["event"] == "meeting.closed" and e["meeting"] == "meeting-1")
    code, _, _ = _import(capsys, tmp_path, _cut(tmp_path, closed + 1))
    assert code == 0
    [listed] = _sessions(capsys, tmp_path)
    assert listed["stage"] == "debrief-1"


def test_a_bad_transcript_is_located_and_saves_nothing(capsys, tmp_path: Path) -> None:
    text = STRONG.read_text(encoding="utf-8").replace(
        "strategy: attendance-outreach\n    action: adopt",
        "strategy: attendance-outreech\n    action: adopt", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "attendance-outreech" in t)
    code, out, err = _import(capsys, tmp_path, bad)
    assert code == 1 and out == ""
    assert err.startswith(f"{bad}:{line}:") and "attendance-outreech" in err
    assert "Traceback" not in err
    assert _sessions(capsys, tmp_path) == []


def test_a_transcript_of_an_unknown_scenario_says_which(capsys, tmp_path: Path) -> None:
    text = STRONG.read_text(encoding="utf-8").replace("scenario: hudson", "scenario: hudsn", 1)
    other = tmp_path / "other.yaml"
    other.write_text(text, encoding="utf-8")
    code, out, err = _import(capsys, tmp_path, other)
    assert code == 1 and out == ""
    assert "hudsn" in err and "did you mean 'hudson'" in err
    assert _sessions(capsys, tmp_path) == []


def test_a_missing_file_is_an_error_not_a_traceback(capsys, tmp_path: Path) -> None:
    code, out, err = _import(capsys, tmp_path, tmp_path / "nowhere.yaml")
    assert code == 1 and out == ""
    assert "nowhere.yaml" in err and "cannot read the file" in err


def test_a_session_and_its_imported_events_are_saved_together_or_not_at_all(
        tmp_path: Path) -> None:
    from simulator.session.home import open_store

    with open_store(None, Home(tmp_path)) as store:
        good = ("view.opened", "state", {"view": "reading/hudson-ms/all"})
        with pytest.raises(ValueError):
            store.create_session("hudson", "0" * 64, 1, "t",
                                 events=[good, ("view.opened", "state", {"x": float("nan")})])
        assert store.list_sessions() == []
        info = store.create_session("hudson", "0" * 64, 1, "t", events=[good, good])
        assert info.last_seq == 3 and [e.seq for e in store.events(info.id)] == [1, 2, 3]


def test_a_scenario_named_by_a_relative_path_is_found_beside_the_transcript(
        capsys, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "workshop"
    folder.mkdir()
    (folder / "district.yaml").write_bytes((builtin_dir() / "hudson.yaml").read_bytes())
    text = STRONG.read_text(encoding="utf-8").replace(
        "scenario: hudson", "scenario: district.yaml", 1)
    (folder / "played.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # district.yaml is not here, but beside the transcript
    code, _, err = _import(capsys, tmp_path / "home", folder / "played.yaml")
    assert (code, err) == (0, "")
    [listed] = _sessions(capsys, tmp_path / "home")
    assert listed["scenario"] == str(folder / "district.yaml")
