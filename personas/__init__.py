"""Built-in personas (YAML data, shipped inside the wheel)."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
