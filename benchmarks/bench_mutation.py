"""Mutation testing of the engine library and the routine's TUI forms: prints the score of
the behavioural tests (snapshots excluded) and its wall time against a baseline of the run.

Run:  python benchmarks/bench_mutation.py [--sample 60] [--seed 7] [--jobs 2] [--module PART]

Small AST operators (an arithmetic operator swapped, a comparison's boundary moved, a
constant off by one, a condition negated, a factor dropped, two entries of the same kind
swapped, a return emptied, a payload's entry deleted, ``sqrt(n)`` as ``n``) make mutants of
``simulator/`` and of the forms in ``tui/widgets/forms.py`` and ``tui/screens/meeting.py``.
A seeded sample of them is applied one at a time to a copy of the tree; each runs the test
files that import the mutated module (found from the import graph at run time), without the
SVG snapshots and the report golden files, stopping at the first failure.

Goal: the tests kill at least 90 % of the mutants not marked equivalent below.
The baseline is the same test subset run on the unmutated copy, in the same run.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "tui", "pmsim")
TARGETS = ("simulator/**/*.py", "tui/widgets/forms.py", "tui/screens/meeting.py")
FORM_NAMES = frozenset({"form", "values", "fields"})
"""In tui/screens/meeting.py only the form handling is mutated: functions with one of
these arguments, or whose name says they save or submit."""
SNAPSHOT_FIXTURE = "snap_compare"
GOLDEN_FOLDER = "report_snapshots"

EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("tui/screens/meeting.py", "MeetingScreen.save", "return False -> return None"):
        "the only caller ignores the result and both are falsy",
    ("simulator/debrief/outcomes.py", "_cache_key", "dict without 'scenario_sha256'"):
        "the cache file's name already carries the scenario's digest, so a cache of "
        "another scenario is never read",
    ("simulator/engine/simulation.py", "Simulation._build_tables.at", "13 -> 14"):
        "grades are validated to 0..12, so a longer lookup is indexed at the same places",
    ("simulator/formats/lookfors.py", "LookForFile", "1 -> 2"):
        "parse_lookfors keeps only the look-fors: a file's version, given or defaulted, is "
        "never read, and a wrong given one is still refused by Literal[1]",
    ("simulator/formats/strict.py", "validation_problems", "1 -> 2"):
        "only close[0] is shown, and get_close_matches ranks best first for any n",
    ("simulator/render/reference.py", "main", "return 0 -> return None"):
        "the only caller is sys.exit(main()), which exits 0 for None as for 0",
}
"""Mutants that cannot change behaviour, by (file, enclosing function, description) so
that a refactor that moves lines keeps them marked; each with the reason."""


@dataclass(frozen=True)
class Mutant:
    """One small change to one file: its source span and the text that replaces it."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str
    operator: str
    description: str
    scope: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.scope, self.description)

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.description} (in {self.scope})"

    def apply(self, source: str) -> str:
        """The source with this mutant's span replaced."""
        lines = source.splitlines(keepends=True)
        head = "".join(lines[: self.line - 1]) + _prefix(lines[self.line - 1], self.col)
        tail = _suffix(lines[self.end_line - 1], self.end_col) + "".join(lines[self.end_line:])
        return head + self.replacement + tail


def _prefix(line: str, col: int) -> str:
    """The text before an AST column offset (counted in UTF-8 bytes)."""
    return line.encode()[:col].decode()


def _suffix(line: str, col: int) -> str:
    return line.encode()[col:].decode()


# --------------------------------------------------------------------------- operators

SWAP_ARITH: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div,
                                ast.Div: ast.Mult, ast.FloorDiv: ast.Div}
BOUNDARY: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
                              ast.GtE: ast.Gt}
NOT_NUMBERS = (ast.JoinedStr, ast.List, ast.Tuple, ast.ListComp, ast.Dict, ast.Set)


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


def _short(node: ast.AST, most: int = 60) -> str:
    text = " ".join(_text(node).split())
    return text if len(text) <= most else text[: most - 1] + "…"


def _numeric(node: ast.BinOp) -> bool:
    """False where an operator works on text or sequences, whose mutants only crash."""
    return not any(isinstance(side, NOT_NUMBERS)
                   or (isinstance(side, ast.Constant) and isinstance(side.value, str))
                   for side in (node.left, node.right))


