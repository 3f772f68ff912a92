"""Students and schools as numpy arrays.

Students are stored school by school and, within a school, grade by grade, in
the order of the scenario file. Everything here is drawn from the "population"
stream and so depends only on the scenario and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simulator.engine.streams import stream
from simulator.formats.scenario import Scenario


@dataclass(frozen=True, eq=False)
class Population:
    """The students of a scenario, one array element per student."""

    scenario: Scenario
    seed: int
    school: np.ndarray  # (N,) int16 index into scenario.schools
    grade: np.ndarray  # (N,) int8
    member: np.ndarray  # (G, N) bool, subgroup membership, G = len(scenario.subgroups)
    ability: np.ndarray  # (J, N) float32, latent ability at the start of the year, SD units
    slope: np.ndarray  # (J, N) float32, true yearly growth beyond the norm, SD units
    absence_p: np.ndarray  # (N,) float32, share of days the student tends to miss
    absence_cost: np.ndarray  # (N,) float32, multiplier on the cost of a missed day
    has_need: np.ndarray  # (K, N) bool, K = len(scenario.needs)
    strand_offset: tuple[np.ndarray, ...]  # per subject: (S_j, N) float32, SD units
    takes_courses: np.ndarray  # (N,) bool, in the grades of the scenario's courses
    engagement: np.ndarray  # (N,) float32, own course engagement, SD of course performance

    @property
    def n(self) -> int:
        return int(self.school.shape[0])

    @cached_property
    def names(self) -> np.ndarray:
        """Student names, drawn from pools on first use only (the engine never needs them)."""
        from simulator.engine.names import student_names

        return student_names(self.seed, stream(self.seed, "names"), self.n)

    def eligible(
        self,
        schools: list[str] | str,
        grades: list[int] | tuple[int, ...],
        subgroups: list[str] | tuple[str, ...],
    ) -> np.ndarray:
        """Students in the given schools and grades and (if any given) subgroups."""
        return _eligible_raw(
            self.scenario, self.school, self.grade, self.member, schools, grades, subgroups
        )


def build_population(sc: Scenario, seed: int) -> Population:
    """Draw every student of the scenario, vectorised, from the population stream."""
    rng = stream(seed, "population")
    grades = sorted(sc.grades)
    school_idx, grade_col = [], []
    for si, sch in enumerate(sc.schools):
        for gr in grades:
            count = sch.enrollment.get(gr, 0)
            school_idx.append(np.full(count, si, dtype=np.int16))
            grade_col.append(np.full(count, gr, dtype=np.int8))
    school = np.concatenate(school_idx)
    grade = np.concatenate(grade_col)
    n = school.shape[0]

    groups = sc.subgroups
    rates = np.array(
        [[s.subgroup_rates.get(g.id, 0.0) for s in sc.schools] for g in groups], dtype=np.float64
    ).reshape(len(groups), len(sc.schools))
    member = rng.random((len(groups), n)) < rates[:, school]

    pop = sc.population
    cap = pop.max_combined_shift_sd
    school_effect = np.array([s.effect_sd for s in sc.schools])[school]
    school_growth = np.array([s.growth_sd for s in sc.schools])[school]
    member_f = member.astype(np.float64)

    n_subjects = len(sc.subjects)
    residual = rng.standard_normal((n_subjects, n))
    # Reading and math abilities correlate strongly within a student.
    rho = 0.7
    residual[1:] = rho * residual[:1] + np.sqrt(1 - rho**2) * residual[1:]
    growth_z = rng.standard_normal((n_subjects, n))
    ability = np.empty((n_subjects, n), dtype=np.float32)
    slope = np.empty((n_subjects, n), dtype=np.float32)
    for j, subject in enumerate(sc.subjects):
        shifts = np.array([g.shift_sd.get(subject.id, 0.0) for g in groups])
        growth_shifts = np.array([g.growth_shift_sd.get(subject.id, 0.0) for g in groups])
        combined = np.clip(shifts @ member_f, -cap, cap) if groups else 0.0
        ability[j] = school_effect + combined + subject.within_school_sd * residual[j]
        growth_shift = growth_shifts @ member_f if groups else 0.0
        slope[j] = school_growth + growth_shift + subject.growth_sd * growth_z[j]

    att = pop.attendance
    absence_mult = np.ones(n)
    cost_mult = np.ones(n)
    for gi, group in enumerate(groups):
        absence_mult = np.where(member[gi], np.maximum(absence_mult, group.absence_multiplier),
                                absence_mult)
        cost_mult = np.where(member[gi], np.maximum(cost_mult, group.absence_cost_multiplier),
                             cost_mult)
    base = np.array([s.absence_rate for s in sc.schools])[school]
    grade_mult = np.ones((len(sc.schools), 13))
    for si, s in enumerate(sc.schools):
        for g, m in s.grade_absence_multiplier.items():
            grade_mult[si, g] = m
    base = base * grade_mult[school, grade]
    spread = att.spread
    # Lognormal propensity with mean base × multiplier: absences concentrate in few students.
    absence_p = base * absence_mult * np.exp(spread * rng.standard_normal(n) - spread**2 / 2)
    absence_p = np.clip(absence_p, 0.0, 0.9).astype(np.float32)

    has_need = np.zeros((len(sc.needs), n), dtype=bool)
    need_u = rng.random((len(sc.needs), n))
    for k, need in enumerate(sc.needs):
        where = _eligible_raw(sc, school, grade, member, need.schools, need.grades, need.subgroups)
        if need.chronically_absent:
            # Chronically absent by propensity, as drawn above (not by a quarter's realised
            # days): fixed for the year, and no extra draw, so other needs' students stay put.
            where &= absence_p >= np.float32(att.chronic_threshold)
        has_need[k] = where & (need_u[k] < need.prevalence)

    strand_offset = []
    for subject in sc.subjects:
        offsets = np.array([s.offset_sd for s in subject.strands], dtype=np.float64)[:, None]
        z = rng.standard_normal((len(subject.strands), n))
        strand_offset.append((offsets + subject.strand_sd * z).astype(np.float32))

    # Course engagement from its own stream: a scenario without courses draws nothing
    # more, and the students drawn above are the same with or without them.
    courses = sc.courses
    takes_courses = np.zeros(n, dtype=bool)
    engagement = np.zeros(n, dtype=np.float32)
    if courses is not None:
        takes_courses = np.isin(grade, courses.grades or sc.grades)
        stream(seed, "engagement").standard_normal(dtype=np.float32, out=engagement)
        engagement *= np.float32(courses.engagement_sd)

    return Population(
        scenario=sc,
        seed=seed,
        school=school,
        grade=grade,
        member=member,
        ability=ability,
        slope=slope,
        absence_p=absence_p,
        absence_cost=cost_mult.astype(np.float32),
        has_need=has_need,
        strand_offset=tuple(strand_offset),
        takes_courses=takes_courses,
        engagement=engagement,
    )


def _eligible_raw(sc, school, grade, member, schools, grades, subgroups) -> np.ndarray:
    school_ids = [s.id for s in sc.schools]
    mask = np.isin(school, [school_ids.index(s) for s in sc.school_ids(schools)])
    if grades:
        mask &= np.isin(grade, list(grades))
    if subgroups:
        group_ids = [g.id for g in sc.subgroups]
        mask &= member[[group_ids.index(g) for g in subgroups]].any(axis=0)
    return mask
