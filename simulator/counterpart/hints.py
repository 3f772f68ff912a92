"""Coaching for solo practice: what a skilled lead would look at or ask next.

A hint is the next step of the agenda the conversation has not taken yet, in the words
of the debrief's own look-for for it (the scenario's look-fors, weights included: a
look-for turned off gives no hint). Hints never name a hidden truth: they point to the
kind of view and question that would show it, as the look-fors do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.counterpart.conversation import Conversation, Turn
from simulator.formats.lookfors import LookFor, lookfors_for
from simulator.formats.persona import MOVE_BY_ID, MoveKind
from simulator.formats.refs import View


@dataclass(frozen=True)
class Hint:
    """What to try next, and the look-for it earns."""

    move: MoveKind
    lookfor: str
    """The look-for's id (e.g. ``c1-strand-breakdown``)."""
    element: str
    """The rubric element it counts towards (A1 … D3, or a routine quality)."""
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"move": self.move, "lookfor": self.lookfor, "element": self.element,
                "text": self.text}


def _breakdown(t: Turn) -> str | None:
    return View.parse(t.understood.view).breakdown if t.understood.view else None


def _subject(t: Turn) -> str | None:
    return View.parse(t.understood.view).subject if t.understood.view else None


Done = Callable[[list[Turn]], bool]

PLAN: tuple[tuple[MoveKind, str, Done], ...] = (
    ("probe-subgroup", "c1-subgroup-breakdown",
     lambda ts: any(_breakdown(t) == "subgroup" for t in ts)),
    ("probe-subgroup", "c1-strand-breakdown",
     lambda ts: any(_breakdown(t) == "strand" for t in ts)),
    ("ask-view", "c1-attendance-breakdown",
     lambda ts: any(_subject(t) == "attendance" and _breakdown(t) in ("grade", "subgroup")
                    for t in ts)),
    ("solve-together", "a2-diagnosis-where-need-shows",
     lambda ts: any(t.understood.move == "solve-together" for t in ts)),
    ("ask-implementation", "c2-implementation-metrics",
     lambda ts: any(t.understood.move == "ask-implementation" for t in ts)),
    ("propose-target", "a1-measurable-target",
     lambda ts: any(t.understood.move == "propose-target" and len(t.understood.numbers) >= 2
                    for t in ts)),
    ("propose-strategy", "a2-strategy-fits-need",
     lambda ts: any(kind == "decision.made" for t in ts for kind, _ in t.events)),
    ("agree-owner", "b2-action-owners",
     lambda ts: any(t.understood.move == "agree-owner" for t in ts)),
    ("name-consequence", "d2-consequence",
     lambda ts: any(t.understood.move == "name-consequence" and t.understood.grounded
                    for t in ts)),
    ("plan-stakeholders", "d3-partner-involved",
     lambda ts: any(t.understood.move == "plan-stakeholders" for t in ts)),
)
"""The agenda as hints: a move, the look-for it serves, and when it has been done."""


def hint(conversation: Conversation) -> Hint | None:
    """The first step of :data:`PLAN` not yet done (None when all are), as a hint."""
    lookfors = {lf.id: lf for lf in lookfors_for(conversation.scenario.debrief)}
    turns = conversation.history
    last = turns[-1].understood.move if turns else None
    for move, lookfor_id, done in PLAN:
        found = lookfors.get(lookfor_id)
        if found is None or found.weight == 0 or done(turns):
            continue
        return _hint(move, found, last)
    return None


def _hint(move: MoveKind, lookfor: LookFor, last: str | None) -> Hint:
    lead = ""
    if last in ("blame", "vague"):
        lead = ("Blame and vague talk close a counterpart down; "
                if last == "blame" else "Say exactly what you mean; ")
    label = MOVE_BY_ID[move].label
    text = f"{lead}{label.lower() if lead else label}: {lookfor.description}"
    return Hint(move, lookfor.id, lookfor.element, text)


def hints_used(turns: list[Turn], shown: list[Hint | None]) -> list[dict[str, object]]:
    """Where hints were used: each turn after a hint, and whether the player took it."""
    return [{"turn": t.number, "hint": h.lookfor, "taken": t.understood.move == h.move}
            for t, h in zip(turns, shown, strict=True) if h is not None]
