"""The persona file format: a scripted counterpart for solo practice, as data.

A persona is who the computer plays when someone practises alone: a District Lead
with a favourite strategy, a State Lead with a deadline. It is written in YAML by
facilitators and validated like a scenario (one strict loader, every problem at
its ``FILE:LINE:COL``, "did you mean"). Nothing in it is code: conditions are a
small fixed vocabulary, lines are text with ``{placeholders}`` filled by plain
substitution, and the loader refuses what could never play — a line no condition
can reach, two fallbacks in a group, a fact, a dial, a line group or a strategy
that does not exist.

A persona serves any scenario: besides its own facts it reveals its role's private
briefing of the scenario played (sentence by sentence, ``brief:N``), that
meeting's private briefing (``brief:MEETING:N``) and what the data show about a
hidden truth when the player asks about a view of its evidence (``truth:ID``).
:mod:`simulator.counterpart` plays it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import Field, StringConstraints

from simulator.formats.routine import RECORDS, RecordKind, choice_problems, not_a_field
from simulator.formats.strict import Id, Loc, Strict, Text, load_model
from simulator.formats.yamlsafe import FileProblems

if TYPE_CHECKING:
    from simulator.formats.scenario import Scenario, Strategy

SCHEMA_NAME = "persona.schema.json"


class PersonaError(FileProblems):
    """A persona file that cannot be used, with every problem found in it."""


# --------------------------------------------------------------------------- the moves

MoveKind = Literal[
    "ask-view",
    "probe-subgroup",
    "ask-implementation",
    "propose-target",
    "follow-up",
    "challenge-strategy",
    "propose-strategy",
    "solve-together",
    "agree-owner",
    "name-consequence",
    "plan-stakeholders",
    "blame",
    "vague",
]
MOVE_KINDS: tuple[MoveKind, ...] = get_args(MoveKind)


@dataclass(frozen=True)
class Move:
    """A kind of thing a player says to the counterpart, shaped like the agenda."""

    id: MoveKind
    label: str
    """What a menu offers ("Ask about a data view")."""
    step: str
    """The agenda step it belongs to (:data:`simulator.formats.routine.STEPS`); "" for
    the two moves that belong to none (blame, vague talk)."""
    example: str
    """A sentence that is understood as this move (shown as a placeholder, tested)."""


MOVES: tuple[Move, ...] = (
    Move("ask-view", "Ask about a data view", "performance",
         "What does the reading benchmark data show for the school this quarter?"),
    Move("probe-subgroup", "Probe a subgroup, grade or strand", "performance",
         "Can we break the reading results down by subgroup — how are English learners doing?"),
    Move("ask-implementation", "Ask about implementation", "implementation",
         "How is implementation going: fidelity, students served, staffing?"),
    Move("propose-target", "Propose a measurable target", "targets",
         "Let's set a target: raise reading on benchmark from 31 to 40 percent by June."),
    Move("follow-up", "Follow up on a commitment", "followup",
         "Last time we agreed on an action step: was it done?"),
    Move("challenge-strategy", "Challenge a strategy", "problem",
         "What evidence do we have that this strategy addresses the need?"),
    Move("propose-strategy", "Propose a strategy", "decisions",
         "Should we adopt the structured literacy intervention?"),
    Move("solve-together", "Solve the problem together", "problem",
         "What do you think is behind these results? Let's work it out together."),
    Move("agree-owner", "Agree an owner and a date", "actions",
         "Who will own this, and by when? Can you lead it, due before the next meeting?"),
    Move("name-consequence", "Name a consequence", "actions",
         "If the data show no progress by spring, the state will step in."),
    Move("plan-stakeholders", "Plan stakeholder engagement", "stakeholders",
         "Which families and teachers should hear about these results, and how?"),
    Move("blame", "Blame", "",
         "This is your fault; your teachers are failing these kids."),
    Move("vague", "Vague talk", "",
         "We just need to do better and keep working hard."),
)
MOVE_BY_ID: dict[str, Move] = {m.id: m for m in MOVES}

# --------------------------------------------------------------------------- references

FactRef = Annotated[str, StringConstraints(
    pattern=r"^(brief:([a-z][a-z0-9-]{0,39}:)?[1-9][0-9]{0,2}|truth:[a-z][a-z0-9-]{0,39}|"
            r"[a-z][a-z0-9-]{0,39})$")]
"""A fact: one of the persona's own (its id), a sentence of the role's private briefing
(``brief:2``), of a meeting's private briefing (``brief:meeting-2:1``), or a hidden
truth's evidence (``truth:decoding-need``)."""

