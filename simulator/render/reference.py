"""The facilitator reference of the scenario file format, generated from its JSON Schema.

Facilitators read the reference, editors read the schema; both come from the
field docstrings in :mod:`simulator.formats.scenario`, so generating one from the other
keeps them in step. ``tests/test_docs.py`` fails when the committed
``facilitator_guide/scenario-reference.md`` drifts; regenerate it with
``python -m simulator.render.reference > facilitator_guide/scenario-reference.md``.

JSON Schema cannot say that a mapping is keyed by grade (pydantic leaves whole
number keys unconstrained), so the models themselves are asked which mappings
and lists hold grades.
"""

from __future__ import annotations

import functools
import json
import sys
import types
import typing

from pydantic import BaseModel

from simulator.formats import scenario
from simulator.formats.strict import _models_in

ROOT = "Scenario"
REGENERATE = "python -m simulator.render.reference > facilitator_guide/scenario-reference.md"


def scenario_reference() -> str:
    """The whole reference as Markdown; the same bytes on every run."""
    schema = scenario.json_schema()
    defs: dict[str, dict] = {**schema.get("$defs", {}), ROOT: schema}
    order = _reading_order(defs)
    used_in = _used_in(defs, order)
    classes = _model_classes()
    out = _introduction(schema, order)
    for name in order:
        out += _section(name, defs[name], used_in.get(name, []), classes.get(name))
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    """Print the reference (redirect it into facilitator_guide/scenario-reference.md)."""
    sys.stdout.write(scenario_reference())
    return 0


# --------------------------------------------------------------------------- structure


def _refs(node: object) -> list[str]:
    """Model names referenced anywhere inside a schema node, in document order."""
    if isinstance(node, dict):
        found = []
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"].rsplit("/", 1)[-1])
        for key, value in node.items():
            if key != "$defs":
                found += _refs(value)
        return found
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    return []


def _reading_order(defs: dict[str, dict]) -> list[str]:
    """Scenario first, then each model where a reader first meets it (depth first),
    so that a model's parts follow it; models nothing reaches come last, by name."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in defs:
            return
        order.append(name)
        for prop in defs[name].get("properties", {}).values():
            for ref in _refs(prop):
                visit(ref)

    visit(ROOT)
    return order + sorted(set(defs) - set(order))


def _used_in(defs: dict[str, dict], order: list[str]) -> dict[str, list[tuple[str, str]]]:
    """For each model, the (model, key) pairs whose values it describes."""
    used: dict[str, list[tuple[str, str]]] = {}
    for parent in order:
        for key, prop in defs[parent].get("properties", {}).items():
            for ref in dict.fromkeys(_refs(prop)):
                used.setdefault(ref, []).append((parent, key))
    return used


def _model_classes() -> dict[str, type[BaseModel]]:
    """Every model reachable from Scenario, by schema name."""
    found: dict[str, type[BaseModel]] = {}
    stack: list[type[BaseModel]] = [scenario.Scenario]
    while stack:
        model = stack.pop()
        if model.__name__ in found:
            continue
        found[model.__name__] = model
        for field in model.model_fields.values():
            stack += _models_in(field.annotation)
    return found


# --------------------------------------------------------------------------- what the schema
# cannot say: which whole numbers are grades


def _container_args(annotation: object, origin: type) -> tuple | None:
    """Type arguments of the first ``origin`` (list or dict) inside an annotation."""
    if typing.get_origin(annotation) is origin:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _container_args(arg, origin)
            if found is not None:
                return found
    return None


def _noun(annotation: object) -> str | None:
    if annotation is scenario.Grade:
        return "grade"
    if annotation is scenario.Id:
        return "id"
    return None


def _hints(model: type[BaseModel] | None, key: str) -> tuple[str | None, str | None]:
    """(what the keys of a mapping field are, what the items of a list field are)."""
    if model is None or key not in model.model_fields:
        return None, None
    annotation = model.model_fields[key].annotation
    mapping = _container_args(annotation, dict)
    items = _container_args(annotation, list)
    return (
        _noun(mapping[0]) if mapping else None,
        _noun(items[0]) if items else None,
    )


# --------------------------------------------------------------------------- rendering


def _introduction(schema: dict, order: list[str]) -> list[str]:
    props = schema["properties"]
    id_pattern = props["id"]["pattern"]
    grade = props["grades"]["items"]
    return [
        "# Scenario file reference",
        "",
        "<!-- Generated from the scenario JSON Schema by `"
        + REGENERATE
        + "`. Do not edit by hand: change the field docstrings in `simulator/formats/scenario.py`"
        " and regenerate. -->",
        "",
        "Every key a scenario file may contain, model by model, starting with the top",
        "level of the file. The tutorial is in [authoring-scenarios.md](authoring-scenarios.md);",
        "the built-in Hudson scenario (`scenarios/hudson.yaml`) uses almost every key.",
        "",
        "How to read the tables:",
        "",
        "- **required** keys must be present; every other key may be left out and then",
        "  takes the default shown. A key the format does not know is an error, so a",
        "  misspelt key never goes unnoticed.",
        "- **id**: a short identifier of lower-case letters, digits and `-`, starting with",
        f"  a letter, at most 40 characters (`{id_pattern}`), e.g. `hudson-ms`. Other",
        "  parts of the file refer to things by their id.",
        f"- **grade**: a whole number from {_num(grade['minimum'])} to "
        f"{_num(grade['maximum'])} (0 is kindergarten).",
        "- **mapping A → B**: keys of kind A, each with a value of kind B, e.g.",
        "  `enrollment: {6: 142, 7: 138, 8: 132}` is a mapping grade → whole number.",
        "- **list of X**: written `[a, b]` or one `- ` item per line.",
        "- **text**: any text; long text can be folded over several lines with `>-`.",
        "- **SD units**: standard deviations of students' scores in a grade, so that",
        "  effects read the same on any score scale (0.10 SD is a typical effect of a",
        "  good programme in a year).",
        "",
        "Models: " + ", ".join(f"[{n}](#{n.lower()})" for n in order) + ".",
        "",
    ]


def _section(
    name: str, model: dict, used_in: list[tuple[str, str]], cls: type[BaseModel] | None
) -> list[str]:
    lines = [f"## {name}", ""]
    if model.get("description"):
        lines += [_one_line(model["description"]), ""]
    if name == ROOT:
        lines += ["The top level of a scenario file.", ""]
    elif used_in:
        places = ", ".join(f"`{key}` in [{parent}](#{parent.lower()})" for parent, key in used_in)
        lines += [f"Used as: {places}.", ""]
    lines += ["| key | type | required / default | description |", "|---|---|---|---|"]
    required = set(model.get("required", []))
    for key, prop in model.get("properties", {}).items():
        key_noun, item_noun = _hints(cls, key)
        cells = [
            f"`{key}`",
            _type(prop, key_noun, item_noun),
            _requirement(prop, key in required),
            _cell(prop.get("description", "")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _type(prop: dict, key_noun: str | None = None, item_noun: str | None = None) -> str:
    """A human-readable type: "list of School", "mapping grade → Seasons", "number 0–1"."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return r" \| ".join(f"`{value}`" for value in prop["enum"])
    if "anyOf" in prop:
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        options.sort(key=lambda o: 0 if "enum" in o or "const" in o else 1)
        return r" \| ".join(_type(o, key_noun, item_noun) for o in options)
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_items(prop.get('items', {}), item_noun)}{_count(prop)}"
    if kind == "object":
        if "patternProperties" in prop:
            pattern, value = next(iter(prop["patternProperties"].items()))
            keys = "id" if pattern == _id_pattern() else "key"
        else:
            value, keys = prop.get("additionalProperties", {}), "key"
        if not isinstance(value, dict):
            return "mapping"
        return f"mapping {key_noun or keys} → {_type(value)}"
    if kind == "string":
        return "id" if prop.get("pattern") == _id_pattern() else "text"
    if kind == "boolean":
        return r"`true` \| `false`"
    if kind in ("integer", "number"):
        word = "whole number" if kind == "integer" else "number"
        bounds = _bounds(prop)
        return f"{word} {bounds}" if bounds else word
    return "any value"


