"""The scenario file format: pydantic models with a docstring per field.

A scenario is data a facilitator writes in YAML. Every field's docstring becomes
its description in the JSON Schema (and so in editors and in the facilitator
reference), so write them for facilitators, not for programmers.

Structure is checked by pydantic (unknown keys are errors); references between
parts of the file (a strategy naming a subject, a meeting naming a quarter, …)
are checked by :func:`cross_check`, which returns every problem with the path of
the value at fault so that the loader can point at its line.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from simulator.formats.lookfors import DebriefSettings, debrief_problems
from simulator.formats.refs import (
    ABSENCE,
    ATTENDANCE,
    COURSES,
    DISTRICT,
    IMPLEMENTATION,
    Group,
    View,
)
from simulator.formats.refs import unknown as _unknown
from simulator.formats.routine import role_label
from simulator.formats.strict import Fraction, Grade, Id, Loc, Strict, Text

SCHEMA_VERSION = 1

# Bounds far beyond any district that keep sums and products of money, staff and
# scores finite (a cost of 1e308 dollars per student overflowed to infinity).
MAX_DOLLARS = 1e12
MAX_FTE = 1e6
MAX_SCORE = 1e6
Dollars = Annotated[float, Field(ge=0.0, le=MAX_DOLLARS)]
Fte = Annotated[float, Field(ge=0.0, le=MAX_FTE)]
Score = Annotated[float, Field(ge=-MAX_SCORE, le=MAX_SCORE)]

# How big a scenario may be (checked by ``_size_problems``). The engine simulates every
# student in every replication and breaks every quarter's results down by school, group,
# grade and strand, so these knobs multiply time and memory; each bound is far above a
# teaching scenario (Hudson: 1,550 students, 3 schools, 2 subjects of 3 strands, 3
# subgroups, 1 hidden need, 10 strategies, 114 result tables).
MAX_STUDENTS = 50_000
"""A debrief replays the year 200 times: 50,000 students × 200 replications need about
1.5 GB, and a playthrough stays quick (a year in well under a second)."""
MAX_COUNTS = {"schools": 100, "subjects": 8, "subgroups": 24, "needs": 24, "strategies": 500}
"""Most of each list; strategies: the best-bundle search tries each one alone."""
MAX_STRANDS = 12
"""Strands per subject."""
MAX_TABLES = 5_000
"""Result tables a quarter computes (see ``result_tables``), each a pass over the students."""


# --------------------------------------------------------------------------- the place


class Agency(Strict):
    """The state education agency whose staff play the State Turnaround Lead."""

    name: Text
    """Full name, e.g. "Lakeshore State Department of Education"."""
    short_name: Text
    """Abbreviation used on screen, e.g. "LSDE"."""


class District(Strict):
    """The district whose District Turnaround Lead sits across the table."""

    id: Id
    """Identifier used in session files and reports."""
    name: Text
    """Name shown on screen, e.g. "Hudson School District"."""
    description: str = ""
    """A paragraph of context every player may read."""


class School(Strict):
    """One school of the district. Priority schools are the focus of the meetings."""

    id: Id
    """Identifier, e.g. "hudson-ms"; used in views, strategies and the JSON output."""
    name: Text
    """Name shown on dashboards, e.g. "Hudson Middle School"."""
    priority: bool = False
    """True for a priority (turnaround) school. Strategies serve priority schools only
    unless they say otherwise; the others are there for comparison."""
    enrollment: dict[Grade, Annotated[int, Field(ge=1, le=200_000)]]
    """Students enrolled per grade, e.g. {6: 140, 7: 138, 8: 134}; at least one grade."""
    effect_sd: Annotated[float, Field(ge=-3.0, le=3.0)] = 0.0
    """Mean achievement of the school's students against the national norm, in
    student standard deviations (a priority school typically sits 0.5–1.0 below)."""
    growth_sd: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    """The school's own yearly growth beyond the norm, in SD units (its
    value added): negative for a school whose students fall further behind."""
    absence_rate: Fraction = 0.07
    """Mean share of school days a student misses (0.07 = 7%)."""
    grade_absence_multiplier: dict[Grade, Annotated[float, Field(gt=0.0, le=10.0)]] = Field(
        default_factory=dict
    )
    """Per grade, how many times the school's absence rate its students miss
    (e.g. {8: 1.4} when eighth graders miss more)."""
    subgroup_rates: dict[Id, Fraction] = Field(default_factory=dict)
    """Share of the school's students in each subgroup, by subgroup id."""
    short_name: Text | None = None
    """A shorter name where space is tight (the roster), e.g. "Hudson MS"; empty: the name."""
    description: str = ""
    """A sentence of public context about the school."""

    @property
    def short(self) -> str:
        """The short name, or the name."""
        return self.short_name or self.name

    @property
    def enrolled(self) -> int:
        """Students enrolled, over all its grades."""
        return sum(self.enrollment.values())


# --------------------------------------------------------------------------- what is measured


class Scale(Strict):
    """The benchmark assessment's score scale."""

    name: Text = "RIT"
    """Name of the scale shown on dashboards."""
    minimum: Score = 100.0
    """Lowest reportable score, below `maximum`; observed scores are clipped to the
    scale, and every norm and cut score must lie on it."""
    maximum: Score = 350.0
    """Highest reportable score."""
    sem: Annotated[float, Field(gt=0.0, le=50.0)] = 3.2
    """Standard error of measurement of one overall test score, in scale points."""
    decimals: Annotated[int, Field(ge=0, le=3)] = 1
    """Decimals shown for mean scores."""


class Seasons(Strict):
    """A value at the three benchmark windows of a school year."""

    fall: Score
    """At the start of the year (year fraction 0.0)."""
    winter: Score
    """At mid-year (year fraction 0.5)."""
    spring: Score
    """At the end of the year (year fraction 1.0)."""

    def at(self, year_fraction: float) -> float:
        """Linear interpolation between the windows."""
        t = min(max(year_fraction, 0.0), 1.0)
        if t <= 0.5:
            return self.fall + (self.winter - self.fall) * (t / 0.5)
        return self.winter + (self.spring - self.winter) * ((t - 0.5) / 0.5)


