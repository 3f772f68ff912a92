"""The debrief's look-fors as a file format: the models, the check vocabulary, the loader.

Facilitators argue about rubrics, so the look-fors live in ``lookfors.yaml`` (and a
scenario's ``debrief`` section), not in code. Each look-for names one check from a
small fixed vocabulary and two templates; :mod:`simulator.debrief.scoring`
evaluates them. Everything here is validation: a look-for that names a record
field the routine does not define, a setting its check does not read or a
placeholder no fact fills is refused at load, with its line.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from simulator.formats.routine import (
    RECORD_KINDS,
    RECORDS,
    DecisionAction,
    RecordKind,
    not_a_field,
)
from simulator.formats.rubric import ROUTINES, SUB_ELEMENTS, RubricElement
from simulator.formats.strict import Fraction, Id, Strict, Text, load_model
from simulator.formats.yamlsafe import FileProblems

LOOKFORS_PATH = Path(__file__).with_name("lookfors.yaml")


class LookForsError(FileProblems):
    """A look-fors file that cannot be used, with every problem found in it."""


# --------------------------------------------------------------------------- the models

Weight = Annotated[float, Field(ge=0.0, le=10.0)]


class Condition(Strict):
    """When a look-for is met: one check from a small fixed vocabulary, with its settings.

    Patterns are case-insensitive; `*` stands for any text and a `{name}` for any
    of the scenario's values of that name (see the debrief guide for the names).
    """

    check: Literal["record", "view", "decision", "resources", "followed_up",
                   "course_correction", "targets_reviewed"]
    """What to look at: `record` (meeting records), `view` (dashboard views opened),
    `decision` (strategy decisions), `resources` (the strategies in play fit the budget
    and staff), `followed_up` (every action step of the previous meeting followed up),
    `course_correction` (every strategy that lagged adjusted or stopped),
    `targets_reviewed` (every earlier target, with its baseline, checked against the
    data of its metric)."""
    meetings: Literal["any", "first", "later", "each"] = "any"
    """Which meetings count: all of them together (`any`), the first, those after the
    first (the look-for does not apply until one is held), or every meeting on its own."""
    absent: bool = False
    """Met when the check finds nothing: for what a good meeting avoids."""
    at_least: Annotated[int, Field(ge=1, le=100)] = 1
    """How many matching records, views or decisions are needed."""
    each: bool = False
    """Every record or decision considered must pass, not just `at_least` of them."""
    kind: list[RecordKind] = Field(default_factory=list)
    """Record check: the record kinds considered (target, finding, action, …)."""
    where: dict[str, list[Text]] = Field(default_factory=dict)
    """Only records whose field matches one of the patterns are considered, e.g.
    {about: [performance]}; for `followed_up`, only such earlier action steps."""
    has: list[Text] = Field(default_factory=list)
    """Record check: fields that must be filled in."""
    numbers: list[Text] = Field(default_factory=list)
    """Record check: fields that must be numbers."""
    match: dict[str, list[Text]] = Field(default_factory=dict)
    """Record check: per field, patterns one of which the field must match."""
    reject: dict[str, list[Text]] = Field(default_factory=dict)
    """Record check: per field, patterns the field must not match (e.g. vague owners)."""
    view_opened: bool = False
    """Record check: the record's `view` was opened by the time of its meeting."""
    decided: list[DecisionAction] = Field(default_factory=list)
    """Record check: the record's `strategy` had one of these decisions at its meeting."""
    improving: bool = False
    """Record check: a target improves on its baseline (lower for chronic absence)."""
    baseline_within: Annotated[float, Field(ge=0.0)] | None = None
    """Record check: a target's baseline is within this many points of what the data
    showed for its metric at the meeting."""
    pattern: list[Text] = Field(default_factory=list)
    """View check: view patterns, e.g. "{subject}/{priority}/subgroup"."""
    actions: list[DecisionAction] = Field(default_factory=list)
    """Decision and course-correction checks: the decisions that count (empty: any;
    for course corrections, adjust and stop)."""
    addresses_need: bool | None = None
    """Decision check: only strategies that do (true) or do not (false) remediate one
    of the scenario's hidden needs."""
    tagged: list[Id] = Field(default_factory=list)
    """Decision check: only strategies with one of these tags."""
    targets_need: bool = False
    """Decision check: the decision aims the strategy at the grades and subgroups
    where a hidden need is found."""
    has_record: RecordKind | None = None
    """Decision check: a record of this kind at the same meeting names the strategy
    (e.g. theory: each adopted strategy has a theory of action)."""
    viewed: list[Text] = Field(default_factory=list)
    """Decision check: only decisions on strategies in play at the meeting, each passing
    when a view matching one of these patterns was opened at that meeting before it was
    taken; `{strategy}` stands for the decision's strategy, e.g.
    "{subject}/{school}/served/{strategy}"."""
    fidelity_below: Fraction = 0.6
    """Course correction: measured fidelity under which a strategy lags."""
    gain_below_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.05
    """Course correction: a strategy lags when its students gained less than this
    (in SD units, against the benchmark cut) in its subjects and the strands of the
    needs it addresses since it started."""


