"""Closing a meeting: asked with its summary, staying by default, and undoable until time passes.

Closing commits the meeting's decisions and lets the quarters run; once the pair has
seen them, it cannot honestly be taken back. So :class:`ClosingScreen` asks first,
showing what will run and what the minutes lack, with the focus on "Stay" (Escape
stays too); after the close, :class:`ClosedScreen` holds the quarters back until the
pair lets time pass, and offers to undo the close until then.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from simulator.session.summary import ClosingSummary


def summary_text(summary: ClosingSummary) -> Content:
    """The summary as plain text (scenario and participants' words are never markup)."""
    lines = [f"Close {summary.title}?", ""]
    if summary.running or summary.stopped:
        lines.append("Will run after it:")
        lines += [f"  • {s.line()}" for s in summary.running]
        lines += [f"  • {name} — stopped" for name in summary.stopped]
    else:
        lines.append("Nothing will run after it: no strategy is in play.")
    if summary.resources is not None:
        lines.append(summary.resources.text().replace("\n", " · "))
    lines.append("")
    if summary.missing:
        lines.append("Missing from the minutes:")
        lines += [f"  • {item}" for item in summary.missing]
    else:
        lines.append("Every agenda step has a record; nothing is missing.")
    lines += ["", f"Then {summary.then}. Records can't be added to the meeting afterwards; "
                  "the close can be undone until time passes."]
    return Content("\n".join(lines))


class ClosingScreen(ModalScreen[bool]):
    """Asks whether to close the meeting; True closes it. Staying is the default."""

    BINDINGS: ClassVar = [
        Binding("escape", "dismiss(False)", "Stay", id="closing.stay"),
    ]

    def __init__(self, summary: ClosingSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            with VerticalScroll(id="closing-summary"):
                yield Static(summary_text(self.summary), id="closing-text")
            with Horizontal(classes="buttons"):
                yield Button("Stay in the meeting", variant="primary", id="stay")
                yield Button("Close the meeting", variant="warning", id="close")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "close")


class ClosedScreen(ModalScreen[bool]):
    """After the close, before the quarters run: True undoes the close, False lets time
    pass (the default: the close was just confirmed)."""

    BINDINGS: ClassVar = [
        Binding("escape", "dismiss(True)", "Undo close", id="closed.undo"),
    ]

    def __init__(self, summary: ClosingSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(
                f"{self.summary.title} is closed.\n\nWhen you let time pass, "
                f"{self.summary.then}. Until then the close can be undone: the meeting "
                "reopens with its records as they are."), id="closed-text")
            with Horizontal(classes="buttons"):
                yield Button("Let time pass", variant="primary", id="go-on")
                yield Button("Undo close", id="undo")

    def on_mount(self) -> None:
        self.query_one("#go-on", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "undo")
