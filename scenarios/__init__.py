"""Built-in scenario files (YAML data, shipped inside the wheel)."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
