"""Scenario files a facilitator breaks get one line per problem, at the right place.

Every broken file is a one-edit copy of the built-in Hudson scenario, and every
expected position is computed from the edited text, so the tests keep working
when Hudson's content changes. Tests named ``bugN`` pin defects found and fixed
in the loader, so they stay fixed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pmsim.cli import main
from simulator.formats.loading import ScenarioError, builtin_dir, builtin_paths, parse_scenario
from simulator.formats.scenario import Scenario
from simulator.formats.strict import annotation_at
from simulator.formats.yamlsafe import MAX_BYTES, load_text

HUDSON_PATH = builtin_dir() / "hudson.yaml"
HUDSON = HUDSON_PATH.read_text(encoding="utf-8")
SCHEMA_PATH = builtin_dir() / "scenario.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema="
REGENERATE_SCHEMA = "pmsim scenario schema > scenarios/scenario.schema.json"
TITLE_LINE = re.search(r"(?m)^title: .*\n", HUDSON)[0]
PYTHON_TAG = "title: !!python/object/apply:os.system ['touch pmsim-was-here']\n"

# Where YAML breaks lines (so where the parser's line numbers change).
YAML_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
PMSIM = [sys.executable, "-m", "pmsim.cli"]  # the `pmsim` command, in this interpreter
PROBLEM = re.compile(r"(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>\S.*)")

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays deterministic
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- helpers


def edit(old: str, new: str, text: str = HUDSON) -> str:
    """Hudson with one exact, unique passage replaced (fails loudly if Hudson changed)."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in hudson.yaml"
    return text.replace(old, new)


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def problems(raw: bytes, name: str = "broken.yaml") -> list[tuple[int, int, str]]:
    """Parse, expecting failure; every problem as (line, col, message)."""
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(raw, name)
    out = []
    for text in raised.value.lines():
        match = PROBLEM.fullmatch(text)
        assert match, f"not PATH:LINE:COL: message: {text!r}"
        assert match["path"] == name
        out.append((int(match["line"]), int(match["col"]), match["message"]))
    return out


def yaml_lines(text: str) -> int:
    return len(YAML_LINE_BREAK.split(text))


# --------------------------------------------------------------------------- broken files


@dataclass(frozen=True)
class Broken:
    """A broken scenario file and the problems it must report."""

    name: str
    raw: bytes
    expected: tuple[tuple[int, int, str], ...]
    """(line, col, a fragment of the message): the problems, and the only ones."""


def _text_case(name: str, text: str, *where: tuple[str, int, str]) -> Broken:
    """``where``: (needle in the edited text, its occurrence, message fragment)."""
    expected = tuple((*position(text, needle, n), fragment) for needle, n, fragment in where)
    return Broken(name, text.encode("utf-8"), expected)


def _without_top_level(key: str) -> str:
    """Hudson without one top-level block (key line to the next top-level key)."""
    return re.sub(rf"(?ms)^{key}:\n.*?(?=^\S)", "", HUDSON, count=1)


