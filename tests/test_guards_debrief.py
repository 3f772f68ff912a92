"""Debrief words a trainee reads: which steps count as followed up, which meetings lack a
record, the facts a scenario's own templates cite, and when a difference is only noise."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from simulator.debrief.outcomes import (
    BEST,
    BUSINESS_AS_USUAL,
    PLAYED,
    Year,
    _difference,
    _local_search,
    _plan_doc,
    _sentences,
)
from simulator.debrief.scoring import Debrief, score
from simulator.engine.pricing import Price
from simulator.formats.loading import builtin_dir, parse_scenario
from simulator.formats.scenario import Scenario
from simulator.session.transcript import Transcript, load_transcript

HUDSON_TEXT = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")
Events = list[dict[str, Any]]

FACTS_LOOKFOR = """debrief:
  lookfors:
    - id: hudson-cites-resources
      element: B1
      weight: 1
      description: A diagnosis names the money.
      when:
        check: record
        kind: [diagnosis]
        match:
          statement: ["*never said*"]
      evidence: "Named: {found}."
      missed: "Budget {budget}; the district favours {favoured}; weakest in {subject}."
"""


@pytest.fixture(scope="module")
def strong() -> Events:
    transcript = load_transcript(builtin_dir() / "hudson-strong-transcript.yaml")
    return [e.model_dump(mode="json") for e in transcript.events]


def _score(sc: Scenario, events: Events, upto: str | None = None) -> Debrief:
    return score(sc, Transcript(scenario="hudson", seed=1, events=events).state(),
                 upto_meeting=upto)


def _lookfor(result: Debrief, rule_id: str):
    return next(lf for rating in result.elements + result.routine for lf in rating.lookfors
                if lf.id == rule_id)


def _missed_lines(result: Debrief, rule_id: str) -> list[str]:
    lf = _lookfor(result, rule_id)
    assert lf.status == "missed"
    rating = next(r for r in result.elements + result.routine if lf in r.lookfors)
    return rating.missed


def _without(events: Events, *record_ids: str) -> Events:
    return [e for e in events if e.get("record_id") not in record_ids]


def test_the_states_own_steps_count_even_when_a_district_step_is_not_followed_up(
    hudson: Scenario, strong: Events
) -> None:
    """Dropping the follow-up of a district step (a1) misses "every step followed up" but
    not "the State's own steps reviewed": the State's step a3 was still followed up."""
    result = _score(hudson, _without(strong, "fu1"))
    assert _lookfor(result, "d1-state-steps-reviewed").status == "met"
    assert _lookfor(result, "followup-every-commitment").status == "missed"


def test_a_meeting_without_a_finding_is_the_only_one_named(
    hudson: Scenario, strong: Events
) -> None:
    later = [e["record_id"] for e in strong if e.get("kind") == "finding"
             and e.get("meeting") == "meeting-2"]
    result = _score(hudson, _without(strong, *later))
    assert "Not every meeting recorded what the results showed (nothing at Meeting #2)." in (
        _missed_lines(result, "focus-findings-each-meeting"))


def test_a_single_meeting_without_a_finding_is_not_listed_as_a_failure(
    hudson: Scenario, strong: Events
) -> None:
    first = [e["record_id"] for e in strong if e.get("kind") == "finding"]
    result = _score(hudson, _without(strong, *first), upto="meeting-1")
    lines = _missed_lines(result, "focus-findings-each-meeting")
    assert not [line for line in lines if "nothing at" in line], lines


def test_a_scenarios_template_cites_the_budget_and_the_favoured_strategy(
    strong: Events,
) -> None:
    sc = parse_scenario((HUDSON_TEXT.rstrip("\n") + "\n\n" + FACTS_LOOKFOR).encode())
    lines = _missed_lines(_score(sc, strong), "hudson-cites-resources")
    favoured = [s.name for s in sc.strategies if "favoured-by-district" in s.tags]
    assert favoured == ["Expand balanced literacy"]
    assert (f"Budget ${sc.resources.budget:,.0f}; the district favours Expand balanced "
            "literacy; weakest in reading.") in lines


def test_without_hidden_needs_the_facts_speak_of_the_first_subject(strong: Events) -> None:
    text = re.sub(r"\nneeds:\n.*?\n\ncalendar:", "\n\ncalendar:", HUDSON_TEXT, flags=re.S)
    text = re.sub(r"\n *need_effects: \{[^}]*\}", "", text)
    sc = parse_scenario((text.rstrip("\n") + "\n\n" + FACTS_LOOKFOR).encode())
    assert sc.needs == [] and sc.subjects[0].name == "Reading"
    lines = _missed_lines(_score(sc, strong), "hudson-cites-resources")
    assert any(line.endswith("weakest in reading.") for line in lines), lines


def _against_usual(hudson: Scenario, low: float, high: float) -> str:
    doc = {"plans": [{"id": PLAYED, "growth": []}], "baseline": "Q2", "end": "Q4",
           "differences": [{"vs": BUSINESS_AS_USUAL, "subject": "reading",
                            "pct": {"mean": (low + high) / 2, "low": low, "high": high}}]}
    (line,) = _sentences(hudson, doc, 20, True)
    return line


def test_a_difference_is_noise_exactly_when_its_range_spans_zero(hudson: Scenario) -> None:
    assert _against_usual(hudson, 0.4, 0.8) == (
        "Reading: against business as usual your decisions changed the share on benchmark "
        "by +0.6 points on average (+0.4 to +0.8).")
    assert _against_usual(hudson, -0.8, -0.4).endswith("(−0.8 to −0.4).")
    assert _against_usual(hudson, -0.4, 0.6).endswith("(−0.4 to +0.6) — within the noise.")


def test_the_search_swaps_a_strategy_out_when_that_beats_adding_or_dropping(
    hudson: Scenario,
) -> None:
    """Greedy additions stop at the best pair that contains the best single strategy; only a
    swap reaches the better pair without it, and the search must find it."""
    a, b, c = (s.id for s in hudson.strategies[:3])
    free = {s.id: Price(0.0, 0.0) for s in hudson.strategies}
    worth = {(a,): 3.0, (b,): 1.0, (a, b): 4.0, (b, c): 5.0}
    assert _local_search(hudson, free, lambda bundle: worth.get(bundle, 0.0)) == (b, c)


def _year(pct: list[float]) -> Year:
    r = len(pct)
    return Year(score_change=np.zeros((2, r)), pct_change=np.array([pct, pct]),
                objective=np.zeros(r), baseline="Q2", end="Q4")


def test_a_plans_cost_is_reported_in_whole_dollars(hudson: Scenario) -> None:
    table = {"attendance-outreach": Price(14472.6, 0.5, 412)}
    doc = _plan_doc(hudson, BEST, _year([0.0, 1.0]), ["attendance-outreach"], table)
    assert (doc["cost"], doc["staff_fte"], doc["names"]) == (
        14473, 0.5, ["Attendance outreach to families"])


def test_a_difference_is_the_first_plan_minus_the_second(hudson: Scenario) -> None:
    played, usual = _year([3.0, 5.0, 7.0]), _year([1.0, 1.0, 1.0])
    [reading, _] = _difference(hudson, played, usual, BUSINESS_AS_USUAL)
    assert reading["subject"] == "reading"
    assert reading["pct"]["mean"] == 4.0
    assert (reading["pct"]["low"], reading["pct"]["high"]) == pytest.approx((2.4, 5.6))