class LookFor(Strict):
    """One look-for of the debrief: a rubric point earned when its condition is met."""

    id: Id
    """Identifier, e.g. "a1-measurable-target"; named by `weights`."""
    element: RubricElement
    """The sub-element it rates (A1 … D3) or the routine quality (followup,
    performance-focus, action-on-performance)."""
    weight: Weight = 1.0
    """Points it is worth within its element."""
    description: Text
    """What a facilitator looks for, in a sentence."""
    when: Condition
    """When it is met."""
    evidence: Text
    """Shown when met; `{name}` placeholders are filled from the session's data."""
    missed: Text
    """Shown when missed: the specific missed opportunity, filled from the session's data."""


class DebriefSettings(Strict):
    """How this scenario's debrief differs from the default look-fors."""

    lookfors: list[LookFor] = Field(default_factory=list)
    """Look-fors added to the defaults."""
    weights: dict[Id, Weight] = Field(default_factory=dict)
    """Per look-for id, a weight replacing its own (0 turns it off)."""


# --------------------------------------------------------------------------- the vocabulary

_COMMON = frozenset({"check", "meetings", "absent", "at_least"})
CHECK_PARAMS: dict[str, frozenset[str]] = {
    "record": frozenset({"kind", "where", "has", "numbers", "match", "reject", "view_opened",
                         "decided", "improving", "baseline_within", "each"}),
    "view": frozenset({"pattern"}),
    "decision": frozenset({"actions", "addresses_need", "tagged", "targets_need",
                           "has_record", "viewed", "each"}),
    "resources": frozenset(),
    "followed_up": frozenset({"where"}),
    "course_correction": frozenset({"actions", "fidelity_below", "gain_below_sd"}),
    "targets_reviewed": frozenset(),
}
"""Settings each check reads, beyond check, meetings, absent and at_least."""
REQUIRED_PARAMS = {"record": "kind", "view": "pattern"}

PATTERN_NAMES = (
    "subject", "school", "priority", "subgroup", "grade", "need_subject", "need_strand",
    "need_subgroup", "need_grade", "evidence_view", "agency",
)
"""``{name}`` placeholders a pattern may use; each stands for any of its values."""
DECIDED_STRATEGY = "strategy"
"""The placeholder a decision check's ``viewed`` patterns may use too: the decision's
strategy."""

