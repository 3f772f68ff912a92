"""The debrief's documents as typed values: ratings, the report and progress.

Scoring returns a :class:`Debrief`; :func:`simulator.debrief.report.build_report`
returns a :class:`Report`; :func:`simulator.debrief.progress.progress` returns a
:class:`Progress`. The renderers in :mod:`simulator.render` read these and
nothing else. ``model_dump(mode="json")`` of each is the JSON that CONTRACTS.md
and ``report.schema.json`` describe, key for key and in the same order, so the
fields below are declared in that order.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
)

from simulator.formats.routine import DecisionAction
from simulator.formats.rubric import Level

PlanId = Literal["played", "business_as_usual", "best"]
Clearness = Literal["faint", "visible", "clear", "not shown"]


class Document(BaseModel):
    """Base of the debrief's documents: immutable, and no key the JSON does not define."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# --------------------------------------------------------------------------- ratings


class LookForResult(Document):
    """One look-for as scored: met, missed, or not applicable (yet)."""

    id: str
    """The look-for's id, e.g. "a1-measurable-target"."""
    status: Literal["met", "missed", "n/a"]
    """Whether this session met it; "n/a" when it does not apply (yet)."""
    weight: float
    """Its weight in the sub-element's share of points."""
    description: str
    """What the look-for looks for, in plain words."""


class Rating(Document):
    """A sub-element's (or routine quality's) level, with the evidence behind it."""

    id: str
    """A sub-element (``A1`` … ``D3``) or a routine quality (``followup`` …)."""
    element: str
    """The element's name, or "Routine quality"."""
    name: str
    """The sub-element's or routine quality's name."""
    level: Level
    """The level reached."""
    points: int | float
    """Weighted points of the look-fors met (an int when none was: the JSON prints ``0``)."""
    max_points: int | float
    """Weighted points of the look-fors that apply."""
    evidence: list[str]
    """What the session did that earned points, one sentence each."""
    missed: list[str]
    """Missed opportunities, each saying what the data showed."""
    lookfors: list[LookForResult] = []
    """Every look-for of this sub-element as scored."""

    @field_serializer("points", "max_points")
    def _rounded(self, value: float) -> int | float:
        return round(value, 2)


class Debrief(Document):
    """The rubric ratings of one session, up to one meeting or for the whole year."""

    upto_meeting: str | None = None
    """The meeting scored up to; None for the whole year."""
    elements: list[Rating]
    """One per sub-element of the Performance Management Framework."""
    routine: list[Rating]
    """One per routine quality: how well the meetings themselves ran."""

    def to_json(self) -> dict[str, Any]:
        """``{"upto_meeting", "elements": [...], "routine": [...]}`` as CONTRACTS.md describes."""
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- the report


class MeetingRef(Document):
    """A meeting of the calendar, by id and title."""

    id: str
    """The meeting's id in the scenario's calendar."""
    title: str
    """Its title, e.g. "Meeting #1"."""


class Participant(Document):
    """Who played a role."""

    role: str
    """The role's id: "state" or "district"."""
    role_title: str
    """The role's title in the scenario."""
    name: str
    """The participant's name ("" when not given)."""


class DecisionLine(Document):
    """A decision on a strategy at a meeting."""

    meeting: str
    """The meeting's id."""
    meeting_title: str
    """The meeting's title."""
    strategy: str
    """The strategy's id."""
    name: str
    """The strategy's name."""
    action: DecisionAction
    """What was decided."""


class School(Document):
    """A priority school."""

    id: str
    """The school's id."""
    name: str
    """The school's name."""


class Spread(Document):
    """A figure over the replications of a plan, and where this playthrough fell."""

    mean: float
    """Mean over replications."""
    low: float
    """The band's lower percentile (see ``band``)."""
    high: float
    """The band's upper percentile."""
    min: float
    """Lowest replication."""
    max: float
    """Highest replication."""
    replication_0: float
    """This session's own playthrough (replication 0)."""
    percentile_0: float
    """Where replication 0 falls among all replications, 0–100."""


