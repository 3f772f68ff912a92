"""The debrief report of a session: one typed document, its JSON and its schema.

``build_report`` gathers what the debrief says — the rubric levels with their
evidence (from :mod:`simulator.debrief.scoring`), the routine, the student outcomes
apart from practice (:mod:`simulator.debrief.outcomes`), the participants' poll and
take-home steps and, at the final debrief only, the reveal of the hidden truths
(:mod:`simulator.debrief.reveal`) — into a :class:`~simulator.debrief.models.Report`.
The renderers in :mod:`simulator.render` turn that document, and nothing else, into
a page to hand out after a workshop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from simulator.debrief.models import (
    Debrief,
    DecisionLine,
    HiddenTruth,
    MeetingRef,
    Outcomes,
    Participant,
    PollAnswer,
    Report,
    SoloReview,
    TakeHome,
)
from simulator.formats.rubric import LEVELS
from simulator.formats.scenario import Scenario
from simulator.session.state import SessionState, plan_of

REPORT_VERSION: Literal[1] = 1

Scorer = Callable[..., Debrief]
"""Rates a session: :func:`simulator.debrief.scoring.score` or a stand-in of the tests."""


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
) -> Report:
    """The debrief of ``state``; its ``model_dump(mode="json")`` follows ``report.schema.json``.

    ``final`` defaults to whether every meeting is closed; only a final report
    reveals the hidden truths and compares outcomes with business as usual and
    the best affordable bundle. ``scorer`` stands in for
    :func:`simulator.debrief.scoring.score` (tests pin the levels with it).
    """
    from simulator.debrief.outcomes import outcomes
    from simulator.debrief.scoring import play, score

    final = is_final(scenario, state) if final is None else final
    plan = plan_of(state)
    played = play(scenario, state)
    sim = played.sim
    meetings = scenario.calendar.meetings
    closed = [m for m in meetings if m.id in state.closed_meetings]
    if final:
        upto = None
        shown = closed[-1] if closed else meetings[-1]
    else:
        shown = closed[-1] if closed else meetings[0]
        upto = shown.id
    debrief = (scorer or score)(scenario, state, upto_meeting=upto, played=played)
    names = state.participants(participants)

    outcome_doc: Outcomes | None = None  # nothing decided yet: nothing to measure
    if closed or final:
        window = None if final else sim.quarters_done - 1
        outcome_doc = Outcomes.model_validate(outcomes(
            scenario, state.seed, plan, replications, cache_dir=cache_dir, upto=window,
            yardsticks=final,
            targets=[r.fields for r in state.records.values() if r.kind == "target"],
            # The plan's meetings as the one replay priced them (not the open meeting's).
            priced=[p for m, p in played.priced.items() if dict(plan).get(m)]))
    truths: list[HiddenTruth] | None = None
    if final:
        from simulator.debrief.reveal import reveal

        truths = [HiddenTruth.model_validate(t) for t in reveal(scenario, state, sim)]

    return Report(
        report_version=REPORT_VERSION,
        scenario=scenario.id,
        scenario_title=scenario.title,
        session=state.session_id,
        session_title=state.title,
        seed=state.seed,
        meeting=MeetingRef(id=shown.id, title=shown.title),
        final=final,
        levels=list(LEVELS),
        participants=[
            Participant(role=role, role_title=scenario.roles.title_of(role), name=name)
            for role, name in names.items()
        ],
        elements=debrief.elements,
        routine=debrief.routine,
        decisions=_decisions(scenario, state),
        outcomes=outcome_doc,
        poll=[
            PollAnswer(meeting=p["meeting"], meeting_title=_meeting_title(scenario, p["meeting"]),
                       role=p["role"], role_title=scenario.roles.title_of(p["role"]),
                       name=names.get(p["role"], ""), went_well=p["went_well"],
                       improve=p["improve"])
            for p in state.polls
        ],
        take_home=[
            TakeHome(role=t["role"], role_title=scenario.roles.title_of(t["role"]),
                     name=t.get("participant") or names.get(t["role"], ""),
                     steps=list(t["steps"]))
            for t in state.takehome
        ],
        reveal=truths,
        solo=_solo_review(scenario, state),
    )


def _solo_review(scenario: Scenario, state: SessionState) -> SoloReview | None:
    """The after-action review of a solo session (None for a pair's, or a persona that can
    no longer be loaded: the rest of the debrief stands without it)."""
    solo = state.extra.get("solo")
    if not isinstance(solo, dict) or not isinstance(solo.get("persona"), str):
        return None
    from simulator.counterpart.solo import PersonaNotFound, load_persona, review
    from simulator.formats.persona import PersonaError

    try:
        persona = load_persona(solo["persona"], [scenario])
    except (PersonaNotFound, PersonaError, OSError):
        return None
    return SoloReview.model_validate({
        "persona": persona.id, "name": persona.name, "role": persona.role,
        "meetings": review(persona, scenario, state)})


def _meeting_title(scenario: Scenario, meeting: str) -> str:
    return next((m.title for m in scenario.calendar.meetings if m.id == meeting), meeting)


def _decisions(scenario: Scenario, state: SessionState) -> list[DecisionLine]:
    names: dict[str, str] = {s.id: s.name for s in scenario.strategies}
    return [
        DecisionLine(meeting=m, meeting_title=_meeting_title(scenario, m),
                     strategy=d["strategy"], name=names.get(d["strategy"]) or d["strategy"],
                     action=d["action"])
        for m, decisions in plan_of(state)
        for d in decisions
    ]
