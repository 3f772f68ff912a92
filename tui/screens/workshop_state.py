"""A workshop's room as the facilitator holds it: paused, closed, or held at a stage.

The rules are :mod:`simulator.workshop`'s (``room_hold``, ``moved_on``); this module
draws them. :class:`PausedScreen` covers every screen of the room while the facilitator
has the workshop paused: it takes every key and click, so nothing can be done, and it
is only laid over the screen, so nothing typed is lost. :class:`WorkshopClosedScreen`
says once that the workshop is closed and the room read-only. :func:`held` is what the
meeting room asks before its close dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from textual.app import App

PAUSED_DETAIL = ("Everything you have typed stays where it is. The room goes on when the "
                 "facilitator resumes the workshop.")


class PausedScreen(ModalScreen[None]):
    """Over every screen of a room while the facilitator has paused the workshop; the app
    dismisses it on the resume (or the close). It has nothing to press."""

    HOLDS_ROOM: ClassVar[bool] = True
    """The room's screens under it stay until it is gone (``PmsimApp._holding``)."""

    DEFAULT_CSS = """
    PausedScreen { align: center middle; }
    PausedScreen #paused { width: 60; height: auto; padding: 1 2; border: thick $warning;
                           background: $surface; }
    PausedScreen #paused-title { text-style: bold; text-align: center; width: 100%; }
    PausedScreen #paused-text { margin-top: 1; text-align: center; width: 100%; }
    """

    def __init__(self, where: str = "") -> None:
        super().__init__()
        self.where = where
        """The workshop's stage, as the header names it."""
        self.lifted = False
        """Resumed while a screen was over the pause: it goes as soon as it is on top."""

    def on_screen_resume(self) -> None:
        if self.lifted:
            self.app.pop_screen()

    def compose(self) -> ComposeResult:
        from simulator.workshop import PAUSED_TEXT

        with Vertical(id="paused"):
            yield Static(PAUSED_TEXT, id="paused-title", markup=False)
            yield Static(PAUSED_DETAIL + (f"\n\n{self.where}" if self.where else ""),
                         id="paused-text", markup=False)


class WorkshopClosedScreen(ModalScreen[None]):
    """Says that the facilitator closed the workshop: the room is read-only from now."""

    DEFAULT_CSS = """
    WorkshopClosedScreen { align: center middle; }
    WorkshopClosedScreen #closed { width: 64; height: auto; padding: 1 2;
                                   border: thick $accent; background: $surface; }
    WorkshopClosedScreen #closed-title { text-style: bold; }
    WorkshopClosedScreen #closed-text { margin: 1 0; }
    WorkshopClosedScreen .buttons { align-horizontal: center; height: auto; }
    """
    BINDINGS: ClassVar = [
        Binding("escape", "dismiss", "Look around", id="workshop-closed.ok"),
        Binding("enter", "dismiss", "Look around", show=False),
    ]

    def compose(self) -> ComposeResult:
        from simulator.workshop import CLOSED_TEXT

        with Vertical(id="closed"):
            yield Static("The workshop is closed", id="closed-title")
            yield Static(CLOSED_TEXT, id="closed-text", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Look around (read-only)", variant="primary", id="look-around")

    def on_mount(self) -> None:
        self.query_one("#look-around", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()


def held(app: App, to_stage: str) -> str | None:
    """Why the room may not move on to ``to_stage`` now (the facilitator holds it), in the
    players' words; None when it may, and always for a session that is no room."""
    from simulator.workshop import room_hold

    room = getattr(app, "room", None)
    if room is None:
        return None
    return room_hold(room.scenario, getattr(app, "workshop", None), to_stage)


def tell_held(app: App, why: str) -> None:
    """Say why a move waits for the facilitator (long enough to be read)."""
    app.notify(why, title="Waiting for the facilitator", severity="warning", timeout=10,
               markup=False)
