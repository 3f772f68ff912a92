"""The performance-management routine, defined once: what a meeting is made of.

The agenda's steps, the record kinds and their fields, the forms that write them,
decision actions, targeting, follow-up statuses, partners and stakeholders and the ways
of engaging them, the roles and the session's stages. The meeting room builds its screen
from this; scoring, look-fors, transcripts and reports read it. Headless: no Textual, no
numpy.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, Protocol, get_args

RecordKind = Literal[
    "target",
    "finding",
    "diagnosis",
    "theory",
    "decision",
    "action",
    "consequence",
    "stakeholder",
    "followup",
    "note",
]
RECORD_KINDS: tuple[RecordKind, ...] = get_args(RecordKind)
DecisionAction = Literal["adopt", "continue", "adjust", "stop"]

Options = tuple[tuple[str, str], ...]
"""(label, value) pairs a choice offers."""


# --------------------------------------------------------------------------- fixed vocabularies


@dataclass(frozen=True)
class Action:
    """A decision about a strategy."""

    id: DecisionAction
    label: str
    past: str
    """The past tense, as evidence and reports write it ("adopted")."""
    retargets: bool
    """Whether the decision says whom the strategy serves (else it keeps its targeting)."""


ACTIONS: tuple[Action, ...] = (
    Action("adopt", "Adopt", "adopted", retargets=True),
    Action("continue", "Continue", "continued", retargets=False),
    Action("adjust", "Adjust", "adjusted", retargets=True),
    Action("stop", "Stop", "stopped", retargets=False),
)
ACTION_BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}


def past_tense(action: str) -> str:
    """"adopted" for "adopt"; an unknown action as it is."""
    known = ACTION_BY_ID.get(action)
    return known.past if known else action


def retargeting_hint() -> str:
    """What the decision form says when the chosen action keeps the strategy's targeting."""
    keeps = " or ".join(a.label for a in ACTIONS if not a.retargets).capitalize()
    again = [a.label.lower() for a in ACTIONS if a.retargets and a.id != "adopt"]
    return f"{keeps} keeps whom it serves; {' or '.join(again)} to retarget it"


TARGETING: tuple[str, ...] = ("grades", "subgroups", "capacity")
"""Decision fields that say whom a strategy serves (adopt / adjust); none set: its own."""


@dataclass(frozen=True)
class Status:
    """How far an earlier commitment was carried out."""

    id: str
    label: str


STATUSES: tuple[Status, ...] = (
    Status("done", "Done"),
    Status("partly", "Partly done"),
    Status("not-done", "Not done"),
)


@dataclass(frozen=True)
class Choice:
    """One option of a stakeholder record's fixed choices, with what it means in a line
    (the form's option says it)."""

    id: str
    label: str
    meaning: str


WAYS: tuple[Choice, ...] = (
    Choice("Inform", "Inform", "one-way: letters, reports, the website"),
    Choice("Inquire", "Inquire", "listen: surveys, focus groups"),
    Choice("Involve", "Involve", "work alongside: advisory groups, committees"),
    Choice("Inspire", "Inspire", "make them owners and champions"),
)
"""The ways of engaging partners and stakeholders on results (the four I's), from
telling them to making them owners."""
PARTIES: tuple[Choice, ...] = (
    Choice("partner", "Partner", "brings something to the table, gains from success"),
    Choice("stakeholder", "Stakeholder", "has an interest in the goals"),
)
"""Whom a stakeholder record is about: a partner or a stakeholder (the seed's two)."""
PARTY_BY_ID: dict[str, Choice] = {p.id: p for p in PARTIES}
PARTY_UNSAID = "partner or stakeholder not said"
"""How a stakeholder record that does not say which it is (one saved before records
said) reads."""


def party_of(fields: Mapping[str, Any]) -> Choice | None:
    """Whether a stakeholder record is about a partner or a stakeholder; None when it does
    not say (records saved before the routine asked read so, and still load)."""
    return PARTY_BY_ID.get(str(fields.get("party")))


@dataclass(frozen=True)
class Role:
    """Who a terminal speaks for: a lead, or both at a shared terminal."""

    id: str
    label: str
    player: bool
    """A lead who speaks and answers the poll (not "both", a terminal's mode)."""


ROLES: tuple[Role, ...] = (
    Role("state", "State", player=True),
    Role("district", "District", player=True),
    Role("both", "Both", player=False),
)
PLAYER_ROLES: tuple[str, ...] = tuple(r.id for r in ROLES if r.player)


