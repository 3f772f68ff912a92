"""The primer's text as a file format, and which agenda step each look-for belongs to.

``framework.yaml`` holds only what no other file says: the definition of performance
management, what each element and sub-element means, the design steps and what a strong
routine looks like. The names come from :mod:`simulator.formats.rubric`, the agenda from
:mod:`simulator.formats.routine` and the look-fors from :mod:`simulator.formats.lookfors`,
so the primer screen, the guide page and the debrief cannot disagree.

A look-for's step follows from its check: a record check belongs where the routine's
forms write that kind of record, the other checks where ``lookfor_steps`` puts them.
Shown to a role during a meeting, a look-for of the scenario's own that names a hidden
need is replaced by generic wording (secrets stay with their role until the reveal).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from simulator.formats.lookfors import CHECK_PARAMS, LookFor, default_lookfors, lookfors_for
from simulator.formats.routine import STEPS
from simulator.formats.rubric import ELEMENTS, ROUTINES, SUB_ELEMENTS
from simulator.formats.strict import Strict, Text, load_model
from simulator.formats.yamlsafe import FileProblems

if TYPE_CHECKING:
    from simulator.formats.scenario import Scenario

FRAMEWORK_PATH = Path(__file__).with_name("framework.yaml")
STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)


class FrameworkError(FileProblems):
    """A framework file that cannot be used, with every problem found in it."""


class DesignStep(Strict):
    """One step of designing a performance-management process."""

    title: Text
    """The step's name, e.g. "Goal"."""
    text: Text
    """What the step asks, in a sentence or two."""


class Framework(Strict):
    """The primer (simulator/formats/framework.yaml)."""

    framework_version: Literal[1] = 1
    """Version of this file format."""
    definition: Text
    """What performance management is."""
    elements: dict[str, Text]
    """Per element letter (A … D), what the element asks of an agency."""
    sub_elements: dict[str, Text]
    """Per sub-element id (A1 … D3), what it means in practice."""
    design_steps: list[DesignStep] = Field(min_length=1)
    """The steps of designing a performance-management process, in order."""
    strong_routine: Text
    """What a strong routine looks like (the routine qualities the debrief rates follow)."""
    public_words: list[Text] = Field(default_factory=list)
    """Words every role's dashboards show: a scenario's look-for that uses them is shown
    in its own words (see :func:`secret_stems`)."""
    lookfor_steps: dict[str, list[str]]
    """Per check other than `record`, the agenda steps its look-fors belong to."""
    view_breakdown_steps: dict[str, list[str]] = Field(default_factory=dict)
    """A view look-for whose pattern has one of these parts belongs to these steps
    instead (implementation views, served against not served)."""


def _problems(parsed: Framework) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    for key, known, what in (("elements", ELEMENTS, "element"),
                             ("sub_elements", SUB_ELEMENTS, "sub-element")):
        given = getattr(parsed, key)
        for name in given:
            if name not in known:
                problems.append(((key, name), f"'{name}' is not a rubric {what} "
                                              f"(they are {', '.join(known)})"))
        for name in known:
            if name not in given:
                problems.append(((key,), f"the rubric {what} {name} is not explained"))
    checks = set(CHECK_PARAMS) - {"record"}
    for check in parsed.lookfor_steps:
        if check not in checks:
            problems.append((("lookfor_steps", check),
                             f"'{check}' is not a check (they are {', '.join(sorted(checks))})"))
    for check in sorted(checks - set(parsed.lookfor_steps)):
        problems.append((("lookfor_steps",), f"the check '{check}' has no step"))
    for key in ("lookfor_steps", "view_breakdown_steps"):
        for name, steps in getattr(parsed, key).items():
            for i, step in enumerate(steps):
                if step not in STEP_IDS:
                    problems.append(((key, name, i), f"'{step}' is not an agenda step "
                                                     f"(they are {', '.join(STEP_IDS)})"))
    return problems


def parse_framework(raw: bytes, name: str = "<framework>") -> Framework:
    """Validate a framework file's bytes; raises FrameworkError with positioned problems."""
    return load_model(raw, name, Framework, error=FrameworkError, checks=_problems,
                      what="a framework file")


@functools.cache
def framework() -> Framework:
    """The shipped primer."""
    return parse_framework(FRAMEWORK_PATH.read_bytes(), str(FRAMEWORK_PATH))


# --------------------------------------------------------------------------- look-fors by step


def lookfor_steps(lookfor: LookFor) -> tuple[str, ...]:
    """The agenda steps where what ``lookfor`` checks is done, in agenda order."""
    when = lookfor.when
    found: set[str] = set()
    if when.check == "record":
        for step in STEPS:
            if any(kind in step.kinds for kind in when.kind):
                found.add(step.id)
            for form in step.forms:
                if form.kind in when.kind and all(
                        _may_match(form.fixed.get(k), patterns)
                        for k, patterns in when.where.items()):
                    found.add(step.id)
    else:
        fw = framework()
        found.update(fw.lookfor_steps.get(when.check, ()))
        if when.check == "view":
            parts = {part for p in when.pattern for part in p.split("/")}
            special = [s for part, steps in fw.view_breakdown_steps.items() if part in parts
                       for s in steps]
            if special:
                found = set(special)
    return tuple(s for s in STEP_IDS if s in found)


