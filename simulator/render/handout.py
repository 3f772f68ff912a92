"""The State self-assessment as a one-page handout: Markdown and printable HTML.

Deterministic (no clock, no paths, no versions) and self-contained: the CSS
(``handout.css`` beside this module, with print rules that keep it to one A4 or
Letter page) is inline; no scripts, no links out. Everything shown comes from the
:class:`~simulator.debrief.selfassess.SelfAssessment` document.
"""

from __future__ import annotations

import html
from importlib import resources

from simulator.debrief.selfassess import GapRow, SelfAssessment
from simulator.render.markdown import escape

TITLE = "The State self-assessment"


def _heading(doc: SelfAssessment) -> str:
    return f"{TITLE}: {doc.state}" if doc.state else TITLE


def _meta(doc: SelfAssessment) -> list[str]:
    """Who and what, in plain words (unescaped)."""
    out = []
    if doc.participant:
        out.append(f"By {doc.participant}")
    if doc.session is not None:
        played = f" on {doc.scenario_title}" if doc.scenario_title else ""
        out.append(f"Beside the practice of session {doc.session}{played}")
    else:
        out.append("No session given: the self-ratings beside the rubric alone")
    out.append(f"{doc.rated} of {len(doc.elements)} sub-elements rated")
    return out


def gap_lines(doc: SelfAssessment) -> list[tuple[str, str]]:
    """The gaps in two lines: where the mock went further than the State, and where the
    State rates itself above what was practised (heading, the sub-elements with their
    gaps); a line only when it has one."""
    ahead = [f"{r.id} ({_gap(r)})" for r in doc.elements if r.gap is not None and r.gap > 0]
    above = [f"{r.id} ({_gap(r)})" for r in doc.elements if r.gap is not None and r.gap < 0]
    out = []
    if ahead:
        out.append(("The mock went further than your State's routine — try at home",
                    ", ".join(ahead)))
    if above:
        out.append(("Your State rates itself above what you practised — check the "
                    "evidence against what the debrief looks for", ", ".join(above)))
    return out


def _gap(row: GapRow) -> str:
    if row.gap is None:
        return "—"
    return f"{row.gap:+d}".replace("-", "−") if row.gap else "0"


# --------------------------------------------------------------------------- Markdown


def render_handout_markdown(doc: SelfAssessment) -> str:
    """The handout as Markdown (GitHub-flavoured tables)."""
    lines = [f"# {escape(_heading(doc))}", "", " · ".join(escape(m) for m in _meta(doc)), "",
             "## Your State beside what you practised", "",
             "| | Sub-element | Your State | Evidence | Practised | Gap |",
             "|---|---|---|---|---|---|"]
    for r in doc.elements:
        lines.append(f"| {r.id} | {escape(r.name)} | {r.level or '—'} | "
                     f"{escape(r.evidence) or '—'} | {r.practised or '—'} | {_gap(r)} |")
    lines += ["", "Gap: practised minus your State's level, in rubric levels "
              f"({' < '.join(doc.levels)}); positive where the mock went further than your "
              "State's routine does.", ""]
    gaps = gap_lines(doc)
    if gaps:
        lines += ["## The gaps", ""]
        lines += [f"- {escape(head)}: {ids}" for head, ids in gaps]
        lines.append("")
    if doc.from_mock:
        lines += ["## From the mock: what to try at home", ""]
        lines += [f"- {escape(x)}" for x in doc.from_mock]
        lines.append("")
    lines += ["## Take-home: next steps for your State", "", escape(doc.intro), ""]
    for p in doc.next_steps:
        lines += [f"### {escape(p.heading)}", ""]
        if p.question:
            lines += [f"*{escape(p.question)}*", ""]
        lines += [f"Draft: {escape(p.draft)}", "", "Your next step: ____________________", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _css() -> str:
    return resources.files("simulator.render").joinpath("handout.css").read_text("utf-8")


NONE = "<span class=\"none\">—</span>"


def _level(level: str | None) -> str:
    if level is None:
        return NONE
    return f"<span class=\"lv {level.lower()}\">{_e(level)}</span>"


def render_handout_html(doc: SelfAssessment) -> str:
    """The handout as one printable HTML page."""
    rows = "".join(
        f"<tr><td>{_e(r.id)}</td><td>{_e(r.name)}</td><td>{_level(r.level)}</td>"
        f"<td>{_e(r.evidence) or NONE}</td>"
        f"<td>{_level(r.practised)}</td><td class=\"gap\">{_e(_gap(r))}</td></tr>"
        for r in doc.elements)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_heading(doc))}</title>", f"<style>\n{_css()}</style>", "</head>",
        "<body>", "<header>", f"<p class=\"kicker\">{_e(TITLE)}</p>",
        f"<h1>{_e(doc.state or 'Your State')}</h1>",
        f"<p class=\"meta\">{' · '.join(_e(m) for m in _meta(doc))}</p>", "</header>",
        "<section class=\"ratings\"><h2>Your State beside what you practised</h2>"
        "<table><colgroup><col class=\"c-id\"><col class=\"c-name\"><col class=\"c-level\">"
        "<col><col class=\"c-level\"><col class=\"c-gap\"></colgroup>"
        "<thead><tr><th></th><th>Sub-element</th><th>Your State</th><th>Evidence</th>"
        f"<th>Practised</th><th>Gap</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p class=\"muted\">Gap: practised minus your State's level, in rubric levels "
        f"({_e(' < '.join(doc.levels))}); positive where the mock went further than your "
        "State's routine does.</p></section>",
    ]
    gaps = gap_lines(doc)
    if gaps:
        items = "".join(f"<li>{_e(head)}: <b>{_e(ids)}</b></li>" for head, ids in gaps)
        parts.append(f"<section class=\"gaps\"><h2>The gaps</h2><ul>{items}</ul></section>")
    if doc.from_mock:
        items = "".join(f"<li>{_e(x)}</li>" for x in doc.from_mock)
        parts.append("<section class=\"mock\"><h2>From the mock: what to try at home</h2>"
                     f"<ul>{items}</ul></section>")
    cards = "".join(
        f"<div class=\"part\"><h3>{_e(p.heading)}</h3>"
        + (f"<p class=\"q\">{_e(p.question)}</p>" if p.question else "")
        + f"<p class=\"draft\"><b>Draft:</b> {_e(p.draft)}</p>"
        "<p class=\"muted\">Your next step:</p><div class=\"write\"></div>"
        "<div class=\"write\"></div></div>"
        for p in doc.next_steps)
    parts.append("<section class=\"take-home\"><h2>Take-home: next steps for your State</h2>"
                 f"<p>{_e(doc.intro)}</p><div class=\"parts\">{cards}</div></section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
