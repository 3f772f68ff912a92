"""The primer's data: one home, every sub-element explained, the guide page never stale;
every look-for placed at an agenda step; a scenario's look-for that gives a hidden need
away shown in generic words."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.formats.framework import (
    FRAMEWORK_PATH,
    FrameworkError,
    framework,
    generic_wording,
    lookfor_steps,
    names_a_secret,
    parse_framework,
    secret_stems,
    shown_lookfors,
)
from simulator.formats.loading import load_scenario
from simulator.formats.lookfors import default_lookfors, lookfors_for
from simulator.formats.routine import STEPS
from simulator.formats.rubric import ELEMENTS, ROUTINES, SUB_ELEMENTS
from simulator.render.framework import REGENERATE, primer_markdown

GUIDE = Path(__file__).resolve().parent.parent / "facilitator_guide"
PAGE = GUIDE / "framework.md"
SHIPPED = ("hudson", "pine-valley", "millbrook")


@pytest.fixture(scope="module", params=SHIPPED)
def scenario(request: pytest.FixtureRequest):
    return load_scenario(request.param).scenario


def test_the_committed_guide_page_is_what_the_data_renders() -> None:
    committed = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
    assert committed == primer_markdown(), (
        "facilitator_guide/framework.md is out of date with simulator/formats/framework.yaml "
        f"(or the rubric, routine or look-fors): run `{REGENERATE}` and commit it")


def test_the_guide_links_the_page() -> None:
    assert "](framework.md)" in (GUIDE / "README.md").read_text(encoding="utf-8")


def test_the_primer_names_every_element_sub_element_design_step_and_routine_quality() -> None:
    text = primer_markdown()
    for letter, name in ELEMENTS.items():
        assert f"### {letter}. {name}" in text
    for sub, name in SUB_ELEMENTS.items():
        assert f"**{sub} · {name}.**" in text
        assert " ".join(framework().sub_elements[sub].split()) in text
    for title in ("Goal", "Strategies and theory of action", "Plan and accountability",
                  "Metrics and targets", "Routine collection"):
        assert f"**{title}.**" in text
    for name in ROUTINES.values():
        assert f"**{name}**" in text
    for step in STEPS:
        assert f"**{step.title}.**" in text
    assert "eleven sub-elements" in text


def test_every_default_look_for_is_listed_under_its_sub_element() -> None:
    text = primer_markdown()
    for lf in default_lookfors():
        if lf.element in SUB_ELEMENTS:
            section = text.split(f"**{lf.element} · ")[1].split("\n**")[0]
            assert f"- {' '.join(lf.description.split())}" in section, lf.id
        else:
            assert f"  - {' '.join(lf.description.split())}" in text, lf.id


def test_the_primer_is_deterministic() -> None:
    assert primer_markdown() == primer_markdown()


def test_a_framework_missing_a_sub_element_is_refused_at_its_line() -> None:
    raw = FRAMEWORK_PATH.read_bytes().replace(b"\n  D3: >-", b"\n  D9: >-")
    with pytest.raises(FrameworkError) as caught:
        parse_framework(raw, "framework.yaml")
    lines = "\n".join(caught.value.lines())
    assert "'D9' is not a rubric sub-element" in lines
    assert "the rubric sub-element D3 is not explained" in lines
    assert "framework.yaml:" in lines


def test_a_framework_naming_an_unknown_step_is_refused() -> None:
    raw = FRAMEWORK_PATH.read_bytes().replace(b"view: [performance]", b"view: [perfomance]")
    with pytest.raises(FrameworkError) as caught:
        parse_framework(raw, "framework.yaml")
    assert "'perfomance' is not an agenda step" in "\n".join(caught.value.lines())


def test_every_step_has_look_fors_and_every_look_for_a_step(scenario) -> None:
    for lf in lookfors_for(scenario.debrief):
        assert lookfor_steps(lf), f"{scenario.id}: {lf.id} belongs to no step"
    shown = shown_lookfors(scenario)
    assert list(shown) == [s.id for s in STEPS]
    for step, lfs in shown.items():
        assert lfs, f"{scenario.id}: no look-for at step {step}"
    placed = {s.id for lfs in shown.values() for s in lfs}
    assert placed == {lf.id for lf in lookfors_for(scenario.debrief)}


def test_look_fors_sit_where_their_records_are_written() -> None:
    by_id = {lf.id: lookfor_steps(lf) for lf in default_lookfors()}
    assert by_id["a1-measurable-target"] == ("targets",)
    assert by_id["c2-implementation-finding"] == ("implementation",)
    assert by_id["c2-implementation-view"] == ("implementation",)
    assert by_id["focus-findings-each-meeting"] == ("performance",)
    assert by_id["d3-partner-involved"] == ("stakeholders",)
    assert by_id["followup-every-commitment"] == ("followup",)
    assert by_id["b1-within-resources"] == ("decisions",)
    assert by_id["a2-theory-of-action"] == ("problem",)


def test_a_look_for_turned_off_by_the_scenario_is_not_shown() -> None:
    found = load_scenario("hudson").scenario
    settings = (found.debrief.model_copy(update={"weights": {"d3-stakeholder-named": 0}})
                if found.debrief else None)
    if settings is None:
        from simulator.formats.lookfors import DebriefSettings

        settings = DebriefSettings(weights={"d3-stakeholder-named": 0})
    off = found.model_copy(update={"debrief": settings})
    ids = {s.id for s in shown_lookfors(off)["stakeholders"]}
    assert "d3-stakeholder-named" not in ids and "d3-partner-involved" in ids


def test_no_shown_look_for_names_a_hidden_need_or_truth(scenario) -> None:
    secrets = [n.name for n in scenario.needs] + [t.title for t in scenario.hidden_truths]
    secrets += [t.explanation for t in scenario.hidden_truths]
    stems = secret_stems(scenario)
    for lfs in shown_lookfors(scenario).values():
        for shown in lfs:
            for secret in secrets:
                assert secret.lower() not in shown.text.lower()
            assert not names_a_secret(shown.text, stems), (scenario.id, shown.id, shown.text)


def test_a_scenario_look_for_naming_the_need_shows_generic_words() -> None:
    pine = load_scenario("pine-valley").scenario
    own = {lf.id: lf for lf in pine.debrief.lookfors}
    assert "decoding" in own["pv-target-cold-creek-reading"].description
    targets = {s.id: s for s in shown_lookfors(pine)["targets"]}
    shown = targets["pv-target-cold-creek-reading"]
    assert shown.generic and shown.text == generic_wording(own["pv-target-cold-creek-reading"])
    assert "decoding" not in shown.text and SUB_ELEMENTS["A1"] in shown.text
    # A look-for of its own that gives nothing away keeps its own words.
    fit = next(s for s in shown_lookfors(pine)["decisions"] if s.id == "pv-fit-at-each-school")
    assert not fit.generic and fit.text == own["pv-fit-at-each-school"].description


def test_a_scenario_look_for_pointing_at_the_evidence_view_shows_generic_words() -> None:
    mill = load_scenario("millbrook").scenario
    evidence = {e.view for t in mill.hidden_truths for e in t.evidence}
    assert "courses/millbrook-hs/absence" in evidence
    shown = {s.id: s for s in shown_lookfors(mill)["performance"]}
    assert shown["mb-courses-by-attendance"].generic
    assert not shown["mb-attendance-breakdown"].generic


def test_default_look_fors_are_shown_in_their_own_words(scenario) -> None:
    defaults = {lf.id: lf.description for lf in default_lookfors()}
    for lfs in shown_lookfors(scenario).values():
        for shown in lfs:
            if shown.id in defaults:
                assert shown.text == defaults[shown.id] and not shown.generic
