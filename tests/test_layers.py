"""The floor plan holds: one-way layers, no import cycle, a headless engine, a TUI of Textual.

Imports inside functions count as much as those at the top of a module: a lazy
import that points the wrong way is still a back-edge.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it, relative imports resolved."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def _graph(package: str) -> dict[str, set[str]]:
    modules = _modules(package)
    graph = {}
    for name, path in modules.items():
        imported = _imports(name, path)
        graph[name] = {
            other for other in modules
            if other != name and not name.startswith(other + ".")
            and any(i == other or i.startswith(other + ".") for i in imported)
        }
    return graph


def test_no_import_cycle_anywhere_in_the_engine_library() -> None:
    try:
        graphlib.TopologicalSorter(_graph("simulator")).prepare()
    except graphlib.CycleError as err:
        pytest.fail(f"import cycle in simulator/: {' -> '.join(err.args[1])}")


def test_the_cycle_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The check above would catch a lazy back-edge (it reads the same AST walk)."""
    source = "def f():\n    from simulator.session.state import replay\n"
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert "simulator.session.state" in _imports("simulator.engine.probe", path)


@pytest.mark.parametrize("package", ["simulator", "scenarios", "personas"])
def test_the_engine_library_never_imports_the_ui_or_the_command(package: str) -> None:
    for name, path in _modules(package).items():
        bad = sorted(i for i in _imports(name, path)
                     if i.split(".")[0] in {"tui", "textual", "textual_plotext", "pmsim"})
        assert not bad, f"{name} imports {', '.join(bad)}"


def test_every_module_in_tui_is_about_textual() -> None:
    """Headless code belongs in simulator/: each tui module imports Textual (or Rich
    renderables for Textual) itself."""
    for name, path in _modules("tui").items():
        if path.name == "__init__.py":
            continue
        imported = _imports(name, path)
        assert any(i.split(".")[0] in {"textual", "textual_plotext", "rich"} for i in imported), (
            f"{name} does not use Textual: move it under simulator/")


def test_import_linter_contracts_are_kept() -> None:
    """The layers of pyproject.toml's [tool.importlinter] (a new back-edge fails here)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports;"
         " sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" in proc.stdout and " 0 broken" in proc.stdout