StrategyRef = Annotated[str, StringConstraints(
    pattern=r"^(id:[a-z][a-z0-9-]{0,39}|tag:[a-z][a-z0-9-]{0,39}|subject:[a-z][a-z0-9-]{0,39}"
            r"|addresses-need|needs-staff|any)$")]
"""Which strategies: ``id:ID`` (one strategy), ``tag:TAG`` (those carrying the tag),
``subject:ID`` (those for a subject), ``addresses-need`` (those that remediate a hidden
need), ``needs-staff`` (those that need staff) or ``any``."""

Dial = Annotated[int, Field(ge=0, le=100)]
Step = Annotated[int, Field(ge=-100, le=100)]

PLACEHOLDERS: dict[str, str] = {
    "me": "the persona's name",
    "role": "the persona's role title in the scenario (e.g. District Turnaround Lead)",
    "other": "the other role's title",
    "district": "the scenario's district",
    "school": "the scenario's priority school (the first)",
    "agency": "the scenario's state agency (short name)",
    "favoured": "the first strategy the persona favours that the scenario has",
    "due": "the date an action step agreed now falls due",
    "strategy": "the strategy the player named (or the persona proposes, decides on)",
    "fact": "the fact revealed (reveal lines only)",
}
"""What a line may say in braces, and what fills it."""
BOUND_BY: dict[str, str] = {"strategy": "a strategy", "fact": "a fact"}
"""Placeholders that are filled only in some contexts: a line saying them is chosen
only when they are (and a fallback may say them only where they always are)."""
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


# --------------------------------------------------------------------------- the models


class DialSpec(Strict):
    """Something about the persona that moves during the conversation (trust, openness to
    data, …), a whole number from 0 to 100."""

    id: Id
    """How conditions and reactions name it, e.g. `trust`."""
    label: Text
    """How the debrief and a hint name it."""
    start: Dial
    """Its value when the conversation begins."""
    max_step: Annotated[int, Field(ge=1, le=100)] = 30
    """The largest share (in percent) of the way to 0 or 100 one move may take it."""
    description: str = ""
    """What it stands for, for authors."""


class Condition(Strict):
    """When something applies: every part given must hold (none given: always).

    The more parts a line's condition has, the more specific it is: the most specific
    line whose condition holds is said first."""

    moves: list[MoveKind] = Field(default_factory=list)
    """The player's move this turn is one of these."""
    grounded: bool | None = None
    """The player's words name data (a number, a view, a subgroup, a grade) — or do not."""
    names_strategy: bool | None = None
    """The player's words name one of the scenario's strategies — or do not."""
    at_least: dict[Id, Dial] = Field(default_factory=dict)
    """Each dial is at least this."""
    below: dict[Id, Dial] = Field(default_factory=dict)
    """Each dial is below this."""
    revealed: list[FactRef] = Field(default_factory=list)
    """These facts have been revealed (own facts, or `truth:ID`, `brief:N`)."""
    not_revealed: list[FactRef] = Field(default_factory=list)
    """These facts have not been revealed yet."""
    noticed: bool | None = None
    """Some hidden truth's evidence has been noticed in the conversation — or none has."""
    after: list[MoveKind] = Field(default_factory=list)
    """The player made each of these moves on an earlier turn."""
    turn_at_least: Annotated[int, Field(ge=1, le=1000)] | None = None
    """This is at least the N-th thing the player said (from 1)."""
    turn_below: Annotated[int, Field(ge=2, le=1000)] | None = None
    """This is before the N-th thing the player said."""

    @property
    def specificity(self) -> int:
        """How many parts the condition has (each dial bound, fact and move one)."""
        return (bool(self.moves) + (self.grounded is not None) + (self.names_strategy is not None)
                + len(self.at_least) + len(self.below) + len(self.revealed)
                + len(self.not_revealed) + (self.noticed is not None) + len(self.after)
                + (self.turn_at_least is not None) + (self.turn_below is not None))


