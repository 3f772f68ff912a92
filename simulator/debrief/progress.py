"""A participant's attempts over time, for self-paced practice.

Every saved session with at least one closed meeting is an attempt; its levels
are scored from its own events, exactly as its report would be. A participant
is named by the session's ``session.created`` payload (``participant`` with
``role``, or ``participants``: role → name) or by a take-home answer.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.debrief.models import Attempt, Debrief, Progress
from simulator.debrief.report import is_final
from simulator.formats.rubric import LEVELS, SUB_ELEMENTS, Level, level_rank
from simulator.formats.scenario import Scenario
from simulator.session.state import SessionState, replay
from simulator.session.store import Store

Scorer = Callable[..., Debrief]


def _scenarios() -> Callable[[str], tuple[Scenario, str] | None]:
    """Load each scenario once: ``ref`` → (scenario, sha256), or None if it can't be loaded."""
    from simulator.formats.loading import ScenarioError, ScenarioNotFound, load_scenario

    cache: dict[str, tuple[Scenario, str] | None] = {}

    def get(ref: str) -> tuple[Scenario, str] | None:
        if ref not in cache:
            try:
                loaded = load_scenario(ref)
                cache[ref] = (loaded.scenario, loaded.sha256)
            except (ScenarioError, ScenarioNotFound, OSError):
                cache[ref] = None
        return cache[ref]

    return get


def _matches(names: dict[str, str], participant: str | None) -> bool:
    if participant is None:
        return True
    wanted = participant.strip().casefold()
    return any(n.strip().casefold() == wanted for n in names.values())


def attempt(scenario: Scenario, state: SessionState, scorer: Scorer) -> dict[str, Level]:
    """One session's levels, scored up to its last closed meeting."""
    from simulator.debrief.scoring import play

    final = is_final(scenario, state)
    meeting = state.closed_meetings[-1]
    debrief = scorer(scenario, state, upto_meeting=None if final else meeting,
                     played=play(scenario, state))
    return {e.id: e.level for e in debrief.elements}


def progress(
    store: Store, participant: str | None = None, *, scorer: Scorer | None = None
) -> Progress:
    """Attempts oldest first, with the levels per element of each (see the module docstring)."""
    from simulator.debrief.scoring import score

    rate = scorer or score
    load = _scenarios()
    attempts = []
    for info in sorted(store.list_sessions(), key=lambda s: (s.created, s.id)):
        state = replay(store.events(info.id))
        names = state.participants()
        if not state.closed_meetings or not _matches(names, participant):
            continue
        levels: dict[str, Level] = {}
        problem: str | None = None
        final = False
        found = load(state.scenario)
        if found is None:
            problem = f"scenario {state.scenario!r} can no longer be loaded"
        else:
            scenario, sha = found
            final = is_final(scenario, state)
            if sha != state.scenario_sha256:
                problem = "the scenario file has changed since this session was played"
            levels = attempt(scenario, state, rate)
        known = [level_rank(v) for v in levels.values()]
        attempts.append(Attempt(
            session=info.id, title=info.title, scenario=info.scenario, created=info.created,
            stage=info.stage, meeting=state.closed_meetings[-1], participants=names,
            levels=levels, mean=round(sum(known) / len(known), 2) if known else None,
            problem=problem, final=final,
        ))
    return Progress(participant=participant, elements=list(SUB_ELEMENTS), levels=list(LEVELS),
                    attempts=attempts)
