"""The debrief report as Markdown (GitHub-flavoured tables): deterministic, no clock, no paths."""

from __future__ import annotations

import re

from simulator.debrief.models import Outcomes, Report, SoloReview
from simulator.debrief.outcomes import ordinal
from simulator.formats.routine import past_tense
from simulator.render.phrases import (
    clarity_words,
    kind,
    looked_words,
    plan_line,
    routine_line,
    session_meta,
    signed,
    target_tables,
    who,
)
from simulator.render.plain import printable

_MD_SPECIAL = re.compile(r"([\\`*_\[\]!|~])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
"""``&`` that would start a character reference (``&amp;``, ``&#35;``): shown as written."""
_LIST_NUMBER = re.compile(r"\d{1,9}(?=[.)](?:\s|$))")
"""Digits that, with the ``.`` or ``)`` after them, would start an ordered list item."""
_BLOCK_MARK = re.compile(r"#|[-+](?:\s|$)|[-=][-=\s]*$")
"""What at the start of a line would make a heading, a list item, a rule or an underline."""
_CLOSING_HASHES = re.compile(r"(?<=\s)#+$")
"""Hashes that would end a heading (and vanish) when the text is a heading's."""


def escape(text: object) -> str:
    """Participants' and a scenario's words as plain text in Markdown, never markup: the
    same words whether the text stands alone on a line, after a list marker or ``>``, in a
    heading or in a table cell.

    Joins lines into one and trims it; backslash-escapes what could start a link, an image,
    emphasis, strikethrough, code or a table cell (parentheses are harmless once brackets
    are escaped); turns ``<`` and ``>`` into entities so no raw HTML gets through, and
    keeps ``&`` from starting one; escapes what at the start would make a heading, a list
    item, a rule or an underline (``#``, ``- ``, ``+ ``, ``1.``, ``---``, ``===``), and
    a heading's closing ``#`` at the end.
    """
    text = " ".join(printable(str(text), keep="\n").splitlines()).strip()
    text = _ENTITY.sub(r"\\&", _MD_SPECIAL.sub(r"\\\1", text))
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _CLOSING_HASHES.sub(lambda m: "\\" + m.group(), text)
    if (number := _LIST_NUMBER.match(text)) is not None:
        return f"{number.group()}\\{text[number.end():]}"
    return "\\" + text if _BLOCK_MARK.match(text) else text


def code(text: object) -> str:
    """An identifier as a code span; a backtick inside it would end the span early."""
    return "`" + printable(str(text)).replace("`", "'") + "`"


def render_markdown(report: Report) -> str:
    """The report as Markdown."""
    lines: list[str] = []
    add = lines.append
    add(f"# {kind(report)}: {escape(report.scenario_title)}")
    add("")
    title, seed = session_meta(report)
    add(f"Session `{report.session}` · {escape(title)}{seed}")
    if report.participants:
        add("")
        add("Participants: " + "; ".join(escape(who(p)) for p in report.participants) + ".")
    if report.solo is not None:
        lines += _solo(report.solo)
    add("")
    add("## Performance management, element by element")
    add("")
    add("| | Sub-element | Level | Evidence | Missed opportunity |")
    add("|---|---|---|---|---|")
    for e in report.elements:
        evidence = "<br>".join(escape(x) for x in e.evidence) or "—"
        missed = "<br>".join(escape(x) for x in e.missed) or "—"
        add(f"| {escape(e.id)} | {escape(e.name)} | **{e.level}** | {evidence} | {missed} |")
    if report.routine:
        add("")
        add("## The routine")
        add("")
        for item in report.routine:
            add(f"- {escape(routine_line(item))}")
    if report.decisions:
        add("")
        add("## Decisions")
        add("")
        for d in report.decisions:
            add(f"- {escape(d.meeting_title)}: {past_tense(d.action)} {escape(d.name)}")
    add("")
    add("## Student outcomes, apart from practice")
    add("")
    if report.outcomes is None:
        add("No decisions have taken effect yet: outcomes follow the first meeting.")
    else:
        lines += _outcomes(report.outcomes)
    if report.reveal is not None:
        add("")
        add("## What was really going on")
        for t in report.reveal:
            add("")
            add(f"### {escape(t.title)}")
            add("")
            add(escape(t.explanation))
            add("")
            for ev in t.evidence:
                add(f"- **{escape(ev.view_title)}** ({code(ev.view)}), {escape(ev.quarter)}: "
                    f"{escape(ev.note)}")
                add(f"  - How clearly this session's data showed it: "
                    f"{escape(clarity_words(ev.clarity))}.")
                add(f"  - {looked_words(ev.looked, escape, code)}")
    if report.poll:
        add("")
        add("## Poll")
        add("")
        add("| Meeting | Who | What went well | What could be improved |")
        add("|---|---|---|---|")
        for p in report.poll:
            add(f"| {escape(p.meeting_title)} | {escape(who(p))} | "
                f"{escape(p.went_well)} | {escape(p.improve)} |")
    if report.take_home:
        add("")
        add("## Take-home: next steps for your State")
        for home in report.take_home:
            add("")
            add(f"**{escape(who(home))}**")
            add("")
            for i, step in enumerate(home.steps, 1):
                add(f"{i}. {escape(step)}")
    add("")
    return "\n".join(lines)


def _solo(solo: SoloReview) -> list[str]:
    """Solo practice: the after-action review, meeting by meeting, before the ratings."""
    lines = ["", f"## After-action review: practice with {escape(solo.name)}"]
    for m in solo.meetings:
        lines += ["", f"### {escape(m.title)}", ""]
        lines += [f"- {escape(sentence)}" for sentence in m.review]
        if m.missed[1:]:
            lines += ["", "What a better question would have drawn out:", ""]
            lines += [f"- “{escape(x.text)}” — {escape(' or '.join(x.moves).lower())}"
                      + (f", once {escape(' and '.join(x.needs))}" if x.needs else "")
                      for x in m.missed]
    return lines


def _outcomes(out: Outcomes) -> list[str]:
    schools = ", ".join(s.name for s in out.schools)
    lines = [
        f"Priority school(s): {escape(schools)}. Change from {out.baseline} to {out.end}, "
        f"replayed {out.replications} times with the same decisions "
        f"(band: {out.band[0]}th–{out.band[1]}th percentile).",
        "",
        "| Plan | Subject | % on benchmark (mean) | band | this playthrough | "
        "scale score (mean) | band |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in out.plans:
        for g in p.growth:
            pct, sc = g.pct, g.score
            lines.append(
                f"| {escape(p.label)} | {escape(g.name)} | {signed(pct.mean)} | "
                f"{signed(pct.low)} to {signed(pct.high)} | "
                f"{signed(pct.replication_0)} ({ordinal(pct.percentile_0)} pct) | "
                f"{signed(sc.mean)} | {signed(sc.low)} to {signed(sc.high)} |")
    lines.append("")
    for _, caption, headers, rows in target_tables(out):
        lines += [f"{escape(caption)}:", "",
                  "| " + " | ".join(headers) + " |",
                  "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
        lines.append("")
    lines += [f"- {escape(plan_line(p))}" for p in out.plans]
    lines.append("")
    for s in out.summary:
        lines += [f"> {escape(s)}", ">"]
    lines.pop()
    return lines
