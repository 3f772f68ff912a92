"""Outcomes apart from practice: the played plan against business as usual and the best bundle."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulator.debrief import outcomes as oc
from simulator.engine.population import build_population

R = 40
BALANCED = [("meeting-1", [{"strategy": "balanced-literacy", "action": "adopt", "options": {}}]),
            ("meeting-2", [])]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("outcomes-cache")


@pytest.fixture(scope="module")
def doc(hudson, cache):
    return oc.outcomes(hudson, 1, BALANCED, R, cache_dir=cache)


def _plans(doc):
    return {p["id"]: p for p in doc["plans"]}


def test_affordable_bundles_are_exactly_those_within_budget_and_staff(hudson):
    table = oc.prices(oc.first_meeting(hudson, 1, 1))
    found = set(oc.affordable_bundles(hudson, table))
    ids = [s.id for s in hudson.strategies]
    brute = {
        combo
        for k in range(1, len(ids) + 1)
        for combo in itertools.combinations(ids, k)
        if sum(table[s].cost for s in combo) <= hudson.resources.budget
        and sum(table[s].staff_fte for s in combo) <= hudson.resources.staff_fte
    }
    assert found == brute
    assert oc.affordable_bundles(hudson, table, limit=5) is None


def test_the_best_bundle_is_affordable_and_beats_the_played_plan_and_doing_nothing(doc, hudson):
    plans = _plans(doc)
    best = plans["best"]
    assert best["affordable"]
    assert best["cost"] <= hudson.resources.budget
    assert best["staff_fte"] <= hudson.resources.staff_fte
    assert best["objective"] >= plans["played"]["objective"]
    assert best["objective"] >= plans["business_as_usual"]["objective"]
    assert doc["search"]["method"] == "exhaustive"


def test_business_as_usual_differs_from_the_plan_only_where_the_plan_acts(doc):
    # Common random numbers: balanced literacy is a reading strategy, so math is identical.
    diffs = {(d["vs"], d["subject"]): d for d in doc["differences"]}
    math = diffs[("business_as_usual", "math")]
    assert math["score"] == {"mean": 0.0, "low": 0.0, "high": 0.0}
    reading = diffs[("business_as_usual", "reading")]
    assert reading["score"]["mean"] > 0


def test_the_band_holds_the_sessions_own_playthrough(doc, hudson):
    single = oc.run_plan(hudson, 1, BALANCED, 1)
    for j, g in enumerate(_plans(doc)["played"]["growth"]):
        for key, values in (("score", single.score_change[j]), ("pct", single.pct_change[j])):
            s = g[key]
            assert s["replication_0"] == pytest.approx(float(values[0]), abs=0.006)
            assert s["min"] <= s["replication_0"] <= s["max"]
            assert s["low"] <= s["mean"] <= s["high"]
            inside = s["low"] <= s["replication_0"] <= s["high"]
            assert inside == (oc.BAND[0] <= s["percentile_0"] <= oc.BAND[1]) or \
                s["replication_0"] in (s["low"], s["high"])


def test_the_summary_says_where_luck_put_this_playthrough(doc):
    text = " ".join(doc["summary"])
    assert "Replayed 40 times" in text
    assert "percentile" in text
    assert "best affordable bundle" in text


@pytest.mark.parametrize(("pct", "words"), [(3, "bad luck"), (20, "somewhat unlucky"),
                                            (50, "typical"), (85, "somewhat lucky"),
                                            (97, "good luck")])
def test_luck_in_plain_words(pct, words):
    assert oc.luck_words(pct) == words


def test_spread_ranks_replication_zero():
    s = oc.spread(np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]))
    assert s["replication_0"] == 0.0
    assert s["percentile_0"] == 5.0
    assert oc.luck_words(s["percentile_0"]) == "bad luck"


def test_a_second_report_reads_the_search_from_the_cache(doc, hudson, cache, monkeypatch):
    assert list(cache.glob("outcomes-*.json"))

    def boom(*args, **kwargs):
        raise AssertionError("searched again")

    monkeypatch.setattr(oc, "search_best", boom)
    again = oc.outcomes(hudson, 1, BALANCED, R, cache_dir=cache)
    assert again == doc


def test_a_corrupt_cache_is_ignored_and_rewritten(hudson, tmp_path, monkeypatch):
    calls = []
    found = oc.SearchResult(("extended-day",), 0.1, "exhaustive", 3, 1)
    monkeypatch.setattr(oc, "search_best", lambda *a, **k: calls.append(1) or found)
    assert oc.best_bundle(hudson, 2, 8, cache_dir=tmp_path) == found
    (path,) = tmp_path.glob("outcomes-*.json")
    path.write_text("{not json", encoding="utf-8")
    assert oc.best_bundle(hudson, 2, 8, cache_dir=tmp_path) == found
    assert oc.best_bundle(hudson, 2, 8, cache_dir=tmp_path) == found
    assert len(calls) == 2
    assert oc.best_bundle(hudson, 2, 9, cache_dir=tmp_path) == found  # another key
    assert len(calls) == 3


def test_plans_branching_from_a_shared_first_meeting_match_fresh_runs(hudson):
    start = oc.first_meeting(hudson, 4, 6)
    fresh = oc.run_plan(hudson, 4, BALANCED, 6)
    for _ in range(2):  # the shared start is left as it was
        branched = oc.run_plan(hudson, 4, BALANCED, 6, start=start)
        assert np.array_equal(branched.score_change, fresh.score_change)
        assert np.array_equal(branched.pct_change, fresh.pct_change)


def test_greedy_search_finds_an_affordable_bundle_close_to_the_exhaustive_best(hudson):
    pop = build_population(hudson, 1)
    exhaustive = oc.search_best(hudson, 1, 4, population=pop)
    greedy = oc.search_best(hudson, 1, 4, population=pop, exhaustive_limit=0)
    assert greedy.method == "greedy + local search"
    assert greedy.screened < exhaustive.screened
    table = oc.prices(oc.first_meeting(hudson, 1, 1, pop))
    assert oc.affordable(hudson, oc.bundle_price(table, greedy.bundle))
    assert greedy.objective >= exhaustive.objective - 0.005


def test_a_played_bundle_better_than_the_search_becomes_the_best(hudson, monkeypatch, tmp_path):
    poor = oc.SearchResult((), -1.0, "exhaustive", 1, 1)
    monkeypatch.setattr(oc, "search_best", lambda *a, **k: poor)
    plan = [("meeting-1", [{"strategy": "extended-day", "action": "adopt", "options": {}}])]
    out = oc.outcomes(hudson, 1, plan, 8)
    best = _plans(out)["best"]
    assert best["strategies"] == ["extended-day"]
    assert best["objective"] == _plans(out)["played"]["objective"]


def test_without_yardsticks_only_the_played_plan_shows(hudson):
    out = oc.outcomes(hudson, 1, BALANCED[:1], 8, upto=2, yardsticks=False)
    assert [p["id"] for p in out["plans"]] == ["played"]
    assert out["differences"] == [] and out["search"] is None
    assert (out["baseline"], out["end"], out["complete"]) == ("Q2", "Q3", False)
    assert "final debrief" in out["summary"][-1]