class Strand(Strict):
    """A part of a subject that the benchmark reports on its own (e.g. vocabulary)."""

    id: Id
    """Identifier used in views and needs."""
    name: Text
    """Name shown on dashboards."""
    sem: Annotated[float, Field(gt=0.0, le=50.0)] = 6.5
    """Standard error of measurement of a strand score (fewer items, so larger
    than the overall test's)."""
    offset_sd: Annotated[float, Field(ge=-2.0, le=2.0)] = 0.0
    """How far every student's strand score sits from their overall score on
    average, in SD units (strands are seldom exactly level)."""


class Subject(Strict):
    """A tested subject with its norms, proficiency cut scores and strands."""

    id: Id
    """Identifier, e.g. "reading" or "math"."""
    name: Text
    """Name shown on dashboards."""
    norms: dict[Grade, Seasons]
    """National mean score per grade at each window (e.g. NWEA 2025 norms)."""
    student_sd: dict[Grade, Annotated[float, Field(gt=0.0, le=100.0)]]
    """Spread of students' scores per grade (standard deviation, scale points)."""
    cuts: dict[Grade, Seasons]
    """Proficiency cut score per grade at each window: students at or above are
    counted as proficient (on benchmark)."""
    within_school_sd: Annotated[float, Field(gt=0.0, le=2.0)] = 0.9
    """Spread of student ability within a school, in SD units (about
    sqrt(1 − ICC); 0.89 for a school share of variance of 0.20)."""
    growth_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.25
    """Spread of students' true yearly growth around the norm, in SD units."""
    quarter_noise_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.08
    """Quarter-to-quarter wobble in true achievement, in SD units."""
    strand_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.25
    """Spread of a student's lasting strengths and weaknesses across strands, in SD units."""
    strands: list[Strand] = Field(default_factory=list)
    """The strands reported for this subject."""
    source: str = ""
    """Where the norms, spreads and cut scores come from."""


class Subgroup(Strict):
    """A student group reported on its own (e.g. English learners)."""

    id: Id
    """Identifier, e.g. "el"; used as `group` in the JSON output."""
    name: Text
    """Name shown on dashboards."""
    shift_sd: dict[Id, Annotated[float, Field(ge=-3.0, le=3.0)]] = Field(default_factory=dict)
    """Mean achievement gap per subject id, in SD units (negative = below peers)."""
    growth_shift_sd: dict[Id, Annotated[float, Field(ge=-1.0, le=1.0)]] = Field(
        default_factory=dict
    )
    """Difference in yearly growth per subject id, in SD units."""
    absence_multiplier: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    """How many times more days than peers the group's students miss."""
    absence_cost_multiplier: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    """How many times more a missed day costs these students."""
    short_name: Text | None = None
    """A few letters for checkboxes and rosters, e.g. "EL"; empty: the id in capitals."""
    source: str = ""
    """Where the gap figures come from."""

    @property
    def short(self) -> str:
        """The short name, or the id in capitals."""
        return self.short_name or self.id.upper()


class Attendance(Strict):
    """How attendance is generated and what a missed day costs."""

    days_per_quarter: Annotated[int, Field(ge=1, le=120)] = 45
    """School days in a quarter."""
    chronic_threshold: Fraction = 0.10
    """Share of days missed at or above which a student is chronically absent."""
    cost_per_day_sd: Annotated[float, Field(ge=0.0, le=0.1)] = 0.0035
    """Achievement lost per missed day, in SD units."""
    typical_rate: Fraction = 0.08
    """Share of days the typical student in the norm group misses. Norms already
    include those absences, so only days above this rate cost achievement (and
    days below it gain)."""
    spread: Annotated[float, Field(gt=0.0, le=5.0)] = 0.9
    """Spread of students' absence propensity (SD on the log-odds scale):
    larger means absences concentrate in fewer students."""
    source: str = ""
    """Where the attendance figures come from."""


class Population(Strict):
    """How the students are drawn."""

    max_combined_shift_sd: Annotated[float, Field(ge=0.0, le=5.0)] = 1.5
    """Cap on the summed gaps of a student who belongs to several subgroups,
    in SD units (subgroups overlap: their gaps are not additive)."""
    attendance: Attendance = Field(default_factory=Attendance)
    """Attendance model."""
    source: str = ""
    """Where the population figures come from."""


class Need(Strict):
    """A hidden need: a problem only disaggregated data reveal.

    Students who have the need score lower on one strand and grow more slowly in
    the subject, until strategies that address the need remediate it.
    """

    id: Id
    """Identifier, named by strategies' `need_effects`."""
    name: Text
    """Name revealed at the final debrief, e.g. "Word-level decoding"."""
    subject: Id
    """The subject it affects."""
    strand: Id | None = None
    """The strand where it shows most clearly."""
    schools: list[Id] | Literal["priority", "all"] = "priority"
    """Where students with the need are found."""
    grades: list[Grade] = Field(default_factory=list)
    """Grades where it occurs (empty: all grades)."""
    subgroups: list[Id] = Field(default_factory=list)
    """Subgroups where it occurs (empty: all students)."""
    chronically_absent: bool = False
    """Only among chronically absent students: those whose absence propensity (the share
    of days they tend to miss, drawn with the population) is at or above
    `population.attendance.chronic_threshold`, within the schools, grades and subgroups
    above. Fixed when the students are drawn: a student's realised absences in a quarter
    vary around the propensity, so a few with the need may miss fewer days than the
    threshold, and events that raise absence do not give the need to anyone new."""
    prevalence: Fraction
    """Share of the eligible students who have it."""
    strand_shift_sd: Annotated[float, Field(ge=-5.0, le=0.0)] = -0.8
    """How much lower affected students score on the strand, in SD units."""
    score_shift_sd: Annotated[float, Field(ge=-3.0, le=0.0)] = 0.0
    """How much lower affected students score on the whole subject while the need
    is unmet (they cannot show what they know), in SD units; remediation restores
    it at once, so addressing the need shows in the overall score too."""
    growth_penalty_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.2
    """Yearly growth lost by affected students while it is unaddressed, in SD units."""
    course_shift_sd: Annotated[float, Field(ge=-3.0, le=0.0)] = 0.0
    """How much lower affected students' course performance is while the need is unmet,
    in SD of course performance (see `courses`): they fail more courses than their tested
    ability and their absences explain. Needs a `courses` section."""
    description: str = ""
    """What is really going on (revealed at the final debrief)."""


