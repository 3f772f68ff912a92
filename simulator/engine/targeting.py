"""``pmsim run --strategies`` with targeting: whom each adopted strategy serves.

The option's text is a comma-separated list of strategy ids, each optionally followed
by its targeting in brackets, ``key=value`` pairs separated by ``;``::

    structured-literacy[grades=6,7;subgroups=el,swd;capacity=40],tutoring-math

``grades`` (grade numbers) and ``subgroups`` (subgroup ids) are comma-separated lists,
``capacity`` a whole number of students (at least 1): the same three options the meeting
room's decision form sets (:class:`simulator.engine.dashboard.Targeting`), recorded in
the decision's payload exactly as the form records them. A strategy without brackets
serves whom the scenario says it serves.

:func:`parse_strategies` refuses malformed text (:class:`TargetingSyntaxError`, a usage
error) and names the scenario does not have (:class:`TargetingNameError`), each with a
message that says what is wrong and, for a near miss, what was meant.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.engine.dashboard import Targeting

if TYPE_CHECKING:
    from simulator.formats.scenario import Scenario

KEYS = ("grades", "subgroups", "capacity")
MAX_CAPACITY = 1_000_000


class TargetingError(ValueError):
    """What is wrong with ``--strategies``."""


class TargetingSyntaxError(TargetingError):
    """The text is not a list of ``ID`` or ``ID[key=value;…]`` (a usage error)."""


class TargetingNameError(TargetingError):
    """A strategy, grade or subgroup the scenario does not have."""


@dataclass(frozen=True)
class Adoption:
    """One strategy adopted at the first meeting, and whom the decision says it serves."""

    strategy: str
    targeting: Targeting = field(default_factory=Targeting)

    @property
    def targeted(self) -> bool:
        return bool(self.targeting.options())


def _hint(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known) or 'none'}"


def split_top(text: str) -> list[str]:
    """``text`` split at the commas outside brackets; brackets must balance, unnested."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            if depth:
                raise TargetingSyntaxError(f"'[' inside a strategy's targeting at column {i + 1}")
            depth = 1
        elif ch == "]":
            if not depth:
                raise TargetingSyntaxError(f"']' without its '[' at column {i + 1}")
            depth = 0
        elif ch == "," and not depth:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise TargetingSyntaxError("a strategy's targeting opened with '[' is not closed with ']'")
    parts.append(text[start:])
    return parts


def _items(value: str, key: str, strategy: str) -> list[str]:
    items = [v.strip() for v in value.split(",")]
    if not value.strip() or any(not v for v in items):
        raise TargetingSyntaxError(
            f"{strategy}: {key}= needs a comma-separated list with no empty entry, e.g. "
            f"{'grades=6,7' if key == 'grades' else 'subgroups=el,swd'}")
    if len(set(items)) < len(items):
        raise TargetingSyntaxError(f"{strategy}: {key}= names the same entry twice")
    return items


def _targeting(body: str, strategy: str, sc: Scenario) -> Targeting:
    found: dict[str, str] = {}
    for pair in body.split(";"):
        if not pair.strip():
            raise TargetingSyntaxError(
                f"{strategy}: empty targeting entry; write key=value pairs separated by ';'")
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq:
            raise TargetingSyntaxError(f"{strategy}: '{pair.strip()}' is not key=value")
        if key not in KEYS:
            raise TargetingSyntaxError(
                f"{strategy}: unknown targeting key '{key}'{_hint(key, list(KEYS))}")
        if key in found:
            raise TargetingSyntaxError(f"{strategy}: {key}= given twice")
        found[key] = value
    grades = subgroups = capacity = None
    if "grades" in found:
        items = _items(found["grades"], "grades", strategy)
        if not all(v.isdecimal() for v in items):
            raise TargetingSyntaxError(f"{strategy}: grades= takes grade numbers, e.g. grades=6,7")
        known = [str(g) for g in sc.grades]
        for v in items:
            if str(int(v)) not in known:
                raise TargetingNameError(
                    f"{strategy}: the scenario has no grade {v}; its grades: {', '.join(known)}")
        grades = tuple(int(v) for v in items)
    if "subgroups" in found:
        items = _items(found["subgroups"], "subgroups", strategy)
        known = [g.id for g in sc.subgroups]
        for v in items:
            if v not in known:
                raise TargetingNameError(f"{strategy}: unknown subgroup '{v}'{_hint(v, known)}")
        subgroups = tuple(items)
    if "capacity" in found:
        value = found["capacity"].strip()
        if not value.isdecimal() or not 1 <= int(value) <= MAX_CAPACITY:
            raise TargetingSyntaxError(
                f"{strategy}: capacity= takes a whole number of students from 1 to "
                f"{MAX_CAPACITY}, e.g. capacity=40")
        capacity = int(value)
    return Targeting(grades, subgroups, capacity)


