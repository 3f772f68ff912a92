"""What a strategy costs as decided: the one estimate the meeting room, scoring and
outcomes all use, so a budget warning, a B1 rating and the "best affordable
bundle" never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.engine.simulation import Decision, Simulation


@dataclass(frozen=True)
class Price:
    """Cost for the rest of the year, staff, and students the strategy would reach."""

    cost: float
    staff_fte: float
    students: int = 0


def price(sim: Simulation, decision: Decision) -> Price:
    """Fixed cost plus per-student cost × the students the decision would serve now
    (``Simulation.reach``: targeting, data and capacity as the engine applies them)."""
    strategy = sim.scenario.strategy(decision.strategy)
    reached = sim.reach(decision)
    return Price(strategy.cost.fixed + strategy.cost.per_student * reached,
                 strategy.staff_fte, reached)
