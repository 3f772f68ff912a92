"""Random walks through a persona: thousands of seeded conversations, and the lines none
of them reached (ChoiceScript's Randomtest).

The loader refuses a line that can never be said by its own conditions; a walk finds
the lines that can in principle be said but that no plausible conversation reaches —
a threshold the dials never get to under the persona's own reactions, a fact that is
always revealed by an earlier rule first. Each walk plays moves drawn at random with
the words' features (grounded or not, naming a strategy, a view where a hidden truth
shows, a subgroup) drawn too, so every kind of turn the matcher can produce is tried.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from simulator.counterpart.conversation import Conversation
from simulator.counterpart.moves import Understood
from simulator.engine.streams import stream
from simulator.formats.persona import MOVE_KINDS, Persona
from simulator.formats.scenario import Scenario


@dataclass(frozen=True)
class Unreached:
    """A line no walk said: its group, its place in the group (from 0) and its words."""

    group: str
    index: int
    text: str


def _choices(scenario: Scenario) -> tuple[list[str | None], list[str | None], list[str | None]]:
    views: list[str | None] = [None]
    groups: list[str | None] = [None, *(g.id for g in scenario.subgroups)]
    for truth in scenario.hidden_truths:
        for e in truth.evidence:
            views.append(e.view)
            if e.group is not None:
                groups.append(e.group)
    subject = scenario.subjects[0].id
    school = next((s.id for s in scenario.schools if s.priority), scenario.schools[0].id)
    views += [f"{subject}/{school}/all", f"{subject}/{school}/subgroup"]
    strategies: list[str | None] = [None, None, *(s.id for s in scenario.strategies)]
    return views, groups, strategies


def walk(persona: Persona, scenario: Scenario, *, conversations: int = 2000,
         turns: int = 14, seed: int = 0) -> Counter[tuple[str, int]]:
    """How often each line (group, index) was said over ``conversations`` seeded walks."""
    views, groups, strategies = _choices(scenario)
    said: Counter[tuple[str, int]] = Counter()
    rng = stream(seed, "counterpart-walk", persona.id)
    n = conversations * turns
    moves = rng.integers(len(MOVE_KINDS), size=n)
    grounded = rng.random(n) < 0.5
    view_at = rng.integers(len(views), size=n)
    group_at = rng.integers(len(groups), size=n)
    strategy_at = rng.integers(len(strategies), size=n)
    for c in range(conversations):
        conversation = Conversation(persona, scenario, seed=seed + c)
        said[(conversation.opening.group, conversation.opening.index)] += 1
        for t in range(c * turns, (c + 1) * turns):
            u = Understood(MOVE_KINDS[moves[t]], bool(grounded[t]),
                           strategies[strategy_at[t]], views[view_at[t]], groups[group_at[t]])
            for line in conversation.play("", u).lines:
                said[(line.group, line.index)] += 1
    return said


def unreached(persona: Persona, scenario: Scenario, *, conversations: int = 2000,
              turns: int = 14, seed: int = 0) -> list[Unreached]:
    """The persona's lines that no walk said, in file order."""
    said = walk(persona, scenario, conversations=conversations, turns=turns, seed=seed)
    return [Unreached(g.id, i, line.text) for g in persona.lines
            for i, line in enumerate(g.lines) if (g.id, i) not in said]
