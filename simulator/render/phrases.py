"""The report's phrases, shared by its Markdown and HTML renderers so both say the same."""

from __future__ import annotations

import re
from collections.abc import Callable

from simulator.debrief.models import (
    Band,
    Clarity,
    Looked,
    Outcomes,
    Participant,
    PlanOutcome,
    PollAnswer,
    Rating,
    Report,
    TakeHome,
)


def kind(report: Report) -> str:
    """The report's heading: the final debrief, or the debrief after a meeting."""
    return "Final debrief" if report.final else f"Debrief after {report.meeting.title}"


def session_meta(report: Report) -> tuple[str, str]:
    """The session's title and the seed note for a report's header.

    A session's default title already ends in "· seed N" (see ``Room.new``); the header
    names the seed once, so the note is empty when the title carries it.
    """
    title = report.session_title
    named = re.search(rf"(^|· )seed {report.seed}( ·|$)", title) is not None
    return title, "" if named else f" · seed {report.seed}"


def signed(x: float | None, nd: int = 1) -> str:
    """A change with its sign and a true minus; "—" for none."""
    if x is None:
        return "—"
    return f"{x:+.{nd}f}".replace("-", "−")


def who(entry: Participant | PollAnswer | TakeHome) -> str:
    """A participant as "Name (Role title)", or whichever of the two there is."""
    name, role = entry.name, entry.role_title
    return f"{name} ({role})" if name and role not in name else (name or role)


def _as_code(view: str) -> str:
    return f"`{view}`"


def looked_words(looked: Looked, text: Callable[[str], str] = str,
                 code: Callable[[str], str] = _as_code) -> str:
    """Whether, when and by whom the view that showed a hidden truth was opened; ``text``
    and ``code`` render the scenario's words and view ids (Markdown escapes both)."""
    first = looked.first
    if looked.opened and first is not None:
        when = f" at {text(first.meeting)}" if first.meeting else \
            (f" in {text(first.quarter)}" if first.quarter else "")
        late = "" if looked.in_time else " (only before the data showed it)"
        times = f", {looked.times} times" if looked.times > 1 else ""
        return f"Opened by the {text(first.role)}{when}{times}{late}."
    if looked.related:
        views = ", ".join(code(r.view) for r in looked.related)
        return f"Not opened; nearby views were: {views}."
    return "Not opened."


def clarity_words(c: Clarity) -> str:
    return f"{c.words} — {c.detail}"


def plan_line(p: PlanOutcome) -> str:
    """A plan's strategies, cost and staff in one line."""
    names = ", ".join(p.names) if p.names else "no new strategies"
    return f"{p.label}: {names} (${p.cost:,.0f}, {p.staff_fte:g} staff)"


def routine_line(r: Rating) -> str:
    """A routine quality's level with its evidence and missed opportunities."""
    parts = [f"{r.name or r.id}: {r.level}"]
    if r.evidence:
        parts.append("evidence: " + "; ".join(r.evidence))
    if r.missed:
        parts.append("missed: " + "; ".join(r.missed))
    return " — ".join(parts)


TARGET_HEADERS = ("Group", "Subject", "Students", "Scale score: yours", "business as usual",
                  "yours minus business as usual", "yours minus best bundle",
                  "% on benchmark: yours minus business as usual")
"""The columns of the target groups' table (Markdown and HTML)."""


def target_rows(out: Outcomes) -> list[tuple[str, ...]]:
    """One row per target group: its growth under each plan and the differences with band,
    so that it reads beside the school-wide table."""
    rows: list[tuple[str, ...]] = []
    for t in out.targets:
        diff = {d.vs: d for d in t.differences}
        bau, best = diff["business_as_usual"], diff["best"]
        rows.append((
            t.group_name, t.subject_name, str(t.students),
            signed(t.plans["played"].score.mean),
            signed(t.plans["business_as_usual"].score.mean),
            f"{signed(bau.score.mean)} ({signed(bau.score.low)} to {signed(bau.score.high)})",
            f"{signed(best.score.mean)} ({signed(best.score.low)} to {signed(best.score.high)})",
            f"{signed(bau.pct.mean)} ({signed(bau.pct.low)} to {signed(bau.pct.high)})",
        ))
    return rows


