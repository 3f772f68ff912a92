"""Built-in scenario files (YAML data, shipped inside the wheel).

Listing them (and a folder of one's own) needs nothing heavy, so the home screen can
show them before pydantic is imported.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
SUFFIXES = (".yaml", ".yml")


def builtin_paths() -> list[Path]:
    """Built-in scenario files, Hudson first, then by name; worked transcripts excluded."""
    paths = [p for p in DIRECTORY.iterdir() if p.suffix in SUFFIXES and "transcript" not in p.name]
    return sorted(paths, key=lambda p: (p.stem != "hudson", p.stem))


def own_paths(folder: Path) -> list[Path]:
    """The scenario files in a folder of one's own (none if it does not exist), by name."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.suffix in SUFFIXES and p.is_file()
            and not p.name.startswith(".")]
