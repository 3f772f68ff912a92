"""A mutation fuzzer over the shipped scenarios and transcripts, and the rule it checks.

A mutation is a few seeded edits of a file's bytes, its lines or its YAML nodes
(:data:`OPERATORS`): lines deleted, duplicated, swapped; scalars turned into other types,
huge numbers, NaN, infinities, control and bidirectional characters; values nested deep,
shared through anchors and aliases, blown up by alias bombs; bytes flipped; the file cut
short. Every choice goes through one ``pick(n)`` function, so the same code runs from a
``random.Random`` (the campaign) or from hypothesis's data (the tests, which then shrink
a failure to its fewest edits).

The rule (:func:`problems_with`): every command fed a mutated file exits 0 or 1, never
with a traceback; exit 1 comes with a message (``FILE:LINE:COL: …`` for a file's own
problems); a scenario that validates also shows and runs, and ``run`` prints no NaN or
infinity and nothing on stderr.

Used by tests/test_fuzz_formats.py and benchmarks/bench_faults.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faultlib
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (ROOT / "scenarios" / "hudson.yaml",)
TRANSCRIPTS = (ROOT / "scenarios" / "hudson-strong-transcript.yaml",
               ROOT / "scenarios" / "hudson-weak-transcript.yaml")
GUIDE = ROOT / "facilitator_guide"
LOOKFORS = ROOT / "simulator" / "formats" / "lookfors.yaml"

Pick = Callable[[int], int]
"""``pick(n)``: a whole number from 0 to n - 1, the fuzzer's every choice."""

VALUES = (
    "~", "true", "no", "0", "-1", "-0", "0.0", "1e308", "1e309", "-1e309", ".nan", ".NaN",
    ".inf", "-.inf", "18446744073709551616", "-18446744073709551617", "99999999999999999999",
    "0x7fffffffffffffff", "0o17", "1_000", "2001-12-14", "2026-02-30", "''", "'   '", "[]",
    "{}", "[1, [2, [3]]]", "{a: 1}", "'\\x1b[31mred'", '"\\x1b]8;;http://x\\x07link"',
    '"\\u202egnp.exe"', '"\\0"', '"\\u2028"', '"[b]bold[/b]"', '"<img src=x onerror=alert(1)>"',
    '"[x](javascript:alert(1))"', "'é😀'", "!!binary aGVsbG8=", "!!python/object:os.system",
    "!!set {a, b}", "!!omap [a: 1]", "*undefined", "&anchor 1", "'" + "x" * 5000 + "'",
    # references between files and records (refs.py parses them): views, metrics, ids
    "reading/hudson-ms", "reading/hudson-ms/all/extra", "//", "reading//all",
    "reading/nowhere/all", "math/hudson-ms/strand", "attendance/hudson-ms/subgroup",
    "reading/hudson-ms/strand?group=el", "pct:reading:hudson-ms:el:x", "pct:::",
    "chronic:attendance:hudson-ms:grade-99", "pct:reading:hudson-ms:grade-", "mean:math:*:all",
    "Q9", "Q0", "meeting-99", "debrief-0", "end of Q9", "t1", "a1", "dec1",
)
"""YAML texts a scalar is replaced by."""
CHARACTERS = ("\x00", "\x07", "\x08", "\x1b[2J", "\x7f", "\x85", "\u2028", "\u202e", "\ufeff",
              "\ud7ff", "é", "😀", "\t", "\r", "\r\n", "'", '"', ":", ": ", "- ", "#", "{",
              "[", "]", "&a ", "*a", "!", "%", "@", "`", "|", ">", "? ", "---\n", "...\n")
"""Text inserted at a random place."""


@dataclass(frozen=True)
class Mutation:
    """A mutated file and the edits that made it."""

    source: Path
    edits: tuple[str, ...]
    data: bytes

    def describe(self) -> str:
        return f"{self.source.name} with " + "; ".join(self.edits)


