"""Readable plain-text tables: a headless run (``pmsim run --format table``) and a
participant's progress (``pmsim progress``).
"""

from __future__ import annotations

from simulator.debrief.models import Progress
from simulator.formats.scenario import Scenario
from simulator.render.plain import printable


def _fmt(x: float | None, nd: int = 1) -> str:
    return "—" if x is None else f"{x:.{nd}f}"


def run_table(sc: Scenario, doc: dict) -> str:
    """Benchmark results by quarter, school, subject and group, then implementation."""
    names = {g.id: printable(g.name) for g in sc.subgroups} | {"all": "All students"}
    subjects = {s.id: printable(s.name) for s in sc.subjects}
    reps = doc["replications"]
    spread = reps > 1
    lines = [
        f"{printable(sc.title)} — seed {doc['seed']}, {reps} replication{'s' if reps > 1 else ''}",
        "Strategies adopted at the first meeting: " + (printable(", ".join(
            _adopted(s, doc.get("targeting", {})) for s in doc["strategies"]))
            or "none (business as usual)"),
        "",
    ]
    header = _header("group", spread)
    for q in doc["quarters"]:
        lines.append(f"{q['label']}")
        lines.append(header)
        lines.append("-" * len(header))
        for school in q["schools"]:
            lines += [_row(school, subjects, names[r["group"]], r, spread)
                      for r in school["results"]]
        lines += _grades(sc, q, subjects, spread)
        lines += _strands(sc, q, subjects)
        lines += _attendance(sc, q, spread)
        lines += _courses(sc, q, spread)
        for imp in q["implementation"]:
            state = "running" if imp["running"] else "not yet running"
            lines.append(
                f"  {printable(imp['strategy'])}: {state}, fidelity {_fmt(imp['fidelity'], 2)}, "
                f"{_fmt(imp['students_served'], 0)} served, "
                f"{_fmt(imp['students_taking_up'], 0)} taking up"
            )
        for e in q["events"]:
            lines.append(f"  event: {printable(e['title'])}")
        lines.append("")
    res = doc["resources"]
    lines.append(
        f"Cost ${res['cost']:,.0f} of ${res['budget']:,.0f}"
        f"{' (over budget)' if res['over_budget'] else ''}; staff {res['staff_needed']} of "
        f"{res['staff_fte']} FTE{' (short of staff)' if res['over_staffed'] else ''}"
    )
    return "\n".join(lines)


def _adopted(strategy: str, targeting: dict) -> str:
    """A strategy as adopted, e.g. "tutoring-math [grades 6, 7 · el, swd · up to 40]"."""
    opts = targeting.get(strategy)
    if not opts:
        return strategy
    parts = []
    if "grades" in opts:
        parts.append("grades " + ", ".join(map(str, opts["grades"])))
    if "subgroups" in opts:
        parts.append(", ".join(opts["subgroups"]))
    if "capacity" in opts:
        parts.append(f"up to {opts['capacity']}")
    return f"{strategy} [{' · '.join(parts)}]"


def _grades(sc: Scenario, q: dict, subjects: dict[str, str], spread: bool) -> list[str]:
    """By grade: each school's subjects, grade by grade."""
    header = _header("grade", spread)
    lines = ["", f"{q['label']} by grade", header, "-" * len(header)]
    for school in q["schools"]:
        lines += [_row(school, subjects, f"Grade {r['grade']}", r, spread)
                  for r in school.get("grades", [])]
    return lines


def _header(group: str, spread: bool) -> str:
    """The columns of a results table whose rows are groups (or grades) of a school."""
    header = f"{'school':<26}{'subject':<9}{group:<28}{'n':>5}{'mean':>8}{'% on bm':>9}"
    return header + (f"{'± mean':>8}{'± %':>7}" if spread else "")


def _row(school: dict, subjects: dict[str, str], group: str, r: dict, spread: bool) -> str:
    """One group's (or grade's) results at a school, under :func:`_header`."""
    row = (f"{printable(school['name'])[:25]:<26}{subjects[r['subject']][:8]:<9}"
           f"{group[:27]:<28}{r['n']:>5}{_fmt(r['mean_score']):>8}"
           f"{_fmt(r['pct_proficient']):>9}")
    if spread:
        row += f"{_fmt(r['mean_score_sd']):>8}{_fmt(r['pct_proficient_sd']):>7}"
    return row


def _strands(sc: Scenario, q: dict, subjects: dict[str, str]) -> list[str]:
    """Mean strand scores ± standard error: a row per school, subject and strand, a
    column per group (all students, then each subgroup)."""
    groups = ["all", *(g.id for g in sc.subgroups)]
    shorts = {g.id: printable(g.short) for g in sc.subgroups} | {"all": "All"}
    strand_names = {(s.id, t.id): printable(t.name) for s in sc.subjects for t in s.strands}
    header = f"{'school':<26}{'subject':<9}{'strand':<28}" + "".join(
        f"{shorts[g][:13]:>14}" for g in groups)
    lines = ["", f"{q['label']} by strand (mean score ± standard error)", header,
             "-" * len(header)]
    for school in q["schools"]:
        cells: dict[tuple[str, str], dict[str, str]] = {}
        for r in school.get("strands", []):
            cell = ("—" if r["mean_score"] is None else f"{r['mean_score']:.1f}"
                    + ("" if r["se"] is None else f" ±{r['se']:.1f}"))
            cells.setdefault((r["subject"], r["strand"]), {})[r["group"]] = cell
        for (subject, strand), by_group in cells.items():
            lines.append(
                f"{printable(school['name'])[:25]:<26}{subjects[subject][:8]:<9}"
                f"{strand_names.get((subject, strand), printable(strand))[:27]:<28}"
                + "".join(f"{by_group.get(g, '—'):>14}" for g in groups))
    return lines


