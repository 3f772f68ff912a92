"""The facilitator guide's scenario reference: generated, complete, and never stale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.formats.scenario import json_schema
from simulator.render.reference import REGENERATE, scenario_reference

GUIDE = Path(__file__).resolve().parent.parent / "facilitator_guide"
REFERENCE = GUIDE / "scenario-reference.md"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def models() -> dict[str, dict]:
    """Every model of the scenario schema, the top level included, by name."""
    schema = json_schema()
    return {"Scenario": schema, **schema["$defs"]}


def sections(text: str) -> dict[str, str]:
    """The body of each ``## Model`` section of the reference."""
    parts = re.split(r"(?m)^## (\w+)\n", text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def rows(section: str) -> dict[str, list[str]]:
    """Table rows of a section by key: the cells after the key."""
    out = {}
    for line in section.splitlines():
        match = re.match(r"\| `(\w+)` \|", line)
        if match:
            cells = [cell.strip() for cell in UNESCAPED_PIPE.split(line.strip())[1:-1]]
            out[match[1]] = cells[1:]
    return out


@pytest.fixture(scope="module")
def reference() -> str:
    return scenario_reference()


def test_the_committed_reference_is_up_to_date(reference: str) -> None:
    committed = REFERENCE.read_text(encoding="utf-8") if REFERENCE.is_file() else ""
    assert committed == reference, (
        "facilitator_guide/scenario-reference.md is out of date with "
        "simulator/formats/scenario.py: "
        f"run `{REGENERATE}` and commit it"
    )


def test_every_field_of_every_model_has_a_row_with_its_description(reference: str) -> None:
    found = sections(reference)
    for name, model in models().items():
        assert name in found, f"no section for {name}"
        table = rows(found[name])
        assert list(table) == list(model["properties"]), name
        for key, prop in model["properties"].items():
            description = " ".join(prop.get("description", "").split())
            assert description, f"{name}.{key} has no docstring"
            assert table[key][2] == description.replace("|", r"\|"), f"{name}.{key}"


def test_every_model_is_described_and_follows_a_section_that_uses_it(reference: str) -> None:
    order = list(sections(reference))
    assert order[0] == "Scenario"
    for name, model in models().items():
        assert " ".join(model["description"].split()) in sections(reference)[name]
        if name != "Scenario":
            users = [
                i
                for i, other in enumerate(order)
                if f"](#{name.lower()})" in sections(reference)[other]
            ]
            assert users and min(users) < order.index(name), name


def test_every_table_row_has_four_cells(reference: str) -> None:
    for line in reference.splitlines():
        if line.startswith("| `"):
            assert len(UNESCAPED_PIPE.split(line)) == 6, line


@pytest.mark.parametrize(
    ("model", "key", "type_", "requirement"),
    [
        ("Scenario", "schools", "list of [School](#school) (at least 1)", "**required**"),
        ("Scenario", "scale", "[Scale](#scale)", "optional (each of its keys has a default)"),
        ("School", "enrollment", "mapping grade → whole number 1–200,000", "**required**"),
        ("School", "absence_rate", "number 0–1", "`0.07`"),
        ("School", "subgroup_rates", "mapping id → number 0–1", "empty mapping"),
        ("Subject", "norms", "mapping grade → [Seasons](#seasons)", "**required**"),
        ("Need", "schools", r"`priority` \| `all` \| list of ids", '`"priority"`'),
        ("Need", "grades", "list of grades", "empty list"),
        ("Need", "strand", "id", "optional (none)"),
        ("School", "priority", r"`true` \| `false`", "`false`"),
        ("Scale", "sem", "number > 0, ≤ 50", "`3.2`"),
        ("Strand", "offset_sd", "number -2 to 2", "`0.0`"),
        ("Meeting", "goals", "list of text items (at least 1)", "**required**"),
        ("Scenario", "schema_version", "`1`", "`1`"),
    ],
)
def test_types_and_defaults_read_as_a_facilitator_would_say_them(
    reference: str, model: str, key: str, type_: str, requirement: str
) -> None:
    assert rows(sections(reference)[model])[key][:2] == [type_, requirement]


@pytest.mark.parametrize(
    ("model", "key", "docstring"),
    [
        ("Need", "subject", "The subject it affects."),
        ("Meeting", "after_quarter", "The meeting happens at the end of this quarter"),
        ("Event", "quarter", "The quarter it happens in."),
        ("District", "id", "Identifier used in session files and reports."),
    ],
)
def test_bug2_id_fields_keep_their_own_docstring(
    reference: str, model: str, key: str, docstring: str
) -> None:
    assert rows(sections(reference)[model])[key][2].startswith(docstring)


def test_python_m_simulator_docs_prints_the_reference() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator.render.reference"], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode("utf-8") == scenario_reference()


def test_generating_the_reference_does_not_import_textual() -> None:
    code = (
        "import sys, simulator.render.reference as docs; docs.scenario_reference(); "
        "print('textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_links_in_the_facilitator_guide_lead_somewhere() -> None:
    for page in sorted(GUIDE.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            assert linked.exists(), f"{page.name}: broken link {target}"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"(?m)^#+ (.+)$", linked.read_text(encoding="utf-8"))
                slugs = {_slug(h) for h in headings}
                assert anchor in slugs, f"{page.name}: no heading for #{anchor} in {file}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_guide_lists_each_record_kind_with_exactly_the_routines_fields() -> None:
    """The debrief guide's record table says what simulator/formats/routine.py defines."""
    from simulator.formats.routine import RECORDS

    guide = (GUIDE / "debrief.md").read_text(encoding="utf-8")
    rows = {m[1]: set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^()]*\)", "", m[2])))
            for m in re.finditer(r"^\| ([a-z]+) \| (.*) \|$", guide, re.M)}
    for kind, spec in RECORDS.items():
        assert kind in rows, f"debrief.md: no row for the {kind} record"
        assert rows[kind] == set(spec.field_names), (
            f"debrief.md: the {kind} row lists {sorted(rows[kind])}, "
            f"the routine defines {sorted(spec.field_names)}")
