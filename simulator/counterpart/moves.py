"""What the player said, understood as one of the moves (:data:`MOVES`).

Free text is matched to the same moves the menus offer, by keywords and phrases with a
weight each; a word misspelt by a letter or two still counts: a word of five letters or
more whose rapidfuzz similarity to a cue word (or to a stem, by the word's start) is
:data:`NEAR` or more, or which is the cue with two neighbouring letters swapped. Besides
the move, the words may name data (a number, a view, a subgroup or grade: the move is
*grounded*), a strategy of the scenario, a dashboard view and a group. Pure functions of
the text and the scenario: the same words are always understood the same way.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from simulator.formats.persona import MOVE_KINDS, MoveKind
from simulator.formats.refs import View
from simulator.formats.scenario import Scenario, Strategy, Subgroup

# Weighted cues per move: a phrase (several words, matched as a run of words), a word,
# or a stem ending in '*'. The weights are what the move's words weigh against another's.
CUES: dict[MoveKind, tuple[tuple[str, float], ...]] = {
    "blame": (("your fault", 4), ("fault", 2), ("blame", 2.5), ("you failed", 4),
              ("failing", 2), ("incompetent", 4), ("lazy", 4), ("you didn't", 2),
              ("you never", 2), ("why haven't you", 3), ("excuse*", 2.5),
              ("unacceptable", 2), ("not doing their job*", 4), ("dropped the ball", 4),
              ("you should have", 2.5), ("your teachers are", 2), ("your people", 1.5)),
    "name-consequence": (("consequence*", 3.5), ("or else", 4), ("external partner", 4),
                         ("take over", 4), ("takeover", 4), ("sanction*", 4),
                         ("the state will", 3), ("step in", 3), ("commissioner", 2),
                         ("lose", 1.5), ("funds", 1), ("funding", 1), ("accountab*", 1.5),
                         ("required to", 1.5), ("direct how", 2), ("if the data show no", 2)),
    "propose-target": (("target*", 3.5), ("goal*", 2.5), ("measurable", 2.5), ("baseline", 2.5),
                       ("raise", 1.5), ("increase", 1.5), ("by june", 1.5), ("by spring", 1),
                       ("percent", 1), ("from", 0.5), ("aim", 1.5), ("to reach", 1.5)),
    "ask-view": (("data", 1.5), ("dashboard", 2.5), ("benchmark", 1.5), ("result*", 1.5),
                 ("score*", 1.5), ("show*", 1), ("look at", 1.5), ("numbers", 1),
                 ("proficien*", 1.5), ("trend*", 1.5), ("chart", 1.5), ("attendance", 1.5),
                 ("absen*", 1.5), ("quarter", 0.5), ("on track", 1.5), ("how are", 1),
                 ("failing course*", 3.5), ("failing a course", 3.5), ("course failure*", 3),
                 ("credit*", 1.5), ("course grade*", 2.5), ("how many", 1.5)),
    "probe-subgroup": (("subgroup*", 3.5), ("disaggregat*", 3.5), ("break down", 3),
                       ("breakdown", 3), ("broken down", 3), ("break*", 1.5),
                       ("by grade", 3), ("strand*", 3),
                       ("which students", 2.5), ("decoding", 2.5), ("word study", 2.5),
                       ("vocabulary", 2), ("by group", 3), ("groups", 1.5), ("slice", 2)),
    "ask-implementation": (("implement*", 3.5), ("fidelity", 3.5), ("staff*", 2.5),
                           ("served", 1.5), ("take-up", 2.5), ("take up", 2.5),
                           ("sessions", 1.5), ("coach*", 1), ("interventionist*", 2.5),
                           ("vacanc*", 2.5), ("as intended", 2.5), ("as planned", 2.5),
                           ("on the ground", 2), ("carried out", 2.5), ("capacity", 2),
                           ("how is it going", 2), ("in practice", 2)),
    "follow-up": (("last time", 3.5), ("follow up", 3.5), ("follow-up", 3.5),
                  ("commitment*", 3), ("did it get done", 4), ("was it done", 4),
                  ("previous meeting", 3.5), ("promised", 2.5), ("we agreed", 3),
                  ("since we met", 3)),
    "challenge-strategy": (("evidence", 2), ("address*", 2), ("not address", 2),
                           ("does it work", 3), ("is it working", 3), ("not convinced", 3),
                           ("challenge", 2.5), ("how do we know", 3), ("will it work", 3),
                           ("instead of", 2), ("really help", 2.5), ("not working", 3),
                           ("why would", 2), ("doesn't address", 4), ("won't reach", 3),
                           ("does not address", 4), ("wrong strategy", 4), ("reconsider", 3)),
    "propose-strategy": (("adopt", 3.5), ("propose", 2.5), ("suggest", 2.5), ("try", 1.5),
                         ("should we", 1.5), ("what about", 1.5), ("let's do", 2),
                         ("lets do", 2), ("how about", 2), ("invest in", 2), ("go with", 2.5),
                         ("put in the plan", 2.5), ("start", 1), ("agreed", 1), ("yes", 1)),
    "solve-together": (("together", 3.5), ("what do you think", 4), ("your view", 2.5),
                       ("your read", 2.5), ("help me understand", 4), ("what's behind", 3),
                       ("why do you think", 4), ("work it out", 3), ("let's figure", 3),
                       ("your experience", 2.5), ("what would you", 3), ("your sense", 2.5),
                       ("partner*", 1.5), ("i wonder", 2), ("curious", 2)),
    "agree-owner": (("owner", 3.5), ("own this", 4), ("own it", 3.5), ("who will", 3),
                    ("by when", 4), ("deadline", 3), ("due", 2.5), ("responsible", 2.5),
                    ("lead it", 2.5), ("take the lead", 3), ("date", 1.5),
                    ("action step*", 3), ("next steps", 2.5), ("before the next meeting", 2)),
    "plan-stakeholders": (("stakeholder*", 3.5), ("families", 3), ("parents", 3),
                          ("community", 2.5), ("board", 2), ("union", 2.5),
                          ("communicat*", 2.5), ("inform", 2), ("involve", 2), ("inspire", 2),
                          ("inquire", 2), ("who needs to hear", 4), ("hear about", 2),
                          ("share the results", 3)),
    "vague": (("do better", 3), ("work harder", 3), ("hard work", 2), ("going forward", 2),
              ("synergy", 3), ("best practice*", 2.5), ("move the needle", 3), ("stuff", 1.5),
              ("things", 1), ("just need", 2), ("keep pushing", 3), ("culture", 1.5),
              ("somehow", 2), ("in general", 2)),
}
ORDER: tuple[MoveKind, ...] = (
    "blame", "name-consequence", "follow-up", "propose-target", "agree-owner",
    "plan-stakeholders", "ask-implementation", "challenge-strategy", "probe-subgroup",
    "propose-strategy", "solve-together", "ask-view", "vague")
"""Which move wins a tie of weights: the first here."""
THRESHOLD = 1.5
"""Below this weight the words are vague talk."""
NAMED_STRATEGY_BONUS: dict[MoveKind, float] = {"propose-strategy": 2.0, "challenge-strategy": 2.0}
NAMED_GROUP_BONUS = 3.0
"""Naming a subgroup or grade counts this much towards probing it."""

_DATA_WORDS = ("data", "benchmark", "dashboard", "score", "scores", "percent", "proficient",
               "proficiency", "strand", "strands", "subgroup", "subgroups", "fidelity",
               "attendance", "absence", "absent", "chart", "view", "results", "rit", "grade")
_STOP = frozenset(["a", "an", "and", "the", "of", "to", "for", "in", "on", "with", "by", "at",
                   "from"])
_WORD = re.compile(r"[a-z0-9%][a-z0-9'%.-]*")
_NUMBER = re.compile(r"(?<![a-z])(\d+(?:\.\d+)?)\s*%?")
_GRADE = re.compile(r"\b(?:grade|grades)\s+(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)[- ]grade")

SUBJECT_WORDS: dict[str, tuple[str, ...]] = {
    "reading": ("reading", "literacy", "ela", "decoding", "word", "vocabulary", "comprehension",
                "informational", "literary", "phonics"),
    "math": ("math", "maths", "mathematics", "algebra", "geometry", "number", "ratios"),
    "courses": ("course", "courses", "credit", "credits", "failing", "failed", "fails",
                "f's", "grades", "passing", "on-track", "ontrack"),
    "attendance": ("attendance", "absence", "absences", "absent", "absenteeism", "chronic"),
}
"""Words naming a subject of the views, checked in this order (course grades before
attendance: "courses by attendance" is a view of course grades)."""
BREAKDOWN_WORDS: dict[str, tuple[str, ...]] = {
    "strand": ("strand", "strands", "decoding", "vocabulary", "informational", "literary",
               "algebra", "geometry"),
    "implementation": ("implementation", "fidelity", "served", "take-up"),
    "grade": ("grade", "grades"),
    "subgroup": ("subgroup", "subgroups", "disaggregated", "disaggregate", "groups"),
}


@dataclass(frozen=True)
class Understood:
    """What a turn's words were taken to mean."""

    move: MoveKind
    grounded: bool = False
    """The words name data: a number, a view, a subgroup or a grade."""
    strategy: str | None = None
    """The scenario's strategy the words name, if any."""
    view: str | None = None
    """The dashboard view the words are about (``reading/hudson-ms/strand``), if any."""
    group: str | None = None
    """The subgroup id or ``grade-N`` the words name, if any."""
    numbers: tuple[float, ...] = field(default_factory=tuple)
    """The numbers said, in order."""
    grades: tuple[int, ...] = ()
    """The scenario's grades the words name ("grades 6 and 7"), in order."""
    subgroups: tuple[str, ...] = ()
    """The scenario's subgroups the words name, in the scenario's order."""

    def as_payload(self) -> dict[str, Any]:
        """Plain data for a session event, so a conversation can be replayed on resume."""
        return {"move": self.move, "grounded": self.grounded, "strategy": self.strategy,
                "view": self.view, "group": self.group, "numbers": list(self.numbers),
                "grades": list(self.grades), "subgroups": list(self.subgroups)}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Understood:
        """The move :meth:`as_payload` wrote (ValueError for a move that is not one)."""
        move = data["move"]
        if move not in MOVE_KINDS:
            raise ValueError(f"unknown move {move!r}")
        return cls(move, bool(data.get("grounded")), data.get("strategy"), data.get("view"),
                   data.get("group"), tuple(data.get("numbers", ())),
                   tuple(data.get("grades", ())), tuple(data.get("subgroups", ())))


