"""The scenario YAML loader: positions, collected problems, limits and safety."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.formats import yamlsafe
from simulator.formats.yamlsafe import (
    MAX_BYTES,
    FileRefused,
    Loaded,
    MarkPath,
    Problem,
    YamlError,
    load_bytes,
    load_path,
    load_text,
)

LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])]

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Run with libyaml and with the pure-Python fallback, whose parsers differ in detail."""
    monkeypatch.setattr(yamlsafe, "_LOADER", request.param)
    return request.param


def problems_in(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(YamlError) as raised:
        load_text(text)
    return [(p.line, p.col, p.message) for p in raised.value.problems]


SCENARIO = """\
title: Demo
schools:
  - name: North
    size: 6
  - name: South
    grades: [3, 4]
6: six
"""


def test_marks_give_the_position_of_every_value_and_key(loader: type) -> None:
    loaded = load_text(SCENARIO)
    assert loaded.data == {
        "title": "Demo",
        "schools": [{"name": "North", "size": 6}, {"name": "South", "grades": [3, 4]}],
        6: "six",
    }
    assert loaded.marks[()] == (1, 1)
    assert loaded.marks[("title",)] == (1, 8)
    assert loaded.marks[("title", "<key>")] == (1, 1)
    assert loaded.marks[("schools",)] == (3, 3)
    assert loaded.marks[("schools", 0)] == (3, 5)
    assert loaded.marks[("schools", 0, "name", "<key>")] == (3, 5)
    assert loaded.marks[("schools", 0, "name")] == (3, 11)
    assert loaded.marks[("schools", 0, "size")] == (4, 11)
    assert loaded.marks[("schools", 1, "grades", 1)] == (6, 17)
    assert loaded.marks[(6, "<key>")] == (7, 1)
    assert loaded.marks[(6,)] == (7, 4)


def test_columns_count_characters_not_bytes(loader: type) -> None:
    loaded = load_text("café: [ü, b]\n")
    assert loaded.marks[("café", 1)] == (1, 11)


def test_locate_uses_the_longest_prefix_with_a_mark() -> None:
    loaded = load_text(SCENARIO)
    assert loaded.locate(("schools", 1, "grades", 1)) == (6, 17)
    assert loaded.locate(("schools", 1, "missing_field")) == (5, 5)
    assert loaded.locate(("schools", 9, "name")) == (3, 3)
    assert Loaded(data=None, marks={}).locate(("anything",)) == (1, 1)


def test_an_alias_is_marked_where_it_is_used_and_its_contents_where_written(
    loader: type,
) -> None:
    loaded = load_text("base: &b {size: 6}\nnorth: *b\nlist: [*b]\n")
    assert loaded.data == {"base": {"size": 6}, "north": {"size": 6}, "list": [{"size": 6}]}
    assert loaded.marks[("north",)] == (2, 8)
    assert loaded.marks[("north", "size")] == (1, 17)
    assert loaded.marks[("list", 0)] == (3, 8)
    assert loaded.marks[("list", 0, "size", "<key>")] == (1, 11)


def test_problem_formats_as_path_line_col() -> None:
    assert Problem(3, 7, "bad value").format("s.yaml") == "s.yaml:3:7: bad value"


def test_duplicate_key_is_reported_at_its_second_occurrence(loader: type) -> None:
    assert problems_in("name: a\nsize: 2\nname: b\n") == [
        (3, 1, "duplicate key 'name' (first at line 1): keep one of them")
    ]


def test_duplicate_keys_in_nested_mappings_are_all_reported(loader: type) -> None:
    text = "schools:\n  - name: a\n    name: b\nsettings: {x: 1, y: 2, x: 3}\n"
    assert problems_in(text) == [
        (3, 5, "duplicate key 'name' (first at line 2): keep one of them"),
        (4, 24, "duplicate key 'x' (first at line 4): keep one of them"),
    ]


def test_duplicate_int_keys_are_reported(loader: type) -> None:
    assert problems_in("6: a\n0x6: b\n") == [
        (2, 1, "duplicate key 6 (first at line 1): keep one of them")
    ]


def test_the_os_system_payload_never_runs(loader: type, tmp_path: Path) -> None:
    victim = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {victim}']\n"
    assert problems_in(text) == [
        (
            1,
            1,
            "tag '!!python/object/apply:os.system' is not allowed: scenario files are plain data",
        )
    ]
    assert not victim.exists()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "a: !!python/object:collections.OrderedDict {}\n",
            "!!python/object:collections.OrderedDict",
        ),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: !!python/tuple [1, 2]\n", "!!python/tuple"),
        ("a: !include other.yaml\n", "!include"),
        ("a: !Ref [x]\n", "!Ref"),
        ("a: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !!set {x: null}\n", "!!set"),
        ("a: !<tag:example.com,2026:thing> x\n", "tag:example.com,2026:thing"),
    ],
)
def test_tags_outside_the_core_schema_are_rejected(loader: type, text: str, shown: str) -> None:
    assert problems_in(text) == [
        (1, 4, f"tag {shown!r} is not allowed: scenario files are plain data")
    ]