def role_label(role: str) -> str:
    """A role's short label ("State"); an unknown role title-cased."""
    return next((r.label for r in ROLES if r.id == role), role.title())


FIXED_OPTIONS: dict[str, Options] = {
    "actions": tuple((a.label, a.id) for a in ACTIONS),
    "statuses": tuple((s.label, s.id) for s in STATUSES),
    "ways": tuple((f"{c.label} — {c.meaning}", c.id) for c in WAYS),
    "parties": tuple((f"{c.label} — {c.meaning}", c.id) for c in PARTIES),
}
"""Option lists the routine fixes; the others (metrics, views, strategies, dates, grades,
subgroups) come from the scenario and the session."""
SCENARIO_OPTIONS = ("metrics", "views", "strategies", "dates", "grades", "subgroups")


# --------------------------------------------------------------------------- records and forms

FieldType = Literal["text", "number", "integer", "date", "choice", "choices"]


@dataclass(frozen=True)
class Field:
    """A field a participant fills in."""

    name: str
    label: str
    type: FieldType = "text"
    """"choice" (one option), "choices" (any number), "number", "integer", "date" (ISO,
    checked against the calendar by :func:`due_problem`) or free "text"."""
    options: str = ""
    """For a choice: the option list (a key of FIXED_OPTIONS or SCENARIO_OPTIONS)."""
    required: bool = True
    placeholder: str = ""
    help: str = ""
    """A line the form shows under the field: what it asks for, when its label is not
    enough."""


@dataclass(frozen=True)
class Form:
    """A form of the meeting room that writes one kind of record."""

    id: str
    kind: RecordKind
    title: str
    button: str
    fields: tuple[Field, ...]
    fixed: Mapping[str, str] = field(default_factory=dict)
    """Fields added to every record of this form (e.g. what a finding is about)."""

    def matches(self, kind: str, fields: Mapping[str, Any]) -> bool:
        """Whether a record of ``kind`` with ``fields`` is one this form writes."""
        return kind == self.kind and all(fields.get(k) == v for k, v in self.fixed.items())


@dataclass(frozen=True)
class RecordSpec:
    """A record kind and every field its records may carry."""

    kind: RecordKind
    fields: tuple[str, ...]
    """Fields participants fill in (through a form, or the follow-up rows)."""
    computed: tuple[str, ...] = ()
    """Fields the meeting adds when it saves (e.g. a decision's cost)."""

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(self.fields) | frozenset(self.computed)