def menu_move(move: MoveKind, *, view: str | None = None, group: str | None = None,
              strategy: str | None = None, grades: Sequence[int] = (),
              subgroups: Sequence[str] = ()) -> Understood:
    """A move chosen from a menu rather than typed: grounded when it names a view or a
    group (the menu's own data), with whatever the menu let the player pick."""
    return Understood(move, view is not None or group is not None, strategy, view, group,
                      (), tuple(grades), tuple(subgroups))


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


@functools.lru_cache(maxsize=1)
def _single_words() -> tuple[str, ...]:
    return tuple(sorted({c for cues in CUES.values() for c, _ in cues
                         if " " not in c and not c.endswith("*") and len(c) >= 5}))


@functools.lru_cache(maxsize=1)
def _stems() -> tuple[str, ...]:
    return tuple(sorted({c[:-1] for cues in CUES.values() for c, _ in cues
                         if " " not in c and c.endswith("*") and len(c) >= 6}))


FUZZY_MIN = 5
"""Words shorter than this are never taken for a misspelt cue (too many near misses)."""
NEAR = 86.0
"""rapidfuzz's ratio (100 × 2·common letters / letters of both) a near miss reaches: a
missing or extra letter in a word of six or more, a wrong letter in a word of eight or
more."""


def _swapped(word: str, cue: str) -> bool:
    """``word`` is ``cue`` with two neighbouring letters swapped (``fualt``, ``fault``)."""
    return len(word) == len(cue) and word != cue and OSA.distance(word, cue) == 1 \
        and sorted(word) == sorted(cue)


