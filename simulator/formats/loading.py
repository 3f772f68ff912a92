"""Load scenario files: safe YAML, strict validation, every problem with its line.

``load_scenario`` either returns a valid :class:`Scenario` or raises
:class:`ScenarioError` holding every problem found, each positioned at the
line and column the YAML parser gave for the value (or key) at fault.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from simulator.formats.scenario import Scenario, cross_check
from simulator.formats.strict import load_model
from simulator.formats.yamlsafe import FileProblems, read_limited


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
    raw = read_limited(path, what="a scenario file")
    return LoadedScenario(parse_scenario(raw, str(path)), path, hashlib.sha256(raw).hexdigest())


def parse_scenario(raw: bytes, name: str = "<scenario>") -> Scenario:
    """Validate a scenario file's bytes; raises ScenarioError with every problem."""
    return load_model(raw, name, Scenario, error=ScenarioError, checks=cross_check,
                      mapping_of="(id, title, schools, …)", what="a scenario file")
