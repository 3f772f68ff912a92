"""Dashboard figures computed from quarter results (never inside the model).

Every figure is computed per replication and then summarised as the mean over
replications and the spread across them, so the same code serves a single
playthrough (R = 1, spread 0) and calibration runs (R = 1,000). Within one
replication, ``se`` is the standard error of a group mean — the uncertainty a
dashboard shows for small groups.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field

import numpy as np

from simulator.engine.memory import STAT_ROWS
from simulator.engine.population import Population
from simulator.engine.simulation import QuarterResult, Simulation
from simulator.formats.refs import COURSE_MEASURES, DISTRICT, EVERYONE, Group, Metric
from simulator.formats.scenario import Courses, Scenario


@dataclass(frozen=True)
class ScoreStat:
    """Benchmark figures for one group of students."""

    n: int
    mean_score: float
    sd_score: float
    pct_proficient: float
    mean_score_sd: float
    pct_proficient_sd: float
    se: float
    """Standard error of the group mean in one replication (sd / sqrt(n))."""


@dataclass(frozen=True)
class AttendanceStat:
    n: int
    mean_days_absent: float
    pct_chronic: float
    mean_days_absent_sd: float
    pct_chronic_sd: float


def _summary(per_rep: np.ndarray) -> tuple[float, float]:
    per_rep = np.asarray(per_rep, dtype=np.float64)
    return float(per_rep.mean()), float(per_rep.std()) if per_rep.size > 1 else 0.0


def score_stat(scores: np.ndarray, cuts: np.ndarray, mask: np.ndarray | slice) -> ScoreStat:
    """Figures for students ``mask`` of ``scores`` (R, N) against per-student ``cuts`` (N,)."""
    sel = scores[:, mask]
    n = int(sel.shape[1])
    if n == 0:
        nan = float("nan")
        return ScoreStat(0, nan, nan, nan, 0.0, 0.0, nan)
    means = sel.mean(axis=1, dtype=np.float64)
    sds = sel.std(axis=1, dtype=np.float64)
    pct = 100.0 * (sel >= cuts[mask]).mean(axis=1, dtype=np.float64)
    mean, mean_sd = _summary(means)
    pct_mean, pct_sd = _summary(pct)
    sd = float(sds.mean())
    return ScoreStat(n, mean, sd, pct_mean, mean_sd, pct_sd, sd / np.sqrt(n))


def attendance_stat(
    result: QuarterResult, chronic_threshold: float, mask: np.ndarray | slice
) -> AttendanceStat:
    ytd = result.absences_ytd[:, mask]
    n = int(ytd.shape[1])
    if n == 0:
        nan = float("nan")
        return AttendanceStat(0, nan, nan, 0.0, 0.0)
    days = ytd.mean(axis=1, dtype=np.float64)
    chronic = 100.0 * (ytd >= chronic_threshold * result.days_ytd).mean(axis=1, dtype=np.float64)
    d, d_sd = _summary(days)
    c, c_sd = _summary(chronic)
    return AttendanceStat(n, d, c, d_sd, c_sd)


@dataclass(frozen=True)
class CourseStat:
    """Course-grade figures for one group of students (those of it who take the courses)."""

    n: int
    pct_failing: float
    """% failing at least one course this quarter."""
    mean_failures: float
    """Course grades failed this quarter, per student."""
    mean_credits: float
    """Credits earned so far this year, per student."""
    pct_on_track: float
    """% on track for the year's bar as things stand."""
    pct_failing_sd: float
    pct_on_track_sd: float

    def se(self, pct: float) -> float:
        """Standard error of a percentage of this group in one replication."""
        return pct_se(pct, self.n)


def pct_se(pct: float, n: int) -> float:
    """Standard error of a percentage of ``n`` students in one replication (NaN for none),
    as every dashboard table prints it."""
    if not n:
        return math.nan
    return 100.0 * math.sqrt(max(pct / 100 * (1 - pct / 100), 0.0) / n)