def test_a_core_tag_on_the_wrong_kind_of_node_is_rejected(loader: type) -> None:
    assert problems_in("a: !!str [1]\nb: !!map [2]\n") == [
        (1, 4, "tag '!!str' cannot be used on a list"),
        (2, 4, "tag '!!map' cannot be used on a list"),
    ]


def test_explicit_core_tags_convert_or_report(loader: type) -> None:
    assert load_text("a: !!int '12'\nb: !!str 12\nc: !!float 1\n").data == {
        "a": 12,
        "b": "12",
        "c": 1.0,
    }
    assert problems_in("n: !!int ten\nb: !!bool maybe\n") == [
        (1, 4, "cannot read 'ten' as !!int"),
        (2, 4, "cannot read 'maybe' as !!bool"),
    ]


def test_scalars_resolve_like_pyyaml_but_dates_stay_text(loader: type) -> None:
    text = (
        "day: 2026-01-15\nstamp: 2026-01-15 09:30:00\nexplicit: !!timestamp 2026-02-01\n"
        "flag: yes\nhex: 0x10\nratio: 1.5\nnothing: ~\nquoted: '7'\n"
    )
    assert load_text(text).data == {
        "day": "2026-01-15",
        "stamp": "2026-01-15 09:30:00",
        "explicit": "2026-02-01",
        "flag": True,
        "hex": 16,
        "ratio": 1.5,
        "nothing": None,
        "quoted": "7",
    }


def test_merge_keys_are_reported_but_a_quoted_key_is_just_text(loader: type) -> None:
    assert problems_in("base: &b {x: 1}\nother:\n  <<: *b\n") == [
        (3, 3, "merge keys ('<<') are not supported: write the keys out")
    ]
    assert load_text("'<<': 1\n").data == {"<<": 1}


def test_keys_must_be_plain_scalars(loader: type) -> None:
    text = "? [a, b]\n: 1\n? {c: d}\n: 2\n1.5: x\nok: 3\n"
    assert problems_in(text) == [
        (1, 3, "a list cannot be used as a key"),
        (3, 3, "a mapping cannot be used as a key"),
        (5, 1, "key 1.5 must be text, a whole number, true/false or null"),
    ]


def test_null_and_bool_keys_are_allowed(loader: type) -> None:
    assert load_text("~: a\ntrue: b\n").data == {None: "a", True: "b"}


def test_one_hundred_aliases_are_fine_but_not_one_more(loader: type) -> None:
    assert len(load_text("a: &x 1\nb: [" + ", ".join(["*x"] * 100) + "]\n").data["b"]) == 100
    text = "a: &x 1\nb: [" + ", ".join(["*x"] * 101) + "]\n"
    assert problems_in(text) == [(2, 405, "more than 100 aliases ('*name') in the document")]


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_document_is_rejected_quickly(loader: type) -> None:
    started = time.perf_counter()
    [(line, _, message)] = problems_in(billion_laughs())
    assert time.perf_counter() - started < 2
    assert line == 7
    assert message.startswith("document expands to more than 1,000,000 values")


def test_nesting_up_to_64_levels_loads_and_65_is_reported(loader: type) -> None:
    assert load_text("[" * 64 + "]" * 64).data is not None
    assert problems_in("[" * 65 + "]" * 65) == [(1, 65, "nesting is deeper than 64 levels")]


def test_an_alias_cannot_nest_past_the_depth_limit(loader: type) -> None:
    deep = "[" * 40 + "]" * 40
    text = f"a: &deep {deep}\nb: {'[' * 30}*deep{']' * 30}\n"
    assert problems_in(text) == [(2, 34, "nesting is deeper than 64 levels")]


def test_recursive_and_unknown_aliases_are_reported(loader: type) -> None:
    assert problems_in("a: &x [1, *x]\nb: *nope\n") == [
        (1, 11, "alias '*x' is inside its own anchor (recursive data)"),
        (2, 4, "alias '*nope' has no anchor '&nope' before it"),
    ]


