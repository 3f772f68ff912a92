"""The type checker passes over ``simulator/`` (the configuration is pyproject's ``[tool.mypy]``).

``.ci/run`` runs mypy before the tests too; this test keeps a plain ``pytest`` honest. mypy
keeps its cache in ``.mypy_cache`` at the root: a cold run takes about 20 s, a warm one 1–2 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_passes_over_simulator() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extras)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