def course_stat(result: QuarterResult, courses: Courses, takes: np.ndarray,
                mask: np.ndarray | slice) -> CourseStat:
    """Course figures of the students ``mask`` (N,) or, per replication, (R, N) who take
    the courses (``takes``, (N,)); n is their mean number over replications."""
    grades = result.courses
    nan = float("nan")
    if grades is None:
        return CourseStat(0, nan, nan, nan, nan, 0.0, 0.0)
    r, n_all = grades.failures.shape
    if isinstance(mask, slice):
        whole = np.zeros(n_all, dtype=bool)
        whole[mask] = True
        mask = whole
    who = np.broadcast_to(np.asarray(mask) & takes, (r, n_all))
    counts = who.sum(axis=1, dtype=np.float64)
    if not counts.any():
        return CourseStat(0, nan, nan, nan, nan, 0.0, 0.0)

    def share(values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(who, values, 0).sum(axis=1, dtype=np.float64) / counts

    failing = 100.0 * share(grades.failures > 0)
    on_track = 100.0 * share(grades.on_track(courses))
    f, f_sd = _summary(failing)
    o, o_sd = _summary(on_track)
    return CourseStat(round(float(counts.mean())), f, float(share(grades.failures).mean()),
                      float(share(grades.credits).mean()), o, f_sd, o_sd)


def _r(x: float, nd: int = 2) -> float | None:
    """``x`` rounded for JSON, or None (null) for a figure that has no value: a group
    without students gives NaN, and JSON has no NaN or Infinity."""
    return round(x, nd) if math.isfinite(x) else None


def _score_json(stat: ScoreStat) -> dict:
    return {
        "n": stat.n,
        "mean_score": _r(stat.mean_score),
        "sd_score": _r(stat.sd_score),
        "pct_proficient": _r(stat.pct_proficient),
        "mean_score_sd": _r(stat.mean_score_sd),
        "pct_proficient_sd": _r(stat.pct_proficient_sd),
        "se": _r(stat.se),
    }


def school_masks(pop: Population, school: int) -> dict[str, np.ndarray]:
    """Boolean masks (over all students) for a school's groups: all and each subgroup."""
    in_school = pop.school == school
    masks = {"all": in_school}
    for gi, g in enumerate(pop.scenario.subgroups):
        masks[g.id] = in_school & pop.member[gi]
    return masks


def students(pop: Population, school: str, group: Group = EVERYONE) -> np.ndarray:
    """Mask (N,) of the students of a school (or the district) in a group."""
    sc = pop.scenario
    if school == DISTRICT:
        mask = np.ones(pop.n, dtype=bool)
    else:
        mask = pop.school == [s.id for s in sc.schools].index(school)
    if group.grade is not None:
        return mask & (pop.grade == group.grade)
    if group.subgroup is not None:
        return mask & pop.member[[g.id for g in sc.subgroups].index(group.subgroup)]
    return mask


def breakdown_groups(pop: Population, base: np.ndarray, breakdown: str
                     ) -> list[tuple[str, np.ndarray]]:
    """The students of ``base`` by grade or by subgroup (label, mask); none for another
    breakdown."""
    sc = pop.scenario
    if breakdown == "grade":
        return [(f"Grade {g}", base & (pop.grade == g)) for g in sc.grades]
    if breakdown == "subgroup":
        return [(g.name, base & pop.member[i]) for i, g in enumerate(sc.subgroups)]
    return []


@dataclass(frozen=True)
class _Groups:
    """The dashboard's groups of students as unions of cells.

    A cell is the students of one school, grade and combination of subgroups: every
    group the JSON reports (a school's students, a subgroup, a grade) is a union of cells.
    Sorting the students by cell once lets one pass over an (R, N) array (a gather and
    ``np.add.reduceat``) give every group's sums for every replication, instead of one
    gather per group.
    """

    order: np.ndarray  # (N,) students sorted by cell
    starts: np.ndarray  # (C,) where each cell starts in ``order``
    cells: np.ndarray  # (C, G) float64, 1 where the cell belongs to the group
    n: list[int]  # (G,) students per group
    index: dict[tuple[int, str | int], int]  # (school, group id or grade) -> column
    work: dict[tuple[int, str], tuple[np.ndarray, ...]] = field(
        default_factory=dict, compare=False, repr=False)
    """:meth:`moments`' chunk buffers by rows and dtype, made once and reused: no fresh
    memory to fault in, call after call."""

    @classmethod
    def of(cls, pop: Population) -> _Groups:
        sc = pop.scenario
        masks: list[np.ndarray] = []
        index: dict[tuple[int, str | int], int] = {}
        for si in range(len(sc.schools)):
            school = school_masks(pop, si)
            by_grade = [(g, school["all"] & (pop.grade == g)) for g in sc.grades]
            keyed: list[tuple[str | int, np.ndarray]] = [*school.items(), *by_grade]
            for key, mask in keyed:
                index[(si, key)] = len(masks)
                masks.append(mask)
        pattern = np.zeros(pop.n, dtype=np.int64)
        for gi in range(len(sc.subgroups)):
            pattern |= pop.member[gi].astype(np.int64) << gi
        key = (pop.school.astype(np.int64) * 13 + pop.grade) << len(sc.subgroups) | pattern
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        member = np.stack(masks, axis=1) if masks else np.zeros((pop.n, 0), dtype=bool)
        cells = member[order[starts]].astype(np.float64)
        return cls(order, starts, cells, [int(m.sum()) for m in masks], index)

    def moments(self, values: np.ndarray, at_least: np.ndarray | float | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group and replication (G, R), in float64: the mean of ``values`` (R, N), the
        mean of their squares and, given ``at_least`` (per student or one figure), the
        share that reach it (else zeros). A chunk of replications at a time, gathered
        once. Sums of float32 scores on a bounded scale (and of day counts) are exact in
        float64 whatever the order, so a group mean has the same bits as numpy's mean of
        the group. An empty group gives NaN."""
        r, g = values.shape[0], len(self.n)
        sums, squares, counts = np.empty((r, g)), np.empty((r, g)), np.zeros((r, g))
        bar = at_least[self.order] if isinstance(at_least, np.ndarray) else at_least
        rows = min(max(STAT_ROWS // max(values.shape[1], 1), 1), r)
        # Buffers reused chunk after chunk: no allocation (nor page faults) per chunk.
        # ``wide`` holds a chunk's values and, below them, whether each reaches the bar:
        # one reduction sums both (counts are exact too).
        taken, wide, reached = self._buffers(rows, values.dtype)
        for lo in range(0, r, rows):
            k = min(rows, r - lo)
            # ``take`` with mode="wrap" skips the bounds check: ``order`` is a permutation.
            np.take(values[lo : lo + k], self.order, axis=1, mode="wrap", out=taken[:k])
            part = wide[:k]
            np.copyto(part, taken[:k])
            if bar is None:
                sums[lo : lo + k] = np.add.reduceat(part, self.starts, axis=1) @ self.cells
            else:
                # The same comparison as in float64: the conversion is exact.
                np.greater_equal(taken[:k], bar, out=reached[:k])
                np.copyto(wide[k : 2 * k], reached[:k])
                both = np.add.reduceat(wide[: 2 * k], self.starts, axis=1) @ self.cells
                sums[lo : lo + k], counts[lo : lo + k] = both[:k], both[k:]
            np.square(part, out=part)
            squares[lo : lo + k] = np.add.reduceat(part, self.starts, axis=1) @ self.cells
        with np.errstate(invalid="ignore", divide="ignore"):
            n = np.array(self.n, dtype=np.float64)
            return sums.T / n[:, None], squares.T / n[:, None], counts.T / n[:, None]


    def _buffers(self, rows: int, dtype: np.dtype) -> tuple[np.ndarray, ...]:
        key = (rows, np.dtype(dtype).str)
        if key not in self.work:
            shape = (rows, len(self.order))
            self.work[key] = (np.empty(shape, dtype=dtype), np.empty((2 * rows, shape[1])),
                              np.empty(shape, dtype=bool))
        return self.work[key]


_cached = threading.local()
"""Per thread (the groups hold buffers), the groups of the population last asked for:
every quarter of a run asks again."""


def groups_of(pop: Population) -> _Groups:
    """:meth:`_Groups.of`, made once per population (the last one this thread asked for)."""
    last: tuple[Population, _Groups] | None = getattr(_cached, "last", None)
    if last is None or last[0] is not pop:
        last = _cached.last = (pop, _Groups.of(pop))
    return last[1]


def _spread(per_rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_summary` of every row of ``per_rep`` (G, R) at once, the same bits as row
    by row: each row is reduced alone, in the same order."""
    per_rep = np.ascontiguousarray(per_rep)
    spread = per_rep.std(axis=1) if per_rep.shape[1] > 1 else np.zeros(per_rep.shape[0])
    return per_rep.mean(axis=1), spread


def _score_stats(groups: _Groups, scores: np.ndarray, cuts: np.ndarray | None
                 ) -> list[ScoreStat]:
    """:func:`score_stat` of every group at once (``pct_proficient`` NaN without cuts)."""
    means, squares, passed = groups.moments(scores, cuts)
    with np.errstate(invalid="ignore"):
        sds = np.sqrt(np.maximum(squares - means * means, 0.0)).mean(axis=1)
        mean, mean_sd = _spread(means)
        pct, pct_sd = (_spread(100.0 * passed) if cuts is not None
                       else (np.full(len(groups.n), np.nan), np.zeros(len(groups.n))))
    out = []
    for g, n in enumerate(groups.n):
        if n == 0:
            nan = float("nan")
            out.append(ScoreStat(0, nan, nan, nan, 0.0, 0.0, nan))
            continue
        sd = float(sds[g])
        out.append(ScoreStat(n, float(mean[g]), sd, float(pct[g]), float(mean_sd[g]),
                             float(pct_sd[g]), sd / np.sqrt(n)))
    return out


def _attendance_stats(groups: _Groups, result: QuarterResult, chronic_threshold: float
                      ) -> list[AttendanceStat]:
    """:func:`attendance_stat` of every group at once."""
    days, _, chronic = groups.moments(result.absences_ytd, chronic_threshold * result.days_ytd)
    with np.errstate(invalid="ignore"):
        d, d_sd = _spread(days)
        c, c_sd = _spread(100.0 * chronic)
    return [AttendanceStat(n, float(d[g]), float(c[g]), float(d_sd[g]), float(c_sd[g]))
            if n else AttendanceStat(0, float("nan"), float("nan"), 0.0, 0.0)
            for g, n in enumerate(groups.n)]


def quarter_json(sim: Simulation, result: QuarterResult) -> dict:
    """One quarter of ``pmsim run --format json`` (see CONTRACTS.md)."""
    sc: Scenario = sim.scenario
    groups = groups_of(sim.population)
    keys: list[str | int] = ["all", *(g.id for g in sc.subgroups)]
    subjects = []
    for j, subject in enumerate(sc.subjects):
        by_strand = [_score_stats(groups, result.strand_scores[j][k], None)
                     for k in range(len(subject.strands))]
        subjects.append((_score_stats(groups, result.scores[j], result.cuts[j]), by_strand))
    attendance_stats = _attendance_stats(groups, result, sc.population.attendance.chronic_threshold)
    schools = []
    for si, school in enumerate(sc.schools):
        results: list[dict] = []
        grades: list[dict] = []
        strands: list[dict] = []
        for subject, (stats, strand_stats) in zip(sc.subjects, subjects, strict=True):
            for group in keys:
                results.append({"subject": subject.id, "group": group,
                                **_score_json(stats[groups.index[(si, group)]])})
            for g in sc.grades:
                grades.append({"subject": subject.id, "grade": g,
                               **_score_json(stats[groups.index[(si, g)]])})
            for strand, by_group in zip(subject.strands, strand_stats, strict=True):
                for group in keys:
                    stat = by_group[groups.index[(si, group)]]
                    strands.append(
                        {"subject": subject.id, "strand": strand.id, "group": group,
                         "n": stat.n, "mean_score": _r(stat.mean_score),
                         "mean_score_sd": _r(stat.mean_score_sd), "se": _r(stat.se)}
                    )
        attendance = [
            {"group": str(Group(grade=key)) if isinstance(key, int) else key,
             **_attendance_json(attendance_stats[groups.index[(si, key)]])}
            for key in [*keys, *sc.grades]
        ]
        entry = {"id": school.id, "name": school.name, "priority": school.priority,
                 "results": results, "grades": grades, "strands": strands,
                 "attendance": attendance}
        if sc.courses is not None:
            entry["courses"] = _courses_json(sim, result, si, [*keys, *sc.grades])
        schools.append(entry)
    implementation = [
        {
            "strategy": imp.strategy,
            "running": imp.running,
            "quarters_running": imp.quarters_running,
            "fidelity": _r(float(imp.fidelity.mean()), 3),
            "fidelity_sd": _r(_summary(imp.fidelity)[1], 3),
            "students_served": _r(float(imp.served.mean()), 1),
            "students_taking_up": _r(float(imp.took_up.mean()), 1),
            "staff_needed": _r(imp.staff_needed),
            "staff_assigned": _r(imp.staff_assigned),
            "cost": _r(float(imp.cost.mean()), 0),
        }
        for imp in result.implementation.values()
    ]
    return {
        "quarter": result.index + 1,
        "id": result.quarter.id,
        "label": result.quarter.label,
        "schools": schools,
        "implementation": implementation,
        "events": [{"id": e.id, "title": e.title} for e in result.events],
    }


def _courses_json(sim: Simulation, result: QuarterResult, school: int,
                  keys: list[str | int]) -> list[dict]:
    """A school's course figures per group of the JSON ("all", a subgroup id or a grade),
    for the groups with students taking the courses."""
    pop = sim.population
    courses = sim.scenario.courses
    assert courses is not None
    masks = school_masks(pop, school)
    out = []
    for key in keys:
        mask = masks["all"] & (pop.grade == key) if isinstance(key, int) else masks[key]
        if (mask & pop.takes_courses).any():
            out.append({"group": str(Group(grade=key)) if isinstance(key, int) else key,
                        **_course_json(course_stat(result, courses, pop.takes_courses, mask))})
    return out


def _course_json(stat: CourseStat) -> dict:
    return {"n": stat.n, "pct_failing": _r(stat.pct_failing),
            "mean_failures": _r(stat.mean_failures), "mean_credits": _r(stat.mean_credits),
            "pct_on_track": _r(stat.pct_on_track), "pct_failing_sd": _r(stat.pct_failing_sd),
            "pct_on_track_sd": _r(stat.pct_on_track_sd)}


def _attendance_json(stat: AttendanceStat) -> dict:
    return {k: (_r(v) if isinstance(v, float) else v) for k, v in asdict(stat).items()}


def metric_value(sim: Simulation, key: str | Metric, quarter: int = -1) -> float | None:
    """A target metric (``MEASURE:SUBJECT:SCHOOL:GROUP``, as the meeting room writes it:
    ``pct`` on benchmark or ``chronic`` absence) at a quarter (default: the latest), or
    None when the key names nothing in the data."""
    sc = sim.scenario
    try:
        metric = Metric.of(key)
    except ValueError:
        return None
    if not sim.history or metric.problem(sc) is not None:
        return None
    result = sim.history[min(quarter, len(sim.history) - 1)] if quarter >= 0 else sim.history[-1]
    mask = students(sim.population, metric.school, metric.group)
    if metric.measure == "chronic":
        return attendance_stat(result, sc.population.attendance.chronic_threshold,
                               mask).pct_chronic
    if metric.measure in COURSE_MEASURES and sc.courses is not None:
        stat = course_stat(result, sc.courses, sim.population.takes_courses, mask)
        return stat.pct_failing if metric.measure == "failing" else stat.pct_on_track
    j = [s.id for s in sc.subjects].index(metric.subject)
    return score_stat(result.scores[j], result.cuts[j], mask).pct_proficient