def broken_files() -> list[Broken]:
    enrolment = edit("    enrollment: {6: 142", "    enrolment: {6: 142")
    top_level = edit("grades: [6, 7, 8]\n", "grades: [6, 7, 8]\ngrade_levels: [6, 7, 8]\n")
    wrong_type = edit("  budget: 260000", "  budget: plenty")
    no_name = edit("    name: Hudson Middle School\n", "")
    no_resources = _without_top_level("resources")
    bad_id = edit("  - id: hudson-ms", "  - id: Hudson_MS")
    subject = edit(
        "    subjects: [reading]\n    effect_sd: 0.02",
        "    subjects: [reeding]\n    effect_sd: 0.02",
    )
    meeting = edit("after_quarter: q2", "after_quarter: q7")
    duplicate_id = edit("  - id: riverside-ms", "  - id: hudson-ms")
    duplicate_key = edit("    priority: true\n", "    priority: true\n    priority: false\n")
    syntax = edit("grades: [6, 7, 8]", "grades: [6, 7, 8")
    python_tag = edit(TITLE_LINE, PYTHON_TAG)
    not_utf8 = HUDSON.encode().replace(b"Hudson Middle School\n", b"Hudson Middle \xff School\n", 1)
    bad_byte_line = not_utf8[: not_utf8.index(b"\xff")].count(b"\n") + 1
    return [
        _text_case(
            "unknown-key-did-you-mean",
            enrolment,
            ("enrolment:", 1, "unknown key 'enrolment' in schools.0; did you mean 'enrollment'?"),
            ("id: hudson-ms", 1, "missing required key 'enrollment'"),
        ),
        _text_case(
            "unknown-top-level-key",
            top_level,
            ("grade_levels:", 1, "unknown key 'grade_levels' in the top level"),
        ),
        _text_case(
            "wrong-type",
            wrong_type,
            ("plenty", 1, "resources.budget: input should be a valid number"),
        ),
        _text_case(
            "missing-required-key",
            no_name,
            ("id: hudson-ms", 1, "missing required key 'name' in schools.0"),
        ),
        _text_case(
            "missing-top-level-key",
            no_resources,
            ("schema_version:", 1, "missing required key 'resources' in the top level"),
        ),
        _text_case("bad-id", bad_id, ("Hudson_MS", 1, "'Hudson_MS' is not a valid identifier")),
        _text_case(
            "strategy-unknown-subject",
            subject,
            ("reeding", 1, "unknown subject 'reeding'; did you mean 'reading'?"),
        ),
        _text_case(
            "meeting-after-unknown-quarter",
            meeting,
            ("q7", 1, "unknown quarter 'q7'; known: q1, q2, q3, q4"),
        ),
        _text_case(
            "duplicate-school-id", duplicate_id, ("hudson-ms", 2, "duplicate id 'hudson-ms'")
        ),
        _text_case(
            "duplicate-yaml-key",
            duplicate_key,
            (
                "priority: false",
                1,
                f"duplicate key 'priority' (first at line "
                f"{position(duplicate_key, 'priority: true')[0]}): keep one of them",
            ),
        ),
        _text_case(
            "python-tag",
            python_tag,
            ("!!python", 1, "tag '!!python/object/apply:os.system' is not allowed"),
        ),
        _text_case(
            "syntax-error", syntax, ("[6, 7, 8", 1, "this '[' list is not closed")
        ),
        _text_case(
            "not-yaml-at-all",
            "This is prose: not a scenario: at all\n",
            (": at all", 1, "a colon inside a value needs quotes"),
        ),
        _text_case("empty", "", ("", 1, "a scenario file must be a mapping")),
        Broken(
            "over-5-mb",
            b"id: x\n# " + b"x" * MAX_BYTES + b"\n",
            ((1, 1, "file is larger than 5 MB"),),
        ),
        Broken(
            "not-utf-8",
            not_utf8,
            ((1, 1, f"file is not UTF-8 text (byte 0xff on line {bad_byte_line})"),),
        ),
    ]


BROKEN = broken_files()


@pytest.mark.parametrize("case", BROKEN, ids=lambda case: case.name)
def test_a_broken_file_reports_each_problem_at_its_line_and_column(case: Broken) -> None:
    found = problems(case.raw)
    for line, col, fragment in case.expected:
        assert any((line, col) == (fl, fc) and fragment in msg for fl, fc, msg in found), (
            f"no problem at {line}:{col} containing {fragment!r}; got {found}"
        )
    assert len(found) == len(case.expected), found


def test_a_python_tag_is_reported_and_never_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    raw = edit(TITLE_LINE, PYTHON_TAG).encode()
    assert problems(raw)
    assert main(["scenario", "validate", _write(tmp_path, "tag.yaml", raw)]) == 1
    assert not (tmp_path / "pmsim-was-here").exists()


def test_several_problems_are_all_reported_at_once_sorted_by_line() -> None:
    text = edit("  budget: 260000", "  budget: plenty")
    text = edit("  - id: hudson-ms", "  - id: Hudson_MS", text)
    text = edit("grades: [6, 7, 8]\n", "grades: [6, 7, 8]\ngrade_levels: 3\n", text)
    text = edit("  sem: 3.2 ", "  sem: -3.25 ", text)
    found = problems(text.encode())
    expected = sorted(
        [
            position(text, "plenty"),
            position(text, "Hudson_MS"),
            position(text, "grade_levels"),
            position(text, "-3.25"),
        ]
    )
    assert [(line, col) for line, col, _ in found] == expected


