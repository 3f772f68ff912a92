"""The debrief report as one self-contained, printable page.

Deterministic (no clock, no paths, no versions) and self-contained: the CSS
(``report.css`` beside this module) and the charts (SVG) are inline; no scripts,
no links out.
"""

from __future__ import annotations

import html
from importlib import resources

from simulator.debrief.models import HiddenTruth, Outcomes, Report, SoloReview
from simulator.formats.routine import past_tense
from simulator.formats.rubric import LEVELS
from simulator.render.phrases import (
    kind,
    looked_words,
    plan_line,
    routine_line,
    session_meta,
    signed,
    target_tables,
    who,
)

LEVEL_CLASS = {lv: lv.lower() for lv in LEVELS}
"""The CSS class of each level's colour."""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _css() -> str:
    return resources.files("simulator.render").joinpath("report.css").read_text("utf-8")


def _solo(solo: SoloReview) -> str:
    """Solo practice: the after-action review, meeting by meeting."""
    out = [f"<section class=\"solo\"><h2>After-action review: practice with {_e(solo.name)}"
           "</h2>"]
    for m in solo.meetings:
        items = "".join(f"<li>{_e(s)}</li>" for s in m.review)
        out.append(f"<h3>{_e(m.title)}</h3><ul>{items}</ul>")
        if m.missed[1:]:
            missed = "".join(
                f"<li>“{_e(x.text)}” — {_e(' or '.join(x.moves).lower())}"
                + (f", once {_e(' and '.join(x.needs))}" if x.needs else "") + "</li>"
                for x in m.missed)
            out.append(f"<p>What a better question would have drawn out:</p><ul>{missed}</ul>")
    out.append("</section>")
    return "".join(out)


