"""``pmsim scenario preview``: each meeting's dashboards as participants will see them.

The scenario is simulated for one seed with no decisions (business as usual), one
replication (what participants see), up to each meeting; at each, every view the
dashboard offers is built with the dashboard's own code
(:func:`simulator.engine.dashboard.build_table`, over the views its option lists name):
per school (and the whole district) and subject, all students, by grade, by subgroup,
by strand (for everyone, each subgroup and each grade), each subgroup by grade and each
grade by subgroup, both as % on benchmark and as mean scale score; then attendance (all,
by grade, by subgroup) and implementation. Values carry their ± standard errors as the
dashboard prints them. Rendered as aligned plain text or as Markdown for a handout;
the same scenario and seed give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from simulator.engine import dashboard as figures
from simulator.formats.refs import ATTENDANCE, COURSES, CROSS, IMPLEMENTATION, SERVED, View
from simulator.render.markdown import escape as _md
from simulator.render.plain import printable

if TYPE_CHECKING:
    from simulator.engine.dashboard import Table
    from simulator.engine.simulation import Simulation
    from simulator.formats.scenario import Meeting, Scenario

MEASURES = (("pct", "% on benchmark"), ("mean", "mean scale score"))
COURSE_MEASURES = (("pct", "% failing a course"), ("mean", "% on track"))
"""The two measures of a course-grades view (the dashboard's % / mean toggle)."""


@dataclass(frozen=True)
class Section:
    """The views of one school (or the district) and one subject, or attendance."""

    heading: str
    tables: list[Table]


@dataclass(frozen=True)
class MeetingPreview:
    meeting: Meeting
    quarters: list[str]
    """The quarters simulated by then (every table has a column for each)."""
    sections: list[Section]
    implementation: Table
    served_note: str
    """What the served-against-not-served views say with no strategy in play."""


def views_at(sim: Simulation) -> tuple[list[Section], Table]:
    """Every dashboard view at the simulation's latest quarter, as the dashboard lists them
    (its subject, school, breakdown, strand-group and cross option lists)."""
    sc = sim.scenario
    sections: list[Section] = []
    subjects = [(name, sid) for name, sid in figures.subject_options(sc)
                if sid not in (ATTENDANCE, IMPLEMENTATION)]
    for school_name, school in figures.school_options(sc):
        for subject_name, subject in subjects:
            tables: list[Table] = []
            for _, breakdown in figures.breakdown_options(subject):
                if breakdown == SERVED:
                    continue  # nothing in play without decisions: said once per meeting
                if breakdown == "strand":
                    tables += [figures.build_table(sim, View(subject, school, "strand"),
                                                   group=group)
                               for _, group in figures.group_options(sc)]
                    continue
                abouts = ([c for _, c in figures.cross_options(sc)] if breakdown == CROSS
                          else [None])
                for about in abouts:
                    view = View(subject, school, breakdown, about)
                    measures = COURSE_MEASURES if subject == COURSES else MEASURES
                    tables += [_titled(figures.build_table(sim, view, measure), words)
                               for measure, words in measures]
            sections.append(Section(f"{school_name} · {subject_name}", tables))
        attendance = [figures.build_table(sim, View(ATTENDANCE, school, b))
                      for _, b in figures.breakdown_options(ATTENDANCE)]
        sections.append(Section(f"{school_name} · Attendance", attendance))
    implementation = figures.build_table(
        sim, View(IMPLEMENTATION, figures.school_options(sc)[0][1], IMPLEMENTATION))
    return sections, implementation


def _titled(table: Table, measure: str) -> Table:
    """A table whose title says its measure (the dashboard says it in its toggle)."""
    return replace(table, title=f"{table.title} · {measure}")


def preview(sc: Scenario, seed: int = 1) -> list[MeetingPreview]:
    """Each meeting's views, simulating with no decisions (replication 0: one replication)."""
    from simulator.engine.playthrough import Plan, replay
    from simulator.engine.simulation import Simulation

    sim = Simulation(sc, seed=seed)
    out: list[MeetingPreview] = []
    note = ("Served vs not served: no strategy is in play, so there is nothing to compare; "
            "this view compares a strategy's students with those it does not serve once the "
            "district adopts one at a meeting.")

    def at(meeting: Meeting) -> None:
        sections, implementation = views_at(sim)
        out.append(MeetingPreview(meeting, [r.quarter.label for r in sim.history], sections,
                                  implementation, note))

    plan: Plan = [(m.id, []) for m in sc.calendar.meetings]
    replay(sim, plan, at_meeting=at)
    return out


# ---------------------------------------------------------------------- rendering


def _cells(table: Table) -> tuple[list[str], list[list[str]], int]:
    """Column headings and rows of a table as the dashboard prints them (raw: each renderer
    makes them printable its way), and how many leading columns are numbers
    (right-aligned)."""
    columns = [table.label_heading, "n", *table.quarters, *table.extra_columns]
    rows = []
    for row in table.rows:
        rows.append([
            f"⚠ {row.label}" if row.small else row.label,
            str(row.n) if row.counted else "—",
            *(figures.fmt(v, e, table.unit) for v, e in zip(row.values, row.errors, strict=True)),
            *row.extra,
        ])
    return columns, rows, 2 + len(table.quarters)


def _legend() -> str:
    return (f"± standard error: overlapping ranges may not differ · ⚠ fewer than "
            f"{figures.SMALL_N} students: read with care")


def _intro(sc: Scenario, seed: int) -> list[str]:
    return [f"Seed {seed}, no decisions (business as usual): the dashboards participants "
            "see at each meeting, before they decide anything.", _legend()]


def _meeting_lines(m: MeetingPreview, shown: Callable[[str], str]) -> tuple[
        str, list[str], list[str]]:
    """A meeting's title, its setting and its goals, each as ``shown`` (printable text, or
    Markdown's escape)."""
    return (shown(m.meeting.title), [shown(s) for s in m.meeting.setting],
            [shown(g) for g in m.meeting.goals])


def render_text(sc: Scenario, seed: int, previews: list[MeetingPreview]) -> str:
    """Aligned plain text."""
    out = [printable(sc.title), "=" * len(printable(sc.title)), *_intro(sc, seed), ""]
    for m in previews:
        title, setting, goals = _meeting_lines(m, printable)
        out += [title, "=" * len(title), f"Quarters so far: {', '.join(m.quarters)}"]
        out += [f"  {s}" for s in setting]
        if goals:
            out.append("Goals:")
            out += [f"  - {g}" for g in goals]
        out.append("")
        for section in m.sections:
            out += [printable(section.heading), "-" * len(printable(section.heading)), ""]
            for table in section.tables:
                out += [*_text_table(table), ""]
        out += [*_text_table(m.implementation), "", m.served_note, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _text_table(table: Table) -> list[str]:
    lines = [printable(table.title), printable(table.caption)]
    if not table.rows:
        return [*lines, printable(table.empty)]
    headings, cells, numbers = _cells(table)
    columns = [printable(c) for c in headings]
    rows = [[printable(c) for c in r] for r in cells]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if 0 < i < numbers else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [*lines, line(columns), "  ".join("-" * w for w in widths),
            *(line(r) for r in rows)]


def render_markdown(sc: Scenario, seed: int, previews: list[MeetingPreview]) -> str:
    """Markdown for a handout: a heading per meeting, school and subject, a table per view."""
    out = [f"# {_md(sc.title)} — dashboards by meeting", "", *(_md(t) for t in _intro(sc, seed)),
           ""]
    for m in previews:
        title, setting, goals = _meeting_lines(m, _md)
        out += [f"## {title}", "", f"Quarters so far: {', '.join(map(_md, m.quarters))}",
                ""]
        out += "\n>\n".join(f"> {s}" for s in setting).split("\n")
        if setting:
            out.append("")
        if goals:
            out += ["Goals:", "", *(f"- {g}" for g in goals), ""]
        for section in m.sections:
            out += [f"### {_md(section.heading)}", ""]
            for table in section.tables:
                out += [*_md_table(table, "####"), ""]
        out += [f"### {_md(m.implementation.title)}", ""]
        out += [*_md_table(m.implementation, None), "", _md(m.served_note), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md_table(table: Table, heading: str | None) -> list[str]:
    lines = ([f"{heading} {_md(table.title)}", ""] if heading else []) + [
        f"*{_md(table.caption)}*", ""]
    if not table.rows:
        return [*lines, _md(table.empty)]
    columns, rows, numbers = _cells(table)
    align = ["---:" if 0 < i < numbers else ":---" for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    return [*lines, line([_md(c) for c in columns]), line(align),
            *(line([_md(c) for c in r]) for r in rows)]


def render(sc: Scenario, seed: int, fmt: str) -> str:
    """The preview of ``sc`` for ``seed`` as ``fmt`` ("md" or "text")."""
    previews = preview(sc, seed)
    return (render_markdown if fmt == "md" else render_text)(sc, seed, previews)
