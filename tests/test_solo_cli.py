"""`pmsim persona …` and `pmsim solo` as CONTRACTS.md has them: the listing, the shown
persona, validation's exit codes, and a headless conversation that is the same bytes for
the same seed — strong and weak Hudson conversations whose outcomes differ."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from personas import EXAMPLES
from pmsim.cli import main
from simulator.engine.playthrough import to_decision
from simulator.engine.simulation import Simulation
from simulator.formats.persona import builtin_dir, builtin_paths
from simulator.formats.scenario import Scenario
from simulator.session.state import validate_payload

PROBLEM = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): \S")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage error
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def solo(capsys: pytest.CaptureFixture[str], say: str, *extra: str) -> dict:
    code, out, err = run(capsys, "solo", "hudson", "--as", "state", "--say", say,
                         "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------- persona commands


def test_persona_list_prints_id_role_title(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "persona", "list")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == [p.stem for p in builtin_paths()]
    assert all(len(r) == 3 and r[1] in ("state", "district") and r[2] for r in rows)


def test_persona_show_prints_the_validated_persona_with_defaults(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "persona", "show", "state-lead", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["id"], doc["role"], doc["persona_version"]) == ("state-lead", "state", 1)
    assert all("max_step" in d for d in doc["dials"])  # defaults filled in
    assert doc["commits"][0]["once"] is True


def test_persona_show_of_an_unknown_id_is_exit_1_with_a_suggestion(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "persona", "show", "state-led", "--format", "json")
    assert code == 1
    assert "no persona 'state-led' (did you mean 'state-lead'?)" in err


def test_persona_validate_exit_codes_are_those_of_scenario_validate(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = builtin_dir() / "eager-newcomer.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("    lines: data\n",
                                                            "    lines: dta\n"),
                   encoding="utf-8")
    code, out, err = run(capsys, "persona", "validate", str(good))
    assert (code, out, err) == (0, f"{good}: ok\n", "")
    code, out, err = run(capsys, "persona", "validate", str(good), str(bad))
    assert code == 1 and out == f"{good}: ok\n"
    lines = err.splitlines()
    assert lines and all(PROBLEM.match(line) for line in lines)
    assert f"{bad}:" in lines[0] and "no line group 'dta'; did you mean 'data'?" in err
    code, _, err = run(capsys, "persona", "validate", str(good), str(tmp_path / "none.yaml"))
    assert code == 2 and "no such file" in err
    code, out, _ = run(capsys, "persona", "validate", "literacy-veteran")
    assert (code, out) == (0, "literacy-veteran: ok\n")


def test_persona_validate_checks_strategies_against_a_given_scenario(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text((builtin_dir() / "state-lead.yaml").read_text(encoding="utf-8").replace(
        "strategy: tag:favoured-by-district", "strategy: id:balanced-literacy"),
        encoding="utf-8")
    assert run(capsys, "persona", "validate", str(path), "--scenario", "hudson")[0] == 0
    path.write_text(path.read_text(encoding="utf-8").replace(
        "id:balanced-literacy", "id:phonics-kits"), encoding="utf-8")
    code, _, err = run(capsys, "persona", "validate", str(path), "--scenario", "hudson")
    assert code == 1 and "no strategy 'phonics-kits' in hudson" in err


def test_persona_validate_walk_notes_lines_no_conversation_reached(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    text = (builtin_dir() / "literacy-veteran.yaml").read_text(encoding="utf-8")
    text = text.replace("      - when: {at_least: {trust: 60}}\n        text: We could bring",
                        "      - when: {at_least: {trust: 99}}\n        text: We could bring")
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "persona", "validate", str(path), "--scenario", "hudson",
                         "--walk", "100")
    assert code == 0 and out == f"{path}: ok\n"
    line = text[:text.index("text: We could bring")].count("\n") + 1
    assert f"{path}:{line}:15: note: line 2 of 'stakeholders' was never said in 100 random " \
           "conversations on hudson" in err


# --------------------------------------------------------------------------- pmsim solo


def test_solo_prints_the_contracts_json(capsys: pytest.CaptureFixture[str]) -> None:
    doc = solo(capsys, "hudson-strong")
    assert doc["persona"] == "literacy-veteran"
    said = yaml.safe_load((EXAMPLES / "hudson-strong.yaml").read_text(encoding="utf-8"))
    assert [t["said"] for t in doc["turns"]] == said
    for t in doc["turns"]:
        assert {"said", "move", "reply", "revealed"} <= set(t)
        assert t["reply"] and isinstance(t["revealed"], list)
    assert isinstance(doc["decisions"], list)


def test_solo_is_the_same_bytes_for_the_same_seed_in_any_process(
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["solo", "hudson", "--as", "state", "--say", "hudson-strong", "--seed", "5",
            "--format", "json"]
    first = run(capsys, *argv)[1]
    assert run(capsys, *argv)[1] == first
    other = subprocess.run([sys.executable, "-c", "import sys; from pmsim.cli import main; "
                            "sys.exit(main(sys.argv[1:]))", *argv],
                           capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[1])
    assert other.stdout == first


def test_strong_and_weak_hudson_conversations_end_differently(
        capsys: pytest.CaptureFixture[str], hudson: Scenario) -> None:
    strong = solo(capsys, "hudson-strong")
    weak = solo(capsys, "hudson-weak")
    truths = {f"truth:{t.id}" for t in hudson.hidden_truths}
    assert {"truth:decoding-need", "truth:grade8-absence"} <= set(strong["revealed"])
    assert not truths & set(weak["revealed"])
    assert len(strong["revealed"]) >= len(weak["revealed"]) + 5
    needs = {n.id for n in hudson.needs}

    def fits(decision: dict) -> bool:
        effects = hudson.strategy(decision["strategy"]).need_effects
        return any(n in needs and e > 0 for n, e in effects.items())

    assert [d["strategy"] for d in strong["decisions"]] == ["structured-literacy"]
    assert all(fits(d) for d in strong["decisions"])
    assert [d["strategy"] for d in weak["decisions"]] == ["balanced-literacy"]
    assert not any(fits(d) for d in weak["decisions"])
    assert {r["kind"] for r in strong["records"]} == {"action", "stakeholder"}
    assert weak["records"] == []
    assert strong["dials"]["trust"] > 60 > weak["dials"]["trust"]


def test_solo_decisions_and_events_are_ones_a_session_and_the_engine_accept(
        capsys: pytest.CaptureFixture[str], hudson: Scenario) -> None:
    doc = solo(capsys, "hudson-strong")
    sim = Simulation(hudson, seed=1)
    while sim.meeting_due() is None:
        sim.advance()
    for d in doc["decisions"]:
        assert validate_payload("decision.made", d) == d
        sim.check_decision(to_decision(d))
    for t in doc["turns"]:
        for e in t["events"]:
            assert validate_payload(e["kind"], e["payload"]) == e["payload"]


def test_solo_as_district_talks_to_the_state_lead(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "solo", "hudson", "--as", "district", "--say",
                         "hudson-strong", "--format", "json", "--hints")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["persona"] == "state-lead"
    assert doc["turns"][0]["hint"]["lookfor"] == "c1-subgroup-breakdown"


def test_solo_text_shows_the_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "solo", "hudson", "--as", "state", "--say", "hudson-weak")
    assert code == 0
    assert out.startswith("Meeting #1 — you are the state lead; Ruth Calloway")
    assert "(understood as: blame)" in out
    assert "Decisions: adopt balanced-literacy" in out
    assert "A better question would have brought out:" in out


def test_solo_refuses_a_persona_of_the_players_own_role(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "solo", "hudson", "--as", "state", "--persona", "state-lead",
                       "--say", "hudson-weak")
    assert code == 1
    assert "persona 'state-lead' plays the state role" in err


@pytest.mark.parametrize(("text", "line", "col", "message"), [
    ("just one string\n", 1, 1, "a conversation file is a list of what you say"),
    ("- fine\n- [not, text]\n", 2, 3, "item 2 is not text"),
    ("- fine\n-\n", 2, 2, "item 2 is not text"),
    ("- 'unclosed\n", None, None, ""),
])
def test_a_bad_conversation_file_is_exit_1_at_its_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, line: int | None,
        col: int | None, message: str) -> None:
    path = tmp_path / "say.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "solo", "hudson", "--as", "state", "--say", str(path))
    assert code == 1
    match = re.search(rf"{re.escape(str(path))}:(\d+):(\d+): (.*)", err)
    assert match is not None, err
    if line is not None:
        assert (int(match[1]), int(match[2])) == (line, col)
    assert message in match[3]


def test_a_missing_conversation_file_is_exit_1(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    code, _, err = run(capsys, "solo", "hudson", "--as", "state", "--say",
                       str(tmp_path / "none.yaml"))
    assert code == 1 and "no such file" in err
    code, _, err = run(capsys, "solo", "hudson", "--as", "state", "--say", "hudson-strnog")
    assert code == 1 and "no built-in example of that name (hudson-strong, hudson-weak)" in err


LEVELS = ("Inadequate", "Emerging", "Strong", "Exemplary")


def test_a_solo_transcript_is_scored_like_a_pairs_and_strong_beats_weak(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    levels = {}
    for name in ("hudson-strong", "hudson-weak"):
        out = tmp_path / f"{name}-transcript.yaml"
        code, text, err = run(capsys, "solo", "hudson", "--as", "state", "--say", name,
                              "--format", "transcript")
        assert code == 0, err
        out.write_text(text, encoding="utf-8")
        code, report, err = run(capsys, "debrief", "hudson", "--transcript", str(out),
                                "--format", "json", "--replications", "5", "--not-final")
        assert code == 0, err
        levels[name] = {e["id"]: LEVELS.index(e["level"]) for e in json.loads(report)["elements"]}
    strong, weak = levels["hudson-strong"], levels["hudson-weak"]
    assert all(strong[e] >= weak[e] for e in strong)
    better = [e for e in strong if strong[e] > weak[e]]
    assert len(better) >= 5, (strong, weak)
    assert strong["C1"] == LEVELS.index("Exemplary") and weak["C1"] == 0
    assert strong["B1"] - weak["B1"] >= 1  # the fitting strategy, not the favourite


def test_a_solo_transcript_imports_as_a_session(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    code, text, _ = run(capsys, "solo", "hudson", "--as", "state", "--say", "hudson-strong",
                        "--format", "transcript")
    assert code == 0
    out.write_text(text, encoding="utf-8")
    code, session_id, err = run(capsys, "session", "import", str(out), "--home",
                                str(tmp_path / "home"))
    assert code == 0, err
    code, exported, _ = run(capsys, "session", "export", session_id.strip(), "--home",
                            str(tmp_path / "home"))
    assert code == 0
    events = yaml.safe_load(exported)["events"]
    assert [e["strategy"] for e in events if e["event"] == "decision.made"] == [
        "structured-literacy"]
    assert events[-1] == {"event": "meeting.closed", "by": "state", "meeting": "meeting-1"}