def render_html(report: Report) -> str:
    """The report as an HTML page."""
    title = kind(report)
    meta = session_meta(report)
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — {_e(report.scenario_title)}</title>",
        f"<style>\n{_css()}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<p class=\"kicker\">{_e(title)}</p>",
        f"<h1>{_e(report.scenario_title)}</h1>",
        f"<p class=\"meta\">Session <code>{_e(report.session)}</code> · "
        f"{_e(meta[0])}{meta[1]}</p>",
    ]
    if report.participants:
        names = "; ".join(_e(who(p)) for p in report.participants)
        parts.append(f"<p class=\"meta\">Participants: {names}</p>")
    parts.append("</header>")
    if report.solo is not None:
        parts.append(_solo(report.solo))
    parts.append(_elements(report))
    if report.routine:
        items = "".join(f"<li>{_e(routine_line(i))}</li>" for i in report.routine)
        parts.append(f"<section><h2>The routine</h2><ul>{items}</ul></section>")
    if report.decisions:
        items = "".join(
            f"<li><span class=\"tag\">{_e(d.meeting_title)}:</span> {past_tense(d.action)} "
            f"{_e(d.name)}</li>" for d in report.decisions
        )
        parts.append(f"<section><h2>Decisions</h2><ul>{items}</ul></section>")
    parts.append(_outcomes(report.outcomes))
    if report.reveal is not None:
        parts.append(_reveal(report.reveal))
    if report.poll:
        rows = "".join(
            f"<tr><td>{_e(p.meeting_title)}</td><td>{_e(who(p))}</td>"
            f"<td>{_e(p.went_well)}</td><td>{_e(p.improve)}</td></tr>"
            for p in report.poll
        )
        parts.append(
            "<section class=\"poll\"><h2>Poll</h2><table><thead><tr><th>Meeting</th>"
            "<th>Who</th><th>What went well</th><th>What could be improved</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )
    if report.take_home:
        cards = "".join(
            f"<div class=\"card\"><h3>{_e(who(t))}</h3><ol>"
            + "".join(f"<li>{_e(s)}</li>" for s in t.steps)
            + "</ol></div>"
            for t in report.take_home
        )
        parts.append(
            "<section class=\"take-home\"><h2>Take-home: next steps for your State</h2>"
            f"<div class=\"cards\">{cards}</div></section>"
        )
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _levels_svg(report: Report) -> str:
    """A dot per sub-element at its level: the whole rubric at a glance."""
    elements, levels = report.elements, report.levels
    row, left, col, top = 22, 230, 92, 34
    width = left + col * len(levels) + 10
    height = top + row * len(elements) + 8
    out = [f'<svg class="chart levels" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="Level per sub-element">']
    for i, lv in enumerate(levels):
        x = left + col * i + col / 2
        out.append(f'<text class="axis" x="{x:.0f}" y="16" text-anchor="middle">{_e(lv)}</text>')
        out.append(f'<line class="grid" x1="{x:.0f}" y1="24" x2="{x:.0f}" '
                   f'y2="{height - 6}"/>')
    for r, e in enumerate(elements):
        y = top + row * r + row / 2
        label = f"{e.id} {e.name}"
        if len(label) > 34:
            label = label[:33] + "…"
        out.append(f'<text class="label" x="4" y="{y + 4:.0f}">{_e(label)}</text>')
        if e.level in levels:
            x = left + col * levels.index(e.level) + col / 2
            out.append(f'<line class="track" x1="{left + col / 2:.0f}" y1="{y:.0f}" '
                       f'x2="{x:.0f}" y2="{y:.0f}"/>')
            out.append(f'<circle class="dot {LEVEL_CLASS.get(e.level, "")}" cx="{x:.0f}" '
                       f'cy="{y:.0f}" r="7"><title>{_e(e.id)}: {_e(e.level)}</title>'
                       "</circle>")
    out.append("</svg>")
    return "".join(out)


def _elements(report: Report) -> str:
    rows = []
    for e in report.elements:
        ev = "".join(f"<li>{_e(x)}</li>" for x in e.evidence) or "<li>—</li>"
        missed = "".join(f"<li>{_e(x)}</li>" for x in e.missed) or "<li>—</li>"
        cls = LEVEL_CLASS.get(e.level, "")
        rows.append(
            f"<tr><th scope=\"row\">{_e(e.id)}</th><td>{_e(e.name)}</td>"
            f"<td><span class=\"level {cls}\">{_e(e.level)}</span></td>"
            f"<td><ul>{ev}</ul></td><td><ul>{missed}</ul></td></tr>"
        )
    return (
        "<section class=\"elements\"><h2>Performance management, element by element</h2>"
        f"<figure>{_levels_svg(report)}<figcaption>The level of each sub-element of the "
        "Performance Management Framework.</figcaption></figure>"
        "<table class=\"rubric\"><colgroup><col class=\"c-id\"><col class=\"c-name\">"
        "<col class=\"c-level\"><col class=\"c-text\"><col class=\"c-text\"></colgroup>"
        "<thead><tr><th></th><th>Sub-element</th><th>Level</th>"
        "<th>Evidence</th><th>Missed opportunity</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _outcomes_svg(out: Outcomes, subject: str) -> str:
    """Per plan: the band of replays (bar), their mean (dot) and this playthrough (diamond)."""
    plans = out.plans
    growth = [next(g for g in p.growth if g.subject == subject) for p in plans]
    stats = [g.pct for g in growth]
    lo = min(min(s.low, s.replication_0, 0.0) for s in stats)
    hi = max(max(s.high, s.replication_0, 0.0) for s in stats)
    pad = max((hi - lo) * 0.08, 0.5)
    lo, hi = lo - pad, hi + pad
    left, width, row, top = 210, 330, 30, 26
    total_w = left + width + 20
    height = top + row * len(plans) + 24

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    name = growth[0].name
    svg = [f'<svg class="chart outcomes" viewBox="0 0 {total_w} {height}" width="{total_w}" '
           f'height="{height}" role="img" aria-label="{_e(name)}: change in % on benchmark">']
    svg.append(f'<text class="axis" x="{left}" y="14">{_e(name)}: change in % on benchmark '
               f'({_e(out.baseline)}→{_e(out.end)}), points</text>')
    for tick in _ticks(lo, hi):
        tx = x(tick)
        svg.append(f'<line class="grid{" zero" if tick == 0 else ""}" x1="{tx:.1f}" '
                   f'y1="{top - 4}" x2="{tx:.1f}" y2="{height - 20}"/>')
        svg.append(f'<text class="axis" x="{tx:.1f}" y="{height - 6}" '
                   f'text-anchor="middle">{_e(signed(tick, 0) if tick else "0")}</text>')
    for i, (p, s) in enumerate(zip(plans, stats, strict=True)):
        y = top + row * i + row / 2
        svg.append(f'<text class="label" x="4" y="{y + 4:.0f}">{_e(p.label)}</text>')
        svg.append(f'<rect class="band {p.id}" x="{x(s.low):.1f}" y="{y - 6:.1f}" '
                   f'width="{max(x(s.high) - x(s.low), 1):.1f}" height="12" rx="3">'
                   f'<title>{out.band[0]}th–{out.band[1]}th percentile: '
                   f'{_e(signed(s.low))} to {_e(signed(s.high))}</title></rect>')
        svg.append(f'<circle class="mean" cx="{x(s.mean):.1f}" cy="{y:.1f}" r="4">'
                   f'<title>mean {_e(signed(s.mean))}</title></circle>')
        d = x(s.replication_0)
        svg.append(f'<path class="this" d="M{d:.1f} {y - 8:.1f} L{d + 6:.1f} {y:.1f} '
                   f'L{d:.1f} {y + 8:.1f} L{d - 6:.1f} {y:.1f} Z">'
                   f'<title>this playthrough {_e(signed(s.replication_0))}</title></path>')
    svg.append("</svg>")
    return "".join(svg)


def _ticks(lo: float, hi: float) -> list[float]:
    """Round axis ticks between ``lo`` and ``hi``, at most about eight."""
    span = hi - lo
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 50, 100) if span / s <= 8)
    first = int(lo // step) + 1
    return [k * step for k in range(first, int(hi // step) + 1)]


def _outcomes(out: Outcomes | None) -> str:
    head = "<section class=\"outcomes\"><h2>Student outcomes, apart from practice</h2>"
    if out is None:
        return head + "<p>No decisions have taken effect yet: outcomes follow the first " \
            "meeting.</p></section>"
    charts = "".join(f"<figure>{_outcomes_svg(out, g.subject)}</figure>"
                     for g in out.plans[0].growth)
    rows = []
    for p in out.plans:
        for g in p.growth:
            pct, sc = g.pct, g.score
            rows.append(
                f"<tr><td>{_e(p.label)}</td><td>{_e(g.name)}</td>"
                f"<td class=\"num\">{_e(signed(pct.mean))}</td>"
                f"<td class=\"num\">{_e(signed(pct.low))} to {_e(signed(pct.high))}</td>"
                f"<td class=\"num\">{_e(signed(pct.replication_0))} "
                f"<small>({pct.percentile_0:.0f}th pct)</small></td>"
                f"<td class=\"num\">{_e(signed(sc.mean))}</td>"
                f"<td class=\"num\">{_e(signed(sc.low))} to {_e(signed(sc.high))}</td>"
                "</tr>"
            )
    plans = "".join(f"<li>{_e(plan_line(p))}</li>" for p in out.plans)
    targets = ""
    for css, caption, headers, table in target_tables(out):
        body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                       for row in table)
        heads = "".join(f"<th>{_e(h)}</th>" for h in headers)
        targets += (f"<table class=\"{css}\"><caption>{_e(caption)}</caption>"
                    f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>")
    summary = "".join(f"<p>{_e(s)}</p>" for s in out.summary)
    return (
        head
        + f"<p>Priority school(s): {_e(', '.join(s.name for s in out.schools))}. "
        "Change from "
        f"{_e(out.baseline)} to {_e(out.end)}, replayed {out.replications} times with "
        f"the same decisions and the same random numbers. Bars: the middle "
        f"{out.band[1] - out.band[0]}% of replays; dot: their mean; diamond: this "
        "playthrough.</p>"
        + f"<div class=\"charts\">{charts}</div>"
        + "<table class=\"growth\"><thead><tr><th>Plan</th><th>Subject</th>"
        "<th>% on benchmark, mean</th><th>band</th><th>this playthrough</th>"
        "<th>scale score, mean</th><th>band</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        + targets
        + f"<ul class=\"plans\">{plans}</ul>"
        + f"<div class=\"summary\">{summary}</div></section>"
    )


def _reveal(truths: list[HiddenTruth]) -> str:
    cards = []
    for t in truths:
        items = []
        for ev in t.evidence:
            c = ev.clarity
            cls = c.words.replace(" ", "-")
            items.append(
                f"<li><p><strong>{_e(ev.view_title)}</strong>, {_e(ev.quarter)} "
                f"<code>{_e(ev.view)}</code>: {_e(ev.note)}</p>"
                f"<p><span class=\"clarity {cls}\">{_e(c.words)}</span> "
                f"{_e(c.detail)}</p>"
                f"<p class=\"looked\">{_e(looked_words(ev.looked, code=str))}</p></li>"
            )
        cards.append(f"<article class=\"truth\"><h3>{_e(t.title)}</h3>"
                     f"<p>{_e(t.explanation)}</p><ul>{''.join(items)}</ul></article>")
    return ("<section class=\"reveal\"><h2>What was really going on</h2>"
            + "".join(cards) + "</section>")