@functools.cache
def _id_pattern() -> str:
    """The pattern every id follows, read from the schema rather than restated."""
    return scenario.json_schema()["properties"]["id"]["pattern"]


def _items(item: dict, noun: str | None) -> str:
    """The items of a list, in the plural: "ids", "grades", "numbers 0–1", "School"."""
    if noun == "grade":
        return "grades"
    single = _type(item)
    if single in ("id", "text"):
        return {"id": "ids", "text": "text items"}[single]
    if item.get("type") in ("integer", "number"):
        word = "whole numbers" if item["type"] == "integer" else "numbers"
        return f"{word} {_bounds(item)}".rstrip()
    return single


def _count(prop: dict) -> str:
    low, high = prop.get("minItems"), prop.get("maxItems")
    if low and high:
        return f" ({low} to {high})"
    if low:
        return f" (at least {low})"
    if high:
        return f" (at most {high})"
    return ""


def _bounds(prop: dict) -> str:
    low, high = prop.get("minimum"), prop.get("maximum")
    low_open, high_open = prop.get("exclusiveMinimum"), prop.get("exclusiveMaximum")
    if low is not None and high is not None:
        joiner = "–" if low >= 0 else " to "
        return f"{_num(low)}{joiner}{_num(high)}"
    parts = []
    if low is not None:
        parts.append(f"≥ {_num(low)}")
    if low_open is not None:
        parts.append(f"> {_num(low_open)}")
    if high is not None:
        parts.append(f"≤ {_num(high)}")
    if high_open is not None:
        parts.append(f"< {_num(high_open)}")
    return ", ".join(parts)


def _num(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return format(value, "g")


def _requirement(prop: dict, required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in prop:
        if prop.get("type") == "array":
            return "empty list"
        if prop.get("type") == "object":
            return "empty mapping"
        return "optional (each of its keys has a default)"
    default = prop["default"]
    if default is None:
        return "optional (none)"
    if default == "":
        return "empty"
    return f"`{json.dumps(default, ensure_ascii=False)}`"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _one_line(text).replace("|", r"\|")


if __name__ == "__main__":
    sys.exit(main())