def _near(word: str, cue: str) -> bool:
    return fuzz.ratio(word, cue) >= NEAR or _swapped(word, cue)


def _has(cue: str, words: list[str], joined: str, fuzzy: set[str]) -> bool:
    if " " in cue and cue.endswith("*"):  # a phrase whose last word is a stem
        return f" {cue[:-1]}" in joined
    if " " in cue:
        return f" {cue} " in joined
    if cue.endswith("*"):
        stem = cue[:-1]
        return any(w.startswith(stem) for w in words) or stem in fuzzy
    return cue in words or cue in fuzzy


def _fuzzy(words: list[str]) -> set[str]:
    """Cue words and stems a word of the text is a near miss of (a typo), for words of
    :data:`FUZZY_MIN` letters or more: the closest cue word (ties: the first in order) or
    one it is a swap of, and every stem the word's start is near."""
    vocabulary = _single_words()
    stems = _stems()
    out: set[str] = set()
    for w in words:
        if len(w) < FUZZY_MIN or w in vocabulary:
            continue
        hit = process.extractOne(w, vocabulary, scorer=fuzz.ratio, score_cutoff=NEAR)
        if hit is not None:
            out.add(hit[0])
        else:
            out.update(c for c in vocabulary if _swapped(w, c))
        for stem in stems:
            n = len(stem)
            if not w.startswith(stem) and any(
                    _near(w[:k], stem) for k in (n - 1, n, n + 1) if k <= len(w)):
                out.add(stem)
    return out


