"""Numbers that make nonsense are refused where they are written, and ``pmsim run``
prints only numbers JSON has.

Every broken file is a one-edit copy of the built-in Hudson scenario; positions
are computed from the edited text (see tests/test_scenario_validation.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.engine.streams import SEED_MAX, parse_seed
from simulator.formats.loading import ScenarioError, builtin_dir, parse_scenario
from simulator.formats.yamlsafe import load_text

HUDSON = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")
PMSIM = [sys.executable, "-m", "pmsim.cli"]
PROBLEM = re.compile(r"(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>\S.*)")
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def edit(old: str, new: str, text: str = HUDSON) -> str:
    """Hudson with one exact, unique passage replaced."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in hudson.yaml"
    return text.replace(old, new)


def position(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text`` from ``start`` on."""
    index = text.index(needle, start)
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def problems(text: str, name: str = "broken.yaml") -> list[tuple[int, int, str]]:
    """Parse, expecting failure; every problem as (line, col, message)."""
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text.encode("utf-8"), name)
    out = []
    for line in raised.value.lines():
        match = PROBLEM.fullmatch(line)
        assert match and match["path"] == name, line
        out.append((int(match["line"]), int(match["col"]), match["message"]))
    return out


def refused_at(text: str, needle: str, fragment: str, within: str = "") -> None:
    """The edited file's only problem is ``fragment``, at ``needle`` (the first one in the
    passage ``within``, if given)."""
    line, col = position(text, needle, text.index(within) if within else 0)
    found = problems(text)
    assert [(ln, c) for ln, c, _ in found] == [(line, col)], found
    assert fragment in found[0][2], found


def _numeric_paths() -> list[tuple]:
    """Every number written in Hudson, as a path through its data."""
    loaded = load_text(HUDSON)
    out: list[tuple] = []

    def walk(value: object, path: tuple) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append(path)

    walk(loaded.data, ())
    return out


NUMBERS = _numeric_paths()


def test_hudson_writes_many_numbers() -> None:
    assert len(NUMBERS) > 100


@FUZZ
@given(path=st.sampled_from(NUMBERS), literal=st.sampled_from([".nan", ".NaN", ".inf", "-.inf",
                                                                "+.Inf", "1e400", "-1e999"]))
def test_a_non_finite_number_anywhere_is_refused_where_it_is_written(path: tuple,
                                                                      literal: str) -> None:
    loaded = load_text(HUDSON)
    line, col = loaded.locate(path)
    lines = HUDSON.split("\n")
    before = lines[line - 1]
    token = re.match(r"[^\s,\]}#]+", before[col - 1:])
    assert token, before
    lines[line - 1] = before[: col - 1] + literal + before[col - 1 + token.end():]
    found = problems("\n".join(lines))
    at = [msg for ln, c, msg in found if (ln, c) == (line, col)]
    assert at, found
    shown = ".".join(str(p) for p in path)
    assert any(shown in msg for msg in at), at


def test_nan_says_it_is_not_a_number() -> None:
    text = edit("  minimum: 140\n", "  minimum: .nan\n")
    refused_at(text, ".nan", "scale.minimum: nan is not a number: give a finite value")


@pytest.mark.parametrize("maximum", ["140", "120"])
def test_a_scale_must_run_upwards(maximum: str) -> None:
    text = edit("  maximum: 300\n", f"  maximum: {maximum}\n")
    refused_at(text, "140", f"the scale's minimum (140) must be below its maximum ({maximum})")


def test_cut_scores_sit_on_the_scale() -> None:
    subject = HUDSON.index("  - id: reading")
    cuts = HUDSON.index("    cuts:", subject)
    first = re.compile(r"fall: (\d+(?:\.\d+)?)").search(HUDSON, cuts)
    assert first
    text = HUDSON[: first.start(1)] + "400" + HUDSON[first.end(1):]
    line = text.count("\n", 0, first.start(1)) + 1
    col = first.start(1) - text.rfind("\n", 0, first.start(1))
    found = problems(text)
    assert [(ln, c) for ln, c, _ in found] == [(line, col)], found
    assert "reading's fall cut score for grade 6 (400) is outside the scale 140–300" in found[0][2]


def test_a_school_has_students() -> None:
    text = edit("    enrollment: {6: 142, 7: 138, 8: 132}", "    enrollment: {}")
    refused_at(text, "{}", "school 'hudson-ms' has no students")


@pytest.mark.parametrize(("old", "new", "needle", "fragment"), [
    ("  budget: 260000", "  budget: -5", "-5", "resources.budget: input should be greater"),
    ("  staff_fte: 4.0", "  staff_fte: -1.0", "-1.0", "resources.staff_fte: input should be"),
    ("    cost: {fixed: 95000}", "    cost: {fixed: -95000}", "-95000", "cost.fixed: input"),
    ("    cost: {fixed: 40000, per_student: 350}", "    cost: {per_student: 1e300}", "1e300",
     "cost.per_student: input should be less than or equal to 1000000000000"),
    ("capacity: 90", "capacity: 0", "0}", "serves.capacity: input should be greater"),
    ("    enrollment: {6: 142", "    enrollment: {6: -142", "-142", "enrollment.6: input"),
])
def test_negative_or_runaway_money_and_counts_are_refused(old: str, new: str, needle: str,
                                                          fragment: str) -> None:
    refused_at(edit(old, new), needle, fragment, within=new)


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("text", ["0", "1", " 42 ", str(SEED_MAX)])
def test_seeds_in_range_parse(text: str) -> None:
    assert parse_seed(text) == int(text)


@FUZZ
@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=SEED_MAX + 1)).map(str)
       | st.sampled_from(["", "abc", "1.5", "1e3"]))
def test_seeds_out_of_range_say_which_seeds_there_are(text: str) -> None:
    with pytest.raises(ValueError, match=f"from 0 to {SEED_MAX}"):
        parse_seed(text)


@pytest.mark.parametrize("command", [["run", "hudson", "--format", "json"], ["play", "hudson"]])
@pytest.mark.parametrize("seed", ["18446744073709551616", "-1", "seven"])
def test_the_command_refuses_a_seed_out_of_range(command: list[str], seed: str) -> None:
    done = subprocess.run([*PMSIM, *command, f"--seed={seed}"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"argument --seed: the seed must be a whole number from 0 to {SEED_MAX}" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_largest_seed_runs_and_is_stored(tmp_path: Path) -> None:
    from simulator.session.sqlite import SqliteStore

    done = subprocess.run([*PMSIM, "run", "hudson", f"--seed={SEED_MAX}", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["seed"] == SEED_MAX
    with SqliteStore.open(tmp_path / "home" / "pmsim.sqlite") as store:
        info = store.create_session("hudson", "0" * 64, SEED_MAX, "Largest seed")
        assert info.seed == SEED_MAX
        assert [s.seed for s in store.list_sessions()] == [SEED_MAX]


# --------------------------------------------------------------------------- pmsim run


def test_run_with_empty_groups_prints_null_and_nothing_on_stderr(tmp_path: Path) -> None:
    """A school with no English learners and one grade only: its EL rows and its
    grade 7 and 8 rows have no students, so their figures are null."""
    text = edit("    enrollment: {6: 176, 7: 181, 8: 170}", "    enrollment: {6: 176}")
    text = edit("{econ: 0.31, el: 0.06, swd: 0.12}", "{econ: 0.31, el: 0.0, swd: 0.12}", text)
    path = tmp_path / "empty-groups.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([*PMSIM, "run", str(path), "--format", "json", "--replications", "2",
                           "--strategies", "structured-literacy,attendance-outreach"],
                          capture_output=True, text=True, timeout=120,
                          env=_warnings_as_errors())
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert not re.search(r"NaN|Infinity", done.stdout)
    doc = json.loads(done.stdout)
    northgate = next(s for s in doc["quarters"][0]["schools"] if s["id"] == "northgate-ms")
    el = next(r for r in northgate["results"] if r["group"] == "el")
    assert el["n"] == 0 and el["mean_score"] is None and el["pct_proficient"] is None
    grade8 = next(r for r in northgate["grades"] if r["grade"] == 8)
    assert grade8["n"] == 0 and grade8["mean_score"] is None


def _warnings_as_errors() -> dict[str, str]:
    """The environment with every Python warning turned into an error."""
    import os

    return {**os.environ, "PYTHONWARNINGS": "error"}


def test_the_home_screen_refuses_a_seed_out_of_range_and_starts_nothing(tmp_path: Path) -> None:
    import asyncio

    from test_tui_meetings import until
    from textual.widgets import Input, OptionList

    from simulator.session.home import Home, open_store
    from tui.app import PmsimApp

    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            scenarios = app.screen.query_one("#scenarios", OptionList)
            await until(pilot, lambda: scenarios.highlighted is not None)
            app.screen.query_one("#seed", Input).value = str(SEED_MAX + 1)
            app.screen.action_new_session()  # type: ignore[attr-defined]
            await pilot.pause()
            shown = [n.message for n in app._notifications]
            assert any(f"The seed must be a whole number from 0 to {SEED_MAX}" in m
                       for m in shown), shown
            assert type(app.screen).__name__ == "HomeScreen"

    asyncio.run(run())
    with open_store(None, Home(tmp_path)) as store:
        assert store.list_sessions() == []
