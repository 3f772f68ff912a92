"""Replaying a plan: a session's simulation rebuilt from its decisions alone.

``Simulation(scenario, seed)`` runs to the first meeting; then, for each closed
meeting in order, its recorded decisions are applied and the quarters up to the
next meeting simulated (:func:`replay`, the one loop that does this for the TUI,
scoring, outcomes and ``pmsim run``). Same scenario, seed and decisions: the same
numbers, in the TUI, in a report or in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from simulator.engine.simulation import (
    Action,
    Decision,
    QuarterResult,
    Simulation,
    SimulationError,
)
from simulator.formats.scenario import Meeting, Quarter, Scenario

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
        # An unknown action is check_decision's to report, like an unknown strategy.
        sim.check_decision(Decision(strategy, cast("Action", action)))
    except SimulationError as err:
        return str(err)
    return None


def replay(
    sim: Simulation,
    plan: Plan,
    *,
    through: int | None = None,
    on_quarter: Callable[[Quarter], None] | None = None,
    on_result: Callable[[QuarterResult], None] | None = None,
    at_meeting: Callable[[Meeting], None] | None = None,
) -> tuple[str, ...]:
    """Carry ``sim`` through ``plan``: the one loop that rebuilds a year from decisions.

    A fresh simulation first runs to the first meeting; one already standing at a
    meeting (a fork, or a session's simulation that has applied a prefix of its
    plan) carries on from there, ``plan`` being the meetings still to apply. At
    each meeting the plan's decisions that can be carried out (:func:`feasible`)
    are applied and the quarters up to the next meeting simulated. Without
    ``through`` it stops at the meeting after the plan's last; with it, it carries
    on with whatever is running through quarter index ``through``, and no further.

    Hooks: ``on_quarter`` is told of each quarter before it is simulated
    (progress), ``on_result`` of each quarter's result (data collection), and
    ``at_meeting`` of each meeting this replay reaches, before its decisions.
    ``sim`` itself is advanced (fork it first to keep it); returns the meetings of
    ``plan`` whose decisions it applied (all of them unless the year ended first).
    """
    last = len(sim.quarters) - 1 if through is None else through

    def run(to_meeting: bool) -> None:
        while not sim.finished and sim.quarters_done <= last:
            if on_quarter is not None:
                on_quarter(sim.quarters[sim.quarters_done])
            result = sim.advance()
            if on_result is not None:
                on_result(result)
            meeting = sim.meeting_due()
            if meeting is not None:
                if at_meeting is not None:
                    at_meeting(meeting)
                if to_meeting:
                    return

    if sim.quarters_done == 0:
        run(to_meeting=True)
    applied: list[str] = []
    for meeting_id, decisions in plan:
        if sim.finished or sim.quarters_done > last:
            break
        sim.decide(feasible(sim, decisions))
        applied.append(meeting_id)
        run(to_meeting=True)
    if through is not None:
        run(to_meeting=False)
    return tuple(applied)


def first_meeting_plan(scenario: Scenario, strategies: Sequence[str]) -> Plan:
    """Adopt ``strategies`` at the first meeting as the scenario defines them; decide
    nothing after."""
    first = scenario.calendar.meetings[0].id
    return [(first, [{"strategy": s, "action": "adopt", "options": {}} for s in strategies])]


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
    applied = replay(sim, plan[len(done):], on_quarter=on_quarter)
    return sim, (*done, *applied)
