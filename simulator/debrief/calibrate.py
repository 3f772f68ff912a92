"""``pmsim scenario calibrate``: Monte Carlo proof that a scenario teaches what it intends.

Three parts, each defined once here and in facilitator_guide/calibration.md:

* **plans** — business as usual and every bundle a team could afford at the first
  decision point (the bounded search's list, :func:`outcomes.affordable_bundles`),
  each played ``replications`` times on common random numbers: one simulation is
  brought to the first meeting and forked for every plan, and the engine keys every
  random stream by name, so plans differ by their decisions, not their dice. The
  outcome per subject is the end-of-year gain at the priority school(s) over business
  as usual, in SD of the first quarter's scores there (mean, 10th and 90th percentile
  across replications). Only the schools the plans and needs touch are simulated
  (:func:`focus`): the others never change a priority school's figures.
* **needs** — over ``seeds`` single-replication playthroughs with no decisions (what
  participants see: replication 0 of seeds 0..N-1), the share in which the need
  shows at each meeting in a view participants can open then (:func:`need_shows`).
* **business as usual** — the priority school(s)' growth from the first benchmark to the
  last with no decisions, beside the grade norms' growth for the same students: it should
  be positive in at least nine replications in ten, and below the norms (a priority
  school's students fall behind, but a school that does not grow at all is not believed).
* **strategies** — each strategy adopted alone at the first meeting, the same seeds:
  the share in which a pair opening the strategy's served-against-comparable view at
  each later meeting sees it working (:func:`strategy_shows`).

"Shows" is the reveal's rule (:data:`reveal.VISIBLE_SE`): a gap of at least two
standard errors, the standard errors the dashboard prints.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.debrief.outcomes import (
    affordable_bundles,
    first_meeting,
    prices,
    priority_mask,
)
from simulator.debrief.reveal import VISIBLE_SE, se_apart
from simulator.engine.dashboard import build_table
from simulator.engine.playthrough import first_meeting_plan, replay
from simulator.engine.pricing import Price, fits, total
from simulator.engine.simulation import Decision, QuarterResult, Simulation
from simulator.formats.published import published_figures
from simulator.formats.refs import ABSENCE, COURSES, EVERYONE, Group, View
from simulator.formats.scenario import Need, Scenario, Strategy

DEFAULT_REPLICATIONS = 1000
DEFAULT_SEEDS = 100
MONTE_CARLO_SEED = 1
"""The seed of the plans' Monte Carlo and of the prices: ``pmsim play``'s default."""
FOUND_SHARE = 0.8
"""A need should show in at least this share of seeds at the first meeting, where the
plan is chosen (issue 9's bar: "visible at Meeting #1 in >= 80 % of seeds")."""
MAX_PLANS = 1024
"""Most bundles a calibration plays (a few seconds each at 1,000 replications): more means
the budget hardly constrains the choice, and the command says so instead of running for
hours."""
BAND = (10, 90)
"""Percentiles reported around a plan's mean outcome."""

class CalibrationError(ValueError):
    """A scenario this command cannot calibrate in reasonable time, with what to change."""


Progress = Callable[[int, int], None]
"""Told ``(done, total)`` after each unit of work (a plan or a seed)."""


POINT_BAND = 0.05
"""Half-width of the band around a kind whose studies give one figure (a new textbook
~0, attendance letters no test-score effect): Kraft 2020's line under which an effect
is small, about the standard error such studies report (derived)."""


@dataclass(frozen=True)
class PublishedRange:
    """What studies of a strategy's kind found (SD a year, on the students served), from
    the shipped published figures (:mod:`simulator.formats.published`)."""

    kind: str
    low: float
    high: float
    source: str


def published_range(strategy: Strategy) -> PublishedRange:
    """The range of the kinds of evidence the strategy's ``source`` cites (their union
    when it cites several); for one that cites none, the widest published effects. A
    single figure gets a band of :data:`POINT_BAND` either side."""
    figures = published_figures()
    kinds = figures.kinds_cited(strategy.source or "")
    ranges = [figures.effect_ranges[k] for k in kinds] or list(figures.effect_ranges.values())
    low = min(r.effect_sd.low for r in ranges)
    high = max(r.effect_sd.high for r in ranges)
    if low == high:
        low, high = low - POINT_BAND, high + POINT_BAND
    studies = dict.fromkeys(src for r in ranges for src in r.sources)
    cites = "; ".join(f"{figures.source(s).authors.split(',')[0]} {figures.source(s).year}"
                      for s in studies)
    kind = " / ".join(r.name.lower() for r in ranges) if kinds else "any published strategy"
    return PublishedRange(kind, round(low, 2), round(high, 2), cites)


# --------------------------------------------------------------------------- focus


def focus(scenario: Scenario) -> Scenario:
    """The scenario with only the schools a priority figure depends on: the priority
    schools and those a strategy serves or a need lives in. The others are drawn and
    simulated for nothing: no strategy or need links them to the priority schools."""
    keep = {s.id for s in scenario.priority_schools}
    for st in scenario.strategies:
        keep |= set(scenario.school_ids(st.serves.schools))
    for need in scenario.needs:
        keep |= set(scenario.school_ids(need.schools))
    if keep == {s.id for s in scenario.schools}:
        return scenario
    events = [e if isinstance(e.schools, str) else
              e.model_copy(update={"schools": [s for s in e.schools if s in keep]})
              for e in scenario.events]
    return scenario.model_copy(update={
        "schools": [s for s in scenario.schools if s.id in keep], "events": events})


# --------------------------------------------------------------------------- plans


@dataclass
class _PlanRun:
    bundle: tuple[str, ...]
    end: QuarterResult
    served: dict[str, np.ndarray]  # strategy -> (R, N) served


def _run_bundle(start: Simulation, bundle: tuple[str, ...]) -> _PlanRun:
    sim = start.fork()
    replay(sim, first_meeting_plan(sim.scenario, bundle), through=len(sim.quarters) - 1)
    assert sim.latest is not None
    return _PlanRun(bundle, sim.latest, {s: a.served for s, a in sim.active.items()})


def _band(values: np.ndarray) -> dict[str, float]:
    lo, hi = np.percentile(values, BAND)
    return {"mean": _r(values.mean()), "p10": _r(lo), "p90": _r(hi)}


def _r(x: float, nd: int = 3) -> float:
    v = round(float(x), nd)
    return 0.0 if v == 0 else v


def _plans(scenario: Scenario, table: dict[str, Price], bundles: list[tuple[str, ...]],
           replications: int, tick: Callable[[], None]
           ) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]], dict[str, Any]]:
    """Plan documents (business as usual first, then ``bundles``, priced by ``table``),
    each single strategy's effect on its served students in the subjects it teaches (SD
    a year), and the Monte Carlo's context."""
    sc = focus(scenario)
    start = Simulation(sc, seed=MONTE_CARLO_SEED, replications=replications)
    replay(start, [])
    assert start.latest is not None and start.history
    base, first = start.latest, start.history[0]
    mask = priority_mask(sc, start.population)
    # SD of the first quarter's scores at the priority school(s), per subject.
    sd = np.array([first.scores[j][:, mask].std(axis=1, dtype=np.float64).mean()
                   for j in range(len(sc.subjects))])
    quarters = sc.calendar.quarters
    years = quarters[-1].ends_at - quarters[len(start.history) - 1].ends_at
    start.keep_history = False  # forks keep only their latest benchmark: bounded memory
    bau: np.ndarray | None = None  # (J, R, n) end-of-year scores of the priority schools
    bau_track: np.ndarray | None = None  # (R,) end-of-year % on track there (courses)
    takers = mask & start.population.takes_courses
    growth: dict[str, dict[str, float]] = {}
    docs: list[dict[str, Any]] = []
    effects: dict[str, dict[str, float]] = {}
    for bundle in [(), *bundles]:
        run = _run_bundle(start, bundle)
        end = run.end.scores[:, :, mask]
        track = _on_track(sc, run.end, takers)
        if bau is None:
            bau, bau_track = end, track
            growth = _bau_growth(sc, start.population.grade[mask], first, run.end, mask, sd)
        g = (end.mean(axis=2, dtype=np.float64) - bau.mean(axis=2, dtype=np.float64)) / sd[:, None]
        cost = total(table[s] for s in bundle)
        outcomes = {s.id: _band(g[j]) for j, s in enumerate(sc.subjects)}
        if track is not None and bau_track is not None:
            outcomes[COURSES] = _band(track - bau_track)
        docs.append({
            "strategies": list(bundle), "cost": round(cost.cost),
            "staff_fte": _r(cost.staff_fte, 2), "affordable": True,
            "outcomes": outcomes})
        if len(bundle) == 1 and years > 0:
            served = run.served[bundle[0]][:, mask]
            n = served.sum(axis=1)
            if n.all():
                diff = np.where(served, end - bau, 0.0).sum(axis=2) / n  # (J, R)
                taught = set(scenario.strategy(bundle[0]).subjects) or {
                    s.id for s in sc.subjects}
                effects[bundle[0]] = {s.id: _r(diff[j].mean() / sd[j] / years)
                                      for j, s in enumerate(sc.subjects) if s.id in taught}
        tick()
    context: dict[str, Any] = {"seed": MONTE_CARLO_SEED, "baseline": base.quarter.label,
               "end": quarters[-1].label, "first_quarter_sd": {
                   s.id: _r(sd[j], 2) for j, s in enumerate(sc.subjects)},
               "schools": [s.id for s in sc.schools],
               "every_strategy": fits(total(table.values()), scenario.resources.budget,
                                      scenario.resources.staff_fte),
               "every_strategy_cost": _r(total(table.values()).cost, 0)}
    usual: dict[str, Any] = {"from": first.quarter.label, "to": quarters[-1].label,
                             "growth": growth}
    if bau_track is not None:
        usual["on_track"] = _band(bau_track)
    context["business_as_usual"] = usual
    return docs, effects, context


def _on_track(sc: Scenario, end: QuarterResult, takers: np.ndarray) -> np.ndarray | None:
    """Per replication (R,), the % of ``takers`` on track at the end of the year; None
    without course grades (or nobody taking them)."""
    if sc.courses is None or end.courses is None or not takers.any():
        return None
    return 100.0 * end.courses.on_track(sc.courses)[:, takers].mean(axis=1, dtype=np.float64)


def _bau_growth(sc: Scenario, grades: np.ndarray, first: QuarterResult, end: QuarterResult,
                mask: np.ndarray, sd: np.ndarray) -> dict[str, dict[str, float]]:
    """Per subject, the priority school(s)' growth under business as usual from the first
    benchmark to the last (SD of the first quarter's scores; mean and band across
    replications) beside the grade norms' growth over the same span for the same
    students (``norm``)."""
    t0, t1 = first.quarter.ends_at, end.quarter.ends_at
    out: dict[str, dict[str, float]] = {}
    for j, subject in enumerate(sc.subjects):
        gain = (end.scores[j][:, mask].mean(axis=1, dtype=np.float64)
                - first.scores[j][:, mask].mean(axis=1, dtype=np.float64)) / sd[j]
        norm = np.mean([subject.norms[int(g)].at(t1) - subject.norms[int(g)].at(t0)
                        for g in grades]) / sd[j]
        out[subject.id] = {**_band(gain), "norm": _r(norm)}
    return out


# --------------------------------------------------------------------------- signals


def need_groups(need: Need) -> list[Group]:
    """The groups, among those a strand view can be narrowed to, that have the need: its
    subgroups, else its grades, else all students. (A need of some subgroups in some
    grades is looked for by subgroup: the views do not cross grade with subgroup. A need
    among chronically absent students is looked for the same way: no strand view is
    narrowed to chronically absent students.)"""
    if need.subgroups:
        return [Group(subgroup=g) for g in need.subgroups]
    return [Group(grade=g) for g in need.grades] or [EVERYONE]


def need_shows(sim: Simulation, shown: list[QuarterResult], need: Need, group: Group) -> bool:
    """Whether ``need`` shows for ``group`` in a quarter ``shown`` at a meeting (every
    benchmark so far is a column of the view), replication 0, at one of the need's schools,
    judged on the figures the view prints as the reveal judges them.

    With a strand: the strand view narrowed to the group, the need's strand at least two
    standard errors below the mean of the subject's other strands. Without one: the
    subgroup (or grade) view, the group's row two standard errors below "All students".
    A need on course grades (``course_shift_sd``) shows, too, in the course-grades view:
    for chronically absent students, by attendance, the chronically absent failing two
    standard errors more often than the rest; else by the group, its row two standard
    errors above "All students"."""
    if need.course_shift_sd and sim.scenario.courses is not None and _course_need_shows(
            sim, shown, need, group):
        return True
    subject = sim.scenario.subject(need.subject)
    with_strand = need.strand is not None and len(subject.strands) > 1
    for school in sim.scenario.school_ids(need.schools):
        if with_strand:
            table = build_table(sim, View(need.subject, school, "strand"), group=group)
            strands = table.rows[1:]  # the first row is the overall score
            k = [s.id for s in subject.strands].index(str(need.strand))
            row, others = strands[k], [r for i, r in enumerate(strands) if i != k]
        else:
            breakdown = "grade" if group.grade is not None else "subgroup"
            table = build_table(sim, View(need.subject, school, breakdown))
            label = group.label(sim.scenario)
            row = next((r for r in table.rows[1:] if r.label.lower() == label.lower()),
                       table.rows[0])
            others = [table.rows[0]]
        for q in range(len(shown)):
            rest = sum(o.values[q] for o in others) / len(others)
            rest_se = math.sqrt(sum(o.errors[q] ** 2 for o in others)) / len(others)
            if se_apart(row.values[q], row.errors[q], rest, rest_se) <= -VISIBLE_SE:
                return True
    return False


def _course_need_shows(sim: Simulation, shown: list[QuarterResult], need: Need,
                       group: Group) -> bool:
    for school in sim.scenario.school_ids(need.schools):
        if need.chronically_absent:
            table = build_table(sim, View(COURSES, school, ABSENCE))
            row, rest = table.rows[1], table.rows[2]
        else:
            breakdown = "grade" if group.grade is not None else "subgroup"
            table = build_table(sim, View(COURSES, school, breakdown))
            label = group.label(sim.scenario).lower()
            row = next((r for r in table.rows[1:] if r.label.lower() == label), table.rows[0])
            rest = table.rows[0]
        for q in range(len(shown)):
            if se_apart(row.values[q], row.errors[q], rest.values[q],
                        rest.errors[q]) >= VISIBLE_SE:
                return True
    return False


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean over students and its standard error, as the dashboard prints them."""
    if values.size < 2:
        return math.nan, math.nan
    return float(values.mean(dtype=np.float64)), float(values.std(dtype=np.float64)
                                                        / math.sqrt(values.size))


def comparable(sim: Simulation, strategy: Strategy, served: np.ndarray,
               adopted: QuarterResult | None = None) -> np.ndarray:
    """Students like those served but not served: the strategy's schools, grades and
    subgroups (and, for a strategy for chronically absent students, chronically absent at
    ``adopted``, the benchmark it was chosen on); when it serves all of them, the same
    students at the district's other schools (a view participants can open at district
    level)."""
    s = strategy.serves
    pop = sim.population
    alike_kind = np.ones(pop.n, dtype=bool)
    if s.chronically_absent and adopted is not None:
        threshold = sim.scenario.population.attendance.chronic_threshold * adopted.days_ytd
        alike_kind = adopted.absences_ytd[0] >= np.float32(threshold)
    alike = pop.eligible(s.schools, s.grades, s.subgroups) & alike_kind & ~served
    if np.count_nonzero(alike) >= 2:
        return alike
    return pop.eligible("all", s.grades, s.subgroups) & alike_kind & ~served


def strategy_shows(sim: Simulation, strategy: Strategy, adopted: QuarterResult,
                   res: QuarterResult) -> bool:
    """Whether a pair sees ``strategy`` working at a meeting (benchmark ``res``; adopted at
    the meeting of benchmark ``adopted``), replication 0: for a subject it teaches, its
    served students' mean gain since adoption at least two standard errors above that of
    comparable unserved students (:func:`comparable`); for a strategy on attendance
    alone, their days absent since adoption two standard errors below; for one on course
    grades, the course grades they fail two standard errors fewer than at adoption,
    beyond the comparable students' change."""
    sc = sim.scenario
    act = sim.active.get(strategy.id)
    if act is None:
        return False
    served = act.served[0]
    other = comparable(sim, strategy, served, adopted)
    changes: list[np.ndarray] = []
    for subject in strategy.subjects:
        j = [s.id for s in sc.subjects].index(subject)
        changes.append(res.scores[j][0] - adopted.scores[j][0])
    if not strategy.subjects and strategy.attendance_effect:
        changes.append(-(res.absences_ytd[0] - adopted.absences_ytd[0]).astype(np.float64))
    if strategy.course_effect and res.courses is not None and adopted.courses is not None:
        taking = sim.population.takes_courses
        served, other = served & taking, other & taking
        changes.append(-(res.courses.failures[0].astype(np.float64)
                         - adopted.courses.failures[0]))
    return any(se_apart(*_mean_se(c[served]), *_mean_se(c[other])) >= VISIBLE_SE for c in changes)


def _later_meetings(sim: Simulation) -> Iterator[str]:
    """Carry ``sim`` to the end of the year, yielding the id of each meeting it reaches."""
    while not sim.finished:
        sim.run_until_meeting()
        meeting = sim.meeting_due()
        if meeting is not None:
            yield meeting.id


def _seeds(scenario: Scenario, seeds: int, tick: Callable[[], None]
           ) -> tuple[dict[str, dict[str, dict[str, int]]], dict[str, dict[str, int]]]:
    """Counts over seeds: need -> group -> meeting -> seeds it showed (group "any": in at
    least one of its views); strategy -> later meeting -> seeds it showed working."""
    meetings = [m.id for m in scenario.calendar.meetings]
    needs = {n.id: {key: dict.fromkeys(meetings, 0)
                    for key in ["any", *(str(g) for g in need_groups(n))]}
             for n in scenario.needs}
    shown = {s.id: dict.fromkeys(meetings[1:], 0) for s in scenario.strategies}
    for seed in range(seeds):
        start = Simulation(scenario, seed=seed, replications=1)
        replay(start, [])
        adopted = start.latest
        assert adopted is not None
        bau = start.fork()
        for meeting in itertools.chain([meetings[0]], _later_meetings(bau)):  # lazily
            for need in scenario.needs:
                hits = [need_shows(bau, bau.history, need, g) for g in need_groups(need)]
                needs[need.id]["any"][meeting] += any(hits)
                for g, hit in zip(need_groups(need), hits, strict=True):
                    needs[need.id][str(g)][meeting] += hit
        for strategy in scenario.strategies:
            sim = start.fork()
            sim.decide([Decision(strategy.id)])
            for meeting in _later_meetings(sim):
                assert sim.latest is not None
                shown[strategy.id][meeting] += strategy_shows(sim, strategy, adopted,
                                                              sim.latest)
        tick()
    return needs, shown


# --------------------------------------------------------------------------- the document


def calibrate(scenario: Scenario, replications: int = DEFAULT_REPLICATIONS,
              seeds: int = DEFAULT_SEEDS, progress: Progress | None = None) -> dict[str, Any]:
    """The calibration document (CONTRACTS.md, ``pmsim scenario calibrate``)."""
    if replications < 2 or seeds < 1:
        raise ValueError("calibration needs at least 2 replications and 1 seed")
    done = [0]
    # Prices as a team sees them at the first meeting of seed MONTE_CARLO_SEED.
    table = prices(first_meeting(scenario, MONTE_CARLO_SEED, 1))
    found = affordable_bundles(scenario, table, limit=MAX_PLANS)
    if found is None:
        raise CalibrationError(
            f"scenario '{scenario.id}' affords more than {MAX_PLANS:,} bundles of strategies "
            "at the first meeting: its budget and staff hardly constrain the choice; lower "
            "resources.budget or resources.staff_fte, or offer fewer strategies")
    bundles = found
    units = 1 + len(bundles) + seeds

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], units)

    plans, effects, context = _plans(scenario, table, bundles, replications, tick)
    need_counts, shown = _seeds(scenario, seeds, tick)
    needs = [{"id": n.id, "name": n.name,
              "detected": {m: _r(c / seeds, 2) for m, c in need_counts[n.id]["any"].items()},
              "groups": [{"group": key, "name": Group.of(key).label(scenario),
                          "detected": {m: _r(c / seeds, 2) for m, c in counts.items()}}
                         for key, counts in need_counts[n.id].items() if key != "any"]}
             for n in scenario.needs]
    strategies = []
    for st in scenario.strategies:
        rng = published_range(st)
        strategies.append({
            "id": st.id, "name": st.name,
            "visible": {m: _r(c / seeds, 2) for m, c in shown[st.id].items()},
            "addresses": sorted(k for k, v in st.need_effects.items() if v > 0),
            "effect_sd_per_year": effects.get(st.id),
            "published": {"kind": rng.kind, "low": rng.low, "high": rng.high,
                          "source": rng.source}})
    doc: dict[str, Any] = {
        "scenario": scenario.id, "replications": replications, "seeds": seeds,
        "monte_carlo": context, "plans": plans, "needs": needs, "strategies": strategies}
    doc["warnings"] = warnings(scenario, doc)
    return doc


