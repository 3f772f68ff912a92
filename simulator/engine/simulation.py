"""The simulation engine: ``Simulation(scenario, seed).advance()`` one quarter at a time.

State is held as numpy arrays with a leading replications axis ``R``: latent
ability ``(J, R, N)`` for J subjects and N students, remediation of hidden needs
``(K, R, N)``, absences ``(R, N)``. A quarter is a handful of whole-array
operations; there is no per-student Python loop.

The data-generating model (see facilitator_guide/published-figures.md and the scenario's
cited sources):

* ability (SD units against the national norm) = school effect + capped
  subgroup gaps + student residual (population.py);
* each quarter: ``Δability = slope·dt + wobble − absence cost − unmet-need
  penalty + Σ strategy effect × fidelity × take-up × served × dt``;
* attendance: days missed ≈ Poisson(days × propensity), each costing
  ``cost_per_day_sd``;
* observed score = norm mean(grade, time) + ability × student SD + error with
  the test's SEM; strand scores likewise with the strand SEM and the hidden
  need's strand shift.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

from simulator.engine.memory import CHUNK_ELEMENTS, memory_problem
from simulator.engine.population import Population, build_population
from simulator.engine.streams import stream
from simulator.formats.scenario import Courses, Event, Meeting, Quarter, Scenario, Strategy

Action = Literal["adopt", "continue", "adjust", "stop"]
ACTIONS: tuple[Action, ...] = ("adopt", "continue", "adjust", "stop")


class SimulationError(ValueError):
    """A decision the scenario cannot carry out (unknown strategy, wrong time)."""


@dataclass(frozen=True)
class Decision:
    """What a meeting decides about one strategy."""

    strategy: str
    action: Action = "adopt"
    grades: tuple[int, ...] | None = None
    """Override of the strategy's grades (adopt / adjust)."""
    subgroups: tuple[str, ...] | None = None
    """Override of the strategy's subgroups (adopt / adjust)."""
    capacity: int | None = None
    """Override of the strategy's capacity (adopt / adjust)."""


@dataclass(frozen=True)
class Implementation:
    """Implementation data for one strategy in one quarter, per replication."""

    strategy: str
    running: bool
    """False while the strategy is still in its lag (hiring, training)."""
    quarters_running: int
    fidelity: np.ndarray  # (R,) measured fidelity, 0..1
    served: np.ndarray  # (R,) students assigned
    took_up: np.ndarray  # (R,) students receiving the intended dosage
    staff_needed: float
    staff_assigned: float
    cost: np.ndarray  # (R,) dollars for the rest of the year


@dataclass(frozen=True)
class CourseResult:
    """A quarter's course grades (scenarios with a ``courses`` section), per replication
    and student; zeros for students outside the course grades."""

    failures: np.ndarray  # (R, N) int8 course grades failed this quarter
    core_failures: np.ndarray  # (R, N) int8 of them, in core courses
    credits: np.ndarray  # (R, N) float32 credits earned so far this year
    term_failures: np.ndarray  # (R, N) int8 failed final (term) grades in core courses so far
    final: bool
    """Whether this quarter's grades are final: a term ends with it."""
    terms_left: int
    """Terms still to end after this quarter."""

    def on_track(self, courses: Courses) -> np.ndarray:
        """(R, N) bool: on track for the year's bar as things stand. Grades of a term still
        running count as if they were final; the credits the courses passing now would
        earn in the terms still to end count as earned."""
        failed = self.term_failures if self.final else self.term_failures + self.core_failures
        open_terms = self.terms_left + (0 if self.final else 1)
        passing = np.int8(len(courses.courses)) - self.failures
        reach = self.credits + np.float32(courses.credit * open_terms) * passing
        # A little slack below the bar: credits are sums of float32 halves.
        return (failed <= courses.on_track.max_failures) & (
            reach >= np.float32(courses.on_track.credits - 1e-4))


@dataclass(frozen=True)
class QuarterResult:
    """Everything observable at the end of one quarter."""

    index: int
    quarter: Quarter
    scores: np.ndarray  # (J, R, N) float32 observed benchmark scores
    strand_scores: tuple[np.ndarray, ...]  # per subject: (S_j, R, N) float32
    cuts: np.ndarray  # (J, N) float32 proficiency cut for each student's grade, this window
    absences: np.ndarray  # (R, N) int16 days missed this quarter
    absences_ytd: np.ndarray  # (R, N) int16 days missed so far this year
    days_ytd: int
    implementation: dict[str, Implementation]
    events: tuple[Event, ...]
    courses: CourseResult | None = None
    """Course grades, for a scenario with a ``courses`` section."""


