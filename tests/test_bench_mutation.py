"""The mutation-testing benchmark's own machinery, so that it cannot rot unnoticed: its
operators make valid, different code; it finds the golden-file tests it must leave out;
and a known mutant of a tiny module is killed by that module's test."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_mutation",
                                               ROOT / "benchmarks" / "bench_mutation.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_mutation"] = bench
_spec.loader.exec_module(bench)

SOURCE = '''"""A module with one of each construct the operators change."""
import math


def figures(xs, cuts, n):
    """Docstrings and f-strings are left alone."""
    total = sum(xs) * 2
    if n <= 0 and total > 1:
        return None
    doc = {"mean": total / n, "se": math.sqrt(n), "label": f"{n} students"}
    while n > 3:
        n -= 1
    return spread(cuts, xs, low=total, high=n) or doc
'''


def _kinds(source: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in bench.mutants_of("m.py", source):
        out.setdefault(m.operator, []).append(m.apply(source))
    return out


def test_every_operator_makes_valid_code_that_differs_from_the_original() -> None:
    kinds = _kinds(SOURCE)
    assert set(kinds) == {"arithmetic", "drop-factor", "boundary", "bool-op", "constant",
                          "delete-entry", "swap-entries", "return-empty", "negate", "sqrt"}
    original = ast.dump(ast.parse(SOURCE))
    for mutated in (m for ms in kinds.values() for m in ms):
        assert ast.dump(ast.parse(mutated)) != original
        assert '"""Docstrings and f-strings are left alone."""' in mutated
    assert not [m for m in bench.mutants_of("m.py", SOURCE) if "students" in m.description
                and m.operator != "delete-entry"]


def test_operators_change_exactly_what_they_say() -> None:
    kinds = _kinds(SOURCE)
    assert any("total = sum(xs)\n" in m.replace("(sum(xs))", "sum(xs)")
               for m in kinds["drop-factor"])
    assert any("(n < 0)" in m for m in kinds["boundary"])
    assert any("'se': (n)" in m or '"se": (n)' in m for m in kinds["sqrt"])
    assert any("if (not (n <= 0 and total > 1)):" in m for m in kinds["negate"])
    assert any("spread(xs, cuts, low=total, high=n)" in m for m in kinds["swap-entries"])
    assert any('"label"' not in m and "'se'" in m for m in kinds["delete-entry"])
    assert any("n += 1" in m for m in kinds["arithmetic"])


def test_the_sample_is_deterministic_and_only_of_the_targets() -> None:
    generated = bench.all_mutants(ROOT)
    one, two = (bench.sample(ROOT, generated, 20, 3) for _ in range(2))
    assert one == two and len(one) == 20
    assert bench.sample(ROOT, generated, 20, 4) != one
    paths = {m.path for m in generated}
    assert "tui/widgets/forms.py" in paths and "tui/screens/meeting.py" in paths
    assert all(p.startswith("simulator/") or p.startswith("tui/") for p in paths)


def test_snapshot_and_golden_file_tests_are_left_out() -> None:
    files = {t.path: t for t in bench.suite_files(ROOT)}
    assert "tests/test_tui_snapshots.py" not in files
    assert "test_markdown_snapshot_final" in files["tests/test_report.py"].snapshots
    assert "test_reports_match_the_schema" not in files["tests/test_report.py"].snapshots
    assert files["tests/test_tui_progress.py"].snapshots == ("test_snapshot",)


def test_a_known_mutant_is_killed_and_the_file_put_back(tmp_path: Path) -> None:
    source = "def mean(xs):\n    return sum(xs) / len(xs)\n"
    (tmp_path / "calc.py").write_text(source, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(
        "from calc import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n",
        encoding="utf-8")
    tests = [bench.SuiteFile("tests/test_calc.py", frozenset(), frozenset(), (), False)]
    [mutant] = [m for m in bench.mutants_of("calc.py", source) if m.operator == "arithmetic"]
    outcome = bench.run_mutant(tmp_path, mutant, tests, 60)
    assert outcome.status == "killed" and "1 failed" in outcome.detail, outcome.detail
    assert (tmp_path / "calc.py").read_text(encoding="utf-8") == source


@pytest.mark.parametrize("line", ["x = 1  # a comment after", "y = 'é' + str(2)"])
def test_a_splice_keeps_the_rest_of_the_line(line: str) -> None:
    source = f"def f():\n    {line}\n"
    for m in bench.mutants_of("m.py", source):
        mutated = m.apply(source)
        compile(mutated, "m.py", "exec")
        assert mutated.startswith("def f():\n    ")
