"""Validation speaks plainly: a YAML mistake is named with what to do about it, at the
place to fix, never in the parser's own words; a value YAML silently cut at ``' #'`` is
warned about; a quarter (school, subject, …) written by its label gets a "did you mean"
with its id.

Each case writes a small file, runs ``pmsim scenario validate`` on it and checks the
exact ``FILE:LINE:COL: message`` lines and the exit status.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmsim.cli import main
from simulator.formats import yamlsafe
from simulator.formats.loading import builtin_dir, builtin_paths
from simulator.formats.yamlsafe import YamlError, load_text

HUDSON = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")

JARGON = (
    "mapping values are not allowed",
    "could not find expected",
    "found character '\\t'",
    "found character '\t'",
    "did not find expected key",
    "expected <block end>",
    "while scanning",
    "while parsing",
)


def validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
             name: str = "broken.yaml") -> tuple[int, str, list[str]]:
    """Exit status, stdout and stderr lines of ``pmsim scenario validate`` on ``text``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    status = main(["scenario", "validate", str(path)])
    out, err = capsys.readouterr()
    return status, out, [line.removeprefix(f"{path}:") for line in err.splitlines()]


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def hudson_with(old: str, new: str) -> str:
    assert HUDSON.count(old) >= 1, old
    return HUDSON.replace(old, new, 1)


# --------------------------------------------------------------------------- syntax


SYNTAX_CASES = [
    pytest.param(
        "id: x\nmeta:\n\tkey: 1\n", "3:1: a tab cannot indent YAML: use spaces", id="tab-indent"),
    pytest.param(
        "id: x\nlist:\n  -\tfoo\n", "3:4: a tab cannot indent YAML: use spaces",
        id="tab-after-dash"),
    pytest.param(
        "id: x\nmeta:\n  a: 1\n\tb: 2\n", "4:1: a tab cannot indent YAML: use spaces",
        id="tab-in-block"),
    pytest.param(
        "id: x\ntitle: Meeting: end\n",
        "2:15: a colon inside a value needs quotes: write the value in double quotes",
        id="colon-in-value"),
    pytest.param(
        'id: x\ntitle: "Meeting\nnext: 2\n',
        '2:8: this quoted value is never closed: end it with a matching " on the line where '
        "the value ends", id="unclosed-double-quote"),
    pytest.param(
        "id: x\ntitle: 'Meeting\n",
        "2:8: this quoted value is never closed: end it with a matching ' on the line where "
        "the value ends", id="unclosed-single-quote"),
    pytest.param(
        "id: x\ngrades: [6, 7\nnext: 2\n",
        "2:9: this '[' list is not closed where YAML expects: end it with ']' and separate its "
        "items with commas (YAML gave up at line 3, column 5)", id="unclosed-bracket"),
    pytest.param(
        "id: x\nmap: {a: 1\nnext: 2\n",
        "2:6: this '{' mapping is not closed where YAML expects: end it with '}' and separate "
        "its items with commas (YAML gave up at line 3, column 5)", id="unclosed-brace"),
    pytest.param(
        "id: x\nmeta:\n    a: 1\n  b: 2\n",
        "4:3: this line's indentation does not line up with the lines around it: keys of one "
        "mapping, and items of one list, start at the same column", id="indent-less"),
    pytest.param(
        "calendar:\n  quarters:\n    - id: q1\n     label: Q1\n",
        "4:6: this line's indentation does not line up with the lines around it: keys of one "
        "mapping, and items of one list, start at the same column", id="indent-list-item"),
    pytest.param(
        "meta:\n  a: 1\n   b: 2\n",
        "3:4: this line is indented further than the key above it, so YAML reads it as more of "
        "that key's value: line it up with the keys around it", id="indent-more"),
    pytest.param(
        "id: x\njust words\nb: 1\n",
        "2:1: this line is not 'key: value' or a list item '- value': add the missing ':' or "
        "join the line to the value above it", id="no-colon"),
    pytest.param(
        'id: x\ntitle: "Meeting" one\n',
        "2:18: text after a quoted value: put the whole value inside the quotes",
        id="text-after-quote"),
    pytest.param(
        "id: x\n]\n", "2:1: a stray ']' with no '[' open before it: remove it", id="stray-bracket"),
    pytest.param(
        "id: x\ntitle: @home\n", "2:8: a value cannot start with '@': put the value in quotes",
        id="reserved-start"),
    pytest.param(
        "id: x\ntitle: a\nid: y\n", "3:1: duplicate key 'id' (first at line 1): keep one of them",
        id="duplicate-key"),
]


