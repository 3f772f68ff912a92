"""`pmsim debrief`, `session export`, `report` and `progress`: outputs and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pmsim.cli import main
from simulator.debrief.report import schema
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.session.home import Home, open_store
from simulator.session.state import append_event

R = "8"
LOCATED = re.compile(r"^.+:\d+:\d+: .+$")


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def session(home):
    """A two-meeting Hudson session, as the meeting room would have saved it."""
    sha = load_scenario("hudson").sha256
    with open_store(None, Home(home)) as store:
        sid = store.create_session("hudson", sha, 1, "Pair 1",
                                   {"participants": {"state": "Ada", "district": "Ben"}}).id

        def ev(kind, role, payload):
            append_event(store, sid, kind, role, payload)

        ev("view.opened", "state", {"view": "reading/hudson-ms/strand", "quarter": "Q2"})
        ev("record.added", "state", {"meeting": "meeting-1", "record_id": "t1", "kind": "target",
                                     "fields": {"metric": "reading", "baseline": 33,
                                                "target": 40, "by": "Q4"}})
        ev("decision.made", "district",
           {"meeting": "meeting-1", "strategy": "structured-literacy", "action": "adopt"})
        ev("meeting.closed", "state", {"meeting": "meeting-1"})
        ev("meeting.closed", "state", {"meeting": "meeting-2"})
        ev("poll.answered", "state", {"meeting": "meeting-2", "role": "state",
                                      "went_well": "Targets", "improve": "Attendance data"})
    return sid


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_report_of_an_unknown_session_is_exit_1(capsys, home):
    code, out, err = run(capsys, "report", "nosuchid", "--home", str(home))
    assert code == 1 and out == ""
    assert "no session with id 'nosuchid'" in err


def test_export_of_an_unknown_session_is_exit_1(capsys, home):
    code, out, err = run(capsys, "session", "export", "nosuchid", "--home", str(home))
    assert code == 1 and out == ""
    assert "nosuchid" in err


def test_report_json_follows_the_schema(capsys, home, session):
    code, out, _ = run(capsys, "report", session, "--format", "json", "--replications", R,
                       "--home", str(home))
    assert code == 0
    doc = json.loads(out)
    jsonschema.Draft202012Validator(schema()).validate(doc)
    assert doc["session"] == session and doc["final"] and len(doc["elements"]) == 11
    assert list(home.glob("cache/outcomes-*.json"))  # the next report is fast


def test_report_markdown_and_html(capsys, home, session):
    code, md, _ = run(capsys, "report", session, "--format", "md", "--replications", R,
                      "--not-final", "--home", str(home))
    assert code == 0 and md.startswith("# Debrief after Meeting #2")
    assert "What was really going on" not in md
    code, page, _ = run(capsys, "report", session, "--format", "html", "--replications", R,
                        "--home", str(home))
    assert code == 0 and page.startswith("<!DOCTYPE html>") and "What was really going on" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", page)


def test_an_exported_session_debriefs_to_the_same_report(capsys, home, session, tmp_path):
    code, text, _ = run(capsys, "session", "export", session, "--home", str(home))
    assert code == 0 and "events:" in text
    path = tmp_path / "pair-1-transcript.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "debrief", "hudson", "--transcript", str(path), "--format",
                       "json", "--replications", R, "--home", str(home))
    assert code == 0
    from_transcript = json.loads(out)
    code, out, _ = run(capsys, "report", session, "--format", "json", "--replications", R,
                       "--home", str(home))
    from_session = json.loads(out)
    for key in ("elements", "routine", "decisions", "outcomes", "reveal"):
        assert from_transcript[key] == from_session[key], key
    assert [p["went_well"] for p in from_transcript["poll"]] == ["Targets"]


def test_an_invalid_transcript_is_exit_1_with_located_problems(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: hudson\nseed: one\nevents:\n  - event: view.opened\n"
                    "    by: state\n    color: red\n", encoding="utf-8")
    code, out, err = run(capsys, "debrief", "hudson", "--transcript", str(path),
                         "--format", "json")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines and all(LOCATED.match(line) for line in lines), err
    assert all(line.startswith(f"{path}:") for line in lines)


def test_a_missing_transcript_is_exit_1(capsys, tmp_path):
    code, _, err = run(capsys, "debrief", "hudson", "--transcript", str(tmp_path / "none.yaml"))
    assert code == 1 and "none.yaml" in err


def test_a_transcript_of_another_scenario_is_refused(capsys, tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text("scenario: elsewhere\nseed: 1\nevents: []\n", encoding="utf-8")
    code, _, err = run(capsys, "debrief", "hudson", "--transcript", str(path))
    assert code == 1
    assert "elsewhere" in err


def test_too_few_replications_is_a_usage_error(capsys, home):
    code, _, err = run(capsys, "report", "x", "--replications", "1", "--home", str(home))
    assert code == 2 and "--replications" in err


def test_progress_lists_the_sessions_attempts(capsys, home, session):
    code, out, _ = run(capsys, "progress", "--participant", "Ada", "--format", "json",
                       "--home", str(home))
    assert code == 0
    doc = json.loads(out)
    assert [a["session"] for a in doc["attempts"]] == [session]
    assert set(doc["attempts"][0]["levels"]) == set(doc["elements"])
    code, out, _ = run(capsys, "progress", "--home", str(home))
    assert code == 0 and session in out


def test_user_errors_print_no_traceback_in_a_real_process(home):
    proc = subprocess.run([sys.executable, "-m", "pmsim.cli", "report", "nosuchid",
                           "--home", str(home)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "nosuchid" in proc.stderr


def test_the_cli_module_still_imports_nothing_heavy():
    code = ("import sys, pmsim.cli; "
            "print(sorted(m for m in ('numpy', 'pydantic', 'textual') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout
    assert out.strip() == "[]"


def _worked(name: str) -> Path:
    path = builtin_dir() / f"hudson-{name}-transcript.yaml"
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    return path


def _mean_level(doc: dict) -> float:
    levels = doc["levels"]
    return sum(levels.index(e["level"]) for e in doc["elements"]) / len(doc["elements"])


def test_the_strong_worked_transcript_outscores_the_weak_one(capsys, home):
    docs = {}
    for name in ("strong", "weak"):
        code, out, _ = run(capsys, "debrief", "hudson", "--transcript", str(_worked(name)),
                           "--format", "json", "--replications", R, "--home", str(home))
        assert code == 0
        docs[name] = json.loads(out)
        jsonschema.Draft202012Validator(schema()).validate(docs[name])
    assert _mean_level(docs["strong"]) > _mean_level(docs["weak"])
    strong = {e["id"]: e["level"] for e in docs["strong"]["elements"]}
    weak = {e["id"]: e["level"] for e in docs["weak"]["elements"]}
    levels = docs["strong"]["levels"]
    assert all(levels.index(strong[i]) >= levels.index(weak[i]) for i in strong)
