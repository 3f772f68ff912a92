"""What a strategy costs as decided: the one estimate the meeting room, scoring and
outcomes all use, so a budget warning, a B1 rating and the "best affordable
bundle" never disagree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .population import Population
from .scenario import Strategy


@dataclass(frozen=True)
class Price:
    """Cost for the rest of the year, staff, and students the strategy would reach."""

    cost: float
    staff_fte: float
    students: int = 0


def price(
    population: Population,
    strategy: Strategy,
    grades: Sequence[int] | None = None,
    subgroups: Sequence[str] | None = None,
    capacity: int | None = None,
) -> Price:
    """Fixed cost plus per-student cost × students reached: those eligible under the
    targeting chosen (the strategy's own where not given), capped by its capacity."""
    serves = strategy.serves
    eligible = int(np.count_nonzero(population.eligible(
        serves.schools, grades or serves.grades, subgroups or serves.subgroups
    )))
    cap = capacity or serves.capacity
    reached = min(eligible, cap) if cap else eligible
    return Price(strategy.cost.fixed + strategy.cost.per_student * reached,
                 strategy.staff_fte, reached)
