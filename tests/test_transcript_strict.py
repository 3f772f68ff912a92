"""Transcripts are checked as strictly as scenarios: a decision's options, and long files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.formats.scenario import Scenario
from simulator.session.state import validate_payload
from simulator.session.transcript import TranscriptError, parse_transcript

POSITIONED = re.compile(r"^t\.json:\d+:\d+: \S")
DECISION = {"event": "decision.made", "by": "district", "meeting": "meeting-1",
            "strategy": "structured-literacy", "action": "adopt"}


def transcript(*events: dict[str, Any]) -> bytes:
    """A Hudson transcript of ``events``, as JSON (one key a line, so positions differ)."""
    data = {"transcript_version": 1, "scenario": "hudson", "seed": 1, "events": list(events)}
    return json.dumps(data, indent=1).encode()


def at(raw: bytes, line_text: str) -> str:
    """``t.json:LINE:COL`` of the line of ``raw`` that holds only ``line_text``."""
    for n, line in enumerate(raw.decode().splitlines(), 1):
        if line.strip() == line_text:
            return f"t.json:{n}:{len(line) - len(line.lstrip()) + 1}"
    raise AssertionError(f"no line {line_text!r}")


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def valid_options(options: object, sc: Scenario) -> bool:
    """What the options model and the scenario check should accept, said independently."""
    if not isinstance(options, dict) or set(options) - {"grades", "subgroups", "capacity"}:
        return False
    subgroups = {g.id for g in sc.subgroups}

    def fine(key: str, item_ok: Callable[[object], bool]) -> bool:
        value = options.get(key)
        return value is None or (isinstance(value, list) and all(map(item_ok, value)))

    capacity = options.get("capacity")
    return (fine("grades", lambda g: is_int(g) and g in sc.grades)
            and fine("subgroups", lambda g: isinstance(g, str) and g in subgroups)
            and (capacity is None or (is_int(capacity) and capacity >= 1)))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 20) | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "6", "el", "swd", "ell", "grade-7", "40"]) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["grades", "x", "0"]), inner, max_size=2),
    max_leaves=6,
)
OPTIONS = st.one_of(
    st.fixed_dictionaries({}, optional={"grades": JSONISH, "subgroups": JSONISH,
                                        "capacity": JSONISH}),
    st.fixed_dictionaries({}, optional={
        "grades": st.lists(st.sampled_from([5, 6, 7, 8, 9, True]), max_size=3),
        "subgroups": st.lists(st.sampled_from(["el", "swd", "frl", "ell", ""]), max_size=3),
        "capacity": st.sampled_from([-1, 0, 1, 40, "40", 40.0, False]),
    }),
    st.dictionaries(st.sampled_from(["grade", "capacty", "serves", "grades"]), JSONISH,
                    min_size=1, max_size=2),
    JSONISH,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=OPTIONS)
def test_any_options_value_is_accepted_or_refused_with_positioned_problems(
    options: object, hudson: Scenario
) -> None:
    raw = transcript({**DECISION, "options": options})
    try:
        loaded = parse_transcript(raw, "t.json", hudson)
    except TranscriptError as err:
        lines = err.lines()
        assert lines and all(POSITIONED.match(line) for line in lines), lines
        assert not valid_options(options, hudson), lines
        return
    assert valid_options(options, hudson)
    # What was written is what a session stores: no key added, none dropped.
    [entry] = loaded.events_for_replay()[1:]
    assert entry.payload["options"] == options


def test_unknown_grades_and_subgroups_are_placed_and_named_with_a_suggestion(
    hudson: Scenario,
) -> None:
    raw = transcript({**DECISION, "options": {"grades": [6, 9], "subgroups": ["el", "ell"]}})
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(raw, "t.json", hudson)
    quoted_ell = '"ell"'
    assert caught.value.lines() == [
        f"{at(raw, '9')}: unknown grade '9'; known: 6, 7, 8",
        f"{at(raw, quoted_ell)}: unknown subgroup 'ell'; did you mean 'el'?",
    ]


def test_the_stored_form_of_options_keeps_exactly_the_keys_written() -> None:
    base = {k: v for k, v in DECISION.items() if k not in ("event", "by")}
    assert validate_payload("decision.made", base)["options"] == {}
    for options in ({}, {"capacity": 40}, {"subgroups": ["el"], "grades": [6, 7]},
                    {"grades": [], "subgroups": []}):
        stored = validate_payload("decision.made", {**base, "options": options})
        assert stored["options"] == options
        assert validate_payload("decision.made", stored) == stored


BAD_OPTIONS = [{"capacity": "40"}, {"capacity": True}, {"grades": [[6]]}, {"grades": 7},
               {"subgroups": [1]}, {"capacity": 0}, {"grade": [6]}, [6, 7]]


def run_debrief(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmsim.cli", "debrief", "hudson", "--transcript", str(path),
         "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_the_debrief_command_reports_bad_options_at_their_place(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(transcript(*({**DECISION, "options": o} for o in BAD_OPTIONS)))
    done = run_debrief(path)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert [int(re.sub(r"^.*?: events\.(\d+):.*$", r"\1", line)) for line in lines] == [
        *range(len(BAD_OPTIONS))], lines
    assert all(line.startswith(f"{path}:") and re.match(rf"{re.escape(str(path))}:\d+:\d+: ",
                                                         line) for line in lines)


def test_the_debrief_command_reports_grades_the_scenario_lacks(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(transcript({**DECISION, "options": {"grades": [5], "subgroups": ["ell"]}}))
    done = run_debrief(path)
    assert (done.returncode, "Traceback" in done.stderr) == (1, False)
    assert re.search(r":\d+:\d+: unknown grade '5'", done.stderr)
    assert re.search(r":\d+:\d+: unknown subgroup 'ell'; did you mean 'el'\?", done.stderr)


def test_eight_thousand_views_parse_in_linear_time(hudson: Scenario) -> None:
    """8x the events take about 8x the time (a quadratic read took 64x: 175 s for 8,000);
    the ratio holds on a loaded machine where a fixed limit would not."""
    view = "  - {event: view.opened, by: state, view: reading/hudson-ms/all, quarter: Q2}\n"

    def parse(n: int) -> float:
        raw = ("transcript_version: 1\nscenario: hudson\nseed: 1\nevents:\n" + view * n
               ).encode()
        start = time.perf_counter()
        loaded = parse_transcript(raw, "t.yaml", hudson)
        assert len(loaded.events) == n
        return time.perf_counter() - start

    small = min(parse(1000) for _ in range(2))
    large = parse(8000)
    assert large < 10.0, f"8,000 views took {large:.2f} s to parse"
    assert large < 24 * small, f"8x the events took {large / small:.0f}x the time"
