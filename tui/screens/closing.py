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
from textual.widget import Widget
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

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


class _CloseChoice(ModalScreen[bool]):
    """A choice about a close: a text, then buttons; True for ``TRUE_BUTTON``. The focus
    starts on the default (``AUTO_FOCUS``), the first button."""

    BUTTONS: ClassVar[tuple[tuple[str, ButtonVariant, str], ...]]
    """(label, variant, id) of each button, the default first."""
    TRUE_BUTTON: ClassVar[str]

    def __init__(self, summary: ClosingSummary) -> None:
        super().__init__()
        self.summary = summary

    def body(self) -> Widget:
        """What the choice is about, above the buttons (each screen says its own)."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield self.body()
            with Horizontal(classes="buttons"):
                for label, variant, button_id in self.BUTTONS:
                    yield Button(label, variant=variant, id=button_id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == self.TRUE_BUTTON)


class ClosingScreen(_CloseChoice):
    """Asks whether to close the meeting; True closes it. Staying is the default."""

    BUTTONS = (("Stay in the meeting", "primary", "stay"),
               ("Close the meeting", "warning", "close"))
    AUTO_FOCUS = "#stay"
    TRUE_BUTTON = "close"
    BINDINGS: ClassVar = [
        Binding("escape", "dismiss(False)", "Stay", id="closing.stay"),
    ]

    def body(self) -> Widget:
        return VerticalScroll(Static(summary_text(self.summary), id="closing-text"),
                              id="closing-summary")


class ClosedScreen(_CloseChoice):
    """After the close, before the quarters run: True undoes the close, False lets time
    pass (the default: the close was just confirmed)."""

    HOLDS_ROOM: ClassVar[bool] = True
    """The room's screens under it stay until it is gone (``PmsimApp._holding``)."""

    BUTTONS = (("Let time pass", "primary", "go-on"), ("Undo close", "default", "undo"))
    AUTO_FOCUS = "#go-on"
    TRUE_BUTTON = "undo"
    BINDINGS: ClassVar = [
        Binding("escape", "dismiss(True)", "Undo close", id="closed.undo"),
    ]

    def body(self) -> Widget:
        return Static(Content(
            f"{self.summary.title} is closed.\n\nNext, {self.summary.then}. Until you let "
            "time pass, the close can be undone: the meeting reopens with its records as they "
            "are."), id="closed-text")
