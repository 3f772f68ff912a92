"""The reveal: how clearly this session's data showed each hidden truth, and who looked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.debrief.reveal import clarity_words, opened, reveal
from simulator.engine.playthrough import simulate
from simulator.session.state import SessionState, ViewSeen

BALANCED = [("meeting-1", [{"strategy": "balanced-literacy", "action": "adopt", "options": {}}]),
            ("meeting-2", [])]


def _state(*views: tuple) -> SessionState:
    """Views opened as (role, view, quarter[, group]); a group is the strand view's filter."""
    state = SessionState("s", "hudson", "x", 1, "Pair 1")
    for seq, (role, view, quarter, *group) in enumerate(views, start=2):
        filters = (("group", group[0]),) if group else ()
        state.views_opened.append(ViewSeen(seq, role, view, quarter, filters))
    return state


@pytest.fixture(scope="module")
def sim(hudson):
    return simulate(hudson, 1, BALANCED)[0]


def _evidence(truths, view):
    return next(e for t in truths for e in t["evidence"] if e["view"] == view)


@pytest.mark.parametrize(("gap", "words"), [(None, "not shown"), (float("nan"), "not shown"),
                                            (0.3, "faint"), (-1.99, "faint"), (2.0, "visible"),
                                            (-3.9, "visible"), (4.0, "clear"), (-9.0, "clear")])
def test_clarity_in_words(gap, words):
    assert clarity_words(gap) == words


def test_the_subgroup_gap_is_measured_in_the_dashboards_standard_errors(hudson, sim):
    ev = _evidence(reveal(hudson, _state(), sim), "reading/hudson-ms/subgroup")
    c = ev["clarity"]
    # By hand, from the view as printed: each subgroup's % on benchmark against the
    # "All students" row at Q1, in the standard errors printed next to them.
    from simulator.engine.dashboard import build_table

    everyone, *rows = build_table(sim, "reading/hudson-ms/subgroup").rows
    gaps = {r.label: (r.values[0] - everyone.values[0])
            / math.hypot(r.errors[0], everyone.errors[0]) for r in rows}
    top = max(gaps, key=lambda k: abs(gaps[k]))
    assert c["group"] == top
    assert c["gap_se"] == pytest.approx(gaps[top], abs=0.06)
    assert c["words"] == clarity_words(gaps[top])
    assert c["value"] < c["rest"]
    assert ev["quarter"] == "Q1"


def test_the_strand_gap_compares_word_study_with_the_other_strands(hudson, sim):
    c = _evidence(reveal(hudson, _state(), sim), "reading/hudson-ms/strand")["clarity"]
    assert c["group"] == "Vocabulary & Word Study"
    assert c["gap_se"] < 0
    pop = sim.population
    el = [g.id for g in hudson.subgroups].index("el")
    strands = sim.history[0].strand_scores[0][:, 0, (pop.school == 0) & pop.member[el]]
    assert c["value"] == pytest.approx(float(strands[2].mean()), abs=0.06)
    assert c["rest"] == pytest.approx(float(np.delete(strands, 2, axis=0).mean()), abs=0.06)


def test_grade_8_absence_shows_on_the_attendance_view(hudson, sim):
    c = _evidence(reveal(hudson, _state(), sim), "attendance/hudson-ms/grade")["clarity"]
    assert c["group"] == "Grade 8"
    assert c["value"] > c["rest"]
    assert c["words"] in ("visible", "clear")


def test_the_favoured_strategy_is_judged_only_where_it_ran(hudson, sim):
    view = "implementation/hudson-ms/implementation"
    c = _evidence(reveal(hudson, _state(), sim), view)["clarity"]
    assert c["group"] == "Expand balanced literacy"
    assert c["value"] > 50  # fidelity, %
    other = simulate(hudson, 1, [("meeting-1", [{"strategy": "structured-literacy",
                                                 "action": "adopt", "options": {}}])])[0]
    c = _evidence(reveal(hudson, _state(), other), view)["clarity"]
    assert (c["words"], c["gap_se"]) == ("not shown", None)


def test_a_view_opened_in_time_is_credited_with_who_and_when(hudson):
    truth = hudson.hidden_truths[0]
    strand, subgroup = truth.evidence
    state = _state(("district", "reading/hudson-ms/all", "Q2"),
                   ("state", "reading/hudson-ms/strand", "Q2", "el"),
                   ("district", "reading/hudson-ms/strand", "Q3", "el"))
    looked = opened(hudson, state, strand)
    assert looked["opened"] and looked["in_time"]
    assert looked["times"] == 2
    assert looked["first"]["role"] == "State Turnaround Lead"
    assert looked["first"]["meeting"] == hudson.calendar.meetings[0].title
    assert [r["view"] for r in looked["related"]] == ["reading/hudson-ms/all"]
    not_subgroup = opened(hudson, state, subgroup)
    assert not not_subgroup["opened"] and not_subgroup["first"] is None
    assert {r["view"] for r in not_subgroup["related"]} == {"reading/hudson-ms/all",
                                                           "reading/hudson-ms/strand"}


def test_a_view_opened_before_its_data_showed_it_is_not_in_time(hudson):
    implementation = hudson.hidden_truths[2].evidence[0]  # shows from Q3
    state = _state(("state", implementation.view, "Q2"))
    looked = opened(hudson, state, implementation)
    assert looked["opened"] and not looked["in_time"]


def test_nothing_opened_nothing_related(hudson):
    looked = opened(hudson, _state(("state", "math/riverside-ms/all", "Q2")),
                    hudson.hidden_truths[1].evidence[0])
    assert looked == {"opened": False, "in_time": False, "first": None, "times": 0,
                      "related": []}


def test_every_hidden_truth_is_revealed_with_its_explanation(hudson, sim):
    truths = reveal(hudson, _state(), sim)
    assert [t["id"] for t in truths] == [t.id for t in hudson.hidden_truths]
    assert all(t["explanation"] and t["evidence"] for t in truths)


def test_a_strand_view_counts_as_opened_only_for_the_group_it_names(hudson):
    from simulator.debrief.reveal import opened
    from simulator.formats.scenario import Evidence
    from simulator.session.state import SessionState, ViewSeen

    evidence = Evidence(view="reading/hudson-ms/strand", group="el", quarter="q1",
                        note="word study")
    state = SessionState("s", "hudson", "x", 1, "t")
    state.views_opened.append(ViewSeen(2, "state", "reading/hudson-ms/strand", "Q2"))
    assert not opened(hudson, state, evidence)["opened"]
    state.views_opened.append(
        ViewSeen(3, "state", "reading/hudson-ms/strand", "Q2", (("group", "el"),)))
    looked = opened(hudson, state, evidence)
    assert looked["opened"] and looked["first"]["seq"] == 3
