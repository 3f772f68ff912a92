"""Behaviour that golden files alone used to guard: each check asserts real values,
recomputed apart from the code under test, so that a small change to the engine, the
scoring or the scenario checks fails here (benchmarks/bench_mutation.py measures how
many such changes the behavioural tests catch)."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
import yaml

from pmsim.cli import main
from simulator.debrief.scoring import Debrief, score
from simulator.engine.metrics import attendance_stat, score_stat
from simulator.engine.simulation import Decision, QuarterResult, Simulation
from simulator.formats.loading import builtin_dir, parse_scenario
from simulator.formats.scenario import Scenario, cross_check
from simulator.session.transcript import Transcript, load_transcript

HUDSON_PATH = builtin_dir() / "hudson.yaml"
HUDSON_TEXT = HUDSON_PATH.read_text(encoding="utf-8")
Events = list[dict[str, Any]]


@pytest.fixture(scope="module")
def strong_events() -> Events:
    transcript = load_transcript(builtin_dir() / "hudson-strong-transcript.yaml")
    return [e.model_dump(mode="json") for e in transcript.events]


def _scenario(edit=None) -> Scenario:
    """Hudson, parsed from edited YAML text (the file on disk is never touched)."""
    data = yaml.safe_load(HUDSON_TEXT)
    if edit:
        edit(data)
    return parse_scenario(yaml.safe_dump(data, sort_keys=False).encode(), "edited.yaml")


# --------------------------------------------------------------------------- look-for boundaries


def _with_lookfor(when: dict[str, Any]) -> Scenario:
    lookfor = {"id": "guard", "element": "D3", "weight": 1, "description": "A guard.",
               "when": when, "evidence": "Found {found}.", "missed": "Missed."}
    return _scenario(lambda d: d.update(debrief={"lookfors": [lookfor]}))


def _status(sc: Scenario, events: Events) -> str:
    result: Debrief = score(sc, Transcript(scenario="hudson", seed=1, events=events).state())
    found = [lf.status for r in result.elements + result.routine for lf in r.lookfors
             if lf.id == "guard"]
    assert len(found) == 1
    return found[0]


def _first_meeting_stakeholders(events: Events) -> list[dict[str, Any]]:
    close = next(i for i, e in enumerate(events) if e["event"] == "meeting.closed")
    return [e for e in events[:close]
            if e["event"] == "record.added" and e["kind"] == "stakeholder"]


def _without_field(events: Events, record_id: str, field: str) -> Events:
    out = copy.deepcopy(events)
    for e in out:
        if e.get("record_id") == record_id and e["event"] == "record.added":
            e["fields"].pop(field)
    return out


def _without_record(events: Events, record_id: str) -> Events:
    return [e for e in copy.deepcopy(events)
            if not (e["event"] == "record.added" and e.get("record_id") == record_id)]


def test_each_is_met_when_every_record_passes_and_missed_when_all_but_one_do(
    strong_events: Events,
) -> None:
    records = _first_meeting_stakeholders(strong_events)
    assert len(records) == 4 and all(r["fields"].get("message") for r in records)
    sc = _with_lookfor({"check": "record", "meetings": "first", "kind": ["stakeholder"],
                        "has": ["message"], "each": True})
    assert _status(sc, strong_events) == "met"
    assert _status(sc, _without_field(strong_events, records[-1]["record_id"],
                                      "message")) == "missed"


def test_each_with_at_least_needs_exactly_that_many_records(strong_events: Events) -> None:
    records = _first_meeting_stakeholders(strong_events)
    when = {"check": "record", "meetings": "first", "kind": ["stakeholder"],
            "has": ["message"], "each": True, "at_least": len(records)}
    sc = _with_lookfor(when)
    assert _status(sc, strong_events) == "met"
    assert _status(sc, _without_record(strong_events, records[0]["record_id"])) == "missed"
    more = _with_lookfor(when | {"at_least": len(records) + 1})
    assert _status(more, strong_events) == "missed"


def test_at_least_n_is_met_by_n_passing_records_and_missed_by_n_minus_one(
    strong_events: Events,
) -> None:
    records = _first_meeting_stakeholders(strong_events)
    sc = _with_lookfor({"check": "record", "meetings": "first", "kind": ["stakeholder"],
                        "has": ["message"], "at_least": len(records)})
    assert _status(sc, strong_events) == "met"
    assert _status(sc, _without_field(strong_events, records[1]["record_id"],
                                      "message")) == "missed"


def test_a_view_look_for_counts_distinct_views_up_to_its_at_least(
    strong_events: Events,
) -> None:
    close = next(i for i, e in enumerate(strong_events) if e["event"] == "meeting.closed")
    opened = {e["view"] for e in strong_events[:close]
              if e["event"] == "view.opened" and e["view"].startswith("reading/hudson-ms/")}
    assert len(opened) >= 2
    when = {"check": "view", "meetings": "first", "pattern": ["reading/hudson-ms/*"]}
    assert _status(_with_lookfor(when | {"at_least": len(opened)}), strong_events) == "met"
    assert _status(_with_lookfor(when | {"at_least": len(opened) + 1}),
                   strong_events) == "missed"


def test_each_decision_needs_its_record_all_but_one_is_a_miss(strong_events: Events) -> None:
    sc = _with_lookfor({"check": "decision", "meetings": "first", "actions": ["adopt"],
                        "has_record": "theory", "each": True})
    close = next(i for i, e in enumerate(strong_events) if e["event"] == "meeting.closed")
    adopted = [e["strategy"] for e in strong_events[:close]
               if e["event"] == "decision.made" and e["action"] == "adopt"]
    theories = {e["fields"]["strategy"] for e in strong_events[:close]
                if e["event"] == "record.added" and e["kind"] == "theory"}
    missing = [s for s in adopted if s not in theories]
    assert len(missing) == 1 and len(adopted) >= 2
    assert _status(sc, strong_events) == "missed"
    events = copy.deepcopy(strong_events)
    events.insert(close, {"event": "record.added", "by": "district", "meeting": "meeting-1",
                          "record_id": "th-extra", "kind": "theory",
                          "fields": {"strategy": missing[0], "indicator": "Calls made",
                                     "outcome": "Fewer absences"}})
    assert _status(sc, events) == "met"


# --------------------------------------------------------------------------- figures


def test_a_groups_figures_match_numpy_on_a_known_array() -> None:
    scores = np.array([[200.0, 210.0, 190.0, 230.0, 205.0],
                       [199.0, 215.0, 185.0, 228.0, 201.0],
                       [202.0, 209.0, 195.0, 240.0, 200.0]])
    cuts = np.array([205.0, 205.0, 200.0, 220.0, 201.0])
    mask = np.array([True, True, False, True, True])
    stat = score_stat(scores, cuts, mask)
    sel = scores[:, mask]
    means = sel.mean(axis=1)
    pct = 100.0 * (sel >= cuts[mask]).mean(axis=1)
    assert stat.n == 4
    assert stat.mean_score == pytest.approx(means.mean())
    assert stat.mean_score_sd == pytest.approx(np.std(means))
    assert stat.pct_proficient == pytest.approx(pct.mean())
    assert stat.pct_proficient_sd == pytest.approx(np.std(pct))
    assert stat.sd_score == pytest.approx(sel.std(axis=1).mean())
    assert stat.se == pytest.approx(sel.std(axis=1).mean() / np.sqrt(4))
    assert stat.se != pytest.approx(stat.sd_score / 4)


def test_an_empty_group_has_no_figures_rather_than_zeros() -> None:
    scores = np.ones((2, 3))
    stat = score_stat(scores, np.zeros(3), np.zeros(3, dtype=bool))
    assert stat.n == 0 and np.isnan(stat.mean_score) and np.isnan(stat.se)
    assert stat.mean_score_sd == 0.0 and stat.pct_proficient_sd == 0.0


def test_an_empty_group_has_no_attendance_figures(hudson: Scenario) -> None:
    sim = Simulation(hudson, 1, 2)
    result = sim.advance()
    stat = attendance_stat(result, 0.1, np.zeros(sim.population.n, dtype=bool))
    assert stat.n == 0 and np.isnan(stat.mean_days_absent) and np.isnan(stat.pct_chronic)
    assert stat.mean_days_absent_sd == 0.0 and stat.pct_chronic_sd == 0.0
    everyone = attendance_stat(result, 0.1, slice(None))
    days = result.absences_ytd.mean(axis=1)
    assert everyone.n == sim.population.n
    assert everyone.mean_days_absent == pytest.approx(days.mean(), rel=1e-6)
    assert everyone.mean_days_absent_sd == pytest.approx(np.std(days), rel=1e-5)


def test_run_json_spreads_are_the_replications_own(capsys, hudson: Scenario) -> None:
    assert main(["run", "hudson", "--replications", "20", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sim = Simulation(hudson, 1, 20)
    results: list[QuarterResult] = []
    while not sim.finished:
        results.append(sim.advance())
        if sim.meeting_due() is not None and not sim.finished:
            sim.decide([])
    school = sim.population.school
    for quarter, result in zip(doc["quarters"], results, strict=True):
        for si, entry in enumerate(quarter["schools"]):
            mask = school == si
            for row in entry["results"]:
                if row["group"] != "all":
                    continue
                j = [s.id for s in hudson.subjects].index(row["subject"])
                sel = result.scores[j][:, mask].astype(np.float64)
                means = sel.mean(axis=1)
                pct = 100.0 * (sel >= result.cuts[j][mask]).mean(axis=1)
                assert row["mean_score"] == pytest.approx(means.mean(), abs=0.006)
                assert row["mean_score_sd"] == pytest.approx(np.std(means), abs=0.006)
                assert row["pct_proficient"] == pytest.approx(pct.mean(), abs=0.006)
                assert row["pct_proficient_sd"] == pytest.approx(np.std(pct), abs=0.006)
                assert row["n"] == int(mask.sum())
    sds = [r["pct_proficient_sd"] - r["mean_score_sd"] for q in doc["quarters"]
           for s in q["schools"] for r in s["results"]]
    assert max(abs(x) for x in sds) > 0.5


# --------------------------------------------------------------------------- the model


def _year(sc: Scenario, decisions: list[Decision], replications: int = 200) -> list[QuarterResult]:
    sim = Simulation(sc, 1, replications)
    results = sim.run_until_meeting()
    sim.decide(decisions)
    while not sim.finished:
        results += sim.run_until_meeting()
    return results


def _fixed_fidelity(strategy: str, value: float):
    def edit(data: dict[str, Any]) -> None:
        s = next(s for s in data["strategies"] if s["id"] == strategy)
        s["fidelity"] = {"start": value, "full": value, "quarters_to_full": 1, "noise_sd": 0.0}
    return edit


def _school_mean(result: QuarterResult, sc: Scenario, subject: str, school_mask) -> float:
    j = [s.id for s in sc.subjects].index(subject)
    return float(result.scores[j][:, school_mask].astype(np.float64).mean())


def test_growth_scales_with_fidelity() -> None:
    high, low = _scenario(_fixed_fidelity("tutoring-math", 1.0)), _scenario(
        _fixed_fidelity("tutoring-math", 0.5))
    bau = _year(high, [])
    mask = Simulation(high, 1, 1).population.school == 0
    base = _school_mean(bau[-1], high, "math", mask)
    gain_high = _school_mean(_year(high, [Decision("tutoring-math")])[-1], high, "math",
                             mask) - base
    gain_low = _school_mean(_year(low, [Decision("tutoring-math")])[-1], low, "math",
                            mask) - base
    assert gain_low > 0
    assert gain_high / gain_low == pytest.approx(2.0, rel=0.1)
    reading = _school_mean(_year(high, [Decision("tutoring-math")])[-1], high, "reading", mask)
    assert reading == pytest.approx(_school_mean(bau[-1], high, "reading", mask), abs=0.05)


def test_attendance_outreach_lowers_absence_in_proportion_to_its_effect() -> None:
    sc = _scenario(_fixed_fidelity("attendance-outreach", 1.0))
    bau, outreach = _year(sc, []), _year(sc, [Decision("attendance-outreach")])
    before = bau[1].absences_ytd.astype(np.float64)
    assert np.array_equal(outreach[1].absences_ytd, bau[1].absences_ytd)
    after_bau = bau[-1].absences_ytd.astype(np.float64) - before
    after_outreach = outreach[-1].absences_ytd.astype(np.float64) - before
    ratio = after_outreach.mean() / after_bau.mean()
    effect = next(s for s in sc.strategies if s.id == "attendance-outreach").attendance_effect
    assert 1.0 + effect <= ratio < 0.99


def test_more_absence_lowers_scores() -> None:
    def double_q1_absence(data: dict[str, Any]) -> None:
        data["events"].append({"id": "storm", "quarter": "q1", "title": "Storms",
                               "description": "Closures and absences.", "schools": "all",
                               "effects": {"absence_multiplier": 2.0}})
    sc, absent = _scenario(), _scenario(double_q1_absence)
    usual, more = _year(sc, [], 50)[0], _year(absent, [], 50)[0]
    assert more.absences_ytd.mean() > 1.5 * usual.absences_ytd.mean()
    for j in range(len(sc.subjects)):
        assert more.scores[j].mean() < usual.scores[j].mean() - 0.1


# --------------------------------------------------------------------------- the calendar


def _calendar_problems(meetings_after: list[str]) -> list[tuple[tuple, str]]:
    def edit(data: dict[str, Any]) -> None:
        for meeting, quarter in zip(data["calendar"]["meetings"], meetings_after, strict=True):
            meeting["after_quarter"] = quarter
    data = yaml.safe_load(HUDSON_TEXT)
    edit(data)
    return [p for p in cross_check(Scenario.model_validate(data))
            if p[0][:2] == ("calendar", "meetings")]


def test_hudson_meetings_are_in_calendar_order() -> None:
    assert _calendar_problems(["q2", "q3"]) == []


@pytest.mark.parametrize("after", [["q2", "q2"], ["q3", "q2"]])
def test_two_meetings_after_one_quarter_or_out_of_order_are_refused(after: list[str]) -> None:
    assert _calendar_problems(after) == [
        (("calendar", "meetings", 1, "after_quarter"),
         "meetings must come in calendar order, one per quarter at most")]


def test_validate_points_at_the_second_meetings_quarter(tmp_path, capsys) -> None:
    lines = HUDSON_TEXT.splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if "after_quarter:" in line]
    assert len(at) == 2
    lines[at[1]] = lines[at[1]].replace("q3", "q2")
    path = tmp_path / "two.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    assert main(["scenario", "validate", str(path)]) == 1
    col = lines[at[1]].index("q2") + 1
    assert capsys.readouterr().err.strip() == (
        f"{path}:{at[1] + 1}:{col}: meetings must come in calendar order, one per quarter at most")


# --------------------------------------------------------------------------- small parsers


def test_a_grade_metric_is_that_grades_share_and_a_malformed_group_names_nothing(
    hudson: Scenario,
) -> None:
    from simulator.engine.metrics import metric_value

    sim = Simulation(hudson, 1, 1)
    result = sim.advance()
    pop = sim.population
    mask = (pop.school == 0) & (pop.grade == 7)
    j = [s.id for s in hudson.subjects].index("reading")
    expected = 100.0 * float((result.scores[j][0, mask] >= result.cuts[j][mask]).mean())
    assert metric_value(sim, "pct:reading:hudson-ms:grade-7", 0) == pytest.approx(
        expected, abs=0.05)
    assert metric_value(sim, "pct:reading:hudson-ms:grade-x", 0) is None
    assert metric_value(sim, "pct:reading:hudson-ms:7", 0) is None


def test_an_opened_view_relates_to_a_wanted_one_by_subject_and_school_or_breakdown() -> None:
    from simulator.debrief.reveal import _relation

    wanted = "reading/hudson-ms/strand"
    assert _relation(wanted, wanted) == "exact"
    assert _relation(wanted, "reading/hudson-ms/subgroup") == "related"
    assert _relation(wanted, "reading/riverside-ms/strand") == "related"
    assert _relation(wanted, "math/hudson-ms/strand") is None
    assert _relation(wanted, "reading/riverside-ms/grade") is None


def test_a_share_gap_without_spread_is_not_a_number_not_a_crash() -> None:
    from simulator.debrief.reveal import se_apart

    assert np.isnan(se_apart(100.0, 0.0, 100.0, 0.0))  # two rows at 100% print ±0.0
    se_x, se_y = 100 * np.sqrt(0.75 * 0.25 / 4), 100 * np.sqrt(0.25 * 0.75 / 4)
    assert se_apart(75.0, se_x, 25.0, se_y) == pytest.approx(50 / np.hypot(se_x, se_y))


def test_a_look_fors_file_that_is_not_a_mapping_says_what_it_should_hold() -> None:
    from simulator.formats.lookfors import LookForsError, parse_lookfors

    with pytest.raises(LookForsError) as caught:
        parse_lookfors(b"- just a list\n", "l.yaml")
    assert caught.value.lines() == [
        "l.yaml:1:1: a look-fors file must be a mapping of keys (lookfors_version, lookfors), "
        "each line 'key: value' at the left margin; this file is a list ('- ' items)"]


def test_the_chronic_absence_facts_describe_the_grade_and_the_others() -> None:
    from simulator.formats.lookfors import SCENARIO_FACTS

    assert "other grades" in SCENARIO_FACTS["chronic_other_pct"]
    assert "other" not in SCENARIO_FACTS["chronic_grade_pct"]
    assert "that grade" in SCENARIO_FACTS["chronic_grade_pct"]


def _options(events: Events, strategy: str, **options: Any) -> Events:
    out = copy.deepcopy(events)
    for e in out:
        if e["event"] == "decision.made" and e["strategy"] == strategy and e["action"] == "adopt":
            e["options"] = options
    return out


def test_a_decision_aims_at_the_need_only_when_both_grades_and_subgroups_fit(
    strong_events: Events,
) -> None:
    sc = _with_lookfor({"check": "decision", "meetings": "first", "actions": ["adopt"],
                        "targets_need": True})
    need = next(n for n in sc.needs if n.id == "decoding")
    grades, groups = list(need.grades), list(need.subgroups)
    other_grade = next(g for g in sc.grades if g not in grades)
    other_group = next(g.id for g in sc.subgroups if g.id not in groups)
    lit = "structured-literacy"
    assert _status(sc, _options(strong_events, lit, grades=grades, subgroups=groups)) == "met"
    assert _status(sc, _options(strong_events, lit, grades=grades,
                                subgroups=[other_group])) == "missed"
    assert _status(sc, _options(strong_events, lit, grades=[other_grade],
                                subgroups=groups)) == "missed"


def test_a_strategy_not_yet_running_is_not_a_lagging_one(hudson: Scenario,
                                                         strong_events: Events) -> None:
    coaching = next(s for s in hudson.strategies if s.id == "instructional-coaching")
    assert coaching.lag_quarters >= 1
    events = copy.deepcopy(strong_events)
    close = next(i for i, e in enumerate(events) if e["event"] == "meeting.closed")
    events.insert(close, {"event": "decision.made", "by": "district", "meeting": "meeting-1",
                          "strategy": coaching.id, "action": "adopt", "options": {}})
    result = score(hudson, Transcript(scenario="hudson", seed=1, events=events).state())
    c3 = next(r for r in result.elements if r.id == "C3")
    assert [lf.status for lf in c3.lookfors if lf.id == "c3-course-correction"] == ["met"]
    assert not [line for line in c3.missed if coaching.name in line]


def test_a_strategy_lags_when_its_gain_in_sd_units_is_under_the_threshold(
    strong_events: Events,
) -> None:
    when = {"check": "course_correction", "meetings": "later"}
    assert _status(_with_lookfor(when | {"gain_below_sd": 0.0}), strong_events) == "met"
    assert _status(_with_lookfor(when | {"gain_below_sd": 1.0}), strong_events) == "missed"