def _same_kind(a: ast.AST, b: ast.AST) -> bool:
    return type(a) is type(b) and not isinstance(a, ast.Starred) and (
        not isinstance(a, ast.Constant) or type(a.value) is type(b.value))


def _expr_mutants(node: ast.AST) -> Iterator[tuple[str, str, ast.AST]]:
    """(operator, description, replacement node) for one expression node."""
    if isinstance(node, ast.BinOp) and _numeric(node):
        swap = SWAP_ARITH.get(type(node.op))
        if swap:
            new = ast.BinOp(node.left, swap(), node.right)
            yield "arithmetic", f"{_short(node)} -> {_short(new)}", new
        if isinstance(node.op, ast.Mult):
            for keep in (node.left, node.right):
                yield "drop-factor", f"{_short(node)} -> {_short(keep)}", keep
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        moved = BOUNDARY.get(type(node.ops[0]))
        if moved:
            new = ast.Compare(node.left, [moved()], node.comparators)
            yield "boundary", f"{_short(node)} -> {_short(new)}", new
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        new = ast.BoolOp(other, node.values)
        yield "bool-op", f"{_short(node)} -> {_short(new)}", new
    elif (isinstance(node, ast.Constant) and type(node.value) is int):
        new = ast.Constant(node.value + 1)
        yield "constant", f"{node.value} -> {node.value + 1}", new
    elif isinstance(node, ast.Dict) and len(node.keys) >= 2 and all(
            isinstance(k, ast.Constant) for k in node.keys):
        for i in range(len(node.keys)):
            keys, values = node.keys[:i] + node.keys[i + 1:], node.values[:i] + node.values[i + 1:]
            yield ("delete-entry", f"dict without {_short(node.keys[i])}",
                   ast.Dict(keys, values))
        for i in range(len(node.keys) - 1):
            if _same_kind(node.values[i], node.values[i + 1]) and _text(
                    node.values[i]) != _text(node.values[i + 1]):
                values = list(node.values)
                values[i], values[i + 1] = values[i + 1], values[i]
                yield ("swap-entries", f"values of {_short(node.keys[i])} and "
                       f"{_short(node.keys[i + 1])} swapped", ast.Dict(node.keys, values))
    elif isinstance(node, ast.Call):
        yield from _call_mutants(node)


def _call_mutants(node: ast.Call) -> Iterator[tuple[str, str, ast.AST]]:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name == "sqrt" and len(node.args) == 1 and not node.keywords:
        yield "sqrt", f"{_short(node)} -> {_short(node.args[0])}", node.args[0]
    kws = node.keywords
    for i in range(len(kws) - 1):
        a, b = kws[i], kws[i + 1]
        if a.arg and b.arg and _same_kind(a.value, b.value) and _text(a.value) != _text(
                b.value):
            swapped = list(kws)
            swapped[i] = ast.keyword(a.arg, b.value)
            swapped[i + 1] = ast.keyword(b.arg, a.value)
            yield ("swap-entries", f"{name}(): {a.arg}= and {b.arg}= swapped",
                   ast.Call(func, node.args, swapped))
    args = node.args
    for i in range(len(args) - 1):
        if (isinstance(args[i], ast.Name | ast.Attribute) and _same_kind(args[i], args[i + 1])
                and _text(args[i]) != _text(args[i + 1])):
            swapped_args = list(args)
            swapped_args[i], swapped_args[i + 1] = args[i + 1], args[i]
            yield ("swap-entries", f"{name}(): arguments {_short(args[i])} and "
                   f"{_short(args[i + 1])} swapped", ast.Call(func, swapped_args, kws))


def _stmt_mutants(node: ast.stmt) -> Iterator[tuple[str, str, ast.AST]]:
    """(operator, description, replacement statement) for one statement."""
    if isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        if isinstance(node.value, ast.List | ast.ListComp):
            empty: ast.expr = ast.List([])
        elif isinstance(node.value, ast.Dict | ast.DictComp):
            empty = ast.Dict([], [])
        else:
            empty = ast.Constant(None)
        new = ast.Return(empty)
        yield "return-empty", f"return {_short(node.value)} -> {_text(new)}", new
    elif isinstance(node, ast.AugAssign) and type(node.op) in SWAP_ARITH:
        new = ast.AugAssign(node.target, SWAP_ARITH[type(node.op)](), node.value)
        yield "arithmetic", f"{_short(node)} -> {_short(new)}", new
    elif isinstance(node, ast.If | ast.While):
        yield "negate", f"if {_short(node.test)} -> if not (…)", node


