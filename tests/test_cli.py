"""The `pmsim` command: the contracts of CONTRACTS.md, determinism, import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pmsim.cli import main


def pmsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pmsim.cli", *args], capture_output=True, text=True,
        timeout=120,
    )


def test_version_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from pmsim.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = {'textual', 'numpy', 'pydantic', 'faker', 'yaml'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
    assert out.stdout.startswith("pmsim ")


def test_the_engine_never_imports_textual():
    code = (
        "import sys, pkgutil, importlib, simulator\n"
        "for m in pkgutil.iter_modules(simulator.__path__):\n"
        "    importlib.import_module('simulator.' + m.name)\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_scenario_list_puts_hudson_first(capsys):
    assert main(["scenario", "list"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split("\t") == ["hudson", "Hudson School District — Hudson Middle School"]


def test_scenario_show_json_has_strategies_with_ids(capsys):
    assert main(["scenario", "show", "hudson", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ids = [s["id"] for s in doc["strategies"]]
    assert len(ids) >= 8 and "balanced-literacy" in ids
    assert doc["schools"][0]["name"] == "Hudson Middle School"
    assert doc["population"]["attendance"]["days_per_quarter"] == 45  # defaults filled in


def run_json(capsys, *args: str) -> dict:
    assert main(["run", "hudson", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_follows_the_contract(capsys, hudson):
    doc = run_json(capsys, "--seed", "3", "--strategies", "structured-literacy,tutoring-math")
    assert doc["scenario"] == "hudson" and doc["seed"] == 3 and doc["replications"] == 1
    assert doc["strategies"] == ["structured-literacy", "tutoring-math"]
    assert [q["label"] for q in doc["quarters"]] == ["Q1", "Q2", "Q3", "Q4"]
    assert [q["quarter"] for q in doc["quarters"]] == [1, 2, 3, 4]
    groups = {"all"} | {g.id for g in hudson.subgroups}
    for q in doc["quarters"]:
        assert [s["id"] for s in q["schools"]] == [s.id for s in hudson.schools]
        for school in q["schools"]:
            seen = {(r["subject"], r["group"]) for r in school["results"]}
            assert seen == {(s.id, g) for s in hudson.subjects for g in groups}
            for r in school["results"]:
                assert isinstance(r["n"], int) and r["n"] > 0
                assert 140 <= r["mean_score"] <= 300
                assert 0 <= r["pct_proficient"] <= 100
                assert r["sd_score"] > 0
                assert r["mean_score_sd"] == 0.0 and r["pct_proficient_sd"] == 0.0
    hms = doc["quarters"][0]["schools"][0]
    assert hms["name"] == "Hudson Middle School"
    assert next(r for r in hms["results"] if r["group"] == "all")["n"] == 412
    imp = {i["strategy"]: i for i in doc["quarters"][2]["implementation"]}
    assert set(imp) == {"structured-literacy", "tutoring-math"}
    assert 0 < imp["structured-literacy"]["fidelity"] <= 1
    assert doc["quarters"][1]["implementation"] == []  # nothing runs before Meeting #1


def test_run_with_replications_reports_spread(capsys):
    doc = run_json(capsys, "--replications", "20")
    r = doc["quarters"][3]["schools"][0]["results"][0]
    assert doc["replications"] == 20
    assert r["mean_score_sd"] > 0 and r["pct_proficient_sd"] > 0


def test_run_is_deterministic_across_processes():
    args = ("run", "hudson", "--seed", "7", "--strategies", "tutoring-reading",
            "--replications", "3", "--format", "json")
    a, b = pmsim(*args), pmsim(*args)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    c = pmsim("run", "hudson", "--seed", "8", "--strategies", "tutoring-reading",
              "--replications", "3", "--format", "json")
    assert c.stdout != a.stdout


def test_business_as_usual_and_a_bundle_share_the_first_two_quarters(capsys):
    bau = run_json(capsys)
    bundle = run_json(capsys, "--strategies", "structured-literacy,attendance-outreach")
    assert bau["quarters"][:2] == bundle["quarters"][:2]
    assert bau["quarters"][3]["schools"] != bundle["quarters"][3]["schools"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "hudson", "--strategies", "tutoring-maths"], "did you mean 'tutoring-math'"),
        (["run", "hudsn"], "did you mean 'hudson'"),
        (["scenario", "show", "nowhere.yaml"], "no scenario 'nowhere.yaml'"),
    ],
)
def test_user_errors_are_one_clear_message_and_exit_1(args, message):
    out = pmsim(*args)
    assert out.returncode == 1
    assert message in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_usage_errors_exit_2():
    assert pmsim("run").returncode == 2
    assert pmsim("scenario", "validate", "/no/such/file.yaml").returncode == 2


def test_table_format_is_readable(capsys):
    assert main(["run", "hudson", "--strategies", "tutoring-math"]) == 0
    out = capsys.readouterr().out
    assert "Hudson Middle School" in out and "English learners" in out
    assert "tutoring-math: running" in out


def test_session_list_on_an_empty_home(capsys, tmp_path):
    assert main(["session", "list", "--format", "json", "--home", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == []
