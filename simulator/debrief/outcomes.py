"""Student outcomes, scored apart from the practice of performance management.

A debrief rates the routine; this module says what the decisions did for the
students at the priority school(s), against two yardsticks:

* **business as usual** — the same year with no decisions at all;
* **the best affordable bundle** — the set of strategies, adopted at the first
  meeting, that would have grown students most within the scenario's budget and
  staff (searched: every affordable bundle screened with a few replications, or,
  when there are too many, greedy plus local search among the strategies that did
  best alone, screening at most ``SEARCH_LIMIT`` bundles however many strategies a
  scenario offers; the best few confirmed with all of them).

Every plan is replayed ``replications`` times from the session's seed. The
engine keys every random stream by name, so the plans share their random
numbers: a difference between two plans is the decisions, not the dice.
Replication 0 *is* the session's own playthrough, so the spread across
replications says how much of the session's result was luck — a good routine
can meet bad luck, and the debrief says so in plain words.

Growth is measured per subject from the last benchmark before the first
decision (the first meeting's quarter) to the end of the year: the change in
the mean scale score and in the percentage of students on benchmark. The groups a
session's targets and decisions named are measured the same way on the same
replications — in a subject, on a strand (the change in the mean strand score) or on
attendance (the share chronically absent at the end of the year).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from simulator import __version__
from simulator.engine.metrics import students
from simulator.engine.playthrough import Plan, first_meeting_plan, replay
from simulator.engine.population import Population, build_population
from simulator.engine.pricing import Price, Priced, at_meetings, fits, price, total
from simulator.engine.simulation import Decision, QuarterResult, Simulation
from simulator.formats.atomic import write_atomic
from simulator.formats.refs import (
    ATTENDANCE,
    COURSE_MEASURES,
    COURSES,
    DISTRICT,
    EVERYONE,
    Group,
    Metric,
)
from simulator.formats.scenario import Scenario

BAND = (10, 90)
"""Percentiles of the band reported around a plan's result."""
SCREEN_REPLICATIONS = 16
"""Replications per bundle while searching; the finalists get the full number."""
FINALISTS = 4
"""How many screened bundles are confirmed with the full number of replications."""
EXHAUSTIVE_LIMIT = 256
"""Screen every affordable bundle when there are at most this many; otherwise search."""
SEARCH_LIMIT = 256
"""Bundles the greedy + local search may screen: each costs a simulated year, and the
number of bundles grows as 2 to the number of strategies."""
CANDIDATES = 16
"""Strategies the greedy + local search combines: those that did best alone."""
PRESCREEN_REPLICATIONS = 4
"""Replications per strategy when each is tried alone to choose the candidates: enough,
on common random numbers, to rank them; few, since every strategy is tried."""
CACHE_VERSION = 2
"""Bump when the search or the figures change, so old cache files are ignored."""
CACHE_MAX_BYTES = 1 << 20
"""A cached search result is a few hundred bytes; anything bigger is not one."""
_log = logging.getLogger(__name__)

PLAYED = "played"
BUSINESS_AS_USUAL = "business_as_usual"
BEST = "best"
LABELS = {
    PLAYED: "Your decisions",
    BUSINESS_AS_USUAL: "Business as usual (no decisions)",
    BEST: "Best affordable bundle",
}


# --------------------------------------------------------------------------- bundles


def prices(start: Simulation) -> dict[str, Price]:
    """Each strategy's price if adopted at the first meeting as the scenario defines it."""
    return {st.id: price(start, Decision(st.id)) for st in start.scenario.strategies}


def bundle_price(table: dict[str, Price], bundle: Iterable[str]) -> Price:
    return total(table[s] for s in bundle)


def affordable(scenario: Scenario, price: Price) -> bool:
    """Within the scenario's budget and staff at the start of the year."""
    res = scenario.resources
    return fits(price, res.budget, res.staff_fte)


def affordable_bundles(
    scenario: Scenario, table: dict[str, Price], limit: int | None = None
) -> list[tuple[str, ...]] | None:
    """Every non-empty affordable bundle in scenario order, or None if there are more than
    ``limit``. Depth-first with pruning: a bundle over budget has no affordable superset."""
    ids = [s.id for s in scenario.strategies]
    out: list[tuple[str, ...]] = []

    def grow(start: int, bundle: tuple[str, ...], sofar: Price) -> bool:
        for i in range(start, len(ids)):
            nxt = total((sofar, table[ids[i]]))
            if not affordable(scenario, nxt):
                continue
            out.append((*bundle, ids[i]))
            if limit is not None and len(out) > limit:
                return False
            if not grow(i + 1, (*bundle, ids[i]), nxt):
                return False
        return True

    return out if grow(0, (), Price(0.0, 0.0)) else None


# --------------------------------------------------------------------------- running plans


@dataclass
class Year:
    """One plan over the whole year, per replication."""

    score_change: np.ndarray  # (J, R) change in mean scale score at the priority schools
    pct_change: np.ndarray  # (J, R) change in % on benchmark, percentage points
    objective: np.ndarray  # (R,) mean over the measures of their change in SD units
    baseline: str
    end: str
    strand_change: tuple[np.ndarray, ...] = ()
    """Per subject: (S_j, R) change in each strand's mean score."""
    chronic: np.ndarray | None = None
    """(R,) % of the students chronically absent at the end (days missed so far at least
    the scenario's ``chronic_threshold`` of the days so far)."""
    groups: list[Year] | None = None
    """The same figures for each target group's mask, in the order run_plan was given."""
    on_track: np.ndarray | None = None
    """(R,) % of the students taking the courses on track at the end (scenarios with
    course grades)."""
    failing: np.ndarray | None = None
    """(R,) % of them failing at least one course in the last quarter."""
    course_students: int = 0
    """Students the course figures are about."""


def priority_mask(scenario: Scenario, population: Population) -> np.ndarray:
    """Which students attend a priority school (the school the outcomes are about)."""
    idx = [i for i, s in enumerate(scenario.schools) if s.priority]
    return np.isin(population.school, idx)


def _probit(pct: np.ndarray, n: int) -> np.ndarray:
    """Shares (percent, per replication) as normal quantiles, kept half a student from 0
    and 100 % so that every share has a finite one."""
    edge = 0.5 / max(n, 1)
    inv = NormalDist().inv_cdf
    return np.array([inv(min(max(p / 100.0, edge), 1.0 - edge)) for p in pct])


def _growth(
    scenario: Scenario, mask: np.ndarray, base: QuarterResult, end: QuarterResult,
    *, detail: bool = False, takes: np.ndarray | None = None,
) -> Year:
    """The growth of the students in ``mask``; with ``detail`` (a target group's) also
    their strands' and their chronic absence; with ``takes`` (who takes the courses, in a
    scenario with course grades) also the share of them on track and failing at the end.

    The objective is the mean over the measures of their change in SD units: each
    subject's mean scale score over its student SD and, with course grades, the change
    in the share on track as a shift of a normal curve (the probit of the end share
    minus that of the start's projection): the scenario's measures count alike."""
    j = len(scenario.subjects)
    r = base.scores.shape[1]
    score = np.empty((j, r))
    pct = np.empty((j, r))
    for k in range(j):
        b, e = base.scores[k][:, mask], end.scores[k][:, mask]
        score[k] = e.mean(axis=1, dtype=np.float64) - b.mean(axis=1, dtype=np.float64)
        on_e = (e >= end.cuts[k][mask]).mean(axis=1, dtype=np.float64)
        on_b = (b >= base.cuts[k][mask]).mean(axis=1, dtype=np.float64)
        pct[k] = 100.0 * (on_e - on_b)
    sds = np.array([np.mean(list(s.student_sd.values())) for s in scenario.subjects])
    measures = list(score / sds[:, None])
    on_track = failing = None
    takers = mask & takes if takes is not None else None
    courses = scenario.courses
    count = 0
    if (courses is not None and takers is not None and takers.any()
            and base.courses is not None and end.courses is not None):
        count = int(np.count_nonzero(takers))
        on_track = 100.0 * end.courses.on_track(courses)[:, takers].mean(axis=1,
                                                                         dtype=np.float64)
        start = 100.0 * base.courses.on_track(courses)[:, takers].mean(axis=1,
                                                                      dtype=np.float64)
        failing = 100.0 * (end.courses.failures[:, takers] > 0).mean(axis=1,
                                                                    dtype=np.float64)
        measures.append(_probit(on_track, count) - _probit(start, count))
    objective = np.mean(measures, axis=0)
    if not detail:
        return Year(score, pct, objective, base.quarter.label, end.quarter.label,
                    on_track=on_track, failing=failing, course_students=count)
    strands = tuple(e[:, :, mask].mean(axis=2, dtype=np.float64)
                    - b[:, :, mask].mean(axis=2, dtype=np.float64)
                    for b, e in zip(base.strand_scores, end.strand_scores, strict=True))
    threshold = scenario.population.attendance.chronic_threshold
    chronic = 100.0 * (end.absences_ytd[:, mask] >= threshold * end.days_ytd).mean(
        axis=1, dtype=np.float64)
    return Year(score, pct, objective, base.quarter.label, end.quarter.label, strands, chronic,
                on_track=on_track, failing=failing, course_students=count)


def first_meeting(
    scenario: Scenario, seed: int, replications: int, population: Population | None = None
) -> Simulation:
    """A simulation brought to the first meeting: every plan shares these quarters."""
    sim = Simulation(scenario, seed=seed, replications=replications, keep_history=False,
                     population=population)
    replay(sim, [])
    return sim


def run_plan(
    scenario: Scenario,
    seed: int,
    plan: Plan,
    replications: int,
    *,
    population: Population | None = None,
    upto: int | None = None,
    start: Simulation | None = None,
    groups: list[np.ndarray] | None = None,
) -> Year:
    """Replay ``plan`` (closed meetings and their decisions) and carry on to the end of
    the year — or to quarter index ``upto`` — with whatever strategies are running.

    ``start`` (from :func:`first_meeting`, same seed and replications) saves
    simulating the quarters before the first meeting again; it is not changed.
    """
    sim = start.fork() if start else first_meeting(scenario, seed, replications, population)
    base = sim.latest
    last = len(scenario.calendar.quarters) - 1 if upto is None else upto
    replay(sim, plan, through=last)
    # A meeting comes at the end of a quarter, so a benchmark stands before the first one.
    assert base is not None and sim.latest is not None
    year = _growth(scenario, priority_mask(scenario, sim.population), base, sim.latest,
                   takes=sim.population.takes_courses)
    year.groups = [_growth(scenario, m, base, sim.latest, detail=True,
                           takes=sim.population.takes_courses) for m in groups or []]
    return year


def first_bundle(scenario: Scenario, plan: Plan) -> tuple[str, ...] | None:
    """The strategies adopted at the first meeting, if that is all the plan ever decided
    (untargeted); None for any other plan."""
    if not plan or plan[0][0] != scenario.calendar.meetings[0].id:
        return None
    if any(decisions for _, decisions in plan[1:]):
        return None
    first = plan[0][1]
    if any(d.get("action") != "adopt" or d.get("options") for d in first):
        return None
    order = [s.id for s in scenario.strategies]
    return tuple(sorted({d["strategy"] for d in first}, key=order.index))


def adopted(plan: Plan) -> list[str]:
    """Every strategy the plan adopted at some meeting, in order, once."""
    return list(dict.fromkeys(
        d["strategy"] for _, decisions in plan for d in decisions if d.get("action") == "adopt"
    ))


# --------------------------------------------------------------------------- target groups


TargetKind = Literal["subject", "strand", "attendance", "course"]
"""What a target group's row measures: a subject's scale score and share on benchmark, one
strand's score, the share chronically absent, or (of the students taking the courses) the
shares on track and failing a course."""
TARGET_LISTS: dict[TargetKind, str] = {"subject": "targets", "strand": "target_strands",
                                       "attendance": "target_attendance",
                                       "course": "target_courses"}
"""Where each kind of target group's rows go in the outcomes document."""


@dataclass(frozen=True)
class TargetGroup:
    """A group of students a target or a decision named, in one subject, one strand of a
    subject, attendance (``subject`` is then ``attendance``) or course grades (``courses``)."""

    subject: str
    group: Group
    school: str | None
    """The school a target's metric names; None for a decision's: the priority school(s)."""
    source: str
    """"target" or "decision"."""
    strand: str | None = None
    """The strand of ``subject`` the row is measured on; None for the whole subject."""

    @property
    def kind(self) -> TargetKind:
        if self.subject == ATTENDANCE:
            return "attendance"
        if self.subject == COURSES:
            return "course"
        return "strand" if self.strand is not None else "subject"

    def key(self, priority: tuple[str, ...]) -> tuple[str, str | None, str, tuple[str, ...]]:
        """What makes two rows the same: the measure, the group and its school(s). A
        decision's row is at the ``priority`` school(s), so a target at the one priority
        school repeats it; grade 5 at one school and grade 5 at another are two rows."""
        schools = (self.school,) if self.school is not None else priority
        return (self.subject, self.strand, str(self.group), schools)


def decided_measures(scenario: Scenario, strategy_id: object) -> list[tuple[str, str | None]]:
    """What a decision on ``strategy_id`` may move, as (subject, strand) pairs: each subject
    the strategy teaches, then the strand where each hidden need it remediates shows (in one
    of those subjects); for an attendance strategy (an attendance effect and no subject),
    attendance; for a strategy with a course effect, in a scenario with course grades, the
    courses. Nothing for a strategy the scenario does not define."""
    strategy = next((st for st in scenario.strategies if st.id == strategy_id), None)
    if strategy is None:
        return []
    out: list[tuple[str, str | None]] = [(s, None) for s in strategy.subjects]
    needs = {n.id: n for n in scenario.needs}
    for need_id, effect in strategy.need_effects.items():
        need = needs.get(need_id)
        if (effect > 0 and need is not None and need.strand is not None
                and need.subject in strategy.subjects):
            out.append((need.subject, need.strand))
    if not strategy.subjects and strategy.attendance_effect:
        out.append((ATTENDANCE, None))
    if scenario.courses is not None and strategy.course_effect > 0:
        out.append((COURSES, None))
    return list(dict.fromkeys(out))


def target_groups(
    scenario: Scenario, targets: Iterable[Mapping[str, Any]], plan: Plan
) -> list[TargetGroup]:
    """The groups the session aimed at, once each in the order first named.

    First every target's metric: a subject's % on benchmark for a grade or subgroup (a
    whole school's is the school-wide figure already), or chronic absence for a school, a
    grade or a subgroup, or (with course grades) the share failing or on track for a grade
    or subgroup. Then every grade and subgroup a decision's options named, in
    what the decided strategy may move (:func:`decided_measures`): the subjects it
    teaches, the strand of each need it remediates, or attendance. A target metric names
    no strand (``MEASURE:SUBJECT:SCHOOL:GROUP``), so strand rows come from decisions."""
    subjects = {s.id for s in scenario.subjects}
    schools = {s.id for s in scenario.schools}
    priority = tuple(s.id for s in scenario.priority_schools)
    found: dict[tuple[str, str | None, str, tuple[str, ...]], TargetGroup] = {}

    def add(target: TargetGroup) -> None:
        found.setdefault(target.key(priority), target)

    for fields in targets:
        try:
            metric = Metric.parse(str(fields.get("metric")))
        except ValueError:
            continue  # a free-text metric names no group
        if metric.group.problem(scenario) is not None or metric.school not in schools:
            continue
        if metric.measure == "pct" and metric.subject in subjects and metric.group != EVERYONE:
            add(TargetGroup(metric.subject, metric.group, metric.school, "target"))
        elif metric.measure == "chronic":
            add(TargetGroup(ATTENDANCE, metric.group, metric.school, "target"))
        elif (metric.measure in COURSE_MEASURES and scenario.courses is not None
              and metric.group != EVERYONE):
            add(TargetGroup(COURSES, metric.group, metric.school, "target"))
    named: dict[Group, dict[tuple[str, str | None], None]] = {}
    for _, decisions in plan:
        for d in decisions:
            options = d.get("options") or {}
            groups = [Group(grade=g) for g in options.get("grades") or ()
                      if isinstance(g, int) and not isinstance(g, bool)]
            groups += [Group(subgroup=str(g)) for g in options.get("subgroups") or ()]
            measures = decided_measures(scenario, d.get("strategy"))
            for group in groups:
                named.setdefault(group, {}).update(dict.fromkeys(measures))
    for group, moved in named.items():
        if group.problem(scenario) is None:
            for subject, strand in moved:
                add(TargetGroup(subject, group, None, "decision", strand))
    return list(found.values())


def group_mask(scenario: Scenario, population: Population, target: TargetGroup) -> np.ndarray:
    """The target group's students: at the school its metric names, or at the priority
    school(s) for a decision's group."""
    if target.school is not None:
        return students(population, target.school, target.group)
    return priority_mask(scenario, population) & students(population, DISTRICT, target.group)


def _per_replication(target: TargetGroup, scenario: Scenario, year: Year
                     ) -> dict[str, np.ndarray]:
    """The row's figures for one plan, per replication: ``score`` and ``pct`` for a
    subject, ``score`` for a strand (strands have no cut score), ``chronic`` for
    attendance, ``on_track`` and ``failing`` for course grades."""
    if target.kind == "attendance":
        assert year.chronic is not None
        return {"chronic": year.chronic}
    if target.kind == "course":
        assert year.on_track is not None and year.failing is not None
        return {"on_track": year.on_track, "failing": year.failing}
    subject = scenario.subject(target.subject)
    j = scenario.subjects.index(subject)
    if target.kind == "strand":
        k = [t.id for t in subject.strands].index(str(target.strand))
        return {"score": year.strand_change[j][k]}
    return {"score": year.score_change[j], "pct": year.pct_change[j]}


def _target_doc(
    scenario: Scenario, target: TargetGroup, years: dict[str, Year], k: int, count: int
) -> dict[str, Any]:
    """One target group's end-of-year figures: each plan's spread, and the played plan
    minus the others per replication (common random numbers), with the band."""
    figures = {key: _per_replication(target, scenario, year.groups[k])
               for key, year in years.items() if year.groups}
    played = figures[PLAYED]
    differences = []
    for vs in (BUSINESS_AS_USUAL, BEST):
        if vs in figures:
            about = {} if target.kind in ("attendance", "course") else \
                {"subject": target.subject}
            differences.append({"vs": vs, **about,
                                **{m: _band(v - figures[vs][m]) for m, v in played.items()}})
    school = (scenario.school(target.school).name if target.school is not None
              else ", ".join(s.name for s in scenario.priority_schools))
    doc: dict[str, Any] = {}
    if target.kind == "course":
        assert scenario.courses is not None
        doc["name"] = scenario.courses.name
    elif target.kind != "attendance":
        subject = scenario.subject(target.subject)
        doc |= {"subject": subject.id, "subject_name": subject.name}
        if target.kind == "strand":
            strand = next(t for t in subject.strands if t.id == target.strand)
            doc |= {"strand": strand.id, "strand_name": strand.name}
    doc |= {
        "group": str(target.group),
        "group_name": target.group.label(scenario),
        "school": school,
        "source": target.source,
        "students": count,
    }
    if target.kind == "attendance":
        doc["threshold"] = _r(scenario.population.attendance.chronic_threshold, 3)
    if target.kind == "course":
        assert scenario.courses is not None
        bar = scenario.courses.on_track
        doc |= {"credits": _r(bar.credits), "max_failures": bar.max_failures}
    return doc | {
        "plans": {key: {m: spread(v) for m, v in f.items()} for key, f in figures.items()},
        "differences": differences,
    }


# --------------------------------------------------------------------------- the search


@dataclass(frozen=True)
class SearchResult:
    bundle: tuple[str, ...]
    objective: float
    method: str
    screened: int
    confirmed: int


class _Exhausted(Exception):
    """The search has screened as many bundles as it may."""


def search_best(
    scenario: Scenario,
    seed: int,
    replications: int,
    *,
    population: Population | None = None,
    screen_replications: int = SCREEN_REPLICATIONS,
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
    search_limit: int = SEARCH_LIMIT,
) -> SearchResult:
    """The affordable bundle with the highest mean objective (see :class:`Year`).

    Every affordable bundle when there are at most ``exhaustive_limit``; otherwise greedy
    + local search over the :func:`candidates`, stopped after ``search_limit`` bundles.
    """
    pop = population or build_population(scenario, seed)
    screen_r = min(screen_replications, replications)
    start = first_meeting(scenario, seed, screen_r, pop)
    table = prices(start)
    screened: dict[tuple[str, ...], float] = {}
    limit: int | None = None

    def value(bundle: tuple[str, ...]) -> float:
        if bundle not in screened:
            if limit is not None and len(screened) >= limit:
                raise _Exhausted
            screened[bundle] = _objective(scenario, seed, bundle, start)
        return screened[bundle]

    value(())

    every = affordable_bundles(scenario, table, limit=exhaustive_limit)
    if every is not None:
        method = "exhaustive"
        for bundle in every:
            value(bundle)
    else:
        method = "greedy + local search"
        limit = 1 + search_limit  # business as usual is screened already
        pool = candidates(scenario, seed, table, pop, min(PRESCREEN_REPLICATIONS, screen_r))
        _local_search(scenario, table, value, pool)
    finalists = sorted(screened, key=lambda b: (-screened[b], len(b), b))[:FINALISTS]
    if screen_r == replications:
        confirmed = {b: screened[b] for b in finalists}
    else:
        full = first_meeting(scenario, seed, replications, pop)
        confirmed = {b: _objective(scenario, seed, b, full) for b in finalists}
    best = max(confirmed, key=lambda b: (confirmed[b], -len(b)))
    return SearchResult(best, confirmed[best], method, len(screened), len(confirmed))


def candidates(
    scenario: Scenario, seed: int, table: dict[str, Price], population: Population,
    replications: int,
) -> list[str]:
    """The strategies worth combining, in scenario order: each affordable strategy is tried
    alone, and the ``CANDIDATES`` that did best, if better than doing nothing, are kept.

    A strategy that does no good alone is left out of every bundle: strategies add their
    effects, so it would seldom help in company, and leaving it out keeps the search's
    size independent of how many strategies a scenario offers."""
    start = first_meeting(scenario, seed, replications, population)
    nothing = _objective(scenario, seed, (), start)
    gains = {s.id: _objective(scenario, seed, (s.id,), start) - nothing
             for s in scenario.strategies if affordable(scenario, table[s.id])}
    best = sorted((s for s, gain in gains.items() if gain > 0), key=lambda s: -gains[s])
    kept = set(best[:CANDIDATES])
    return [s for s in gains if s in kept]


def _objective(
    scenario: Scenario, seed: int, bundle: tuple[str, ...], start: Simulation
) -> float:
    year = run_plan(scenario, seed, first_meeting_plan(scenario, bundle),
                    start.replications, start=start)
    return float(year.objective.mean())


def _local_search(
    scenario: Scenario,
    table: dict[str, Price],
    value: Callable[[tuple[str, ...]], float],
    pool: list[str] | None = None,
) -> tuple[str, ...]:
    """Greedy additions, then add / drop / swap moves until none improves, among the
    strategies in ``pool`` (default: all); stops early when ``value`` raises _Exhausted."""
    order = [s.id for s in scenario.strategies] if pool is None else pool

    def canon(ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(ids), key=order.index))

    def ok(bundle: tuple[str, ...]) -> bool:
        return affordable(scenario, bundle_price(table, bundle))

    current: tuple[str, ...] = ()
    try:
        while True:
            adds = [canon((*current, s)) for s in order if s not in current]
            adds = [b for b in adds if ok(b)]
            best = max(adds, key=value, default=None)
            if best is None or value(best) <= value(current):
                break
            current = best
        improved = True
        while improved:
            improved = False
            moves = [canon((*current, s)) for s in order if s not in current]
            moves += [canon(x for x in current if x != s) for s in current]
            moves += [
                canon((*(x for x in current if x != out), inn))
                for out, inn in itertools.product(current, order)
                if inn not in current
            ]
            for b in (m for m in moves if ok(m)):
                if value(b) > value(current):
                    current, improved = b, True
                    break
    except _Exhausted:
        pass
    return current


# --------------------------------------------------------------------------- the cache


def scenario_digest(scenario: Scenario) -> str:
    """sha256 of the validated scenario's canonical JSON (defaults filled in)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_path(cache_dir: Path, scenario: Scenario, seed: int, replications: int) -> Path:
    return cache_dir / f"outcomes-{scenario_digest(scenario)[:24]}-{seed}-{replications}.json"


def _cache_key(scenario: Scenario, seed: int, replications: int) -> dict[str, Any]:
    return {"version": CACHE_VERSION, "pmsim": __version__,
            "scenario_sha256": scenario_digest(scenario), "seed": seed,
            "replications": replications}


def _read_cache(path: Path, key: dict[str, Any], strategies: set[str]) -> SearchResult | None:
    """The cached search result, or None for a miss: no file, another key, or a file that is
    unreadable, truncated, not JSON or not of this shape (it is rebuilt, never trusted)."""
    try:
        doc = json.loads(_read_small_file(path))
    except (OSError, ValueError, RecursionError) as err:
        if not isinstance(err, FileNotFoundError):
            _log.debug("ignoring the outcomes cache %s: %s", path, err)
        return None
    if not isinstance(doc, dict) or doc.get("key") != key:
        return None
    found = _search_result(doc.get("best"), strategies)
    if found is None:
        _log.debug("ignoring the outcomes cache %s: not a search result", path)
    return found


def _read_small_file(path: Path) -> bytes:
    """A regular file's bytes, at most CACHE_MAX_BYTES (a FIFO or a device put in the cache's
    place would otherwise block or fill memory); OSError for anything else."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        raw = f.read(CACHE_MAX_BYTES + 1)
    if len(raw) > CACHE_MAX_BYTES:
        raise OSError(f"{path} is larger than a cache file can be")
    return raw


def _search_result(best: object, strategies: set[str]) -> SearchResult | None:
    """A cached ``best`` entry as a SearchResult, or None unless every field has its type."""
    if not isinstance(best, dict):
        return None
    bundle, objective, method = best.get("bundle"), best.get("objective"), best.get("method")
    screened, confirmed = _count(best.get("screened")), _count(best.get("confirmed"))
    if not isinstance(bundle, list) or not all(isinstance(s, str) and s in strategies
                                               for s in bundle):
        return None
    if (isinstance(objective, bool) or not isinstance(objective, int | float)
            or not math.isfinite(objective) or not isinstance(method, str)
            or screened is None or confirmed is None):
        return None
    return SearchResult(tuple(bundle), float(objective), method, screened, confirmed)


def _count(value: object) -> int | None:
    """A count as JSON holds it (a whole number from 0), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _write_cache(path: Path, key: dict[str, Any], result: SearchResult) -> None:
    """Write atomically; a cache that can't be written is only slower next time."""
    doc = {"key": key, "best": {"bundle": list(result.bundle), "objective": result.objective,
                                "method": result.method, "screened": result.screened,
                                "confirmed": result.confirmed}}
    try:
        write_atomic(path, json.dumps(doc, sort_keys=True))
    except OSError as err:
        _log.debug("could not write the outcomes cache %s: %s", path, err)


def best_bundle(
    scenario: Scenario,
    seed: int,
    replications: int,
    *,
    population: Population | None = None,
    cache_dir: Path | None = None,
) -> SearchResult:
    """:func:`search_best`, remembered on disk under ``cache_dir`` when given."""
    if cache_dir is None:
        return search_best(scenario, seed, replications, population=population)
    path = _cache_path(Path(cache_dir), scenario, seed, replications)
    key = _cache_key(scenario, seed, replications)
    hit = _read_cache(path, key, {s.id for s in scenario.strategies})
    if hit is not None:
        return hit
    result = search_best(scenario, seed, replications, population=population)
    _write_cache(path, key, result)
    return result


# --------------------------------------------------------------------------- the document


def _r(x: float, nd: int = 2) -> float:
    v = round(float(x), nd)
    return 0.0 if v == 0 else v  # no "-0.0" in reports


def spread(values: np.ndarray) -> dict[str, float]:
    """Mean, band, range, replication 0 and where replication 0 falls (percentile rank)."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = np.percentile(v, BAND)
    v0 = v[0]
    rank = 100.0 * (np.count_nonzero(v < v0) + 0.5 * np.count_nonzero(v == v0)) / v.size
    return {"mean": _r(v.mean()), "low": _r(lo), "high": _r(hi), "min": _r(v.min()),
            "max": _r(v.max()), "replication_0": _r(v0), "percentile_0": _r(rank, 0)}


def ordinal(x: float) -> str:
    n = round(x)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def luck_words(percentile: float) -> str:
    """Where a playthrough fell among replays of the same decisions, in plain words."""
    if percentile < BAND[0]:
        return "bad luck"
    if percentile < 25:
        return "somewhat unlucky"
    if percentile <= 75:
        return "typical"
    if percentile <= BAND[1]:
        return "somewhat lucky"
    return "good luck"


def played_price(priced: list[Priced]) -> tuple[Price, bool]:
    """The played plan's price and whether it fitted, from each meeting's price fixed at
    that meeting (:func:`simulator.engine.pricing.at_meetings`, the figures the meeting
    room and the B1 rating show): the most it had in play at once, and whether every
    meeting's decisions fitted what the district had then."""
    if not priced:
        return Price(0.0, 0.0), True
    most = max(priced, key=lambda p: (p.price.cost, p.price.staff_fte)).price
    staff = max(p.price.staff_fte for p in priced)
    return Price(most.cost, staff, most.students), all(p.fits for p in priced)


def _plan_doc(
    scenario: Scenario, key: str, year: Year, strategies: list[str], table: dict[str, Price],
    priced: list[Priced] | None = None,
) -> dict[str, Any]:
    """One plan's figures: a bundle adopted at the first meeting priced from ``table``; the
    played plan from ``priced``, its meetings' own prices (:func:`played_price`)."""
    if priced is None:
        price = bundle_price(table, strategies)
        fitted = affordable(scenario, price)
    else:
        price, fitted = played_price(priced)
    return {
        "id": key,
        "label": LABELS[key],
        "strategies": strategies,
        "names": [scenario.strategy(s).name for s in strategies],
        "cost": _r(price.cost, 0),
        "staff_fte": _r(price.staff_fte),
        "affordable": fitted,
        "objective": _r(year.objective.mean(), 3),
        "growth": [
            {"subject": s.id, "name": s.name, "score": spread(year.score_change[j]),
             "pct": spread(year.pct_change[j])}
            for j, s in enumerate(scenario.subjects)
        ],
    }


def _band(diff: np.ndarray) -> dict[str, float]:
    """A difference over replications: its mean and band."""
    lo, hi = np.percentile(diff, BAND)
    return {"mean": _r(diff.mean()), "low": _r(lo), "high": _r(hi)}


def _difference(scenario: Scenario, a: Year, b: Year, vs: str) -> list[dict[str, Any]]:
    return [{"vs": vs, "subject": s.id,
             "score": _band(a.score_change[j] - b.score_change[j]),
             "pct": _band(a.pct_change[j] - b.pct_change[j])}
            for j, s in enumerate(scenario.subjects)]


def _signed(x: float, unit: str = "") -> str:
    return f"{x:+.1f}{unit}".replace("-", "−")


def beyond_noise(band: dict[str, float]) -> bool:
    """Whether a difference's band leaves out zero."""
    return band["low"] > 0 or band["high"] < 0


def _said(band: dict[str, float], unit: str) -> str:
    """A difference with its band, and whether the band takes in zero."""
    noise = "" if beyond_noise(band) else " — within the noise"
    return (f"{_signed(band['mean'], unit)} ({_signed(band['low'])} to "
            f"{_signed(band['high'])}){noise}")


def _against(target: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A target group's differences with business as usual and the best bundle, and what
    named it."""
    bau = next(d for d in target["differences"] if d["vs"] == BUSINESS_AS_USUAL)
    best = next(d for d in target["differences"] if d["vs"] == BEST)
    by = "a target" if target["source"] == "target" else "a decision"
    return bau, best, f"{target['students']} students at {target['school']}, named by {by}"


def _target_sentence(target: dict[str, Any], school_wide: dict[str, Any]) -> str:
    """One target group against business as usual, beside the school-wide figure."""
    bau, best, who = _against(target)
    return (f"{target['group_name']}, {target['subject_name']} ({who}): "
            "against business as usual your decisions "
            f"changed the group's mean scale score by {_said(bau['score'], '')} and its share "
            f"on benchmark by {_said(bau['pct'], ' points')}, where the school-wide mean "
            f"scale score moved {_signed(school_wide['score']['mean'])}; against the best "
            f"affordable bundle, {_signed(best['score']['mean'])} scale-score points.")


def _strand_sentence(target: dict[str, Any]) -> str:
    """One target group's strand against business as usual and the best bundle."""
    bau, best, who = _against(target)
    return (f"{target['group_name']}, {target['subject_name']}: {target['strand_name']} "
            f"({who}): against business as usual your decisions changed the group's mean "
            f"score on the strand by {_said(bau['score'], '')}; against the best affordable "
            f"bundle, {_said(best['score'], '')}.")


def _attendance_sentence(target: dict[str, Any]) -> str:
    """One target group's chronic absence at the end of the year under each plan."""
    bau, best, who = _against(target)
    share = {key: f"{p['chronic']['mean']:.1f}%" for key, p in target["plans"].items()}
    return (f"{target['group_name']}, chronic absence ({who}): at the end of the year "
            f"{share[PLAYED]} were chronically absent (missing at least "
            f"{100 * target['threshold']:g}% of the days so far) with your decisions, "
            f"{share[BUSINESS_AS_USUAL]} with business as usual and {share[BEST]} with the "
            f"best affordable bundle; against business as usual your decisions changed the "
            f"share by {_said(bau['chronic'], ' points')}, against the best bundle by "
            f"{_said(best['chronic'], ' points')}.")


def _course_target_sentence(target: dict[str, Any]) -> str:
    """One target group's course grades at the end of the year under each plan."""
    bau, best, who = _against(target)
    share = {key: f"{p['on_track']['mean']:.1f}%" for key, p in target["plans"].items()}
    return (f"{target['group_name']}, {target['name']} ({who}): at the end of the year "
            f"{share[PLAYED]} were on track with your decisions, {share[BUSINESS_AS_USUAL]} "
            f"with business as usual and {share[BEST]} with the best affordable bundle; "
            f"against business as usual your decisions changed the share on track by "
            f"{_said(bau['on_track'], ' points')} and the share failing a course by "
            f"{_said(bau['failing'], ' points')}, against the best bundle on track by "
            f"{_said(best['on_track'], ' points')}.")


def _courses_doc(scenario: Scenario, years: dict[str, Year]) -> dict[str, Any] | None:
    """Course grades at the end of the year at the priority school(s): the share on track
    and failing a course under each plan, and the played plan minus the others per
    replication; None without course grades."""
    played = years[PLAYED]
    if scenario.courses is None or played.on_track is None or played.failing is None:
        return None
    plans: dict[str, Any] = {}
    for key, year in years.items():
        if year.on_track is not None and year.failing is not None:
            plans[key] = {"on_track": spread(year.on_track), "failing": spread(year.failing)}
    differences = []
    for vs in (BUSINESS_AS_USUAL, BEST):
        other = years.get(vs)
        if other is not None and other.on_track is not None and other.failing is not None:
            differences.append({"vs": vs, "on_track": _band(played.on_track - other.on_track),
                                "failing": _band(played.failing - other.failing)})
    bar = scenario.courses.on_track
    return {"name": scenario.courses.name, "students": played.course_students,
            "credits": _r(bar.credits), "max_failures": bar.max_failures,
            "plans": plans, "differences": differences}


def _courses_sentence(doc: dict[str, Any], end: str) -> list[str]:
    """On track and failing at the end of the year, under each plan."""
    courses = doc.get("courses")
    if not courses:
        return []
    share = {key: f"{p['on_track']['mean']:.1f}%" for key, p in courses["plans"].items()}
    head = (f"{courses['name']}: at {end} {share[PLAYED]} of the {courses['students']} "
            f"students taking them were on track ({courses['credits']:g} credits or more and "
            f"at most {courses['max_failures']} failed term grade"
            f"{'' if courses['max_failures'] == 1 else 's'}) with your decisions")
    if BUSINESS_AS_USUAL not in share:
        return [head + "."]
    bau = next(d for d in courses["differences"] if d["vs"] == BUSINESS_AS_USUAL)
    best = next(d for d in courses["differences"] if d["vs"] == BEST)
    return [head + f", {share[BUSINESS_AS_USUAL]} with business as usual and "
            f"{share.get(BEST, '—')} with the best affordable bundle; against business as "
            f"usual your decisions changed the share on track by "
            f"{_said(bau['on_track'], ' points')} and the share failing a course in the last "
            f"quarter by {_said(bau['failing'], ' points')}; against the best bundle, on "
            f"track by {_said(best['on_track'], ' points')}."]


def _sentences(
    scenario: Scenario, doc: dict[str, Any], replications: int, complete: bool
) -> list[str]:
    """The outcomes in plain words: luck first, then the yardsticks."""
    plans = {p["id"]: p for p in doc["plans"]}
    played = plans[PLAYED]
    out = []
    window = f"from {doc['baseline']} to {doc['end']}"
    for g in played["growth"]:
        pct = g["pct"]
        words = luck_words(pct["percentile_0"])
        out.append(
            f"{g['name']}: your playthrough moved the share on benchmark "
            f"{_signed(pct['replication_0'], ' points')} {window}. Replayed {replications} "
            f"times with the same decisions, the middle 80% of results ran from "
            f"{_signed(pct['low'])} to {_signed(pct['high'])} points: yours was {words}"
            f" ({ordinal(pct['percentile_0'])} percentile)."
        )
    if any(g["pct"]["percentile_0"] < BAND[0] for g in played["growth"]):
        out.append("A good routine can meet bad luck: judge the decisions by the average over "
                   "replays and the practice by the rubric, not by this one year's numbers.")
    elif any(g["pct"]["percentile_0"] > BAND[1] for g in played["growth"]):
        out.append("Good luck flattered this playthrough: the average over replays is the "
                   "fairer measure of the decisions.")
    for d in doc["differences"]:
        if d["vs"] == BUSINESS_AS_USUAL:
            name = scenario.subject(d["subject"]).name
            sig = "" if d["pct"]["low"] > 0 or d["pct"]["high"] < 0 else \
                " — within the noise"
            out.append(f"{name}: against business as usual your decisions changed the share "
                       f"on benchmark by {_signed(d['pct']['mean'], ' points')} on average "
                       f"({_signed(d['pct']['low'])} to {_signed(d['pct']['high'])}){sig}.")
    if BEST in plans:
        best = plans[BEST]
        names = ", ".join(scenario.strategy(s).name for s in best["strategies"]) or "nothing"
        out.append(f"The best affordable bundle adopted at the first meeting was: {names} "
                   f"(${best['cost']:,.0f}, {best['staff_fte']:g} staff).")
        search = doc.get("search")
        if search and search["method"] != "exhaustive":
            out.append(f"That bundle is the best of the {search['screened']:,} screened out of "
                       f"more than {EXHAUSTIVE_LIMIT:,} affordable ones (combining at most "
                       f"{CANDIDATES} strategies that did best alone): a better one may exist.")
        for d in doc["differences"]:
            if d["vs"] == BEST:
                name = scenario.subject(d["subject"]).name
                out.append(f"{name}: your decisions came {_signed(d['pct']['mean'], ' points')}"
                           " on benchmark against that bundle, on average.")
    school_wide = {d["subject"]: d for d in doc["differences"] if d["vs"] == BUSINESS_AS_USUAL}
    out += [_target_sentence(t, school_wide[t["subject"]]) for t in doc.get("targets", ())]
    out += [_strand_sentence(t) for t in doc.get("target_strands", ())]
    out += [_attendance_sentence(t) for t in doc.get("target_attendance", ())]
    out += [_course_target_sentence(t) for t in doc.get("target_courses", ())]
    out += _courses_sentence(doc, doc["end"])
    if not complete:
        out.append(f"Figures run to {doc['end']}. The comparisons with business as usual "
                   "and with the best affordable bundle come at the final debrief.")
    return out


def outcomes(
    scenario: Scenario,
    seed: int,
    plan: Plan,
    replications: int = 200,
    *,
    cache_dir: Path | None = None,
    upto: int | None = None,
    yardsticks: bool = True,
    targets: Iterable[Mapping[str, Any]] = (),
    priced: Sequence[Priced] | None = None,
) -> dict[str, Any]:
    """Growth at the priority school(s) for the played plan, business as usual and the
    best affordable bundle (see the module docstring).

    ``priced`` is the plan's meetings priced as :func:`simulator.engine.pricing.at_meetings`
    prices them, when the caller has them already (a report's one replay of the session):
    else they are priced here, which replays the year once more.

    ``targets`` (the fields of the session's target records) and the plan's decisions
    name the groups (:func:`target_groups`) whose own growth the final debrief shows
    beside the school-wide figure, against both yardsticks on the same replications.

    ``upto`` (a quarter index) stops the window early. Without ``yardsticks`` only
    the played plan is shown: a debrief before the end of the year says what the
    participants' own decisions have done so far, and does not yet hint, through
    the best bundle, at what the hidden truths are.
    """
    if replications < 2:
        raise ValueError("outcomes need at least 2 replications to show a spread")
    pop = build_population(scenario, seed)
    complete = yardsticks and (upto is None or upto >= len(scenario.calendar.quarters) - 1)
    start = first_meeting(scenario, seed, replications, pop)
    table = prices(start)
    aimed: list[TargetGroup] = []
    masks: list[np.ndarray] = []
    for t in target_groups(scenario, targets, plan) if complete else ():
        mask = group_mask(scenario, pop, t)
        if t.kind == "course":
            mask = mask & pop.takes_courses  # the row is about the group's course takers
        if mask.any():  # a group with no students at the school has no figures to show
            aimed.append(t)
            masks.append(mask)
    played = run_plan(scenario, seed, plan, replications, upto=upto, start=start,
                      groups=masks)
    strategies = adopted(plan)
    plans = [_plan_doc(scenario, PLAYED, played, strategies, table,
                       at_meetings(scenario, seed, plan) if priced is None else list(priced))]
    differences: list[dict[str, Any]] = []
    search: dict[str, Any] | None = None
    if complete:
        bau = run_plan(scenario, seed, [], replications, start=start, groups=masks)
        found = best_bundle(scenario, seed, replications, population=pop, cache_dir=cache_dir)
        best_ids = found.bundle
        mine = first_bundle(scenario, plan)
        if (mine is not None and affordable(scenario, bundle_price(table, mine))
                and float(played.objective.mean()) > found.objective):
            best_ids = mine  # the session found a bundle the search missed
        best = (played if best_ids == mine else
                run_plan(scenario, seed, first_meeting_plan(scenario, best_ids),
                         replications, start=start, groups=masks))
        plans.append(_plan_doc(scenario, BUSINESS_AS_USUAL, bau, [], table))
        plans.append(_plan_doc(scenario, BEST, best, list(best_ids), table))
        differences = (_difference(scenario, played, bau, BUSINESS_AS_USUAL)
                       + _difference(scenario, played, best, BEST))
        search = {"method": found.method, "screened": found.screened,
                  "screen_replications": min(SCREEN_REPLICATIONS, replications),
                  "confirmed": found.confirmed}
    doc: dict[str, Any] = {
        "complete": complete,
        "replications": replications,
        "band": list(BAND),
        "schools": [{"id": s.id, "name": s.name} for s in scenario.priority_schools],
        "baseline": played.baseline,
        "end": played.end,
        "budget": _r(scenario.resources.budget, 0),
        "staff_fte": _r(scenario.resources.staff_fte),
        "plans": plans,
        "differences": differences,
        "search": search,
    }
    years = {PLAYED: played, **({BUSINESS_AS_USUAL: bau, BEST: best} if complete else {})}
    doc["courses"] = _courses_doc(scenario, years)
    rows = [(t.kind, _target_doc(scenario, t, years, k, int(np.count_nonzero(m))))
            for k, (t, m) in enumerate(zip(aimed, masks, strict=True))]
    for kind, key in TARGET_LISTS.items():
        doc[key] = [row for of, row in rows if of == kind]
    doc["summary"] = _sentences(scenario, doc, replications, complete)
    return doc