def guide_examples(folder: Path) -> tuple[Path, Path]:
    """The facilitator guide's worked examples as whole files in ``folder``: its transcript,
    and Hudson with the guide's ``debrief:`` section (its look-fors and weights) added."""
    blocks = re.findall(r"```yaml\n(.*?)```", (GUIDE / "debrief.md").read_text("utf-8"),
                        flags=re.DOTALL)
    transcript = next(b for b in blocks if b.startswith("transcript_version:"))
    debrief = next(b for b in blocks if b.startswith("debrief:"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "guide-transcript.yaml").write_text(transcript, encoding="utf-8")
    scenario = SCENARIOS[0].read_text(encoding="utf-8")
    (folder / "hudson-lookfors.yaml").write_text(scenario + "\n" + debrief, encoding="utf-8")
    return folder / "guide-transcript.yaml", folder / "hudson-lookfors.yaml"


# --------------------------------------------------------------------------- operators


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def delete_line(data: bytes, pick: Pick) -> tuple[bytes, str]:
    lines = _lines(data)
    i = pick(len(lines))
    return b"".join(lines[:i] + lines[i + 1:]), f"delete line {i + 1}"


def duplicate_line(data: bytes, pick: Pick) -> tuple[bytes, str]:
    lines = _lines(data)
    i = pick(len(lines))
    return b"".join(lines[:i + 1] + lines[i:]), f"duplicate line {i + 1}"


def swap_lines(data: bytes, pick: Pick) -> tuple[bytes, str]:
    lines = _lines(data)
    i, j = pick(len(lines)), pick(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines), f"swap lines {i + 1} and {j + 1}"


def truncate(data: bytes, pick: Pick) -> tuple[bytes, str]:
    n = pick(len(data) + 1)
    return data[:n], f"truncate to {n} bytes"


def insert_text(data: bytes, pick: Pick) -> tuple[bytes, str]:
    text = CHARACTERS[pick(len(CHARACTERS))].encode("utf-8", "surrogatepass")
    at = pick(len(data) + 1)
    return data[:at] + text + data[at:], f"insert {text!r} at byte {at}"


def flip_byte(data: bytes, pick: Pick) -> tuple[bytes, str]:
    if not data:
        return b"\xff", "the byte 0xff alone"
    at, value = pick(len(data)), pick(256)
    return data[:at] + bytes([value]) + data[at + 1:], f"byte {at} to 0x{value:02x}"


def replace_all(data: bytes, pick: Pick) -> tuple[bytes, str]:
    texts = (b"", b"\n", b"---\n", b"--- !!str\n", b"[]\n", b"- 1\n", b"null\n", b"\xef\xbb\xbf",
             b"\xff\xfe", b"{", b"a: &a [*a]\n", data + b"\n---\nsecond: document\n",
             data.replace(b"\n", b"\r"), data.replace(b"  ", b"\t"))
    i = pick(len(texts))
    return texts[i], f"whole file as text {i} of replace_all"


# YAML node operators: the file composed, one node changed, serialised back.

Slot = tuple[yaml.Node, int, int]
"""A node's place: its parent, its index there, and for a mapping 0 (key) or 1 (value)."""


def _slots(root: yaml.Node) -> list[Slot]:
    out: list[Slot] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for i, (k, v) in enumerate(node.value):
                out += [(node, i, 0), (node, i, 1)]
                stack += [k, v]
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out.append((node, i, 0))
                stack.append(v)
    return out


def _get(slot: Slot) -> yaml.Node:
    parent, i, side = slot
    item = parent.value[i]
    return item[side] if isinstance(parent, yaml.MappingNode) else item


def _set(slot: Slot, node: yaml.Node) -> None:
    parent, i, side = slot
    if isinstance(parent, yaml.MappingNode):
        pair = list(parent.value[i])
        pair[side] = node
        parent.value[i] = tuple(pair)
    else:
        parent.value[i] = node


def _where(slot: Slot) -> str:
    node = _get(slot)
    return f"the node at line {node.start_mark.line + 1} col {node.start_mark.column + 1}"


def _node(text: str) -> yaml.Node:
    """A YAML text as a node; texts that do not compose (an undefined alias) as the text."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        node = None
    return node if node is not None else yaml.ScalarNode("tag:yaml.org,2002:str", text)


def retype_scalar(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    slot = slots[pick(len(slots))]
    text = VALUES[pick(len(VALUES))]
    where = _where(slot)
    _set(slot, _node(text))
    return f"{where} := {text[:40]!r}"


NUMBERS = ("0", "-0.0", "1", "2", "0.5", "0.999999", "1e-300", "5e-324", "-1e-300", "1e9",
           "2147483648", "9007199254740993", "1e15", "100000", "13", "12", "-1")
"""Numbers within or at the edges of what a field allows, so more mutants validate and run."""
_NUMBER = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?")


def renumber(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    """A number in the file (a value, not a key) changed to another, often a valid one."""
    numbers = [s for s in slots if s[2] == 1 or not isinstance(s[0], yaml.MappingNode)]
    numbers = [s for s in numbers if isinstance(node := _get(s), yaml.ScalarNode)
               and node.style is None and _NUMBER.fullmatch(node.value)] or slots
    slot = numbers[pick(len(numbers))]
    text = NUMBERS[pick(len(NUMBERS))]
    where = _where(slot)
    _set(slot, _node(text))
    return f"{where} := {text}"


def nest_deep(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    slot = slots[pick(len(slots))]
    depth = (3, 30, 62, 63, 64, 65, 200, 2000)[pick(8)]
    where = _where(slot)
    node = _get(slot)
    for i in range(depth):
        node = (yaml.SequenceNode("tag:yaml.org,2002:seq", [node]) if i % 2 else
                yaml.MappingNode("tag:yaml.org,2002:map",
                                 [(yaml.ScalarNode("tag:yaml.org,2002:str", "k"), node)]))
    _set(slot, node)
    return f"{where} nested {depth} deep"


def delete_entry(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    parent, i, _ = slot = slots[pick(len(slots))]
    where = _where(slot)
    del parent.value[i]
    return f"delete the entry holding {where}"


def duplicate_entry(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    parent, i, _ = slot = slots[pick(len(slots))]
    where = _where(slot)
    parent.value.insert(i, parent.value[i])
    return f"duplicate the entry holding {where} (a repeated key in a mapping)"


def alias(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    """One node written in a second place: the serialiser makes it an anchor and an alias."""
    source, target = slots[pick(len(slots))], slots[pick(len(slots))]
    what, where = _where(source), _where(target)
    _set(target, _get(source))
    return f"{where} := *alias of {what}"


def alias_bomb(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    slot = slots[pick(len(slots))]
    width, depth = (2, 5, 10)[pick(3)], (2, 5, 9)[pick(3)]
    where = _where(slot)
    node: yaml.Node = yaml.ScalarNode("tag:yaml.org,2002:str", "lol")
    for _ in range(depth):
        node = yaml.SequenceNode("tag:yaml.org,2002:seq", [node] * width)
    _set(slot, node)
    return f"{where} := a {width}-wide, {depth}-deep alias bomb"


def mapping_to_list(root: yaml.Node, slots: list[Slot], pick: Pick) -> str:
    slot = slots[pick(len(slots))]
    where = _where(slot)
    node = _get(slot)
    if isinstance(node, yaml.MappingNode):
        new: yaml.Node = yaml.SequenceNode("tag:yaml.org,2002:seq", [v for _, v in node.value])
    elif isinstance(node, yaml.SequenceNode):
        keys = [yaml.ScalarNode("tag:yaml.org,2002:int", str(i)) for i in range(len(node.value))]
        new = yaml.MappingNode("tag:yaml.org,2002:map", list(zip(keys, node.value, strict=True)))
    else:
        new = yaml.SequenceNode("tag:yaml.org,2002:seq", [node])
    _set(slot, new)
    return f"{where} changed between list and mapping"


NodeOperator = Callable[[yaml.Node, list[Slot], Pick], str]
BytesOperator = Callable[[bytes, Pick], tuple[bytes, str]]
NODE_OPERATORS: tuple[NodeOperator, ...] = (
    retype_scalar, retype_scalar, renumber, renumber, nest_deep, delete_entry, duplicate_entry,
    alias, alias_bomb, mapping_to_list)
BYTES_OPERATORS: tuple[BytesOperator, ...] = (
    delete_line, duplicate_line, swap_lines, truncate, insert_text, flip_byte, replace_all)
OPERATORS = (*NODE_OPERATORS, *BYTES_OPERATORS)


def _mutate_nodes(data: bytes, op: NodeOperator, pick: Pick) -> tuple[bytes, str] | None:
    try:
        root = yaml.compose(data.decode("utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    slots = _slots(root) if root is not None else []
    if root is None or not slots:
        return None
    edit = op(root, slots, pick)
    try:
        text = yaml.serialize(root, allow_unicode=True, width=100)
    except (yaml.YAMLError, RecursionError):
        return None
    return text.encode("utf-8", "surrogatepass"), edit


def mutate(source: Path, pick: Pick, edits: int | None = None) -> Mutation:
    """``source`` after 1–3 edits (or ``edits``), each by an operator ``pick`` chooses."""
    data = source.read_bytes()
    done: list[str] = []
    for _ in range(edits if edits is not None else 1 + pick(3)):
        op = OPERATORS[pick(len(OPERATORS))]
        changed = (_mutate_nodes(data, op, pick) if op in NODE_OPERATORS
                   else op(data, pick))  # type: ignore[operator]
        if changed is None:  # the file no longer composes: edit its bytes instead
            changed = BYTES_OPERATORS[pick(len(BYTES_OPERATORS))](data, pick)
        data, edit = changed
        done.append(edit)
    return Mutation(source, tuple(done), data)


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class Outcome:
    """One command run in-process."""

    argv: tuple[str, ...]
    code: int | None
    out: str
    err: str
    crash: str | None
    """The traceback of an exception that escaped ``main``."""


def run_cli(argv: list[str]) -> Outcome:
    """``pmsim ARGV`` through ``pmsim.cli.main``, its output captured."""
    return Outcome(tuple(argv), *faultlib.run_cli(argv))


def run_process(argv: list[str]) -> Outcome:
    """``pmsim ARGV`` in a process of its own."""
    done = subprocess.run([sys.executable, "-m", "pmsim.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    crash = done.stderr if "Traceback" in done.stderr else None
    return Outcome(tuple(argv), done.returncode, done.stdout, done.stderr, crash)


_POSITIONED = re.compile(r"^(?P<path>.+?):(?P<line>[1-9][0-9]*):(?P<col>[1-9][0-9]*): \S")


def _explained(o: Outcome, *paths: str) -> list[str]:
    """What is wrong with how ``o`` ended (nothing for a clean exit 0 or 1, with messages
    that start ``pmsim:`` or ``PATH:LINE:COL:`` for one of ``paths``)."""
    if o.crash is not None:
        return [f"pmsim {' '.join(o.argv)} raised:\n{o.crash}"]
    if o.code not in (0, 1):
        return [f"pmsim {' '.join(o.argv)} exited {o.code}: {o.err}"]
    if "Traceback" in o.err:
        return [f"pmsim {' '.join(o.argv)} printed a traceback:\n{o.err}"]
    if o.code == 1:
        lines = o.err.splitlines()
        if not lines:
            return [f"pmsim {' '.join(o.argv)} exited 1 saying nothing"]
        loose = [ln for ln in lines if not ln.startswith("pmsim: ") and not (
            (m := _POSITIONED.match(ln)) and m["path"] in paths)]
        if loose:
            return [f"pmsim {' '.join(o.argv)}: a message neither 'pmsim: …' nor "
                    f"'PATH:LINE:COL: …': {loose[0]!r}"]
    return []


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} in the output")

    return json.loads(text, parse_constant=refuse)


def scenario_problems(path: Path, run: bool = True, home: Path | None = None) -> list[str]:
    """Feed a (mutated) scenario file to validate, show and run; with ``home``, a valid
    one also scores the strong transcript (its look-fors at work)."""
    name = str(path)
    validated = run_cli(["scenario", "validate", name])
    problems = _explained(validated, name)
    if validated.code == 0 and validated.out != f"{name}: ok\n":
        problems.append(f"validate exited 0 printing {validated.out!r}")
    shown = run_cli(["scenario", "show", name, "--format", "json"])
    problems += _explained(shown, name)
    if validated.code == 0 and not problems:
        if shown.code != 0:
            return [f"validate said ok but show exited {shown.code}: {shown.err}"]
        try:
            shown_json = _strict_json(shown.out)
        except ValueError as exc:
            return [f"show printed bad JSON: {exc}"]
        if run:  # every strategy adopted at once: the engine at its busiest
            strategies = ",".join(str(st["id"]) for st in shown_json["strategies"])
            ran = run_cli(["run", name, "--strategies", strategies, "--format", "json"])
            problems += _explained(ran, name)
            if ran.code == 0:
                try:
                    _strict_json(ran.out)
                except ValueError as exc:
                    problems.append(f"run printed bad JSON: {exc}")
                if ran.err:
                    problems.append(f"run exited 0 with stderr: {ran.err[:500]}")
        if home is not None:
            scored = run_cli(["debrief", name, "--transcript", str(TRANSCRIPTS[0]), "--format",
                              "md", "--replications", "2", "--home", str(home)])
            problems += _explained(scored, name, str(TRANSCRIPTS[0]))
    return problems


def transcript_problems(path: Path, home: Path, fmt: str = "json") -> list[str]:
    """Feed a (mutated) transcript to validate and to the debrief, as ``fmt``."""
    name = str(path)
    validated = run_cli(["scenario", "validate", name])
    problems = _explained(validated, name)
    scored = run_cli(["debrief", "hudson", "--transcript", name, "--format", fmt,
                      "--replications", "2", "--home", str(home)])
    problems += _explained(scored, name)
    if scored.code == 0 and fmt == "json":
        try:
            _strict_json(scored.out)
        except ValueError as exc:
            problems.append(f"debrief printed bad JSON: {exc}")
    return problems


def lookfors_problems(path: Path) -> list[str]:
    """Feed a (mutated) look-fors file to its parser: a LookForsError or the look-fors."""
    from simulator.formats.lookfors import LookForsError, parse_lookfors

    try:
        parse_lookfors(path.read_bytes(), str(path))
    except LookForsError:
        return []
    except BaseException:  # any other escape is what the fuzzer looks for
        return [f"parse_lookfors raised:\n{traceback.format_exc()}"]
    return []
