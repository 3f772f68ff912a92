"""Dashboard tables computed from a simulation's history (no Textual here).

A view is named ``SUBJECT/SCHOOL/BREAKDOWN`` as in the scenario's hidden-truth
evidence (:class:`simulator.formats.refs.View`), or ``…/served/STRATEGY`` and
``…/cross/GROUP``. Each view becomes a :class:`Table`: rows of groups, a cell per
quarter with its standard error, small groups flagged.

Standard errors are those of a group mean within one replication, ``sd / sqrt(n)``
with the population sd, as everywhere on the dashboard (``engine.metrics``), so the
same group shows the same ± in every view.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.formats.refs import (
    ABSENCE,
    ATTENDANCE,
    COURSES,
    CROSS,
    DISTRICT,
    IMPLEMENTATION,
    SERVED,
    Group,
    Measure,
    Metric,
    View,
)
from simulator.formats.scenario import view_title

if TYPE_CHECKING:
    import numpy as np

    from simulator.engine.simulation import QuarterResult, Simulation
    from simulator.formats.scenario import Scenario

SMALL_N = 20
"""Groups smaller than this are flagged: their figures move a lot by chance."""
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass
class Row:
    label: str
    n: int
    values: list[float]
    """One value per quarter shown (NaN where there is none)."""
    errors: list[float]
    extra: list[str] = field(default_factory=list)
    counted: bool = True
    """False for a row of differences between groups: it has no students of its own."""

    @property
    def small(self) -> bool:
        return self.counted and 0 < self.n < SMALL_N


@dataclass
class Table:
    title: str
    caption: str
    unit: str
    """"%" for percentages, "" for scale scores."""
    quarters: list[str]
    rows: list[Row]
    extra_columns: list[str] = field(default_factory=list)
    empty: str = ""
    """What to say when there are no rows."""
    label_heading: str = "Group"
    """The heading of the column of row labels."""


def subject_options(sc: Scenario) -> list[tuple[str, str]]:
    courses = [(sc.courses.name, COURSES)] if sc.courses is not None else []
    return [(s.name, s.id) for s in sc.subjects] + courses + [
        ("Attendance", ATTENDANCE),
        ("Implementation", IMPLEMENTATION),
    ]


def school_options(sc: Scenario) -> list[tuple[str, str]]:
    return [(s.name, s.id) for s in sc.schools] + [("Whole district", DISTRICT)]


def breakdown_options(subject: str) -> list[tuple[str, str]]:
    if subject == IMPLEMENTATION:
        return [("By strategy", IMPLEMENTATION)]
    if subject == ATTENDANCE:
        return [("All students", "all"), ("By grade", "grade"), ("By subgroup", "subgroup")]
    if subject == COURSES:
        return [("All students", "all"), ("By grade", "grade"), ("By subgroup", "subgroup"),
                ("By attendance", ABSENCE), ("Served vs not served", SERVED)]
    return [("All students", "all"), ("By grade", "grade"), ("By subgroup", "subgroup"),
            ("By strand", "strand"), ("Subgroup × grade", CROSS),
            ("Served vs not served", SERVED)]


def cross_options(sc: Scenario) -> list[tuple[str, str]]:
    """Whom a cross view breaks down: each subgroup by grade, then each grade by subgroup."""
    return [(f"{g.name} by grade", g.id) for g in sc.subgroups] + [
        (f"Grade {g} by subgroup", f"grade-{g}") for g in sc.grades]


def served_options(sim: Simulation) -> list[tuple[str, str]]:
    """The strategies in play, whose served students a served view compares (label, id)."""
    return [(act.strategy.name, sid) for sid, act in sim.active.items()]


def group_options(sc: Scenario) -> list[tuple[str, str]]:
    """Whom a strand view covers: everyone, a subgroup or a grade (label, key)."""
    groups = [Group()] + [Group(subgroup=g.id) for g in sc.subgroups] + [
        Group(grade=g) for g in sc.grades]
    return [(g.label(sc), str(g)) for g in groups]


def group_name(sc: Scenario, group: str | Group) -> str:
    return Group.of(group).label(sc)


def group_mask(sim: Simulation, school: str, group: str | Group) -> np.ndarray:
    """Students of a school (or the district) in a group: "all", a subgroup id or "grade-N"."""
    from simulator.engine.metrics import students

    return students(sim.population, school, Group.of(group))


def _groups(sim: Simulation, school: str, breakdown: str) -> list[tuple[str, np.ndarray]]:
    """All the school's students, then by grade or by subgroup."""
    from simulator.engine.metrics import breakdown_groups

    base = group_mask(sim, school, Group())
    return [("All students", base), *breakdown_groups(sim.population, base, breakdown)]