class Growth(Document):
    """A plan's growth in one subject at the priority school(s)."""

    subject: str
    """The subject's id."""
    name: str
    """The subject's name."""
    score: Spread
    """Change in the mean scale score at the priority school(s)."""
    pct: Spread
    """Change in % on benchmark, percentage points."""


class PlanOutcome(Document):
    """One plan's year: the session's own, business as usual, or the best affordable bundle."""

    id: PlanId
    """Which plan."""
    label: str
    """The plan in words, e.g. "Your decisions"."""
    strategies: list[str]
    """Strategy ids adopted."""
    names: list[str]
    """Their names."""
    cost: float
    """Estimated cost for the year, dollars (eligible students capped by capacity); for the
    played plan, the most it had in play at once, each meeting's decisions priced at that
    meeting, as the meeting room and the B1 rating price them."""
    staff_fte: float
    """Staff needed, full-time equivalents."""
    affordable: bool
    """Within the scenario's budget and staff (the played plan: at every meeting, within
    what the district had then)."""
    objective: float
    """What the search for the best bundle maximises: the mean scale-score change in SD units."""
    growth: list[Growth]
    """Per subject."""


class Band(Document):
    """A difference over replications: its mean and band."""

    mean: float
    """Mean over replications."""
    low: float
    """The band's lower percentile."""
    high: float
    """The band's upper percentile."""


class Difference(Document):
    """The played plan minus another, per replication (common random numbers)."""

    vs: Literal["business_as_usual", "best"]
    """The plan subtracted."""
    subject: str
    """The subject's id."""
    score: Band
    """In scale-score points."""
    pct: Band
    """In percentage points on benchmark."""


class Search(Document):
    """How the best affordable bundle was found."""

    method: str
    """How: every affordable bundle ("exhaustive") or "greedy + local search"."""
    screened: int
    """Bundles screened."""
    screen_replications: int
    """Replications per bundle while screening."""
    confirmed: int
    """Finalists confirmed with the full number of replications."""


class GroupSpread(Document):
    """A plan's end-of-year growth for one target group."""

    score: Spread
    """Change in the group's mean scale score."""
    pct: Spread
    """Change in the group's % on benchmark, percentage points."""


class TargetOutcome(Document):
    """The growth of a group a target or decision named, in one subject (final debrief)."""

    subject: str
    """The subject's id."""
    subject_name: str
    """The subject's name."""
    group: str
    """The group: a subgroup id or "grade-N"."""
    group_name: str
    """The group in words, e.g. "English learners"."""
    school: str
    """The school(s) the group is measured at."""
    source: Literal["target", "decision"]
    """What named the group: a target's metric or a decision's options."""
    students: int
    """Students in the group."""
    plans: dict[PlanId, GroupSpread]
    """Each plan's growth for the group, on the same replications as the school-wide figure."""
    differences: list[Difference]
    """The played plan minus business as usual and minus the best bundle."""


class StrandSpread(Document):
    """A plan's end-of-year growth for one target group on one strand."""

    score: Spread
    """Change in the group's mean strand score."""


class StrandDifference(Document):
    """The played plan minus another on a strand, per replication (common random numbers)."""

    vs: Literal["business_as_usual", "best"]
    """The plan subtracted."""
    subject: str
    """The subject's id."""
    score: Band
    """In strand-score points."""


class StrandOutcome(Document):
    """The growth on one strand of a group a decision named (final debrief): a strand where
    a hidden need the decided strategy remediates shows."""

    subject: str
    """The subject's id."""
    subject_name: str
    """The subject's name."""
    strand: str
    """The strand's id."""
    strand_name: str
    """The strand's name, e.g. "Vocabulary & Word Study"."""
    group: str
    """The group: a subgroup id or "grade-N"."""
    group_name: str
    """The group in words."""
    school: str
    """The school(s) the group is measured at."""
    source: Literal["target", "decision"]
    """What named the group."""
    students: int
    """Students in the group."""
    plans: dict[PlanId, StrandSpread]
    """Each plan's strand growth for the group, on the same replications."""
    differences: list[StrandDifference]
    """The played plan minus business as usual and minus the best bundle."""


