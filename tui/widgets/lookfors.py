"""The look-fors panel of the meeting room: what the debrief will look for at this step.

Told its data (the step's look-fors, as :func:`simulator.formats.framework.shown_lookfors`
gives them to a role: secrets already left out); it only draws them, grouped by the
sub-element or routine quality they count towards.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from simulator.formats.framework import ShownLookFor, element_name


class LookForsPanel(VerticalScroll):
    """A side panel listing one step's look-fors (Ctrl+L shows and hides it)."""

    def __init__(self, *, id: str = "lookfors") -> None:
        super().__init__(id=id, can_focus=False)
        self.step_title = ""
        self.shown: list[ShownLookFor] = []

    def compose(self):
        yield Static(id="lookfors-title")
        yield Static(id="lookfors-list")

    def show(self, step_title: str, shown: list[ShownLookFor]) -> None:
        """Draw the look-fors of the step titled ``step_title``."""
        self.step_title = step_title
        self.shown = list(shown)
        if not self.is_mounted:
            return
        self.query_one("#lookfors-title", Static).update(Content.from_markup(
            "[b]The debrief looks for[/b] — $step", step=step_title))
        self.query_one("#lookfors-list", Static).update(self._listing())

    def on_mount(self) -> None:
        self.show(self.step_title, self.shown)

    def _listing(self) -> Content:
        if not self.shown:
            return Content("Nothing is rated at this step.")
        parts: list[Content] = []
        last = None
        for lf in self.shown:
            if lf.element != last:
                last = lf.element
                if parts:
                    parts.append(Content("\n"))
                parts.append(Content.from_markup("[b]$id $name[/b]\n", id=lf.element,
                                                 name=element_name(lf.element)))
            style = "italic $text-muted" if lf.generic else ""
            parts.append(Content.styled(f"• {lf.text}\n", style) if style
                         else Content(f"• {lf.text}\n"))
        return Content("").join(parts).rstrip()
