"""The published figures scenarios stand on, as data: norms per grade, effects per kind.

A scenario is only worth playing if its numbers look right to education
professionals, so the figures it should stand on ship with pmsim
(``published.yaml``, shown as tables in the facilitator guide's
``published-figures.md``) instead of living in notes outside it. The calibrate
command reads them to warn about an effect beyond what any study of its kind found;
a strategy's kind is found from the evidence its ``source`` cites.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from simulator.formats.refs import unknown
from simulator.formats.scenario import Seasons
from simulator.formats.strict import Grade, Id, Loc, Strict, Text, load_model
from simulator.formats.yamlsafe import FileProblems

PUBLISHED_PATH = Path(__file__).with_name("published.yaml")
ALL_GRADES = tuple(range(13))
"""Kindergarten (0) to grade 12: the norms cover every one of them."""

Effect = Annotated[float, Field(ge=-2.0, le=2.0)]


class PublishedError(FileProblems):
    """A published-figures file that cannot be used, with every problem found in it."""


class Source(Strict):
    """One published study or report, cited by its id."""

    id: Id
    """How norms and effect ranges name it."""
    authors: Text
    """As the study lists them, e.g. "Ehri, L. C., Nunes, S. R. …"."""
    year: Annotated[int, Field(ge=1900, le=2100)]
    """Year of publication."""
    title: Text
    """Title of the study or report."""

    @property
    def cite(self) -> str:
        """Authors (year). Title."""
        return f"{self.authors} ({self.year}). {self.title}."


class Span(Strict):
    """A published spread: the lowest and the highest figure (equal for one figure)."""

    low: Effect
    """Lowest published figure."""
    high: Effect
    """Highest published figure."""

    def contains(self, value: float, tolerance: float = 1e-9) -> bool:
        """Whether ``value`` lies within the spread."""
        return self.low - tolerance <= value <= self.high + tolerance


class EffectRange(Strict):
    """What studies of one kind of strategy found."""

    name: Text
    """The kind of strategy, as a facilitator would say it."""
    effect_sd: Span
    """Yearly effect on standardized tests, in SD units (a scenario's `effect_sd`)."""
    attendance_effect: Span | None = None
    """Relative change in days missed (a scenario's `attendance_effect`), if studied."""
    cited_as: list[Text] = Field(min_length=1)
    """How a strategy's `source` names this evidence, e.g. "Ehri et al."."""
    sources: list[Id] = Field(min_length=1)
    """The studies behind the figures."""
    note: Text
    """The figures in a sentence or two, as the studies give them."""


class GradeNorm(Strict):
    """One grade's norms in one subject at the three benchmark windows."""

    mean: Seasons
    """Mean score (a scenario's `norms`)."""
    sd: Seasons
    """Standard deviation of students' scores (a scenario's `student_sd`)."""

    @property
    def growth(self) -> float:
        """Fall-to-spring growth of the mean, in scale points (derived)."""
        return round(self.mean.spring - self.mean.fall, 1)

    @property
    def growth_sd(self) -> float:
        """Fall-to-spring growth in fall SD units (derived): the scale of `effect_sd`."""
        return round(self.growth / self.sd.fall, 2)


class SubjectNorms(Strict):
    """Norms of one subject for every grade."""

    source: Id
    """The study the norms come from."""
    grades: dict[Grade, GradeNorm]
    """Per grade (0 = kindergarten): the norms."""


class PublishedFigures(Strict):
    """The published-figures file (simulator/formats/published.yaml)."""

    published_version: Literal[1] = 1
    """Version of this file format."""
    sources: list[Source] = Field(min_length=1)
    """Every study cited, once."""
    norms: dict[Id, SubjectNorms]
    """Per subject id (reading, math): the norms of every grade K–12."""
    effect_ranges: dict[Id, EffectRange]
    """Per kind of strategy: what its studies found."""

    def source(self, source_id: str) -> Source:
        """The study cited as ``source_id``."""
        return next(s for s in self.sources if s.id == source_id)

    def kinds_cited(self, strategy_source: str) -> list[str]:
        """The kinds whose evidence a strategy's ``source`` text names (in file order)."""
        text = " ".join(strategy_source.split()).casefold()
        return [
            kind
            for kind, effect in self.effect_ranges.items()
            if any(" ".join(name.split()).casefold() in text for name in effect.cited_as)
        ]


@functools.cache
def published_figures() -> PublishedFigures:
    """The shipped figures; a broken file raises PublishedError with every problem."""
    return parse_published(PUBLISHED_PATH.read_bytes(), str(PUBLISHED_PATH))


def parse_published(raw: bytes, name: str = "<published>") -> PublishedFigures:
    """Validate a published-figures file's bytes; raises PublishedError, positioned."""
    return load_model(raw, name, PublishedFigures, error=PublishedError, checks=_problems,
                      mapping_of="(published_version, sources, norms, effect_ranges)",
                      what="a published-figures file")


def _problems(figures: PublishedFigures) -> list[tuple[Loc, str]]:
    ids = [s.id for s in figures.sources]
    problems: list[tuple[Loc, str]] = [
        (("sources", i, "id"), f"source '{s.id}' is listed twice")
        for i, s in enumerate(figures.sources) if s.id in ids[:i]
    ]
    known = list(dict.fromkeys(ids))
    cited: set[str] = set()
    for subject, norms in figures.norms.items():
        cited.add(norms.source)
        if norms.source not in known:
            problems.append((("norms", subject, "source"), unknown(norms.source, known, "source")))
        missing = [g for g in ALL_GRADES if g not in norms.grades]
        if missing:
            grades = ", ".join("K" if g == 0 else str(g) for g in missing)
            problems.append((("norms", subject, "grades"), f"no norms for grade {grades}"))
        for grade, norm in norms.grades.items():
            problems += [(("norms", subject, "grades", grade, "sd", season),
                          f"a standard deviation must be above 0, not {value}")
                         for season, value in norm.sd if value <= 0]
    for kind, effect in figures.effect_ranges.items():
        cited.update(effect.sources)
        problems += [(("effect_ranges", kind, "sources", i), unknown(source_id, known, "source"))
                     for i, source_id in enumerate(effect.sources) if source_id not in known]
        spans = [("effect_sd", effect.effect_sd), ("attendance_effect", effect.attendance_effect)]
        problems += [(("effect_ranges", kind, key, "low"),
                      f"low ({span.low}) is above high ({span.high})")
                     for key, span in spans if span is not None and span.low > span.high]
    problems += [(("sources", i, "id"), f"source '{s.id}' is never cited")
                 for i, s in enumerate(figures.sources) if s.id not in cited]
    return problems