class _Collector(ast.NodeVisitor):
    """Walks a module, keeping the enclosing function's name, collecting every mutant."""

    def __init__(self, path: str, wanted: Callable[[ast.AST], bool]) -> None:
        self.path, self.wanted = path, wanted
        self.scope: list[str] = []
        self.active: list[bool] = [False]
        self.found: list[Mutant] = []

    def _add(self, node: ast.AST, new: ast.AST, operator: str, description: str) -> None:
        if isinstance(node, ast.If | ast.While) and new is node:
            test = node.test
            negated = test.operand if isinstance(test, ast.UnaryOp) and isinstance(
                test.op, ast.Not) else ast.UnaryOp(ast.Not(), test)
            replacement, target = f"({_text(negated)})", test
        elif isinstance(node, ast.stmt):
            replacement, target = _text(new), node
        else:
            replacement, target = f"({_text(new)})", node
        self.found.append(Mutant(
            self.path, target.lineno, target.col_offset, target.end_lineno or target.lineno,
            target.end_col_offset or 0, replacement, operator, description,
            ".".join(self.scope) or "<module>"))

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        active = self.active[-1] or (not isinstance(node, ast.ClassDef) and self.wanted(node))
        self.active.append(active)
        for child in node.body:
            self.visit(child)
        if not isinstance(node, ast.ClassDef):
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
                self.visit(default)
        self.active.pop()
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """f-strings hold display text, not behaviour worth a mutant."""

    def visit_Expr(self, node: ast.Expr) -> None:
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        if self.active[-1]:
            if isinstance(node, ast.stmt):
                for op, desc, new in _stmt_mutants(node):
                    self._add(node, new, op, desc)
            elif isinstance(node, ast.expr) and not isinstance(getattr(node, "ctx", None),
                                                               ast.Store | ast.Del):
                for op, desc, new in _expr_mutants(node):
                    self._add(node, new, op, desc)
        super().generic_visit(node)


def _form_handling(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    args = {a.arg for a in node.args.args + node.args.kwonlyargs}
    return bool(args & FORM_NAMES) or any(w in node.name for w in ("save", "submit"))


def mutants_of(path: str, source: str) -> list[Mutant]:
    """Every mutant of one file (path relative to the tree), in source order."""
    tree = ast.parse(source)
    if path == "tui/screens/meeting.py":
        collector = _Collector(path, _form_handling)
    else:
        collector = _Collector(path, lambda node: True)
        collector.active = [True]
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _text(stmt.test) == "TYPE_CHECKING":
            continue
        collector.visit(stmt)
    return collector.found


def valid(root: Path, mutant: Mutant) -> bool:
    """The mutated file still parses (a splice may not, e.g. inside a decorator)."""
    try:
        compile(mutant.apply((root / mutant.path).read_text(encoding="utf-8")), mutant.path,
                "exec", ast.PyCF_ONLY_AST)
    except SyntaxError:
        return False
    return True


def all_mutants(root: Path, module: str | None = None) -> list[Mutant]:
    out: list[Mutant] = []
    for pattern in TARGETS:
        for file in sorted(root.glob(pattern)):
            rel = file.relative_to(root).as_posix()
            if module and module not in rel:
                continue
            out += mutants_of(rel, file.read_text(encoding="utf-8"))
    return out


def sample(root: Path, mutants: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """A deterministic sample of valid mutants: the same tree, seed and size give the same
    mutants (0: all of them)."""
    order = list(range(len(mutants)))
    random.Random(seed).shuffle(order)
    chosen: list[int] = []
    for i in order:
        if n and len(chosen) == n:
            break
        if valid(root, mutants[i]):
            chosen.append(i)
    return [mutants[i] for i in sorted(chosen)]


# --------------------------------------------------------------------------- which tests


def module_name(rel: str) -> str:
    parts = rel.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, package: str) -> set[str]:
    """Every project module a file imports, at any depth (function-level imports count)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in PACKAGES}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Project module -> the project modules it imports."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for file in sorted((root / package).rglob("*.py")):
            name = module_name(file.relative_to(root).as_posix())
            pkg = name if file.name == "__init__.py" else name.rpartition(".")[0]
            graph[name] = _imports(ast.parse(file.read_text(encoding="utf-8")), pkg)
    return graph


def _depends(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo += [d for d in graph.get(m, ()) if d in graph]
        parent = m.rpartition(".")[0]
        if parent in graph:
            todo.append(parent)
    return seen


def _snapshot_tests(tree: ast.Module) -> list[str]:
    """Names of a test module's tests that assert on golden files: those taking the
    snapshot fixture, or reaching the report snapshots through the module's helpers."""
    tainted: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and GOLDEN_FOLDER in ast.unparse(node.value):
            tainted |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    changed = True
    while changed:
        changed = False
        for f in funcs:
            if f.name in tainted:
                continue
            names = {n.id for n in ast.walk(f) if isinstance(n, ast.Name)}
            if SNAPSHOT_FIXTURE in {a.arg for a in f.args.args} or names & tainted:
                tainted.add(f.name)
                changed = True
    return [f.name for f in funcs if f.name.startswith("test") and f.name in tainted]


@dataclass(frozen=True)
class SuiteFile:
    """A test file of the suite: the modules it imports, directly and at all, and the
    golden-file tests in it that the benchmark leaves out."""

    path: str
    direct: frozenset[str]
    depends: frozenset[str]
    snapshots: tuple[str, ...]
    tui: bool

    @property
    def deselect(self) -> list[str]:
        return [f"--deselect={self.path}::{name}" for name in self.snapshots]



def suite_files(root: Path) -> list[SuiteFile]:
    """The test files with at least one test that is not a snapshot, and what they import."""
    graph = import_graph(root)
    out = []
    for file in sorted((root / "tests").glob("test_*.py")):
        text = file.read_text(encoding="utf-8")
        tree = ast.parse(text)
        direct = _imports(tree, "tests")
        if "subprocess" in direct or '"pmsim"' in text or "'pmsim'" in text:
            direct.add("pmsim.cli")
        direct = {m if m in graph else m.rpartition(".")[0] for m in direct}
        rel = file.relative_to(root).as_posix()
        snapshots = tuple(_snapshot_tests(tree))
        tests = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and n.name.startswith("test")]
        if len(tests) > len(snapshots):
            out.append(SuiteFile(rel, frozenset(direct), frozenset(_depends(graph, direct)),
                                 snapshots, any(m.startswith("tui") for m in direct)))
    return out