class ChronicSpread(Document):
    """A plan's end-of-year chronic absence for one target group."""

    chronic: Spread
    """% of the group chronically absent at the end of the year."""


class ChronicDifference(Document):
    """The played plan minus another in chronic absence, per replication."""

    vs: Literal["business_as_usual", "best"]
    """The plan subtracted."""
    chronic: Band
    """In percentage points chronically absent (below zero: fewer absent)."""


class AttendanceOutcome(Document):
    """Chronic absence in a group a target or an attendance decision named (final
    debrief)."""

    group: str
    """The group: "all", a subgroup id or "grade-N"."""
    group_name: str
    """The group in words."""
    school: str
    """The school(s) the group is measured at."""
    source: Literal["target", "decision"]
    """What named the group: a chronic-absence target or an attendance strategy's decision."""
    students: int
    """Students in the group."""
    threshold: float
    """The share of the days so far a chronically absent student has missed, at least."""
    plans: dict[PlanId, ChronicSpread]
    """Each plan's chronic absence for the group, on the same replications."""
    differences: list[ChronicDifference]
    """The played plan minus business as usual and minus the best bundle."""


class CourseSpread(Document):
    """A plan's end-of-year course grades at the priority school(s)."""

    on_track: Spread
    """% of the students taking the courses on track at the end of the year."""
    failing: Spread
    """% of them failing at least one course in the last quarter."""


class CourseDifference(Document):
    """The played plan minus another in course grades, per replication."""

    vs: Literal["business_as_usual", "best"]
    """The plan subtracted."""
    on_track: Band
    """In percentage points on track (above zero: more on track)."""
    failing: Band
    """In percentage points failing a course (below zero: fewer failing)."""


class CourseOutcome(Document):
    """Course grades at the end of the year, in a scenario that has them."""

    name: str
    """What the scenario calls the courses."""
    students: int
    """Students taking them at the priority school(s)."""
    credits: float
    """Credits a student on track has earned by the end of the year, at least."""
    max_failures: int
    """Failed term grades a student on track has, at most."""
    plans: dict[PlanId, CourseSpread]
    """Each plan's course grades, on the same replications."""
    differences: list[CourseDifference]
    """The played plan minus business as usual and minus the best bundle."""


class CourseTargetOutcome(Document):
    """Course grades of the students taking the courses in a group a failing or on-track
    target, or a decision on a strategy with a course effect, named (final debrief)."""

    group: str
    """The group: a subgroup id or "grade-N"."""
    group_name: str
    """The group in words."""
    school: str
    """The school(s) the group is measured at."""
    source: Literal["target", "decision"]
    """What named the group: a course-grades target or a decision's grades and subgroups."""
    students: int
    """Students of the group taking the courses."""
    name: str
    """What the scenario calls the courses."""
    credits: float
    """Credits a student on track has earned by the end of the year, at least."""
    max_failures: int
    """Failed term grades a student on track has, at most."""
    plans: dict[PlanId, CourseSpread]
    """Each plan's course grades for the group, on the same replications."""
    differences: list[CourseDifference]
    """The played plan minus business as usual and minus the best bundle."""


class Outcomes(Document):
    """Student outcomes at the priority school(s), apart from practice."""

    complete: bool
    """The whole year, with both yardsticks (final debrief only)."""
    replications: int
    """Replays of each plan."""
    band: tuple[int, int]
    """Percentiles of the band."""
    schools: list[School]
    """The priority school(s) whose growth is measured."""
    baseline: str
    """Quarter of the last benchmark before the first decision."""
    end: str
    """Quarter of the last benchmark measured."""
    budget: float
    """The scenario's budget, dollars."""
    staff_fte: float
    """The scenario's staff, full-time equivalents."""
    plans: list[PlanOutcome]
    """The played plan, then (final debrief) business as usual and the best bundle."""
    differences: list[Difference]
    """The played plan minus the others."""
    search: Search | None
    """The search for the best bundle; None before the final debrief."""
    summary: list[str]
    """The outcomes in plain words."""
    targets: list[TargetOutcome] = []
    """Each target group's own growth beside the school-wide figure (final debrief only)."""
    target_strands: list[StrandOutcome] = []
    """Each target group's growth on the strand a decided strategy teaches (final debrief)."""
    target_attendance: list[AttendanceOutcome] = []
    """Each target group's chronic absence at the end of the year (final debrief)."""
    target_courses: list[CourseTargetOutcome] = []
    """Each target group's course grades at the end of the year (final debrief)."""
    courses: CourseOutcome | None = None
    """Course grades at the end of the year; None in a scenario without them."""


