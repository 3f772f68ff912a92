"""Readable plain-text tables of a headless run (``pmsim run --format table``)."""

from __future__ import annotations

from simulator.formats.scenario import Scenario


def _fmt(x: float | None, nd: int = 1) -> str:
    return "—" if x is None else f"{x:.{nd}f}"


def run_table(sc: Scenario, doc: dict) -> str:
    """Benchmark results by quarter, school, subject and group, then implementation."""
    names = {g.id: g.name for g in sc.subgroups} | {"all": "All students"}
    subjects = {s.id: s.name for s in sc.subjects}
    reps = doc["replications"]
    spread = reps > 1
    lines = [
        f"{sc.title} — seed {doc['seed']}, {reps} replication{'s' if reps > 1 else ''}",
        "Strategies adopted at the first meeting: " + (", ".join(doc["strategies"]) or
                                                      "none (business as usual)"),
        "",
    ]
    header = f"{'school':<26}{'subject':<9}{'group':<28}{'n':>5}{'mean':>8}{'% on bm':>9}"
    if spread:
        header += f"{'± mean':>8}{'± %':>7}"
    for q in doc["quarters"]:
        lines.append(f"{q['label']}")
        lines.append(header)
        lines.append("-" * len(header))
        for school in q["schools"]:
            for r in school["results"]:
                row = (f"{school['name'][:25]:<26}{subjects[r['subject']][:8]:<9}"
                       f"{names[r['group']][:27]:<28}{r['n']:>5}{_fmt(r['mean_score']):>8}"
                       f"{_fmt(r['pct_proficient']):>9}")
                if spread:
                    row += f"{_fmt(r['mean_score_sd']):>8}{_fmt(r['pct_proficient_sd']):>7}"
                lines.append(row)
        for imp in q["implementation"]:
            state = "running" if imp["running"] else "not yet running"
            lines.append(
                f"  {imp['strategy']}: {state}, fidelity {_fmt(imp['fidelity'], 2)}, "
                f"{_fmt(imp['students_served'], 0)} served, "
                f"{_fmt(imp['students_taking_up'], 0)} taking up"
            )
        for e in q["events"]:
            lines.append(f"  event: {e['title']}")
        lines.append("")
    res = doc["resources"]
    lines.append(
        f"Cost ${res['cost']:,.0f} of ${res['budget']:,.0f}"
        f"{' (over budget)' if res['over_budget'] else ''}; staff {res['staff_needed']} of "
        f"{res['staff_fte']} FTE{' (short of staff)' if res['over_staffed'] else ''}"
    )
    return "\n".join(lines)
