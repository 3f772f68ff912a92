"""Stakeholder engagement the seed's way: partners told from stakeholders, what you want
each to think, feel and do, the four I's, and D3 read from those records.

The record model (its fields, the choices it allows, records saved before it asked
partner or stakeholder), the meeting room's form and minutes, D3's levels and sentences,
and the report that prints them.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest
from test_forms_records import meeting_at
from test_tui_meetings import SIZE, until
from textual.widgets import Input, Static

from simulator.debrief.models import Debrief, Rating
from simulator.debrief.report import build_report
from simulator.debrief.scoring import Played, play, score
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.formats.lookfors import default_lookfors
from simulator.formats.persona import PersonaError, parse_persona
from simulator.formats.routine import (
    FIXED_OPTIONS,
    PARTIES,
    RECORDS,
    STAKEHOLDER,
    WAYS,
    choice_problems,
    minutes_line,
    record_summary,
    step_of,
)
from simulator.formats.scenario import Scenario
from simulator.render.markdown import escape, render_markdown
from simulator.session.client import Room
from simulator.session.home import Home, open_store
from simulator.session.importing import import_transcript
from simulator.session.transcript import (
    Transcript,
    TranscriptError,
    load_transcript,
    parse_transcript,
    transcript_from_session,
)
from tui.app import PmsimApp
from tui.widgets.forms import RecordForm

STRONG_PATH = builtin_dir() / "hudson-strong-transcript.yaml"
OLD_PATH = Path(__file__).parent / "data" / "hudson-strong-transcript-before-partners.yaml"
"""The strong worked transcript as it was before stakeholder records said partner or
stakeholder: its records have only who, how and message."""

Events = list[dict[str, Any]]

PARTNER = {"party": "partner", "who": "The regional university's literacy center",
           "think": "The strands show English learners need word study first.",
           "feel": "A partner in the results.", "do": "Coach the interventionists weekly.",
           "how": "Involve"}
FAMILIES = {"party": "stakeholder", "who": "Families of English learners",
            "think": "The new block works on what their children need.",
            "feel": "Welcome at the school.", "do": "Come to the reading night.",
            "how": "Inform"}


# --------------------------------------------------------------------------- the record model


def test_the_record_carries_kind_who_think_feel_do_approach_and_message() -> None:
    assert RECORDS["stakeholder"].fields == (
        "party", "who", "think", "feel", "do", "how", "message")
    assert [f.name for f in STAKEHOLDER.fields if f.required] == ["party", "who", "how"]


def test_each_option_says_what_it_means_and_the_kind_explains_the_seeds_distinction() -> None:
    assert [v for _, v in FIXED_OPTIONS["parties"]] == ["partner", "stakeholder"]
    assert [v for _, v in FIXED_OPTIONS["ways"]] == ["Inform", "Inquire", "Involve", "Inspire"]
    for (label, _), item in zip([*FIXED_OPTIONS["parties"], *FIXED_OPTIONS["ways"]],
                                [*PARTIES, *WAYS], strict=True):
        assert label == f"{item.label} — {item.meaning}" and item.meaning
    party = next(f for f in STAKEHOLDER.fields if f.name == "party")
    assert "brings knowledge, skills or resources" in party.help
    assert "has an interest" in party.help


def test_a_choice_outside_the_routines_options_is_refused_and_an_old_record_is_not() -> None:
    assert choice_problems("stakeholder", {"party": "friend", "who": "x", "how": "Involve"}) == [
        ("party", "'friend' is not a stakeholder record's party (one of: partner, stakeholder)")]
    assert choice_problems("stakeholder", {"who": "x", "how": "Chat"})[0][0] == "how"
    assert choice_problems("stakeholder", {"who": "Parents", "how": "Inform"}) == []
    assert choice_problems("stakeholder", PARTNER) == []


def _transcript_text(fields: str) -> bytes:
    return ("scenario: hudson\nseed: 1\nevents:\n"
            "  - event: record.added\n    by: state\n    meeting: meeting-1\n"
            "    record_id: s1\n    kind: stakeholder\n    fields:\n"
            f"{fields}").encode()


def test_a_transcript_with_an_unknown_kind_or_field_is_refused_at_its_line() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(_transcript_text("      party: friend\n      who: Parents\n"
                                          "      how: Inform\n"), "t.yaml")
    assert caught.value.lines() == [
        "t.yaml:10:14: events.0: 'friend' is not a stakeholder record's party "
        "(one of: partner, stakeholder)"]
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(_transcript_text("      party: partner\n      who: A centre\n"
                                          "      thinks: it works\n      how: Involve\n"),
                         "t.yaml")
    [line] = caught.value.lines()
    assert line.startswith("t.yaml:12:7: events.0: 'thinks' is not a field of a stakeholder "
                           "record; did you mean 'think'?")


def test_a_persona_that_commits_an_unknown_kind_is_refused(hudson: Scenario) -> None:
    path = Path(__file__).parents[1] / "personas" / "state-lead.yaml"
    text = path.read_text(encoding="utf-8")
    assert "      party: stakeholder\n" in text
    with pytest.raises(PersonaError) as caught:
        parse_persona(text.replace("      party: stakeholder\n", "      party: ally\n").encode(),
                      "p.yaml", [hudson])
    assert any("'ally' is not a stakeholder record's party" in line
               for line in caught.value.lines())


def test_an_old_transcript_loads_replays_and_round_trips(tmp_path: Path, hudson: Scenario
                                                          ) -> None:
    old = load_transcript(OLD_PATH, hudson)
    records = [r for r in old.state().records.values() if r.kind == "stakeholder"]
    assert len(records) == 4 and all("party" not in r.fields for r in records)
    families = records[0].fields
    assert minutes_line("stakeholder", families, {}) == (
        "Families of Hudson MS English learners — Involve (partner or stakeholder not said)"
        " · message: Invite them to a reading night on how the new block works and how to "
        "help at home.")
    assert record_summary("stakeholder", families, {}) == (
        "'Families of Hudson MS English learners' (partner or stakeholder not said, Involve)")
    home = Home(tmp_path)
    store = open_store(None, home)
    try:
        sid = import_transcript(store, old, load_scenario("hudson")).id
        again = transcript_from_session(store, sid)
    finally:
        store.close()
    assert [e.model_dump() for e in again.events] == [e.model_dump() for e in old.events]
    room = Room.resume(home, sid)
    try:
        assert [r.fields for r in room.state.records.values()
                if r.kind == "stakeholder"] == [r.fields for r in records]
    finally:
        room.close()
    d3 = _rating(score(hudson, old.state()), "D3")
    assert d3.points == 3 and d3.level == "Inadequate"
    assert [lf.status for lf in d3.lookfors] == ["met", "missed", "missed", "missed", "missed",
                                                 "missed"]


def test_a_partners_minutes_line_says_who_how_and_think_feel_do() -> None:
    fields = PARTNER | {"message": "What the strands show."}
    assert minutes_line("stakeholder", fields, {}) == (
        "Partner: The regional university's literacy center — Involve · think: The strands "
        "show English learners need word study first.; feel: A partner in the results.; "
        "do: Coach the interventionists weekly. · message: What the strands show.")
    assert record_summary("stakeholder", fields, {}) == (
        "'The regional university's literacy center' (partner, Involve, Think/Feel/Do)")
    assert step_of("stakeholder", fields) == "stakeholders"


# --------------------------------------------------------------------------- D3 levels


@pytest.fixture(scope="module")
def base() -> tuple[Events, Played, Scenario]:
    """The strong transcript's events without its stakeholder records, and its replay (the
    records do not move the simulation, so one replay serves every case)."""
    hudson = load_scenario("hudson").scenario
    strong = load_transcript(STRONG_PATH)
    events = [e.model_dump(mode="json") for e in strong.events
              if not (e.event == "record.added" and e.kind == "stakeholder")]
    return events, play(hudson, strong.state()), hudson


def _with(events: Events, *records: dict[str, Any]) -> Events:
    out = copy.deepcopy(events)
    at = next(i for i, e in enumerate(out) if e["event"] == "meeting.closed")
    out[at:at] = [{"event": "record.added", "by": "state", "meeting": "meeting-1",
                   "record_id": f"s{i}", "kind": "stakeholder", "fields": fields}
                  for i, fields in enumerate(records, start=1)]
    return out


def _rating(result: Debrief, rid: str) -> Rating:
    return next(r for r in result.elements if r.id == rid)


def _d3(base: tuple[Events, Played, Scenario], *records: dict[str, Any]) -> Rating:
    events, played, hudson = base
    state = Transcript(scenario="hudson", seed=1, events=_with(events, *records)).state()
    return _rating(score(hudson, state, played=played), "D3")


def _without(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in names}


@pytest.mark.parametrize(("records", "level"), [
    ((), "Inadequate"),
    ((_without(FAMILIES, "party", "think", "feel", "do"),), "Inadequate"),
    ((_without(FAMILIES, "think", "feel", "do"),), "Emerging"),
    ((_without(PARTNER, "think", "feel", "do"),), "Emerging"),
    ((_without(PARTNER, "think", "feel", "do"), _without(FAMILIES, "think", "feel", "do")),
     "Strong"),
    ((PARTNER,), "Strong"),
    ((PARTNER | {"how": "Inform"}, FAMILIES), "Strong"),
    ((PARTNER, _without(FAMILIES, "feel")), "Strong"),
    ((PARTNER, FAMILIES), "Exemplary"),
    ((PARTNER | {"how": "Inspire"}, FAMILIES | {"how": "Inquire"}), "Exemplary"),
], ids=["nobody", "old-record", "stakeholder-name-and-approach", "partner-name-and-approach",
        "both-named-partner-involved", "partner-worked-through", "partner-only-informed",
        "stakeholder-without-feel", "both-worked-through", "inspire-and-inquire"])
def test_d3_levels_follow_the_records(base, records: tuple[dict[str, Any], ...],
                                      level: str) -> None:
    assert _d3(base, *records).level == level


def test_the_missed_sentences_say_what_is_missing(base) -> None:
    d3 = _d3(base, {"party": "stakeholder", "who": "Parents", "how": "Inform"})
    assert d3.level == "Emerging"
    assert d3.evidence == ["Named, with a way to reach them: 'Parents' (stakeholder, Inform).",
                           "Stakeholders named: 'Parents' (stakeholder, Inform)."]
    [no_partner, no_partner_aims, no_aims, not_involved] = d3.missed
    assert no_partner.startswith("No partner was named: someone who brings knowledge, skills "
                                 "or resources to Hudson Middle School's work")
    assert "(nothing was recorded)" in no_partner_aims
    assert "('Parents' (stakeholder, Inform): no think, no feel, no do)" in no_aims
    assert " in 10 Hudson Middle School students below benchmark in reading" in no_aims
    assert "No partner was involved in the work or inspired" in not_involved

    informed = _d3(base, PARTNER | {"how": "Inform"}, FAMILIES)
    assert informed.missed == [
        "No partner was involved in the work or inspired to champion it ('The regional "
        "university's literacy center' (partner, Inform, Think/Feel/Do): how is not Involve "
        "or Inspire); a partner told or asked is a spectator, not a problem-solver alongside "
        "you."]


def test_the_d3_look_fors_weigh_eleven_points_as_the_guide_says() -> None:
    d3 = {lf.id: lf.weight for lf in default_lookfors() if lf.element == "D3"}
    assert d3 == {"d3-stakeholders-named": 3, "d3-partner-named": 1, "d3-stakeholder-named": 1,
                  "d3-partner-think-feel-do": 2, "d3-stakeholder-think-feel-do": 2,
                  "d3-partner-involved": 2}
    guide = (Path(__file__).parents[1] / "facilitator_guide" / "debrief.md").read_text("utf-8")
    assert "Out of 11\npoints" in guide


@pytest.mark.parametrize("name", ["hudson", "millbrook", "pine-valley"])
def test_strong_worked_transcripts_name_a_partner_and_score_d3_above_their_weak_ones(
        name: str) -> None:
    sc = load_scenario(name).scenario
    strong = load_transcript(builtin_dir() / f"{name}-strong-transcript.yaml", sc)
    weak = load_transcript(builtin_dir() / f"{name}-weak-transcript.yaml", sc)
    partners = [r for r in strong.state().records.values()
                if r.kind == "stakeholder" and r.fields.get("party") == "partner"]
    assert partners and all(r.fields.get(k) for r in partners for k in ("think", "feel", "do"))
    assert _rating(score(sc, strong.state()), "D3").level == "Exemplary"
    assert _rating(score(sc, weak.state()), "D3").level in ("Inadequate", "Emerging")


# --------------------------------------------------------------------------- the report


def test_the_report_prints_d3s_evidence_and_missed_sentences(base, tmp_path: Path) -> None:
    events, _, hudson = base
    state = Transcript(scenario="hudson", seed=1,
                       events=_with(events, PARTNER, _without(FAMILIES, "feel"))).state()
    report = build_report(hudson, state, replications=20, cache_dir=tmp_path)
    [d3] = [e for e in report.elements if e.id == "D3"]
    assert d3.level == "Strong"
    text = render_markdown(report)
    assert escape("What partners should think, feel and do: 'The regional university's "
                  "literacy center' (partner, Involve, Think/Feel/Do).") in text
    assert escape("('Families of English learners' (stakeholder, Inform, Think/Do): "
                  "no feel)") in text


# --------------------------------------------------------------------------- the meeting room


def test_a_partner_with_think_feel_do_and_involve_is_saved_and_shown_in_the_minutes(
        tmp_path: Path) -> None:
    app = PmsimApp(scenario="hudson", seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            meeting = await meeting_at(pilot, "stakeholders")
            form = meeting.query_one("#stakeholder", RecordForm)
            help_text = str(meeting.query_one("#stakeholder-party-help", Static).render())
            assert "A partner brings knowledge, skills or resources" in help_text
            meeting.query_one("#stakeholder-who", Input).focus()
            await pilot.press(*"Literacy center", "enter")
            await pilot.pause()
            assert "Missing:" in str(meeting.query_one("#stakeholder-hint", Static).render())
            assert "Kind" in str(meeting.query_one("#stakeholder-hint", Static).render())
            form.widget("party").value = "partner"
            form.widget("how").value = "Involve"
            for name, words in (("think", "the strands show the need"),
                                ("feel", "part of the plan"),
                                ("do", "coach weekly")):
                meeting.query_one(f"#stakeholder-{name}", Input).focus()
                await pilot.press(*words)
            await pilot.press("enter")
            await until(pilot, lambda: app.room.records("meeting-1", ("stakeholder",)))
            [(_, record)] = app.room.records("meeting-1", ("stakeholder",))
            assert record.fields == {"party": "partner", "who": "Literacy center",
                                     "think": "the strands show the need",
                                     "feel": "part of the plan", "do": "coach weekly",
                                     "how": "Involve"}
            minutes = meeting.query_one("#minutes-stakeholders")
            await until(pilot, lambda: minutes.row_count == 1)
            assert str(minutes.get_row_at(0)[1]) == (
                "Partner: Literacy center — Involve · think: the strands show the need; "
                "feel: part of the plan; do: coach weekly")
            assert form.widget("think").value == ""  # cleared for the next one

    asyncio.run(run())