def understand(text: str, scenario: Scenario) -> Understood:
    """The move ``text`` makes, and the data, strategy, view and group it names."""
    words = words_of(text)
    joined = f" {' '.join(words)} "
    fuzzy = _fuzzy(words)
    group = _group(text, words, joined, scenario)
    strategy = strategy_named(words, scenario)
    scores: dict[MoveKind, float] = dict.fromkeys(MOVE_KINDS, 0.0)
    for kind, cues in CUES.items():
        scores[kind] = sum(w for cue, w in cues if _has(cue, words, joined, fuzzy))
    if strategy is not None:
        for kind, bonus in NAMED_STRATEGY_BONUS.items():
            if scores[kind] > 0:
                scores[kind] += bonus
    if group is not None:
        scores["probe-subgroup"] += NAMED_GROUP_BONUS
    best: MoveKind = max(ORDER, key=lambda m: (scores[m], -ORDER.index(m)))
    move: MoveKind = best if scores[best] >= THRESHOLD else "vague"
    numbers = tuple(float(n) for n in _NUMBER.findall(text.lower()))
    grounded = bool(numbers) or group is not None or any(w in _DATA_WORDS for w in words)
    return Understood(move, grounded, strategy, _view(words, group, scenario, move), group,
                      numbers, _grades(text, scenario), _subgroups(joined, scenario))


_GRADES = re.compile(r"\bgrades?\s+(\d{1,2}(?:\s*(?:,|and|&|or|to|-|–)\s*\d{1,2})*)")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")


def _grades(text: str, scenario: Scenario) -> tuple[int, ...]:
    lowered = text.lower()
    found: list[int] = []
    for run in _GRADES.findall(lowered):
        numbers = [int(n) for n in re.findall(r"\d{1,2}", run)]
        if re.search(r"\d\s*(?:to|-|–)\s*\d", run) and len(numbers) == 2:
            numbers = list(range(numbers[0], numbers[1] + 1))
        found += numbers
    if "grade" in lowered:
        found += [int(n) for n in _ORDINAL.findall(lowered)]
    return tuple(dict.fromkeys(g for g in found if g in scenario.grades))


def _subgroups(joined: str, scenario: Scenario) -> tuple[str, ...]:
    return tuple(g.id for g in scenario.subgroups if any(
        f" {n} " in joined for n in _group_names(g) if len(n) > 1))


