"""``pmsim run``: ``--strategies`` with targeting, and the table's grades, strands and
attendance."""

from __future__ import annotations

import json

import pytest

from pmsim.cli import main
from simulator.engine.dashboard import Targeting
from simulator.engine.headless import run
from simulator.engine.targeting import (
    Adoption,
    TargetingNameError,
    TargetingSyntaxError,
    parse_strategies,
    run_targeted,
)
from simulator.formats.loading import load_scenario


@pytest.fixture(scope="module")
def hudson():
    return load_scenario("hudson").scenario


def run_json(capsys, *args: str) -> dict:
    assert main(["run", "hudson", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_parse_targeting(hudson):
    got = parse_strategies(
        "structured-literacy[grades=6,7;subgroups=el,swd;capacity=40], tutoring-math,"
        "tutoring-math", hudson)
    assert got == [Adoption("structured-literacy", Targeting((6, 7), ("el", "swd"), 40)),
                   Adoption("tutoring-math")]
    assert got[0].targeting.options() == {"grades": [6, 7], "subgroups": ["el", "swd"],
                                          "capacity": 40}
    assert parse_strategies("  ", hudson) == []
    assert parse_strategies("tutoring-math[ capacity = 5 ]", hudson) == [
        Adoption("tutoring-math", Targeting(capacity=5))]


@pytest.mark.parametrize(("text", "error", "words"), [
    ("tutoring-math[grade=6]", TargetingSyntaxError, "did you mean 'grades'"),
    ("tutoring-math[grades=6,,7]", TargetingSyntaxError, "no empty entry"),
    ("tutoring-math[grades=six]", TargetingSyntaxError, "grade numbers"),
    ("tutoring-math[capacity=0]", TargetingSyntaxError, "from 1 to"),
    ("tutoring-math[capacity=40;capacity=4]", TargetingSyntaxError, "given twice"),
    ("tutoring-math[capacity=40", TargetingSyntaxError, "not closed"),
    ("tutoring-math]", TargetingSyntaxError, "without its '['"),
    ("tutoring-math[]", TargetingSyntaxError, "empty brackets"),
    ("tutoring-math[capacity]", TargetingSyntaxError, "not key=value"),
    ("[capacity=4]", TargetingSyntaxError, "strategy id before"),
    ("tutoring-math[capacity=4],tutoring-math", TargetingSyntaxError, "different targeting"),
    ("tutoring-maths[capacity=4]", TargetingNameError, "did you mean 'tutoring-math'"),
    ("tutoring-math[grades=9]", TargetingNameError, "no grade 9"),
    ("tutoring-math[subgroups=ell]", TargetingNameError, "did you mean 'el'"),
])
def test_bad_targeting_is_refused_with_what_is_wrong(hudson, text, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("(", r"\(")):
        parse_strategies(text, hudson)


def test_cli_exit_codes_for_bad_targeting(capsys):
    assert main(["run", "hudson", "--strategies", "tutoring-math[grade=6]"]) == 2
    assert "did you mean 'grades'" in capsys.readouterr().err
    assert main(["run", "hudson", "--strategies", "tutoring-math[subgroups=ell]"]) == 1
    assert "did you mean 'el'" in capsys.readouterr().err


def test_untargeted_run_is_the_same_document(hudson):
    ids = ["structured-literacy", "tutoring-math"]
    assert run_targeted(hudson, 3, [Adoption(s) for s in ids], 2) == run(hudson, 3, ids, 2)


def test_targeted_capacity_and_grades_change_who_is_served(capsys, hudson):
    plain = run_json(capsys, "--strategies", "structured-literacy")
    small = run_json(capsys, "--strategies", "structured-literacy[capacity=40]")
    narrow = run_json(capsys, "--strategies", "structured-literacy[grades=6;subgroups=el]")

    def served(doc: dict) -> float:
        (imp,) = [i for i in doc["quarters"][-1]["implementation"]
                  if i["strategy"] == "structured-literacy"]
        return imp["students_served"]

    assert small["targeting"] == {"structured-literacy": {"capacity": 40}}
    assert "targeting" not in plain
    assert served(small) == 40 < served(plain)
    el_in_6 = next(r["n"] for r in narrow["quarters"][0]["schools"][0]["grades"]
                   if r["grade"] == 6)  # an upper bound: all of grade 6
    assert 0 < served(narrow) < min(served(plain), el_in_6)
    assert small["quarters"][-1] != plain["quarters"][-1]
    assert small["quarters"][0] == plain["quarters"][0]  # before the first meeting: the same


def test_table_shows_grades_strands_attendance_and_targeting(capsys, hudson):
    doc = run_json(capsys, "--seed", "2", "--strategies", "tutoring-math[capacity=30]")
    assert main(["run", "hudson", "--seed", "2", "--strategies", "tutoring-math[capacity=30]"]) == 0
    table = capsys.readouterr().out
    assert "tutoring-math [up to 30]" in table
    q = doc["quarters"][-1]
    school = q["schools"][0]
    assert f"{q['label']} by grade" in table
    g = school["grades"][0]
    assert any(line.startswith(school["name"]) and f"Grade {g['grade']}" in line
               and f"{g['n']:>5}{g['mean_score']:>8.1f}{g['pct_proficient']:>9.1f}" in line
               for line in table.splitlines())
    assert f"{q['label']} by strand" in table
    s = next(r for r in school["strands"] if r["group"] == "all")
    name = hudson.subject(s["subject"]).strands[0].name
    assert any(name in line and f"{s['mean_score']:.1f} ±{s['se']:.1f}" in line
               for line in table.splitlines())
    assert f"{q['label']} attendance" in table
    a = next(r for r in school["attendance"] if r["group"] == "grade-8")
    assert any("Grade 8" in line and f"{a['mean_days_absent']:>8.1f}{a['pct_chronic']:>9.1f}"
               in line for line in table.splitlines())
