"""Views, metrics and groups: parsed in one place, given back as the same text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.formats.refs import BREAKDOWNS, DISTRICT, EVERYONE, Group, Metric, View
from simulator.formats.scenario import Scenario

LETTERS = "abcdefghijklmnopqrstuvwxyz"
IDS = st.builds(str.__add__, st.sampled_from(LETTERS),
                st.text(alphabet=LETTERS + "0123456789-", max_size=12))
SUBGROUP_IDS = IDS.filter(lambda s: s != "all" and not s.startswith("grade-"))
GROUP_TEXTS = st.one_of(st.just("all"), SUBGROUP_IDS,
                        st.integers(0, 12).map(lambda g: f"grade-{g}"))
VIEW_TEXTS = st.builds(lambda a, b, c: f"{a}/{b}/{c}", IDS, IDS, st.sampled_from(BREAKDOWNS))
FEWER = settings(max_examples=40, deadline=None)
"""Enough examples for a grammar this small, and the suite stays as fast as it was."""
METRIC_TEXTS = st.builds(lambda m, a, b, g: f"{m}:{a}:{b}:{g}",
                         st.sampled_from(["pct", "chronic"]), IDS, IDS, GROUP_TEXTS)


REF_TEXTS = st.one_of(GROUP_TEXTS.map(lambda t: (Group, t)), VIEW_TEXTS.map(lambda t: (View, t)),
                      METRIC_TEXTS.map(lambda t: (Metric, t)))


@FEWER
@given(REF_TEXTS)
def test_a_reference_gives_back_the_text_it_was_parsed_from(ref: tuple[type, str]) -> None:
    kind, text = ref
    value = kind.parse(text)
    assert str(value) == text
    assert kind.parse(str(value)) == value


@FEWER
@given(st.builds(Group, subgroup=SUBGROUP_IDS) | st.builds(Group, grade=st.integers(0, 12))
       | st.just(EVERYONE))
def test_a_typed_group_survives_its_text(group: Group) -> None:
    assert Group.parse(str(group)) == group


@FEWER
@given(st.text(max_size=30))
def test_any_text_is_a_view_or_refused_with_a_message_naming_it(text: str) -> None:
    try:
        view = View.parse(text)
    except ValueError as err:
        assert text in str(err) or "breakdown in view" in str(err)
    else:
        assert str(view) == text


@FEWER
@given(st.text(max_size=30))
def test_any_text_is_a_metric_or_refused_with_a_message(text: str) -> None:
    try:
        metric = Metric.parse(text)
    except ValueError as err:
        assert str(err).startswith(("metric '", "unknown measure", "group '"))
    else:
        assert str(metric) == text


@pytest.mark.parametrize(("text", "message"), [
    ("reading/hudson-ms", "view 'reading/hudson-ms' is not SUBJECT/SCHOOL/BREAKDOWN"),
    ("reading/hudson-ms/subgroup/el", "is not SUBJECT/SCHOOL/BREAKDOWN"),
    ("reading//grade", "is not SUBJECT/SCHOOL/BREAKDOWN"),
    ("reading/hudson ms/grade", "is not SUBJECT/SCHOOL/BREAKDOWN"),
    ("reading/hudson-ms/grades", "unknown breakdown in view 'grades'; did you mean 'grade'?"),
])
def test_a_malformed_view_is_refused_saying_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        View.parse(text)


@pytest.mark.parametrize(("text", "message"), [
    ("pct:reading:hudson-ms", "is not MEASURE:SUBJECT:SCHOOL:GROUP"),
    ("pct:reading::el", "is not MEASURE:SUBJECT:SCHOOL:GROUP"),
    ("mean:reading:hudson-ms:el", "unknown measure in metric 'mean'"),
    ("pct:reading:hudson-ms:grade-07", "group 'grade-07' is not grade-N"),
    ("pct:reading:hudson-ms:grade-seven", "group 'grade-seven' is not grade-N"),
])
def test_a_malformed_metric_is_refused_saying_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Metric.parse(text)


def test_references_are_checked_against_the_scenario(hudson: Scenario) -> None:
    assert View.check("reading/hudson-ms/subgroup", hudson) is None
    assert View.check(f"attendance/{DISTRICT}/grade", hudson) is None
    assert View.check("implementation/hudson-ms/implementation", hudson) is None
    assert View.check("reading/hudson/all", hudson) == (
        "unknown school in view 'hudson'; did you mean 'hudson-ms'?")
    assert View.check("science/hudson-ms/all", hudson).startswith(
        "unknown subject in view 'science'")
    assert Metric.check("pct:reading:hudson-ms:el", hudson) is None
    assert Metric.check("chronic:attendance:hudson-ms:grade-7", hudson) is None
    assert Metric.check("pct:reading:hudson-ms:grade-5", hudson).startswith(
        "unknown group 'grade-5'")
    assert Metric.check("pct:reading:hudson-ms:ell", hudson) == (
        "unknown group 'ell'; did you mean 'el'?")
    assert Metric.check(f"pct:reading:{DISTRICT}:all", hudson).startswith(
        "unknown school in metric")
    assert Metric.check("pct:attendance:hudson-ms:all", hudson).startswith(
        "unknown subject in metric")
    assert Group.check("swd", hudson) is None
    assert Group.check("grade-", hudson).startswith("group 'grade-' is not grade-N")


def test_a_group_reads_as_the_dashboard_names_it(hudson: Scenario) -> None:
    assert Group.parse("all").label(hudson) == "All students"
    assert Group.parse("el").label(hudson) == "English learners"
    assert Group.parse("grade-7").label(hudson) == "Grade 7"
    assert [Group.parse(t).kind for t in ("all", "el", "grade-7")] == ["all", "subgroup", "grade"]
    with pytest.raises(ValueError, match="not both"):
        Group(subgroup="el", grade=7)


@pytest.mark.parametrize(("view", "metric", "shows"), [
    ("reading/hudson-ms/subgroup", "pct:reading:hudson-ms:el", True),
    ("reading/hudson-ms/grade", "pct:reading:hudson-ms:el", False),
    ("reading/hudson-ms/grade", "pct:reading:hudson-ms:grade-6", True),
    ("reading/hudson-ms/all", "pct:reading:hudson-ms:all", True),
    ("reading/riverside-ms/all", "pct:reading:hudson-ms:all", False),
    ("math/hudson-ms/all", "pct:reading:hudson-ms:all", False),
    ("attendance/hudson-ms/grade", "chronic:attendance:hudson-ms:grade-8", True),
    ("attendance/hudson-ms/all", "chronic:attendance:hudson-ms:all", True),
    ("implementation/hudson-ms/implementation", "chronic:attendance:hudson-ms:all", False),
])
def test_a_view_shows_the_metrics_of_its_subject_school_and_breakdown(
    view: str, metric: str, shows: bool
) -> None:
    assert View.parse(view).shows(Metric.parse(metric)) is shows


def test_a_view_is_related_by_subject_and_school_or_breakdown() -> None:
    wanted = View.parse("reading/hudson-ms/strand")
    assert wanted.related(View.parse("reading/hudson-ms/grade"))
    assert wanted.related(View.parse(f"reading/{DISTRICT}/strand"))
    assert not wanted.related(View.parse("reading/riverside-ms/grade"))
    assert not wanted.related(View.parse("math/hudson-ms/strand"))


def test_of_accepts_the_text_or_the_value() -> None:
    view = View("reading", "hudson-ms", "grade")
    assert View.of(view) is view
    assert View.of("reading/hudson-ms/grade") == view
    assert Metric.of("pct:math:hudson-ms:all") == Metric("pct", "math", "hudson-ms")
    assert Metric("chronic", "attendance", "hudson-ms").lower_is_better


@FEWER
@given(st.one_of(VIEW_TEXTS.map(lambda t: (View, t)), METRIC_TEXTS.map(lambda t: (Metric, t))),
       st.sampled_from(["/", " ", ":", "//", "::"]), st.data())
def test_a_view_or_metric_broken_anywhere_is_refused(
    ref: tuple[type, str], junk: str, data: st.DataObject
) -> None:
    kind, text = ref
    at = data.draw(st.integers(0, len(text)))
    with pytest.raises(ValueError, match=r"^(view|metric|group) '|^unknown (breakdown|measure)"):
        kind.parse(text[:at] + junk + text[at:])