def test_several_yaml_problems_are_all_reported_at_once_sorted_by_line() -> None:
    text = edit("    priority: true\n", "    priority: true\n    priority: false\n")
    text = edit("  short_name: LSDE", "  short_name: !secret LSDE", text)
    text = edit("schools: all\n", "schools: *everyone\n", text)
    found = problems(text.encode())
    assert [(line, col) for line, col, _ in found] == sorted(
        [
            position(text, "!secret"),
            position(text, "priority: false"),
            position(text, "*everyone"),
        ]
    )
    assert [m.split(" ")[0] for _, _, m in found] == ["tag", "duplicate", "alias"]


# --------------------------------------------------------------------------- known bugs


def test_bug1_unknown_top_level_key_named_like_a_union_tag_is_reported() -> None:
    text = edit("grades: [6, 7, 8]\n", "grades: [6, 7, 8]\nstrategy: tutoring\n")
    assert problems(text.encode()) == [
        (
            *position(text, "strategy:"),
            "unknown key 'strategy' in the top level; did you mean 'strategies'?",
        )
    ]


def test_bug1_nested_unknown_key_named_like_a_union_tag_is_reported_at_the_key() -> None:
    text = edit("    priority: true\n", "    priority: true\n    stretch_goal: 5\n")
    [(line, col, message)] = problems(text.encode())
    assert (line, col) == position(text, "stretch_goal")
    assert message.startswith("unknown key 'stretch_goal' in schools.0")


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("need_effects: {decoding: 0.0}", "need_effects: {decodng: 0.0}", "decodng"),
        ("subgroup_rates: {econ: 0.81", "subgroup_rates: {poor: 0.81", "poor"),
        ("enrollment: {6: 142", "enrollment: {5: 142", "5: 142"),
    ],
)
def test_bug3_an_unknown_mapping_key_reference_points_at_the_key(
    old: str, new: str, needle: str
) -> None:
    text = edit(old, new)
    [(line, col, _)] = problems(text.encode())
    assert (line, col) == position(text, needle)


def test_an_unknown_need_is_reported_on_its_line_with_a_suggestion() -> None:
    text = edit("need_effects: {decoding: 0.0}", "need_effects: {decodng: 0.0}")
    [(line, _, message)] = problems(text.encode())
    assert line == position(text, "decodng")[0]
    assert message == "unknown need 'decodng'; did you mean 'decoding'?"


@pytest.mark.parametrize("key", ["7", "~", "yes"])
def test_bug4_a_non_text_key_inside_a_model_is_an_unknown_key_at_its_position(key: str) -> None:
    text = edit("    priority: true\n", f"    priority: true\n    {key}: x\n")
    [(line, col, message)] = problems(text.encode())
    assert (line, col) == (position(text, f"    {key}: x")[0], 5)
    assert message.startswith("unknown key")


def test_bug5_a_problem_is_always_one_line_of_output() -> None:
    text = edit("grades: [6, 7, 8]\n", 'grades: [6, 7, 8]\n"two\\nlines": 1\n')
    [(line, col, _)] = problems(text.encode())
    assert (line, col) == position(text, '"two')


# --------------------------------------------------------------------------- the command


def _write(folder: Path, name: str, raw: bytes) -> str:
    path = folder / name
    path.write_bytes(raw)
    return str(path)


def validate(capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, str, str]:
    status = main(["scenario", "validate", *paths])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_shipped_scenarios_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(p) for p in builtin_paths()]
    assert str(HUDSON_PATH) in paths
    status, out, err = validate(capsys, *paths)
    assert (status, err) == (0, "")
    assert out.splitlines() == [f"{p}: ok" for p in paths]


@pytest.mark.parametrize("case", BROKEN, ids=lambda case: case.name)
def test_the_command_prints_each_problem_as_path_line_col_and_exits_1(
    case: Broken, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, f"{case.name}.yaml", case.raw)
    status, out, err = validate(capsys, path)
    assert (status, out) == (1, "")
    lines = err.splitlines()
    assert lines and all(
        line.startswith(f"{path}:") and PROBLEM.fullmatch(line) for line in lines
    ), err
    for line, col, fragment in case.expected:
        assert any(
            text.startswith(f"{path}:{line}:{col}: ") and fragment in text for text in lines
        ), err


def test_a_good_and_a_bad_file_report_ok_for_the_good_one_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = edit("  budget: 260000", "  budget: plenty")
    good = _write(tmp_path, "good.yaml", HUDSON.encode())
    bad = _write(tmp_path, "bad.yaml", broken.encode())
    status, out, err = validate(capsys, good, bad)
    assert status == 1
    assert out == f"{good}: ok\n"
    line, col = position(broken, "plenty")
    assert err.startswith(f"{bad}:{line}:{col}: resources.budget: ")


