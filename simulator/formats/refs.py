"""Typed references into a scenario's data: a dashboard view, a target metric, a group.

Sessions, transcripts and look-fors store these as text — a view
``SUBJECT/SCHOOL/BREAKDOWN`` (``reading/hudson-ms/subgroup``) or, for the two views
that name whom they are about, ``SUBJECT/SCHOOL/served/STRATEGY`` (the students a
strategy serves against comparable students it does not) and
``SUBJECT/SCHOOL/cross/GROUP`` (a subgroup by grade, or a grade by subgroup), a target metric
``MEASURE:SUBJECT:SCHOOL:GROUP`` (``pct:reading:hudson-ms:el``), a group ``all``, a
subgroup id or ``grade-N``. This module is the one place that text is parsed.
``parse`` refuses malformed text with a message that says what is wrong;
``str()`` gives back exactly the text parsed, so stored sessions and transcripts
keep their strings; ``problem(scenario)`` says what the reference names that the
scenario does not have.

Nothing here imports the scenario model (it imports this module): a reference is
checked against anything that declares subjects, schools, subgroups and grades.
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, Self

DISTRICT = "district"
"""The school part of a view that covers the whole district."""
BREAKDOWNS = ("all", "grade", "subgroup", "strand", "attendance", "implementation", "absence")
"""The last part of a view: how its rows split the students."""
SERVED = "served"
"""The breakdown of a view of a strategy's students against those it does not serve."""
CROSS = "cross"
"""The breakdown of a view that crosses a subgroup with grade (or a grade with subgroup)."""
QUALIFIED = {SERVED: "STRATEGY", CROSS: "GROUP"}
"""Breakdowns that take a fourth part, and what that part names."""
ATTENDANCE = "attendance"
"""The subject part of an attendance view (and of a chronic-absence metric)."""
IMPLEMENTATION = "implementation"
"""The subject part of the implementation view."""
COURSES = "courses"
"""The subject part of a course-grades view (and of a failing or on-track metric), in a
scenario with a ``courses`` section."""
ABSENCE = "absence"
"""The breakdown of a course-grades view into students chronically absent so far this
year and the rest."""
Measure = Literal["pct", "chronic", "failing", "ontrack"]
MEASURES: tuple[Measure, ...] = ("pct", "chronic", "failing", "ontrack")
"""A metric's measure: ``pct`` on benchmark, ``chronic`` absence, or (of courses) the %
``failing`` a course this quarter and the % ``ontrack``."""
COURSE_MEASURES: tuple[Measure, ...] = ("failing", "ontrack")
"""The measures of course grades, whose subject part is :data:`COURSES`."""
ALL = "all"
_GRADE = re.compile(r"grade-(0|[1-9][0-9]?)")
_PART = re.compile(r"[^\s/:]+")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


class _Named(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


class Declares(Protocol):
    """What a reference is checked against: the ids a scenario declares."""

    @property
    def subjects(self) -> Sequence[_HasId]: ...

    @property
    def schools(self) -> Sequence[_HasId]: ...

    @property
    def subgroups(self) -> Sequence[_Named]: ...

    @property
    def grades(self) -> Sequence[int]: ...

    @property
    def strategies(self) -> Sequence[_HasId]: ...


def unknown(value: str, known: Sequence[str], what: str) -> str:
    """"unknown WHAT 'VALUE'" with the closest known value, or the list of them."""
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known) or 'none'}"
    return f"unknown {what} '{value}'{hint}"


class _Ref(ABC):
    """What every reference offers besides its own fields."""

    @classmethod
    @abstractmethod
    def parse(cls, text: str) -> Self:
        """The reference ``text`` spells; ValueError saying what is wrong when malformed."""

    @abstractmethod
    def problem(self, scenario: Declares) -> str | None:
        """What the reference names that ``scenario`` does not have, or None."""

    @classmethod
    def of(cls, ref: str | Self) -> Self:
        """``ref`` itself, or parsed from its text (callers may hold either)."""
        return ref if isinstance(ref, cls) else cls.parse(str(ref))

    @classmethod
    def check(cls, text: str, scenario: Declares) -> str | None:
        """What is wrong with ``text`` as a reference into ``scenario``, or None."""
        try:
            return cls.parse(text).problem(scenario)
        except ValueError as err:
            return str(err)


