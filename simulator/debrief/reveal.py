"""The reveal: the scenario's hidden truths, and how plainly this session's data showed them.

Only the final debrief calls this (a role's secrets stay hidden until then; see
``report.build_report``). For every evidence pointer of a hidden truth it says:

* **how clearly the data showed it there**, computed from this session's own
  playthrough and only from figures the view itself prints (the dashboard's
  ``build_table``): the row that stood out against the view's "All students"
  row (or, on a strand view, against the other strands), in the standard errors
  printed next to each figure — *faint* under 2, *visible* from 2, *clear* from 4.
  Scores are compared as % on benchmark, each student against their own grade's
  cut, so a grade is judged against its own benchmark, never against another
  grade's raw scale scores;
* **whether and when the participants opened that view** — exactly, or a view
  close to it (same subject and school with another breakdown, or the same
  breakdown of the subject at another school or the whole district).
"""

from __future__ import annotations

import math
from typing import Any

from simulator.engine.dashboard import Row, build_table, fmt
from simulator.engine.simulation import Simulation, planned_fidelity
from simulator.formats.refs import (
    ABSENCE,
    ATTENDANCE,
    COURSES,
    CROSS,
    DISTRICT,
    IMPLEMENTATION,
    SERVED,
    Group,
    View,
)
from simulator.formats.scenario import Evidence, Scenario, view_title
from simulator.session.state import SessionState

VISIBLE_SE = 2.0
"""A gap of this many standard errors stands out from the noise on a dashboard."""
CLEAR_SE = 4.0
"""A gap of this many standard errors is hard to miss."""


def clarity_words(gap_se: float | None) -> str:
    if gap_se is None or math.isnan(gap_se):
        return "not shown"
    g = abs(gap_se)
    if g >= CLEAR_SE:
        return "clear"
    if g >= VISIBLE_SE:
        return "visible"
    return "faint"


def _r(x: float | None, nd: int = 1) -> float | None:
    if x is None or math.isnan(x):
        return None
    v = round(float(x), nd)
    return 0.0 if v == 0 else v


def _num(x: float, signed: bool = False) -> str:
    text = f"{x:+.1f}" if signed else f"{x:.1f}"
    return text.replace("-", "−")


def _shown(value: float, error: float, unit: str) -> str:
    """A figure as the dashboard prints it ("11.9% ±3.6")."""
    return fmt(value, error, unit).replace("-", "−")


# --------------------------------------------------------------------------- clarity


def se_apart(value: float, error: float, other: float, other_error: float) -> float:
    """Two printed figures apart, in their printed standard errors."""
    se = math.hypot(error, other_error)
    return (value - other) / se if se > 0 else float("nan")


