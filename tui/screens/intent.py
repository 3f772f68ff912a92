"""Solo practice: before a meeting, what the player means to achieve (an after-action
review begins with it: what was supposed to happen)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.widgets.field import Field


class IntentScreen(ModalScreen[str | None]):
    """Ask for the player's intent; dismissed with the text, or None for "later"."""

    BINDINGS: ClassVar = [
        Binding("escape", "dismiss(None)", "Later", id="intent.later"),
    ]

    def __init__(self, meeting_title: str, counterpart: str) -> None:
        super().__init__()
        self.meeting_title = meeting_title
        self.counterpart = counterpart

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"[b]Before {self.meeting_title}[/b]\nWhat do you mean to achieve "
                         f"in this meeting with {self.counterpart}? One or two sentences: "
                         "the debrief opens by setting them beside what happened.",
                         id="question")
            yield Field(placeholder="e.g. Find which students are behind and agree one "
                                    "targeted strategy with an owner", id="intent-text")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Later", id="later")
            yield Static("enter saves · esc later (asked again when you come back)",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#intent-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        text = " ".join(self.query_one("#intent-text", Input).value.split())
        if not text:
            self.notify("Write what you mean to achieve, or choose Later.", title="Intent")
            return
        self.dismiss(text)