# --------------------------------------------------------------------------- courses


class Course(Strict):
    """A course every student of the course grades takes all year, graded each quarter."""

    id: Id
    """Identifier, e.g. `algebra-1`."""
    name: Text
    """Name on the dashboard, e.g. "Algebra I"."""
    subject: Id | None = None
    """The benchmark subject whose (latent) ability the course grade draws on, e.g.
    `math` for Algebra I; none: the grade rests on engagement and attendance alone."""
    core: bool = True
    """A core course, whose failed term grades count against being on track (an
    elective, `false`, earns credit but its failures do not count)."""


class OnTrack(Strict):
    """Who counts as on track at the end of the year (for ninth grade, the Chicago
    on-track indicator: enough credits and at most one failed semester grade)."""

    credits: Annotated[float, Field(gt=0.0, le=100.0)] = 5.0
    """Credits earned in these courses by the end of the year, at least."""
    max_failures: Annotated[int, Field(ge=0, le=100)] = 1
    """Failed term grades in core courses over the year, at most."""


class Courses(Strict):
    """Course grades and credits, a measure beside the benchmark for scenarios that need
    one (for example ninth-grade on-track). Each quarter every student of `grades` gets a
    pass or fail in each course; the grades of the quarters in `terms` are final and earn
    `credit` each.

    Course performance (SD units) = `ability_weight` × ability in the course's subject +
    the student's engagement (drawn once, spread `engagement_sd`) − `absence_weight_sd` per
    day missed beyond the typical + strategies' `course_effect` − unmet needs'
    `course_shift_sd` + a quarter's wobble (`noise_sd`); a grade passes when performance is
    above the threshold at which a student at the national norm, missing the typical days,
    passes `pass_rate` of course grades."""

    name: Text = "Core courses"
    """What dashboards call these courses."""
    grades: list[Grade] = Field(default_factory=list)
    """Grades whose students take them (empty: every grade of the scenario)."""
    courses: list[Course] = Field(min_length=1, max_length=12)
    """The courses each of those students takes."""
    terms: list[Id] = Field(min_length=1, max_length=16)
    """Quarters (ids) whose grades are final and earn credit, e.g. `[q2, q4]` for
    semesters; the last must be the year's last quarter."""
    credit: Annotated[float, Field(gt=0.0, le=10.0)] = 0.5
    """Credit a passing final grade earns, per course and term."""
    pass_rate: Annotated[float, Field(gt=0.0, lt=1.0)]
    """The norm: the share of course grades a typical student (at the national norm,
    missing the typical days) passes."""
    ability_weight: Annotated[float, Field(ge=0.0, le=2.0)] = 0.4
    """How much course performance follows tested ability (SD per SD)."""
    absence_weight_sd: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    """Course performance lost per day missed in the quarter beyond the typical (SD)."""
    engagement_sd: Annotated[float, Field(ge=0.0, le=3.0)] = 0.7
    """Spread of students' own engagement with coursework (work habits, belonging),
    beyond tested ability; persistent over the year."""
    noise_sd: Annotated[float, Field(ge=0.0, le=3.0)] = 0.5
    """Spread of a course grade's quarter-to-quarter wobble."""
    on_track: OnTrack = Field(default_factory=OnTrack)
    """Who counts as on track."""
    source: str = ""
    """Where the figures come from."""

    def spread(self) -> float:
        """The spread of course performance at the norm (SD units): ability, engagement
        and wobble together."""
        return float((self.ability_weight ** 2 + self.engagement_sd ** 2
                      + self.noise_sd ** 2) ** 0.5)


# --------------------------------------------------------------------------- time


class Quarter(Strict):
    """One simulated quarter; a benchmark is given at its end."""

    id: Id
    """Identifier, e.g. "q1"."""
    label: Text
    """Label on dashboards, e.g. "Q1"."""
    ends_at: Annotated[float, Field(gt=0.0, le=1.0)]
    """Year fraction when the quarter ends (Q1 0.25, Q2 0.5, Q3 0.75, Q4 1.0):
    norms and cut scores are interpolated at this point."""


class Meeting(Strict):
    """A performance-management meeting between the two leads."""

    id: Id
    """Identifier, e.g. "meeting-1"."""
    title: Text
    """Title shown on screen."""
    after_quarter: Id
    """The meeting happens at the end of this quarter; what it decides takes
    effect from the next quarter on."""
    setting: list[Text] = Field(default_factory=list)
    """The setting, a line each (shown to both roles)."""
    goals: list[Text] = Field(min_length=1)
    """What the meeting is for, a line each (shown to both roles)."""


class SchoolYear(Strict):
    """The days the simulated year stands for: its first day is year fraction 0, its last
    is 1. Action steps fall due on real dates inside it."""

    starts: date
    """First day of the school year (YYYY-MM-DD)."""
    ends: date
    """Last day of the school year (YYYY-MM-DD), 60 to 400 days after ``starts``."""


class Calendar(Strict):
    """The simulated year: quarters in order and the meetings between them."""

    school_year: SchoolYear = SchoolYear(starts=date(2026, 9, 1), ends=date(2027, 6, 30))
    """The days the year stands for; without it, 1 September 2026 to 30 June 2027."""
    quarters: list[Quarter] = Field(min_length=1, max_length=16)
    """Quarters in order."""
    meetings: list[Meeting] = Field(min_length=1, max_length=16)
    """Meetings in order."""


# --------------------------------------------------------------------------- strategies


