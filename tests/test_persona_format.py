"""Persona files a facilitator breaks get one line per problem, at the right place.

Each broken file is a one-edit copy of the built-in Hudson District Lead, and every
expected position is computed from the edited text (the line and column of the text
the edit put in), so the tests keep working when the persona's content changes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from pmsim.cli import main
from simulator.formats.loading import load_scenario
from simulator.formats.persona import (
    MOVE_KINDS,
    MOVES,
    PersonaError,
    builtin_dir,
    builtin_paths,
    parse_persona,
)
from simulator.formats.routine import STEPS
from simulator.formats.scenario import Scenario

VETERAN_PATH = builtin_dir() / "literacy-veteran.yaml"
VETERAN = VETERAN_PATH.read_text(encoding="utf-8")
SCHEMA_PATH = builtin_dir() / "persona.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema=./persona.schema.json"
REGENERATE = "pmsim persona schema > personas/persona.schema.json"


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return [load_scenario("hudson").scenario, load_scenario("pine-valley").scenario]


def edit(old: str, new: str, text: str = VETERAN) -> str:
    """The veteran persona with one exact, unique passage replaced."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in literacy-veteran.yaml"
    return text.replace(old, new)


def position(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the ``nth`` occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def problems(text: str, scenarios: list[Scenario] | None = None) -> list[str]:
    with pytest.raises(PersonaError) as err:
        parse_persona(text.encode("utf-8"), "p.yaml", scenarios or [])
    return err.value.lines()


def only(text: str, scenarios: list[Scenario] | None = None) -> str:
    found = problems(text, scenarios)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- shipped personas


@pytest.mark.parametrize("path", builtin_paths(), ids=lambda p: p.name)
def test_each_shipped_persona_validates_against_the_built_in_scenarios(
        path: Path, scenarios: list[Scenario]) -> None:
    persona = parse_persona(path.read_bytes(), str(path), scenarios)
    assert persona.id == path.stem
    assert path.read_text(encoding="utf-8").startswith(SCHEMA_LINE)


def test_the_shipped_personas_cover_both_roles_and_the_workshop_lead() -> None:
    personas = {p.stem: parse_persona(p.read_bytes(), str(p)) for p in builtin_paths()}
    assert len(personas) >= 4
    assert sum(p.role == "district" for p in personas.values()) >= 3
    assert any(p.role == "state" for p in personas.values())
    veteran = personas["literacy-veteran"]
    assert "balanced literacy" in veteran.title.lower()
    assert "balanced-literacy" in veteran.background.lower()
    assert any(f.strategy == "tag:favoured-by-district" for f in veteran.favours)


def test_every_move_belongs_to_an_agenda_step_or_to_none() -> None:
    steps = {s.id for s in STEPS}
    assert [m.id for m in MOVES] == list(MOVE_KINDS)
    for move in MOVES:
        assert move.step in steps or (move.step == "" and move.id in ("blame", "vague"))


# --------------------------------------------------------------------------- refusals


def test_a_reference_to_a_fact_that_does_not_exist_is_refused_with_a_suggestion() -> None:
    text = edit("  - fact: coach-stretched\n", "  - fact: coach-stretchd\n")
    line, col = position(text, "coach-stretchd")
    assert only(text) == (f"p.yaml:{line}:{col}: no fact 'coach-stretchd'; did you mean "
                          "'coach-stretched'?")


def test_a_reference_to_a_line_group_or_a_dial_that_does_not_exist_is_refused() -> None:
    text = edit("    lines: data-general\n", "    lines: data-generl\n")
    line, col = position(text, "data-generl")
    group = (f"p.yaml:{line}:{col}: no line group 'data-generl'; did you mean "
             "'data-general'?")
    text = edit("    dials: {openness: 5}\n", "    dials: {opennes: 5}\n", text)
    line, col = position(text, "opennes: 5")
    found = problems(text)
    assert group in found
    assert f"p.yaml:{line}:{col}: no dial 'opennes'; did you mean 'openness'?" in found


def test_a_strategy_the_scenarios_lack_is_refused_by_id_and_by_tag(
        scenarios: list[Scenario]) -> None:
    text = edit("  - strategy: tag:favoured-by-district\n    yields_when",
                "  - strategy: id:balanced-literacyy\n    yields_when")
    line, col = position(text, "id:balanced-literacyy")
    assert only(text, scenarios) == (
        f"p.yaml:{line}:{col}: no strategy 'balanced-literacyy' in hudson, pine-valley; "
        "did you mean 'id:balanced-literacy'?")
    text = edit("    moves: [ask-view, solve-together, propose-target, vague, follow-up]\n"
                "    lines: propose-favoured",
                "    moves: [ask-view, solve-together, propose-target, vague, follow-up]\n"
                "    lines: propose-favoured")
    text = text.replace("proposes:\n  - strategy: tag:favoured-by-district",
                        "proposes:\n  - strategy: tag:favoured-by-distrct")
    line, col = position(text, "tag:favoured-by-distrct")
    assert f"p.yaml:{line}:{col}: no strategy tagged 'favoured-by-distrct' in hudson, " \
           "pine-valley; did you mean 'tag:favoured-by-district'?" in problems(text, scenarios)


def test_without_scenarios_strategy_references_are_not_checked() -> None:
    text = edit("  - strategy: tag:favoured-by-district\n    yields_when",
                "  - strategy: tag:a-tag-of-my-own\n    yields_when")
    assert parse_persona(text.encode("utf-8"), "p.yaml").favours[0].strategy == \
        "tag:a-tag-of-my-own"


def test_two_fallbacks_in_a_group_are_refused_at_the_second() -> None:
    old = "  - id: which-strategy\n    lines:\n"
    text = edit(old, old + "      - text: Which one?\n")
    line, col = position(text, "Which strategy do you have in mind")
    message = only(text)
    assert message.startswith(f"p.yaml:{line}:{col - len('text: ')}: a second fallback in "
                              "line group 'which-strategy' (line 1 has no 'when' either)")


def test_a_line_whose_condition_can_never_hold_is_refused() -> None:
    text = edit("      - when: {at_least: {openness: 50}}\n"
                "        text: All right, let's look at it properly.",
                "      - when: {at_least: {openness: 50}, below: {openness: 40}}\n"
                "        text: All right, let's look at it properly.")
    line, col = position(text, "below: {openness: 40}")
    col += len("below: {openness: ")
    assert only(text) == f"p.yaml:{line}:{col}: 'openness' can never be at least 50 and below 40"


def test_a_dial_threshold_bounded_moves_never_reach_is_refused() -> None:
    text = edit("    when: {at_least: {trust: 60}}\n    lines: reveal-reluctant",
                "    when: {at_least: {trust: 100}}\n    lines: reveal-reluctant")
    line, col = position(text, "trust: 100")
    assert only(text) == (f"p.yaml:{line}:{col + len('trust: ')}: 'trust' never reaches "
                          "100: bounded moves stop short of 100 (the most is 99)")


def test_a_line_for_a_move_its_group_never_answers_is_refused() -> None:
    text = edit("      - when: {after: [ask-view]}\n        text: We've looked at the data.",
                "      - when: {moves: [blame]}\n        text: We've looked at the data.")
    line, col = position(text, "{moves: [blame]}")
    col += len("{moves: ")
    assert only(text) == (f"p.yaml:{line}:{col}: this line can never be said: line group "
                          "'data-general' is said only after ask-view")


def test_a_group_nothing_says_is_refused() -> None:
    text = VETERAN + "\n  - id: orphan\n    lines:\n      - text: Nobody asks for me.\n"
    line, col = position(text, "orphan")
    assert only(text) == (f"p.yaml:{line}:{col}: line group 'orphan' is never said: no "
                          "reaction, reveal, proposal, decision or commitment names it")


def test_a_reaction_after_an_unconditional_one_for_the_same_move_is_refused() -> None:
    old = "  - moves: [vague]\n    dials: {trust: -5}\n    lines: vague\n"
    text = edit(old, old + "  - moves: [vague]\n    when: {grounded: true}\n    lines: vague\n")
    line, col = position(text, "[vague]", nth=1)
    assert only(text).startswith(f"p.yaml:{line}:{col}: this reaction can never apply to "
                                 "vague")


def test_a_move_without_an_unconditional_reaction_is_refused() -> None:
    text = edit("  - moves: [vague]\n    dials: {trust: -5}\n    lines: vague\n",
                "  - moves: [vague]\n    when: {grounded: false}\n    dials: {trust: -5}\n"
                "    lines: vague\n")
    line, col = position(text, "- moves: [ask-view]")  # the list of reactions
    assert only(text) == (f"p.yaml:{line}:{col}: no reaction without a condition for vague: "
                          "each move needs one (last among its reactions), so the persona "
                          "always answers")


def test_an_unknown_placeholder_and_an_unknown_key_get_suggestions() -> None:
    text = edit("I'll put it in the plan and I'll own it.", "I'll put it in the plan, {mee}.")
    line, col = position(text, "text: \"All right: {strategy}. I'll put it in the plan, {mee}")
    assert only(text) == (f"p.yaml:{line}:{col + len('text: ')}: '{{mee}}' is not a "
                          "placeholder here; did you mean '{me}'?")
    text = edit("    max_step: 40\n", "    max_stepp: 40\n")
    line, col = position(text, "max_stepp")
    assert only(text) == (f"p.yaml:{line}:{col}: unknown key 'max_stepp' in dials.1; did you "
                          "mean 'max_step'?")


def test_a_fallback_that_says_a_placeholder_not_always_filled_is_refused() -> None:
    text = edit("      - text: Which strategy do you have in mind? Name it and I'll tell you "
                "what it costs us.",
                "      - text: Which strategy? {strategy}?")
    line, col = position(text, "Which strategy? {strategy}?")
    assert only(text) == (f"p.yaml:{line}:{col}: the fallback of 'which-strategy' says "
                          "{strategy}, which is not filled everywhere the group is said; give "
                          "this line a 'when' or drop it")


def test_hold_lines_without_a_condition_to_fail_are_refused() -> None:
    text = edit("  adopt_when: {at_least: {trust: 40}}\n", "")
    line, col = position(text, "hold_lines")
    found = problems(text)
    assert (f"p.yaml:{line}:{col + len('hold_lines: ')}: 'hold_lines' can never be said: "
            "there is no 'adopt_when' to fail") in found


def test_a_commitment_field_the_record_kind_lacks_is_refused() -> None:
    text = edit("      metric: strand reports reviewed, findings written up\n",
                "      metrc: strand reports reviewed, findings written up\n")
    line, col = position(text, "metrc")
    assert only(text) == (f"p.yaml:{line}:{col}: 'metrc' is not a field of an action record; "
                          "did you mean 'metric'?")


def test_a_list_instead_of_a_persona_is_refused_at_the_top() -> None:
    assert only("- a\n- b\n").startswith("p.yaml:1:1: a persona file must be a mapping of keys")


# --------------------------------------------------------------------------- the JSON Schema


def test_the_committed_schema_is_what_the_command_prints(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["persona", "schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == SCHEMA_PATH.read_text(encoding="utf-8"), (
        f"personas/persona.schema.json is out of date: run `{REGENERATE}` and commit it")


@pytest.mark.parametrize("path", builtin_paths(), ids=lambda p: p.name)
def test_shipped_personas_validate_against_the_json_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_the_schema_documents_fields_from_their_docstrings() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    reveal = schema["$defs"]["Reveal"]["properties"]
    assert re.search(r"hidden truth", reveal["scenario"]["description"])


# --------------------------------------------------------------------------- the guide

GUIDE = Path(__file__).resolve().parents[1] / "facilitator_guide" / "personas.md"


def test_the_guides_worked_example_validates_and_plays_as_the_guide_says(
        scenarios: list[Scenario]) -> None:
    from simulator.counterpart.conversation import Conversation

    text = GUIDE.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S)[1]
    hudson = scenarios[0]
    p = parse_persona(example.encode("utf-8"), "example.yaml", [hudson])
    c = Conversation(p, hudson)
    turn = c.say("Can we look at the reading strand data for English learners?")
    assert turn.dials["trust"] == 52 and "(40 → 52)" in text
    assert turn.revealed == ("truth:decoding-need",)
    c.say("Your fault.")
    assert c.say("Still your fault.").reply == "Again? I'm done for today."


def test_the_guides_move_table_is_the_move_vocabulary() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$",
                      GUIDE.read_text(encoding="utf-8"), re.M)
    listed = [r for r in rows if r[0] in MOVE_KINDS]
    assert [(m, label.strip(), step.strip(), example.strip()) for m, label, step, example
            in listed] == [(m.id, m.label, m.step or "—", m.example) for m in MOVES]