@dataclass(frozen=True)
class Group(_Ref):
    """Whom a figure covers: everyone, one subgroup, or one grade."""

    subgroup: str | None = None
    grade: int | None = None

    def __post_init__(self) -> None:
        if self.subgroup is not None and self.grade is not None:
            raise ValueError("a group is a subgroup or a grade, not both")

    @classmethod
    def parse(cls, text: str) -> Group:
        """``all``, ``grade-N`` or a subgroup id."""
        if text == ALL:
            return cls()
        if text.startswith("grade-"):
            if not _GRADE.fullmatch(text):
                raise ValueError(f"group '{text}' is not grade-N (a grade number, e.g. grade-7)")
            return cls(grade=int(text.removeprefix("grade-")))
        if not _PART.fullmatch(text):
            raise ValueError(f"group '{text}' is not all, grade-N or a subgroup id")
        return cls(subgroup=text)

    def __str__(self) -> str:
        if self.grade is not None:
            return f"grade-{self.grade}"
        return self.subgroup if self.subgroup is not None else ALL

    @property
    def kind(self) -> Literal["all", "grade", "subgroup"]:
        if self.grade is not None:
            return "grade"
        return "subgroup" if self.subgroup is not None else "all"

    def problem(self, scenario: Declares) -> str | None:
        known = [g.id for g in scenario.subgroups] + [f"grade-{g}" for g in scenario.grades]
        if self.kind == "all" or str(self) in known:
            return None
        return unknown(str(self), known, "group")

    def label(self, scenario: Declares) -> str:
        """"All students", the subgroup's name or "Grade N" (the text when unknown)."""
        if self.kind == "all":
            return "All students"
        if self.grade is not None:
            return f"Grade {self.grade}"
        return next((g.name for g in scenario.subgroups if g.id == self.subgroup), str(self))


EVERYONE = Group()
"""The group of all students."""