def _outcome(doc: dict[str, Any], strategy: str, subject: str) -> float | None:
    plan = next((p for p in doc["plans"] if p["strategies"] == [strategy]), None)
    if plan is None or subject not in plan["outcomes"]:
        return None
    return plan["outcomes"][subject]["mean"]


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def warnings(scenario: Scenario, doc: dict[str, Any]) -> list[str]:
    """What keeps the scenario from teaching what it intends, in plain sentences."""
    out: list[str] = []
    first = scenario.calendar.meetings[0]
    later = [m.id for m in scenario.calendar.meetings[1:]]
    strategies = {s["id"]: s for s in doc["strategies"]}
    for need in doc["needs"]:
        share = need["detected"][first.id]
        if share < FOUND_SHARE:
            out.append(f"The need '{need['name']}' shows in only {_pct(share)} of seeds at "
                       f"{first.title.split(' — ')[0]}, where the plan is chosen (at least "
                       f"{_pct(FOUND_SHARE)} wanted): most teams could not see it in time.")
        for g in need["groups"]:
            part = g["detected"][first.id]
            if share >= FOUND_SHARE and part < FOUND_SHARE:
                out.append(f"The need '{need['name']}' shows for {g['name']} in only "
                           f"{_pct(part)} of seeds at {first.title.split(' — ')[0]} (at least "
                           f"{_pct(FOUND_SHARE)} wanted): teams would find only part of it.")
    for need in scenario.needs:
        fixes = [s for s in scenario.strategies if s.need_effects.get(need.id, 0) > 0]
        if not fixes:
            out.append(f"No strategy addresses the need '{need.name}': a team that finds it "
                       "has nothing to choose.")
            continue
        fix = max(fixes, key=lambda s: s.need_effects[need.id])
        on_courses = bool(need.course_shift_sd) and scenario.courses is not None
        measure = COURSES if on_courses else need.subject
        fix_gain = _outcome(doc, fix.id, measure)
        distractors = [s for s in scenario.strategies
                       if (need.subject in s.subjects
                           or (on_courses and (s.subjects or s.course_effect)))
                       and not any(v > 0 for v in s.need_effects.values())]
        for d in distractors:
            gain = _outcome(doc, d.id, measure)
            if gain is not None and fix_gain is not None and gain > fix_gain:
                if on_courses:
                    out.append(f"'{d.name}', which addresses no hidden need, puts more "
                               f"students on track than the intended fix '{fix.name}' "
                               f"({gain:+.1f} against {fix_gain:+.1f} points over business "
                               "as usual).")
                    continue
                out.append(f"'{d.name}', which addresses no hidden need, grows "
                           f"{scenario.subject(need.subject).name.lower()} more than the "
                           f"intended fix '{fix.name}' ({gain:+.2f} against {fix_gain:+.2f} "
                           "SD over business as usual).")
            for m in later:
                dv, fv = strategies[d.id]["visible"][m], strategies[fix.id]["visible"][m]
                if dv > 0 and dv >= fv:
                    out.append(f"At {m}, '{d.name}', which addresses no hidden need, looks "
                               f"like it works in {_pct(dv)} of seeds, the intended fix "
                               f"'{fix.name}' in {_pct(fv)}.")
    for s in doc["strategies"]:
        rng, effect = s["published"], s["effect_sd_per_year"]
        if not effect:
            continue
        for subject, value in effect.items():
            if not rng["low"] <= value <= rng["high"]:
                out.append(f"'{s['name']}' alone moves its served students' "
                           f"{scenario.subject(subject).name.lower()} by {value:+.2f} SD a "
                           f"year, outside the published {rng['low']:+.2f} to "
                           f"{rng['high']:+.2f} for {rng['kind']} ({rng['source']}).")
    mc = doc["monte_carlo"]
    bau = mc["business_as_usual"]
    span = f"from {bau['from']} to {bau['to']}"
    where = ", ".join(s.short for s in scenario.priority_schools)
    for subject, g in bau["growth"].items():
        name = scenario.subject(subject).name.lower()
        if g["p10"] <= 0:
            out.append(f"Under business as usual, {where} {name} does not reliably grow {span} "
                       f"({g['mean']:+.3f} SD, {g['p10']:+.3f} at the 10th percentile, where "
                       f"the grade norms grow {g['norm']:+.3f}): "
                       "a state officer would stop believing the data. The drags (the "
                       "school's growth_sd, subgroups' growth_shift_sd, needs' "
                       "growth_penalty_sd, absences) together cancel the norms' growth.")
        elif g["mean"] >= g["norm"]:
            out.append(f"Under business as usual, {where} {name} grows as fast as the grade "
                       f"norms {span} ({g['mean']:+.3f} SD against {g['norm']:+.3f}): its "
                       "students are not falling behind, and the routine has nothing to fix.")
    if mc["every_strategy"] and len(scenario.strategies) > 1:
        out.append(f"The budget (${scenario.resources.budget:,.0f}, "
                   f"{scenario.resources.staff_fte:g} staff) affords every strategy at once "
                   f"(${mc['every_strategy_cost']:,.0f}): no choice has to be made.")
    return out