@pytest.mark.parametrize(("text", "expected"), SYNTAX_CASES)
def test_a_yaml_mistake_is_named_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    status, out, err = validate(tmp_path, capsys, text)
    assert status == 1
    assert out == ""
    assert err == [expected]


@pytest.mark.parametrize("loader", [yaml.SafeLoader, yamlsafe._LOADER])
@pytest.mark.parametrize(("text", "expected"), SYNTAX_CASES)
def test_both_parsers_get_the_same_plain_message(
    monkeypatch: pytest.MonkeyPatch, loader: type, text: str, expected: str
) -> None:
    """libyaml and pure-Python PyYAML word their errors differently; the plain message is
    the same whichever is installed."""
    monkeypatch.setattr(yamlsafe, "_LOADER", loader)
    with pytest.raises(YamlError) as err:
        load_text(text)
    assert [f"{p.line}:{p.col}: {p.message}" for p in err.value.problems] == [expected]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("- a\n- b\n", "this file is a list ('- ' items)", id="list"),
        pytest.param("just a sentence\n", "this file is a single value", id="scalar"),
        pytest.param("", "this file is empty", id="empty"),
        pytest.param("# only a comment\n", "this file is empty", id="comment-only"),
    ],
)
def test_a_file_that_is_not_a_mapping_says_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, found: str
) -> None:
    status, _, err = validate(tmp_path, capsys, text)
    assert status == 1
    assert err == [
        "1:1: a scenario file must be a mapping of keys (id, title, schools, …), each line "
        f"'key: value' at the left margin; {found}"
    ]


LINES = st.lists(
    st.sampled_from([
        "a: 1", "  b: 2", "   c: 3", "- x", "  - y", "\tz: 1", "t: Meeting: end", "k: 'open",
        'q: "open', "l: [1, 2", "m: {a: 1", "]", "}", "words only", "n: &", "o: @x", "p: `x",
        "r: \"x\" y", "s: |", "    text", "? key", ": value", "u: *nope", "v: !tag x", "---",
        "w: a #1", "%YAML 1.1", "x: [a: b: c]", "y:\t1", "  -\tz", "",
    ]),
    min_size=1, max_size=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES, pure_python=st.booleans())
def test_no_message_repeats_the_parsers_jargon(lines: list[str], pure_python: bool) -> None:
    text = "\n".join(lines) + "\n"
    original = yamlsafe._LOADER
    yamlsafe._LOADER = yaml.SafeLoader if pure_python else original
    try:
        load_text(text)
    except YamlError as err:
        for problem in err.problems:
            assert not any(phrase in problem.message for phrase in JARGON), problem
            assert problem.line >= 1 and problem.col >= 1
    finally:
        yamlsafe._LOADER = original


# --------------------------------------------------------------------------- cut at ' #'


def test_a_value_cut_at_space_hash_is_a_warning_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    title = 'title: "Meeting #1 — end of the second quarter"'
    text = hudson_with(title, "title: Meeting #1 — end of Q2")
    line, col = position(text, "title: Meeting #1")
    status, out, err = validate(tmp_path, capsys, text)
    assert status == 0
    assert out.endswith(": ok\n")
    assert err == [f"{line}:{col + len('title: Meeting ')}: warning: the value was cut at "
                   "' #': YAML reads 'Meeting'; put the whole value in quotes"]


