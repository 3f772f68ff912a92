"""The renderers, from small hand-built documents: no simulation, no scenario, no store."""

from __future__ import annotations

from typing import Any

from simulator.debrief.models import (
    Attempt,
    Clarity,
    DecisionLine,
    HiddenTruth,
    Looked,
    MeetingRef,
    Opening,
    Outcomes,
    Participant,
    PlanOutcome,
    PollAnswer,
    Progress,
    Rating,
    Report,
    School,
    Spread,
    TakeHome,
    TruthEvidence,
)
from simulator.formats.rubric import LEVELS
from simulator.render.html import render_html
from simulator.render.markdown import render_markdown
from simulator.render.text import progress_table


def rating(eid: str, level: str, evidence=(), missed=()) -> Rating:
    return Rating(id=eid, element="Element", name=f"Name of {eid}", level=level, points=1.0,
                  max_points=2.0, evidence=list(evidence), missed=list(missed))


def report(**changes: Any) -> Report:
    """A debrief after Meeting #1 with one Exemplary element and one missed opportunity."""
    doc: dict[str, Any] = dict(
        report_version=1, scenario="s", scenario_title="A <small> district", session="abc",
        session_title="Pair 1", seed=7, meeting=MeetingRef(id="m1", title="Meeting #1"),
        final=False, levels=list(LEVELS),
        participants=[Participant(role="state", role_title="State lead", name="Ada")],
        elements=[rating("A1", "Exemplary", evidence=["Set a <target> | of 40%."]),
                  rating("C1", "Inadequate", missed=["Never opened the <strand> view."])],
        routine=[], decisions=[], outcomes=None,
        poll=[PollAnswer(meeting="m1", meeting_title="Meeting #1", role="state",
                         role_title="State lead", name="Ada",
                         went_well="<script>alert('x')</script> & more", improve="Less | more")],
        take_home=[],
    )
    return Report(**(doc | changes))


def spread(mean: float) -> Spread:
    return Spread(mean=mean, low=mean - 1, high=mean + 1, min=mean - 2, max=mean + 2,
                  replication_0=mean + 0.5, percentile_0=60.0)


OUTCOMES = Outcomes(
    complete=False, replications=20, band=(10, 90), schools=[School(id="ms", name="Hudson MS")],
    baseline="Q1", end="Q2", budget=100000.0, staff_fte=2.0,
    plans=[PlanOutcome(id="played", label="Your decisions", strategies=["t"], names=["Tutoring"],
                       cost=12345.0, staff_fte=1.5, affordable=True, objective=0.1,
                       growth=[{"subject": "reading", "name": "Reading", "score": spread(3.0),
                                "pct": spread(-2.0)}])],
    differences=[], search=None, summary=["Reading rose.", "Maths held."],
)


def test_markdown_shows_the_levels_with_the_evidence_and_missed_opportunity_escaped():
    md = render_markdown(report())
    assert md.startswith("# Debrief after Meeting #1: A &lt;small&gt; district\n")
    assert ("| A1 | Name of A1 | **Exemplary** | Set a &lt;target&gt; \\| of 40%. | — |"
            in md.splitlines())
    assert ("| C1 | Name of C1 | **Inadequate** | — | Never opened the &lt;strand&gt; view. |"
            in md.splitlines())
    assert "Participants: Ada (State lead)." in md


def test_html_shows_the_levels_with_the_evidence_and_missed_opportunity_escaped():
    page = render_html(report())
    assert ('<tr><th scope="row">A1</th><td>Name of A1</td><td><span class="level exemplary">'
            "Exemplary</span></td><td><ul><li>Set a &lt;target&gt; | of 40%.</li></ul></td>"
            "<td><ul><li>—</li></ul></td></tr>") in page
    assert "<li>Never opened the &lt;strand&gt; view.</li>" in page
    assert '<circle class="dot exemplary"' in page and page.count("<circle") == 2
    assert "<title>Debrief after Meeting #1 — A &lt;small&gt; district</title>" in page


def test_a_poll_answer_cannot_inject_html():
    page = render_html(report())
    assert "<script>" not in page
    assert "<td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more</td>" in page
    md = render_markdown(report())
    assert "| &lt;script&gt;alert('x')&lt;/script&gt; & more | Less \\| more |" in md


def test_an_empty_outcomes_section_says_why():
    sentence = "No decisions have taken effect yet: outcomes follow the first meeting."
    assert sentence in render_markdown(report()).splitlines()
    assert f"<p>{sentence}</p>" in render_html(report())
    assert "<svg" in render_html(report())  # the levels chart, still
    assert render_html(report()).count("<svg") == 1