class Line(Strict):
    """One variant of what the persona says."""

    text: Text
    """The words, with `{placeholders}` (see the persona guide) filled by plain substitution."""
    when: Condition | None = None
    """When it may be said; none: the group's fallback (at most one per group)."""


class LineGroup(Strict):
    """Several ways of saying one thing; the most specific line whose condition holds is
    said, then the least recently used of those, ties broken by the session's seed."""

    id: Id
    """How reactions, reveals and proposals name the group."""
    lines: list[Line] = Field(min_length=1)
    """The variants."""


class Fact(Strict):
    """Something the persona knows, whatever the scenario."""

    id: Id
    """How reveals and conditions name it."""
    text: Text
    """What the persona says when it reveals it (as `{fact}` in its reveal line)."""


class Reaction(Strict):
    """How the persona takes a kind of move: its dials move, and it answers. The first
    reaction whose moves and condition match is the one (so a move's unconditional
    reaction comes after its conditional ones)."""

    moves: list[MoveKind] = Field(min_length=1)
    """The moves it reacts to."""
    when: Condition | None = None
    """Only when this also holds."""
    dials: dict[Id, Step] = Field(default_factory=dict)
    """Bounded moves of dials: +30 takes a dial 30 % of the way to 100, -30 takes it 30 %
    of the way to 0 (ChoiceScript's "fairmath"), never more than the dial's `max_step`."""
    lines: Id
    """The line group it answers with."""


ScenarioSource = Literal["briefing", "meeting-briefing", "truths"]


class Reveal(Strict):
    """What the persona discloses, and when: one reveal per turn, the first that applies."""

    fact: Id | None = None
    """One of the persona's own facts."""
    scenario: ScenarioSource | None = None
    """Or facts of the scenario played: `briefing` (the sentences of the role's private
    briefing, `brief:N`), `meeting-briefing` (of this meeting's, `brief:MEETING:N`) or
    `truths` (a hidden truth's evidence note, `truth:ID`, only when the player asks
    about the view that evidence is in)."""
    about: list[Text] = Field(default_factory=list)
    """Briefing reveals: only sentences containing one of these words (case-insensitive);
    empty: any sentence an earlier reveal does not claim."""
    moves: list[MoveKind] = Field(min_length=1)
    """The moves that can draw it out."""
    when: Condition | None = None
    """Only when this also holds (e.g. `at_least: {trust: 60}`)."""
    lines: Id
    """The line group that says it (`{fact}` is the fact)."""


class Proposal(Strict):
    """A strategy the persona brings up unprompted, once."""

    strategy: StrategyRef
    """Which strategies; the first of them the scenario has and that is not already
    proposed or decided is proposed."""
    moves: list[MoveKind] = Field(min_length=1)
    """The player's moves after which it brings it up."""
    when: Condition | None = None
    """Only when this also holds."""
    lines: Id
    """The line group that proposes it (`{strategy}` is its name)."""


class Resistance(Strict):
    """Strategies the persona pushes back on when the player proposes them."""

    strategy: StrategyRef
    """Which strategies."""
    unless: Condition | None = None
    """It gives way once this holds (none: never)."""
    lines: Id
    """The line group of the pushback (`{strategy}` is its name)."""


class Favour(Strict):
    """A strategy the persona favours, and what makes it let go of it."""

    strategy: StrategyRef
    """Which strategies."""
    yields_when: Condition | None = None
    """Challenged on it while this holds, the persona drops it (withdraws its adoption or
    stops it); none: it never does."""
    lines: Id
    """What it says when challenged and it does not let go (`{strategy}`)."""
    yield_lines: Id | None = None
    """What it says when it lets go (`{strategy}`); needed with `yields_when`, and only
    then."""