TARGET = Form("target", "target", "A measurable target", "Add target", (
    Field("metric", "Metric", "choice", "metrics"),
    Field("baseline", "Baseline", "number", placeholder="filled in from the data"),
    Field("target", "Target", "number", placeholder="e.g. 45"),
    Field("by", "By", "choice", "dates"),
))
PERFORMANCE = Form("perf", "finding", "A finding from the data", "Add finding", (
    Field("view", "From view", "choice", "views"),
    Field("statement", "Finding", placeholder="what the data show"),
), {"about": "performance"})
IMPLEMENTATION = Form("impl", "finding", "A finding about implementation", "Add finding", (
    Field("view", "From view", "choice", "views"),
    Field("statement", "Finding", placeholder="is the strategy done as intended?"),
), {"about": "implementation"})
DIAGNOSIS = Form("diag", "diagnosis", "Diagnosis: what is the problem?", "Add diagnosis", (
    Field("statement", "Diagnosis", placeholder="the need behind the numbers"),
    Field("view", "Evidence", "choice", "views", required=False),
))
THEORY = Form("theory", "theory", "Theory of action", "Add theory", (
    Field("strategy", "Strategy", "choice", "strategies"),
    Field("indicator", "Leading indicator", placeholder="what moves first"),
    Field("outcome", "Outcome", placeholder="the student result it leads to"),
))
DECISION = Form("decision", "decision", "A decision about a strategy", "Decide", (
    Field("strategy", "Strategy", "choice", "strategies"),
    Field("action", "Decision", "choice", "actions"),
    Field("owner", "Owner", placeholder="who leads it"),
    Field("note", "Resources / note", required=False,
          placeholder="e.g. reassign two interventionists"),
    Field("grades", "Grades", "choices", "grades", required=False),
    Field("subgroups", "Subgroups", "choices", "subgroups", required=False),
    Field("capacity", "At most", "integer", required=False,
          placeholder="students (empty: the strategy's own limit)"),
))
ACTION = Form("action", "action", "An action step", "Add action step", (
    Field("step", "Action step", placeholder="what will be done"),
    Field("owner", "Owner"),
    Field("due", "Due", "date", placeholder="YYYY-MM-DD, by the next meeting"),
    Field("metric", "Metric", placeholder="how we will know"),
    Field("target", "Target", placeholder="e.g. 90% of sessions held"),
))
CONSEQUENCE = Form("consequence", "consequence", "Consequence for non-performance",
                   "Add consequence", (
    Field("statement", "Consequence", placeholder="what happens if it is not done"),
    Field("applies_to", "Applies to", required=False, placeholder="whom"),
))
STAKEHOLDER = Form("stakeholder", "stakeholder", "A partner or stakeholder to engage",
                   "Add to the plan", (
    Field("party", "Kind", "choice", "parties", placeholder="Partner or stakeholder?",
          help="A partner brings knowledge, skills or resources to the work and gains when "
               "it succeeds; a stakeholder has an interest in its goals (families, teachers "
               "as a whole, the board, the community)."),
    Field("who", "Who", placeholder="e.g. families of the priority school"),
    Field("think", "Think", required=False,
          placeholder="what you want them to think: the reason, from the results"),
    Field("feel", "Feel", required=False,
          placeholder="what you want them to feel about the work"),
    Field("do", "Do", required=False, placeholder="what you want them to do"),
    Field("how", "Approach", "choice", "ways", placeholder="Inform, Inquire, Involve, Inspire?",
          help="From telling to owning: engage partners as partners (Involve or Inspire), "
               "and move stakeholders from listeners to participants."),
    Field("message", "Message", required=False,
          placeholder="what they will hear about the results, simply put"),
))
FOLLOWUP_FIELDS: tuple[Field, ...] = (
    Field("status", "Status", "choice", "statuses"),
    Field("note", "What happened", required=False, placeholder="what happened"),
)
"""What a follow-up row asks of each earlier action step (its id and step are copied)."""
FORMS: tuple[Form, ...] = (TARGET, PERFORMANCE, IMPLEMENTATION, DIAGNOSIS, THEORY, DECISION,
                           ACTION, CONSEQUENCE, STAKEHOLDER)


def _entered(kind: RecordKind) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for form in FORMS:
        if form.kind == kind:
            names |= dict.fromkeys([*(f.name for f in form.fields), *form.fixed])
    return tuple(names)


RECORDS: dict[str, RecordSpec] = {
    "target": RecordSpec("target", _entered("target"), ("metric_label",)),
    "finding": RecordSpec("finding", _entered("finding")),
    "diagnosis": RecordSpec("diagnosis", _entered("diagnosis")),
    "theory": RecordSpec("theory", _entered("theory")),
    "decision": RecordSpec("decision", _entered("decision"),
                           ("cost", "staff_fte", "students", "serves")),
    "action": RecordSpec("action", _entered("action")),
    "consequence": RecordSpec("consequence", _entered("consequence")),
    "stakeholder": RecordSpec("stakeholder", _entered("stakeholder")),
    "followup": RecordSpec("followup", ("record_id", "step",
                                        *(f.name for f in FOLLOWUP_FIELDS))),
    "note": RecordSpec("note", ("text",)),
}
"""Every record kind with every field it may carry."""


def record_noun(kind: str) -> str:
    """What a record of ``kind`` is called in a sentence ("this action step")."""
    return {"action": "action step", "followup": "follow-up"}.get(kind, kind)


def unknown_fields(kind: str, fields: Mapping[str, Any]) -> list[str]:
    """The fields a record of ``kind`` may not carry, in their order."""
    spec = RECORDS.get(kind)
    return [] if spec is None else [k for k in fields if k not in spec.field_names]