# --------------------------------------------------------------------------- the table


def _columns(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                      for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
            for r in rows]


def calibration_table(scenario: Scenario, doc: dict[str, Any]) -> str:
    """The document as aligned plain text, one section per part."""
    mc = doc["monte_carlo"]
    subjects = [s.id for s in scenario.subjects]
    lines = [f"Calibration of {scenario.title}",
             f"{doc['replications']:,} replications (seed {mc['seed']}), {doc['seeds']} seeds",
             "", f"Plans: gain at the priority school(s) over business as usual, "
             f"{mc['baseline']} to {mc['end']}, SD of the first quarter's scores "
             "(mean [p10, p90])"]
    graded = scenario.courses is not None
    rows = [["Plan", "Cost", *(scenario.subject(s).name for s in subjects),
             *(["On track (points)"] if graded else [])]]
    for p in sorted(doc["plans"], key=lambda p: -sum(p["outcomes"][s]["mean"]
                                                      for s in subjects)):
        track = p["outcomes"].get(COURSES)
        rows.append([", ".join(p["strategies"]) or "business as usual", f"${p['cost']:,.0f}",
                     *(f"{o['mean']:+.3f} [{o['p10']:+.3f}, {o['p90']:+.3f}]"
                       for o in (p["outcomes"][s] for s in subjects)),
                     *([f"{track['mean']:+.1f} [{track['p10']:+.1f}, {track['p90']:+.1f}]"
                        if track else "—"] if graded else [])])
    lines += _columns(rows, {1})
    bau = mc["business_as_usual"]
    lines += ["", f"Business as usual: growth at the priority school(s), {bau['from']} to "
              f"{bau['to']}, SD of the first quarter's scores (mean [p10, p90]), beside the "
              "grade norms' growth for the same students"]
    rows = [["Subject", "Growth", "Norms"]]
    rows += [[scenario.subject(k).name, f"{g['mean']:+.3f} [{g['p10']:+.3f}, {g['p90']:+.3f}]",
              f"{g['norm']:+.3f}"] for k, g in bau["growth"].items()]
    lines += _columns(rows, set())
    if "on_track" in bau:
        t = bau["on_track"]
        lines += [f"On track at {bau['to']}: {t['mean']:.1f} % [{t['p10']:.1f}, "
                  f"{t['p90']:.1f}] of the students taking {scenario.courses.name.lower()}"
                  if scenario.courses else ""]
    meetings = [m.id for m in scenario.calendar.meetings]
    lines += ["", "Needs: share of seeds in which the need shows beyond two standard errors"]
    rows = [["Need", "Group", *meetings]]
    for n in doc["needs"]:
        rows.append([n["id"], "any view", *(_pct(n["detected"][m]) for m in meetings)])
        rows += [["", g["name"], *(_pct(g["detected"][m]) for m in meetings)]
                 for g in n["groups"]]
    lines += _columns(rows, set(range(2, 2 + len(meetings)))) if doc["needs"] else ["  (none)"]
    lines += ["", "Strategies, adopted alone at the first meeting: share of seeds in which "
              "the served students beat comparable unserved ones beyond two standard errors; "
              "effect on the served, SD a year"]
    rows = [["Strategy", *meetings[1:], "Effect", "Published"]]
    for s in doc["strategies"]:
        effect = s["effect_sd_per_year"]
        eff = ", ".join(f"{k} {v:+.2f}" for k, v in effect.items()) if effect else "—"
        rows.append([s["id"], *(_pct(s["visible"][m]) for m in meetings[1:]), eff,
                     f"{s['published']['low']:+.2f} to {s['published']['high']:+.2f}"])
    lines += _columns(rows, set(range(1, len(meetings))))
    lines += ["", "Warnings"]
    lines += [f"- {w}" for w in doc["warnings"]] or ["  none: the scenario teaches what it "
                                                      "intends"]
    return "\n".join(lines)