@dataclass
class _Active:
    strategy: Strategy
    adopted_at: int  # quarter index from which it runs (before lag)
    served: np.ndarray  # (R, N) bool
    taken: np.ndarray  # (R, N) float32, 1.0 where served and taking up
    decision: Decision


@dataclass
class _Tables:
    """Per-student constants looked up once: norms, spreads and cuts by grade."""

    norm: list[np.ndarray]  # per quarter: (J, N)
    cut: list[np.ndarray]  # per quarter: (J, N)
    sd: np.ndarray  # (J, N)
    start_norm: np.ndarray  # (J, N) at the start of the year
    start_cut: np.ndarray  # (J, N) at the start of the year
    absence_cost: np.ndarray  # (N,) float32 cost per day missed beyond the typical, SD units
    strand_sem: list[np.ndarray]  # per subject: (S_j, 1) float32 each strand's SEM
    strand_shift: list[np.ndarray]  # per subject: (S_j, N) float32 strand offset x student SD
    score_shift: list[dict[int, np.ndarray]]  # per subject, per hidden need: (N,) score shift
    strand_need_shift: list[dict[int, tuple[int, np.ndarray]]]
    """Per subject, per hidden need of one of its strands: that strand and its (N,) shift."""


@dataclass
class _Buffers:
    """The arrays of one quarter's result, as the quarter writes them."""

    scores: np.ndarray  # (J, R, N) float32
    strand_scores: list[np.ndarray]  # per subject: (R, S_j, N) float32
    absences: np.ndarray  # (R, N) int16
    absences_ytd: np.ndarray  # (R, N) int16


@dataclass
class _Scratch:
    """A chunk's float32 temporaries, made once per simulation and reused chunk after
    chunk and quarter after quarter: no allocation, nor fresh memory to fault in, per
    chunk."""

    days: np.ndarray  # (rows, N) days missed, then their cost
    growth: np.ndarray  # (rows, J, N) the growth of each subject
    term: np.ndarray  # (rows, N) one term of a sum (a penalty, a strategy's gain)
    base: np.ndarray  # (rows, N) the score before its measurement error
    err: np.ndarray  # (rows, N) a subject's measurement error


@dataclass
class _Step:
    """One quarter's inputs, streams and outputs, shared by its chunks of replications."""

    q: int
    dt: float
    implementation: dict[str, Implementation]
    lam: np.ndarray  # (N,) float32 days each student is expected to miss this quarter
    lam_sqrt: np.ndarray  # (N,) its square root: the spread of the days missed
    remediated: tuple[bool, ...]  # per hidden need: remediated in an earlier quarter
    remediates: tuple[bool, ...]  # per hidden need: a strategy remediates it this quarter
    attendance: np.random.Generator
    growth: np.random.Generator
    measurement: list[np.random.Generator]  # per subject: its strands' or its own stream
    scores: np.ndarray  # (J, R, N)
    strand_scores: list[np.ndarray]  # per subject: (R, S_j, N)
    absences: np.ndarray  # (R, N)
    absences_ytd: np.ndarray  # (R, N) the days missed so far, this quarter's included
    typical_days: np.float32  # days a student typically misses in a quarter
    growth_sd: np.ndarray  # (J, 1) float32 spread of the quarter's wobble per subject
    slope_dt: np.ndarray  # (J, N) float32 each student's expected growth this quarter
    penalties: list[list[tuple[int, np.float32]]]  # per subject: (need, growth penalty)
    gains: list[list[tuple[str, np.ndarray]]]  # per subject: (strategy, (R, 1) effect x dt)
    remediation_gains: list[list[tuple[str, np.ndarray]]]  # per need: (strategy, (R, 1))
    mean_sem: list[np.float32]  # per subject: the SEM of the mean of its strands' errors


def planned_fidelity(strategy: Strategy, quarters_running: int) -> float:
    """The fidelity the scenario designs for a strategy in its ``quarters_running``-th
    quarter of running (1 = its first): ``fidelity.start`` rising evenly to ``full`` over
    ``quarters_to_full`` quarters, the ramp the engine applies before noise, staff and
    events (and the bar the debrief judges implementation against)."""
    f = strategy.fidelity
    k = max(quarters_running - 1, 0)
    return f.start + (f.full - f.start) * min(1.0, k / f.quarters_to_full)


