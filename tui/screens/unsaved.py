"""The meeting room's one way to save: :func:`save`, and the dialog of a refused write.

Every change a player makes goes to the store through a
:class:`~simulator.session.client.Room` method, and every such call from a screen
goes through :func:`save`. When the store refuses (another pmsim holds the file's
write lock too long, the disk is full, the home is read-only) nothing is shown as
saved: the dialog says what was not saved and why and offers Retry, and what would
follow the save (a form cleared, "Saved", the next screen) happens only once a
retry succeeds. So a record stays in its form, a meeting stays open and a new stage
is not entered until saved. The one exception is a move between the screens of the
same stage (F2-F5): the screen shows anyway, being only where this terminal looks,
and the dialog says the move was not recorded (a resumed session opens where it was).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from textual.app import App


@dataclass(frozen=True)
class Unsaved:
    """A write the store refused, and what follows it once it is saved."""

    what: str
    """What was not saved, in the player's words ("the target", "the move to the debrief")."""
    write: Callable[[], object]
    """The Room call; it raises NotSaved if the store refuses, and changes nothing then."""
    then: Callable[[], None] | None = None


def save(app: App, what: str, write: Callable[[], object],
         then: Callable[[], None] | None = None) -> bool:
    """Run ``write``; True when it was saved now, after ``then`` has run.

    False when the store refused it: the player is told what was not saved and
    why, and may Retry; ``then`` runs only once a retry succeeds. A ``write``
    that changes the screen before it writes must put it back before raising.
    """
    return _attempt(app, Unsaved(what, write, then))


def _attempt(app: App, item: Unsaved) -> bool:
    from simulator.session.store import NotSaved

    try:
        item.write()
    except NotSaved as err:
        _refused(app, item, err.why)
        return False
    if item.then is not None:
        item.then()
    return True


def _refused(app: App, item: Unsaved, why: str) -> None:
    """One dialog at a time: a write refused while it is open joins it."""
    top = app.screen
    if isinstance(top, UnsavedScreen) and not top.answered:
        top.add(item, why)
        return
    dialog = UnsavedScreen(item, why)
    app.push_screen(dialog, lambda retry: _answered(app, dialog.items, bool(retry)))


def _answered(app: App, items: list[Unsaved], retry: bool) -> None:
    if not retry:
        app.notify("Not saved: " + "; ".join(i.what for i in items), severity="warning",
                   timeout=8)
        return
    for item in items:
        if _attempt(app, item) and item.then is None:  # else ``then`` shows it saved
            app.notify(f"Saved: {item.what}", timeout=3)


class UnsavedScreen(ModalScreen[bool]):
    """Says what was NOT saved and why; dismissed with True to retry, False to keep working
    without it (it is then shown as unsaved, never as saved)."""

    DEFAULT_CSS = "UnsavedScreen { align: center middle; }"
    BINDINGS: ClassVar = [
        Binding("escape", "answer(False)", "Keep working", id="unsaved.keep"),
        Binding("r", "answer(True)", "Retry", id="unsaved.retry"),
    ]

    def __init__(self, item: Unsaved, why: str) -> None:
        super().__init__()
        self.items = [item]
        self.why = why
        self.answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._text(), id="unsaved-text")
            with Horizontal(classes="buttons"):
                yield Button("Retry", variant="primary", id="retry")
                yield Button("Keep working (not saved)", id="keep")

    def _text(self) -> Content:
        return Content.from_markup(
            "[b]Not saved:[/b] $what\n\n$why\n\nRetry once that is fixed, or keep working: "
            "it stays unsaved until a retry succeeds.",
            what="; ".join(i.what for i in self.items), why=self.why)

    def add(self, item: Unsaved, why: str) -> None:
        """Another write refused while this dialog is open: Retry retries it too."""
        self.items.append(item)
        self.why = why
        if self.is_mounted:
            self.query_one("#unsaved-text", Static).update(self._text())

    def on_mount(self) -> None:
        self.query_one("#retry", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "retry")

    def action_answer(self, retry: bool) -> None:
        if not self.answered:
            self.answered = True
            self.dismiss(retry)