def test_only_one_document_per_file(loader: type) -> None:
    assert problems_in("a: 1\n---\nb: 2\n") == [(2, 1, "only one YAML document per file")]
    assert load_text("---\na: 1\n...\n").data == {"a": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: b: c\n", (1, 5, "a colon inside a value needs quotes")),
        ("key: value\nother\nz: 1\n", (2, 1, "this line is not 'key: value' or a list item")),
        ("a: 'open\n", (1, 4, "this quoted value is never closed: end it with a matching '")),
    ],
)
def test_syntax_errors_are_reported_where_the_parser_found_them(
    loader: type, text: str, expected: tuple[int, int, str]
) -> None:
    [(line, col, message)] = problems_in(text)
    assert (line, col) == expected[:2]
    assert message.startswith(expected[2])


def test_problems_before_a_syntax_error_are_kept_and_sorted(loader: type) -> None:
    found = problems_in("b: 1\nb: 2\nc: [1,\n")
    assert found[0] == (2, 1, "duplicate key 'b' (first at line 1): keep one of them")
    assert len(found) == 2
    assert found == sorted(found)


def test_control_characters_are_reported_at_their_position(loader: type) -> None:
    [(line, col, message)] = problems_in("a: ok\nb: café \x07\n")
    assert (line, col) == (2, 9)
    assert message.startswith("character U+0007 is not allowed")


def test_lone_surrogates_in_text_are_reported(loader: type) -> None:
    [(line, col, message)] = problems_in("a: ok\nb: \ud800\n")
    assert (line, col) == (2, 4)
    assert "U+D800" in message


def test_an_unexpected_parser_failure_becomes_a_problem_at_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class BrokenLoader(yaml.SafeLoader):
        def get_event(self) -> yaml.Event:
            raise RuntimeError("boom")

    monkeypatch.setattr(yamlsafe, "_LOADER", BrokenLoader)
    assert problems_in("a: 1\n") == [(1, 1, "could not read the YAML: boom")]


@pytest.mark.parametrize(
    "raw",
    [b"name: caf\xe9\n", "name: café\n".encode("utf-16")],
    ids=["latin-1", "utf-16"],
)
def test_bytes_that_are_not_utf8_are_one_problem(raw: bytes) -> None:
    with pytest.raises(YamlError) as raised:
        load_bytes(raw)
    [problem] = raised.value.problems
    assert (problem.line, problem.col) == (1, 1)
    assert "not UTF-8 text" in problem.message


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    assert load_bytes(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}


def test_files_over_5_mb_are_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(FileRefused) as raised:
        load_path(big)
    assert raised.value.strerror == (
        "file is larger than 5 MB (5,242,881 bytes), the most a scenario file may be")


def test_load_path_reads_a_file_and_leaves_os_errors_to_the_caller(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    assert load_path(scenario).marks[("schools", 0, "size")] == (4, 11)
    with pytest.raises(FileNotFoundError):
        load_path(tmp_path / "missing.yaml")


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n  # comments\n"])
def test_an_empty_file_is_no_data_not_an_error(loader: type, text: str) -> None:
    assert load_text(text).data is None
    assert load_bytes(text.encode()).data is None


def loads_or_reports(result: Loaded | None, error: YamlError | None) -> None:
    if error is None:
        assert isinstance(result, Loaded)
    else:
        assert error.problems
        assert all(p.line >= 1 and p.col >= 1 for p in error.problems)


YAMLISH = st.text(alphabet="ab01 :-?,[]{}&*!#'\"|>\n\t~.<%@\\", max_size=80)


@FUZZ
@given(text=st.text() | YAMLISH)
def test_any_text_loads_or_raises_yaml_error(loader: type, text: str) -> None:
    try:
        loads_or_reports(load_text(text), None)
    except YamlError as error:
        loads_or_reports(None, error)


@FUZZ
@given(raw=st.binary() | YAMLISH.map(str.encode))
def test_any_bytes_load_or_raise_yaml_error(loader: type, raw: bytes) -> None:
    try:
        loads_or_reports(load_bytes(raw), None)
    except YamlError as error:
        loads_or_reports(None, error)


SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
KEYS = st.text(max_size=10) | st.integers() | st.booleans() | st.none()
PLAIN_DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def paths_of(data: object, prefix: MarkPath = ()) -> Iterator[MarkPath]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key, "<key>")
            yield from paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from paths_of(item, (*prefix, index))


@FUZZ
@given(data=PLAIN_DATA)
def test_dumped_plain_data_round_trips_with_a_mark_for_every_path(
    loader: type, data: object
) -> None:
    # Default escaping on purpose: with allow_unicode=True PyYAML's emitter writes
    # U+0085 unescaped, and any YAML reader then takes it for a line break.
    loaded = load_text(yaml.safe_dump(data, sort_keys=False))
    assert loaded.data == data
    missing = [path for path in paths_of(data) if path not in loaded.marks]
    assert missing == []