def _may_match(fixed: str | None, patterns: list[str]) -> bool:
    """Whether a form's fixed field could satisfy a `where` (a form that does not fix the
    field may write any value)."""
    if fixed is None:
        return True
    return any(re.fullmatch(re.escape(p.lower()).replace(r"\*", ".*"), fixed.lower())
               for p in patterns)


@dataclass(frozen=True)
class ShownLookFor:
    """A look-for as the meeting room shows it to a role."""

    id: str
    element: str
    """A1 … D3, or a routine quality."""
    text: str
    generic: bool = False
    """True when the scenario's own wording named a hidden need and was replaced."""


def element_name(element: str) -> str:
    """A sub-element's or routine quality's name ("Student-outcome targets")."""
    return SUB_ELEMENTS.get(element) or ROUTINES.get(element, element)


def generic_wording(lookfor: LookFor) -> str:
    """What a role sees of a look-for whose own words would give a hidden need away."""
    return (f"{element_name(lookfor.element)}: a look-for of this scenario's own, "
            "named at the debrief.")


PLACEHOLDER_OR_STAR = re.compile(r"\{[a-z_]+\}|\*")
_WORD = re.compile(r"[a-z]+")
_STEM = 5


def _stems(texts: Iterable[str]) -> set[str]:
    return {w[:_STEM] for t in texts for w in _WORD.findall(t.lower()) if len(w) >= 4}


def secret_stems(scenario: Scenario) -> set[str]:
    """Word stems that would point at a hidden need: the needs' ids and names, their
    strands' names, the hidden truths' titles; less every word the role sees anyway
    (schools, district, subjects, courses, the framework's public words) and the default
    look-fors' own generic vocabulary."""
    strands = {(s.id, st.id): st.name for s in scenario.subjects for st in s.strands}
    secret = [*(n.id for n in scenario.needs), *(n.name for n in scenario.needs),
              *(strands.get((n.subject, n.strand), "") for n in scenario.needs if n.strand),
              *(t.title for t in scenario.hidden_truths)]
    courses = scenario.courses
    public = [scenario.district.name, *(s.name for s in scenario.schools),
              *(s.name for s in scenario.subjects), *framework().public_words,
              *([courses.name, *(c.name for c in courses.courses)] if courses else []),
              *(lf.description for lf in default_lookfors())]
    return _stems(secret) - _stems(public)


def names_a_secret(text: str, stems: set[str]) -> bool:
    """Whether ``text`` has a word whose stem is one of ``stems``."""
    return bool(_stems([text]) & stems)


def points_at_evidence(lookfor: LookFor, scenario: Scenario) -> bool:
    """Whether a look-for's views are those where a hidden truth's evidence lies (a
    scenario's own look-for that sends the role straight to where the need shows)."""
    when = lookfor.when
    patterns = [*when.pattern, *when.match.get("view", []), *when.viewed]
    shown = [re.compile(re.escape(PLACEHOLDER_OR_STAR.sub("*", p).lower())
                        .replace(r"\*", ".*")) for p in patterns]
    views = [e.view.lower() for t in scenario.hidden_truths for e in t.evidence]
    return any(r.fullmatch(v) for r in shown for v in views)


def shown_lookfors(scenario: Scenario) -> dict[str, list[ShownLookFor]]:
    """Per agenda step, the look-fors the debrief will apply there, as a role may see them
    before the reveal: the scenario's look-fors (weights applied, those turned off left
    out) in rubric order, each in its own words unless they name a hidden need or send
    the role to where a hidden truth's evidence lies."""
    own = {lf.id for lf in (scenario.debrief.lookfors if scenario.debrief else [])}
    stems = secret_stems(scenario)
    by_step: dict[str, list[ShownLookFor]] = {s: [] for s in STEP_IDS}
    for lf in lookfors_for(scenario.debrief):
        hide = lf.id in own and (names_a_secret(lf.description, stems)
                                 or points_at_evidence(lf, scenario))
        shown = ShownLookFor(lf.id, lf.element, generic_wording(lf) if hide else lf.description,
                             generic=hide)
        for step in lookfor_steps(lf):
            by_step[step].append(shown)
    order = [*SUB_ELEMENTS, *ROUTINES]
    return {step: sorted(shown, key=lambda s: order.index(s.element))
            for step, shown in by_step.items()}


def lookfors_by_element(lookfors: Sequence[LookFor] | None = None) -> dict[str, list[LookFor]]:
    """The look-fors of each sub-element and routine quality, in rubric order."""
    rules = default_lookfors() if lookfors is None else lookfors
    return {e: [lf for lf in rules if lf.element == e] for e in [*SUB_ELEMENTS, *ROUTINES]}
