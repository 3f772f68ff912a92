"""What a persona knows of the scenario played: its role's briefings and the hidden truths.

A persona serves any scenario because its scenario-specific knowledge is the scenario's
own text: the private briefing of the persona's role, split into sentences and put in
the first person (``brief:N``); the private briefing of the meeting held
(``brief:MEETING:N``); and, for each hidden truth, the evidence note of the view where
the data show it (``truth:ID``), which the persona can notice only when the player asks
about that view. The truth's title and explanation stay for the debrief.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.formats.refs import View
from simulator.formats.scenario import Scenario

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_VERBS = ("have", "had", "are", "were", "know", "knew", "believe", "would", "will", "can",
          "could", "may", "might", "should", "do", "did", "come", "lead", "want", "think",
          "need", "see", "saw", "hear", "heard", "must", "also", "still", "feel", "suspect",
          "expect", "hope", "plan", "like", "led", "run", "ran", "care", "trust", "worry")
_PERSON = (
    (re.compile(r"\bYou are\b"), "I am"), (re.compile(r"\byou are\b"), "I am"),
    (re.compile(r"\bYou were\b"), "I was"), (re.compile(r"\byou were\b"), "I was"),
    (re.compile(r"\bYourself\b"), "Myself"), (re.compile(r"\byourself\b"), "myself"),
    (re.compile(r"\bYours\b"), "Mine"), (re.compile(r"\byours\b"), "mine"),
    (re.compile(r"\bYour\b"), "My"), (re.compile(r"\byour\b"), "my"),
    (re.compile(r"\bYou\b"), "I"),
    (re.compile(rf"\byou(?=,? (?:{'|'.join(_VERBS)})\b)"), "I"),
    (re.compile(r"\byou\b"), "me"),
)


@dataclass(frozen=True)
class ScenarioFact:
    """One thing the scenario lets the persona know."""

    id: str
    """``brief:N``, ``brief:MEETING:N`` or ``truth:ID``."""
    source: str
    """``briefing``, ``meeting-briefing`` or ``truths``."""
    text: str
    """What the persona says (first person; for a truth, its first evidence note)."""
    evidence: tuple[tuple[str, str | None, str], ...] = ()
    """A truth's evidence: (view, group or None, note), where it can be noticed."""
    written: str = ""
    """A briefing sentence as the scenario wrote it (a reveal's `about` words match either)."""

    def noticed_in(self, view: str | None, group: str | None) -> str | None:
        """The evidence note a question about ``view`` (and ``group``) brings out, if any."""
        if view is None:
            return None
        asked = View.parse(view)
        for where, wanted, note in self.evidence:
            shown = View.parse(where)
            same = (shown.subject, shown.school, shown.breakdown) == (
                asked.subject, asked.school, asked.breakdown)
            if same and (wanted is None or wanted == group):
                return note
        return None


_ASIDE = re.compile(r",? but (?:would|you'd) rather not (?:say|mention|admit)(?: it| this| so)?"
                    r"(?: unprompted)?,?")
"""A briefing's note to the player about what they would rather not say: said aloud, the
persona just says it."""


def first_person(text: str) -> str:
    """A briefing's second person ("You have not looked…") as the persona says it ("I have
    not looked…"), without the briefing's asides about what not to say unprompted."""
    text = _ASIDE.sub("", text)
    for pattern, replacement in _PERSON:
        text = pattern.sub(replacement, text)
    return text


def sentences(text: str) -> list[str]:
    """A briefing's sentences, in order."""
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def scenario_facts(scenario: Scenario, role: str, meeting: str) -> list[ScenarioFact]:
    """Everything the persona playing ``role`` may reveal at ``meeting`` of ``scenario``."""
    briefing = getattr(scenario.roles, role)
    out = [ScenarioFact(f"brief:{i}", "briefing", first_person(s), written=s)
           for i, s in enumerate(sentences(briefing.private), 1)]
    at_meeting = briefing.meetings.get(meeting)
    if at_meeting is not None:
        out += [ScenarioFact(f"brief:{meeting}:{i}", "meeting-briefing", first_person(s),
                             written=s)
                for i, s in enumerate(sentences(at_meeting.private), 1)]
    for truth in scenario.hidden_truths:
        evidence = tuple((e.view, e.group, " ".join(e.note.split())) for e in truth.evidence)
        if evidence:
            out.append(ScenarioFact(f"truth:{truth.id}", "truths", evidence[0][2], evidence))
    return out
