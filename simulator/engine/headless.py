"""Headless playthroughs: ``pmsim run`` and calibration use this, the TUI does not."""

from __future__ import annotations

from simulator.engine.memory import memory_problem
from simulator.engine.metrics import quarter_json
from simulator.engine.playthrough import first_meeting_plan, replay
from simulator.engine.pricing import short_of
from simulator.engine.simulation import Decision, QuarterResult, Simulation, SimulationError
from simulator.formats.scenario import Scenario


def run(
    scenario: Scenario,
    seed: int = 1,
    strategies: list[str] | None = None,
    replications: int = 1,
) -> dict:
    """Play the whole calendar, adopting ``strategies`` at the first meeting.

    Returns the ``pmsim run --format json`` document (CONTRACTS.md). Unknown
    strategy ids raise :class:`~simulator.engine.simulation.SimulationError` before any
    quarter is simulated, and so do more replications than this machine's memory holds
    (:func:`~simulator.engine.memory.memory_problem`), before any array is allocated.
    """
    strategies = list(dict.fromkeys(strategies or []))
    if (problem := memory_problem(scenario, replications, active=len(strategies))) is not None:
        raise SimulationError(problem)
    sim = Simulation(scenario, seed=seed, replications=replications, keep_history=False)
    for s in strategies:
        sim.check_decision(Decision(s))
    quarters: list[dict] = []

    def collect(result: QuarterResult) -> None:
        quarters.append(quarter_json(sim, result))
        # Only its figures are kept: the next quarter may write over its arrays.
        sim.release(result)

    replay(sim, first_meeting_plan(scenario, strategies), through=len(sim.quarters) - 1,
           on_result=collect)
    return {
        "scenario": scenario.id,
        "seed": seed,
        "replications": replications,
        "strategies": strategies,
        "quarters": quarters,
        "resources": resources_json(scenario, strategies, quarters),
    }


def resources_json(scenario: Scenario, strategies: list[str], quarters: list[dict]) -> dict:
    """Budget and staff used by the adopted strategies against what is available."""
    by_id = {s.id: s for s in scenario.strategies}
    last_costs = {}
    for q in quarters:
        for imp in q["implementation"]:
            last_costs[imp["strategy"]] = imp["cost"]
    cost = sum(last_costs.get(s, by_id[s].cost.fixed) for s in strategies)
    staff = sum(by_id[s].staff_fte for s in strategies)
    return {
        "budget": scenario.resources.budget,
        "cost": round(cost, 0),
        "over_budget": short_of(scenario.resources.budget, cost),
        "staff_fte": scenario.resources.staff_fte,
        "staff_needed": round(staff, 2),
        "over_staffed": short_of(scenario.resources.staff_fte, staff),
    }