class Decisions(Strict):
    """How the persona decides on a strategy the player proposes."""

    adopt_when: Condition | None = None
    """It adopts a proposed strategy (not resisted) when this holds (none: always)."""
    lines: Id
    """What it says when it adopts one (`{strategy}`)."""
    hold_lines: Id | None = None
    """What it says when it is not ready to (`{strategy}`); needed with `adopt_when`, and
    only then."""
    owner: Text = "{role}"
    """Who its decisions name as owner (placeholders allowed)."""


class Commitment(Strict):
    """A record the persona writes into the minutes when it agrees to something."""

    moves: list[MoveKind] = Field(min_length=1)
    """The player's moves it answers with this record."""
    when: Condition | None = None
    """Only when this also holds."""
    record: RecordKind
    """The kind of record (action, stakeholder, consequence, note, …)."""
    fields: dict[str, str] = Field(default_factory=dict)
    """The record's fields (the routine's field names; placeholders allowed). A record
    that says `{strategy}` is written only once a strategy has been adopted (the latest)."""
    once: bool = True
    """Written at most once in a conversation."""
    lines: Id
    """What the persona says as it commits (`{strategy}` is the latest strategy adopted)."""


class Persona(Strict):
    """A counterpart someone can practise against, for any scenario."""

    persona_version: Literal[1] = 1
    """The format's version."""
    id: Id
    """How `pmsim solo --persona` and `pmsim persona show` name it."""
    role: Literal["state", "district"]
    """The role it plays: the player takes the other."""
    title: Text
    """A one-line description for lists (`pmsim persona list`)."""
    name: Text
    """The persona's own (invented) name, as lines say it (`{me}`)."""
    background: Text
    """Who they are: experience, reputation, what they care about."""
    stance: Text
    """What they walk in believing about the problem."""
    biases: list[Text] = Field(default_factory=list)
    """Habits of thought a player should notice and work with."""
    dials: list[DialSpec] = Field(min_length=1)
    """What moves during the conversation; `trust` is the usual first."""
    facts: list[Fact] = Field(default_factory=list)
    """What the persona knows whatever the scenario."""
    opening: Id
    """The line group it opens the meeting with."""
    reactions: list[Reaction] = Field(min_length=1)
    """How it takes each kind of move; every move needs one without a condition."""
    reveals: list[Reveal] = Field(default_factory=list)
    """What it discloses and when, in order of preference."""
    favours: list[Favour] = Field(default_factory=list)
    """Strategies it favours."""
    proposes: list[Proposal] = Field(default_factory=list)
    """Strategies it brings up unprompted."""
    resists: list[Resistance] = Field(default_factory=list)
    """Strategies it pushes back on."""
    decisions: Decisions
    """How it decides on strategies the player proposes."""
    commits: list[Commitment] = Field(default_factory=list)
    """Records it writes when it agrees to something."""
    lines: list[LineGroup] = Field(min_length=1)
    """Everything it can say, in groups of variants."""

    def dial(self, dial_id: str) -> DialSpec:
        return next(d for d in self.dials if d.id == dial_id)

    def group(self, group_id: str) -> LineGroup:
        return next(g for g in self.lines if g.id == group_id)


# --------------------------------------------------------------------------- strategy refs


def selects(ref: str, strategy: Strategy, scenario: Scenario) -> bool:
    """Whether the strategy reference ``ref`` picks ``strategy`` of ``scenario``."""
    kind, _, value = ref.partition(":")
    if kind == "id":
        return strategy.id == value
    if kind == "tag":
        return value in strategy.tags
    if kind == "subject":
        return value in strategy.subjects
    if kind == "addresses-need":
        needs = {n.id for n in scenario.needs}
        return any(need in needs and effect > 0 for need, effect in strategy.need_effects.items())
    if kind == "needs-staff":
        return strategy.staff_fte > 0
    return kind == "any"


def selected(ref: str, scenario: Scenario) -> list[Strategy]:
    """The scenario's strategies ``ref`` picks, in the scenario's order."""
    return [s for s in scenario.strategies if selects(ref, s, scenario)]


# --------------------------------------------------------------------------- cross-checks


@dataclass
class _Usage:
    """Where each line group is used, and what is bound there."""

    moves: set[str]
    bound: set[str] | None = None
    """Placeholders bound in every use (None before the first use)."""

    def use(self, moves: Iterable[str], bound: set[str]) -> None:
        self.moves |= set(moves)
        self.bound = set(bound) if self.bound is None else self.bound & bound


