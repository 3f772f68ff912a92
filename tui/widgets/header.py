"""The app's header: Textual's, tolerant of a title change while it is being replaced, and
with the workshop's stage and state on its right when the session is a workshop's room."""

from __future__ import annotations

import contextlib

from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.events import Mount
from textual.widgets import Header, Static
from textual.widgets._header import HeaderClockSpace, HeaderIcon, HeaderTitle


class WorkshopBadge(Static):
    """"Workshop · Meeting #1 · running" (or paused, waiting, closed): the app's
    ``workshop_label``, on the right of the header; not shown outside a workshop."""

    DEFAULT_CSS = """
    WorkshopBadge { dock: right; width: auto; max-width: 60%; padding: 0 1;
                    text-wrap: nowrap; text-overflow: ellipsis;
                    background: $accent 30%; display: none; }
    WorkshopBadge.-shown { display: block; }
    WorkshopBadge.-paused { background: $warning; color: $text; text-style: bold; }
    WorkshopBadge.-closed { background: $error 40%; }
    """

    def on_mount(self) -> None:
        if hasattr(self.app, "workshop_label"):
            self.watch(self.app, "workshop_label", self.show)

    def show(self, label: str) -> None:
        self.update(label)
        self.set_class(bool(label), "-shown")
        self.set_class(label.endswith("· paused"), "-paused")
        self.set_class(label.startswith("Workshop closed"), "-closed")
        if self.parent is not None:
            for space in self.parent.query(HeaderClockSpace):
                space.display = not label


class RoomHeader(Header):
    """A Header whose title watcher ignores a header that is not (or no longer) composed.

    Switching screens quickly (a second terminal following the first) can fire
    the title watchers of a header whose children are already gone.
    """

    def compose(self) -> ComposeResult:
        yield HeaderIcon().data_bind(Header.icon)
        yield HeaderTitle()
        yield WorkshopBadge("", markup=False)
        yield HeaderClockSpace()  # as Header's own, where there is no badge

    def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # instead of Header's own watchers, not as well as

        async def set_title() -> None:
            if not self.is_attached:
                return
            with contextlib.suppress(NoMatches):
                self.query_one(HeaderTitle).update(self.format_title())

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
