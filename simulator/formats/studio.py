"""The facilitator's studio: new scenario files, and the folder of one's own scenarios.

``scaffold_text`` is the commented scaffold ``pmsim scenario new`` writes (the data file
``scaffold.yaml`` beside this module, shipped in the wheel); ``copy_text`` is another
scenario's text under a new id, every other byte kept; ``own_scenarios`` lists a folder of
scenario files (the pmsim home's ``scenarios``) with each one's problem, if any, and
``listed_scenarios`` the built-ins and those together, as the TUI home lists them.

The formats layer: it knows nothing of the pmsim home, only the folder it is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

SCHEMA_LINE = "# yaml-language-server: $schema="
"""How a scenario file's first line names its JSON Schema, for editors."""
DEFAULT_ID = "my-scenario"
_ID_MAX = 40


def slug(stem: str) -> str:
    """An id from a file name's stem: lowercase, ``[a-z0-9-]``, starting with a letter."""
    text = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    if text and not text[0].isalpha():
        text = f"s-{text}"
    text = text[:_ID_MAX].rstrip("-")
    return text or DEFAULT_ID


def title_of(ident: str) -> str:
    """A title from an id: ``my-district`` → ``My District``."""
    return " ".join(w.capitalize() for w in ident.split("-") if w) or "My Scenario"


def schema_path() -> Path:
    """The installed scenario JSON Schema (``scenarios/scenario.schema.json``)."""
    from scenarios import DIRECTORY

    return DIRECTORY / "scenario.schema.json"


def schema_line() -> str:
    return f"{SCHEMA_LINE}{schema_path()}"


def scaffold_text(ident: str, title: str) -> str:
    """The commented scaffold with ``ident``, ``title`` and the schema line filled in."""
    template = files("simulator.formats").joinpath("scaffold.yaml").read_text(encoding="utf-8")
    first, rest = template.split("\n", 1)
    if not first.startswith(SCHEMA_LINE):  # pragma: no cover - the shipped file
        raise ValueError("scaffold.yaml must start with its schema line")
    rest = rest.replace("__ID__", ident).replace("__TITLE__", json.dumps(title,
                                                                            ensure_ascii=False))
    return f"{schema_line()}\n{rest}"


class CopyError(ValueError):
    """A scenario's text in which the top-level ``id:`` line can't be found."""


_KEY = re.compile(r"^(id|title)[ \t]*:")


def copy_text(text: str, ident: str, title: str) -> str:
    """``text`` (a scenario file) with its top-level ``id`` set to ``ident`` and ``title`` to
    ``title``, its schema line re-pointed at the installed schema (added if it had none);
    every other line, comments included, byte for byte."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    found: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _KEY.match(line)
        if match and match.group(1) not in found:
            key = match.group(1)
            found.add(key)
            ending = line[len(line.rstrip("\r\n")):] or newline
            value = ident if key == "id" else json.dumps(title, ensure_ascii=False)
            out.append(f"{key}: {value}{ending}")
            i += 1
            while i < len(lines) and _continues(lines[i]):  # a value over several lines
                i += 1
            continue
        out.append(line)
        i += 1
    if "id" not in found:
        raise CopyError("no top-level 'id:' line to give the copy its new id")
    if out and out[0].startswith(SCHEMA_LINE):
        ending = out[0][len(out[0].rstrip("\r\n")):] or newline
        out[0] = schema_line() + ending
    else:
        out.insert(0, schema_line() + newline)
    return "".join(out)


def _continues(line: str) -> bool:
    """A line that belongs to the value above it: indented (a folded or wrapped scalar)."""
    return line[:1] in (" ", "\t") and line.strip() != ""


@dataclass(frozen=True)
class ListedScenario:
    """A scenario file as a list shows it (``scenario list``, the TUI home): a built-in or
    one of one's own, with its problem, if any."""

    id: str
    """What names it on the command line: the file's stem."""
    title: str
    path: Path
    problem: str = ""
    """Why it can't be played (empty when it validated, or is not yet checked)."""
    summary: str = ""
    own: bool = False
    """One of one's own scenarios (the pmsim home's ``scenarios`` folder), not a built-in."""

    @property
    def ref(self) -> str:
        """What a session is started on: a built-in's id; one's own file by its absolute
        path, so that a session on it names the file and resumes from any folder."""
        return str(self.path.resolve()) if self.own else self.id


def listed_scenario(path: Path, *, own: bool = False,
                    builtin_ids: AbstractSet[str] = frozenset()) -> ListedScenario:
    """One scenario file, validated; never raises for a bad file. One's own (``own``) is
    also a problem when a built-in has its id or its id is not its file's name."""
    from simulator.formats.loading import ScenarioError, parse_scenario
    from simulator.formats.yamlsafe import read_limited

    try:
        sc = parse_scenario(read_limited(path), str(path))
    except ScenarioError as exc:
        return ListedScenario(path.stem, path.name, path, exc.lines()[0], own=own)
    except OSError as exc:  # FileRefused (too large, not UTF-8) is an OSError
        return ListedScenario(path.stem, path.name, path, f"{path}: {exc.strerror or exc}",
                              own=own)
    problem = ""
    if own and path.stem in builtin_ids:
        problem = (f"{path}: a built-in scenario has the id '{path.stem}', so this file is "
                   "never used; give it another id and add it again")
    elif own and sc.id != path.stem:
        problem = (f"{path}: its id is '{sc.id}' but the file is named {path.name}; add it "
                   "with `pmsim scenario add` (it names the file after the id)")
    return ListedScenario(path.stem, sc.title, path, problem, sc.summary, own=own)


def own_scenarios(folder: Path, builtin_ids: AbstractSet[str]) -> list[ListedScenario]:
    """Every scenario file in ``folder``, validated; never raises for a bad file."""
    from scenarios import own_paths

    return [listed_scenario(p, own=True, builtin_ids=builtin_ids) for p in own_paths(folder)]


def listed_scenarios(folder: Path) -> list[ListedScenario]:
    """The built-in scenarios (Hudson first), then one's own in ``folder``, validated."""
    from scenarios import builtin_paths

    builtins = builtin_paths()
    return [*map(listed_scenario, builtins),
            *own_scenarios(folder, {p.stem for p in builtins})]
