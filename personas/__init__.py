"""Built-in personas (YAML data, shipped inside the wheel), and example conversations."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
EXAMPLES = DIRECTORY / "examples"
"""Example conversations for ``pmsim solo --say NAME``: YAML lists of what a player says."""
DEFAULTS = {"district": "literacy-veteran", "state": "state-lead"}
"""The persona ``pmsim solo`` plays for each role when no ``--persona`` is given."""
