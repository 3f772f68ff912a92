"""`pmsim run`'s resources block judges budget and staff as the meeting room does."""

from __future__ import annotations

from simulator.engine.headless import resources_json
from simulator.formats.loading import load_scenario


def test_a_plan_that_exactly_uses_the_staff_and_budget_is_not_over() -> None:
    """0.1 + 0.2 FTE is 0.30000000000000004 in floats: it fits 0.3 FTE (pricing.TOLERANCE)."""
    scenario = load_scenario("hudson").scenario
    a, b = scenario.strategies[:2]
    strategies = [a.model_copy(update={"staff_fte": 0.1, "cost": a.cost.model_copy(
                      update={"fixed": 0.1})}),
                  b.model_copy(update={"staff_fte": 0.2, "cost": b.cost.model_copy(
                      update={"fixed": 0.2})})]
    tight = scenario.model_copy(update={
        "strategies": strategies,
        "resources": scenario.resources.model_copy(update={"budget": 0.3, "staff_fte": 0.3}),
    })
    used = resources_json(tight, [a.id, b.id], quarters=[])
    assert (used["over_budget"], used["over_staffed"]) == (False, False)
    over = tight.model_copy(update={"resources": tight.resources.model_copy(
        update={"budget": 0.29, "staff_fte": 0.29})})
    used = resources_json(over, [a.id, b.id], quarters=[])
    assert (used["over_budget"], used["over_staffed"]) == (True, True)
