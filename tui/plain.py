"""Scenario and participants' text inside Textual markup: shown as written, never as markup."""

from __future__ import annotations

from textual.markup import escape

from simulator.render.plain import printable


def plain(text: object) -> str:
    """``text`` for an f-string of markup: its brackets shown literally (a scenario named
    ``[b]Hudson`` must not turn bold, nor ``[@click=…]`` become an action) and its control
    characters made visible, so nothing from a file reaches the terminal raw."""
    return escape(printable(text, keep="\n"))