def _group_names(g: Subgroup) -> set[str]:
    names = {g.id, g.name.lower(), *(n.lower() for n in [g.short_name] if n)}
    return names | {n.rstrip("s") for n in names if " " in n}


def _group(text: str, words: list[str], joined: str, scenario: Scenario) -> str | None:
    """A subgroup (by id, name or short name) or a grade the words name."""
    for g in scenario.subgroups:
        if any(f" {n} " in joined for n in _group_names(g) if len(n) > 1):
            return g.id
    found = _GRADE.search(text.lower())
    if found:
        grade = int(found.group(1) or found.group(2))
        if grade in scenario.grades:
            return f"grade-{grade}"
    return None


GENERIC = frozenset(["reading", "math", "data", "benchmark", "students", "student", "teachers",
                     "teacher", "school", "schools", "ela", "time", "families", "all", "open",
                     "new", "high", "quarterly", "group"])
"""Words too common in the talk to name a strategy on their own."""


def _name_words(s: Strategy) -> list[str]:
    words = []
    for w in words_of(s.name):
        words += [p for p in w.split("-") if p and p not in _STOP]
    return words


def strategy_named(words: list[str], scenario: Scenario) -> str | None:
    """The strategy the words name: its id, two words of its name in a row, or a word of
    its name no other strategy has (not a word of everyday talk such as "reading"); none
    when two strategies are named as clearly."""
    flat: list[str] = []
    for w in words:
        flat += [p for p in w.split("-") if p]
    said = set(flat) | {w.rstrip("s") for w in flat}
    pairs = set(itertools.pairwise(flat))
    text = " ".join(words)
    names = {s.id: _name_words(s) for s in scenario.strategies}
    counts: dict[str, int] = {}
    for own in names.values():
        for w in set(own):
            counts[w] = counts.get(w, 0) + 1
    scored: list[tuple[float, int, str]] = []
    for order, s in enumerate(scenario.strategies):
        own = names[s.id]
        score = 4.0 if s.id in text or s.id.replace("-", " ") in text else 0.0
        score += 2.0 * sum(1 for pair in itertools.pairwise(own) if pair in pairs
                           and not set(pair) <= GENERIC)
        score += sum(1.0 for w in set(own) if counts[w] == 1 and w not in GENERIC
                     and len(w) >= 5 and w in said)
        if score > 0:
            scored.append((score, order, s.id))
    scored.sort(key=lambda x: (-x[0], x[1]))
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][2]


def _view(words: list[str], group: str | None, scenario: Scenario, move: str) -> str | None:
    """The dashboard view the words ask about, at the priority school (or one named)."""
    said = set(words)
    school = next((s.id for s in scenario.schools if s.priority), scenario.schools[0].id)
    for s in scenario.schools:
        if s.id in said or all(w in said for w in words_of(s.name) if w not in _STOP):
            school = s.id
    subjects = [s.id for s in scenario.subjects]
    graded = scenario.courses is not None
    subject = next((sid for sid, cues in SUBJECT_WORDS.items() if said & set(cues)
                    and (sid in subjects or sid == "attendance"
                         or (sid == "courses" and graded))), None)
    breakdown = next((b for b, cues in BREAKDOWN_WORDS.items() if said & set(cues)), None)
    if subject == "courses" and said & set(SUBJECT_WORDS["attendance"]):
        breakdown = "absence"  # course grades by attendance: the chronically absent apart
    if subject == "courses" and breakdown == "strand":
        breakdown = "all"
    if breakdown == "implementation" or (move == "ask-implementation" and subject is None):
        subject, breakdown = "implementation", "implementation"
    if subject is None:
        if breakdown is None and group is None and move not in ("ask-view", "probe-subgroup"):
            return None
        subject = subjects[0]
    if breakdown is None:
        breakdown = "all" if group is None else (
            "grade" if group.startswith("grade-") else "subgroup")
    if subject == "attendance" and breakdown == "strand":
        breakdown = "all"
    try:
        view = View.parse(f"{subject}/{school}/{breakdown}")
    except ValueError:
        return None
    return None if view.problem(scenario) else str(view)