def build_table(sim: Simulation, view: str | View, measure: str = "pct",
                group: str | Group = "all") -> Table:
    """The table of one view; ``measure`` is "pct" (% on benchmark) or "mean" (scale score);
    ``group`` narrows a strand view to a subgroup or grade ("all", "el", "grade-6", …)."""
    v = View.of(view)
    subject, school, breakdown = v.subject, v.school, v.breakdown
    sc = sim.scenario
    quarters = [r.quarter.label for r in sim.history]
    title = view_title(sc, v)
    if subject == ATTENDANCE:
        return _attendance(sim, school, breakdown, title, quarters)
    if subject == IMPLEMENTATION:
        return _implementation(sim, title, quarters)
    if subject == COURSES and breakdown == SERVED:
        return _courses_served(sim, school, str(v.about), title, quarters)
    if subject == COURSES:
        return _courses(sim, school, breakdown, measure, title, quarters)
    if breakdown == "strand":
        return _strands(sim, subject, school, Group.of(group), title, quarters)
    if breakdown == SERVED:
        return served_table(sim, subject, school, str(v.about), title, quarters)
    if breakdown == CROSS:
        return cross_table(sim, subject, school, v.group, measure, title, quarters)
    return _scores(sim, subject, _groups(sim, school, breakdown), measure, title, quarters)


def _strands(sim: Simulation, subject: str, school: str, group: Group, title: str,
             quarters: list[str]) -> Table:
    """Rows are the subject's strands (and the overall score) for one group of students."""
    import numpy as np

    from simulator.engine.metrics import score_stat

    sc = sim.scenario
    j = [s.id for s in sc.subjects].index(subject)
    subj = sc.subject(subject)
    mask = group_mask(sim, school, group)
    n = int(np.count_nonzero(mask))
    rows: list[Row] = []
    sources = [("Overall score", None)] + [(s.name, k) for k, s in enumerate(subj.strands)]
    for name, k in sources:
        vals, errs = [], []
        for res in sim.history:
            scores = res.scores[j] if k is None else res.strand_scores[j][k]
            st = score_stat(scores, res.cuts[j], mask)
            vals.append(st.mean_score)
            errs.append(st.se)
        rows.append(Row(name, n, vals, errs))
    who = group.label(sc)
    everyone = group.kind == "all"
    if not everyone:
        title += f" · {who}"
    return Table(title, f"Mean {sc.scale.name} score ± standard error, "
                 f"{'all students' if everyone else who}; strand scores have a larger "
                 "measurement error", "", quarters, rows, label_heading="Strand")


def _figure(sim: Simulation, res: QuarterResult, j: int, mask: np.ndarray, measure: str
            ) -> tuple[float, float]:
    """A group's mean score or % on benchmark in one quarter, ± standard error."""
    from simulator.engine.metrics import pct_se, score_stat

    st = score_stat(res.scores[j], res.cuts[j], mask)
    if measure == "mean":
        return st.mean_score, st.se
    p, n = st.pct_proficient, st.n
    return p, pct_se(p, n)


def _score_caption(sim: Simulation, measure: str) -> tuple[str, str]:
    if measure == "mean":
        return f"Mean {sim.scenario.scale.name} score ± standard error", ""
    return "% on benchmark (at or above the proficiency cut) ± standard error", "%"


def _scores(sim: Simulation, subject: str, groups: list[tuple[str, np.ndarray]], measure: str,
            title: str, quarters: list[str]) -> Table:
    import numpy as np

    j = [s.id for s in sim.scenario.subjects].index(subject)
    rows: list[Row] = []
    for label, mask in groups:
        figures = [_figure(sim, res, j, mask, measure) for res in sim.history]
        rows.append(Row(label, int(np.count_nonzero(mask)), [v for v, _ in figures],
                        [e for _, e in figures]))
    caption, unit = _score_caption(sim, measure)
    return Table(title, caption, unit, quarters, rows)


# ---------------------------------------------------------------------- grade × subgroup


