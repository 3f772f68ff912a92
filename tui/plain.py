"""Scenario and participants' text inside Textual markup: shown as written, never as markup."""

from __future__ import annotations

from rich.text import Text

from simulator.render.plain import printable


def plain(text: object) -> str:
    """``text`` for an f-string of markup: its brackets shown literally (a scenario named
    ``[b]Hudson`` must not turn bold, a lone ``[`` must not break the markup around it) and
    its control characters made visible, so nothing from a file reaches the terminal raw.

    Textual reads ``\\[`` as a literal bracket and any other backslash as itself, so every
    ``[`` is escaped (``textual.markup.escape`` leaves brackets that do not look like a tag).
    A backslash at the very end would escape the tag that follows: it is shown as the
    fullwidth ``＼`` instead.
    """
    shown = printable(text, keep="\n").replace("[", "\\[")
    return shown[:-1] + "＼" if shown.endswith("\\") else shown


def cell(text: object) -> Text:
    """``text`` for a DataTable cell, which reads a plain string as Rich markup (a Rich
    Text, not a Content: the table measures its columns with Rich)."""
    return Text(printable(text), end="")
