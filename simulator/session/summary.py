"""What closing a meeting commits and what it leaves undone: the close dialog's summary.

Closing is the one step a pair cannot take back once the quarters are simulated, so
the meeting room asks with this summary first: the strategies that will run, with
what they take, and what the routine expects but the minutes lack. What counts as
missing is read from the routine (its agenda steps, forms and required fields), so
a new step or field is asked about without a change here. Headless: the meeting
room renders it; tests read it without Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.engine.playthrough import decision_problem, feasible
from simulator.engine.pricing import Price, fits, in_play, price, price_after, total
from simulator.formats.routine import (
    ACTION_BY_ID,
    FORMS,
    STEPS,
    past_tense,
    record_summary,
    short_title,
    step_of,
)
from simulator.session.state import Record, SessionState

if TYPE_CHECKING:
    from simulator.engine.simulation import Simulation
    from simulator.formats.scenario import Meeting, Scenario


@dataclass(frozen=True)
class Resources:
    """Budget and staff the strategies in play need, against what the district has."""

    needed: Price
    budget: float
    staff_fte: float

    @property
    def over(self) -> bool:
        return not fits(self.needed, self.budget, self.staff_fte)

    def text(self) -> str:
        """Two lines, as the meeting room's panel shows them."""
        return (f"Budget ${self.needed.cost:,.0f} of ${self.budget:,.0f}\n"
                f"Staff {self.needed.staff_fte:g} of {self.staff_fte:g} FTE")


def resources(sim: Simulation, decisions: list[dict[str, Any]]) -> Resources:
    """What the strategies running in ``sim`` take after a meeting's ``decisions``
    (``decision.made`` payloads; one the simulation cannot carry out changes nothing)."""
    q = max(sim.quarters_done - 1, 0)
    return Resources(price_after(sim, feasible(sim, decisions)), sim.budget_available(q),
                     sim.staff_available(q))


@dataclass(frozen=True)
class InPlay:
    """A strategy that runs after the meeting, how the meeting left it, and its price."""

    name: str
    how: str
    """ "adopted", "adjusted", "continued" or "running, no decision"."""
    price: Price

    def line(self) -> str:
        return (f"{self.name} — {self.how}: ${self.price.cost:,.0f}, "
                f"{self.price.staff_fte:g} FTE, {self.price.students} students")


@dataclass(frozen=True)
class ClosingSummary:
    """What closing ``meeting`` does, and what its minutes lack."""

    meeting: str
    title: str
    """The meeting's short title, e.g. "Meeting #1"."""
    then: str
    """What happens after the close, e.g. "time passes until Meeting #2"."""
    running: tuple[InPlay, ...]
    """Strategies in play after the meeting (empty before the first quarters are simulated)."""
    stopped: tuple[str, ...]
    """Names of the strategies the meeting stops."""
    resources: Resources | None
    missing: tuple[str, ...]
    """What the routine expects and the minutes lack, one sentence each."""


def closing_summary(sc: Scenario, state: SessionState, sim: Simulation | None,
                    meeting: str) -> ClosingSummary:
    """The summary of closing ``meeting``; ``sim`` stands at it (None: not simulated yet)."""
    meetings = sc.calendar.meetings
    ids = [m.id for m in meetings]
    i = ids.index(meeting)
    then = (f"time passes until {short_title(meetings[i + 1].title)}" if i + 1 < len(ids)
            else "the rest of the year plays out")
    names = {s.id: s.name for s in sc.strategies}
    decided = state.decisions.get(meeting, [])
    missing = _missing(state, meeting, meetings[i - 1] if i else None, names)
    running: tuple[InPlay, ...] = ()
    stopped: tuple[str, ...] = ()
    money = None
    if sim is not None:
        for d in decided:
            problem = decision_problem(sim, d["strategy"], d["action"])
            if problem:
                action = ACTION_BY_ID.get(d["action"])
                missing.append(f"{action.label if action else d['action']} "
                               f"{names.get(d['strategy'], d['strategy'])} will not take "
                               f"effect: {problem}")
        before = {sid: act.decision for sid, act in sim.active.items()}
        after = in_play(before, feasible(sim, decided))
        how = {d["strategy"]: past_tense(d["action"]) for d in decided}
        running = tuple(InPlay(names.get(sid, sid), how.get(sid, "running, no decision"),
                               price(sim, d)) for sid, d in after.items())
        stopped = tuple(names.get(sid, sid) for sid in before if sid not in after)
        q = max(sim.quarters_done - 1, 0)  # priced once: the lines above already hold them
        money = Resources(total(p.price for p in running), sim.budget_available(q),
                          sim.staff_available(q))
        if money.over:
            missing.append(f"The strategies in play need more than the district has: "
                           f"{money.text().replace(chr(10), ', ')}")
    return ClosingSummary(meeting, short_title(meetings[i].title), then, running, stopped,
                          money, tuple(missing))


def _missing(state: SessionState, meeting: str, previous: Meeting | None,
             names: dict[str, str]) -> list[str]:
    """Agenda steps with nothing recorded, commitments not followed up, and records
    without a field their form requires (an owner, a due date)."""
    records = sorted(((rid, r) for rid, r in state.records.items() if r.meeting == meeting),
                     key=lambda item: item[1].seq)
    by_step = {step_of(r.kind, r.fields) for _, r in records}
    missing: list[str] = []
    for n, step in enumerate(STEPS, start=1):
        if step.from_second_meeting:
            if previous is not None:
                missing += _not_followed_up(state, meeting, previous)
        elif step.id not in by_step:
            missing.append(f"Nothing recorded under {n}. {step.title}")
    for _, record in records:
        missing += _incomplete(record, names)
    return missing


def _not_followed_up(state: SessionState, meeting: str, previous: Meeting) -> list[str]:
    done = {r.fields.get("record_id") for r in state.records.values()
            if r.meeting == meeting and r.kind == "followup"}
    return [f"No follow-up of '{r.fields.get('step', '?')}' ({short_title(previous.title)})"
            for rid, r in sorted(state.records.items(), key=lambda item: item[1].seq)
            if r.meeting == previous.id and r.kind == "action" and rid not in done]


def _incomplete(record: Record, names: dict[str, str]) -> list[str]:
    form = next((f for f in FORMS if f.matches(record.kind, record.fields)), None)
    if form is None:
        return []
    lacking = [f.label.lower() for f in form.fields
               if f.required and record.fields.get(f.name) in (None, "", [])]
    if not lacking:
        return []
    return [f"{form.title} without {' or '.join(lacking)}: "
            f"{record_summary(record.kind, record.fields, names)}"]
