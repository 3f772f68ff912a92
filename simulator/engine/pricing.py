"""What a strategy costs as decided, and whether a plan fits what the district has.

The one estimate and the one affordability rule the meeting room, scoring and
outcomes all use, so a budget warning, a B1 rating and the "best affordable
bundle" never disagree. A decision's price depends on the data at the moment it
is made (targeting by data reads the latest benchmark), so a played plan is
priced once, at each of its meetings (:func:`at_meetings`), and never again with
data the meeting could not have seen."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.engine.simulation import Decision, Simulation
from simulator.formats.scenario import Meeting, Scenario

TOLERANCE = 1e-6
"""Slack for float sums of dollars and FTE: a plan that exactly spends the budget fits."""


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


def total(prices: Iterable[Price]) -> Price:
    """Prices added up (students too)."""
    cost = staff = 0.0
    students = 0
    for p in prices:
        cost, staff, students = cost + p.cost, staff + p.staff_fte, students + p.students
    return Price(cost, staff, students)


def fits(price: Price, budget: float, staff_fte: float) -> bool:
    """Whether ``price`` is within ``budget`` dollars and ``staff_fte`` staff."""
    return not (short_of(budget, price.cost) or short_of(staff_fte, price.staff_fte))


def short_of(available: float, needed: float) -> bool:
    """Whether ``available`` (staff, dollars) falls short of ``needed``, beyond float noise."""
    return available + TOLERANCE < needed


def in_play(running: Mapping[str, Decision], decisions: Iterable[Decision]
            ) -> dict[str, Decision]:
    """The strategies in play after a meeting's ``decisions``, each with the decision that
    says whom it serves: ``running`` (strategy → its decision) with stops taken out,
    adoptions and adjustments put in, and a continued strategy kept as it was."""
    out = dict(running)
    for d in decisions:
        if d.action == "stop":
            out.pop(d.strategy, None)
        elif d.action != "continue" or d.strategy not in out:
            out[d.strategy] = d
    return out


def price_in_play(sim: Simulation, strategies: Mapping[str, Decision]) -> Price:
    """What the strategies in play (see :func:`in_play`) cost if decided now."""
    return total(price(sim, d) for d in strategies.values())


def price_after(sim: Simulation, decisions: Iterable[Decision]) -> Price:
    """What the strategies running in ``sim`` cost after a meeting's ``decisions``."""
    running = {sid: act.decision for sid, act in sim.active.items()}
    return price_in_play(sim, in_play(running, decisions))



@dataclass(frozen=True)
class Priced:
    """What a meeting's decisions left in play, priced once, at that meeting."""

    meeting: str
    strategies: tuple[str, ...]
    price: Price
    budget: float
    staff_fte: float

    @property
    def fits(self) -> bool:
        """Within the budget and staff the district had at that meeting."""
        return fits(self.price, self.budget, self.staff_fte)


def priced_at(sim: Simulation, meeting: Meeting, decisions: list[dict[str, Any]]) -> Priced:
    """The strategies in play after ``decisions``, priced on ``sim`` standing at ``meeting``
    (before the decisions), as the meeting room priced them."""
    from simulator.engine.playthrough import feasible

    made = feasible(sim, decisions)
    running = {sid: act.decision for sid, act in sim.active.items()}
    after = in_play(running, made)
    q = sim.scenario.quarter_index(meeting.after_quarter)
    return Priced(meeting.id, tuple(after), price_in_play(sim, after),
                  sim.budget_available(q), sim.staff_available(q))


def at_meetings(
    scenario: Scenario,
    seed: int,
    plan: list[tuple[str, list[dict[str, Any]]]],
    *,
    decided: Mapping[str, list[dict[str, Any]]] | None = None,
    at_meeting: Callable[[Meeting], None] | None = None,
    sim: Simulation | None = None,
) -> list[Priced]:
    """Each meeting of ``plan`` that decided something, priced at that meeting on the
    session's own playthrough (one replication from ``seed``): the same figure however
    much of the year has been simulated since.

    ``decided`` (meeting → decisions) is what to price, if not only the plan's: a
    session's open meeting has decisions the plan does not replay yet. ``at_meeting``
    is told of each meeting reached, before it is priced. ``sim`` is the fresh
    simulation to carry through the plan (one without history if not given); it is
    left where the plan ends."""
    from simulator.engine.playthrough import replay

    wanted = {m: d for m, d in (dict(plan) if decided is None else decided).items() if d}
    carried = Simulation(scenario, seed=seed, keep_history=False) if sim is None else sim
    out: list[Priced] = []

    def at(meeting: Meeting) -> None:
        if at_meeting is not None:
            at_meeting(meeting)
        if meeting.id in wanted:
            out.append(priced_at(carried, meeting, wanted[meeting.id]))

    replay(carried, plan, at_meeting=at)
    return out
