"""The reveal: the scenario's hidden truths, and how plainly this session's data showed them.

Only the final debrief calls this (a role's secrets stay hidden until then; see
``report.build_report``). For every evidence pointer of a hidden truth it says:

* **how clearly the data showed it there**, computed from this session's own
  playthrough: the gap, in standard errors, between the group (or strand) that
  stood out and the rest, the same standard errors the dashboard printed next
  to each figure — *faint* under 2, *visible* from 2, *clear* from 4;
* **whether and when the participants opened that view** — exactly, or a view
  close to it (same subject and school with another breakdown, or the same
  breakdown of the subject at another school or the whole district).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulator.engine.metrics import breakdown_groups, students
from simulator.engine.simulation import QuarterResult, Simulation
from simulator.formats.refs import ATTENDANCE, EVERYONE, IMPLEMENTATION, Group, View
from simulator.formats.scenario import Evidence, Scenario, view_title
from simulator.session.state import SessionState

VISIBLE_SE = 2.0
"""A gap of this many standard errors stands out from the noise on a dashboard."""
CLEAR_SE = 4.0
"""A gap of this many standard errors is hard to miss."""
HIGH_FIDELITY = 60.0
"""Measured fidelity (%) that reads as "well implemented" on the implementation view."""


def clarity_words(gap_se: float | None) -> str:
    if gap_se is None or math.isnan(gap_se):
        return "not shown"
    g = abs(gap_se)
    if g >= CLEAR_SE:
        return "clear"
    if g >= VISIBLE_SE:
        return "visible"
    return "faint"


def _r(x: float, nd: int = 1) -> float | None:
    if x is None or math.isnan(x):
        return None
    v = round(float(x), nd)
    return 0.0 if v == 0 else v


def _num(x: float, signed: bool = False) -> str:
    text = f"{x:+.1f}" if signed else f"{x:.1f}"
    return text.replace("-", "−")


# --------------------------------------------------------------------------- clarity


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error over students (replication 0: the session's data)."""
    n = values.size
    if n < 2:
        return float("nan"), float("nan")
    return float(values.mean(dtype=np.float64)), float(values.std(dtype=np.float64) / math.sqrt(n))


def _gap(a: tuple[float, float], b: tuple[float, float]) -> float:
    (ma, sa), (mb, sb) = a, b
    se = math.hypot(sa, sb)
    return (ma - mb) / se if se > 0 else float("nan")


