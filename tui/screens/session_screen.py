"""The base of every screen of a session being played."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.screen import Screen

if TYPE_CHECKING:
    from simulator.session.client import Room


class SessionScreen(Screen):
    """Knows the room; redraws itself from it when the session changes."""

    SCREEN_NAME: ClassVar[str] = ""
    WATCH: ClassVar[frozenset[str]] = frozenset()
    """Event kinds after which this screen redraws (it always does after a simulation)."""

    @property
    def room(self) -> Room:
        return self.app.room  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        self.refresh_room()

    def refresh_room(self) -> None:
        """Redraw from the room's state (after any new event or simulation)."""
