"""Load scenario files: safe YAML, strict validation, every problem with its line.

``load_scenario`` either returns a valid :class:`Scenario` or raises
:class:`ScenarioError` holding every problem found, each positioned at the
line and column the YAML parser gave for the value (or key) at fault.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.formats.scenario import Scenario, cross_check, label_hint
from simulator.formats.strict import load_model
from simulator.formats.yamlsafe import FileProblems, Loaded, read_limited


class ScenarioError(FileProblems):
    """A scenario file that cannot be used, with every problem found in it."""


class ScenarioNotFound(Exception):
    """Neither a built-in scenario id nor an existing file."""


class ScenarioGone(ScenarioNotFound):
    """The file a session was played on is no longer where the session names it."""


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


def resolve(ref: str, extra: Sequence[Path] = (), base: Path | None = None) -> Path:
    """:func:`find_scenario`'s file, or :class:`ScenarioNotFound` naming the ids there are
    (one's own: those :func:`scenarios.own_paths` lists in ``extra``)."""
    from scenarios import own_paths

    found = find_scenario(ref, extra, base)
    if found is not None:
        return found
    known = [p.stem for p in builtin_paths()]
    own = [p.stem for folder in extra for p in own_paths(folder)]
    close = difflib.get_close_matches(ref, known + own, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    yours = f", one of yours ({', '.join(own)})" if own else ""
    raise ScenarioNotFound(
        f"no scenario '{ref}'{hint}: give a built-in id ({', '.join(known)}){yours}"
        " or a file path"
    )


def find_scenario(ref: str, extra: Sequence[Path] = (), base: Path | None = None
                  ) -> Path | None:
    """A built-in id such as ``hudson``, else the id of a scenario in one of the ``extra``
    folders (one's own scenarios: ``ID.yaml`` there), else a path to a scenario file: from
    here, or, for a relative path not found from here, from the folder ``base`` (a
    transcript names its scenario by a path from the transcript's own folder); None when
    it names none (no folder is listed)."""
    from scenarios import SUFFIXES

    is_id = "/" not in ref and os.sep not in ref and ref not in ("", ".", "..")
    for folder in (builtin_dir(), *extra) if is_id else ():
        for suffix in SUFFIXES:
            candidate = folder / f"{ref}{suffix}"
            if candidate.is_file():
                return candidate
    path = Path(ref)
    if path.is_file():
        return path
    if base is not None and not path.is_absolute() and (base / path).is_file():
        return base / path
    return None


def load_scenario(ref: str | Path, extra: Sequence[Path] = (), base: Path | None = None
                  ) -> LoadedScenario:
    """Load and validate a scenario by built-in id, own scenario id (in ``extra``) or path
    (from here, else from ``base``: see :func:`resolve`)."""
    path = ref if isinstance(ref, Path) else resolve(ref, extra, base)
    raw = read_limited(path, what="a scenario file")
    return LoadedScenario(parse_scenario(raw, str(path)), path, hashlib.sha256(raw).hexdigest())


def scenario_ref(loaded: LoadedScenario) -> str:
    """How a session names its scenario: a built-in's id, else the file's absolute path, so
    the session can be resumed, reported and exported from any folder."""
    return loaded.scenario.id if _is_builtin(loaded) else os.path.abspath(loaded.path)


def scenario_name(loaded: LoadedScenario) -> str:
    """The scenario as a message names it: a built-in's id, else the file's name."""
    return loaded.scenario.id if _is_builtin(loaded) else loaded.path.name


def _is_builtin(loaded: LoadedScenario) -> bool:
    return loaded.path.resolve().parent == builtin_dir().resolve()


def load_played(ref: str, given: str | Path | None = None) -> LoadedScenario:
    """The scenario a session named as ``ref``, or the one the player ``given`` instead.

    A file that is no longer there is a :class:`ScenarioGone` saying so and what to
    do; whether the file changed is for the caller to compare with the session's hash.
    """
    if given is not None:
        return load_scenario(given)
    if not _names_a_file(ref):
        return load_scenario(ref)
    path = Path(ref)
    if path.is_file():
        return load_scenario(path)
    if path.is_absolute():
        raise ScenarioGone(f"the scenario file {ref} is gone; pass --scenario PATH")
    raise ScenarioGone(
        f"the scenario file {ref} is not in this folder ({os.getcwd()}); the session was "
        "started in another: pass --scenario PATH"
    )


def _names_a_file(ref: str) -> bool:
    """A session's reference to a file (a path) rather than to a built-in scenario (an id)."""
    from scenarios import SUFFIXES

    return "/" in ref or os.sep in ref or ref.endswith(SUFFIXES)


def parse_scenario(raw: bytes | Loaded, name: str = "<scenario>") -> Scenario:
    """Validate a scenario file's bytes (or their YAML, loaded once by a caller that reads
    it too); raises ScenarioError with every problem."""
    return load_model(raw, name, Scenario, error=ScenarioError, checks=cross_check,
                      hint=label_hint,
                      mapping_of="(id, title, schools, …)", what="a scenario file")
