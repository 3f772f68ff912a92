"""The published figures: the guide's tables, the data file and the shipped scenarios agree."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.formats.loading import builtin_paths, load_scenario
from simulator.formats.published import (
    ALL_GRADES,
    PUBLISHED_PATH,
    PublishedError,
    parse_published,
    published_figures,
)
from simulator.formats.scenario import Strategy

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "facilitator_guide" / "published-figures.md"
RAW = PUBLISHED_PATH.read_bytes()
FIGURES = published_figures()
KINDS = sorted(FIGURES.effect_ranges)

NORM_ROW = re.compile(
    r"^\| (K|\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) / ([\d.]+) / ([\d.]+) "
    r"\| ([+-][\d.]+) RIT \(([+-][\d.]+) SD\) \|$"
)
EFFECT_ROW = re.compile(
    r"^\| [^|]+ \(`([a-z-]+)`\) \|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\| [^|]+ \| ([^|]+) \|$"
)
HUDSON_ROW = re.compile(r"^\| `([a-z-]+)` \| ([^|]+) \|[^|]*\| `([a-z-]+)` \| [^|]+ \|$")

# A shipped strategy outside its kind's range must say why in its `source`: these are
# the departures the guide explains, each with the words its source uses.
DEPARTURES = {("hudson", "structured-literacy"): "scaled down for middle grades"}


def page_section(heading: str) -> list[str]:
    """The lines of the guide page under ``heading`` (up to the next heading)."""
    text = PAGE.read_text(encoding="utf-8")
    body = text.split(f"\n{heading}\n", 1)[1]
    return re.split(r"\n#{2,3} ", body, maxsplit=1)[0].splitlines()


def number(cell: str) -> float:
    return float(cell.strip().replace("−", "-"))


def span(cell: str) -> tuple[float, float]:
    """"0.16 to 0.44" or a single figure, as (low, high)."""
    parts = cell.split(" to ")
    return number(parts[0]), number(parts[-1])


@pytest.mark.parametrize("subject", ["reading", "math"])
def test_the_guide_norm_tables_are_the_data_files_norms(subject: str) -> None:
    rows = [m for line in page_section(f"### {subject.capitalize()} norms")
            if (m := NORM_ROW.match(line))]
    grades = FIGURES.norms[subject].grades
    assert [0 if m[1] == "K" else int(m[1]) for m in rows] == list(ALL_GRADES) == list(grades)
    for m in rows:
        norm = grades[0 if m[1] == "K" else int(m[1])]
        means = tuple(map(float, m.group(2, 3, 4)))
        sds = tuple(map(float, m.group(5, 6, 7)))
        assert means == (norm.mean.fall, norm.mean.winter, norm.mean.spring), m[0]
        assert sds == (norm.sd.fall, norm.sd.winter, norm.sd.spring), m[0]
        assert (float(m[8]), float(m[9])) == (norm.growth, norm.growth_sd), m[0]


def test_the_guide_effect_table_is_the_data_files_ranges() -> None:
    rows = {m[1]: m for line in page_section("## 4. Effects of common strategies")
            if (m := EFFECT_ROW.match(line))}
    assert sorted(rows) == KINDS
    for kind, effect in FIGURES.effect_ranges.items():
        row = rows[kind]
        assert span(row[2]) == (effect.effect_sd.low, effect.effect_sd.high), kind
        days = effect.attendance_effect
        assert (span(row[3]) if row[3].strip() else None) == (
            (days.low, days.high) if days else None), kind
        cited = [c.strip() for c in row[4].split(";")]
        for source_id in effect.sources:
            source = FIGURES.source(source_id)
            first_author = source.authors.split(",")[0]
            assert any(c.startswith(first_author) and c.endswith(str(source.year))
                       for c in cited), f"{kind}: {source_id} not in {row[4]!r}"
        assert len(cited) == len(effect.sources), kind


def test_every_source_in_the_data_file_is_in_the_guides_references() -> None:
    references = page_section("## References")
    for source in FIGURES.sources:
        assert f"- {source.cite}" in references, source.id


def test_the_norms_cover_every_grade_from_kindergarten_to_twelve() -> None:
    for subject, norms in FIGURES.norms.items():
        assert sorted(norms.grades) == list(ALL_GRADES), subject
        assert FIGURES.source(norms.source).year == 2025


def as_studies_report(strategy: Strategy) -> float:
    """A strategy's ``effect_sd`` (at full strength, on a student who takes part) as studies
    report effects: on the students assigned, the programme running as designed (its full
    fidelity), to the two decimals the published figures have."""
    return round(strategy.effect_sd * strategy.take_up * strategy.fidelity.full, 2)


def test_every_shipped_strategy_is_within_its_kinds_range_or_says_why() -> None:
    departures = set()
    for path in builtin_paths():
        scenario = load_scenario(path).scenario
        for strategy in scenario.strategies:
            where = (scenario.id, strategy.id)
            kinds = FIGURES.kinds_cited(strategy.source)
            assert kinds, f"{where}: its source names no study of the published figures"
            for kind in kinds:
                effect = FIGURES.effect_ranges[kind]
                reported = as_studies_report(strategy)
                if not effect.effect_sd.contains(reported):
                    assert where in DEPARTURES, f"{where}: {reported} outside {kind}"
                    assert DEPARTURES[where] in " ".join(strategy.source.split()), where
                    departures.add(where)
                if effect.attendance_effect is not None:
                    assert effect.attendance_effect.contains(strategy.attendance_effect), where
                else:
                    assert strategy.attendance_effect == 0.0, f"{where}: no published figure"
    assert departures == set(DEPARTURES), "a listed departure is no longer one"


def test_the_guides_hudson_strategy_table_is_hudsons() -> None:
    hudson = load_scenario("hudson").scenario
    rows = {m[1]: m for line in page_section("## 7. How Hudson uses them")
            if (m := HUDSON_ROW.match(line))}
    assert sorted(rows) == sorted(s.id for s in hudson.strategies)
    for strategy in hudson.strategies:
        row = rows[strategy.id]
        assert number(row[2].split(" (")[0]) == strategy.effect_sd, strategy.id
        assert [row[3]] == FIGURES.kinds_cited(strategy.source), strategy.id


def test_hudson_stands_on_the_published_norms() -> None:
    hudson = load_scenario("hudson").scenario
    for subject in hudson.subjects:
        grades = FIGURES.norms[subject.id].grades
        for grade, seasons in subject.norms.items():
            assert seasons == grades[grade].mean, (subject.id, grade)
            sds = [value for _, value in grades[grade].sd]
            assert min(sds) <= subject.student_sd[grade] <= max(sds), (subject.id, grade)


def test_nothing_points_at_calibration_notes_outside_the_repository() -> None:
    outside = "CALIBRATION" + ".md"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        path = ROOT / name
        if path.suffix in {".py", ".md", ".yaml", ".toml", ".json", ".tcss"}:
            assert outside not in path.read_text(encoding="utf-8"), name


def test_the_guide_index_lists_the_page() -> None:
    index = (ROOT / "facilitator_guide" / "README.md").read_text(encoding="utf-8")
    assert "](published-figures.md)" in index


# --------------------------------------------------------------------------- the loader


def line_of(text: str, start: str, after: int = 0) -> int:
    """1-based number of the first line from line ``after`` on that starts with ``start``."""
    lines = text.splitlines()
    return next(i for i in range(after, len(lines)) if lines[i].startswith(start)) + 1


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(KINDS), bogus=st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True))
def test_an_unknown_source_is_refused_at_its_line(kind: str, bogus: str) -> None:
    known = {s.id for s in FIGURES.sources}
    if bogus in known:
        return
    text = RAW.decode()
    line = line_of(text, "    sources: [", line_of(text, f"  {kind}:"))
    first = FIGURES.effect_ranges[kind].sources[0]
    lines = text.splitlines(keepends=True)
    col = lines[line - 1].index(first) + 1
    lines[line - 1] = lines[line - 1].replace(first, bogus, 1)
    with pytest.raises(PublishedError) as err:
        parse_published("".join(lines).encode(), "published.yaml")
    assert any(problem.startswith(f"published.yaml:{line}:{col}: unknown source '{bogus}'")
               for problem in err.value.lines())


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(KINDS), gap=st.floats(0.01, 0.5))
def test_a_range_whose_low_is_above_its_high_is_refused_at_its_low(kind: str, gap: float) -> None:
    effect = FIGURES.effect_ranges[kind].effect_sd
    text = RAW.decode()
    prefix = "    effect_sd: {low: "
    line = line_of(text, prefix, line_of(text, f"  {kind}:"))
    lines = text.splitlines(keepends=True)
    low = round(effect.high + gap, 3)
    lines[line - 1] = f"{prefix}{low}, high: {effect.high}}}\n"
    with pytest.raises(PublishedError) as err:
        parse_published("".join(lines).encode(), "published.yaml")
    assert err.value.lines() == [
        f"published.yaml:{line}:{len(prefix) + 1}: low ({low}) is above high ({effect.high})"]


@pytest.mark.parametrize(("grade", "shown"), [(0, "K"), (7, "7"), (12, "12")])
def test_a_missing_grade_is_named(grade: int, shown: str) -> None:
    text = RAW.decode()
    lines = text.splitlines(keepends=True)
    line = line_of(text, f"      {grade}: {{mean:", line_of(text, "  math:"))
    del lines[line - 1]
    with pytest.raises(PublishedError) as err:
        parse_published("".join(lines).encode(), "published.yaml")
    grades_line = line_of(text, "    grades:", line_of(text, "  math:"))
    assert err.value.lines() == [
        f"published.yaml:{grades_line + 1}:7: no norms for grade {shown}"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"  - id: may-2024", b"  - id: ehri-2001", ":9: source 'ehri-2001' is listed twice"),
        (b"sd: {fall: 9.4,", b"sd: {fall: -9.4,",
         ": a standard deviation must be above 0, not -9.4"),
        (b"sources: [blazar-2020]", b"sources: [carlson-2011]",
         ":9: source 'blazar-2020' is never cited"),
    ],
)
def test_a_source_listed_twice_or_never_and_a_negative_sd_are_refused(
    old: bytes, new: bytes, expected: str
) -> None:
    assert RAW.count(old) == 1
    with pytest.raises(PublishedError) as err:
        parse_published(RAW.replace(old, new), "published.yaml")
    assert any(problem.endswith(expected) for problem in err.value.lines()), err.value.lines()


def test_a_misspelt_key_gets_a_suggestion() -> None:
    broken = RAW.replace(b"    cited_as: [\"Kraft, Blazar", b"    cites_as: [\"Kraft, Blazar", 1)
    with pytest.raises(PublishedError) as err:
        parse_published(broken, "published.yaml")
    assert any("unknown key 'cites_as'" in line and "did you mean 'cited_as'?" in line
               for line in err.value.lines())


@given(
    kind=st.sampled_from(KINDS),
    before=st.text(st.characters(codec="ascii", categories=("L", "Zs")), max_size=30),
    after=st.text(st.characters(codec="ascii", categories=("L", "Zs", "N")), max_size=30),
    data=st.data(),
)
def test_a_source_naming_a_kinds_study_is_of_that_kind(
    kind: str, before: str, after: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(FIGURES.effect_ranges[kind].cited_as))
    spaced = data.draw(st.sampled_from([name, name.upper(), name.replace(" ", "\n  ")]))
    assert kind in FIGURES.kinds_cited(f"{before} {spaced} {after}")
