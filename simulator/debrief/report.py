"""The debrief report of a session: one JSON document, rendered as Markdown or HTML.

``build_report`` gathers what the debrief says — the rubric levels with their
evidence (from :mod:`simulator.debrief.scoring`), the routine, the student outcomes
apart from practice (:mod:`simulator.debrief.outcomes`), the participants' poll and
take-home steps and, at the final debrief only, the reveal of the hidden truths
(:mod:`simulator.debrief.reveal`). The renderers turn that document, and nothing else,
into a page to hand out after a workshop: deterministic (no clock, no paths,
no versions), self-contained (inline CSS and SVG, no scripts, no links out).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from simulator.debrief.outcomes import ordinal
from simulator.formats.routine import past_tense
from simulator.formats.rubric import ELEMENTS, LEVELS, SUB_ELEMENTS
from simulator.formats.scenario import Scenario
from simulator.session.state import SessionState, plan_of

REPORT_VERSION = 1

Scorer = Callable[..., Any]


def schema() -> dict[str, Any]:
    """The report's JSON Schema (``simulator/debrief/report.schema.json``)."""
    text = resources.files("simulator.debrief").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


# --------------------------------------------------------------------------- building


def is_final(scenario: Scenario, state: SessionState) -> bool:
    """Every meeting of the calendar closed: the year is over and the reveal is due."""
    return all(m.id in state.closed_meetings for m in scenario.calendar.meetings)


def build_report(
    scenario: Scenario,
    state: SessionState,
    *,
    final: bool | None = None,
    replications: int = 200,
    participants: dict[str, str] | None = None,
    cache_dir: Path | None = None,
    scorer: Scorer | None = None,
) -> dict[str, Any]:
    """The JSON debrief of ``state`` (see ``report.schema.json``).

    ``final`` defaults to whether every meeting is closed; only a final report
    reveals the hidden truths and compares outcomes with business as usual and
    the best affordable bundle. ``scorer`` stands in for
    :func:`simulator.debrief.scoring.score` (tests pin the levels with it).
    """
    from simulator.debrief.outcomes import outcomes
    from simulator.engine.playthrough import simulate

    if scorer is None:
        from simulator.debrief.scoring import score as scorer
    final = is_final(scenario, state) if final is None else final
    plan = plan_of(state)
    sim, _ = simulate(scenario, state.seed, plan)
    meetings = scenario.calendar.meetings
    closed = [m for m in meetings if m.id in state.closed_meetings]
    if final:
        upto = None
        shown = closed[-1] if closed else meetings[-1]
    else:
        shown = closed[-1] if closed else meetings[0]
        upto = shown.id
    debrief = scorer(scenario, state, upto_meeting=upto, sim=sim).to_json()
    names = state.participants(participants)

    if not closed and not final:
        outcome_doc = None  # nothing decided yet: nothing to measure
    else:
        window = None if final else sim.quarters_done - 1
        outcome_doc = outcomes(scenario, state.seed, plan, replications,
                               cache_dir=cache_dir, upto=window, yardsticks=final)

    doc: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "scenario": scenario.id,
        "scenario_title": scenario.title,
        "session": state.session_id,
        "session_title": state.title,
        "seed": state.seed,
        "meeting": {"id": shown.id, "title": shown.title},
        "final": final,
        "levels": list(LEVELS),
        "participants": [
            {"role": role, "role_title": scenario.roles.title_of(role), "name": name}
            for role, name in names.items()
        ],
        "elements": [_element(e) for e in debrief.get("elements", [])],
        "routine": list(debrief.get("routine", [])),
        "decisions": _decisions(scenario, state),
        "outcomes": outcome_doc,
        "poll": [
            {"meeting": p["meeting"], "meeting_title": _meeting_title(scenario, p["meeting"]),
             "role": p["role"], "role_title": scenario.roles.title_of(p["role"]),
             "name": names.get(p["role"], ""), "went_well": p["went_well"],
             "improve": p["improve"]}
            for p in state.polls
        ],
        "take_home": [
            {"role": t["role"], "role_title": scenario.roles.title_of(t["role"]),
             "name": t.get("participant") or names.get(t["role"], ""),
             "steps": list(t["steps"])}
            for t in state.takehome
        ],
    }
    if final:
        from simulator.debrief.reveal import reveal

        doc["reveal"] = reveal(scenario, state, sim)
    return doc