def test_a_cut_value_is_warned_about_beside_the_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = validate(tmp_path, capsys, "- Step #2 first\n- two\n")
    assert status == 1
    assert err == [
        "1:1: a scenario file must be a mapping of keys (id, title, schools, …), each line "
        "'key: value' at the left margin; this file is a list ('- ' items)",
        "1:8: warning: the value was cut at ' #': YAML reads 'Step'; put the whole value in "
        "quotes",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a: Meeting # the first one\n",  # a comment written the usual way
        "a: 3  ## rule\n",
        'a: "Meeting #1"\n',  # quoted: the '#' is in the value
        "a: Meeting#1\n",  # no space before '#': YAML keeps it in the value
        "a: |\n  Meeting #1\n",  # a block scalar keeps every character
        "# Meeting #1\na: 1\n",
    ],
)
def test_ordinary_comments_and_quoted_values_are_not_warned_about(text: str) -> None:
    assert load_text(text).warnings == ()


def test_the_shipped_files_have_no_cut_values() -> None:
    paths = [*builtin_paths(), *sorted(builtin_dir().glob("*-transcript.yaml"))]
    assert len(paths) >= 2
    for path in paths:
        assert load_text(path.read_text(encoding="utf-8")).warnings == (), path


# --------------------------------------------------------------------------- labels for ids


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        pytest.param(
            "after_quarter: q2", "after_quarter: Q2", "quarter: Q2",
            "unknown quarter 'Q2' (did you mean 'q2'? quarters are named by id, not by label)",
            id="meeting-after-quarter"),
        pytest.param(
            "    quarter: q3\n", "    quarter: Q3\n", "quarter: Q3",
            "unknown quarter 'Q3' (did you mean 'q3'? quarters are named by id, not by label)",
            id="event-quarter"),
        pytest.param(
            "        quarter: q1\n", "        quarter: Q1\n", "quarter: Q1",
            "unknown quarter 'Q1' (did you mean 'q1'? quarters are named by id, not by label)",
            id="evidence-quarter"),
        pytest.param(
            "schools: [hudson-ms]", "schools: [Hudson Middle School]", "Hudson Middle School]",
            "unknown school 'Hudson Middle School' (did you mean 'hudson-ms'? schools are "
            "named by id, not by name)", id="school-by-name"),
    ],
)
def test_a_label_written_for_an_id_gets_a_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, needle: str,
    message: str,
) -> None:
    text = hudson_with(old, new)
    line, col = position(text, needle)
    if needle.startswith("quarter: "):
        col += len("quarter: ")
    status, out, err = validate(tmp_path, capsys, text)
    assert (status, out) == (1, "")
    assert err == [f"{line}:{col}: {message}"]


def test_a_label_that_is_also_a_valid_id_shape_is_caught_by_the_cross_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Labels that happen to look like ids (lower-case) pass the shape check; the
    cross-check's "unknown quarter" then gets the same hint."""
    text = HUDSON
    for n in range(1, 5):
        text = text.replace(f"label: Q{n}", f"label: term-{n}", 1)
    assert text.count("label: term-") == 4
    text = text.replace("after_quarter: q2", "after_quarter: term-2", 1)
    line, col = position(text, "term-2", 2)
    status, _, err = validate(tmp_path, capsys, text)
    assert status == 1
    assert err == [f"{line}:{col}: unknown quarter 'term-2' (did you mean 'q2'? quarters are "
                   "named by id, not by label)"]


def test_an_unknown_quarter_that_is_no_label_keeps_the_plain_unknown_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = hudson_with("after_quarter: q2", "after_quarter: q9")
    line, col = position(text, "q9")
    status, _, err = validate(tmp_path, capsys, text)
    assert status == 1
    assert len(err) == 1
    assert re.fullmatch(rf"{line}:{col}: unknown quarter 'q9'; .*", err[0]), err


def test_a_label_hint_and_other_shape_problems_are_all_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hint replaces only the label's message; an unknown key elsewhere still gets its
    own "did you mean"."""
    text = hudson_with("after_quarter: q2", "after_quarter: Q2")
    text = text.replace("    enrollment: {6: 142", "    enrolment: {6: 142", 1)
    status, _, err = validate(tmp_path, capsys, text)
    assert status == 1
    line, col = position(text, "quarter: Q2")
    assert f"{line}:{col + len('quarter: ')}: unknown quarter 'Q2' (did you mean 'q2'? " \
           "quarters are named by id, not by label)" in err
    assert any("unknown key 'enrolment' in schools.0; did you mean 'enrollment'?" in e
               for e in err), err