SCENARIO_FACTS = {
    "school": "the (first) priority school's name",
    "subject": "the subject of the hidden need (else the first subject), lower case",
    "quarter": "the quarter of the first meeting, e.g. Q2",
    "pct_all": "% of the priority school's students on benchmark in that subject then",
    "below_share": "how many in 10 were below benchmark then, e.g. 7 in 10",
    "gap_group": "the subgroup furthest behind then, e.g. English learners",
    "gap_pct": "its % on benchmark then",
    "strand": "that subgroup's weakest strand in the subject then",
    "strand_mean": "its mean score on that strand then",
    "other_strands_mean": "its mean score on the other strands then",
    "chronic_grade": "the grade with the most chronic absence then, e.g. grade 8",
    "chronic_grade_pct": "% of that grade chronically absent then",
    "chronic_other_pct": "% of the other grades chronically absent then",
    "quarter_now": "the quarter of the last meeting scored",
    "pct_all_now": "% on benchmark at the priority school then",
    "gap_pct_now": "the furthest-behind subgroup's % on benchmark then",
    "implementation": "how each running strategy was implemented then",
    "budget": "the budget for new strategies",
    "staff": "the staff for new strategies",
    "decided": "the strategies decided on",
    "favoured": "the strategies tagged favoured-by-district",
}
"""Facts every template may use, computed from the session's simulation."""
CHECK_FACTS = {
    "found": "what the check found (records, views, decisions), each summarised",
    "failing": "what fell short, and why",
    "count": "how many were found",
    "meeting": "the meeting(s) the check looked at, e.g. Meeting #1",
}
"""Facts about what the look-for's own check found."""
EXTRA_FACTS = {"followed_up": {"previous": "the meeting whose action steps were due"}}

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
"""A ``{name}`` in a pattern or a template."""


def template_names(check: str) -> set[str]:
    """Placeholders a template of a look-for with this check may use."""
    return set(SCENARIO_FACTS) | set(CHECK_FACTS) | set(EXTRA_FACTS.get(check, {}))


# --------------------------------------------------------------------------- the look-fors


class LookForFile(Strict):
    """The default look-fors file (simulator/formats/lookfors.yaml)."""

    lookfors_version: Literal[1] = 1
    """Version of this file format."""
    lookfors: list[LookFor]
    """Every default look-for."""


@functools.cache
def default_lookfors() -> tuple[LookFor, ...]:
    """The shipped look-fors; a broken file raises LookForsError with every problem."""
    return tuple(parse_lookfors(LOOKFORS_PATH.read_bytes(), str(LOOKFORS_PATH)))


def parse_lookfors(raw: bytes, name: str = "<lookfors>") -> list[LookFor]:
    """Validate a look-fors file's bytes; raises LookForsError with positioned problems."""
    return load_model(raw, name, LookForFile, error=LookForsError, checks=_file_problems,
                      mapping_of="(lookfors_version, lookfors)", what="a look-fors file").lookfors


def _file_problems(parsed: LookForFile) -> list[tuple[tuple, str]]:
    problems = _duplicate_ids(parsed.lookfors, ("lookfors",))
    for i, lookfor in enumerate(parsed.lookfors):
        problems += lookfor_problems(lookfor, ("lookfors", i))
    return problems


def _duplicate_ids(lookfors: list[LookFor], path: tuple) -> list[tuple[tuple, str]]:
    seen: set[str] = set()
    out = []
    for i, lookfor in enumerate(lookfors):
        if lookfor.id in seen:
            out.append(((*path, i, "id"), f"duplicate look-for id '{lookfor.id}'"))
        seen.add(lookfor.id)
    return out


def lookfor_problems(lookfor: LookFor, path: tuple) -> list[tuple[tuple, str]]:
    """What is wrong with one look-for beyond its structure, each at the path at fault."""
    when = lookfor.when
    check = when.check
    problems: list[tuple[tuple, str]] = []
    allowed = _COMMON | CHECK_PARAMS[check]
    for key in sorted(when.model_fields_set - allowed):
        takes = ", ".join(sorted(CHECK_PARAMS[check])) or "no other settings"
        problems.append(((*path, "when", key, "<key>"),
                         f"'{key}' means nothing to a {check} check (it takes: {takes})"))
    required = REQUIRED_PARAMS.get(check)
    if required and not getattr(when, required):
        problems.append(((*path, "when"), f"a {check} check needs '{required}'"))
    patterns: list[tuple[tuple, str]] = [
        ((*path, "when", "pattern", i), p) for i, p in enumerate(when.pattern)
    ]
    for setting in ("where", "match", "reject"):
        for key, values in getattr(when, setting).items():
            patterns += [((*path, "when", setting, key, i), p) for i, p in enumerate(values)]
    for loc, pattern in patterns:
        for name in PLACEHOLDER.findall(pattern):
            if name not in PATTERN_NAMES:
                problems.append((loc, _unknown_name(name, PATTERN_NAMES, "pattern name")))
    decided_names = (*PATTERN_NAMES, DECIDED_STRATEGY)
    for i, pattern in enumerate(when.viewed):
        for name in PLACEHOLDER.findall(pattern):
            if name not in decided_names:
                problems.append(((*path, "when", "viewed", i),
                                 _unknown_name(name, decided_names, "pattern name")))
    problems += _field_problems(when, path)
    names = template_names(check)
    for key in ("evidence", "missed"):
        for name in PLACEHOLDER.findall(getattr(lookfor, key)):
            if name not in names:
                problems.append(((*path, key), _unknown_name(name, sorted(names),
                                                             f"fact for a {check} check")))
    return problems


