"""The app's header: Textual's, tolerant of a title change while it is being replaced."""

from __future__ import annotations

import contextlib

from textual.css.query import NoMatches
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class RoomHeader(Header):
    """A Header whose title watcher ignores a header that is not (or no longer) composed.

    Switching screens quickly (a second terminal following the first) can fire
    the title watchers of a header whose children are already gone.
    """

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