def cross_check(p: Persona, scenarios: Sequence[Scenario] = ()) -> list[tuple[Loc, str]]:
    """Every broken reference and every line that can never be said; strategy references
    are checked against ``scenarios`` when any are given."""
    problems: list[tuple[Loc, str]] = []
    for name in ("dials", "facts", "lines"):
        problems += _duplicates([x.id for x in getattr(p, name)], (name,))
    dials = [d.id for d in p.dials]
    facts = [f.id for f in p.facts]
    groups = {g.id: g for g in p.lines}
    usage: dict[str, _Usage] = {g: _Usage(set()) for g in groups}

    def group_ref(group_id: str, path: Loc, moves: Iterable[str], bound: set[str]) -> None:
        if group_id not in groups:
            problems.append((path, _unknown(group_id, list(groups), "line group")))
        else:
            usage[group_id].use(moves, bound)

    def condition(c: Condition | None, path: Loc) -> None:
        if c is None:
            return
        for part in ("at_least", "below"):
            for d in getattr(c, part):
                if d not in dials:
                    problems.append(((*path, part, d, "<key>"), _unknown(d, dials, "dial")))
        for part in ("revealed", "not_revealed"):
            for i, ref in enumerate(getattr(c, part)):
                if ":" not in ref and ref not in facts:
                    problems.append(((*path, part, i), _unknown(ref, facts, "fact")))
        problems.extend(((*path, *loc), message) for loc, message in _impossible(c, p))

    def strategy_ref(ref: str, path: Loc) -> None:
        if scenarios and not any(selected(ref, sc) for sc in scenarios):
            problems.append((path, _no_strategy(ref, scenarios)))

    group_ref(p.opening, ("opening",), (), set())
    answered: dict[str, int] = {}
    for i, r in enumerate(p.reactions):
        path: Loc = ("reactions", i)
        condition(r.when, (*path, "when"))
        for d in r.dials:
            if d not in dials:
                problems.append(((*path, "dials", d, "<key>"), _unknown(d, dials, "dial")))
        shadowed = [m for m in r.moves if m in answered]
        if shadowed:
            problems.append(((*path, "moves"), (
                f"this reaction can never apply to {', '.join(shadowed)}: reaction "
                f"{answered[shadowed[0]] + 1} above takes {'it' if len(shadowed) == 1 else 'them'}"
                " whatever the condition (the first match wins)")))
        moves = [m for m in r.moves if m not in answered]
        group_ref(r.lines, (*path, "lines"), moves,
                  {"strategy"} if r.when is not None and r.when.names_strategy else set())
        if r.when is None:
            answered.update(dict.fromkeys(moves, i))
    missing = [m for m in MOVE_KINDS if m not in answered]
    if missing:
        problems.append((("reactions",), (
            f"no reaction without a condition for {', '.join(missing)}: each move needs one "
            "(last among its reactions), so the persona always answers")))
    for i, rv in enumerate(p.reveals):
        path = ("reveals", i)
        if (rv.fact is None) == (rv.scenario is None):
            problems.append((path, "a reveal names either one of the persona's own facts "
                                   "(fact: ID) or the scenario's (scenario: briefing, "
                                   "meeting-briefing or truths), not both or neither"))
        if rv.fact is not None and rv.fact not in facts:
            problems.append(((*path, "fact"), _unknown(rv.fact, facts, "fact")))
        if rv.about and rv.scenario not in ("briefing", "meeting-briefing"):
            problems.append(((*path, "about"), "'about' picks briefing sentences: it needs "
                                               "scenario: briefing or meeting-briefing"))
        condition(rv.when, (*path, "when"))
        group_ref(rv.lines, (*path, "lines"), rv.moves, {"fact"})
    for name in ("favours", "proposes", "resists"):
        for i, item in enumerate(getattr(p, name)):
            path = (name, i)
            strategy_ref(item.strategy, (*path, "strategy"))
            moves = getattr(item, "moves", None) or (
                ["challenge-strategy"] if name == "favours" else ["propose-strategy"])
            group_ref(item.lines, (*path, "lines"), moves, {"strategy"})
            for part in ("when", "unless", "yields_when"):
                condition(getattr(item, part, None), (*path, part))
            if name == "favours":
                problems += _paired(item.yields_when, item.yield_lines, path,
                                    "yields_when", "yield_lines")
                if item.yield_lines is not None and item.yields_when is not None:
                    group_ref(item.yield_lines, (*path, "yield_lines"), moves, {"strategy"})
    condition(p.decisions.adopt_when, ("decisions", "adopt_when"))
    group_ref(p.decisions.lines, ("decisions", "lines"), ["propose-strategy"], {"strategy"})
    problems += _paired(p.decisions.adopt_when, p.decisions.hold_lines, ("decisions",),
                        "adopt_when", "hold_lines")
    if p.decisions.hold_lines is not None and p.decisions.adopt_when is not None:
        group_ref(p.decisions.hold_lines, ("decisions", "hold_lines"), ["propose-strategy"],
                  {"strategy"})
    problems += _placeholders(p.decisions.owner, ("decisions", "owner"), set())
    for i, c in enumerate(p.commits):
        path = ("commits", i)
        condition(c.when, (*path, "when"))
        says_strategy = any("strategy" in _names(v) for v in c.fields.values())
        group_ref(c.lines, (*path, "lines"), c.moves, {"strategy"} if says_strategy else set())
        for key, value in c.fields.items():
            if key not in RECORDS[c.record].field_names:
                problems.append(((*path, "fields", key, "<key>"), not_a_field(key, [c.record])))
            problems += _placeholders(value, (*path, "fields", key), {"strategy"})
        problems += [((*path, "fields", key), why)
                     for key, why in choice_problems(c.record, c.fields)]
    for gi, g in enumerate(p.lines):
        for li, line in enumerate(g.lines):
            condition(line.when, ("lines", gi, "lines", li, "when"))
        problems += _group_problems(g, ("lines", gi), usage[g.id])
    return problems