def _band(band: Band) -> str:
    return f"{signed(band.mean)} ({signed(band.low)} to {signed(band.high)})"


STRAND_HEADERS = ("Group", "Subject: strand", "Students", "Strand score: yours",
                  "business as usual", "yours minus business as usual",
                  "yours minus best bundle")
"""The columns of the target groups' strand table."""


def strand_rows(out: Outcomes) -> list[tuple[str, ...]]:
    """One row per target group's strand: its strand-score change under each plan and the
    differences with band."""
    rows: list[tuple[str, ...]] = []
    for t in out.target_strands:
        diff = {d.vs: d for d in t.differences}
        rows.append((
            t.group_name, f"{t.subject_name}: {t.strand_name}", str(t.students),
            signed(t.plans["played"].score.mean),
            signed(t.plans["business_as_usual"].score.mean),
            _band(diff["business_as_usual"].score), _band(diff["best"].score),
        ))
    return rows


ATTENDANCE_HEADERS = ("Group", "Students", "% chronically absent: yours", "business as usual",
                      "best bundle", "yours minus business as usual", "yours minus best bundle")
"""The columns of the target groups' chronic-absence table."""


def attendance_rows(out: Outcomes) -> list[tuple[str, ...]]:
    """One row per target group's chronic absence at the end of the year under each plan,
    and the differences with band (below zero: fewer chronically absent)."""
    rows: list[tuple[str, ...]] = []
    for t in out.target_attendance:
        diff = {d.vs: d for d in t.differences}
        rows.append((
            t.group_name, str(t.students),
            *(f"{t.plans[p].chronic.mean:.1f}%" for p in ("played", "business_as_usual",
                                                         "best")),
            _band(diff["business_as_usual"].chronic), _band(diff["best"].chronic),
        ))
    return rows


COURSE_TARGET_HEADERS = ("Group", "Taking the courses", "% on track: yours", "business as usual",
                         "best bundle", "on track: yours minus business as usual",
                         "failing a course: yours minus business as usual")
"""The columns of the target groups' course-grades table."""


def course_target_rows(out: Outcomes) -> list[tuple[str, ...]]:
    """One row per target group's course grades at the end of the year under each plan, and
    the differences with band (on track: above zero is better; failing: below zero)."""
    rows: list[tuple[str, ...]] = []
    for t in out.target_courses:
        diff = {d.vs: d for d in t.differences}
        rows.append((
            t.group_name, str(t.students),
            *(f"{t.plans[p].on_track.mean:.1f}%" for p in ("played", "business_as_usual",
                                                          "best")),
            _band(diff["business_as_usual"].on_track), _band(diff["business_as_usual"].failing),
        ))
    return rows


def target_tables(out: Outcomes) -> list[tuple[str, str, tuple[str, ...], list[tuple[str, ...]]]]:
    """The target groups' tables that have rows: (CSS class, caption, headers, rows)."""
    threshold = next((f"{100 * t.threshold:g}%" for t in out.target_attendance), "")
    tables = [
        ("targets", "The groups the targets and decisions named, at the end of the year "
         "(scale-score change; band in brackets)", TARGET_HEADERS, target_rows(out)),
        ("target-strands", "The same groups on the strand the decided strategy teaches (change "
         "in the mean strand score; band in brackets)", STRAND_HEADERS, strand_rows(out)),
        ("target-attendance", "Chronic absence in the groups the targets and decisions named, "
         f"at the end of the year (missing at least {threshold} of the days; band in brackets)",
         ATTENDANCE_HEADERS, attendance_rows(out)),
        ("target-courses", "Course grades of the students taking the courses in the groups "
         "the targets and decisions named, at the end of the year (percentage points; band in "
         "brackets)", COURSE_TARGET_HEADERS, course_target_rows(out)),
    ]
    return [t for t in tables if t[3]]
