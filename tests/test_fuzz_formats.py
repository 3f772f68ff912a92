"""The mutation fuzzer over the shipped scenarios, transcripts, look-fors and the guide's
worked examples: no mutated file makes a command blow up (see tests/fuzzlib.py for the
edits and the rule). Hypothesis chooses every edit, with a fixed derandomised sequence, so
the suite is deterministic and a failure shrinks to its fewest edits; the message names
the mutation. More examples: PMSIM_FUZZ_EXAMPLES=2000, or benchmarks/bench_faults.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzzlib import (
    LOOKFORS,
    SCENARIOS,
    TRANSCRIPTS,
    Mutation,
    Pick,
    guide_examples,
    lookfors_problems,
    mutate,
    run_cli,
    run_process,
    scenario_problems,
    transcript_problems,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("PMSIM_FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def guide(work: Path) -> tuple[Path, Path]:
    return guide_examples(work / "guide")


def _pick(data: st.DataObject) -> Pick:
    return lambda n: data.draw(st.integers(0, n - 1)) if n > 1 else 0


def _written(work: Path, mutation: Mutation, name: str) -> Path:
    path = work / name
    path.write_bytes(mutation.data)
    return path


def _check(mutation: Mutation, problems: list[str]) -> None:
    assert not problems, f"{mutation.describe()}:\n{problems[0]}"


def test_the_sources_are_valid_as_they_stand(work: Path, guide: tuple[Path, Path]) -> None:
    """A mutation is only news against files that validate before it."""
    for path in (*SCENARIOS, *TRANSCRIPTS, *guide):
        assert run_cli(["scenario", "validate", str(path)]).code == 0, path
    assert lookfors_problems(LOOKFORS) == []


@settings(FUZZ, max_examples=max(10, EXAMPLES * 3 // 5))  # each runs a year: the dearest
@given(data=st.data())
def test_mutated_scenarios_validate_show_and_run_without_a_traceback(
        work: Path, data: st.DataObject) -> None:
    mutation = mutate(SCENARIOS[0], _pick(data))
    _check(mutation, scenario_problems(_written(work, mutation, "scenario.yaml")))


@FUZZ
@given(data=st.data())
def test_mutated_transcripts_validate_and_score_without_a_traceback(
        work: Path, guide: tuple[Path, Path], data: st.DataObject) -> None:
    pick = _pick(data)
    sources = (*TRANSCRIPTS, guide[0])
    mutation = mutate(sources[pick(len(sources))], pick)
    path = _written(work, mutation, "played-transcript.yaml")
    fmt = ("json", "md", "html")[pick(3)]
    _check(mutation, transcript_problems(path, work / "home", fmt))


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=st.data())
def test_mutated_look_fors_are_refused_with_a_message(
        work: Path, guide: tuple[Path, Path], data: st.DataObject) -> None:
    """The built-in look-fors file, and a scenario's own look-fors (the guide's example)
    scored against the strong transcript."""
    pick = _pick(data)
    if pick(2):
        mutation = mutate(LOOKFORS, pick)
        _check(mutation, lookfors_problems(_written(work, mutation, "lookfors.yaml")))
    else:
        mutation = mutate(guide[1], pick)
        path = _written(work, mutation, "with-lookfors.yaml")
        _check(mutation, scenario_problems(path, run=False, home=work / "home"))


@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_files_in_a_process_of_their_own(work: Path, seed: int) -> None:
    """The same rule where nothing catches for us: exit 0 or 1 and no traceback."""
    import random

    rng = random.Random(seed)
    scenario = mutate(SCENARIOS[0], rng.randrange)
    transcript = mutate(TRANSCRIPTS[seed % 2], rng.randrange)
    s = _written(work, scenario, f"process-{seed}.yaml")
    t = _written(work, transcript, f"process-{seed}-transcript.yaml")
    for mutation, argv in ((scenario, ["scenario", "validate", str(s)]),
                           (scenario, ["scenario", "show", str(s), "--format", "json"]),
                           (transcript, ["scenario", "validate", str(t)]),
                           (transcript, ["debrief", "hudson", "--transcript", str(t),
                                         "--format", "json", "--replications", "2",
                                         "--home", str(work / "home")])):
        done = run_process(argv)
        assert done.crash is None and done.code in (0, 1), f"{mutation.describe()}:\n{done}"


def test_an_event_kind_that_is_not_text_is_a_positioned_problem(work: Path) -> None:
    """Found by the fuzzer: a list or mapping as an event's kind was a TypeError."""
    path = work / "kinds-transcript.yaml"
    path.write_text("transcript_version: 1\nscenario: hudson\nseed: 1\nevents:\n"
                    "  - {event: [view.opened], by: state}\n"
                    "  - event: {kind: note.added}\n    by: state\n", encoding="utf-8")
    done = run_cli(["scenario", "validate", str(path)])
    assert done.code == 1 and done.crash is None
    lines = done.err.splitlines()
    assert lines[0].startswith(f"{path}:5:13: events.0: `event` names the kind of event as "
                               "text (one of view.opened, ")
    assert lines[0].endswith("), not a list")
    assert lines[1].startswith(f"{path}:6:12: events.1: ") and lines[1].endswith("not a mapping")