def _share_gap(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Shares of True in x and y (percent) and the gap between them in standard errors."""
    if x.size == 0 or y.size == 0:
        return float("nan"), float("nan"), float("nan")
    px, py = float(x.mean()), float(y.mean())
    se = math.sqrt(px * (1 - px) / x.size + py * (1 - py) / y.size)
    return 100 * px, 100 * py, ((px - py) / se if se > 0 else float("nan"))


def _standout(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = [r for r in rows if r["gap_se"] is not None and not math.isnan(r["gap_se"])]
    return max(rows, key=lambda r: abs(r["gap_se"]), default=None)


def _scores_clarity(sim: Simulation, res: QuarterResult, subject: str, base: np.ndarray,
                    breakdown: str) -> dict[str, Any] | None:
    sc = sim.scenario
    j = [s.id for s in sc.subjects].index(subject)
    rows = []
    if breakdown == "strand":
        strands = res.strand_scores[j]
        if strands.shape[0] < 2:
            return None
        sel = strands[:, 0, base]  # (S, n) replication 0
        for k, strand in enumerate(sc.subject(subject).strands):
            rest = np.delete(sel, k, axis=0).mean(axis=0)
            a, b = _mean_se(sel[k]), _mean_se(rest)
            rows.append({"group": strand.name, "value": a[0], "rest": b[0],
                         "gap_se": _gap(a, b)})
        rest = "the other strands"
    elif breakdown in ("grade", "subgroup"):
        scores = res.scores[j][0]
        for name, mask in breakdown_groups(sim.population, base, breakdown):
            a, b = _mean_se(scores[mask]), _mean_se(scores[base & ~mask])
            rows.append({"group": name, "value": a[0], "rest": b[0], "gap_se": _gap(a, b)})
        rest = "the school's other students"
    else:  # all students: against the benchmark cut
        scores, cuts = res.scores[j][0][base], res.cuts[j][base]
        a = _mean_se(scores - cuts)
        gap = a[0] / a[1] if a[1] > 0 else float("nan")
        rows.append({"group": "All students", "value": a[0] + float(cuts.mean()),
                     "rest": float(cuts.mean()), "gap_se": gap})
        rest = "the benchmark cut"
    top = _standout(rows)
    if top is None:
        return None
    detail = (f"{top['group']} averaged {_num(top['value'])} {sc.scale.name} against "
              f"{_num(top['rest'])} for {rest}: {_num(abs(top['gap_se']))} standard errors apart")
    return {**top, "detail": detail}


def _attendance_clarity(sim: Simulation, res: QuarterResult, base: np.ndarray,
                        breakdown: str) -> dict[str, Any] | None:
    att = sim.scenario.population.attendance
    chronic = res.absences_ytd[0] >= att.chronic_threshold * res.days_ytd
    rows = []
    groups = breakdown_groups(sim.population, base, breakdown) or [("All students", base)]
    for name, mask in groups:
        other = (base & ~mask) if breakdown in ("grade", "subgroup") else ~base
        v, rest, gap = _share_gap(chronic[mask], chronic[other])
        rows.append({"group": name, "value": v, "rest": rest, "gap_se": gap})
    top = _standout(rows)
    if top is None:
        return None
    others = "the school's other students" if breakdown in ("grade", "subgroup") else \
        "students elsewhere in the district"
    detail = (f"{top['group']}: {_num(top['value'])}% chronically absent against "
              f"{_num(top['rest'])}% for {others}: "
              f"{_num(abs(top['gap_se']))} standard errors apart")
    return {**top, "detail": detail}


def _named(scenario: Scenario, text: str) -> list[str]:
    """Strategies a hidden truth's words name (by name or by id read as words)."""
    low = text.lower()
    return [s.id for s in scenario.strategies
            if s.name.lower() in low or s.id.replace("-", " ") in low]


def _implementation_clarity(sim: Simulation, q: int, base: np.ndarray,
                            text: str) -> dict[str, Any] | None:
    """The strategy the truth names (else the best implemented), and whether its
    students' results moved.

    Fidelity is printed on the implementation view; what it could not show by
    itself is whether the students served gained on the benchmark. The gap is
    their change against the benchmark cut since the strategy started, in
    standard errors. Here the signal is the *contrast*: high fidelity next to no
    gain (under 2 standard errors) is clear; under 4, visible.
    """
    sc = sim.scenario
    res = sim.history[q]
    running = [imp for imp in res.implementation.values() if imp.running]
    named = _named(sc, text)
    if named:
        running = [imp for imp in running if imp.strategy in named]
        if not running:
            names = " or ".join(sc.strategy(s).name for s in named)
            return {"group": None, "value": float("nan"), "rest": float("nan"),
                    "gap_se": float("nan"), "words": "not shown",
                    "detail": f"this session did not run {names}, so its data could not show it"}
    if not running:
        return None
    imp = max(running, key=lambda i: float(i.fidelity[0]))
    strategy = sc.strategy(imp.strategy)
    if not strategy.subjects:
        return None
    j = [s.id for s in sc.subjects].index(strategy.subjects[0])
    start = max(q - imp.quarters_running, 0)
    served = base.copy()
    if strategy.id in sim.active:
        served &= sim.active[strategy.id].served[0]
    before, after = sim.history[start], res
    change = (after.scores[j][0] - after.cuts[j]) - (before.scores[j][0] - before.cuts[j])
    mean, se = _mean_se(change[served])
    z = mean / se if se > 0 else float("nan")
    fidelity = 100 * float(imp.fidelity[0])
    if math.isnan(z) or fidelity < HIGH_FIDELITY:
        words = "faint"
    else:
        words = "clear" if z < VISIBLE_SE else "visible" if z < CLEAR_SE else "faint"
    detail = (f"{strategy.name} ran at {fidelity:.0f}% fidelity while the students it served "
              f"moved {_num(mean, signed=True)} {sc.scale.name} against the benchmark cut since "
              f"it started ({_num(z, signed=True)} standard errors)")
    return {"group": strategy.name, "value": fidelity, "rest": mean, "gap_se": z,
            "words": words, "detail": detail}


def clarity(
    scenario: Scenario, sim: Simulation, evidence: Evidence, context: str = ""
) -> dict[str, Any]:
    """How clearly this session's data showed ``evidence`` at its quarter; ``context``
    (the truth's words) picks the strategy an implementation view is about."""
    view = View.parse(evidence.view)
    subject, breakdown = view.subject, view.breakdown
    q = scenario.quarter_index(evidence.quarter)
    empty = {"gap_se": None, "words": clarity_words(None), "group": None, "value": None,
             "rest": None, "detail": "nothing in this session's data to show it"}
    if q >= len(sim.history):
        return empty
    res = sim.history[q]
    group = EVERYONE if evidence.group is None else Group.parse(evidence.group)
    base = students(sim.population, view.school, group)
    if subject == IMPLEMENTATION:
        found = _implementation_clarity(sim, q, base, f"{evidence.note} {context}")
    elif subject == ATTENDANCE:
        found = _attendance_clarity(sim, res, base, breakdown)
    else:
        found = _scores_clarity(sim, res, subject, base, breakdown)
    if found is None:
        return empty
    words = found.get("words") or clarity_words(found["gap_se"])
    return {"gap_se": _r(found["gap_se"]), "words": words,
            "group": found["group"], "value": _r(found["value"]), "rest": _r(found["rest"]),
            "detail": found["detail"]}


# --------------------------------------------------------------------------- opened or not


def _relation(wanted: str, opened: str) -> str | None:
    """"exact", "related" (another breakdown, or another school), or None."""
    if opened == wanted:
        return "exact"
    try:
        near = View.parse(wanted).related(View.parse(opened))
    except ValueError:
        return None
    return "related" if near else None


def _meeting_at(scenario: Scenario, quarter_label: str | None) -> str | None:
    if quarter_label is None:
        return None
    q = next((x for x in scenario.calendar.quarters
              if quarter_label in (x.label, x.id)), None)
    if q is None:
        return None
    m = next((m for m in scenario.calendar.meetings if m.after_quarter == q.id), None)
    return m.title if m else None


def opened(scenario: Scenario, state: SessionState, evidence: Evidence) -> dict[str, Any]:
    """Whether and when the participants opened the evidence's view (or one close to it)."""
    quarters = scenario.calendar.quarters
    index = {q.label: i for i, q in enumerate(quarters)} | {q.id: i for i, q in enumerate(quarters)}
    due = scenario.quarter_index(evidence.quarter)
    roles = {"state": scenario.roles.state.title, "district": scenario.roles.district.title}
    exact: list[dict[str, Any]] = []
    related: list[dict[str, Any]] = []
    for seen in state.views_opened:
        how = _relation(evidence.view, seen.view)
        if how is None:
            continue
        if how == "exact" and dict(seen.filters).get("group", "all") != (evidence.group or "all"):
            how = "related"  # the right view, but another group's strands
        shown = index.get(seen.quarter) if seen.quarter else None
        entry = {
            "view": seen.view,
            "quarter": seen.quarter,
            "meeting": _meeting_at(scenario, seen.quarter),
            "role": roles.get(seen.role, seen.role),
            "seq": seen.seq,
            "in_time": shown is None or shown >= due,
        }
        (exact if how == "exact" else related).append(entry)
    return {
        "opened": bool(exact),
        "in_time": any(e["in_time"] for e in exact),
        "first": exact[0] if exact else None,
        "times": len(exact),
        "related": _first_per_view(related),
    }


def _first_per_view(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        out.setdefault(e["view"], e)
    return list(out.values())


# --------------------------------------------------------------------------- the reveal


def reveal(scenario: Scenario, state: SessionState, sim: Simulation) -> list[dict[str, Any]]:
    """Every hidden truth with its evidence: clarity in this session's data, and whether
    the participants looked. ``sim`` is the session's playthrough (history kept)."""
    out = []
    for truth in scenario.hidden_truths:
        evidence = []
        for ev in truth.evidence:
            q = scenario.calendar.quarters[scenario.quarter_index(ev.quarter)]
            evidence.append({
                "view": ev.view,
                "view_title": view_title(scenario, ev.view, ev.group),
                "group": ev.group,
                "quarter": q.label,
                "note": ev.note,
                "clarity": clarity(scenario, sim, ev, f"{truth.title} {truth.explanation}"),
                "looked": opened(scenario, state, ev),
            })
        out.append({"id": truth.id, "title": truth.title, "explanation": truth.explanation,
                    "evidence": evidence})
    return out