class Opening(Document):
    """A dashboard view opened by a participant."""

    view: str
    """The view's path."""
    quarter: str | None
    """The quarter it showed."""
    meeting: str | None
    """The title of the meeting that quarter's data was for."""
    role: str
    """The title of the role who opened it."""
    seq: int
    """The event's place in the session's log."""
    in_time: bool
    """Opened when the data already showed it (its quarter or later)."""


class Looked(Document):
    """Whether and when the participants opened the view that showed a hidden truth."""

    opened: bool
    """The view itself was opened."""
    in_time: bool
    """At least once when the data already showed it."""
    first: Opening | None
    """The first opening of the view itself."""
    times: int
    """How often it was opened."""
    related: list[Opening]
    """Nearby views opened instead, the first opening of each."""


class Clarity(Document):
    """How plainly this session's data showed a hidden truth in one view."""

    gap_se: float | None
    """The gap between the row that stood out and the figure it was compared with, in the
    standard errors the view prints; on an implementation view, the change in the
    students' % on benchmark since the strategy started, in the same units."""
    words: Clearness
    """The gap in a word (for an implementation view, how plainly results did not move)."""
    group: str | None
    """The group (or strand, or strategy) that stood out."""
    value: float | None
    """Its figure as the view prints it (a strategy's: its fidelity, %)."""
    rest: float | None
    """The figure it was compared with: the view's "All students" row, the mean of the
    other strands, the whole district; for a strategy, the change since it started."""
    detail: str
    """The comparison in words."""


class TruthEvidence(Document):
    """Where the data showed a hidden truth."""

    view: str
    """The view's path."""
    view_title: str
    """The view's title as the dashboard prints it."""
    group: str | None = None
    """The group the view is filtered to; None for everyone."""
    quarter: str
    """The quarter that shows it."""
    note: str
    """What to look for there."""
    clarity: Clarity
    """How plainly this session's data showed it."""
    looked: Looked
    """Whether the participants looked."""


class HiddenTruth(Document):
    """A hidden truth of the scenario, revealed at the final debrief."""

    id: str
    """The truth's id."""
    title: str
    """Its title."""
    explanation: str
    """What was really going on."""
    evidence: list[TruthEvidence]
    """Where the data showed it."""


class PollAnswer(Document):
    """A participant's answers to the poll after a meeting."""

    meeting: str
    """The meeting's id."""
    meeting_title: str
    """The meeting's title."""
    role: str
    """The role's id."""
    role_title: str
    """The role's title."""
    name: str
    """The participant's name."""
    went_well: str
    """What went well."""
    improve: str
    """What could be improved."""


class TakeHome(Document):
    """A participant's next steps for their own State."""

    role: str
    """The role's id."""
    role_title: str
    """The role's title."""
    name: str
    """The participant's name."""
    steps: list[str]
    """The steps, in order."""


class SoloFact(Document):
    """Something the counterpart knew."""

    fact: str
    """Its id in the persona (``brief:N``, ``truth:ID`` or the persona's own)."""
    text: str
    """What the counterpart says when it tells it."""


class SoloMissed(Document):
    """Something the counterpart would have told a better question."""

    fact: str
    """Its id in the persona."""
    text: str
    """What it would have said."""
    moves: list[str]
    """The kinds of question that draw it out."""
    needs: list[str]
    """How the counterpart must feel first (e.g. "trust in you is at least 50")."""


class SoloTurning(Document):
    """The exchange that moved the counterpart's trust the most."""

    turn: int
    """Its number in the meeting, from 1."""
    said: str
    """What the player said."""
    reply: str
    """What the counterpart answered."""
    move: str
    """What the words were understood as."""
    dial: str
    """The dial (trust)."""
    before: int
    """Its level before the exchange, 1–99."""
    after: int
    """Its level after."""


