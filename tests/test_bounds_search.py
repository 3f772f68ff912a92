"""The best-bundle search stays bounded however many strategies a scenario offers."""

from __future__ import annotations

import copy
import time
import warnings
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.debrief import outcomes as oc
from simulator.engine.pricing import Price
from simulator.formats.loading import builtin_paths, parse_scenario
from simulator.formats.scenario import Scenario

HUDSON_BEST = ("structured-literacy", "attendance-outreach", "extended-day")
"""Hudson's best bundle for seed 1 with 16 replications, as the exhaustive search has
always found it."""


def with_free_strategies(count: int) -> Scenario:
    """Hudson plus ``count`` strategies that cost nothing and need no staff, each a little
    reading help (0 to 0.006 SD), so every bundle of them is affordable."""
    data: dict[str, Any] = yaml.safe_load(builtin_paths()[0].read_text(encoding="utf-8"))
    model = data["strategies"][0]
    for i in range(count):
        extra = copy.deepcopy(model)
        extra.update(id=f"free-{i}", name=f"Free help {i}", cost={"fixed": 0},
                     staff_fte=0.0, effect_sd=0.001 * (i % 7), need_effects={})
        extra.pop("tags", None)
        data["strategies"].append(extra)
    return parse_scenario(yaml.safe_dump(data, allow_unicode=True).encode(), "free.yaml")


def test_hudsons_best_bundle_is_unchanged_and_found_exhaustively(hudson: Scenario) -> None:
    found = oc.search_best(hudson, 1, 16)
    assert found.bundle == HUDSON_BEST
    assert (found.method, found.screened) == ("exhaustive", 148)


@pytest.mark.parametrize("count", [40, 300])
def test_many_free_strategies_are_searched_in_bounded_time(
    hudson: Scenario, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 free strategies took 26 s (1,278 simulated years) before the search was bounded,
    300 never finished. Now each strategy is tried alone once, and at most SEARCH_LIMIT
    bundles more are simulated: the work is counted in simulated years, and the time in
    this process's CPU seconds (the suite shares the machine's cores)."""
    scenario = with_free_strategies(count)
    years: list[tuple[str, ...]] = []
    objective = oc._objective

    def counted(scenario: Scenario, seed: int, bundle: tuple[str, ...], start) -> float:
        years.append(bundle)
        return objective(scenario, seed, bundle, start)

    monkeypatch.setattr(oc, "_objective", counted)
    began = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning reaches stderr
        found = oc.search_best(scenario, 1, 16)
    took = time.process_time() - began
    assert len(years) <= 1 + len(scenario.strategies) + 1 + oc.SEARCH_LIMIT
    assert took < 15, f"{count} strategies took {took:.1f} s of CPU"
    assert found.method == "greedy + local search"
    assert found.screened <= 1 + oc.SEARCH_LIMIT
    assert len(found.bundle) <= oc.CANDIDATES
    # Sensible: Hudson's own best strategies are kept, and free help only adds to them.
    assert set(HUDSON_BEST) <= set(found.bundle)
    monkeypatch.setattr(oc, "_objective", objective)
    assert found.objective >= oc.search_best(hudson, 1, 16).objective


def test_a_bounded_search_says_so_in_the_outcomes() -> None:
    scenario = with_free_strategies(40)
    doc = oc.outcomes(scenario, 1, [], 4)
    assert doc["search"]["method"] == "greedy + local search"
    [note] = [line for line in doc["summary"] if "screened" in line]
    assert note == (f"That bundle is the best of the {doc['search']['screened']} screened out "
                    "of more than 256 affordable ones (combining at most 16 strategies that "
                    "did best alone): a better one may exist.")


def test_a_strategy_that_does_no_good_alone_is_not_a_candidate() -> None:
    scenario = with_free_strategies(1)
    harm = scenario.strategy("free-0").model_copy(update={"id": "busywork", "effect_sd": -0.3})
    scenario = scenario.model_copy(update={"strategies": [*scenario.strategies, harm]})
    start = oc.first_meeting(scenario, 1, 4)
    kept = oc.candidates(scenario, 1, oc.prices(start), start.population, 4)
    assert "busywork" not in kept
    assert "free-0" not in kept  # free-0 does nothing (effect 0)
    assert set(HUDSON_BEST) <= set(kept)


@settings(max_examples=60, deadline=None)
@given(
    costs=st.lists(st.integers(0, 300_000), min_size=1, max_size=10),
    budget=st.integers(1, 20),
)
def test_local_search_stops_at_its_budget_with_an_affordable_bundle(
    hudson: Scenario, costs: list[int], budget: int
) -> None:
    """Whatever the prices and however the bundles score, the search evaluates at most
    ``budget`` bundles and ends on one the district can afford, made of the pool."""
    ids = [s.id for s in hudson.strategies]
    table = {s: Price(float(costs[i % len(costs)]), 0.0) for i, s in enumerate(ids)}
    pool = ids[: len(costs)]
    seen: list[tuple[str, ...]] = []

    def value(bundle: tuple[str, ...]) -> float:
        if bundle not in seen:
            if len(seen) >= budget:
                raise oc._Exhausted
            seen.append(bundle)
        return float(sum(len(s) * (i + 1) for i, s in enumerate(bundle)) % 7)

    best = oc._local_search(hudson, table, value, pool)
    assert len(seen) <= budget
    assert set(best) <= set(pool)
    assert oc.affordable(hudson, oc.bundle_price(table, best))