def _group_names(sc: Scenario) -> dict[str, str]:
    """The printable name of each group a results row names: all students, each subgroup."""
    return {g.id: printable(g.name) for g in sc.subgroups} | {"all": "All students"}


def _group_label(names: dict[str, str], group: str) -> str:
    """A row's group in words: "Grade 7" for ``grade-7``, else its name."""
    if group.startswith("grade-"):
        return f"Grade {group.removeprefix('grade-')}"
    return names.get(group, printable(group))


def _attendance(sc: Scenario, q: dict, spread: bool) -> list[str]:
    """Attendance so far this year by school and group (all, subgroups, grades)."""
    names = _group_names(sc)
    threshold = round(sc.population.attendance.chronic_threshold * 100)
    header = f"{'school':<26}{'group':<37}{'n':>5}{'days':>8}{'% chron':>9}"
    if spread:
        header += f"{'± days':>8}{'± %':>7}"
    lines = ["", f"{q['label']} attendance so far this year (days absent, mean; % chronically "
             f"absent: missing {threshold}% of days or more)", header, "-" * len(header)]
    for school in q["schools"]:
        for r in school.get("attendance", []):
            label = _group_label(names, r["group"])
            row = (f"{printable(school['name'])[:25]:<26}{label[:36]:<37}{r['n']:>5}"
                   f"{_fmt(r['mean_days_absent']):>8}{_fmt(r['pct_chronic']):>9}")
            if spread:
                row += f"{_fmt(r['mean_days_absent_sd']):>8}{_fmt(r['pct_chronic_sd']):>7}"
            lines.append(row)
    return lines


def _courses(sc: Scenario, q: dict, spread: bool) -> list[str]:
    """Course grades by school and group, in a scenario that has them."""
    if sc.courses is None:
        return []
    names = _group_names(sc)
    bar = sc.courses.on_track
    header = (f"{'school':<26}{'group':<29}{'n':>5}{'% failing':>10}{'Fs':>6}{'credits':>8}"
              f"{'% on track':>11}")
    if spread:
        header += f"{'± fail':>8}{'± track':>8}"
    lines = ["", f"{q['label']} {printable(sc.courses.name).lower()} (% failing a course this "
             f"quarter; Fs per student; credits this year; % on track: {bar.credits:g}+ "
             f"credits, at most {bar.max_failures} failed term grade"
             f"{'' if bar.max_failures == 1 else 's'})", header, "-" * len(header)]
    for school in q["schools"]:
        for r in school.get("courses", []):
            label = _group_label(names, r["group"])
            row = (f"{printable(school['name'])[:25]:<26}{label[:28]:<29}{r['n']:>5}"
                   f"{_fmt(r['pct_failing']):>10}{_fmt(r['mean_failures'], 2):>6}"
                   f"{_fmt(r['mean_credits']):>8}{_fmt(r['pct_on_track']):>11}")
            if spread:
                row += f"{_fmt(r['pct_failing_sd']):>8}{_fmt(r['pct_on_track_sd']):>8}"
            lines.append(row)
    return lines


def progress_table(doc: Progress) -> str:
    """Attempts as rows, sub-elements as columns, levels as 1–4."""
    who = f" of {printable(doc.participant)}" if doc.participant else ""
    legend = " · ".join(f"{i} {lv}" for i, lv in enumerate(doc.levels, 1))
    lines = [f"Attempts{who}, oldest first ({legend})"]
    if not doc.attempts:
        lines.append("No attempts yet: close a meeting of a session to see it here.")
        return "\n".join(lines)
    ids = doc.elements
    lines.append(f"{'created':<17} {'session':<9} {'scenario':<10} {'meeting':<10} "
                 + " ".join(f"{i:>2}" for i in ids) + "  mean  participants")
    for a in doc.attempts:
        cells = " ".join(
            f"{doc.levels.index(level) + 1:>2}" if (level := a.levels.get(i)) in doc.levels
            else " ·" for i in ids
        )
        mean = f"{a.mean:.2f}" if a.mean is not None else "  — "
        names = printable(", ".join(a.participants.values())) or "—"
        note = f"  ({printable(a.problem)})" if a.problem else ""
        lines.append(f"{a.created[:16]:<17} {a.session:<9} {printable(a.scenario)[:10]:<10} "
                     f"{printable(a.meeting)[:10]:<10} {cells}  {mean}  {names}{note}")
    return "\n".join(lines)