class Serves(Strict):
    """Which students a strategy reaches."""

    schools: list[Id] | Literal["priority", "all"] = "priority"
    """Schools where it runs."""
    grades: list[Grade] = Field(default_factory=list)
    """Grades served (empty: all)."""
    subgroups: list[Id] = Field(default_factory=list)
    """Only students in at least one of these subgroups (empty: everyone)."""
    below_cut: Id | None = None
    """Only students scoring below the proficiency cut in this subject at the
    latest benchmark before the strategy starts (targeting by data)."""
    chronically_absent: bool = False
    """Only students chronically absent so far this year at the latest data before the
    strategy starts (before any data: those who tend to miss that many days); with
    `capacity`, those missing the most days first."""
    capacity: Annotated[int, Field(ge=1)] | None = None
    """Most students served at once (lowest scorers first when targeting by
    data); empty: everyone eligible."""


class Fidelity(Strict):
    """How well a strategy is implemented as it ramps up."""

    start: Fraction = 0.4
    """Fidelity in the first quarter it runs."""
    full: Fraction = 0.85
    """Fidelity once fully ramped up."""
    quarters_to_full: Annotated[int, Field(ge=1, le=8)] = 2
    """Quarters from the start to full fidelity."""
    noise_sd: Annotated[float, Field(ge=0.0, le=0.5)] = 0.06
    """Quarter-to-quarter variation of measured fidelity."""
    per_staff_shortfall: Fraction = 0.5
    """Fidelity lost when the strategy has none of the staff it needs
    (scaled by the share missing)."""


class Cost(Strict):
    """What a strategy costs for the rest of the year."""

    fixed: Dollars = 0.0
    """Fixed cost in dollars."""
    per_student: Dollars = 0.0
    """Cost per student served, in dollars."""


class Strategy(Strict):
    """An improvement strategy the district can adopt at a meeting."""

    id: Id
    """Identifier used on the command line (`--strategies`) and in sessions."""
    name: Text
    """Name shown on screen."""
    description: Text
    """What it is, in a sentence or two, as a district would describe it."""
    subjects: list[Id] = Field(default_factory=list)
    """Subjects whose achievement it affects (empty for attendance-only strategies)."""
    serves: Serves = Field(default_factory=Serves)
    """Which students it reaches."""
    effect_sd: Annotated[float, Field(ge=-1.0, le=1.5)] = 0.0
    """Yearly effect on served students' achievement at full fidelity and full
    dosage, in SD units."""
    need_effects: dict[Id, Annotated[float, Field(ge=-2.0, le=5.0)]] = Field(
        default_factory=dict
    )
    """Per hidden need: the share of the need remediated per year for served
    students who have it (1.0 = fully remediated in a year at full fidelity)."""
    attendance_effect: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    """Relative change in days missed by served students (−0.12 = 12% fewer)."""
    course_effect: Annotated[float, Field(ge=-1.0, le=3.0)] = 0.0
    """Rise in the course performance of a served student who takes part, at full
    fidelity, in SD of course performance (see `courses`), for every quarter it runs:
    more of their course grades pass. Needs a `courses` section."""
    take_up: Fraction = 1.0
    """Share of served students who actually receive the intended dosage."""
    lag_quarters: Annotated[int, Field(ge=0, le=4)] = 0
    """Quarters after adoption before anything happens (hiring, training)."""
    fidelity: Fidelity = Field(default_factory=Fidelity)
    """Implementation ramp."""
    cost: Cost = Field(default_factory=Cost)
    """Cost for the rest of the year."""
    staff_fte: Fte = 0.0
    """Staff it needs, in full-time equivalents."""
    source: Text
    """The published evidence behind `effect_sd` (and the other effects)."""
    tags: list[Id] = Field(default_factory=list)
    """Free labels for facilitators, e.g. "favoured-by-district"."""


class Resources(Strict):
    """What the district can spend on new strategies for the rest of the year."""

    budget: Dollars
    """Dollars available."""
    staff_fte: Fte
    """Staff available to reassign, in full-time equivalents."""
    notes: str = ""
    """Context shown with the budget."""


class EventEffects(Strict):
    """What an event changes while it lasts."""

    absence_multiplier: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    """Multiplies every student's absences in the affected schools, in the
    event's quarter only."""
    staff_fte_change: Annotated[float, Field(ge=-MAX_FTE, le=MAX_FTE)] = 0.0
    """Change in staff available, from the event's quarter on (negative: vacancies)."""
    budget_change: Annotated[float, Field(ge=-MAX_DOLLARS, le=MAX_DOLLARS)] = 0.0
    """Change in budget in dollars, from the event's quarter on."""
    fidelity_multiplier: dict[Id, Annotated[float, Field(ge=0.0, le=2.0)]] = Field(
        default_factory=dict
    )
    """Per strategy id, multiplies its fidelity in the event's quarter (0.7 = loses 30%)."""


class Event(Strict):
    """Something that changes conditions during a quarter."""

    id: Id
    """Identifier."""
    quarter: Id
    """The quarter it happens in."""
    title: Text
    """Headline shown to both roles after it happens."""
    description: str = ""
    """What happened."""
    schools: list[Id] | Literal["priority", "all"] = "all"
    """Schools affected."""
    effects: EventEffects = Field(default_factory=EventEffects)
    """What it changes."""


# --------------------------------------------------------------------------- the people


class MeetingBriefing(Strict):
    """What a role learns before one meeting, on top of its standing briefing."""

    public: str = ""
    """Added to the role's public briefing before this meeting (both players may read it);
    empty: nothing added."""
    private: str = ""
    """Added to the role's private briefing before this meeting (only this role may read
    it, behind the same "show my private briefing" step); empty: nothing added."""


class Briefing(Strict):
    """A role's briefing."""

    title: Text
    """The role's title, e.g. "District Turnaround Lead"."""
    public: Text
    """What both players may read."""
    private: Text
    """What only this role may read (shown behind a "show my private briefing" step)."""
    meetings: dict[Id, MeetingBriefing] = Field(default_factory=dict)
    """What changes per meeting, keyed by meeting id (e.g. `meeting-2`): each part is
    shown before that meeting only, *added* below the standing briefing under a heading
    naming the meeting (the standing briefing always shows); meetings not named add
    nothing."""

    def at(self, meeting_id: str | None) -> MeetingBriefing:
        """What this role's briefing adds before a meeting (empty parts if nothing, or if
        no meeting is current)."""
        return self.meetings.get(meeting_id or "", MeetingBriefing())