def _paired(when: Condition | None, lines: str | None, path: Loc, when_key: str,
            lines_key: str) -> list[tuple[Loc, str]]:
    """A condition's "otherwise" lines: needed with the condition, never said without."""
    if when is not None and lines is None:
        return [(path, f"'{when_key}' is given but not '{lines_key}', what is said otherwise")]
    if when is None and lines is not None:
        return [((*path, lines_key), f"'{lines_key}' can never be said: there is no "
                                     f"'{when_key}' to fail")]
    return []


def _group_problems(g: LineGroup, path: Loc, use: _Usage) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    if use.bound is None:
        return [((*path, "id"), f"line group '{g.id}' is never said: no reaction, reveal, "
                                "proposal, decision or commitment names it")]
    fallbacks = [i for i, line in enumerate(g.lines)
                 if line.when is None or line.when.specificity == 0]
    if len(fallbacks) > 1:
        problems.append(((*path, "lines", fallbacks[1]), (
            f"a second fallback in line group '{g.id}' (line {fallbacks[0] + 1} has no "
            "'when' either): give this one a condition, or merge the two")))
    for li, line in enumerate(g.lines):
        lpath: Loc = (*path, "lines", li)
        problems += _placeholders(line.text, (*lpath, "text"), set(PLACEHOLDERS))
        if line.when is None or line.when.specificity == 0:
            unbound = [n for n in _names(line.text) if n in BOUND_BY and n not in use.bound]
            if unbound:
                problems.append(((*lpath, "text"), (
                    f"the fallback of '{g.id}' says {{{unbound[0]}}}, which is not filled "
                    f"everywhere the group is said; give this line a 'when' or drop it")))
            continue
        asked = set(line.when.moves)
        if asked and use.moves and not asked & use.moves:
            problems.append(((*lpath, "when", "moves"), (
                f"this line can never be said: line group '{g.id}' is said only after "
                f"{', '.join(sorted(use.moves))}")))
    return problems