def _element(e: dict[str, Any]) -> dict[str, Any]:
    out = dict(e)
    out.setdefault("name", SUB_ELEMENTS.get(e["id"], e["id"]))
    out.setdefault("element", ELEMENTS.get(e["id"][:1], ""))
    return out


def _meeting_title(scenario: Scenario, meeting: str) -> str:
    return next((m.title for m in scenario.calendar.meetings if m.id == meeting), meeting)


def _decisions(scenario: Scenario, state: SessionState) -> list[dict[str, Any]]:
    names = {s.id: s.name for s in scenario.strategies}
    return [
        {"meeting": m, "meeting_title": _meeting_title(scenario, m), "strategy": d["strategy"],
         "name": names.get(d["strategy"], d["strategy"]), "action": d["action"]}
        for m, decisions in plan_of(state)
        for d in decisions
    ]


# --------------------------------------------------------------------------- shared text


def _signed(x: float | None, nd: int = 1) -> str:
    if x is None:
        return "—"
    return f"{x:+.{nd}f}".replace("-", "−")


def _who(entry: dict[str, Any]) -> str:
    name, role = entry.get("name", ""), entry["role_title"]
    return f"{name} ({role})" if name and role not in name else (name or role)


def _looked_words(looked: dict[str, Any]) -> str:
    if looked["opened"]:
        first = looked["first"]
        when = f" at {first['meeting']}" if first.get("meeting") else \
            (f" in {first['quarter']}" if first.get("quarter") else "")
        late = "" if looked["in_time"] else " (only before the data showed it)"
        times = f", {looked['times']} times" if looked["times"] > 1 else ""
        return f"Opened by the {first['role']}{when}{times}{late}."
    if looked["related"]:
        views = ", ".join(f"`{r['view']}`" for r in looked["related"])
        return f"Not opened; nearby views were: {views}."
    return "Not opened."


def _clarity_words(c: dict[str, Any]) -> str:
    return f"{c['words']} — {c['detail']}"


def _plan_line(p: dict[str, Any]) -> str:
    names = ", ".join(p["names"]) if p["names"] else "no new strategies"
    return f"{p['label']}: {names} (${p['cost']:,.0f}, {p['staff_fte']:g} staff)"


# --------------------------------------------------------------------------- Markdown