@dataclass(frozen=True)
class View(_Ref):
    """A dashboard view: a subject (or attendance, implementation), a school (or the
    district) and a breakdown; ``about`` names the strategy of a served view or the group
    (a subgroup or ``grade-N``) of a cross view, and nothing for the others."""

    subject: str
    school: str
    breakdown: str
    about: str | None = None

    def __post_init__(self) -> None:
        if (self.breakdown in QUALIFIED) != (self.about is not None):
            raise ValueError(f"view '{self}': only {' and '.join(QUALIFIED)} views name a "
                             "strategy or group, and they must")

    @classmethod
    def parse(cls, text: str) -> View:
        parts = text.split("/")
        if len(parts) not in (3, 4) or not all(_PART.fullmatch(p) for p in parts):
            raise ValueError(f"view '{text}' is not SUBJECT/SCHOOL/BREAKDOWN")
        subject, school, breakdown = parts[:3]
        if breakdown in QUALIFIED:
            if len(parts) != 4:
                raise ValueError(f"view '{text}' is not SUBJECT/SCHOOL/{breakdown}/"
                                 f"{QUALIFIED[breakdown]}")
            if breakdown == CROSS:
                try:
                    group = Group.parse(parts[3])
                except ValueError as err:
                    raise ValueError(f"view '{text}': {err}") from None
                if group.kind == "all":
                    raise ValueError(f"view '{text}': a cross view breaks a subgroup down by "
                                     "grade or a grade by subgroup (cross/el, cross/grade-6)")
            return cls(subject, school, breakdown, parts[3])
        if len(parts) == 4:
            raise ValueError(f"view '{text}' is not SUBJECT/SCHOOL/BREAKDOWN")
        if breakdown not in BREAKDOWNS:
            raise ValueError(unknown(breakdown, (*BREAKDOWNS, *QUALIFIED), "breakdown in view"))
        return cls(subject, school, breakdown)

    def __str__(self) -> str:
        tail = "" if self.about is None else f"/{self.about}"
        return f"{self.subject}/{self.school}/{self.breakdown}{tail}"

    @property
    def group(self) -> Group:
        """Whom a cross view breaks down (everyone for the other views)."""
        return Group.parse(self.about) if self.breakdown == CROSS and self.about else EVERYONE

    def problem(self, scenario: Declares) -> str | None:
        scored = [s.id for s in scenario.subjects]
        graded = getattr(scenario, "courses", None) is not None
        subjects = [*scored, ATTENDANCE, IMPLEMENTATION, *([COURSES] if graded else [])]
        if self.subject not in subjects:
            return unknown(self.subject, subjects, "subject in view")
        if self.breakdown == ABSENCE and self.subject != COURSES:
            return (f"an {ABSENCE} breakdown splits course grades by attendance: its subject "
                    f"is {COURSES}")
        if self.subject == COURSES and self.breakdown not in ("all", "grade", "subgroup",
                                                              ABSENCE, SERVED):
            return (f"a {COURSES} view breaks down by all, grade, subgroup, {ABSENCE} or "
                    f"{SERVED}, not '{self.breakdown}'")
        schools = [s.id for s in scenario.schools] + [DISTRICT]
        if self.school not in schools:
            return unknown(self.school, schools, "school in view")
        served_courses = self.breakdown == SERVED and self.subject == COURSES
        if self.breakdown in QUALIFIED and self.subject not in scored and not served_courses:
            return (f"a {self.breakdown} view compares benchmark scores: its subject is one of "
                    f"{', '.join(scored)}, not '{self.subject}'")
        if self.breakdown == SERVED:
            strategies = [s.id for s in scenario.strategies]
            if self.about not in strategies:
                return unknown(str(self.about), strategies, "strategy in view")
        if self.breakdown == CROSS:
            return self.group.problem(scenario)
        return None

    def related(self, other: View) -> bool:
        """Same subject, and the same school or the same breakdown (a near miss)."""
        return self.subject == other.subject and (
            self.school == other.school or self.breakdown == other.breakdown)

    def shows(self, metric: Metric) -> bool:
        """Whether this view shows the figure a target metric names."""
        if (self.subject, self.school) != (metric.view_subject, metric.school):
            return False
        if self.breakdown == SERVED:
            return False
        if self.breakdown == CROSS:
            return metric.group == self.group
        if metric.group.kind == "all":
            return self.breakdown != IMPLEMENTATION
        return self.breakdown == metric.group.kind


@dataclass(frozen=True)
class Metric(_Ref):
    """A figure a target is set on: a measure of a subject, at a school, for a group."""

    measure: Measure
    subject: str
    school: str
    group: Group = EVERYONE

    @classmethod
    def parse(cls, text: str) -> Metric:
        parts = text.split(":")
        if len(parts) != 4 or not all(_PART.fullmatch(p) for p in parts):
            raise ValueError(f"metric '{text}' is not MEASURE:SUBJECT:SCHOOL:GROUP")
        measure, subject, school, group = parts
        for known in MEASURES:
            if measure == known:
                return cls(known, subject, school, Group.parse(group))
        raise ValueError(unknown(measure, MEASURES, "measure in metric"))

    def __str__(self) -> str:
        return f"{self.measure}:{self.subject}:{self.school}:{self.group}"

    @property
    def view_subject(self) -> str:
        """The subject part of the views that show it."""
        if self.measure == "chronic":
            return ATTENDANCE
        return COURSES if self.measure in COURSE_MEASURES else self.subject

    @property
    def lower_is_better(self) -> bool:
        return self.measure in ("chronic", "failing")

    def problem(self, scenario: Declares) -> str | None:
        subjects = [s.id for s in scenario.subjects]
        if self.measure == "pct" and self.subject not in subjects:
            return unknown(self.subject, subjects, "subject in metric")
        if self.measure in COURSE_MEASURES:
            if getattr(scenario, "courses", None) is None:
                return (f"a {self.measure} metric needs course grades: this scenario has no "
                        "`courses` section")
            if self.subject != COURSES:
                return f"a {self.measure} metric's subject is {COURSES}, not '{self.subject}'"
        schools = [s.id for s in scenario.schools]
        if self.school not in schools:
            return unknown(self.school, schools, "school in metric")
        return self.group.problem(scenario)