def cross_groups(sim: Simulation, school: str, group: Group) -> list[tuple[str, np.ndarray]]:
    """A subgroup, then the subgroup in each grade; or a grade, then each subgroup in it."""
    from simulator.engine.metrics import breakdown_groups

    sc = sim.scenario
    base = group_mask(sim, school, group)
    name = group.label(sc)
    if group.kind == "grade":
        return [(f"{name}, all students", base),
                *((f"{name}, {label}", mask)
                  for label, mask in breakdown_groups(sim.population, base, "subgroup"))]
    return [(f"{name}, all grades", base),
            *((f"{name}, {label.lower()}", mask)
              for label, mask in breakdown_groups(sim.population, base, "grade"))]


def cross_table(sim: Simulation, subject: str, school: str, group: Group, measure: str,
                title: str, quarters: list[str]) -> Table:
    """A subgroup by grade (or a grade by subgroup), each row with its gap to the other
    students of the same grade (or of the grade outside the subgroup) at the latest
    quarter: % on benchmark is against each grade's own cut, so rows of different grades
    compare fairly; the gap also does for mean scores, whose norms differ by grade."""
    sc = sim.scenario
    groups = cross_groups(sim, school, group)
    table = _scores(sim, subject, groups, measure, title, quarters)
    j = [s.id for s in sc.subjects].index(subject)
    latest = sim.history[-1]
    # Each row's peers: the students of its grade (or of the school) outside its subgroup.
    if group.kind == "grade":
        base = group_mask(sim, school, group)
        peers = [group_mask(sim, school, Group()) & ~base] + [base & ~m for _, m in groups[1:]]
    else:
        sub = group_mask(sim, school, group)
        peers = [group_mask(sim, school, Group()) & ~sub] + [
            group_mask(sim, school, Group(grade=g)) & ~sub for g in sc.grades]
    for row, (_, mask), peer in zip(table.rows, groups, peers, strict=True):
        row.extra.append(_gap(_figure(sim, latest, j, mask, measure),
                              _figure(sim, latest, j, peer, measure), table.unit))
    against = ("the grade's other students (the first row: the other grades)"
               if group.kind == "grade" else
               f"the same grade's students not {group.label(sc)} (the first row: all of them)")
    table.title += f" · {group.label(sc)} by {'subgroup' if group.kind == 'grade' else 'grade'}"
    table.caption += f"; gap: against {against}, {latest.quarter.label}"
    table.extra_columns.append(f"Gap ({latest.quarter.label})")
    return table


def _gap(a: tuple[float, float], b: tuple[float, float], unit: str) -> str:
    """The difference of two figures ± the standard error of the difference."""
    return fmt_signed(a[0] - b[0], math.hypot(a[1], b[1]), unit)


def fmt_signed(value: float, error: float, unit: str) -> str:
    """A change or gap with its sign, e.g. "+3.2 ±1.1"; "—" when there is none."""
    if value != value:
        return "—"
    return f"{value:+.1f}{unit}" + ("" if error != error else f" ±{error:.1f}")


# ---------------------------------------------------------------------- served against not


@dataclass(frozen=True)
class Growth:
    """The mean of each student's change over a window of quarters, ± its standard error
    (the same students at both ends, so the error is that of the paired change)."""

    n: int
    mean: float
    se: float
    window: str
    """The quarters compared, e.g. "Q2→Q3"."""


def mean_and_se(values: np.ndarray, mask: np.ndarray) -> tuple[int, float, float]:
    """Students (mean over replications), mean and standard error of ``values`` (R, N)
    over ``mask`` (R, N) or (N,), each computed per replication and then averaged."""
    import numpy as np

    mask = np.broadcast_to(mask, values.shape)
    counts = mask.sum(axis=1)
    if not counts.any():
        return 0, math.nan, math.nan
    safe = np.maximum(counts, 1)
    means = np.where(mask, values, 0.0).sum(axis=1, dtype=np.float64) / safe
    spread = np.where(mask, values - means[:, None], 0.0)
    sds = np.sqrt((spread * spread).sum(axis=1, dtype=np.float64) / safe)
    seen = counts > 0
    return (round(float(counts.mean())), float(means[seen].mean()),
            float((sds[seen] / np.sqrt(counts[seen])).mean()))


def growth(sim: Simulation, j: int, mask: np.ndarray, start: int, end: int) -> Growth:
    """Growth of ``mask``'s students in subject ``j`` from quarter ``start`` to ``end``
    (indices into the history); none (NaN) unless both are benchmarks, ``start`` first."""
    hist = sim.history
    if not 0 <= start < end < len(hist):
        return Growth(0, math.nan, math.nan, "")
    n, mean, se = mean_and_se(hist[end].scores[j] - hist[start].scores[j], mask)
    return Growth(n, mean, se, f"{hist[start].quarter.label}→{hist[end].quarter.label}")