def _field_problems(when: Condition, path: tuple) -> list[tuple[tuple, str]]:
    """Record fields a look-for names that no record kind it considers defines."""
    if when.check == "followed_up":
        kinds: list[str] = ["action"]
    elif when.check == "record":
        kinds = list(when.kind or RECORD_KINDS)  # a record check without kinds is refused
    else:
        return []
    defined = set().union(*(RECORDS[k].field_names for k in kinds))
    named: list[tuple[tuple[str | int, ...], str]] = [
        (("has", i), f) for i, f in enumerate(when.has)]
    named += [(("numbers", i), f) for i, f in enumerate(when.numbers)]
    named += [((setting, f, "<key>"), f) for setting in ("match", "reject", "where")
              for f in getattr(when, setting)]
    return [((*path, "when", *loc), not_a_field(f, kinds)) for loc, f in named
            if f not in defined]


def _unknown_name(value: str, known: Iterable[str], what: str) -> str:
    known = list(known)
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean '{{{close[0]}}}'?" if close else ""
    return f"unknown {what} '{{{value}}}'{hint}"


def debrief_problems(settings: DebriefSettings) -> list[tuple[tuple, str]]:
    """Problems of a scenario's ``debrief`` section (called by ``cross_check``)."""
    path = ("debrief",)
    problems = _duplicate_ids(settings.lookfors, (*path, "lookfors"))
    defaults = {lf.id: lf for lf in default_lookfors()}
    for i, lookfor in enumerate(settings.lookfors):
        if lookfor.id in defaults:
            problems.append(((*path, "lookfors", i, "id"),
                             f"'{lookfor.id}' is a default look-for: change it with "
                             "`weights`, or give yours another id"))
        problems += lookfor_problems(lookfor, (*path, "lookfors", i))
    known = list(defaults) + [lf.id for lf in settings.lookfors]
    for rule_id in settings.weights:
        if rule_id not in known:
            close = difflib.get_close_matches(rule_id, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(((*path, "weights", rule_id, "<key>"),
                             f"unknown look-for '{rule_id}'{hint}"))
    rules = _weighted([*defaults.values(), *settings.lookfors], settings.weights)
    for element in [*SUB_ELEMENTS, *ROUTINES]:
        if not any(lf.element == element for lf in rules):
            problems.append(((*path, "weights"),
                             f"every look-for of {element} has weight 0: it cannot be rated"))
    return problems


def _weighted(lookfors: Iterable[LookFor], weights: dict[str, float]) -> list[LookFor]:
    out = []
    for lf in lookfors:
        weight = weights.get(lf.id, lf.weight)
        if weight > 0:
            out.append(lf if weight == lf.weight else lf.model_copy(update={"weight": weight}))
    return out


def lookfors_for(settings: DebriefSettings | None) -> list[LookFor]:
    """The look-fors a scenario is scored on: defaults plus its own (its ``debrief``
    section), weights applied."""
    settings = settings or DebriefSettings()
    return _weighted([*default_lookfors(), *settings.lookfors], settings.weights)