def tests_for(mutant: Mutant, files: list[SuiteFile]) -> list[SuiteFile]:
    """The test files that import the mutated module, those that import it directly first
    so that a killed mutant is usually killed fast. The engine library's behaviour must be
    guarded where it lives: its mutants run the headless tests only, not the Pilot ones."""
    target = module_name(mutant.path)
    in_tui = mutant.path.startswith("tui/")
    chosen = [t for t in files if target in t.depends and (in_tui or not t.tui)]
    return sorted(chosen, key=lambda t: target not in t.direct)


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    mutant: Mutant
    status: str
    seconds: float
    detail: str = ""


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".ruff_cache",
                                    ".mypy_cache", ".pytest_cache", "*.egg-info", "build")
    for item in ROOT.iterdir():
        if item.name in {".git", "build"} or item.name.endswith(".egg-info"):
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=ignore)
        else:
            shutil.copy2(item, dest / item.name)


def _pytest(tree: Path, files: list[SuiteFile], timeout: float) -> tuple[str, float, str]:
    """('passed' | 'failed' | 'timeout', seconds, last lines) of the subset in one tree."""
    args = [sys.executable, "-m", "pytest", "-x", "-q", "-n0", "-p", "no:cacheprovider",
            "-p", "no:randomly", "--no-header", "-o", "addopts="]
    for t in files:
        args += [t.path, *t.deselect]
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED="0")
    start = time.perf_counter()
    try:
        done = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True,
                              timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start, ""
    seconds = time.perf_counter() - start
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-3:])
    if done.returncode == 0:
        return "passed", seconds, tail
    return "failed", seconds, tail


class Workers:
    """One copy of the tree per job; a mutant is written, tested and undone in its copy."""

    def __init__(self, jobs: int) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="pmsim-mutation-"))
        self.trees = []
        for i in range(jobs):
            tree = self.base / f"tree{i}"
            tree.mkdir()
            _copy_tree(tree)
            self.trees.append(tree)
        self.free = list(self.trees)

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    def run(self, mutant: Mutant, files: list[SuiteFile], timeout: float) -> Outcome:
        tree = self.free.pop()
        try:
            return run_mutant(tree, mutant, files, timeout)
        finally:
            self.free.append(tree)


