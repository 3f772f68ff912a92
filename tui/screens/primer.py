"""The primer: the Performance Management Framework, before (or during) a meeting.

The text is the guide page's (:func:`simulator.render.framework.primer_markdown`), so
what a participant reads here and what a facilitator reads in the guide are one.
Opened over any screen with Ctrl+G (g on the home screen); Escape goes back.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

from simulator.render.framework import primer_markdown


class PrimerScreen(ModalScreen[None]):
    """The framework's definition, elements, design steps and routine, scrollable."""

    BINDINGS: ClassVar = [
        Binding("escape", "dismiss", "Back", id="primer.back"),
        Binding("ctrl+g", "dismiss", "Back", show=False),
        Binding("q", "dismiss", "Back", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="primer"):
            yield Markdown(primer_markdown(), id="primer-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#primer", VerticalScroll).focus()