def choice_problems(kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, why) for each field of a ``kind`` record whose value is not one of the options
    the routine fixes for it (a stakeholder's kind and approach, a follow-up's status)."""
    fixed = {f.name: FIXED_OPTIONS[f.options]
             for f in (*(f for form in FORMS if form.kind == kind for f in form.fields),
                       *(FOLLOWUP_FIELDS if kind == "followup" else ()))
             if f.type == "choice" and f.options in FIXED_OPTIONS}
    out = []
    for name, options in fixed.items():
        value = fields.get(name)
        values = [v for _, v in options]
        if name in fields and value not in values:
            out.append((name, f"'{value}' is not a {record_noun(kind)} record's {name} "
                              f"(one of: {', '.join(values)})"))
    return out


def not_a_field(name: str, kinds: Sequence[str]) -> str:
    """Why a field that no record of ``kinds`` defines is refused, with the closest name."""
    defined = sorted(set().union(*(RECORDS[k].field_names for k in kinds)))
    close = difflib.get_close_matches(name, defined, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (it has: {', '.join(defined)})"
    article = "an" if kinds[0][:1] in tuple("aeiou") else "a"
    return f"'{name}' is not a field of {article} {' or '.join(kinds)} record{hint}"


# --------------------------------------------------------------------------- the agenda


@dataclass(frozen=True)
class Step:
    """A step of the meeting's agenda."""

    id: str
    title: str
    intro: str
    forms: tuple[Form, ...] = ()
    kinds: tuple[RecordKind, ...] = ()
    """Record kinds shown here that no form of the step writes (follow-ups)."""
    from_second_meeting: bool = False
    """Only meaningful once there is an earlier meeting (opened first there)."""


STEPS: tuple[Step, ...] = (
    Step("targets", "Goal and targets",
         "Agree measurable targets: a metric, its baseline, a target and a date.", (TARGET,)),
    Step("followup", "Follow-up",
         "Go through the commitments of the previous meeting one by one.",
         kinds=("followup",), from_second_meeting=True),
    Step("performance", "Performance",
         "Performance against the targets, disaggregated: tie each finding to the data view "
         "it came from (F3 opens the dashboard).", (PERFORMANCE,)),
    Step("implementation", "Implementation",
         "Quality data on implementation, not only outcomes: fidelity, students served, "
         "take-up.", (IMPLEMENTATION,)),
    Step("problem", "Problem-solving",
         "Diagnosis, and a theory of action: strategy → leading indicator → outcome.",
         (DIAGNOSIS, THEORY)),
    Step("decisions", "Decisions",
         "Adopt, continue, adjust or stop strategies; direct resources; name an owner.",
         (DECISION,)),
    Step("actions", "Action steps",
         "Owner, due date, metric and target for each step; consequences for "
         "non-performance.", (ACTION, CONSEQUENCE)),
    Step("stakeholders", "Stakeholders",
         "Partners, who bring something to the table and gain from success, and "
         "stakeholders, who have an interest: for each, what you want them to think, feel "
         "and do about the results, and the way to reach them (Inform, Inquire, Involve, "
         "Inspire).",
         (STAKEHOLDER,)),
)
OTHER_RECORDS_STEP = "problem"
"""Where records no step claims (notes, a finding about neither) are listed."""


def step_of(kind: str, fields: Mapping[str, Any]) -> str:
    """The agenda step whose minutes list a record."""
    for step in STEPS:
        if kind in step.kinds or any(form.matches(kind, fields) for form in step.forms):
            return step.id
    return OTHER_RECORDS_STEP


# --------------------------------------------------------------------------- one-line summaries


def _text(value: object, missing: str = "") -> str:
    if value is None:
        return missing
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or missing
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip() or missing