class Simulation:
    """One scenario, one seed, R replications, stepped a quarter at a time."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 1,
        replications: int = 1,
        *,
        keep_history: bool = True,
        population: Population | None = None,
    ) -> None:
        if replications < 1:
            raise SimulationError("replications must be at least 1")
        if (problem := memory_problem(scenario, replications)) is not None:
            raise SimulationError(problem)
        self.scenario = scenario
        self.seed = seed
        self.replications = replications
        self.keep_history = keep_history
        self.population = population or build_population(scenario, seed)
        pop = self.population
        r, n, j = replications, pop.n, len(scenario.subjects)
        self.ability = np.broadcast_to(pop.ability[:, None, :], (j, r, n)).astype(np.float32)
        self.remediation = np.zeros((len(scenario.needs), r, n), dtype=np.float32)
        self._remediated: tuple[bool, ...] = (False,) * len(scenario.needs)
        """Per hidden need: whether any strategy has remediated it yet (else its
        remediation is all zeros, and who still has it is the population's own)."""
        self.absences_ytd = np.zeros((r, n), dtype=np.int16)
        # Course credits and failed term grades so far (no memory without courses).
        graded = (r, n) if scenario.courses is not None else (0, 0)
        self.credits = np.zeros(graded, dtype=np.float32)
        self.term_failures = np.zeros(graded, dtype=np.int8)
        self.active: dict[str, _Active] = {}
        self.decisions: list[tuple[int, Decision]] = []
        self.history: list[QuarterResult] = []
        self.latest: QuarterResult | None = None
        self.quarters_done = 0
        self._tables = self._build_tables()
        self._scratch: _Scratch | None = None
        self._released: list[_Buffers] = []
        """Arrays of released results, which a later quarter writes over (:meth:`release`)."""
        self._latest_buffers: _Buffers | None = None

    # ------------------------------------------------------------------ calendar

    @property
    def quarters(self) -> list[Quarter]:
        return self.scenario.calendar.quarters

    @property
    def finished(self) -> bool:
        return self.quarters_done >= len(self.quarters)

    def meeting_due(self) -> Meeting | None:
        """The meeting held now (at the end of the last quarter simulated), if any."""
        if self.quarters_done == 0:
            return None
        last = self.quarters[self.quarters_done - 1].id
        return next((m for m in self.scenario.calendar.meetings if m.after_quarter == last), None)

    def run_until_meeting(
        self, on_quarter: Callable[[Quarter], None] | None = None
    ) -> list[QuarterResult]:
        """Advance until the next meeting is due or the year ends.

        ``on_quarter`` is told of each quarter before it is simulated (for progress).
        """
        results: list[QuarterResult] = []
        while not self.finished:
            if on_quarter is not None:
                on_quarter(self.quarters[self.quarters_done])
            results.append(self.advance())
            if self.meeting_due() is not None:
                break
        return results

    def fork(self) -> Simulation:
        """An independent copy that shares what never changes (scenario, population,
        lookup tables, past results), so plans can branch from a shared prefix."""
        twin = copy.copy(self)
        # Neither may write over what the other can still read: no buffers are shared,
        # and the latest result, which both hold, can be released by neither.
        twin._scratch = None
        self._released, twin._released = [], []
        self._latest_buffers = twin._latest_buffers = None
        twin.ability = self.ability.copy()
        twin.remediation = self.remediation.copy()
        twin.absences_ytd = self.absences_ytd.copy()
        # Credits and failures are replaced, never written into: sharing them is safe.
        twin.active = dict(self.active)
        twin.decisions = list(self.decisions)
        twin.history = list(self.history)
        return twin

    # ------------------------------------------------------------------ decisions

    def decide(self, decisions: list[Decision]) -> None:
        """Apply a meeting's decisions; they take effect from the next quarter."""
        for d in decisions:
            self.check_decision(d)
        if any(d.action in ("adopt", "adjust") for d in decisions):
            # Choosing whom a strategy serves takes memory: give back released results'
            # arrays first (all but the latest's, which is read here), so that memory at a
            # meeting stays what it would be without releasing.
            self._released = [b for b in self._released if b is self._latest_buffers]
        for d in decisions:
            self.decisions.append((self.quarters_done, d))
            if d.action == "stop":
                self.active.pop(d.strategy, None)
            elif d.action == "continue":
                continue
            elif d.action == "adjust" and d.strategy in self.active:
                old = self.active[d.strategy]
                served, taken = self._select(old.strategy, d)
                self.active[d.strategy] = _Active(old.strategy, old.adopted_at, served, taken, d)
            else:
                strategy = self.scenario.strategy(d.strategy)
                served, taken = self._select(strategy, d)
                self.active[d.strategy] = _Active(strategy, self.quarters_done, served, taken, d)

    def check_decision(self, d: Decision) -> None:
        if self.finished:
            raise SimulationError("the year is over: no more decisions can take effect")
        known = [s.id for s in self.scenario.strategies]
        if d.strategy not in known:
            import difflib

            close = difflib.get_close_matches(d.strategy, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SimulationError(
                f"unknown strategy '{d.strategy}'{hint}; known: {', '.join(known)}"
            )
        if d.action not in ACTIONS:
            raise SimulationError(f"unknown action '{d.action}'; use one of {', '.join(ACTIONS)}")
        if d.action in ("continue", "stop") and d.strategy not in self.active:
            raise SimulationError(f"cannot {d.action} '{d.strategy}': it is not running")
        if d.grades is not None and not set(d.grades) <= set(self.scenario.grades):
            raise SimulationError(f"grades {list(d.grades)} are not all in the scenario")
        groups = {g.id for g in self.scenario.subgroups}
        if d.subgroups is not None and not set(d.subgroups) <= groups:
            raise SimulationError(f"subgroups {list(d.subgroups)} are not all in the scenario")

    def reach(self, d: Decision) -> int:
        """Students the decision would serve if made now (replication 0, before take-up)."""
        strategy = self.scenario.strategy(d.strategy)
        return int(np.count_nonzero(self._served(strategy, d, replications=1)[0]))

    def _served(self, strategy: Strategy, d: Decision, replications: int | None = None
                ) -> np.ndarray:
        """Who the strategy serves (R, N), or in the first ``replications`` only: its schools,
        the decision's grades and subgroups (else its own), below the cut at the latest
        benchmark when it targets by data, lowest scorers first up to its capacity."""
        sc, pop = self.scenario, self.population
        r = self.replications if replications is None else replications
        serves = strategy.serves
        grades = d.grades if d.grades is not None else serves.grades
        subgroups = d.subgroups if d.subgroups is not None else serves.subgroups
        capacity = d.capacity if d.capacity is not None else serves.capacity
        eligible = np.broadcast_to(pop.eligible(serves.schools, grades, subgroups), (r, pop.n))
        subject_id = serves.below_cut or (strategy.subjects[0] if strategy.subjects else None)
        j = [s.id for s in sc.subjects].index(subject_id) if subject_id else 0
        score, cut = self._latest_scores(j)
        score = score[:r]
        served = eligible & (score < cut) if serves.below_cut else eligible.copy()
        rank = score - cut
        if serves.chronically_absent:
            absent, days = self._absent_so_far()
            served &= absent[:r]
            # Most days missed first (the ranking below takes the smallest); days are whole
            # numbers, so ties go to the student who tends to miss more (else a capacity
            # would serve every student tied at the cut-off).
            rank = -(days[:r] + self.population.absence_p)
        if capacity is not None and capacity < pop.n:
            # Lowest ranked first: the capacity-th smallest masked rank per replication.
            masked = np.where(served, rank, np.inf)
            k = min(capacity, pop.n) - 1
            kth = np.partition(masked, k, axis=1)[:, k : k + 1]
            served &= masked <= kth
        return served

    def _select(self, strategy: Strategy, d: Decision) -> tuple[np.ndarray, np.ndarray]:
        """Who is served (R, N) and who takes up (R, N), fixed when decided."""
        served = self._served(strategy, d)
        rng = stream(self.seed, "take-up", strategy.id, self.quarters_done)
        draws = rng.random((self.replications, self.population.n), dtype=np.float32)
        taken = served & (draws < strategy.take_up)
        return served, taken.astype(np.float32)

    def _absent_so_far(self) -> tuple[np.ndarray, np.ndarray]:
        """Who is chronically absent so far this year (R, N) bool, and a measure of days
        missed (R, N) float32 to rank them by: from the latest quarter, or before any
        from each student's tendency (the share of days they tend to miss)."""
        att = self.scenario.population.attendance
        latest = self.latest
        if latest is None:
            p = self.population.absence_p
            shape = (self.replications, self.population.n)
            return (np.broadcast_to(p >= np.float32(att.chronic_threshold), shape),
                    np.broadcast_to(p, shape))
        days = latest.absences_ytd.astype(np.float32)
        return days >= np.float32(att.chronic_threshold * latest.days_ytd), days

    def _latest_scores(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        if self.latest is not None:
            return self.latest.scores[j], self.latest.cuts[j]
        # Before any benchmark: a screening score from the start-of-year ability.
        rng = stream(self.seed, "screening")
        t = self._tables
        noise = rng.standard_normal(self.ability.shape[1:], dtype=np.float32)
        score = t.start_norm[j] + self.ability[j] * t.sd[j] + self.scenario.scale.sem * noise
        return score, t.start_cut[j]

    # ------------------------------------------------------------------ a quarter

    def advance(self) -> QuarterResult:
        """Simulate the next quarter and return what its benchmark shows.

        The replications are stepped a chunk at a time (:data:`CHUNK_ELEMENTS`): each
        stream draws the chunks one after the other, which gives the same numbers as one
        draw for all replications, and every other operation is per element, so the bytes
        do not depend on the chunk size. The temporaries stay in the processor's cache and
        their memory stays bounded whatever the replications.
        """
        if self.finished:
            raise SimulationError("the year is over: every quarter has been simulated")
        sc = self.scenario
        q = self.quarters_done
        quarter = self.quarters[q]
        r, n = self.replications, self.population.n
        events = tuple(e for e in sc.events if e.quarter == quarter.id)
        implementation = self._implementation(q, events)
        rate = self.population.absence_p * self._event_absence_multiplier(events)
        lam = (sc.population.attendance.days_per_quarter * rate).astype(np.float32)
        remediates = tuple(
            any(implementation[sid].running and act.strategy.need_effects.get(need.id, 0.0)
                for sid, act in self.active.items())
            for need in sc.needs
        )
        dt = quarter.ends_at - (self.quarters[q - 1].ends_at if q else 0.0)
        buffers = self._reusable() or self._new_buffers()
        step = _Step(
            q=q,
            dt=dt,
            implementation=implementation,
            lam=lam,
            lam_sqrt=np.sqrt(lam),
            remediated=self._remediated,
            remediates=remediates,
            attendance=stream(self.seed, "attendance", q),
            growth=stream(self.seed, "growth", q),
            measurement=[
                stream(self.seed, "strands" if s.strands else "measurement", s.id, q)
                for s in sc.subjects
            ],
            scores=buffers.scores,
            strand_scores=buffers.strand_scores,
            absences=buffers.absences,
            absences_ytd=buffers.absences_ytd,
            **self._step_constants(implementation, dt),
        )
        rows = max(CHUNK_ELEMENTS // max(n, 1), 1)
        for lo in range(0, r, rows):
            self._advance_rows(step, slice(lo, min(lo + rows, r)))
        self._remediated = tuple(a or b for a, b in zip(self._remediated, remediates, strict=True))
        courses = self._courses(q, implementation, step.absences)
        # The year's days missed are the result's own array: the next quarter adds to them
        # into another (no copy, and one array fewer per replication).
        self.absences_ytd = buffers.absences_ytd

        self.quarters_done += 1
        result = QuarterResult(
            index=q,
            quarter=quarter,
            scores=step.scores,
            strand_scores=tuple(np.moveaxis(o, 0, 1) for o in step.strand_scores),
            cuts=self._tables.cut[q],
            absences=step.absences,
            absences_ytd=self.absences_ytd,
            days_ytd=sc.population.attendance.days_per_quarter * self.quarters_done,
            implementation=implementation,
            events=events,
            courses=courses,
        )
        self.latest = result
        self._latest_buffers = buffers
        if self.keep_history:
            self.history.append(result)
        return result

    def release(self, result: QuarterResult) -> None:
        """Tell the simulation its caller is done with ``result``, the latest quarter's:
        the quarter after next may write its figures into the same arrays, instead of new
        memory the system must find and clear. ``result`` stays whole while it is
        :attr:`latest` (for the next meeting's decisions) and through the next
        :meth:`advance`, so memory holds two quarters' results at most, as without
        releasing. Without effect while the simulation keeps its history, for another
        result, or once forked."""
        if result is self.latest and not self.keep_history and self._latest_buffers:
            self._released.append(self._latest_buffers)

    def _reusable(self) -> _Buffers | None:
        """A released result's arrays other than the latest's, which is still read."""
        for i, buffers in enumerate(self._released):
            if buffers is not self._latest_buffers:
                return self._released.pop(i)
        return None

    def _new_buffers(self) -> _Buffers:
        r, n = self.replications, self.population.n
        return _Buffers(
            scores=np.empty_like(self.ability),
            strand_scores=[np.empty((r, len(s.strands), n), dtype=np.float32)
                           for s in self.scenario.subjects],
            absences=np.empty((r, n), dtype=np.int16),
            absences_ytd=np.empty((r, n), dtype=np.int16),
        )

    def _advance_rows(self, step: _Step, rows: slice) -> None:
        """One quarter for the replications ``rows``: attendance, growth, measurement.

        Every float32 operation of the model is applied to every element in the same order
        as written out per subject and strand; the constants per student are looked up
        once (:class:`_Tables`, :class:`_Step`), the temporaries are the chunk buffers of
        :class:`_Scratch` (no allocation per chunk), and the strands of a subject are
        worked on as one contiguous block ``(rows, S, N)``, as they are drawn.
        """
        sc, pop = self.scenario, self.population
        r = rows.stop - rows.start
        implementation = step.implementation
        tables = self._tables
        scratch = self._scratch_for(r)
        days = sc.population.attendance.days_per_quarter

        # Attendance: a normal approximation of Poisson that is monotone in the rate,
        # so that a strategy changes only the students it serves.
        lam: np.ndarray = step.lam
        for sid, act in self.active.items():
            effect = act.strategy.attendance_effect
            imp = implementation[sid]
            if effect and imp.running:
                lam = lam * (1.0 + effect * imp.fidelity[rows, None] * act.taken[rows])
        days_off = scratch.days[:r]
        step.attendance.standard_normal(dtype=np.float32, out=days_off)
        days_off *= step.lam_sqrt if lam is step.lam else np.sqrt(lam)
        days_off += lam
        np.rint(days_off, out=days_off)
        np.clip(days_off, 0, days, out=days_off)
        absences = step.absences[rows]
        absences[...] = days_off
        np.add(self.absences_ytd[rows], absences, out=step.absences_ytd[rows])
        # The cost of the days missed beyond the typical, from the (whole) days in float32.
        absence_cost = days_off
        absence_cost -= step.typical_days
        absence_cost *= tables.absence_cost

        # Growth of latent ability. ``unmet`` is each hidden need still unremediated at
        # the start of the quarter: it slows growth during the quarter. The subjects'
        # draws, (rows, J, N) as drawn, are scaled and shifted in one pass each.
        remediation = self.remediation[:, rows]
        ability = self.ability[:, rows]
        term = scratch.term[:r]
        unmet = [self._unmet(k, remediation, step.remediated[k]) for k in range(len(sc.needs))]
        growth = scratch.growth[:r]
        step.growth.standard_normal(dtype=np.float32, out=growth)
        growth *= step.growth_sd
        growth += step.slope_dt
        growth -= absence_cost[:, None, :]
        for j in range(len(sc.subjects)):
            dz = growth[:, j]
            for k, penalty in step.penalties[j]:
                dz -= _times(penalty, unmet[k], term)
            for sid, gain in step.gains[j]:
                dz += np.multiply(gain[rows], self.active[sid].taken[rows], out=term)
            ability[j] += dz
        for k in range(len(sc.needs)):
            for sid, gain in step.remediation_gains[k]:
                np.multiply(gain[rows], self.active[sid].taken[rows], out=term)
                term *= pop.has_need[k]
                remediation[k] += term
            if step.remediates[k]:
                np.clip(remediation[k], 0.0, 1.0, out=remediation[k])

        # Measurement. A subject with strands is scored from the same items as its
        # strands, so the overall error is the (rescaled) mean of the strand errors:
        # correlated as in a real test, and no extra draw.
        norm, sd = tables.norm[step.q], tables.sd
        scale = sc.scale
        base, err = scratch.base[:r], scratch.err[:r]
        # Needs still unmet at the end of the quarter: remediation shows at once.
        still = [self._unmet(k, remediation, step.remediated[k] or step.remediates[k])
                 for k in range(len(sc.needs))]
        for j, subject in enumerate(sc.subjects):
            score = step.scores[j, rows]
            np.multiply(ability[j], sd[j], out=base)
            base += norm[j]
            for k, shift in tables.score_shift[j].items():
                base += _times(shift, still[k], term)
            if not subject.strands:
                step.measurement[j].standard_normal(dtype=np.float32, out=err)
                err *= np.float32(scale.sem)
                err += base
                # The score is written once: clipped on its way out of the chunk's buffer.
                np.clip(err, scale.minimum, scale.maximum, out=score)
                continue
            # (rows, S, N): each replication's strands, as drawn.
            observed = step.strand_scores[j][rows]
            step.measurement[j].standard_normal(dtype=np.float32, out=observed)
            np.add.reduce(observed, axis=1, out=err)
            err /= len(subject.strands)
            err *= step.mean_sem[j]
            err += base
            np.clip(err, scale.minimum, scale.maximum, out=score)
            observed *= tables.strand_sem[j]
            observed += base[:, None, :]
            observed += tables.strand_shift[j]
            for k, (si, shift) in tables.strand_need_shift[j].items():
                observed[:, si] += _times(shift, still[k], term)
            np.clip(observed, scale.minimum, scale.maximum, out=observed)

    def _courses(self, q: int, implementation: dict[str, Implementation],
                 absences: np.ndarray) -> CourseResult | None:
        """The quarter's course grades, from the abilities, absences and needs at its end.

        Course performance (SD units) = engagement − ``absence_weight_sd`` × days missed
        beyond the typical + running strategies' ``course_effect`` × fidelity × take-up −
        unmet needs' ``course_shift_sd`` + per course ``ability_weight`` × ability in its
        subject + wobble; a grade fails below the threshold at which a student at the norm
        passes ``pass_rate`` of grades. Drawn from the "courses" stream, course by course,
        after the quarter's model: nothing else in the quarter depends on it.
        """
        sc, pop = self.scenario, self.population
        spec = sc.courses
        if spec is None:
            return None
        att = sc.population.attendance
        typical = np.float32(att.typical_rate * att.days_per_quarter)
        base = absences.astype(np.float32)
        base -= typical
        base *= np.float32(-spec.absence_weight_sd)
        base += pop.engagement
        for sid, act in self.active.items():
            effect, imp = act.strategy.course_effect, implementation[sid]
            if effect and imp.running:
                base += np.float32(effect) * imp.fidelity[:, None] * act.taken
        for k, need in enumerate(sc.needs):
            if need.course_shift_sd:
                unmet = self._unmet(k, self.remediation, self._remediated[k])
                base += np.float32(need.course_shift_sd) * unmet
        threshold = np.float32(spec.spread() * NormalDist().inv_cdf(1.0 - spec.pass_rate))
        rng = stream(self.seed, "courses", q)
        subjects = [s.id for s in sc.subjects]
        failures = np.zeros(base.shape, dtype=np.int8)
        core = np.zeros(base.shape, dtype=np.int8)
        perf = np.empty_like(base)
        for course in spec.courses:
            rng.standard_normal(dtype=np.float32, out=perf)
            perf *= np.float32(spec.noise_sd)
            perf += base
            if course.subject is not None and spec.ability_weight:
                ability = self.ability[subjects.index(course.subject)]
                perf += np.float32(spec.ability_weight) * ability
            failed = perf < threshold
            failures += failed
            if course.core:
                core += failed
        failures *= pop.takes_courses
        core *= pop.takes_courses
        terms = [sc.quarter_index(t) for t in spec.terms]
        final = q in terms
        if final:
            passed = np.int8(len(spec.courses)) - failures
            passed *= pop.takes_courses
            self.credits = self.credits + np.float32(spec.credit) * passed
            self.term_failures = self.term_failures + core
        return CourseResult(failures=failures, core_failures=core, credits=self.credits,
                            term_failures=self.term_failures, final=final,
                            terms_left=sum(1 for t in terms if t > q))

    def _scratch_for(self, rows: int) -> _Scratch:
        """The chunk buffers, for at least ``rows`` replications (made once, then reused)."""
        if self._scratch is None or self._scratch.days.shape[0] < rows:
            n, j = self.population.n, len(self.scenario.subjects)
            self._scratch = _Scratch(
                days=np.empty((rows, n), dtype=np.float32),
                growth=np.empty((rows, j, n), dtype=np.float32),
                term=np.empty((rows, n), dtype=np.float32),
                base=np.empty((rows, n), dtype=np.float32),
                err=np.empty((rows, n), dtype=np.float32),
            )
        return self._scratch

    def _step_constants(self, implementation: dict[str, Implementation], dt: float) -> dict:
        """What every chunk of a quarter shares: the growth's spread and slope over the
        quarter, the growth penalty of each hidden need, each running strategy's effect
        over the quarter per replication, and the measurement's constants."""
        sc, pop = self.scenario, self.population
        att = sc.population.attendance
        wobble_sd = np.sqrt(dt / 0.25)
        running = [(sid, act.strategy) for sid, act in self.active.items()
                   if implementation[sid].running]
        return {
            "typical_days": np.float32(att.typical_rate * att.days_per_quarter),
            "growth_sd": np.array([[np.float32(s.quarter_noise_sd * wobble_sd)]
                                   for s in sc.subjects], dtype=np.float32),
            "slope_dt": pop.slope * np.float32(dt),
            "penalties": [[(k, np.float32(need.growth_penalty_sd * dt))
                           for k, need in enumerate(sc.needs) if need.subject == subject.id]
                          for subject in sc.subjects],
            "gains": [[(sid, (s.effect_sd * dt * implementation[sid].fidelity[:, None]
                              ).astype(np.float32))
                       for sid, s in running if subject.id in s.subjects and s.effect_sd]
                      for subject in sc.subjects],
            "remediation_gains": [
                [(sid, (s.need_effects.get(need.id, 0.0) * dt
                        * implementation[sid].fidelity[:, None]).astype(np.float32))
                 for sid, s in running if s.need_effects.get(need.id, 0.0)]
                for need in sc.needs],
            "mean_sem": [np.float32(sc.scale.sem * np.sqrt(len(s.strands)))
                         for s in sc.subjects],
        }

    # ------------------------------------------------------------------ helpers

    def _unmet(self, k: int, remediation: np.ndarray, remediated: bool) -> np.ndarray:
        """How much of hidden need ``k`` each student of ``remediation``'s rows still has:
        ``has_need × (1 − remediation)``, per student only (N,) while nothing has
        remediated it — the same numbers, without a pass over every replication."""
        has_need = self.population.has_need[k]
        if remediated:
            return has_need * (1.0 - remediation[k])
        return has_need * np.float32(1.0)


    def staff_available(self, q: int) -> float:
        """Staff for new strategies in quarter q: the scenario's plus lasting event changes."""
        return max(self.scenario.resources.staff_fte + self._lasting("staff_fte_change", q), 0.0)

    def budget_available(self, q: int) -> float:
        """Budget in quarter q: the scenario's plus lasting event changes."""
        return max(self.scenario.resources.budget + self._lasting("budget_change", q), 0.0)

    def _lasting(self, effect: str, q: int) -> float:
        sc = self.scenario
        return sum(
            getattr(e.effects, effect) for e in sc.events if sc.quarter_index(e.quarter) <= q
        )

    def _implementation(self, q: int, events: tuple[Event, ...]) -> dict[str, Implementation]:
        running = {
            sid: act
            for sid, act in self.active.items()
            if q - act.adopted_at - act.strategy.lag_quarters >= 0
        }
        needed = sum(a.strategy.staff_fte for a in running.values())
        available = self.staff_available(q)
        staffed_share = 1.0 if needed <= available or needed == 0 else available / needed
        out = {}
        for sid, act in self.active.items():
            s = act.strategy
            f = s.fidelity
            k = q - act.adopted_at - s.lag_quarters
            is_running = sid in running
            served = act.served.sum(axis=1)
            took = act.taken.sum(axis=1)
            if is_running:
                ramp = planned_fidelity(s, k + 1)
                ramp *= 1.0 - f.per_staff_shortfall * (1.0 - staffed_share)
                for e in events:
                    ramp *= e.effects.fidelity_multiplier.get(sid, 1.0)
                noise = stream(self.seed, "implementation", sid, q).standard_normal(
                    self.replications
                )
                fidelity = np.clip(ramp + f.noise_sd * noise, 0.0, 1.0).astype(np.float32)
            else:
                fidelity = np.zeros(self.replications, dtype=np.float32)
            out[sid] = Implementation(
                strategy=sid,
                running=is_running,
                quarters_running=max(k + 1, 0),
                fidelity=fidelity,
                served=served,
                took_up=took,
                staff_needed=s.staff_fte,
                staff_assigned=s.staff_fte * staffed_share if is_running else 0.0,
                cost=s.cost.fixed + s.cost.per_student * served,
            )
        return out

    def _event_absence_multiplier(self, events: tuple[Event, ...]) -> np.ndarray | float:
        if not events:
            return 1.0
        pop = self.population
        mult = np.ones(pop.n, dtype=np.float32)
        for e in events:
            if e.effects.absence_multiplier != 1.0:
                mask = pop.eligible(e.schools, (), ())
                mult[mask] *= e.effects.absence_multiplier
        return mult

    def _build_tables(self) -> _Tables:
        sc, pop = self.scenario, self.population
        grades = pop.grade.astype(np.int64)
        j = len(sc.subjects)
        sd = np.empty((j, pop.n), dtype=np.float32)
        for ji, subject in enumerate(sc.subjects):
            lookup = np.zeros(13, dtype=np.float32)
            for g, v in subject.student_sd.items():
                lookup[g] = v
            sd[ji] = lookup[grades]

        def at(t: float, attr: str) -> np.ndarray:
            out = np.empty((j, pop.n), dtype=np.float32)
            for ji, subject in enumerate(sc.subjects):
                lookup = np.zeros(13, dtype=np.float32)
                for g, seasons in getattr(subject, attr).items():
                    lookup[g] = seasons.at(t)
                out[ji] = lookup[grades]
            return out

        att = sc.population.attendance
        return _Tables(
            norm=[at(quarter.ends_at, "norms") for quarter in self.quarters],
            cut=[at(quarter.ends_at, "cuts") for quarter in self.quarters],
            sd=sd,
            start_norm=at(0.0, "norms"),
            start_cut=at(0.0, "cuts"),
            absence_cost=np.float32(att.cost_per_day_sd) * pop.absence_cost,
            strand_sem=[np.array([[s.sem] for s in subject.strands], dtype=np.float32)
                        for subject in sc.subjects],
            strand_shift=[pop.strand_offset[ji] * sd[ji] for ji in range(j)],
            score_shift=[{k: np.float32(need.score_shift_sd) * sd[ji]
                          for k, need in enumerate(sc.needs)
                          if need.subject == subject.id and need.score_shift_sd}
                         for ji, subject in enumerate(sc.subjects)],
            strand_need_shift=[
                {k: ([s.id for s in subject.strands].index(need.strand),
                     np.float32(need.strand_shift_sd) * sd[ji])
                 for k, need in enumerate(sc.needs)
                 if need.subject == subject.id and need.strand is not None}
                for ji, subject in enumerate(sc.subjects)],
        )


def _times(factor: np.ndarray | np.float32, values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``factor * values`` (float32): into ``out`` when ``values`` has its shape (a chunk's
    rows), else (a figure per student) a small new array to broadcast."""
    if values.shape == out.shape:
        return np.multiply(factor, values, out=out)
    return factor * values