def _impossible(c: Condition, p: Persona) -> list[tuple[Loc, str]]:
    """Why a condition can never hold, part by part."""
    out: list[tuple[Loc, str]] = []
    for d, low in c.at_least.items():
        high = c.below.get(d)
        if high is not None and high <= low:
            out.append((("below", d), f"'{d}' can never be at least {low} and below {high}"))
        spec = next((x for x in p.dials if x.id == d), None)
        if spec is not None and low > max(99, spec.start):
            out.append((("at_least", d), f"'{d}' never reaches {low}: bounded moves stop "
                                         f"short of 100 (the most is 99)"))
    for d, high in c.below.items():
        spec = next((x for x in p.dials if x.id == d), None)
        if spec is not None and high < min(1, spec.start) + 1:
            out.append((("below", d), f"'{d}' never falls below {high}: bounded moves stop "
                                      f"short of 0 (the least is 1)"))
    for ref in c.revealed:
        if ref in c.not_revealed:
            out.append((("not_revealed", c.not_revealed.index(ref)),
                        f"'{ref}' can never be both revealed and not revealed"))
    if c.turn_at_least is not None and c.turn_below is not None \
            and c.turn_below <= c.turn_at_least:
        out.append((("turn_below",), f"no turn is at least {c.turn_at_least} and below "
                                     f"{c.turn_below}"))
    if c.turn_below == 2 and c.after:
        out.append((("after",), "on the first turn no move has been made before"))
    return out


def _names(text: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def _placeholders(text: str, path: Loc, allowed: set[str]) -> list[tuple[Loc, str]]:
    known = set(PLACEHOLDERS) - set(BOUND_BY) | allowed
    out = []
    for name in _names(text):
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean '{{{close[0]}}}'?" if close else (
                f" (known: {', '.join('{' + k + '}' for k in sorted(known))})")
            out.append((path, f"'{{{name}}}' is not a placeholder here{hint}"))
    return out


def _duplicates(ids: list[str], path: Loc) -> list[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    out = []
    for i, x in enumerate(ids):
        if x in seen:
            out.append(((*path, i, "id"), f"duplicate id '{x}' (also item {seen[x] + 1})"))
        else:
            seen[x] = i
    return out


def _unknown(value: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    if close:
        return f"no {what} '{value}'; did you mean '{close[0]}'?"
    listed = ", ".join(known) if known else "none defined"
    return f"no {what} '{value}' (known: {listed})"


def _no_strategy(ref: str, scenarios: Sequence[Scenario]) -> str:
    kind, _, value = ref.partition(":")
    names = ", ".join(sc.id for sc in scenarios)
    if kind == "id":
        ids = sorted({s.id for sc in scenarios for s in sc.strategies})
        close = difflib.get_close_matches(value, ids, n=1)
        hint = f"; did you mean 'id:{close[0]}'?" if close else ""
        return f"no strategy '{value}' in {names}{hint}"
    if kind == "tag":
        tags = sorted({t for sc in scenarios for s in sc.strategies for t in s.tags})
        close = difflib.get_close_matches(value, tags, n=1)
        hint = f"; did you mean 'tag:{close[0]}'?" if close else (
            f" (tags there: {', '.join(tags)})" if tags else "")
        return f"no strategy tagged '{value}' in {names}{hint}"
    return f"no strategy of {names} is '{ref}'"


# --------------------------------------------------------------------------- loading


def parse_persona(raw: bytes, name: str = "<persona>", scenarios: Sequence[Scenario] = ()
                  ) -> Persona:
    """Validate a persona file's bytes (its strategy references against ``scenarios``
    when given); raises :class:`PersonaError` with every problem."""
    return load_model(raw, name, Persona, error=PersonaError,
                      checks=lambda p: cross_check(p, scenarios),
                      mapping_of="(id, role, title, dials, reactions, lines, …)",
                      what="a persona file")


def json_schema() -> dict:
    """The JSON Schema of persona files (committed as personas/persona.schema.json)."""
    schema = Persona.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:pmsim:persona:1"
    return schema


def builtin_dir() -> Path:
    from personas import DIRECTORY

    return DIRECTORY


def builtin_paths() -> list[Path]:
    """The built-in persona files, by name."""
    return sorted(p for p in builtin_dir().glob("*.yaml") if not p.name.startswith("."))