class TakeHomePrompt(Strict):
    """One question the take-home exercise puts to the participants."""

    heading: Text
    """A word or two, e.g. "Data"."""
    question: Text
    """The question."""


class TakeHome(Strict):
    """The final debrief's take-home exercise: next steps for the participants' own agency."""

    title: Text = "Take-home: next steps for your State"
    """Heading of the exercise."""
    intro: Text = ("Identify 2–3 next steps that your State might take to improve your "
                   "performance management routines.")
    """What it asks for, in a sentence."""
    prompts: list[TakeHomePrompt] = Field(default_factory=lambda: [
        TakeHomePrompt(heading="From mock", question="What did you observe that was "
                       "different in your routines that you might try?"),
        TakeHomePrompt(heading="Data", question="What does the State pull now and how does "
                       "that enable or hamper performance conversations? What one thing "
                       "would make what you have better?"),
        TakeHomePrompt(heading="Routine", question="How does the State know what to talk "
                       "about with each district? What one thing would make this better?"),
        TakeHomePrompt(heading="Consequences", question="There need to be some clear "
                       "consequences to performance or non-performance. What one thing "
                       "could make this stronger?"),
    ])
    """Questions to think with."""
    steps: list[Text] = Field(min_length=1, max_length=6, default_factory=lambda: [
        "e.g. From mock: one thing from today to try in your own routines",
        "e.g. Data or routine: one thing that would make your conversations better",
        "e.g. Consequences: one thing that would make them clearer (optional)",
    ])
    """One entry per next step a participant may write: its example (hint)."""


class Roles(Strict):
    """The two roles of a meeting."""

    state: Briefing
    """The State Turnaround Lead."""
    district: Briefing
    """The District Turnaround Lead."""

    def title_of(self, role: str) -> str:
        """A lead's title ("State Turnaround Lead"); another role by its label ("Both")."""
        brief = {"state": self.state, "district": self.district}.get(role)
        return brief.title if brief else role_label(role)


class Evidence(Strict):
    """Where in the data a hidden truth could be seen."""

    view: Text
    """The dashboard view: SUBJECT/SCHOOL/BREAKDOWN, breakdown one of all,
    grade, subgroup, strand, attendance, implementation (e.g. "reading/hudson-ms/strand")."""
    group: Id | None = None
    """For a strand view: the students whose strands show it — a subgroup id or
    "grade-N" (empty: all students)."""
    quarter: Id
    """The first quarter in which it shows."""
    note: Text
    """What to look for there."""


class HiddenTruth(Strict):
    """Something the final debrief reveals."""

    id: Id
    """Identifier."""
    title: Text
    """Headline."""
    explanation: Text
    """What was going on and why it mattered."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Where the data showed it."""


class Scenario(Strict):
    """A pmsim scenario: a district, its students and a year of meetings."""

    schema_version: Literal[1] = 1
    """Version of this file format."""
    id: Id
    """Identifier, e.g. "hudson" (used by `pmsim play ID`)."""
    title: Text
    """Title shown on the home screen."""
    summary: Text
    """One line shown under the title on the home screen."""
    state: Agency
    """The state education agency."""
    district: District
    """The district."""
    grades: list[Grade] = Field(min_length=1)
    """Grades simulated, e.g. [6, 7, 8]."""
    scale: Scale = Field(default_factory=Scale)
    """The benchmark's score scale."""
    subjects: list[Subject] = Field(min_length=1)
    """Tested subjects."""
    courses: Courses | None = None
    """Course grades and credits beside the benchmark (for example for ninth-grade
    on-track); none: the benchmark, attendance and implementation only."""
    subgroups: list[Subgroup] = Field(default_factory=list)
    """Student groups reported separately."""
    population: Population = Field(default_factory=Population)
    """How students and attendance are drawn."""
    schools: list[School] = Field(min_length=1)
    """Schools; at least one should be a priority school."""
    needs: list[Need] = Field(default_factory=list)
    """Hidden needs that only disaggregated data reveal."""
    calendar: Calendar
    """Quarters and meetings."""
    strategies: list[Strategy] = Field(min_length=1)
    """Strategies on offer."""
    resources: Resources
    """Budget and staff for new strategies."""
    events: list[Event] = Field(default_factory=list)
    """Things that happen during quarters."""
    hidden_truths: list[HiddenTruth] = Field(default_factory=list)
    """What the final debrief reveals."""
    roles: Roles
    """Briefings for the two roles."""
    debrief: DebriefSettings | None = None
    """Look-fors this scenario adds to the default debrief, and weights it changes."""
    take_home: TakeHome = Field(default_factory=TakeHome)
    """The final debrief's take-home exercise."""

    # ----------------------------------------------------------------- look-ups

    def school(self, school_id: str) -> School:
        return next(s for s in self.schools if s.id == school_id)

    def subject(self, subject_id: str) -> Subject:
        return next(s for s in self.subjects if s.id == subject_id)

    def strategy(self, strategy_id: str) -> Strategy:
        return next(s for s in self.strategies if s.id == strategy_id)

    def quarter_index(self, quarter_id: str) -> int:
        return next(i for i, q in enumerate(self.calendar.quarters) if q.id == quarter_id)

    @property
    def priority_schools(self) -> list[School]:
        return [s for s in self.schools if s.priority]

    @property
    def enrolled(self) -> int:
        """Students enrolled in all the schools: every one is simulated."""
        return sum(s.enrolled for s in self.schools)

    def school_ids(self, selector: list[str] | str) -> list[str]:
        """Resolve a schools selector ("priority", "all" or ids) to school ids."""
        if selector == "all":
            return [s.id for s in self.schools]
        if selector == "priority":
            return [s.id for s in self.schools if s.priority]
        return list(selector)


# --------------------------------------------------------------------------- cross-references


