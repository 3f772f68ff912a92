"""The rubric's four levels as shown on screen: colour-coded, with a gauge that reads
without colour too. Textual only: safe to import before the engine."""

from __future__ import annotations

from textual.content import Content

from simulator.formats.rubric import level_rank

LEVEL_STYLE = {
    "Inadequate": "bold $text-error",
    "Emerging": "$text-warning",
    "Strong": "$text-success",
    "Exemplary": "bold $text-primary",
}


def gauge(level: str | None) -> str:
    """``■■□□`` for Emerging: as many filled squares as the level's rank."""
    n = level_rank(level)
    return "■" * n + "□" * (4 - n)


def level_content(level: str, gauge_too: bool = True) -> Content:
    """A level, colour-coded, with a four-step gauge (readable without colour too)."""
    return Content.from_markup(f"[{LEVEL_STYLE.get(level, '')}]$gauge$level[/]",
                               gauge=f"{gauge(level)} " if gauge_too else "", level=level)