def _md_escape(text: Any) -> str:
    """Participants' words as plain text in Markdown: no tables broken, no HTML let in."""
    text = str(text).replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (GitHub-flavoured tables)."""
    lines: list[str] = []
    add = lines.append
    kind = "Final debrief" if report["final"] else f"Debrief after {report['meeting']['title']}"
    add(f"# {kind}: {_md_escape(report['scenario_title'])}")
    add("")
    add(f"Session `{report['session']}` · {_md_escape(report['session_title'])} · "
        f"seed {report['seed']}")
    if report["participants"]:
        add("")
        add("Participants: " + "; ".join(_md_escape(_who(p)) for p in report["participants"])
            + ".")
    add("")
    add("## Performance management, element by element")
    add("")
    add("| | Sub-element | Level | Evidence | Missed opportunity |")
    add("|---|---|---|---|---|")
    for e in report["elements"]:
        evidence = "<br>".join(_md_escape(x) for x in e.get("evidence", [])) or "—"
        missed = "<br>".join(_md_escape(x) for x in e.get("missed", [])) or "—"
        add(f"| {e['id']} | {_md_escape(e['name'])} | **{e['level']}** | {evidence} | {missed} |")
    if report["routine"]:
        add("")
        add("## The routine")
        add("")
        for item in report["routine"]:
            add(f"- {_md_escape(_routine_line(item))}")
    if report["decisions"]:
        add("")
        add("## Decisions")
        add("")
        for d in report["decisions"]:
            add(f"- {_md_escape(d['meeting_title'])}: {past_tense(d['action'])} "
                f"{_md_escape(d['name'])}")
    out = report["outcomes"]
    add("")
    add("## Student outcomes, apart from practice")
    add("")
    if out is None:
        add("No decisions have taken effect yet: outcomes follow the first meeting.")
    else:
        schools = ", ".join(s["name"] for s in out["schools"])
        add(f"Priority school(s): {_md_escape(schools)}. Change from {out['baseline']} "
            f"to {out['end']}, replayed {out['replications']} times with the same decisions "
            f"(band: {out['band'][0]}th–{out['band'][1]}th percentile).")
        add("")
        add("| Plan | Subject | % on benchmark (mean) | band | this playthrough | "
            "scale score (mean) | band |")
        add("|---|---|---|---|---|---|---|")
        for p in out["plans"]:
            for g in p["growth"]:
                pct, sc = g["pct"], g["score"]
                add(f"| {p['label']} | {g['name']} | {_signed(pct['mean'])} | "
                    f"{_signed(pct['low'])} to {_signed(pct['high'])} | "
                    f"{_signed(pct['replication_0'])} ({ordinal(pct['percentile_0'])} pct) | "
                    f"{_signed(sc['mean'])} | {_signed(sc['low'])} to {_signed(sc['high'])} |")
        add("")
        for p in out["plans"]:
            add(f"- {_md_escape(_plan_line(p))}")
        add("")
        for s in out["summary"]:
            add(f"> {s}")
            add(">")
        lines.pop()
    if "reveal" in report:
        add("")
        add("## What was really going on")
        for t in report["reveal"]:
            add("")
            add(f"### {t['title']}")
            add("")
            add(t["explanation"])
            add("")
            for ev in t["evidence"]:
                add(f"- **{ev['view_title']}** (`{ev['view']}`), {ev['quarter']}: {ev['note']}")
                add(f"  - How clearly this session's data showed it: "
                    f"{_md_escape(_clarity_words(ev['clarity']))}.")
                add(f"  - {_looked_words(ev['looked'])}")
    if report["poll"]:
        add("")
        add("## Poll")
        add("")
        add("| Meeting | Who | What went well | What could be improved |")
        add("|---|---|---|---|")
        for p in report["poll"]:
            add(f"| {_md_escape(p['meeting_title'])} | {_md_escape(_who(p))} | "
                f"{_md_escape(p['went_well'])} | {_md_escape(p['improve'])} |")
    if report["take_home"]:
        add("")
        add("## Take-home: next steps for your State")
        for t in report["take_home"]:
            add("")
            add(f"**{_md_escape(_who(t))}**")
            add("")
            for i, step in enumerate(t["steps"], 1):
                add(f"{i}. {_md_escape(step)}")
    add("")
    return "\n".join(lines)


def _routine_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    title = item.get("name") or item.get("title") or item.get("id") or ""
    level = item.get("level") or item.get("score")
    parts = [f"{title}: {level}" if level is not None else str(title)]
    for key in ("text", "summary", "detail"):
        if isinstance(item.get(key), str):
            parts.append(item[key])
    for key in ("evidence", "missed"):
        if isinstance(item.get(key), list) and item[key]:
            label = "evidence" if key == "evidence" else "missed"
            parts.append(f"{label}: " + "; ".join(str(x) for x in item[key]))
    return " — ".join(parts)


# --------------------------------------------------------------------------- HTML


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _css() -> str:
    return resources.files("simulator.debrief").joinpath("report.css").read_text("utf-8")


def render_html(report: dict[str, Any]) -> str:
    """One self-contained, printable page: inline CSS and SVG, no scripts, no links out."""
    kind = "Final debrief" if report["final"] else f"Debrief after {report['meeting']['title']}"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(kind)} — {_e(report['scenario_title'])}</title>",
        f"<style>\n{_css()}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<p class=\"kicker\">{_e(kind)}</p>",
        f"<h1>{_e(report['scenario_title'])}</h1>",
        f"<p class=\"meta\">Session <code>{_e(report['session'])}</code> · "
        f"{_e(report['session_title'])} · seed {report['seed']}</p>",
    ]
    if report["participants"]:
        who = "; ".join(_e(_who(p)) for p in report["participants"])
        parts.append(f"<p class=\"meta\">Participants: {who}</p>")
    parts.append("</header>")
    parts.append(_html_elements(report))
    if report["routine"]:
        items = "".join(f"<li>{_e(_routine_line(i))}</li>" for i in report["routine"])
        parts.append(f"<section><h2>The routine</h2><ul>{items}</ul></section>")
    if report["decisions"]:
        items = "".join(
            f"<li><span class=\"tag\">{_e(d['meeting_title'])}:</span> {past_tense(d['action'])} "
            f"{_e(d['name'])}</li>" for d in report["decisions"]
        )
        parts.append(f"<section><h2>Decisions</h2><ul>{items}</ul></section>")
    parts.append(_html_outcomes(report["outcomes"]))
    if "reveal" in report:
        parts.append(_html_reveal(report["reveal"]))
    if report["poll"]:
        rows = "".join(
            f"<tr><td>{_e(p['meeting_title'])}</td><td>{_e(_who(p))}</td>"
            f"<td>{_e(p['went_well'])}</td><td>{_e(p['improve'])}</td></tr>"
            for p in report["poll"]
        )
        parts.append(
            "<section class=\"poll\"><h2>Poll</h2><table><thead><tr><th>Meeting</th>"
            "<th>Who</th><th>What went well</th><th>What could be improved</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )
    if report["take_home"]:
        cards = "".join(
            f"<div class=\"card\"><h3>{_e(_who(t))}</h3><ol>"
            + "".join(f"<li>{_e(s)}</li>" for s in t["steps"])
            + "</ol></div>"
            for t in report["take_home"]
        )
        parts.append(
            "<section class=\"take-home\"><h2>Take-home: next steps for your State</h2>"
            f"<div class=\"cards\">{cards}</div></section>"
        )
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


LEVEL_CLASS = {lv: lv.lower() for lv in LEVELS}


def _levels_svg(report: dict[str, Any]) -> str:
    """A dot per sub-element at its level: the whole rubric at a glance."""
    elements = report["elements"]
    levels = report["levels"]
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
        label = f"{e['id']} {e['name']}"
        if len(label) > 34:
            label = label[:33] + "…"
        out.append(f'<text class="label" x="4" y="{y + 4:.0f}">{_e(label)}</text>')
        if e["level"] in levels:
            k = levels.index(e["level"])
            x = left + col * k + col / 2
            out.append(f'<line class="track" x1="{left + col / 2:.0f}" y1="{y:.0f}" '
                       f'x2="{x:.0f}" y2="{y:.0f}"/>')
            out.append(f'<circle class="dot {LEVEL_CLASS.get(e["level"], "")}" cx="{x:.0f}" '
                       f'cy="{y:.0f}" r="7"><title>{_e(e["id"])}: {_e(e["level"])}</title>'
                       "</circle>")
    out.append("</svg>")
    return "".join(out)


def _html_elements(report: dict[str, Any]) -> str:
    rows = []
    for e in report["elements"]:
        ev = "".join(f"<li>{_e(x)}</li>" for x in e.get("evidence", [])) or "<li>—</li>"
        missed = "".join(f"<li>{_e(x)}</li>" for x in e.get("missed", [])) or "<li>—</li>"
        cls = LEVEL_CLASS.get(e["level"], "")
        rows.append(
            f"<tr><th scope=\"row\">{_e(e['id'])}</th><td>{_e(e['name'])}</td>"
            f"<td><span class=\"level {cls}\">{_e(e['level'])}</span></td>"
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


def _outcomes_svg(out: dict[str, Any], subject: str) -> str:
    """Per plan: the band of replays (bar), their mean (dot) and this playthrough (diamond)."""
    plans = out["plans"]
    stats = [next(g for g in p["growth"] if g["subject"] == subject)["pct"] for p in plans]
    lo = min(min(s["low"], s["replication_0"], 0.0) for s in stats)
    hi = max(max(s["high"], s["replication_0"], 0.0) for s in stats)
    pad = max((hi - lo) * 0.08, 0.5)
    lo, hi = lo - pad, hi + pad
    left, width, row, top = 210, 330, 30, 26
    total_w = left + width + 20
    height = top + row * len(plans) + 24

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    name = next(g for g in plans[0]["growth"] if g["subject"] == subject)["name"]
    out_svg = [f'<svg class="chart outcomes" viewBox="0 0 {total_w} {height}" width="{total_w}" '
               f'height="{height}" role="img" aria-label="{_e(name)}: change in % on benchmark">']
    out_svg.append(f'<text class="axis" x="{left}" y="14">{_e(name)}: change in % on benchmark '
                   f'({_e(out["baseline"])}→{_e(out["end"])}), points</text>')
    for tick in _ticks(lo, hi):
        tx = x(tick)
        out_svg.append(f'<line class="grid{" zero" if tick == 0 else ""}" x1="{tx:.1f}" '
                       f'y1="{top - 4}" x2="{tx:.1f}" y2="{height - 20}"/>')
        out_svg.append(f'<text class="axis" x="{tx:.1f}" y="{height - 6}" '
                       f'text-anchor="middle">{_e(_signed(tick, 0) if tick else "0")}</text>')
    for i, (p, s) in enumerate(zip(plans, stats, strict=True)):
        y = top + row * i + row / 2
        out_svg.append(f'<text class="label" x="4" y="{y + 4:.0f}">{_e(p["label"])}</text>')
        out_svg.append(f'<rect class="band {p["id"]}" x="{x(s["low"]):.1f}" y="{y - 6:.1f}" '
                       f'width="{max(x(s["high"]) - x(s["low"]), 1):.1f}" height="12" rx="3">'
                       f'<title>{out["band"][0]}th–{out["band"][1]}th percentile: '
                       f'{_e(_signed(s["low"]))} to {_e(_signed(s["high"]))}</title></rect>')
        out_svg.append(f'<circle class="mean" cx="{x(s["mean"]):.1f}" cy="{y:.1f}" r="4">'
                       f'<title>mean {_e(_signed(s["mean"]))}</title></circle>')
        d = x(s["replication_0"])
        out_svg.append(f'<path class="this" d="M{d:.1f} {y - 8:.1f} L{d + 6:.1f} {y:.1f} '
                       f'L{d:.1f} {y + 8:.1f} L{d - 6:.1f} {y:.1f} Z">'
                       f'<title>this playthrough {_e(_signed(s["replication_0"]))}</title></path>')
    out_svg.append("</svg>")
    return "".join(out_svg)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 50, 100) if span / s <= 8)
    first = int(lo // step) + 1
    return [k * step for k in range(first, int(hi // step) + 1)]


def _html_outcomes(out: dict[str, Any] | None) -> str:
    head = "<section class=\"outcomes\"><h2>Student outcomes, apart from practice</h2>"
    if out is None:
        return head + "<p>No decisions have taken effect yet: outcomes follow the first " \
            "meeting.</p></section>"
    subjects = [g["subject"] for g in out["plans"][0]["growth"]]
    charts = "".join(f"<figure>{_outcomes_svg(out, s)}</figure>" for s in subjects)
    rows = []
    for p in out["plans"]:
        for g in p["growth"]:
            pct, sc = g["pct"], g["score"]
            rows.append(
                f"<tr><td>{_e(p['label'])}</td><td>{_e(g['name'])}</td>"
                f"<td class=\"num\">{_e(_signed(pct['mean']))}</td>"
                f"<td class=\"num\">{_e(_signed(pct['low']))} to {_e(_signed(pct['high']))}</td>"
                f"<td class=\"num\">{_e(_signed(pct['replication_0']))} "
                f"<small>({pct['percentile_0']:.0f}th pct)</small></td>"
                f"<td class=\"num\">{_e(_signed(sc['mean']))}</td>"
                f"<td class=\"num\">{_e(_signed(sc['low']))} to {_e(_signed(sc['high']))}</td>"
                "</tr>"
            )
    plans = "".join(f"<li>{_e(_plan_line(p))}</li>" for p in out["plans"])
    summary = "".join(f"<p>{_e(s)}</p>" for s in out["summary"])
    return (
        head
        + f"<p>Priority school(s): {_e(', '.join(s['name'] for s in out['schools']))}. "
        "Change from "
        f"{_e(out['baseline'])} to {_e(out['end'])}, replayed {out['replications']} times with "
        f"the same decisions and the same random numbers. Bars: the middle "
        f"{out['band'][1] - out['band'][0]}% of replays; dot: their mean; diamond: this "
        "playthrough.</p>"
        + f"<div class=\"charts\">{charts}</div>"
        + "<table class=\"growth\"><thead><tr><th>Plan</th><th>Subject</th>"
        "<th>% on benchmark, mean</th><th>band</th><th>this playthrough</th>"
        "<th>scale score, mean</th><th>band</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        + f"<ul class=\"plans\">{plans}</ul>"
        + f"<div class=\"summary\">{summary}</div></section>"
    )


def _html_reveal(truths: list[dict[str, Any]]) -> str:
    cards = []
    for t in truths:
        items = []
        for ev in t["evidence"]:
            c = ev["clarity"]
            cls = c["words"].replace(" ", "-")
            items.append(
                f"<li><p><strong>{_e(ev['view_title'])}</strong>, {_e(ev['quarter'])} "
                f"<code>{_e(ev['view'])}</code>: {_e(ev['note'])}</p>"
                f"<p><span class=\"clarity {cls}\">{_e(c['words'])}</span> "
                f"{_e(c['detail'])}</p>"
                f"<p class=\"looked\">{_e(_looked_words(ev['looked']).replace('`', ''))}</p></li>"
            )
        cards.append(f"<article class=\"truth\"><h3>{_e(t['title'])}</h3>"
                     f"<p>{_e(t['explanation'])}</p><ul>{''.join(items)}</ul></article>")
    return ("<section class=\"reveal\"><h2>What was really going on</h2>"
            + "".join(cards) + "</section>")