def _duplicates(items: list, attr: str, path: Loc) -> list[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        key = getattr(item, attr)
        if key in seen:
            problems.append(
                ((*path, i, attr), f"duplicate {attr} '{key}' (also item {seen[key] + 1})")
            )
        else:
            seen[key] = i
    return problems


def _number_problems(sc: Scenario) -> list[tuple[Loc, str]]:
    """Numbers that each pass their own bounds but make nonsense together: a scale
    that is empty or upside down, norms or cut scores off the scale, a school
    without students."""
    problems: list[tuple[Loc, str]] = []
    low, high = sc.scale.minimum, sc.scale.maximum
    if low >= high:
        problems.append((("scale", "minimum"), f"the scale's minimum ({low:g}) must be below "
                         f"its maximum ({high:g})"))
        return problems + _schools_without_students(sc)
    for si, subject in enumerate(sc.subjects):
        for field, what in (("norms", "norm"), ("cuts", "cut score")):
            for g, seasons in getattr(subject, field).items():
                for season in ("fall", "winter", "spring"):
                    value = getattr(seasons, season)
                    if not low <= value <= high:
                        problems.append((
                            ("subjects", si, field, g, season),
                            f"{subject.id}'s {season} {what} for grade {g} ({value:g}) is "
                            f"outside the scale {low:g}–{high:g}"))
    return problems + _schools_without_students(sc)


def _schools_without_students(sc: Scenario) -> list[tuple[Loc, str]]:
    return [(("schools", si, "enrollment"),
             f"school '{school.id}' has no students: give its enrollment per grade, "
             "e.g. {6: 140}")
            for si, school in enumerate(sc.schools) if not school.enrollment]


def result_tables(sc: Scenario) -> int:
    """Tables a quarter's results hold: per school and subject, one per group (all
    students and each subgroup) for the subject and each of its strands, and one per
    grade."""
    groups = 1 + len(sc.subgroups)
    per_school = sum(groups * (1 + len(s.strands)) + len(sc.grades) for s in sc.subjects)
    return len(sc.schools) * per_school


def _size_problems(sc: Scenario) -> list[tuple[Loc, str]]:
    """A scenario too big to simulate promptly or in memory (see ``MAX_STUDENTS``): refused
    here, where the file says it, rather than found out in a simulation."""
    problems: list[tuple[Loc, str]] = []
    for name, most in MAX_COUNTS.items():
        items = getattr(sc, name)
        if len(items) > most:
            problems.append(((name, most), f"{len(items):,} {name}: a scenario may have at "
                             f"most {most:,} (this is the first one too many)"))
    for si, subject in enumerate(sc.subjects):
        if len(subject.strands) > MAX_STRANDS:
            problems.append((("subjects", si, "strands", MAX_STRANDS),
                             f"{len(subject.strands)} strands in {subject.id}: a subject may "
                             f"have at most {MAX_STRANDS}"))
    students = 0
    for si, school in enumerate(sc.schools):
        before, students = students, students + school.enrolled
        if before <= MAX_STUDENTS < students:
            problems.append((("schools", si, "enrollment"),
                             f"{sc.enrolled:,} students in all, more than the {MAX_STUDENTS:,} a "
                             "scenario may have: every student is simulated in every "
                             "replication (a debrief replays the year 200 times)"))
    tables = result_tables(sc)
    if tables > MAX_TABLES and not problems:
        problems.append((("schools",), f"each quarter's results would break down into "
                         f"{tables:,} tables (schools × groups × subjects, strands and "
                         f"grades), more than the {MAX_TABLES:,} a quarter computes promptly: "
                         "use fewer schools, subgroups or strands"))
    return problems


_ANY = object()
"""In a reference site: any list index."""
_KEY = object()
"""In a reference site: the reference is this mapping key (its location ends "<key>")."""

# What a scenario names by id, where it declares them, the field people write instead
# of the id (the thing's label or name), and every place a reference to one is written.
_NAMED_BY_ID: tuple[tuple[str, tuple[str, ...], str, tuple[tuple[object, ...], ...]], ...] = (
    ("quarter", ("calendar", "quarters"), "label", (
        ("calendar", "meetings", _ANY, "after_quarter"),
        ("events", _ANY, "quarter"),
        ("hidden_truths", _ANY, "evidence", _ANY, "quarter"),
        ("courses", "terms", _ANY),
    )),
    ("school", ("schools",), "name", (
        ("needs", _ANY, "schools", _ANY),
        ("strategies", _ANY, "serves", "schools", _ANY),
        ("events", _ANY, "schools", _ANY),
    )),
    ("subject", ("subjects",), "name", (
        ("needs", _ANY, "subject"),
        ("strategies", _ANY, "subjects", _ANY),
        ("strategies", _ANY, "serves", "below_cut"),
        ("subgroups", _ANY, "shift_sd", _KEY),
        ("subgroups", _ANY, "growth_shift_sd", _KEY),
        ("courses", "courses", _ANY, "subject"),
    )),
    ("subgroup", ("subgroups",), "name", (
        ("needs", _ANY, "subgroups", _ANY),
        ("strategies", _ANY, "serves", "subgroups", _ANY),
        ("schools", _ANY, "subgroup_rates", _KEY),
    )),
    ("strategy", ("strategies",), "name", (
        ("events", _ANY, "effects", "fidelity_multiplier", _KEY),
    )),
)


def label_hint(data: object, loc: Loc) -> str | None:
    """At a reference to a quarter (school, subject, …) that names it by its label or name
    instead of its id, "unknown quarter 'Q2' (did you mean 'q2'? …)"; else None.

    Works on the file's plain data, so it helps both where the value is not even an id
    (``Q2`` has a capital) and where the cross-checks find no such id.
    """
    for kind, declared, label_field, sites in _NAMED_BY_ID:
        for site in sites:
            value = _site_value(site, data, loc)
            if value is None:
                continue
            items = _at(data, declared)
            if not isinstance(items, list):
                return None
            ids = [str(item.get("id")) for item in items if isinstance(item, dict)]
            if value in ids:
                return None
            by_label = {str(item.get(label_field)).casefold(): str(item.get("id"))
                        for item in items if isinstance(item, dict)}
            plural = "strategies" if kind == "strategy" else f"{kind}s"
            if (match := by_label.get(value.casefold())) is not None:
                return (f"unknown {kind} '{value}' (did you mean '{match}'? {plural} are named "
                        f"by id, not by {label_field})")
            lowered = {i.casefold(): i for i in ids}
            if (match := lowered.get(value.casefold())) is not None:
                return f"unknown {kind} '{value}' (did you mean '{match}'? ids are lower-case)"
            return None
    return None


def _site_value(site: tuple[object, ...], data: object, loc: Loc) -> str | None:
    """The reference written at ``loc`` when ``loc`` is an instance of ``site``, else None."""
    is_key = site[-1] is _KEY
    head = site[:-1] if is_key else site
    if len(loc) != len(head) + is_key or (is_key and loc[-1] != "<key>"):
        return None
    for want, got in zip(head, loc, strict=False):
        if (want is _ANY and not isinstance(got, int)) or (want is not _ANY and want != got):
            return None
    value = loc[-2] if is_key else _at(data, loc)
    return value if isinstance(value, str) else None


def _at(data: object, path: tuple[object, ...]) -> object:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def cross_check(sc: Scenario) -> list[tuple[Loc, str]]:
    """Every broken reference between parts of a structurally valid scenario."""
    problems: list[tuple[Loc, str]] = []
    for name in ("schools", "subjects", "subgroups", "needs", "strategies", "events",
                 "hidden_truths"):
        problems += _duplicates(getattr(sc, name), "id", (name,))
    problems += _duplicates(sc.calendar.quarters, "id", ("calendar", "quarters"))
    problems += _duplicates(sc.calendar.meetings, "id", ("calendar", "meetings"))

    subjects = [s.id for s in sc.subjects]
    subgroups = [g.id for g in sc.subgroups]
    schools = [s.id for s in sc.schools]
    quarters = [q.id for q in sc.calendar.quarters]
    strategies = [s.id for s in sc.strategies]
    needs = [n.id for n in sc.needs]
    grades = set(sc.grades)

    def check_grades(values, path: Loc) -> None:
        for g in values:
            if g not in grades:
                problems.append(((*path,), f"grade {g} is not one of the scenario's grades "
                                 f"{sorted(grades)}"))

    def check_schools(selector, path: Loc) -> None:
        if isinstance(selector, list):
            for i, s in enumerate(selector):
                if s not in schools:
                    problems.append(((*path, i), _unknown(s, schools, "school")))

    def check_subgroups(values, path: Loc) -> None:
        for i, g in enumerate(values):
            if g not in subgroups:
                problems.append(((*path, i), _unknown(g, subgroups, "subgroup")))

    if not sc.priority_schools:
        problems.append((("schools",), "no school is a priority school (set `priority: true`)"))
    problems += _number_problems(sc)
    problems += _size_problems(sc)

    for si, subject in enumerate(sc.subjects):
        for field in ("norms", "student_sd", "cuts"):
            table = getattr(subject, field)
            missing = sorted(grades - set(table))
            if missing:
                problems.append((("subjects", si, field),
                                 f"{field} has no entry for grade(s) {missing}"))
            for g in table:
                if g not in grades:
                    problems.append((("subjects", si, field, g, "<key>"),
                                     f"grade {g} is not one of the scenario's grades"))
        problems += _duplicates(subject.strands, "id", ("subjects", si, "strands"))

    for gi, group in enumerate(sc.subgroups):
        for field in ("shift_sd", "growth_shift_sd"):
            for subj in getattr(group, field):
                if subj not in subjects:
                    problems.append((("subgroups", gi, field, subj, "<key>"),
                                     _unknown(subj, subjects, "subject")))

    for si, school in enumerate(sc.schools):
        for g in school.enrollment:
            if g not in grades:
                problems.append((("schools", si, "enrollment", g, "<key>"),
                                 f"grade {g} is not one of the scenario's grades "
                                 f"{sorted(grades)}"))
        for g in school.grade_absence_multiplier:
            if g not in grades:
                problems.append((("schools", si, "grade_absence_multiplier", g, "<key>"),
                                 f"grade {g} is not one of the scenario's grades"))
        for g in school.subgroup_rates:
            if g not in subgroups:
                problems.append((("schools", si, "subgroup_rates", g, "<key>"),
                                 _unknown(g, subgroups, "subgroup")))

    for ni, need in enumerate(sc.needs):
        path: Loc = ("needs", ni)
        if need.subject not in subjects:
            problems.append(((*path, "subject"), _unknown(need.subject, subjects, "subject")))
        elif need.strand is not None:
            strands = [s.id for s in sc.subject(need.subject).strands]
            if need.strand not in strands:
                problems.append(((*path, "strand"),
                                 _unknown(need.strand, strands, f"strand of {need.subject}")))
        check_schools(need.schools, (*path, "schools"))
        check_grades(need.grades, (*path, "grades"))
        check_subgroups(need.subgroups, (*path, "subgroups"))

    problems += _course_problems(sc)

    meeting_ids = [m.id for m in sc.calendar.meetings]
    for role in ("state", "district"):
        for mid in getattr(sc.roles, role).meetings:
            if mid not in meeting_ids:
                problems.append((("roles", role, "meetings", mid, "<key>"),
                                 _unknown(mid, meeting_ids, "meeting")))

    meeting_quarters = []
    for mi, meeting in enumerate(sc.calendar.meetings):
        if meeting.after_quarter not in quarters:
            problems.append((("calendar", "meetings", mi, "after_quarter"),
                             _unknown(meeting.after_quarter, quarters, "quarter")))
        else:
            meeting_quarters.append((mi, quarters.index(meeting.after_quarter)))
    for (_, a), (mi, b) in itertools.pairwise(meeting_quarters):
        if b <= a:
            problems.append((("calendar", "meetings", mi, "after_quarter"),
                             "meetings must come in calendar order, one per quarter at most"))
    if meeting_quarters and meeting_quarters[-1][1] == len(quarters) - 1:
        problems.append((("calendar", "meetings", meeting_quarters[-1][0], "after_quarter"),
                         "the last meeting must come before the last quarter, "
                         "so that its decisions can show in the data"))
    ends = [q.ends_at for q in sc.calendar.quarters]
    for qi in range(1, len(ends)):
        if ends[qi] <= ends[qi - 1]:
            problems.append((("calendar", "quarters", qi, "ends_at"),
                             "quarters must end in increasing order"))
    year = sc.calendar.school_year
    days = (year.ends - year.starts).days
    if not 60 <= days <= 400:
        problems.append((("calendar", "school_year", "ends"),
                         f"a school year runs 60 to 400 days; {year.starts} to {year.ends} "
                         f"is {days}"))

    for ti, strategy in enumerate(sc.strategies):
        path = ("strategies", ti)
        for i, subj in enumerate(strategy.subjects):
            if subj not in subjects:
                problems.append(((*path, "subjects", i), _unknown(subj, subjects, "subject")))
        check_schools(strategy.serves.schools, (*path, "serves", "schools"))
        check_grades(strategy.serves.grades, (*path, "serves", "grades"))
        check_subgroups(strategy.serves.subgroups, (*path, "serves", "subgroups"))
        if strategy.serves.below_cut is not None and strategy.serves.below_cut not in subjects:
            problems.append(((*path, "serves", "below_cut"),
                             _unknown(strategy.serves.below_cut, subjects, "subject")))
        for need_id in strategy.need_effects:
            if need_id not in needs:
                problems.append(((*path, "need_effects", need_id, "<key>"),
                                 _unknown(need_id, needs, "need")))
        if strategy.fidelity.start > strategy.fidelity.full:
            problems.append(((*path, "fidelity", "start"),
                             "fidelity.start is above fidelity.full"))

    for ei, event in enumerate(sc.events):
        if event.quarter not in quarters:
            problems.append((("events", ei, "quarter"),
                             _unknown(event.quarter, quarters, "quarter")))
        check_schools(event.schools, ("events", ei, "schools"))
        for sid in event.effects.fidelity_multiplier:
            if sid not in strategies:
                problems.append((("events", ei, "effects", "fidelity_multiplier", sid, "<key>"),
                                 _unknown(sid, strategies, "strategy")))

    for hi, truth in enumerate(sc.hidden_truths):
        for vi, ev in enumerate(truth.evidence):
            path = ("hidden_truths", hi, "evidence", vi)
            problem = View.check(ev.view, sc)
            if problem:
                problems.append(((*path, "view"), problem))
            if ev.group is not None:
                try:
                    strand = View.parse(ev.view).breakdown == "strand"
                except ValueError:
                    strand = False
                if not strand:
                    problems.append(((*path, "group"), "a group applies to strand views only"))
                elif problem := Group.check(ev.group, sc):
                    problems.append(((*path, "group"), problem))
            if ev.quarter not in quarters:
                problems.append(((*path, "quarter"), _unknown(ev.quarter, quarters, "quarter")))

    if sc.debrief is not None:
        problems += debrief_problems(sc.debrief)
    return problems


def _course_problems(sc: Scenario) -> list[tuple[Loc, str]]:
    """References of the courses section, and of needs and strategies to it."""
    problems: list[tuple[Loc, str]] = []
    courses = sc.courses
    if courses is None:
        for ni, need in enumerate(sc.needs):
            if need.course_shift_sd:
                problems.append((("needs", ni, "course_shift_sd"),
                                 "course_shift_sd needs a `courses` section (course grades "
                                 "to show in)"))
        for ti, strategy in enumerate(sc.strategies):
            if strategy.course_effect:
                problems.append((("strategies", ti, "course_effect"),
                                 "course_effect needs a `courses` section (course grades to "
                                 "act on)"))
        return problems
    subjects = [s.id for s in sc.subjects]
    quarters = [q.id for q in sc.calendar.quarters]
    problems += _duplicates(courses.courses, "id", ("courses", "courses"))
    for ci, course in enumerate(courses.courses):
        if course.subject is not None and course.subject not in subjects:
            problems.append((("courses", "courses", ci, "subject"),
                             _unknown(course.subject, subjects, "subject")))
    for gi, g in enumerate(courses.grades):
        if g not in sc.grades:
            problems.append((("courses", "grades", gi), f"grade {g} is not one of the "
                             f"scenario's grades {sorted(sc.grades)}"))
    order = []
    for ti, term in enumerate(courses.terms):
        if term not in quarters:
            problems.append((("courses", "terms", ti), _unknown(term, quarters, "quarter")))
        else:
            order.append((ti, quarters.index(term)))
    disordered = [ti for (_, a), (ti, b) in itertools.pairwise(order) if b <= a]
    problems += [(("courses", "terms", ti), "terms must come in calendar order")
                 for ti in disordered]
    if order and not disordered and order[-1][1] != len(quarters) - 1:
        problems.append((("courses", "terms", order[-1][0]),
                         f"the last term must end with the year's last quarter "
                         f"('{quarters[-1]}'), when the year's credits are counted"))
    most = len(courses.courses) * len(courses.terms) * courses.credit
    if courses.on_track.credits > most:
        problems.append((("courses", "on_track", "credits"),
                         f"on track needs {courses.on_track.credits:g} credits, but passing "
                         f"every course every term earns only {most:g}"))
    return problems


def view_title(sc: Scenario, view: str | View, group: str | Group | None = None) -> str:
    """A view's title as dashboards and reports show it, e.g. "Reading Benchmark
    Assessment – Hudson Middle School · by subgroup"; ``group`` (a subgroup id or
    "grade-N") names whose strands a strand view shows."""
    v = View.of(view)
    where = sc.district.name if v.school == DISTRICT else sc.school(v.school).name
    if v.subject == ATTENDANCE:
        head = f"Attendance – {where}"
    elif v.subject == IMPLEMENTATION:
        head = f"Implementation of strategies – {where}"
    elif v.subject == COURSES and sc.courses is not None:
        head = f"{sc.courses.name} – {where}"
    else:
        head = f"{sc.subject(v.subject).name} Benchmark Assessment – {where}"
    by = {"grade": " · by grade", "subgroup": " · by subgroup", "strand": " · by strand",
          ABSENCE: " · by attendance"}
    of = f", {Group.of(group).label(sc)}" if group else ""
    return head + by.get(v.breakdown, "") + of


def json_schema() -> dict:
    """The JSON Schema of scenario files (committed as scenarios/scenario.schema.json)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:pmsim:scenario:1"
    return schema