def record_summary(kind: str, f: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line for a record as evidence quotes it; blank fields left out, "?" for missing."""
    def g(key: str) -> str:
        return _text(f.get(key), "?")

    def opt(key: str, template: str) -> str:
        value = _text(f.get(key))
        return template.format(value) if value else ""

    strategy = names.get(str(f.get("strategy")), g("strategy"))
    if kind == "target":
        return (f"target {_text(f.get('metric_label')) or g('metric')}: {g('baseline')} → "
                f"{g('target')} by {g('by')}")
    if kind in ("finding", "diagnosis"):
        return f"{kind} '{g('statement')}'" + opt("view", " [{}]")
    if kind == "theory":
        return f"theory {strategy} → {g('indicator')} → {g('outcome')}"
    if kind == "decision":
        return f"{past_tense(g('action'))} {strategy}" + opt("owner", ", owner {}")
    if kind == "action":
        parts = [_text(f.get("owner")), opt("due", "by {}")]
        measure = ": ".join(x for x in (_text(f.get("metric")), _text(f.get("target"))) if x)
        detail = ", ".join(x for x in parts if x) + (f"; {measure}" if measure else "")
        return f"'{g('step')}'" + (f" ({detail})" if detail.strip("; ") else "")
    if kind == "consequence":
        return f"consequence '{g('statement')}'" + opt("applies_to", " ({})")
    if kind == "stakeholder":
        return stakeholder_summary(f)
    if kind == "followup":
        return f"follow-up '{g('step')}' — {g('status')}"
    return f"{kind}: " + ", ".join(f"{k} {_text(v)}" for k, v in f.items())


def minutes_line(kind: str, f: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line for a record in the meeting's minutes: what evidence quotes, plus what the
    meeting added (a decision's cost and whom it serves, a message, a note)."""
    def opt(key: str, template: str) -> str:
        value = _text(f.get(key))
        return template.format(value) if value else ""

    if kind == "target":
        return record_summary(kind, f, names).removeprefix("target ")
    if kind in ("finding", "diagnosis", "consequence"):
        head = "statement"
        tail = opt("applies_to", " ({})") if kind == "consequence" else opt("view", "  [{}]")
        return f"{_text(f.get(head), '?')}{tail}"
    if kind == "theory":
        return record_summary(kind, f, names).removeprefix("theory ")
    if kind == "decision":
        action = ACTION_BY_ID.get(str(f.get("action")))
        cost = f.get("cost")
        money = (f", ${cost:,.0f}, {f.get('staff_fte', 0):g} FTE"
                 if isinstance(cost, int | float) else "")
        students = f", {f['students']} students" if isinstance(f.get("students"), int) else ""
        return (f"{action.label if action else _text(f.get('action'))} "
                f"{names.get(str(f.get('strategy')), '')}{opt('serves', ' — serves {}')}"
                f" — owner {_text(f.get('owner'), '?')}{money}{students}")
    if kind == "action":
        return action_step_line(f)
    if kind == "stakeholder":
        party = party_of(f)
        aims = "; ".join(f"{name}: {_text(f.get(name))}" for name in THINK_FEEL_DO
                         if _text(f.get(name)))
        return ((f"{party.label}: " if party else "")
                + f"{_text(f.get('who'), '?')} — {_text(f.get('how'), '?')}"
                + ("" if party else f" ({PARTY_UNSAID})")
                + (f" · {aims}" if aims else "") + opt("message", " · message: {}"))
    if kind == "followup":
        status = {s.id: s.label for s in STATUSES}.get(str(f.get("status")), f.get("status"))
        return f"{_text(f.get('step'), '?')} — {_text(status, '?')}" + opt("note", ": {}")
    return ", ".join(f"{k}: {_text(v)}" for k, v in f.items())


THINK_FEEL_DO: tuple[str, ...] = ("think", "feel", "do")
"""What a stakeholder record says you want them to think, feel and do."""


def stakeholder_summary(f: Mapping[str, Any]) -> str:
    """A partner or stakeholder as evidence quotes it: who, which, how, and which of
    Think / Feel / Do are said."""
    party = party_of(f)
    said = [name.title() for name in THINK_FEEL_DO if _text(f.get(name))]
    detail = [party.id if party else PARTY_UNSAID, _text(f.get("how"), "?")]
    if said:
        detail.append("/".join(said))
    return f"'{_text(f.get('who'), '?')}' ({', '.join(detail)})"


def action_step_line(f: Mapping[str, Any]) -> str:
    """An action step as the minutes show it."""
    return f"{_text(f.get('step'), '?')} — {action_step_detail(f)}"


def action_step_detail(f: Mapping[str, Any]) -> str:
    """Who does an action step, by when, and how it is measured (the next meeting's
    follow-up shows it under the step)."""
    return (f"{_text(f.get('owner'), '?')}, by {_text(f.get('due'), '?')}; "
            f"{_text(f.get('metric'), '?')}: {_text(f.get('target'), '?')}")


# --------------------------------------------------------------------------- stages


class _Meeting(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def after_quarter(self) -> str: ...


class _Quarter(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def ends_at(self) -> float: ...


class _SchoolYear(Protocol):
    @property
    def starts(self) -> date: ...
    @property
    def ends(self) -> date: ...


class _Calendar(Protocol):
    @property
    def meetings(self) -> Sequence[_Meeting]: ...
    @property
    def quarters(self) -> Sequence[_Quarter]: ...
    @property
    def school_year(self) -> _SchoolYear: ...


# --------------------------------------------------------------------------- due dates

def short_title(title: str) -> str:
    """ "Meeting #1" of "Meeting #1 — end of Q2": how a meeting is named in a sentence."""
    return title.split(" —")[0]


YEAR_END = "the end of the school year"


def calendar_date(calendar: _Calendar, year_fraction: float) -> date:
    """The day of the scenario's school year a year fraction falls on (1.0 is its last day).

    Quarters end at year fractions; the calendar's ``school_year`` says which days those are,
    so an action step's due date is a real date inside the scenario's year."""
    start, end = calendar.school_year.starts, calendar.school_year.ends
    return start + timedelta(days=round(min(max(year_fraction, 0.0), 1.0) * (end - start).days))


def meeting_date(calendar: _Calendar, meeting_id: str) -> date:
    """The day a meeting is held: the end of the quarter it follows."""
    meeting = next(m for m in calendar.meetings if m.id == meeting_id)
    return calendar_date(calendar, next(q.ends_at for q in calendar.quarters
                              if q.id == meeting.after_quarter))


def due_window(calendar: _Calendar, meeting_id: str) -> tuple[date, date, str]:
    """When an action step agreed at ``meeting_id`` may fall due: from the meeting to the
    next meeting (where it is followed up) or, after the last meeting, the end of the
    year; with what that limit is, for messages."""
    ids = [m.id for m in calendar.meetings]
    after = ids.index(meeting_id) + 1
    if after < len(ids):
        nxt = calendar.meetings[after]
        return (meeting_date(calendar, meeting_id), meeting_date(calendar, nxt.id),
                short_title(nxt.title))
    return meeting_date(calendar, meeting_id), calendar.school_year.ends, YEAR_END


def default_due(calendar: _Calendar, meeting_id: str) -> str:
    """The due date a new action step starts with: the day of the next follow-up."""
    return due_window(calendar, meeting_id)[1].isoformat()


def due_problem(calendar: _Calendar, meeting_id: str, text: str) -> str | None:
    """Why ``text`` is not a due date for an action step of ``meeting_id``, or None."""
    first, last, limit = due_window(calendar, meeting_id)
    try:
        due = date.fromisoformat(text.strip())
    except ValueError:
        return (f"Due: '{text.strip()}' is not a date; write it as YYYY-MM-DD, "
                f"e.g. {last.isoformat()}")
    if due < first:
        return f"Due: {due.isoformat()} is before this meeting ({first.isoformat()})"
    if due > last:
        why = ("" if limit == YEAR_END else
               ", where it is followed up: an action step is due by then")
        return f"Due: {due.isoformat()} is after {limit} ({last.isoformat()}){why}"
    return None


StageKind = Literal["briefing", "meeting", "debrief", "end"]
_DEBRIEF = re.compile(r"debrief-([1-9][0-9]*)")


@dataclass(frozen=True)
class Stage:
    """Where a session is: before the first meeting, at a meeting, in the debrief after
    one, or at the end of the year.

    Stored as text in ``stage.changed`` events, as sessions always have: "briefing", the
    meeting's id, "debrief-N" (after the N-th meeting of the calendar, from 1) or "end".
    """

    kind: StageKind
    meeting: str | None = None
    """The meeting held (kind "meeting") or just closed (kind "debrief")."""
    number: int = 0
    """That meeting's place in the calendar, from 1."""

    @classmethod
    def parse(cls, calendar: _Calendar, text: str) -> Stage:
        """The stage a stored text names; unknown text is the briefing (where a session
        starts), so a session whose scenario lost a meeting still opens."""
        ids = [m.id for m in calendar.meetings]
        if text == "end":
            return cls("end")
        if text in ids:
            return cls("meeting", text, ids.index(text) + 1)
        debrief = _DEBRIEF.fullmatch(text)
        if debrief and int(debrief[1]) <= len(ids):
            n = int(debrief[1])
            return cls("debrief", ids[n - 1], n)
        return cls("briefing")

    @property
    def text(self) -> str:
        """The stored form."""
        if self.kind == "meeting":
            return str(self.meeting)
        if self.kind == "debrief":
            return f"debrief-{self.number}"
        return self.kind

    @property
    def screen(self) -> str:
        """The screen a terminal following the session shows at this stage."""
        return {"meeting": "meeting", "debrief": "changes", "end": "changes"}.get(
            self.kind, "briefing")

    @property
    def between_meetings(self) -> bool:
        """After a meeting closed: its debrief is open."""
        return self.kind in ("debrief", "end")


def stage_after_closing(calendar: _Calendar, meeting_id: str) -> Stage:
    """The stage once ``meeting_id`` is closed: its debrief, or the end after the last."""
    ids = [m.id for m in calendar.meetings]
    n = ids.index(meeting_id) + 1
    return Stage("end") if n == len(ids) else Stage("debrief", meeting_id, n)
