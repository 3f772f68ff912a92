"""Load scenario files: safe YAML, strict validation, every problem with its line.

``load_scenario`` either returns a valid :class:`Scenario` or raises
:class:`ScenarioError` holding every problem found, each positioned at the
line and column the YAML parser gave for the value (or key) at fault.
"""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .scenario import Scenario, cross_check
from .yamlsafe import FileProblems, Loaded, Problem, YamlError, load_bytes


class ScenarioError(FileProblems):
    """A scenario file that cannot be used, with every problem found in it."""


class ScenarioNotFound(Exception):
    """Neither a built-in scenario id nor an existing file."""


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    path: Path
    sha256: str
    """Hash of the file's bytes: a session remembers which file it was played on."""


def builtin_dir() -> Path:
    from scenarios import DIRECTORY

    return DIRECTORY


def builtin_paths() -> list[Path]:
    """Built-in scenario files, Hudson first (see :mod:`scenarios`)."""
    from scenarios import builtin_paths as paths

    return paths()


def resolve(ref: str) -> Path:
    """A built-in id such as ``hudson`` or a path to a scenario file."""
    from scenarios import SUFFIXES

    for suffix in SUFFIXES:
        candidate = builtin_dir() / f"{ref}{suffix}"
        if "/" not in ref and candidate.is_file():
            return candidate
    path = Path(ref)
    if path.is_file():
        return path
    known = [p.stem for p in builtin_paths()]
    close = difflib.get_close_matches(ref, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ScenarioNotFound(
        f"no scenario '{ref}'{hint}: give a built-in id ({', '.join(known)}) or a file path"
    )


def load_scenario(ref: str | Path) -> LoadedScenario:
    """Load and validate a scenario by built-in id or path."""
    path = ref if isinstance(ref, Path) else resolve(ref)
    raw = path.read_bytes()
    return LoadedScenario(parse_scenario(raw, str(path)), path, hashlib.sha256(raw).hexdigest())


def parse_scenario(raw: bytes, name: str = "<scenario>") -> Scenario:
    """Validate a scenario file's bytes; raises ScenarioError with every problem."""
    try:
        loaded = load_bytes(raw)
    except YamlError as exc:
        raise ScenarioError(name, exc.problems) from None
    if not isinstance(loaded.data, dict):
        raise ScenarioError(name, [Problem(1, 1, "a scenario file must be a mapping of keys "
                                              "(id, title, schools, …)")])
    try:
        scenario = Scenario.model_validate(loaded.data)
    except ValidationError as exc:
        raise ScenarioError(name, validation_problems(exc, loaded, Scenario)) from None
    problems = [
        Problem(*loaded.locate(loc), message) for loc, message in cross_check(scenario)
    ]
    if problems:
        raise ScenarioError(name, problems)
    return scenario


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


def _readable(err: dict) -> str:
    msg = err["msg"]
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
