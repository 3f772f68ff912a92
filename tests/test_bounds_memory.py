"""Memory is estimated before it is allocated, and a scenario too big to simulate is refused
where its file says so. No test here allocates more than a few tens of megabytes."""

from __future__ import annotations

import copy
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pmsim.cli import main
from simulator.engine import headless, memory
from simulator.engine.headless import run
from simulator.engine.simulation import Simulation, SimulationError
from simulator.formats.loading import ScenarioError, builtin_paths, parse_scenario
from simulator.formats.scenario import MAX_STUDENTS, Scenario, cross_check
from simulator.formats.yamlsafe import load_text

GIB = 1024**3


def hudson_data() -> dict[str, Any]:
    return yaml.safe_load(builtin_paths()[0].read_text(encoding="utf-8"))


def grown(subjects: int = 0, strands: int = 0, needs: int = 0) -> Scenario:
    """Hudson with more subjects (copies of math), reading strands or hidden needs."""
    data = hudson_data()
    for i in range(subjects):
        extra = copy.deepcopy(data["subjects"][1])
        extra.update(id=f"extra-{i}", name=f"Extra {i}")
        data["subjects"].append(extra)
    for i in range(strands):
        data["subjects"][0]["strands"].append({"id": f"strand-{i}", "name": f"Strand {i}"})
    for i in range(needs):
        extra = copy.deepcopy(data["needs"][0])
        extra.update(id=f"need-{i}", name=f"Need {i}")
        data["needs"].append(extra)
    return parse_scenario(yaml.safe_dump(data, allow_unicode=True).encode())


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with 23 GiB available, whatever this one has, and no simulation that
    could allocate: a refusal must come before any array."""
    monkeypatch.setattr(memory, "available_bytes", lambda: 23 * GIB)

    def no_simulation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulation was started")

    monkeypatch.setattr(headless, "Simulation", no_simulation)


@pytest.mark.parametrize(
    ("shape", "strategies"),
    [({}, 0), ({"subjects": 3}, 0), ({"strands": 6}, 0), ({"needs": 3}, 0), ({}, 10)],
    ids=["hudson", "subjects", "strands", "needs", "strategies"],
)
def test_the_estimate_is_above_the_measured_peak_and_near_it(shape, strategies) -> None:
    scenario = grown(**shape)
    adopted = [s.id for s in scenario.strategies][:strategies]
    replications = 200
    tracemalloc.start()
    try:
        run(scenario, 1, adopted, replications)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = memory.bytes_needed(scenario, replications, len(adopted)) - memory.OVERHEAD
    assert peak <= estimate <= 1.6 * peak, (peak, estimate)


def test_more_replications_than_memory_holds_are_refused_with_the_figures(
    hudson: Scenario, machine: None
) -> None:
    with pytest.raises(SimulationError) as raised:
        run(hudson, 1, [], 1_000_000)
    assert str(raised.value) == (
        "1,000,000 replications of hudson (1,550 students) need about 147 GiB; this machine "
        "has 23 GiB available (at most 110,000 replications fit in 75% of it)")


def test_pmsim_run_refuses_them_with_exit_1_and_no_traceback(
    capsys, hudson: Scenario, machine: None
) -> None:
    every = ",".join(s.id for s in hudson.strategies)
    assert main(["run", "hudson", "--replications", "100000", "--strategies", every,
                 "--format", "json"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("pmsim: 100,000 replications of hudson (1,550 students) need "
                              "about 23 GiB; this machine has 23 GiB available")


def test_adopted_strategies_count_toward_the_estimate(hudson: Scenario, machine: None) -> None:
    ids = [s.id for s in hudson.strategies]
    base = memory.bytes_needed(hudson, 1000)
    assert memory.bytes_needed(hudson, 1000, len(ids)) > base
    with pytest.raises(SimulationError, match=r"^100,000 replications"):
        run(hudson, 1, ids, 100_000)  # fits with nothing adopted, not with all ten


def test_the_engine_checks_before_allocating(hudson: Scenario, monkeypatch) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 * GIB)
    with pytest.raises(SimulationError, match=r"^10,000 replications of hudson"):
        Simulation(hudson, replications=10_000)


def test_unknown_memory_does_not_refuse(hudson: Scenario, monkeypatch) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda: None)
    assert memory.memory_problem(hudson, 10**9) is None


def test_this_machine_reports_some_memory() -> None:
    available = memory.available_bytes()
    assert available is None or available > 0


# --------------------------------------------------------------------------- scenario size


def test_a_ten_million_student_scenario_is_refused_at_validation(tmp_path: Path, capsys) -> None:
    data = hudson_data()
    for school in data["schools"]:
        school["enrollment"] = {6: 200_000, 7: 200_000, 8: 200_000}
    for i in range(14):
        school = copy.deepcopy(data["schools"][1])
        school.update(id=f"school-{i}", name=f"School {i}", short_name=f"S{i}")
        data["schools"].append(school)
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if "id: school-0" in text)
    assert main(["scenario", "validate", str(path)]) == 1
    [problem] = capsys.readouterr().err.splitlines()
    assert problem.startswith(f"{path}:")
    assert problem.split(":", 3)[3] == (
        " 10,200,000 students in all, more than the 50,000 a scenario may have: every student "
        "is simulated in every replication (a debrief replays the year 200 times)")
    assert int(problem.split(":")[1]) < line  # at the school that crosses the bound


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 200_000), min_size=1, max_size=6))
def test_students_are_refused_exactly_beyond_the_bound(hudson: Scenario,
                                                       sizes: list[int]) -> None:
    school = hudson.schools[0]
    schools = [school.model_copy(update={"id": f"s{i}", "enrollment": {6: n}})
               for i, n in enumerate(sizes)]
    scenario = hudson.model_copy(update={"schools": schools})
    refused = [loc for loc, message in cross_check(scenario) if "students in all" in message]
    if sum(sizes) > MAX_STUDENTS:
        crossing = next(i for i in range(len(sizes)) if sum(sizes[: i + 1]) > MAX_STUDENTS)
        assert refused == [("schools", crossing, "enrollment")]
    else:
        assert refused == []


@pytest.mark.parametrize(
    ("grow", "where", "message"),
    [
        (lambda d: d["strategies"].extend(
            {**d["strategies"][0], "id": f"copy-{i}", "name": f"Copy {i}"} for i in range(491)),
         ("strategies", 500), "501 strategies: a scenario may have at most 500"),
        (lambda d: d["subjects"][0]["strands"].extend(
            {"id": f"strand-{i}", "name": f"Strand {i}"} for i in range(10)),
         ("subjects", 0, "strands", 12), "13 strands in reading: a subject may have at most 12"),
        (lambda d: d["subgroups"].extend(
            {**d["subgroups"][0], "id": f"group-{i}", "name": f"Group {i}",
             "short_name": f"G{i}"} for i in range(21)),
         ("schools",), "each quarter's results would break down into"),
    ],
    ids=["strategies", "strands", "tables"],
)
def test_knobs_that_multiply_work_are_bounded_where_they_are_written(grow, where, message):
    data = hudson_data()
    grow(data)
    if where == ("schools",):
        for i in range(40):
            extra = copy.deepcopy(data["schools"][1])
            extra.update(id=f"school-{i}", name=f"School {i}", short_name=f"S{i}",
                         enrollment={6: 10})
            data["schools"].append(extra)
    text = yaml.dump(data, Dumper=_Plain, allow_unicode=True)
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text.encode(), "big.yaml")
    [problem] = raised.value.problems
    assert problem.message.startswith(message)
    assert (problem.line, problem.col) == load_text(text).locate(where)


class _Plain(yaml.SafeDumper):
    """Writes repeated values out in full: scenario files may hold only 100 aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def test_no_numpy_warning_in_a_bounded_run(hudson: Scenario) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(hudson, 1, ["tutoring-math"], 3)
        memory.memory_problem(hudson, 3)


def test_pmsim_debrief_refuses_replications_beyond_memory_with_exit_1(capsys, monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 * GIB)
    transcript = builtin_paths()[0].parent / "hudson-strong-transcript.yaml"
    assert main(["debrief", "hudson", "--transcript", str(transcript), "--replications",
                 "10000", "--format", "json"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("pmsim: 10,000 replications of hudson (1,550 students) need about")