def test_outcomes_render_their_band_and_one_chart_per_subject():
    r = report(outcomes=OUTCOMES)
    md = render_markdown(r)
    assert "(band: 10th–90th percentile)" in md
    assert "| Your decisions | Reading | −2.0 | −3.0 to −1.0 | −1.5 (60th pct) | +3.0 | " \
        "+2.0 to +4.0 |" in md.splitlines()
    assert "- Your decisions: Tutoring ($12,345, 1.5 staff)" in md.splitlines()
    assert "\n> Reading rose.\n>\n> Maths held.\n\n## Poll\n" in md
    page = render_html(r)
    assert page.count("<svg") == 2 and "Bars: the middle 80% of replays" in page


def test_decisions_use_the_past_tense_of_their_action():
    r = report(decisions=[DecisionLine(meeting="m1", meeting_title="Meeting #1", strategy="t",
                                       name="Tutoring <pilot>", action="stop")])
    assert "- Meeting #1: stopped Tutoring &lt;pilot&gt;" in render_markdown(r).splitlines()
    assert '<span class="tag">Meeting #1:</span> stopped Tutoring &lt;pilot&gt;' in render_html(r)


def test_the_reveal_says_who_looked_and_only_a_final_report_has_one():
    assert "What was really going on" not in render_markdown(report())
    opening = Opening(view="reading/ms/strand", quarter="Q2", meeting="Meeting #1",
                      role="State lead", seq=4, in_time=False)
    truth = HiddenTruth(id="t", title="Decoding", explanation="The gap was decoding.", evidence=[
        TruthEvidence(view="reading/ms/strand", view_title="Reading by strand", quarter="Q2",
                      note="Look at decoding.",
                      clarity=Clarity(gap_se=5.0, words="clear", group="Decoding", value=1.0,
                                      rest=2.0, detail="5 SE below"),
                      looked=Looked(opened=True, in_time=False, first=opening, times=2,
                                    related=[]))])
    r = report(final=True, reveal=[truth])
    md = render_markdown(r)
    assert "  - How clearly this session's data showed it: clear — 5 SE below." in md
    assert ("  - Opened by the State lead at Meeting #1, 2 times (only before the data showed "
            "it).") in md
    assert '<span class="clarity clear">clear</span>' in render_html(r)
    assert md.startswith("# Final debrief: ")


def test_take_home_steps_are_numbered_under_their_participant():
    r = report(take_home=[TakeHome(role="district", role_title="District lead", name="",
                                   steps=["Pull <strand> data", "Meet monthly"])])
    md = render_markdown(r)
    assert "**District lead**\n\n1. Pull &lt;strand&gt; data\n2. Meet monthly\n" in md
    assert "<h3>District lead</h3><ol><li>Pull &lt;strand&gt; data</li>" in render_html(r)


def attempt(session: str, levels: dict[str, str], mean: float | None,
            problem: str | None = None) -> Attempt:
    return Attempt(session=session, title="t", scenario="hudson",
                   created="2026-12-01T10:00:00.000000Z", stage="meeting", meeting="meeting-1",
                   participants={"state": "Ada"}, levels=levels, mean=mean, problem=problem,
                   final=False)


def test_the_progress_table_shows_levels_as_numbers_and_gaps_as_dots():
    doc = Progress(participant="Ada", elements=["A1", "B1"], levels=list(LEVELS), attempts=[
        attempt("s1", {"A1": "Inadequate", "B1": "Exemplary"}, 2.5),
        attempt("s2", {}, None, problem="scenario 'x' can no longer be loaded")])
    lines = progress_table(doc).splitlines()
    assert lines[0] == ("Attempts of Ada, oldest first (1 Inadequate · 2 Emerging · 3 Strong · "
                        "4 Exemplary)")
    assert lines[1].split() == ["created", "session", "scenario", "meeting", "A1", "B1", "mean",
                                "participants"]
    assert lines[2].split() == ["2026-12-01T10:00", "s1", "hudson", "meeting-1", "1", "4",
                                "2.50", "Ada"]
    assert lines[3].split()[4:7] == ["·", "·", "—"]
    assert lines[3].endswith("Ada  (scenario 'x' can no longer be loaded)")


def test_an_empty_progress_table_says_how_to_fill_it():
    doc = Progress(participant=None, elements=["A1"], levels=list(LEVELS), attempts=[])
    assert progress_table(doc).splitlines()[1] == (
        "No attempts yet: close a meeting of a session to see it here.")


def test_the_header_names_the_seed_once_whether_or_not_the_title_carries_it():
    default = report(session_title="Hudson · seed 7 · Ana", seed=7)
    custom = report(session_title="Room 3", seed=7)
    other_seed = report(session_title="Hudson · seed 70", seed=7)
    for render in (render_markdown, render_html):
        assert render(default).count("seed 7") == 1
        assert "Room 3 · seed 7" in render(custom)
        assert "seed 70 · seed 7" in render(other_seed)
