"""A session's simulation, rebuilt from its events alone.

``Simulation(scenario, seed)`` runs to the first meeting; then, for each closed
meeting in order, its recorded decisions are applied and the quarters up to the
next meeting simulated. Same scenario, seed and decisions: the same numbers, in
the TUI, in a report or in a test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.engine.simulation import Decision, Simulation, SimulationError
from simulator.formats.scenario import Quarter, Scenario

Plan = list[tuple[str, list[dict[str, Any]]]]
"""Closed meetings in order, each with its ``decision.made`` payloads."""


def to_decision(payload: dict[str, Any]) -> Decision:
    """A ``decision.made`` payload as an engine decision."""
    opts = payload.get("options", {})
    grades = opts.get("grades")
    subgroups = opts.get("subgroups")
    return Decision(
        strategy=payload["strategy"],
        action=payload["action"],
        grades=tuple(grades) if grades else None,
        subgroups=tuple(subgroups) if subgroups else None,
        capacity=opts.get("capacity"),
    )


def feasible(sim: Simulation, payloads: list[dict[str, Any]]) -> list[Decision]:
    """The decisions the simulation can carry out; others (e.g. stop what never ran) drop."""
    out = []
    for p in payloads:
        d = to_decision(p)
        try:
            sim.check_decision(d)
        except SimulationError:
            continue
        out.append(d)
    return out


def decision_problem(sim: Simulation, strategy: str, action: str) -> str | None:
    """Why a decision can't be carried out now, or None."""
    try:
        sim.check_decision(Decision(strategy, action))  # type: ignore[arg-type]
    except SimulationError as err:
        return str(err)
    return None


def simulate(
    scenario: Scenario,
    seed: int,
    plan: Plan,
    *,
    sim: Simulation | None = None,
    done: tuple[str, ...] = (),
    on_quarter: Callable[[Quarter], None] | None = None,
    replications: int = 1,
) -> tuple[Simulation, tuple[str, ...]]:
    """Bring a simulation in line with ``plan``; returns it and the meetings it has applied.

    Continues ``sim`` when ``done`` (the meetings it has applied) is a prefix of
    the plan; otherwise starts again from the seed.
    """
    wanted = tuple(m for m, _ in plan)
    if sim is None or wanted[: len(done)] != done:
        sim = Simulation(scenario, seed=seed, replications=replications)
        done = ()
        sim.run_until_meeting(on_quarter)
    for meeting, decisions in plan[len(done):]:
        if sim.finished:
            break
        sim.decide(feasible(sim, decisions))
        sim.run_until_meeting(on_quarter)
        done = (*done, meeting)
    return sim, done