def run_mutant(tree: Path, mutant: Mutant, files: list[SuiteFile], timeout: float) -> Outcome:
    """Write the mutant into its file in ``tree``, run ``files``, put the file back."""
    file = tree / mutant.path
    original = file.read_text(encoding="utf-8")
    try:
        file.write_text(mutant.apply(original), encoding="utf-8")
        status, seconds, tail = _pytest(tree, files, timeout)
    finally:
        file.write_text(original, encoding="utf-8")
    verdict = {"passed": "survived", "failed": "killed", "timeout": "timeout"}[status]
    return Outcome(mutant, verdict, seconds, tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=60,
                        help="how many mutants to run (0: all of them)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--module", help="only files whose path contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout-factor", type=float, default=2.0,
                        help="a mutant times out after this many baselines (plus 30 s)")
    parser.add_argument("--list", action="store_true", help="print the sample and stop")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    generated = all_mutants(ROOT, args.module)
    chosen = sample(ROOT, generated, args.sample, args.seed)
    if args.list:
        for m in chosen:
            print(m.where())
        return 0
    files = suite_files(ROOT)
    plans = {m: tests_for(m, files) for m in chosen}
    equivalent = [m for m in chosen if m.key in EQUIVALENT]
    untested = [m for m in chosen if not plans[m] and m.key not in EQUIVALENT]
    to_run = [m for m in chosen if plans[m] and m.key not in EQUIVALENT]

    workers = Workers(max(1, args.jobs))
    try:
        used = sorted({t.path for m in to_run for t in plans[m]})
        subset = [t for t in files if t.path in used]
        halves = [subset[i::len(workers.trees)] for i in range(len(workers.trees))]
        with ThreadPoolExecutor(len(workers.trees)) as pool:
            runs = list(pool.map(_pytest, workers.trees, halves, [900.0] * len(halves)))
        for status, _, tail in runs:
            if status != "passed":
                print(f"the unmutated tests do not pass, no score:\n{tail}")
                return 1
        baseline_s = sum(seconds for _, seconds, _ in runs)

        done: list[Outcome] = []

        def one(m: Mutant) -> Outcome:
            outcome = workers.run(m, plans[m], args.timeout_factor * baseline_s + 30)
            done.append(outcome)
            print(f"[{len(done)}/{len(to_run)}] {outcome.status:8} {outcome.seconds:5.1f} s  "
                  f"{m.where()}", file=sys.stderr, flush=True)
            return outcome

        with ThreadPoolExecutor(len(workers.trees)) as pool:
            outcomes = list(pool.map(one, to_run))
    finally:
        workers.close()
    wall = time.perf_counter() - start

    killed = [o for o in outcomes if o.status == "killed"]
    survived = [o for o in outcomes if o.status == "survived"]
    timeouts = [o for o in outcomes if o.status == "timeout"]
    counted = len(chosen) - len(equivalent)
    score = len(killed) / counted if counted else 0.0
    mutant_s = sum(o.seconds for o in outcomes)
    print(f"Mutation testing: {len(generated):,} mutants of {len(TARGETS)} target patterns"
          f"{f' matching {args.module!r}' if args.module else ''}; "
          f"sample of {len(chosen)} (seed {args.seed}), {args.jobs} jobs")
    print(f"  generated             {len(chosen)}")
    print(f"  killed                {len(killed)}")
    print(f"  timeouts              {len(timeouts)}")
    print(f"  survived              {len(survived)}")
    print(f"  no test imports it    {len(untested)} (counted as survived)")
    print(f"  marked equivalent     {len(equivalent)}")
    print(f"  score                 {score:.1%} = killed / (generated - equivalent)   "
          f"(goal: at least 90 %)")
    print(f"  wall time             {wall:.0f} s")
    print(f"  unmutated subset      {baseline_s:.1f} s ({len(subset)} test files, same run)")
    per = mutant_s / max(1, len(outcomes))
    print(f"  per mutant            {per:.1f} s -> ratio {per / max(baseline_s, 1e-9):.2f}x "
          "the baseline (each stops at its first failure)")
    for o in survived:
        print(f"SURVIVED {o.mutant.where()}")
    for m in untested:
        print(f"UNTESTED {m.where()}")
    for o in timeouts:
        print(f"TIMEOUT  {o.mutant.where()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