def test_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = validate(capsys, str(tmp_path / "nowhere.yaml"))
    assert (status, out) == (2, "")
    assert "nowhere.yaml" in err and "Traceback" not in err


def test_validate_without_a_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scenario", "validate"])
    assert exited.value.code == 2


def test_the_command_run_as_a_process_never_prints_a_traceback(tmp_path: Path) -> None:
    paths = [_write(tmp_path, f"{case.name}.yaml", case.raw) for case in BROKEN]
    missing = str(tmp_path / "nowhere.yaml")
    result = subprocess.run(
        [*PMSIM, "scenario", "validate", *paths], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for path in paths:
        assert f"{path}:" in result.stderr
    result = subprocess.run(
        [*PMSIM, "scenario", "validate", missing, str(HUDSON_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == f"{HUDSON_PATH}: ok\n"
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- properties


NUMBER = re.compile(r"(?<![\w.\-])-?\d+(?:\.\d+)?(?![\w.\-])")
NOISE = st.text(
    alphabet=st.sampled_from(list(" \t\n-:{}[],\"'&*!|>#%@`?.\\abcxyz019é\u2028\x85\x00\x7f")),
    max_size=20,
)


@st.composite
def mutated_hudson(draw: st.DrawFn) -> str:
    """Hudson after one to three edits a facilitator's slip could make."""
    text = HUDSON
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("delete", "duplicate", "replace", "number")))
        lines = text.split("\n")
        if kind == "delete":
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "\n".join(lines)
        elif kind == "duplicate":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "replace":
            start = draw(st.integers(0, len(text)))
            end = min(len(text), start + draw(st.integers(0, 40)))
            text = text[:start] + draw(NOISE) + text[end:]
        else:
            numbers = list(NUMBER.finditer(text))
            if numbers:
                m = draw(st.sampled_from(numbers))
                word = draw(st.sampled_from((f'"{m[0]}"', "many", "'ten'", "")))
                text = text[: m.start()] + word + text[m.end() :]
    return text


@FUZZ
@given(text=mutated_hudson())
def test_a_mutated_scenario_is_valid_or_every_problem_is_well_formed(text: str) -> None:
    raw = text.encode("utf-8")
    try:
        parse_scenario(raw, "mutated.yaml")
    except ScenarioError as exc:
        assert exc.problems
        last = yaml_lines(text) + 1
        for line, col, message in problems(raw, "mutated.yaml"):
            assert 1 <= line <= last and col >= 1, (line, col, message)
        positions = [(p.line, p.col) for p in exc.problems]
        assert positions == sorted(positions)


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The scenario model whose mapping sits at ``path`` in the data, if any."""
    annotation: object = Scenario
    for part in path:
        annotation = annotation_at(annotation, part)
        if annotation is None:
            return None
    models = [annotation] if isinstance(annotation, type) else []
    return models[0] if models and issubclass(models[0], BaseModel) else None


def _block_keys() -> list[tuple[int, int, type[BaseModel]]]:
    """(line, col, model) of every key of a model written on its own line in Hudson."""
    lines = HUDSON.split("\n")
    found = []
    for path, (line, col) in load_text(HUDSON).marks.items():
        if path[-1:] != ("<key>",) or lines[line - 1][: col - 1].strip():
            continue
        model = _model_at(path[:-2])
        if model is not None:
            found.append((line, col, model))
    return sorted(found, key=lambda found: found[:2])


BLOCK_KEYS = _block_keys()


def _plain_text_key(key: str) -> bool:
    """True when YAML reads ``key`` as text (not true/false/null/a number)."""
    return isinstance(next(iter(yaml.safe_load(f"{key}: 1"))), str)


@FUZZ
@given(
    where=st.sampled_from(BLOCK_KEYS),
    key=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
)
def test_an_extra_key_in_a_valid_mapping_is_reported_as_unknown_at_its_line(
    where: tuple[int, int, type[BaseModel]], key: str
) -> None:
    line, col, model = where
    assume(key not in model.model_fields)
    assume(_plain_text_key(key))
    lines = HUDSON.split("\n")
    lines.insert(line - 1, " " * (col - 1) + f"{key}: 1")
    [(found_line, found_col, message)] = problems("\n".join(lines).encode())
    assert (found_line, found_col) == (line, col)
    assert message.startswith(f"unknown key '{key}' in ")


def test_the_extra_key_property_covers_every_level_of_nesting() -> None:
    models = {model.__name__ for _, _, model in BLOCK_KEYS}
    assert {"Scenario", "School", "Strategy", "Meeting", "Briefing", "Attendance"} <= models


# --------------------------------------------------------------------------- the JSON Schema


def test_the_committed_schema_is_what_the_command_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scenario", "schema"]) == 0
    printed = capsys.readouterr().out
    assert SCHEMA_PATH.is_file(), f"no {SCHEMA_PATH}: run `{REGENERATE_SCHEMA}`"
    assert printed == SCHEMA_PATH.read_text(encoding="utf-8"), (
        f"scenarios/scenario.schema.json is out of date: run `{REGENERATE_SCHEMA}` and commit it"
    )


def _json_keys(value: object) -> object:
    """YAML data as JSON sees it: mapping keys (grades) become text."""
    if isinstance(value, dict):
        return {str(k): _json_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_keys(v) for v in value]
    return value


@pytest.mark.parametrize("path", builtin_paths(), ids=lambda p: p.name)
def test_shipped_scenarios_validate_against_the_json_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = _json_keys(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]
    assert errors == []


def test_the_json_schema_rejects_what_the_loader_rejects() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = _json_keys(yaml.safe_load(edit("    enrollment: {6: 142", "    enrolment: {6: 142")))
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)


@pytest.mark.parametrize("path", builtin_paths(), ids=lambda p: p.name)
def test_shipped_scenarios_point_editors_at_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.startswith(SCHEMA_LINE), f"{path.name} must begin with {SCHEMA_LINE}…"
    target = (path.parent / first.removeprefix(SCHEMA_LINE).strip()).resolve()
    assert target == SCHEMA_PATH.resolve()


def test_an_evidence_group_must_be_a_subgroup_or_grade_of_a_strand_view() -> None:
    text = HUDSON.replace("        group: el\n", "        group: ell\n", 1)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text.encode(), "h.yaml")
    assert any("unknown group 'ell'; did you mean 'el'?" in line for line in info.value.lines())


def test_worked_transcripts_beside_a_scenario_validate_as_transcripts(capsys, tmp_path) -> None:
    # `pmsim scenario validate scenarios/*.yaml` meets the worked transcripts too.
    paths = sorted(str(p) for p in builtin_dir().glob("*.yaml"))
    assert any("transcript" in p for p in paths)
    assert main(["scenario", "validate", *paths]) == 0
    assert capsys.readouterr().out.count(": ok") == len(paths)
    strong = builtin_dir() / "hudson-strong-transcript.yaml"
    broken = tmp_path / "broken-transcript.yaml"
    broken.write_text(strong.read_text(encoding="utf-8").replace(
        "strategy: structured-literacy", "strategy: structured-literacyy", 1), encoding="utf-8")
    assert main(["scenario", "validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "unknown strategy 'structured-literacyy'; did you mean 'structured-literacy'?" in err
    assert re.match(rf"{re.escape(str(broken))}:\d+:\d+: ", err)


def test_validate_parses_each_files_yaml_once(capsys, monkeypatch, tmp_path) -> None:
    # Its warnings, whether it is a transcript, and its model (a transcript's twice: alone,
    # then against its scenario) all come from one load of the file's YAML.
    from simulator.formats import strict, yamlsafe

    loads: list[bytes] = []
    real = yamlsafe.load_bytes

    def counted(raw: bytes) -> yamlsafe.Loaded:
        loads.append(raw)
        return real(raw)

    monkeypatch.setattr(yamlsafe, "load_bytes", counted)
    monkeypatch.setattr(strict, "load_bytes", counted)
    cut = tmp_path / "cut.yaml"
    cut.write_text(HUDSON.replace("title: ", "title: Hudson #1 ", 1), encoding="utf-8")
    transcript = builtin_dir() / "hudson-strong-transcript.yaml"
    assert main(["scenario", "validate", str(cut), str(transcript)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{cut}: ok\n{transcript}: ok\n" and "cut at ' #'" in err
    assert loads.count(cut.read_bytes()) == 1
    assert loads.count(transcript.read_bytes()) == 1
