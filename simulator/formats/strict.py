"""The one strict loader of pmsim's files: safe YAML in, a validated model out.

Scenarios, look-fors, transcripts and personas all go through :func:`load_model`:
safe YAML with size and alias limits (:mod:`simulator.formats.yamlsafe`), then
pydantic with unknown keys as errors, then the format's own cross-checks. Every
problem found is reported at once, at the line and column the parser gave for the
value (or key) at fault, with a "did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from simulator.formats.yamlsafe import FileProblems, Loaded, Problem, YamlError, load_bytes

# A short identifier: lower-case letters, digits and '-', starting with a letter.
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Grade = Annotated[int, Field(ge=0, le=12)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Loc = tuple[str | int, ...]
"""A path through a file's data: keys and list indices."""


class Strict(BaseModel):
    """Base of every file model: unknown keys are errors, instances are immutable, and
    NaN or an infinity is never a number (YAML's ``.nan`` and ``.inf`` would pass
    every bound and turn the simulation's figures into nonsense)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        populate_by_name=False,
    )


M = TypeVar("M", bound=BaseModel)


def load_model(
    raw: bytes,
    name: str,
    model: type[M],
    *,
    error: type[FileProblems] = FileProblems,
    checks: Callable[[M], list[tuple[Loc, str]]] | None = None,
    mapping_of: str = "",
    what: str = "this file",
    parts: Callable[[Loaded], list[Problem]] | None = None,
) -> M:
    """``raw`` parsed as safe YAML and validated as ``model``, or ``error`` raised with
    every problem positioned.

    ``parts`` checks pieces of the data on their own first (a transcript validates
    each event against its kind, for hints that name the event); ``checks`` adds
    the format's cross-references once the whole is valid.
    """
    try:
        loaded = load_bytes(raw)
    except YamlError as exc:
        raise error(name, exc.problems) from None
    if not isinstance(loaded.data, dict):
        keys = f" {mapping_of}" if mapping_of else ""
        raise error(name, [Problem(1, 1, f"{what} must be a mapping of keys{keys}")])
    if parts is not None and (found := parts(loaded)):
        raise error(name, found)
    try:
        parsed = model.model_validate(loaded.data)
    except ValidationError as exc:
        raise error(name, validation_problems(exc, loaded, model)) from None
    problems = [Problem(*loaded.locate(loc), msg) for loc, msg in (checks or _none)(parsed)]
    if problems:
        raise error(name, problems)
    return parsed


def _none(_: object) -> list[tuple[Loc, str]]:
    return []


def validation_problems(
    exc: ValidationError, loaded: Loaded, root: type[BaseModel]
) -> list[Problem]:
    """pydantic errors as positioned, readable problems (one per error, deduplicated)."""
    problems: dict[tuple[int, int, str], Problem] = {}
    for err in exc.errors(include_url=False):
        loc = data_path(err["loc"], loaded.data)
        kind = err["type"]
        if kind in ("extra_forbidden", "invalid_key") and loc and loc[-1] != "<key>":
            key = loc[-1]
            line, col = loaded.locate((*loc, "<key>"))
            known = _known_keys(root, loc[:-1])
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            message = f"unknown key '{key}' in {_where(loc[:-1])}{hint}"
        elif kind == "missing" and loc:
            line, col = loaded.locate(loc[:-1])
            message = f"missing required key '{loc[-1]}' in {_where(loc[:-1])}"
        else:
            line, col = loaded.locate(loc)
            shown = [p for p in loc if p != "<key>"]
            message = f"{'.'.join(map(str, shown)) or '(top level)'}: {_readable(err)}"
        problems.setdefault((line, col, message), Problem(line, col, message))
    return list(problems.values())


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "the top level"


def data_path(loc: tuple, data: object) -> tuple:
    """pydantic's error location as a path through the loaded data.

    pydantic inserts labels of its own into locations (union members such as
    ``list[constrained-str]``, ``[key]`` for a mapping key); walking the data keeps
    only real keys and indices, plus a final key that is missing from a mapping.
    """
    out: list = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "[key]":
            out.append("<key>")
            break
        if isinstance(current, dict):
            match = next((k for k in current if k == part or str(k) == str(part)), _MISSING)
            if match is not _MISSING:
                out.append(match)
                current = current[match]
            elif last:
                out.append(part)  # a required key that is not there
            continue
        if isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            out.append(part)
            current = current[part]
    return tuple(out)


_MISSING = object()


def _readable(err: Mapping[str, Any]) -> str:
    msg = err["msg"]
    if err["type"] == "finite_number":
        return f"{err.get('input')} is not a number: give a finite value"
    if err["type"] == "string_pattern_mismatch":
        return (f"'{err.get('input')}' is not a valid identifier (lower-case letters, digits "
                "and '-', starting with a letter)")
    return msg[0].lower() + msg[1:] if msg else msg


def _models_in(annotation: object) -> list[type[BaseModel]]:
    out = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out


def _known_keys(root: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model found at ``loc`` (for "did you mean")."""
    current: object = root
    for part in loc:
        current = annotation_at(current, part)
        if current is None:
            return []
    models = _models_in(current)
    return list(models[0].model_fields) if models else []


def annotation_at(annotation: object, part: str | int) -> object:
    """The type found one step (a key or an index) inside ``annotation``, or None."""
    models = _models_in(annotation) if not isinstance(part, int) else []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    if models and isinstance(part, str):
        for m in models:
            if part in m.model_fields:
                return m.model_fields[part].annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple):
        return args[0] if args else None
    if origin is dict:
        return args[1] if len(args) == 2 else None
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in args:
            found = annotation_at(arg, part)
            if found is not None:
                return found
    return None