def parse_strategies(text: str, sc: Scenario) -> list[Adoption]:
    """``--strategies`` as adoptions, in order; a strategy named twice is adopted once
    (as untargeted ids always were), unless the two ask for different targeting."""
    out: dict[str, Adoption] = {}
    if not text.strip():
        return []
    known = [s.id for s in sc.strategies]
    for part in split_top(text):
        part = part.strip()
        if not part:
            continue  # "a,,b" and a trailing comma, as before
        sid, bracket, rest = part.partition("[")
        sid, body = sid.strip(), ""

        if not sid:
            raise TargetingSyntaxError(f"'{part}': a targeting needs its strategy id before '['")
        if bracket:
            if not rest.endswith("]"):
                raise TargetingSyntaxError(
                    f"{sid}: nothing may follow the targeting's ']' but ',' and the next strategy")
            body = rest[:-1]
            if not body.strip():
                raise TargetingSyntaxError(
                    f"{sid}: empty brackets; give key=value pairs ({', '.join(KEYS)}) or none")
        if sid not in known:
            raise TargetingNameError(f"unknown strategy '{sid}'{_hint(sid, known)}")
        adoption = Adoption(sid, _targeting(body, sid, sc) if bracket else Targeting())
        if sid in out and out[sid] != adoption:
            raise TargetingSyntaxError(f"{sid} is given twice with different targeting")
        out[sid] = adoption
    return list(out.values())


def run_targeted(scenario: Scenario, seed: int, adoptions: list[Adoption],
                 replications: int = 1) -> dict:
    """:func:`simulator.engine.headless.run` with targeting: the same document, the
    decisions carrying their options as the decision form records them, and a
    ``targeting`` key (strategy id → its options) for the strategies targeted."""
    from simulator.engine.headless import resources_json
    from simulator.engine.memory import memory_problem
    from simulator.engine.metrics import quarter_json
    from simulator.engine.playthrough import replay, to_decision
    from simulator.engine.simulation import Simulation, SimulationError

    ids = [a.strategy for a in adoptions]
    if (problem := memory_problem(scenario, replications, active=len(ids))) is not None:
        raise SimulationError(problem)
    sim = Simulation(scenario, seed=seed, replications=replications, keep_history=False)
    payloads = [{"strategy": a.strategy, "action": "adopt", "options": a.targeting.options()}
                for a in adoptions]
    for p in payloads:
        sim.check_decision(to_decision(p))
    quarters: list[dict] = []
    plan = [(scenario.calendar.meetings[0].id, payloads)]
    replay(sim, plan, through=len(sim.quarters) - 1,
           on_result=lambda result: quarters.append(quarter_json(sim, result)))
    doc = {
        "scenario": scenario.id,
        "seed": seed,
        "replications": replications,
        "strategies": ids,
        "quarters": quarters,
        "resources": resources_json(scenario, ids, quarters),
    }
    targeting = {a.strategy: a.targeting.options() for a in adoptions if a.targeted}
    if targeting:
        doc["targeting"] = targeting
    return doc