def _standout(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = [r for r in rows if r["gap_se"] is not None and not math.isnan(r["gap_se"])]
    return max(rows, key=lambda r: abs(r["gap_se"]), default=None)


def _rows_clarity(sim: Simulation, q: int, view: View, what: str) -> dict[str, Any] | None:
    """The row of a grade or subgroup view that stood out against its "All students" row,
    both as the view prints them at quarter ``q`` (``what``: "on benchmark", …)."""
    table = build_table(sim, view)
    everyone, groups = table.rows[0], table.rows[1:]
    v0, e0 = everyone.values[q], everyone.errors[q]
    rows = [{"group": r.label, "value": r.values[q], "rest": v0, "error": r.errors[q],
             "gap_se": se_apart(r.values[q], r.errors[q], v0, e0)} for r in groups]
    top = _standout(rows)
    if top is None:
        return None
    u = table.unit
    detail = (f"{top['group']}: {_shown(top['value'], top['error'], u)} {what} against "
              f"{_shown(v0, e0, u)} for all students: "
              f"{_num(abs(top['gap_se']))} standard errors apart")
    return top | {"detail": detail}


def _district_clarity(sim: Simulation, q: int, view: View, what: str) -> dict[str, Any] | None:
    """A school's "All students" row against the whole district's, as both views print them."""
    if view.school == DISTRICT:
        return None
    here = build_table(sim, view)
    there = build_table(sim, View(view.subject, DISTRICT, view.breakdown))
    return _versus(here.rows[0], there.rows[0], q, here.unit, what, "for the whole district",
                   sim.scenario.school(view.school).name)


def _versus(a: Row, b: Row, q: int, unit: str, what: str, rest: str, name: str | None = None
            ) -> dict[str, Any]:
    """Row ``a`` against row ``b`` at quarter ``q``, as the views print them: the gap in
    standard errors and the sentence that says it (``name`` stands for ``a``'s label)."""
    gap = se_apart(a.values[q], a.errors[q], b.values[q], b.errors[q])
    detail = (f"{name or a.label}: {_shown(a.values[q], a.errors[q], unit)} {what} against "
              f"{_shown(b.values[q], b.errors[q], unit)} {rest}: "
              f"{_num(abs(gap))} standard errors apart")
    return {"group": a.label, "value": a.values[q], "rest": b.values[q], "gap_se": gap,
            "detail": detail}


def _pair_clarity(sim: Simulation, q: int, view: View, what: str, rest: str
                  ) -> dict[str, Any] | None:
    """The first group of a two-group view against the second, as the view prints them:
    the chronically absent against the rest (course grades by attendance), or the served
    against comparable students not served."""
    table = build_table(sim, view)
    rows = [r for r in table.rows if r.counted]
    if view.breakdown == ABSENCE:
        rows = rows[1:]  # after "All students"
    if len(rows) < 2 or q >= len(rows[0].values):
        return None
    found = _versus(rows[0], rows[1], q, table.unit, what, rest)
    return None if math.isnan(found["gap_se"]) else found


def _strands_clarity(sim: Simulation, q: int, view: View, group: str | None
                     ) -> dict[str, Any] | None:
    """The strand that stood out against the mean of the other strands the view prints."""
    table = build_table(sim, view, group=group or "all")
    strands = table.rows[1:]  # the first row is the overall score
    if len(strands) < 2:
        return None
    rows = []
    for k, r in enumerate(strands):
        others = [o for i, o in enumerate(strands) if i != k]
        rest = sum(o.values[q] for o in others) / len(others)
        rest_se = math.sqrt(sum(o.errors[q] ** 2 for o in others)) / len(others)
        rows.append({"group": r.label, "value": r.values[q], "rest": rest, "row": r,
                     "others": others, "gap_se": se_apart(r.values[q], r.errors[q], rest, rest_se)})
    top = _standout(rows)
    if top is None:
        return None
    unit = f" {sim.scenario.scale.name}"
    row: Row = top["row"]
    figures = " and ".join(_shown(o.values[q], o.errors[q], "") for o in top["others"])
    detail = (f"{top['group']}: {_shown(row.values[q], row.errors[q], '')}{unit} against "
              f"{figures} on the other strands: "
              f"{_num(abs(top['gap_se']))} standard errors apart")
    return top | {"detail": detail}


def _named(scenario: Scenario, text: str) -> list[str]:
    """Strategies a hidden truth's words name (by name or by id read as words)."""
    low = text.lower()
    return [s.id for s in scenario.strategies
            if s.name.lower() in low or s.id.replace("-", " ") in low]


def _named_group(scenario: Scenario, text: str, group: str | None) -> Group:
    """Whose results an implementation truth is about: the evidence's group, else the first
    subgroup its words name, else everyone."""
    if group is not None:
        return Group.parse(group)
    low = text.lower()
    named = [g for g in scenario.subgroups if g.name.lower() in low]
    return Group(subgroup=named[0].id) if named else Group()


def unmoved_words(on_plan: bool, gain_se: float) -> str:
    """How plainly the data showed "implemented as planned, and results did not move".

    The truth is that results did *not* move, so the words run the other way from a
    gap's: no gain beyond 2 standard errors is *clear*; a gain from 2 (a visible one)
    leaves it *faint*; from 4 the data showed the opposite, so it was *not shown*. A
    strategy under its planned fidelity was not shown well implemented: *faint* at most.
    """
    if math.isnan(gain_se):
        return "not shown"
    if gain_se >= CLEAR_SE:
        return "not shown"
    if gain_se >= VISIBLE_SE or not on_plan:
        return "faint"
    return "clear"


def _implementation_clarity(sim: Simulation, q: int, school: str, group: Group,
                            text: str) -> dict[str, Any] | None:
    """Whether the strategy the truth names (else the best implemented) ran as its scenario
    plans while its students' results did not move — in figures two views print.

    Fidelity is read off the implementation view and judged against the scenario's own
    ramp-up for that quarter (:func:`simulator.engine.simulation.planned_fidelity`, the bar
    the course-correction look-for uses); the results are the group's % on benchmark on
    the subject's view, from the quarter before the strategy ran to ``q``, in the printed
    standard errors. The truth is that results did *not* move, so its words run the
    other way from a gap's: no gain beyond 2 standard errors is *clear*; a gain from 2
    is *faint*; from 4 the data showed the opposite (*not shown*). A strategy under its
    planned fidelity was not shown well implemented: *faint*.
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
    fidelity = round(100 * float(imp.fidelity[0]), 1)  # as the implementation view prints it
    planned = round(100 * planned_fidelity(strategy, imp.quarters_running), 1)
    side = "under" if fidelity < planned else "at" if fidelity == planned else "above"
    ran = (f"{strategy.name} ran at {fidelity:.1f}% fidelity at {res.quarter.label}, {side} "
           f"the {planned:g}% its scenario plans in quarter {imp.quarters_running} of running "
           f"({100 * strategy.fidelity.full:g}% in full)")
    subject = strategy.subjects[0]
    breakdown = "all" if group.kind == "all" else group.kind
    table = build_table(sim, View(subject, school, breakdown))
    label = group.label(sc)
    row = next((r for r in table.rows if r.label.lower() == label.lower()), table.rows[0])
    start = max(q - imp.quarters_running, 0)
    before, after = (row.values[start], row.errors[start]), (row.values[q], row.errors[q])
    z = se_apart(after[0], after[1], before[0], before[1])
    words = unmoved_words(fidelity >= planned, z)
    quarters = sim.history
    detail = (f"{ran}, while {row.label} went from {_shown(*before, table.unit)} at "
              f"{quarters[start].quarter.label} to {_shown(*after, table.unit)} at "
              f"{res.quarter.label} on benchmark in {sc.subject(subject).name.lower()} "
              f"({_num(z, signed=True)} standard errors)")
    return {"group": strategy.name, "value": fidelity, "rest": after[0] - before[0],
            "gap_se": z, "words": words, "detail": detail}


def clarity(
    scenario: Scenario, sim: Simulation, evidence: Evidence, context: str = ""
) -> dict[str, Any]:
    """How clearly this session's data showed ``evidence`` at its quarter; ``context``
    (the truth's words) picks the strategy an implementation view is about."""
    view = View.parse(evidence.view)
    q = scenario.quarter_index(evidence.quarter)
    empty = {"gap_se": None, "words": clarity_words(None), "group": None, "value": None,
             "rest": None, "detail": "nothing in this session's data to show it"}
    if q >= len(sim.history):
        return empty
    found: dict[str, Any] | None = None
    if view.subject == IMPLEMENTATION:
        words = f"{evidence.note} {context}"
        found = _implementation_clarity(sim, q, view.school,
                                        _named_group(scenario, words, evidence.group), words)
    elif view.breakdown == "strand":
        found = _strands_clarity(sim, q, view, evidence.group)
    else:
        what = {ATTENDANCE: "chronically absent", COURSES: "failing a course"}.get(
            view.subject, "on benchmark")
        if view.breakdown == ABSENCE:
            found = _pair_clarity(sim, q, view, what, "for the rest")
        elif view.breakdown == SERVED:
            found = _pair_clarity(sim, q, view, what if view.subject == COURSES else
                                  f"{scenario.scale.name} (mean)", "for comparable students")
        elif view.breakdown in ("grade", "subgroup", CROSS):
            found = _rows_clarity(sim, q, view, what)
        else:
            found = _district_clarity(sim, q, view, what)
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
