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
    raw: bytes | Loaded,
    name: str,
    model: type[M],
    *,
    error: type[FileProblems] = FileProblems,
    checks: Callable[[M], list[tuple[Loc, str]]] | None = None,
    mapping_of: str = "",
    what: str = "this file",
    parts: Callable[[Loaded], list[Problem]] | None = None,
    hint: Callable[[object, Loc], str | None] | None = None,
) -> M:
    """``raw`` parsed as safe YAML (or already parsed: a :class:`Loaded`) and validated as
    ``model``, or ``error`` raised with every problem positioned.

    ``parts`` checks pieces of the data on their own first (a transcript validates
    each event against its kind, for hints that name the event); ``checks`` adds
    the format's cross-references once the whole is valid. ``hint`` may replace the
    message of a problem at a location (given the file's plain data and the location):
    a reference written as the thing's label rather than its id, say.
    """
    try:
        loaded = raw if isinstance(raw, Loaded) else load_bytes(raw)
    except YamlError as exc:
        raise error(name, exc.problems) from None
    if not isinstance(loaded.data, dict):
        raise error(name, [_not_a_mapping(loaded, what, mapping_of)])
    if parts is not None and (found := parts(loaded)):
        raise error(name, found)
    try:
        parsed = model.model_validate(loaded.data)
    except ValidationError as exc:
        raise error(name, validation_problems(exc, loaded, model, hint)) from None
    problems = [Problem(*loaded.locate(loc), _hinted(hint, loaded.data, loc, msg))
                for loc, msg in (checks or _none)(parsed)]
    if problems:
        raise error(name, problems)
    return parsed


def _none(_: object) -> list[tuple[Loc, str]]:
    return []


def _hinted(hint: Callable[[object, Loc], str | None] | None, data: object, loc: Loc,
            message: str) -> str:
    return (hint(data, loc) if hint is not None else None) or message


def _not_a_mapping(loaded: Loaded, what: str, mapping_of: str) -> Problem:
    """The whole file is a list, a single value or nothing, where keys were expected."""
    keys = f" {mapping_of}" if mapping_of else ""
    data = loaded.data
    if data is None:
        found = "this file is empty"
    elif isinstance(data, list):
        found = "this file is a list ('- ' items)"
    else:
        found = "this file is a single value"
    return Problem(*loaded.locate(()), f"{what} must be a mapping of keys{keys}, each line "
                                       f"'key: value' at the left margin; {found}")


def validation_problems(
    exc: ValidationError, loaded: Loaded, root: type[BaseModel],
    hint: Callable[[object, Loc], str | None] | None = None,
) -> list[Problem]:
    """pydantic errors as positioned, readable problems (one per error, deduplicated);
    ``hint`` as for :func:`load_model`."""
    problems: dict[tuple[int, int, str], tuple[tuple, Problem]] = {}
    hinted: set[tuple] = set()
    for err in exc.errors(include_url=False):
        loc = data_path(err["loc"], loaded.data)
        kind = err["type"]
        if kind in ("extra_forbidden", "invalid_key") and loc and loc[-1] != "<key>":
            key = loc[-1]
            line, col = loaded.locate((*loc, "<key>"))
            known = _known_keys(root, loc[:-1])
            close = difflib.get_close_matches(str(key), known, n=1)
            suggest = f"; did you mean '{close[0]}'?" if close else ""
            message = f"unknown key '{key}' in {_where(loc[:-1])}{suggest}"
        elif kind == "missing" and loc:
            line, col = loaded.locate(loc[:-1])
            message = f"missing required key '{loc[-1]}' in {_where(loc[:-1])}"
        else:
            line, col = loaded.locate(loc)
            shown = [p for p in loc if p != "<key>"]
            message = f"{'.'.join(map(str, shown)) or '(top level)'}: {_readable(err)}"
            better = hint(loaded.data, loc) if hint is not None else None
            if better is not None:
                message = better
                hinted.add(loc)
        problems.setdefault((line, col, message), (loc, Problem(line, col, message)))
    # A hinted item of a list that may also be a word ("all") fails both union members:
    # the word's complaint about the whole list only hides the hint.
    return [problem for loc, problem in problems.values()
            if not any(len(loc) < len(h) and h[:len(loc)] == loc for h in hinted)]


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