class SoloHintUsed(Document):
    """A coaching hint on screen when the player spoke."""

    turn: int
    """The exchange, from 1."""
    hint: str
    """The hint's words."""


class SoloMeeting(Document):
    """The after-action review of one meeting of solo practice."""

    meeting: str
    """The meeting's id."""
    title: str
    """Its short title."""
    intent: str | None
    """What the player meant to achieve, written before it (None: not written)."""
    exchanges: int
    """How many times the player spoke."""
    revealed: list[SoloFact]
    """What the counterpart told, in order."""
    missed: list[SoloMissed]
    """What it would have told a better question."""
    turning_point: SoloTurning | None
    """Where the conversation turned (None: trust never moved)."""
    decided: list[str]
    """The counterpart's decisions standing at the end, in words."""
    hints: list[SoloHintUsed]
    """Where hints were used."""
    review: list[str]
    """The review in plain words: intent, what happened, why, what to keep and change."""


class SoloReview(Document):
    """Solo practice: who the counterpart was, and the review of each meeting."""

    persona: str
    """The persona's id."""
    name: str
    """Its name."""
    role: str
    """The role it played ("state" or "district")."""
    meetings: list[SoloMeeting]
    """Each meeting the player talked in, in order."""


class Report(Document):
    """The debrief report of a session (``report.schema.json``)."""

    report_version: Literal[1]
    """Bumped when the document changes shape."""
    scenario: str
    """The scenario's id."""
    scenario_title: str
    """The scenario's title."""
    session: str
    """The session's id."""
    session_title: str
    """The session's title."""
    seed: int
    """The session's seed."""
    meeting: MeetingRef
    """The meeting the debrief scores up to."""
    final: bool
    """The final debrief: the only one with ``reveal``."""
    levels: list[Level]
    """The rubric's levels, lowest first."""
    participants: list[Participant]
    """Who played which role."""
    elements: list[Rating]
    """One per sub-element of the Performance Management Framework."""
    routine: list[Rating]
    """Routine quality: follow-up on commitments, focus on performance, action on performance."""
    decisions: list[DecisionLine]
    """Every decision, meeting by meeting."""
    outcomes: Outcomes | None
    """Student outcomes apart from practice; None before any decision has taken effect."""
    poll: list[PollAnswer]
    """The poll's answers, meeting by meeting."""
    take_home: list[TakeHome]
    """Each participant's next steps."""
    reveal: list[HiddenTruth] | None = None
    """The hidden truths (final debrief only; the key is absent otherwise)."""
    solo: SoloReview | None = None
    """Solo practice: the after-action review (the key is absent for a pair's session)."""

    @model_serializer(mode="wrap")
    def _without_a_secret_key(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.reveal is None:
            del data["reveal"]
        if self.solo is None:
            del data["solo"]
        return data


# --------------------------------------------------------------------------- progress


class Attempt(Document):
    """One saved session as an attempt: its levels up to its last closed meeting."""

    session: str
    """The session's id."""
    title: str
    """The session's title."""
    scenario: str
    """The scenario's id."""
    created: str
    """When the session was started (ISO 8601, UTC)."""
    stage: str
    """The session's stage."""
    meeting: str
    """The last closed meeting."""
    participants: dict[str, str]
    """Role → name."""
    levels: dict[str, Level]
    """Sub-element id → level; empty when the scenario can no longer be loaded."""
    mean: float | None
    """The mean level, 1–4, over the sub-elements rated."""
    problem: str | None
    """Why the levels may not be what the session earned, if they may not."""
    final: bool
    """Every meeting was closed."""


class Progress(Document):
    """A participant's attempts, oldest first."""

    participant: str | None
    """Whose attempts; None for everyone's."""
    elements: list[str]
    """The sub-elements' ids, in rubric order."""
    levels: list[Level]
    """The rubric's levels, lowest first."""
    attempts: list[Attempt]
    """Oldest first."""
