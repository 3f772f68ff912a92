"""Debrief scoring: the Performance Management Framework rubric, with its rules as data.

Facilitators argue about rubrics, so the look-fors live in ``lookfors.yaml`` (and a
scenario's ``debrief`` section), not in code. Each look-for names one check from
the small vocabulary below (records, views, decisions, resources, follow-up, course
correction) and two templates. This module only evaluates checks and fills the
templates from facts of *this* session's simulation, so a missed opportunity says
what the data showed ("at Q2 English learners were 9.4% on benchmark against 33.0%
overall"), not a generic tip. Templates are filled by plain substitution: nothing
in a rule file is ever evaluated as code.

Each sub-element (A1 … D3) and each routine quality is rated from the weighted
share of its applicable look-fors that were met (see ``level_for``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from simulator.debrief.models import Debrief, LookForResult, Rating
from simulator.formats.lookfors import (
    DECIDED_STRATEGY,
    PLACEHOLDER,
    Condition,
    LookFor,
    lookfors_for,
)
from simulator.formats.refs import Metric, View
from simulator.formats.routine import past_tense, record_summary
from simulator.formats.rubric import (
    ROUTINE_ELEMENT,
    ROUTINES,
    SUB_ELEMENTS,
    element_of,
    level_for,
)
from simulator.formats.scenario import Meeting, Scenario
from simulator.session.state import Record, SessionState, plan_of

if TYPE_CHECKING:
    import numpy as np

    from simulator.engine.pricing import Priced
    from simulator.engine.simulation import Simulation

FAVOURED_TAG = "favoured-by-district"

_NOTHING = "nothing was recorded"
MOST_LISTED = 4
"""Records or views a single evidence or missed line lists before "and N more"."""


@dataclass(frozen=True)
class Played:
    """A session replayed once: its simulation through the closed meetings and, at
    each meeting the replay reached, the strategies running before its decisions
    (their students, replication 0, and adoption quarter) and, where it decided
    something, what it left in play priced at that meeting
    (:func:`simulator.engine.pricing.at_meetings`)."""

    sim: Simulation
    running: dict[str, dict[str, tuple[np.ndarray, int]]]
    priced: dict[str, Priced]


def play(scenario: Scenario, state: SessionState) -> Played:
    """Replay ``state`` once for :func:`score` (the simulation is
    ``simulate(scenario, state.seed, plan_of(state))``'s); its open meeting's
    decisions are priced too."""
    from simulator.engine.pricing import at_meetings
    from simulator.engine.simulation import Simulation

    sim = Simulation(scenario, seed=state.seed)
    running: dict[str, dict[str, tuple[np.ndarray, int]]] = {}

    def before(meeting: Meeting) -> None:
        running[meeting.id] = {sid: (act.served[0].copy(), act.adopted_at)
                               for sid, act in sim.active.items()}

    priced = at_meetings(scenario, state.seed, plan_of(state), decided=state.decisions,
                         at_meeting=before, sim=sim)
    return Played(sim, running, {p.meeting: p for p in priced})


def score(
    scenario: Scenario,
    state: SessionState,
    *,
    upto_meeting: str | None = None,
    played: Played | None = None,
) -> Debrief:
    """Rate a session on every sub-element and routine quality.

    ``upto_meeting`` scores only what was done up to and including that meeting
    (the debrief after Meeting #1). ``played`` is the session replayed
    (:func:`play`) if the caller has it.
    """
    ctx = _Context(scenario, state, upto_meeting, played or play(scenario, state))
    by_element: dict[str, list[tuple[LookFor, _Outcome]]] = {}
    for lookfor in lookfors_for(scenario.debrief):
        by_element.setdefault(lookfor.element, []).append((lookfor, ctx.evaluate(lookfor)))
    elements = [
        _rating(eid, element_of(eid), name, by_element.get(eid, []))
        for eid, name in SUB_ELEMENTS.items()
    ]
    routine = [
        _rating(rid, ROUTINE_ELEMENT, name, by_element.get(rid, []))
        for rid, name in ROUTINES.items()
    ]
    return Debrief(upto_meeting=upto_meeting, elements=elements, routine=routine)


def _rating(
    rid: str, element: str, name: str, results: list[tuple[LookFor, _Outcome]]
) -> Rating:
    points = sum(lf.weight for lf, o in results if o.status == "met")
    max_points = sum(lf.weight for lf, o in results if o.status != "n/a")
    evidence = [o.evidence for _, o in results if o.status == "met"]
    missed = [o.missed for _, o in results if o.status == "missed"]
    if max_points == 0:
        missed.append("No look-for of this element applies yet.")
    return Rating(
        id=rid, element=element, name=name, level=level_for(points, max_points),
        points=points, max_points=max_points, evidence=evidence, missed=missed,
        lookfors=[LookForResult(id=lf.id, status=o.status, weight=lf.weight,
                                description=lf.description) for lf, o in results],
    )


@dataclass
class _Outcome:
    status: Literal["met", "missed", "n/a"]
    evidence: str = ""
    missed: str = ""


@dataclass
class _Found:
    """What a check found for one group of meetings."""

    ok: bool
    found: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)


class _Context:
    """One session being scored: its scope, its simulation, and the facts drawn from it."""

    def __init__(
        self, sc: Scenario, state: SessionState, upto: str | None, played: Played
    ) -> None:
        self.sc = sc
        self.state = state
        meetings = sc.calendar.meetings
        ids = [m.id for m in meetings]
        if upto is not None and upto not in ids:
            close = difflib.get_close_matches(upto, ids, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"no meeting '{upto}'{hint}; meetings: {', '.join(ids)}")
        last = ids.index(upto) if upto is not None else self._last_reached(ids)
        self.scope: list[Meeting] = meetings[: last + 1]
        self.scope_ids = [m.id for m in self.scope]
        self.index = {m: i for i, m in enumerate(ids)}
        self.names = {s.id: s.name for s in sc.strategies}
        self.sim = played.sim
        self.snapshots = played.running
        """Per meeting, each running strategy's students and start, before its decisions."""
        self.priced = played.priced
        """Per meeting that decided, what it left in play, priced once at that meeting
        (``pricing.priced_at``): later quarters' data never move the figure."""
        self.records = sorted(
            ((rid, r) for rid, r in state.records.items() if r.meeting in self.scope_ids),
            key=lambda item: item[1].seq,
        )
        self.views = self._attributed_views()
        self.values = _pattern_values(sc)
        self.facts = _Facts(self).all()
        self.judged: dict[tuple, str] = {}

    # ----------------------------------------------------------------- scope

    def _last_reached(self, ids: list[str]) -> int:
        """The last meeting closed or written in; the first one when none was."""
        reached = [self.index_of(m, ids) for m in self.state.closed_meetings]
        reached += [self.index_of(r.meeting, ids) for r in self.state.records.values()]
        reached += [self.index_of(m, ids) for m, made in self.state.decisions.items() if made]
        return max((i for i in reached if i is not None), default=0)

    @staticmethod
    def index_of(meeting: str, ids: list[str]) -> int | None:
        return ids.index(meeting) if meeting in ids else None

    def groups(self, scope: str) -> list[list[str]] | None:
        """The meeting groups a check looks at, each on its own; None when none applies."""
        ids = self.scope_ids
        if scope == "any":
            return [ids]
        if scope == "first":
            return [ids[:1]]
        if scope == "later":
            return [ids[1:]] if len(ids) > 1 else None
        return [[m] for m in ids]

    def label(self, meetings: Iterable[str]) -> str:
        titles = [self.meeting_label(m) for m in meetings]
        return " and ".join(titles) if len(titles) < 3 else ", ".join(titles)

    def meeting_label(self, meeting_id: str) -> str:
        meeting = next(m for m in self.sc.calendar.meetings if m.id == meeting_id)
        return meeting.title.split(" — ")[0]

    def quarter_of(self, meeting_id: str) -> int:
        meeting = next(m for m in self.sc.calendar.meetings if m.id == meeting_id)
        return self.sc.quarter_index(meeting.after_quarter)

    # ----------------------------------------------------------------- views

    def _attributed_views(self) -> list[tuple[str, str, str | None, int]]:
        """(view, meeting, quarter label, event seq) for each view opened while a scored
        meeting was on.

        A view showing a quarter belongs to the first meeting at or after that
        quarter; one showing none (a roster) to the meeting of what came just before.
        """
        sc = self.sc
        quarters: dict[str, int] = {}
        for i, q in enumerate(sc.calendar.quarters):
            quarters[q.id.lower()] = quarters[q.label.lower()] = i
        meeting_quarters = [sc.quarter_index(m.after_quarter) for m in sc.calendar.meetings]
        anchors: list[tuple[int, int]] = [
            (r.seq, self.index[r.meeting]) for r in self.state.records.values()
            if r.meeting in self.index
        ]
        seen: list[tuple[int, str, int, str | None]] = []
        for v in self.state.views_opened:
            qi = quarters.get((v.quarter or "").lower())
            if qi is None:
                continue
            mi = next((i for i, mq in enumerate(meeting_quarters) if mq >= qi),
                      len(meeting_quarters))
            anchors.append((v.seq, mi))
            seen.append((v.seq, v.view, mi, v.quarter))
        anchors.sort()
        for v in self.state.views_opened:
            if v.quarter is None or (v.quarter or "").lower() not in quarters:
                before = [mi for seq, mi in anchors if seq < v.seq]
                seen.append((v.seq, v.view, before[-1] if before else 0, v.quarter))
        seen.sort()
        ids = [m.id for m in sc.calendar.meetings]
        return [(view, ids[mi], quarter, seq)
                for seq, view, mi, quarter in seen if mi < len(self.scope)]

    def opened_by(self, view: str, meeting_id: str) -> bool:
        limit = self.index[meeting_id]
        return any(v == view and self.index[m] <= limit for v, m, _, _ in self.views)

    # ----------------------------------------------------------------- evaluation

    def evaluate(self, lookfor: LookFor) -> _Outcome:
        when = lookfor.when
        check = getattr(self, f"_check_{when.check}")
        found: list[_Found] | None = check(when)
        if found is None:
            return _Outcome("n/a")
        met = all(f.ok for f in found)
        if when.absent:
            met = not any(f.ok for f in found)
        judged = self._judged_before(lookfor, met, found)
        if judged is not None:
            note = f"See {judged}: the same decisions, judged there."
            return _Outcome("met", evidence=note) if met else _Outcome("missed", missed=note)
        facts = dict(self.facts)
        facts.update(self.check_facts)
        items = [x for f in found for x in f.found]
        failing = [x for f in found for x in f.failing]
        facts.update(
            found=_listing(items) or "nothing",
            failing=_listing(failing) or _NOTHING,
            count=str(len(items)),
        )
        if met:
            return _Outcome("met", evidence=fill(lookfor.evidence, facts))
        return _Outcome("missed", missed=fill(lookfor.missed, facts))

    def _judged_before(self, lookfor: LookFor, met: bool, found: list[_Found]) -> str | None:
        """The element an earlier look-for judged the very same aim in (``targets_need`` on
        the same decisions, with the same result), so the judgement is stated once; None
        for the first. Its status still counts here, only the sentence is not repeated."""
        when = lookfor.when
        if when.check != "decision" or not when.targets_need:
            return None
        key = (tuple(when.actions), tuple(when.tagged), when.meetings, met,
               tuple(x for f in found for x in (*f.found, *f.failing)))
        earlier = self.judged.get(key)
        if earlier is None:
            self.judged[key] = lookfor.element
        return earlier

    # Each check returns one _Found per meeting group, or None when it does not apply;
    # it may set check_facts (``meeting`` and check-specific ones) for the templates.
    check_facts: dict[str, str]

    def _begin(self, when: Condition) -> list[list[str]] | None:
        groups = self.groups(when.meetings)
        flat = [m for g in groups for m in g] if groups else []
        self.check_facts = {"meeting": self.label(dict.fromkeys(flat))}
        return groups

    def _check_record(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        matchers = self._matchers(when)
        if groups is None or matchers is None:
            return None
        where, match, reject = matchers
        out = []
        for group in groups:
            candidates = [
                r for _, r in self.records
                if r.meeting in group and r.kind in when.kind and _all_match(r.fields, where)
            ]
            passing, failing = [], []
            for r in candidates:
                reasons = self._record_reasons(r, when, match, reject)
                text = self.summary(r)
                if reasons:
                    failing.append(f"{text}: {', '.join(reasons)}")
                else:
                    passing.append(text)
            ok = _met(when, len(candidates), passing, failing)
            if not candidates and len(groups) > 1:
                failing.append(f"nothing at {self.meeting_label(group[0])}")
            out.append(_Found(ok, passing, failing))
        return out

    def _record_reasons(
        self, r: Record, when: Condition, match: dict[str, list[re.Pattern]],
        reject: dict[str, list[re.Pattern]],
    ) -> list[str]:
        f = r.fields
        reasons = [f"no {name}" for name in when.has if _blank(f.get(name))]
        reasons += [f"{name} is not a number" for name in when.numbers
                    if not _blank(f.get(name)) and _number(f.get(name)) is None]
        for name, patterns in match.items():
            if not any(p.fullmatch(_text(f.get(name))) for p in patterns):
                reasons.append(f"{name} is not {' or '.join(when.match[name])}")
        for name, patterns in reject.items():
            value = _text(f.get(name))
            if value and any(p.fullmatch(value) for p in patterns):
                reasons.append(f"{name} '{value}' is too vague")
        if when.view_opened:
            view = f.get("view")
            if _blank(view):
                reasons.append("cites no view")
            elif not self.opened_by(str(view), r.meeting):
                reasons.append(f"cites {view}, which was not opened")
        if when.decided:
            strategy = f.get("strategy")
            made = [d for d in self.state.decisions.get(r.meeting, [])
                    if d["strategy"] == strategy and d["action"] in when.decided]
            if not made:
                verbs = " or ".join(past_tense(a) for a in when.decided)
                reasons.append(f"{self.names.get(str(strategy), strategy)} was not {verbs} "
                               f"at {self.meeting_label(r.meeting)}")
        if when.improving or when.baseline_within is not None:
            reasons += self._target_reasons(r, when)
        return reasons

    def _target_reasons(self, r: Record, when: Condition) -> list[str]:
        f = r.fields
        baseline, target = _number(f.get("baseline")), _number(f.get("target"))
        metric = str(f.get("metric", ""))
        reasons = []
        if baseline is None:
            return ["no baseline"]
        if when.improving:
            lower_is_better = _lower_is_better(metric)
            if target is None or (target >= baseline if lower_is_better else target <= baseline):
                reasons.append("the target does not improve on the baseline")
        if when.baseline_within is not None:
            from simulator.engine.metrics import metric_value

            actual = metric_value(self.sim, metric, self.quarter_of(r.meeting))
            if actual is None:
                reasons.append(f"no data for metric '{metric}'")
            elif abs(actual - baseline) > when.baseline_within:
                reasons.append(f"baseline {baseline:g} but the data showed {actual:.1f}")
        return reasons

    def _check_view(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        # Alternatives naming what this scenario lacks drop out; with none left (or none
        # given) the look-for does not apply.
        patterns = [p for p in (compile_pattern(q, self.values) for q in when.pattern)
                    if p is not None]
        if groups is None or (when.pattern and not patterns):
            return None
        out = []
        for group in groups:
            found: dict[str, str] = {}
            for view, meeting, quarter, _ in self.views:
                if meeting in group and any(p.fullmatch(view) for p in patterns):
                    when_seen = f"{quarter}, " if quarter else ""
                    found.setdefault(view, f"{view} ({when_seen}{self.meeting_label(meeting)})")
            failing = [] if found or len(groups) == 1 else [
                f"none at {self.meeting_label(group[0])}"]
            out.append(_Found(len(found) >= when.at_least, list(found.values()), failing))
        return out

    def _check_decision(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        if groups is None or ((when.addresses_need is not None or when.targets_need)
                              and not self.sc.needs):
            return None
        out = []
        for group in groups:
            candidates = []
            for meeting in group:
                for d in self.state.decisions.get(meeting, []):
                    if self._decision_counts(d, when):
                        candidates.append((meeting, d))
            if when.viewed:  # only what the meeting had in play to look at
                candidates = [(m, d) for m, d in candidates
                              if d["strategy"] in self.snapshots.get(m, {})]
            passing, failing = [], []
            for meeting, d in candidates:
                text = self.decision_summary(meeting, d)
                seen = self._viewed_before(meeting, d, when.viewed) if when.viewed else ""
                if when.has_record and not any(
                    r.meeting == meeting and r.kind == when.has_record
                    and r.fields.get("strategy") == d["strategy"] for _, r in self.records
                ):
                    failing.append(f"{text}: no {when.has_record} record for it")
                elif seen is None:
                    failing.append(f"{text} without opening "
                                   f"{' or '.join(self._patterns_for(d, when.viewed))} first")
                else:
                    passing.append(text + seen)
            ok = _met(when, len(candidates), passing, failing)
            out.append(_Found(ok, passing, failing))
        return out

    def _patterns_for(self, d: dict[str, Any], patterns: list[str]) -> list[str]:
        """``viewed`` patterns as a sentence names them: ``{strategy}`` the decision's
        strategy, any other name ``*``."""
        return [PLACEHOLDER.sub("*", p.replace("{" + DECIDED_STRATEGY + "}", d["strategy"]))
                for p in patterns]

    def _viewed_before(self, meeting: str, d: dict[str, Any], patterns: list[str]
                       ) -> str | None:
        """", after opening VIEW (QUARTER)" for the first view matching ``patterns``
        (``{strategy}``: the decision's) opened at ``meeting`` before the decision standing
        there was taken; None when there was none."""
        values = {**self.values, DECIDED_STRATEGY: [d["strategy"]]}
        compiled = [compile_pattern(p, values) for p in patterns]
        taken = max((made.seq for made in self.state.made.get(meeting, [])
                     if made.payload["strategy"] == d["strategy"]), default=0)
        for view, at, quarter, seq in self.views:
            if at == meeting and seq < taken and any(
                    p is not None and p.fullmatch(view) for p in compiled):
                return f", after opening {view}" + (f" ({quarter})" if quarter else "")
        return None

    def _decision_counts(self, d: dict[str, Any], when: Condition) -> bool:
        strategy = next((s for s in self.sc.strategies if s.id == d["strategy"]), None)
        if strategy is None or (when.actions and d["action"] not in when.actions):
            return False
        if when.tagged and not set(when.tagged) & set(strategy.tags):
            return False
        addresses = any(v > 0 for v in strategy.need_effects.values())
        if when.addresses_need is not None and addresses != when.addresses_need:
            return False
        return not when.targets_need or self._targets_need(strategy, d)

    def _targets_need(self, strategy, d: dict[str, Any]) -> bool:
        """The decision aims a need-remediating strategy at a need's students: whom it serves
        (the decision's grades and subgroups, else the strategy's own) is narrowed to the
        need's subgroups or to its grades, and neither strays outside the need. The one fact
        behind every look-for about aiming (``targets_need``), so they cannot disagree. A
        need among chronically absent students is aimed at by its grades and subgroups too:
        no strategy serves students by their attendance."""
        opts = d.get("options", {})
        grades = set(opts.get("grades") or strategy.serves.grades)
        groups = set(opts.get("subgroups") or strategy.serves.subgroups)
        for need in self.sc.needs:
            if strategy.need_effects.get(need.id, 0) <= 0:
                continue
            need_grades, need_groups = set(need.grades), set(need.subgroups)
            narrowed = ((bool(need_groups) and bool(groups) and groups <= need_groups)
                        or (bool(need_grades) and bool(grades) and grades <= need_grades))
            strays = ((need_grades and grades and not grades & need_grades)
                      or (need_groups and groups and not groups & need_groups))
            if narrowed and not strays:
                return True
        return False

    def _check_resources(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        if groups is None:
            return None
        after = {m: self._fits(priced) for m, priced in self.priced.items()
                 if m in self.scope_ids}
        out = []
        for group in groups:
            checked = [(m, after[m]) for m in group if m in after]
            if not checked:
                continue
            ok = all(fits for _, (fits, _) in checked)
            texts = [f"after {self.meeting_label(m)}: {text}" for m, (_, text) in checked]
            out.append(_Found(ok, texts if ok else [],
                              [t for t, (_, (fits, _)) in zip(texts, checked, strict=True)
                               if not fits]))
        return out or None

    def _fits(self, priced: Priced) -> tuple[bool, str]:
        """Whether the strategies in play after a meeting fit its budget and staff, at the
        price fixed at that meeting (the figure the meeting room showed)."""
        p = priced.price
        names = ", ".join(self.names.get(s, s) for s in priced.strategies) or "no strategy"
        text = (f"{names} — ${p.cost:,.0f} of ${priced.budget:,.0f} and {p.staff_fte:g} of "
                f"{priced.staff_fte:g} FTE")
        return priced.fits, text

    def _check_followed_up(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        matchers = self._matchers(when)
        if groups is None or matchers is None:
            return None
        where = matchers[0]
        ids = [m.id for m in self.sc.calendar.meetings]
        out, previous, checked = [], [], []
        for group in groups:
            for meeting in group:
                i = self.index[meeting]
                if i == 0:
                    continue
                prev = ids[i - 1]
                due = [(rid, r) for rid, r in self.records
                       if r.meeting == prev and r.kind == "action" and _all_match(r.fields, where)]
                if not due:
                    continue
                previous.append(prev)
                checked.append(meeting)
                done = {str(r.fields.get("record_id")): r for _, r in self.records
                        if r.meeting == meeting and r.kind == "followup"}
                found = [f"'{_text(r.fields.get('step'))}' — "
                         f"{_text(done[rid].fields.get('status')) or 'no status'}"
                         for rid, r in due if rid in done]
                failing = [f"'{_text(r.fields.get('step'))}' "
                           f"({_text(r.fields.get('owner')) or 'no owner'}, "
                           f"due {_text(r.fields.get('due')) or 'no date'})"
                           for rid, r in due if rid not in done]
                out.append(_Found(not failing, found, failing))
        self.check_facts["previous"] = self.label(dict.fromkeys(previous))
        self.check_facts["meeting"] = self.label(checked)
        return out or None

    def _check_course_correction(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        if groups is None:
            return None
        actions = when.actions or ["adjust", "stop"]
        out, checked = [], []
        for group in groups:
            for meeting in group:
                if self.index[meeting] == 0:
                    continue
                lagging = self._lagging(meeting, when)
                if not lagging:
                    continue
                checked.append(meeting)
                acted = {d["strategy"]: d["action"] for d in self.state.decisions.get(meeting, [])
                         if d["action"] in actions}
                found = [f"{text} — {past_tense(acted[sid])} at {self.meeting_label(meeting)}"
                         for sid, text in lagging.items() if sid in acted]
                failing = [text for sid, text in lagging.items() if sid not in acted]
                out.append(_Found(not failing, found, failing))
        self.check_facts["meeting"] = self.label(checked)
        return out or None

    def _check_targets_reviewed(self, when: Condition) -> list[_Found] | None:
        groups = self._begin(when)
        if groups is None:
            return None
        out, checked = [], []
        for group in groups:
            for meeting in group:
                earlier = [r for _, r in self.records
                           if r.kind == "target" and self.index[r.meeting] < self.index[meeting]]
                if not earlier:
                    continue
                checked.append(meeting)
                found, failing = [], []
                for r in earlier:
                    text = self.summary(r)
                    views = [v for v, m, _, _ in self.views
                             if m == meeting and _shows_metric(v, str(r.fields.get("metric")))]
                    if _number(r.fields.get("baseline")) is None:
                        failing.append(f"{text}: no baseline to measure progress from")
                    elif not views:
                        failing.append(f"{text}: its data were not opened")
                    else:
                        found.append(f"{text}, against {views[0]} at "
                                     f"{self.meeting_label(meeting)}")
                out.append(_Found(not failing, found, failing))
        self.check_facts["meeting"] = self.label(checked)
        return out or None

    def _lagging(self, meeting: str, when: Condition) -> dict[str, str]:
        """Strategies running at a meeting whose implementation or results lagged, and why."""
        from simulator.engine.pricing import short_of

        q = self.quarter_of(meeting)
        history = self.sim.history
        if q >= len(history):
            return {}
        result = history[q]
        snapshot = self.snapshots.get(meeting, {})
        label = result.quarter.label
        out = {}
        for sid, imp in result.implementation.items():
            if not imp.running or sid not in snapshot:
                continue
            name = self.names.get(sid, sid)
            fidelity = float(imp.fidelity.mean())
            bar, why = self._fidelity_bar(sid, imp.quarters_running, when.fidelity_below)
            if fidelity < bar:
                out[sid] = f"{name} ran at {fidelity:.2f} fidelity at {label} ({why})"
                continue
            if short_of(imp.staff_assigned, imp.staff_needed):
                out[sid] = (f"{name} had {imp.staff_assigned:g} of the {imp.staff_needed:g} "
                            f"FTE it needs at {label}")
                continue
            gain = self._gain(sid, snapshot[sid], q)
            if gain is not None and gain[0] < when.gain_below_sd:
                _, points, since = gain
                out[sid] = (f"{name} ran at {fidelity:.2f} fidelity, yet at {label} its "
                            f"students stood {abs(points):.1f} points "
                            f"{'further below' if points < 0 else 'closer to'} the benchmark "
                            f"cut than at {since}")
        return out

    def _fidelity_bar(self, sid: str, quarters_running: int, floor: float) -> tuple[float, str]:
        """The fidelity a strategy should have reached by now, and why in words: the
        look-for's floor, or its scenario's own ramp-up when that plans less for this
        quarter (the engine's :func:`~simulator.engine.simulation.planned_fidelity`). A
        strategy on its designed ramp is not lagging; staff shortfalls and events that cut
        fidelity are not in the design, so they show."""
        from simulator.engine.simulation import planned_fidelity  # numpy: only when scoring

        planned = planned_fidelity(self.sc.strategy(sid), quarters_running)
        if planned < floor:
            return planned, (f"under the {planned:.2f} its ramp-up plans in quarter "
                             f"{max(quarters_running, 1)} of running")
        return floor, f"under {floor:g}"

    def _gain(
        self, sid: str, snap: tuple[np.ndarray, int], q: int
    ) -> tuple[float, float, str] | None:
        """Best gain (SD, points, from-quarter) of a strategy's students against the cut."""
        served, adopted_at = snap
        strategy = self.sc.strategy(sid)
        start = adopted_at + strategy.lag_quarters - 1
        history = self.sim.history
        if not strategy.subjects or start < 0 or start >= q or not served.any():
            return None
        subjects = [s.id for s in self.sc.subjects]
        best: tuple[float, float] | None = None
        for subject_id in strategy.subjects:
            j = subjects.index(subject_id)
            sd = _mean_sd(self.sc.subject(subject_id))
            series: list[tuple[int | None, int]] = [(None, j)]
            for need in self.sc.needs:
                if (need.subject == subject_id and need.strand is not None
                        and strategy.need_effects.get(need.id, 0) > 0):
                    strands = [s.id for s in self.sc.subject(subject_id).strands]
                    series.append((strands.index(need.strand), j))
            for k, jj in series:
                points = _relative(history[q], jj, k, served) - _relative(
                    history[start], jj, k, served)
                if best is None or points / sd > best[0]:
                    best = (points / sd, points)
        assert best is not None
        return best[0], best[1], history[start].quarter.label

    # ----------------------------------------------------------------- helpers

    def _matchers(self, when: Condition) -> tuple[dict, dict, dict] | None:
        """Each setting's patterns per field, compiled. A pattern naming what this scenario
        lacks (a need's subgroup when its need names only grades) is an alternative that
        drops out; a field of ``where`` or ``match`` left with none makes the look-for not
        apply (a ``reject`` left with none rejects nothing)."""
        compiled = []
        for setting in (when.where, when.match, when.reject):
            table = {k: [c for c in (compile_pattern(p, self.values) for p in v) if c is not None]
                     for k, v in setting.items()}
            if setting is not when.reject and any(v and not table[k]
                                                  for k, v in setting.items()):
                return None
            compiled.append(table)
        return compiled[0], compiled[1], compiled[2]

    def summary(self, r: Record) -> str:
        return record_summary(r.kind, r.fields, self.names)

    def decision_summary(self, meeting: str, d: dict[str, Any]) -> str:
        opts = d.get("options") or {}
        groups = {g.id: g.name for g in self.sc.subgroups}
        aim = []
        if opts.get("grades"):
            aim.append("grades " + ", ".join(str(g) for g in opts["grades"]))
        if opts.get("subgroups"):
            aim.append(", ".join(groups.get(g, str(g)) for g in opts["subgroups"]))
        if opts.get("capacity"):
            aim.append(f"up to {opts['capacity']} students")
        aimed = f" for {'; '.join(aim)}" if aim else ""
        return (f"{past_tense(d['action'])} "
                f"{self.names.get(d['strategy'], d['strategy'])}{aimed} "
                f"at {self.meeting_label(meeting)}")


# --------------------------------------------------------------------------- facts


class _Facts:
    """The data facts templates may cite, from the session's own simulation."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        sc = ctx.sc
        self.sim = ctx.sim
        self.school_index = next(i for i, s in enumerate(sc.schools) if s.priority)
        self.school = sc.schools[self.school_index]
        need = sc.needs[0] if sc.needs else None
        self.subject = sc.subject(need.subject) if need else sc.subjects[0]
        self.j = [s.id for s in sc.subjects].index(self.subject.id)
        last = len(self.sim.history) - 1
        self.q_first = min(ctx.quarter_of(ctx.scope_ids[0]), last)
        self.q_now = min(ctx.quarter_of(ctx.scope_ids[-1]), last)

    def all(self) -> dict[str, str]:
        from simulator.engine.metrics import attendance_stat, school_masks, score_stat

        sc, sim, ctx = self.ctx.sc, self.sim, self.ctx
        pop = sim.population
        masks = school_masks(pop, self.school_index)
        first, now = sim.history[self.q_first], sim.history[self.q_now]
        j = self.j

        def pct(result, mask) -> float:
            return score_stat(result.scores[j], result.cuts[j], mask).pct_proficient

        groups = {g.id: pct(first, masks[g.id]) for g in sc.subgroups if masks[g.id].any()}
        gap_id = min(groups, key=lambda g: groups[g]) if groups else "all"
        gap_name = next((g.name for g in sc.subgroups if g.id == gap_id), "all students")
        facts = {
            "school": self.school.name,
            "subject": self.subject.name.lower(),
            "quarter": first.quarter.label,
            "pct_all": _pct(pct(first, masks["all"])),
            "below_share": f"{round((100 - pct(first, masks['all'])) / 10):.0f} in 10",
            "gap_group": gap_name,
            "gap_pct": _pct(groups.get(gap_id, pct(first, masks["all"]))),
            "quarter_now": now.quarter.label,
            "pct_all_now": _pct(pct(now, masks["all"])),
            "gap_pct_now": _pct(pct(now, masks[gap_id])),
            "budget": f"${sc.resources.budget:,.0f}",
            "staff": f"{sc.resources.staff_fte:g} FTE",
            "decided": ", ".join(dict.fromkeys(
                ctx.names.get(d["strategy"], d["strategy"])
                for m in ctx.scope_ids for d in ctx.state.decisions.get(m, [])
                if d["action"] != "stop")) or "none",
            "favoured": ", ".join(s.name for s in sc.strategies if FAVOURED_TAG in s.tags)
            or "none",
        }
        facts |= self._strands(first, masks[gap_id], score_stat)
        facts |= self._attendance(first, masks["all"], attendance_stat)
        facts["implementation"] = self._implementation(now)
        return facts

    def _strands(self, result, mask, score_stat) -> dict[str, str]:
        strands = self.subject.strands
        if not strands:
            return {"strand": self.subject.name, "strand_mean": "—", "other_strands_mean": "—"}
        means = [score_stat(result.strand_scores[self.j][k], result.cuts[self.j], mask).mean_score
                 for k in range(len(strands))]
        weakest = min(range(len(strands)), key=lambda k: means[k])
        others = [m for k, m in enumerate(means) if k != weakest]
        return {
            "strand": strands[weakest].name,
            "strand_mean": f"{means[weakest]:.1f}",
            "other_strands_mean": f"{sum(others) / len(others):.1f}" if others else "—",
        }

    def _attendance(self, result, in_school, attendance_stat) -> dict[str, str]:
        sc, pop = self.ctx.sc, self.sim.population
        threshold = sc.population.attendance.chronic_threshold
        by_grade = {g: attendance_stat(result, threshold, in_school & (pop.grade == g))
                    for g in sc.grades if (in_school & (pop.grade == g)).any()}
        worst = max(by_grade, key=lambda g: by_grade[g].pct_chronic)
        others = in_school & (pop.grade != worst)
        return {
            "chronic_grade": f"grade {worst}",
            "chronic_grade_pct": _pct(by_grade[worst].pct_chronic),
            "chronic_other_pct": _pct(attendance_stat(result, threshold, others).pct_chronic)
            if others.any() else "—",
        }

    def _implementation(self, result) -> str:
        running = [
            f"{self.ctx.names.get(sid, sid)} ran at {float(imp.fidelity.mean()):.2f} fidelity "
            f"for {float(imp.served.mean()):.0f} students"
            for sid, imp in result.implementation.items() if imp.running
        ]
        if not running:
            return f"no strategy was running at {result.quarter.label}"
        return f"at {result.quarter.label} " + "; ".join(running)


def _pct(value: float) -> str:
    return "—" if value != value else f"{value:.1f}%"


def _mean_sd(subject) -> float:
    return sum(subject.student_sd.values()) / len(subject.student_sd)


def _relative(result, j: int, strand: int | None, served) -> float:
    """Mean score of the served students against their benchmark cut (replication 0)."""
    scores = result.scores[j, 0] if strand is None else result.strand_scores[j][strand, 0]
    return float((scores - result.cuts[j])[served].mean())


def _lower_is_better(metric: str) -> bool:
    """A target on chronic absence improves downwards; a malformed key counts as upwards."""
    try:
        return Metric.parse(metric).lower_is_better
    except ValueError:
        return False


def _shows_metric(view: str, metric: str) -> bool:
    """Whether a dashboard view shows a target metric (``MEASURE:SUBJECT:SCHOOL:GROUP``)."""
    try:
        return View.parse(view).shows(Metric.parse(metric))
    except ValueError:
        return False


# --------------------------------------------------------------------------- text


def _met(when: Condition, candidates: int, passing: list[str], failing: list[str]) -> bool:
    """``each``: every candidate passes (and there are enough); else enough pass."""
    if when.each:
        return candidates >= when.at_least and not failing
    return len(passing) >= when.at_least


def _listing(items: list[str], most: int = MOST_LISTED) -> str:
    """Items joined for a sentence; long lists end with how many more there were."""
    unique = list(dict.fromkeys(items))
    shown = "; ".join(unique[:most])
    rest = len(unique) - most
    return f"{shown}; and {rest} more" if rest > 0 else shown


def fill(template: str, facts: dict[str, str]) -> str:
    """Replace each ``{name}`` by its fact; plain substitution, never evaluation."""
    return PLACEHOLDER.sub(lambda m: facts.get(m[1], m[0]), template)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _blank(value: object) -> bool:
    return _text(value) == ""


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        return None


def _all_match(fields: dict[str, Any], where: dict[str, list[re.Pattern]]) -> bool:
    return all(any(p.fullmatch(_text(fields.get(k))) for p in ps) for k, ps in where.items())


# --------------------------------------------------------------------------- patterns


def _pattern_values(sc: Scenario) -> dict[str, list[str]]:
    """What each ``{name}`` of a pattern stands for in this scenario."""
    def unique(items: Iterable[object]) -> list[str]:
        return list(dict.fromkeys(str(i) for i in items))

    needs = sc.needs
    return {
        "subject": [s.id for s in sc.subjects],
        "school": [s.id for s in sc.schools] + ["district"],
        "priority": [s.id for s in sc.priority_schools],
        "subgroup": [g.id for g in sc.subgroups],
        "grade": unique(sc.grades),
        "need_subject": unique(n.subject for n in needs),
        "need_strand": unique(n.strand for n in needs if n.strand),
        "need_subgroup": unique(g for n in needs for g in n.subgroups),
        "need_grade": unique(g for n in needs for g in (n.grades or sc.grades)),
        "evidence_view": unique(e.view for t in sc.hidden_truths for e in t.evidence),
        "agency": [sc.state.short_name, sc.state.name, "state"],
    }


def compile_pattern(pattern: str, values: dict[str, list[str]]) -> re.Pattern | None:
    """A case-insensitive regex for a glob with ``{name}`` alternatives; None when a
    name has no value in this scenario (the look-for then does not apply)."""
    out = []
    for part in re.split(r"(\{[a-z_]+\}|\*)", pattern):
        if part == "*":
            out.append(".*")
        elif PLACEHOLDER.fullmatch(part):
            options = values.get(part[1:-1], [])
            if not options:
                return None
            out.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)