def windows(sim: Simulation, baseline: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The quarters since a strategy started (from its ``baseline`` benchmark to the latest)
    and as many quarters before it, as far as the year goes back."""
    last = len(sim.history) - 1
    span = min(last - baseline, baseline)
    return (baseline, last), (baseline - span, baseline)


@dataclass(frozen=True)
class Comparison:
    """A strategy's served students against comparable students it does not serve."""

    strategy: str
    school: str
    baseline: int
    """Index of the last quarter before the strategy took effect (-1: none before)."""
    served: np.ndarray
    """(R, N) students assigned to it at the school."""
    comparable: np.ndarray
    """(R, N) students of the school it could have served (its grades and subgroups, below
    the cut when it targets by data) but does not."""


def comparison(sim: Simulation, strategy: str, school: str) -> Comparison | None:
    """Who a strategy in play serves at a school and who is comparable; None when it is not
    in play. The masks are the engine's own (``Simulation.active``); comparability is
    judged on the benchmark its serving was chosen on, so later scores don't select (it
    reads that benchmark from the history the simulation keeps)."""
    import numpy as np

    act = sim.active.get(strategy)
    if act is None:
        return None
    pop = sim.population
    serves, d = act.strategy.serves, act.decision
    grades = d.grades if d.grades is not None else serves.grades
    subgroups = d.subgroups if d.subgroups is not None else serves.subgroups
    at_school = group_mask(sim, school, Group())
    eligible = np.broadcast_to(
        pop.eligible(serves.schools, grades, subgroups) & at_school, act.served.shape)
    # Whom it serves was chosen at its last adoption or adjustment, on the benchmark then.
    chosen = max(q for q, made in sim.decisions
                 if made.strategy == strategy and made.action in ("adopt", "adjust")) - 1
    if serves.below_cut and chosen >= 0:
        k = [s.id for s in sim.scenario.subjects].index(serves.below_cut)
        res = sim.history[chosen]
        eligible = eligible & (res.scores[k] < res.cuts[k])
    if serves.chronically_absent:
        # Chronically absent then, as the engine chose them (before any data: by tendency).
        threshold = sim.scenario.population.attendance.chronic_threshold
        if chosen >= 0:
            res = sim.history[chosen]
            eligible = eligible & (res.absences_ytd >= np.float32(threshold * res.days_ytd))
        else:
            eligible = eligible & (pop.absence_p >= np.float32(threshold))
    served = act.served & at_school
    return Comparison(strategy, school, act.adopted_at - 1, served, eligible & ~served)


def served_table(sim: Simulation, subject: str, school: str, strategy: str, title: str,
                 quarters: list[str]) -> Table:
    """Served against comparable not-served students: mean score each quarter, growth since
    the strategy started and over as many quarters before, the difference of those growths
    ± its error, and whom it reaches by grade and subgroup."""
    from simulator.engine.metrics import breakdown_groups

    sc = sim.scenario
    j = [s.id for s in sc.subjects].index(subject)
    name = sc.strategy(strategy).name
    title += f" · {name}: served vs not"
    found = comparison(sim, strategy, school)
    if found is None:
        return Table(title, "", "", quarters, [],
                     empty=f"{name} is not in play: this view compares the students a strategy "
                           "serves with those it does not once the district adopts it.")
    since, before = windows(sim, found.baseline)
    school_all = group_mask(sim, school, Group())
    nothing = [math.nan] * len(sim.history)

    def gains(mask: np.ndarray) -> tuple[Growth, Growth]:
        return growth(sim, j, mask, *since), growth(sim, j, mask, *before)

    def row(label: str, mask: np.ndarray, reach: str, levels: bool = False,
            grown: tuple[Growth, Growth] | None = None) -> Row:
        now, prior = gains(mask) if grown is None else grown
        stats = [mean_and_se(res.scores[j], mask) for res in sim.history]
        values = [m for _, m, _ in stats] if levels else nothing
        errors = [e for _, _, e in stats] if levels else nothing
        return Row(label, stats[-1][0], values, errors,
                   [fmt_signed(now.mean, now.se, ""), fmt_signed(prior.mean, prior.se, ""),
                    reach])

    served, comparable = found.served, found.comparable
    served_gains, comparable_gains = gains(served), gains(comparable)
    rows = [row("Served", served, _reach(served, school_all), levels=True, grown=served_gains),
            row("Comparable, not served", comparable, "", levels=True,
                grown=comparable_gains)]
    differences = [fmt_signed(a.mean - b.mean, math.hypot(a.se, b.se), "")
                   for a, b in zip(served_gains, comparable_gains, strict=True)]
    rows.append(Row("Difference (served − not)", 0, nothing, nothing, [*differences, ""],
                    counted=False))
    shorts = {g.name: g.short for g in sc.subgroups}
    for by in ("grade", "subgroup"):
        for label, mask in breakdown_groups(sim.population, school_all, by):
            rows.append(row(f"Served · {shorts.get(label, label)}", served & mask,
                            _reach(served & mask, mask)))
    started = (sim.history[found.baseline].quarter.label if found.baseline >= 0
               else "the start of the year")
    caption = (f"Mean {sc.scale.name} score ± standard error · growth: each student's change "
               f"from {started}, the last benchmark before it · comparable: could have been "
               "served (same grades, subgroups, cut), is not")
    labels = [g.window for g in served_gains]  # the windows' labels, whoever grew
    return Table(title, caption, "", quarters, rows,
                 extra_columns=[f"Growth {labels[0] or 'since'}",
                                f"Growth {labels[1] or 'before'}", "Reach"])


def _courses_served(sim: Simulation, school: str, strategy: str, title: str,
                    quarters: list[str]) -> Table:
    """Course grades of a strategy's served students against comparable students it does
    not serve (of those who take the courses): % failing a course each quarter, and the
    change in course grades failed per student since the strategy started."""
    import numpy as np

    from simulator.engine.metrics import course_stat

    sc = sim.scenario
    spec = sc.courses
    assert spec is not None
    name = sc.strategy(strategy).name
    title += f" · {name}: served vs not"
    found = comparison(sim, strategy, school)
    if found is None:
        return Table(title, "", "%", quarters, [],
                     empty=f"{name} is not in play: this view compares the students a strategy "
                           "serves with those it does not once the district adopts it.")
    takes = sim.population.takes_courses
    since, _ = windows(sim, found.baseline)
    hist = sim.history

    def change(mask: np.ndarray) -> tuple[float, float]:
        start, end = since
        if not 0 <= start < end < len(hist):
            return math.nan, math.nan
        a, b = hist[start].courses, hist[end].courses
        if a is None or b is None:
            return math.nan, math.nan
        diff = b.failures.astype(np.float64) - a.failures
        _, mean, se = mean_and_se(diff, mask & takes)
        return mean, se

    rows = []
    changes = []
    for label, mask in (("Served", found.served), ("Comparable, not served", found.comparable)):
        stats = [course_stat(res, spec, takes, mask) for res in hist]
        grown = change(mask)
        changes.append(grown)
        reach = _reach(mask & takes, group_mask(sim, school, Group()) & takes)
        rows.append(Row(label, stats[-1].n, [s.pct_failing for s in stats],
                        [s.se(s.pct_failing) for s in stats],
                        [fmt_signed(*grown, ""), reach if label == "Served" else ""]))
    (a, ae), (b, be) = changes
    nothing = [math.nan] * len(hist)
    rows.append(Row("Difference (served − not)", 0, nothing, nothing,
                    [fmt_signed(a - b, math.hypot(ae, be), ""), ""], counted=False))
    started = (hist[found.baseline].quarter.label if found.baseline >= 0
               else "the start of the year")
    window = (f"{hist[since[0]].quarter.label}→{hist[since[1]].quarter.label}"
              if 0 <= since[0] < since[1] < len(hist) else "since")
    caption = ("% failing at least one course this quarter ± standard error · change: each "
               f"student's course grades failed, from {started} (the last quarter before it) "
               "· comparable: could have been served (same grades, subgroups, attendance or "
               "cut), is not")
    return Table(title, caption, "%", quarters, rows,
                 extra_columns=[f"Change in Fs {window}", "Reach"])


def _reach(mask: np.ndarray, of: np.ndarray) -> str:
    """"served of group (share)", e.g. "40 of 120 (33%)", averaged over replications."""
    import numpy as np

    served = float(np.broadcast_to(mask, np.broadcast_shapes(mask.shape, of.shape))
                   .sum(axis=-1).mean())
    total = float(np.broadcast_to(of, np.broadcast_shapes(mask.shape, of.shape))
                  .sum(axis=-1).mean())
    share = f" ({100 * served / total:.0f}%)" if total else ""
    return f"{served:.0f} of {total:.0f}{share}"


def _attendance(sim, school, breakdown, title, quarters) -> Table:
    from simulator.engine.metrics import attendance_stat, pct_se

    att = sim.scenario.population.attendance
    rows = []
    for label, mask in _groups(sim, school, breakdown):
        vals, errs = [], []
        stat = None
        for res in sim.history:
            stat = attendance_stat(res, att.chronic_threshold, mask)
            p, n = stat.pct_chronic, stat.n
            vals.append(p)
            errs.append(pct_se(p, n))
        days = f"{stat.mean_days_absent:.1f}" if stat and stat.n else "—"
        rows.append(Row(label, int(mask.sum()), vals, errs, [days]))
    threshold = round(att.chronic_threshold * 100)
    return Table(title, f"% chronically absent so far this year (missing {threshold}% of days "
                 "or more) ± standard error", "%", quarters, rows,
                 extra_columns=["Days absent (mean, year)"])


def _courses(sim: Simulation, school: str, breakdown: str, measure: str, title: str,
             quarters: list[str]) -> Table:
    """Course grades of the school's students who take the courses: % failing a course
    each quarter (``measure`` "mean": % on track), with the latest quarter's failures per
    student, credits and % on track beside. By attendance, the groups are the students
    chronically absent so far in each quarter and the rest: who they are changes."""
    import numpy as np

    from simulator.engine.metrics import course_stat

    sc = sim.scenario
    spec = sc.courses
    assert spec is not None
    takes = sim.population.takes_courses
    att = sc.population.attendance
    base = group_mask(sim, school, Group())

    def absent(res: QuarterResult, yes: bool) -> np.ndarray:
        chronic = res.absences_ytd >= np.float32(att.chronic_threshold * res.days_ytd)
        return base & (chronic if yes else ~chronic)

    def everyone(res: QuarterResult) -> np.ndarray:
        return base

    groups: list[tuple[str, Callable[[QuarterResult], np.ndarray]]] = [
        ("All students", everyone)]
    if breakdown == ABSENCE:
        groups += [("Chronically absent so far", lambda res: absent(res, True)),
                   ("Not chronically absent", lambda res: absent(res, False))]
    else:
        from simulator.engine.metrics import breakdown_groups

        def fixed(mask: np.ndarray) -> Callable[[QuarterResult], np.ndarray]:
            return lambda res: mask

        groups += [(label, fixed(mask))
                   for label, mask in breakdown_groups(sim.population, base, breakdown)
                   if (mask & takes).any()]
    on_track = measure == "mean"
    rows = []
    for label, mask_of in groups:
        vals, errs = [], []
        stat = None
        for res in sim.history:
            stat = course_stat(res, spec, takes, mask_of(res))
            value = stat.pct_on_track if on_track else stat.pct_failing
            vals.append(value)
            errs.append(stat.se(value))
        extra = ([f"{stat.mean_failures:.2f}", f"{stat.mean_credits:.1f}",
                  f"{stat.pct_on_track:.0f}%"] if stat and stat.n else ["—", "—", "—"])
        rows.append(Row(label, stat.n if stat else 0, vals, errs, extra))
    bar = spec.on_track
    track = (f"on track: {bar.credits:g}+ credits and at most {bar.max_failures} failed "
             f"term grade{'s' if bar.max_failures != 1 else ''} by year end")
    caption = (f"% on track ({track}) ± standard error" if on_track else
               f"% failing at least one course this quarter ± standard error · latest "
               f"quarter's Fs per student, credits earned this year, % {track}")
    return Table(title, caption, "%", quarters, rows,
                 extra_columns=["Fs/student", "Credits", "On track"],
                 empty="Course grades cover only the grades that take the courses.")


def _implementation(sim, title, quarters) -> Table:
    sc = sim.scenario
    rows = []
    ids: dict[str, None] = {}
    for res in sim.history:
        for sid in res.implementation:
            ids.setdefault(sid, None)
    for sid in ids:
        vals, errs = [], []
        latest = None
        for res in sim.history:
            imp = res.implementation.get(sid)
            if imp is None or not imp.running:
                vals.append(math.nan)
            else:
                vals.append(100.0 * float(imp.fidelity.mean()))
                latest = imp
            errs.append(math.nan)
            if imp is not None and latest is None:
                latest = imp
        last = sim.history[-1].implementation.get(sid)
        if last is None:
            status = "stopped"
        elif not last.running:
            status = "starting (not yet running)"
        else:
            status = f"running, quarter {last.quarters_running}"
        served = int(latest.served.mean()) if latest else 0
        took = int(latest.took_up.mean()) if latest else 0
        staff = (f"{latest.staff_assigned:g} of {latest.staff_needed:g}" if latest else "—")
        rows.append(Row(sc.strategy(sid).name, served, vals, errs,
                        [status, str(served), str(took), staff]))
    return Table(title, "Fidelity of implementation (% of the intended practice observed)",
                 "%", quarters, rows,
                 extra_columns=["Status", "Served", "Taking up", "Staff (FTE)"],
                 label_heading="Strategy",
                 empty="No strategy is in play yet: implementation data appear once the "
                       "district adopts one at a meeting.")


def sparkline(values: list[float], span: float = 10.0) -> str:
    """A little trend line; rises of less than ``span`` stay within a few steps."""
    real = [v for v in values if v == v]
    if not real:
        return ""
    lo, hi = min(real), max(real)
    mid = (lo + hi) / 2
    width = max(hi - lo, span)
    lo = mid - width / 2
    out = []
    for v in values:
        if v != v:
            out.append(" ")
            continue
        i = int((v - lo) / width * (len(SPARKS) - 1) + 0.5)
        out.append(SPARKS[min(max(i, 0), len(SPARKS) - 1)])
    return "".join(out)


def fmt(value: float, error: float, unit: str) -> str:
    if value != value:
        return "—"
    if error != error:
        return f"{value:.1f}{unit}"
    return f"{value:.1f}{unit} ±{error:.1f}"


# ---------------------------------------------------------------------- roster


ROSTER_COLUMNS = ("Student", "School", "Grade", "Groups")


def roster(sim: Simulation, school: str) -> tuple[list[str], list[tuple]]:
    """Every student of a school (or the district) with their latest scores."""
    import numpy as np

    sc, pop = sim.scenario, sim.population
    res = sim.history[-1]
    idx = np.flatnonzero(group_mask(sim, school, Group()))
    names = pop.names[idx]
    short = {g.id: g.short for g in sc.subgroups}
    member = pop.member[:, idx]
    group_labels = [
        " ".join(short[g.id] for gi, g in enumerate(sc.subgroups) if member[gi, k])
        for k in range(idx.size)
    ]
    school_names = np.array([s.short for s in sc.schools])[
        pop.school[idx]]
    columns = [*ROSTER_COLUMNS]
    cols: list[list[str]] = []
    for j, subject in enumerate(sc.subjects):
        scores = res.scores[j][0, idx]
        on = scores >= res.cuts[j][idx]
        columns += [f"{subject.name} ({res.quarter.label})", "On bm"]
        cols.append([f"{s:.0f}" for s in scores])
        cols.append(["yes" if o else "no" for o in on])
    columns.append("Days absent")
    cols.append([str(int(d)) for d in res.absences_ytd[0, idx]])
    grades = pop.grade[idx]
    rows = [
        (str(names[k]), str(school_names[k]), int(grades[k]), group_labels[k],
         *(c[k] for c in cols))
        for k in range(idx.size)
    ]
    return columns, rows


# ---------------------------------------------------------------------- metrics for targets


def metric_options(sc: Scenario) -> list[tuple[str, str]]:
    """Metrics a target can be set on (label, key); key = MEASURE:SUBJECT:SCHOOL:GROUP."""
    out: list[tuple[str, Metric]] = []
    for school in sc.priority_schools:
        for subject in sc.subjects:
            out.append((f"{subject.name} % on benchmark – {school.name}",
                        Metric("pct", subject.id, school.id)))
            for g in sc.grades:
                out.append((f"{subject.name} % on benchmark – grade {g}",
                            Metric("pct", subject.id, school.id, Group(grade=g))))
            for sg in sc.subgroups:
                out.append((f"{subject.name} % on benchmark – {sg.name}",
                            Metric("pct", subject.id, school.id, Group(subgroup=sg.id))))
        if sc.courses is not None:
            course_grades = sc.courses.grades or sc.grades
            pairs: tuple[tuple[Measure, str], ...] = (
                ("failing", "% failing a course"), ("ontrack", "% on track"))
            for measure, what in pairs:
                out.append((f"{what} – {school.name}", Metric(measure, COURSES, school.id)))
                for g in course_grades:
                    out.append((f"{what} – grade {g}",
                                Metric(measure, COURSES, school.id, Group(grade=g))))
                for sg in sc.subgroups:
                    out.append((f"{what} – {sg.name}",
                                Metric(measure, COURSES, school.id, Group(subgroup=sg.id))))
        out.append((f"% chronically absent – {school.name}",
                    Metric("chronic", ATTENDANCE, school.id)))
        for g in sc.grades:
            out.append((f"% chronically absent – grade {g}",
                        Metric("chronic", ATTENDANCE, school.id, Group(grade=g))))
    return [(label, str(metric)) for label, metric in out]


def metric_value(sim: Simulation, key: str | Metric) -> float | None:
    """The latest value of a target metric (the baseline when a target is set)."""
    from simulator.engine.metrics import metric_value as value

    latest = value(sim, key)
    return None if latest is None else round(latest, 1)


# ---------------------------------------------------------------------- what changed


@dataclass
class Change:
    label: str
    values: list[float]
    """One value per quarter simulated."""
    since: int
    """Index of the quarter compared against (the last meeting's)."""

    @property
    def delta(self) -> float:
        return self.values[-1] - self.values[self.since]


def changes(sim: Simulation, since: int) -> list[Change]:
    """Headline figures of the priority schools each quarter, compared with quarter ``since``."""
    out = []
    for school in sim.scenario.priority_schools:
        for subject in sim.scenario.subjects:
            for breakdown in ("subgroup", "grade"):
                table = build_table(sim, View(subject.id, school.id, breakdown))
                for row in table.rows[(1 if breakdown == "grade" else 0):]:
                    out.append(Change(f"{subject.name} % on benchmark – {row.label}",
                                      row.values, since))
        table = build_table(sim, View(ATTENDANCE, school.id, "grade"))
        for row in table.rows:
            out.append(Change(f"% chronically absent – {row.label}", row.values, since))
    return out


@dataclass(frozen=True)
class Targeting:
    """Whom a decision says a strategy serves; None: the strategy's own ``serves``."""

    grades: tuple[int, ...] | None = None
    subgroups: tuple[str, ...] | None = None
    capacity: int | None = None

    def options(self) -> dict:
        """The ``options`` of a ``decision.made`` payload: only what differs from the default."""
        out: dict = {}
        if self.grades:
            out["grades"] = list(self.grades)
        if self.subgroups:
            out["subgroups"] = list(self.subgroups)
        if self.capacity is not None:
            out["capacity"] = self.capacity
        return out


def estimated_cost(sim: Simulation, strategy_id: str, targeting: Targeting = Targeting()
                   ) -> tuple[float, float, int]:
    """Cost for the rest of the year, staff (FTE) and students reached if decided now."""
    from simulator.engine.pricing import price
    from simulator.engine.simulation import Decision

    p = price(sim, Decision(strategy_id, grades=targeting.grades,
                            subgroups=targeting.subgroups, capacity=targeting.capacity))
    return p.cost, p.staff_fte, p.students


def describe_targeting(sc: Scenario, strategy_id: str, targeting: Targeting = Targeting(),
                       *, short: bool = False) -> str:
    """Whom it serves, in words, e.g. "grades 6, 7 · English learners · below benchmark in
    reading · up to 40"; ``short`` (for the minutes): only what the decision chose, subgroups
    by their ids, e.g. "grades 6, 7 · EL, SWD"."""
    st = sc.strategy(strategy_id)
    grades = targeting.grades if targeting.grades is not None else st.serves.grades
    subgroups = (targeting.subgroups if targeting.subgroups is not None
                 else st.serves.subgroups)
    capacity = targeting.capacity if targeting.capacity is not None else st.serves.capacity
    if short:
        parts = [f"grade{'s' if len(targeting.grades) > 1 else ''} "
                 f"{', '.join(map(str, targeting.grades))}"] if targeting.grades else []
        if targeting.subgroups:
            shorts = {g.id: g.short for g in sc.subgroups}
            parts.append(", ".join(shorts.get(g, g) for g in targeting.subgroups))
        if targeting.capacity is not None:
            parts.append(f"up to {targeting.capacity}")
        return " · ".join(parts)
    names = {g.id: g.name for g in sc.subgroups}
    parts = [f"grade{'s' if len(grades) > 1 else ''} {', '.join(map(str, grades))}"
             if grades else "all grades"]
    parts.append(", ".join(names.get(g, g) for g in subgroups) if subgroups else
                 "all students")
    if st.serves.below_cut:
        parts.append(f"below benchmark in {sc.subject(st.serves.below_cut).name.lower()}")
    if capacity:
        parts.append(f"up to {capacity}")
    return " · ".join(parts)
