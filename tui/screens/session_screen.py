"""The base of every screen of a session being played, and the App as screens see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from textual.app import App
from textual.screen import Screen

if TYPE_CHECKING:
    from simulator.session.client import Room
    from simulator.session.home import Home
    from simulator.session.store import Store


class Host(Protocol):
    """What a screen may read of the App (it asks for anything else with a message)."""

    room: Room | None
    report_replications: int
    home: Home

    def open_store(self) -> Store:
        """The sessions' store (the caller closes it)."""
        ...


def host(app: App) -> Host:
    """The running PmsimApp, typed as what screens read of it."""
    return cast(Host, app)


class SessionScreen(Screen):
    """Knows the room; redraws itself from it when the session changes."""

    SCREEN_NAME: ClassVar[str] = ""
    WATCH: ClassVar[frozenset[str]] = frozenset()
    """Event kinds after which this screen redraws (it always does after a simulation)."""

    @property
    def room(self) -> Room:
        """The session this screen shows (session screens exist only while one is open)."""
        room = host(self.app).room
        assert room is not None, "a session screen without a session"
        return room

    def on_screen_resume(self) -> None:
        self.refresh_room()

    def save_pages(self, stem: str, what: str, pages: Callable[[], tuple[str, str]]) -> None:
        """From a worker thread: write ``pages()`` (Markdown, HTML) as STEM.md and
        STEM.html in the pmsim home's reports folder, each through a temporary file, and
        tell the players where ("Saved the WHAT") or why not."""
        from simulator.formats.atomic import write_atomic

        folder = self.room.home.reports
        md, page = folder / f"{stem}.md", folder / f"{stem}.html"
        try:
            markdown, html = pages()
            write_atomic(md, markdown)
            write_atomic(page, html)
        except Exception as err:  # shown to the players
            self.app.call_from_thread(self.notify, f"The {what} was not saved: {err}",
                                      severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, f"Saved the {what}:\n{md}\n{page}",
                                  title=f"{what.capitalize()} saved", timeout=10)

    def refresh_room(self) -> None:
        """Redraw from the room's state (after any new event or simulation)."""
