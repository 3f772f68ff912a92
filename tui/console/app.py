"""``pmsim console WORKSHOP``: every room's stage and who is in it, the polls, the scores.

The screen is drawn from :func:`simulator.workshop.workshop_status`, read from
the store every second (the store is the only state, so several consoles agree); the
keys append the facilitator's controls to the workshop's log.

``e`` exports the workshop as the one zip file ``pmsim workshop export`` writes (the
command hands its export function in: the console sits below the command): in a
terminal it is written to the home's reports folder, in a browser the browser downloads
it (Textual's ``deliver_binary``, through the server's download route).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from simulator.formats.loading import ScenarioNotFound
from simulator.formats.yamlsafe import FileProblems
from simulator.session.home import Home, open_store, store_url
from simulator.session.store import StoreError
from tui.served import ServedApp

if TYPE_CHECKING:
    from simulator.session.store import Store
    from simulator.workshop import WorkshopStatus

POLL_S = 1.0

Export = Callable[["Store", Home, str], bytes]
"""What makes a workshop's export: (store, home, workshop id) -> the zip's bytes."""


def export_name(workshop: str) -> str:
    """The export's file name, the same in a terminal and in a browser."""
    return f"workshop-{workshop}.zip"


def write_export(folder: Path, workshop: str, data: bytes) -> Path:
    """``data`` written as the workshop's export in ``folder`` (made if missing): a
    temporary file renamed over it, so a reader never sees half a zip."""
    from simulator.formats.atomic import write_atomic

    out = folder / export_name(workshop)
    write_atomic(out, data)
    return out


class ConsoleApp(ServedApp):
    """The facilitator console of one workshop."""

    CSS = """
    #head { height: auto; padding: 0 1; }
    #rooms { height: 1fr; }
    #scores { height: 1fr; }
    #polls { height: auto; max-height: 12; padding: 0 1; }
    #said { height: 1; padding: 0 1; }
    """
    BINDINGS: ClassVar = [
        Binding("s", "control('start')", "Start", id="start"),
        Binding("p", "control('pause')", "Pause", id="pause"),
        Binding("a", "control('advance')", "Advance all", id="advance"),
        Binding("e", "export", "Export", id="export"),
        Binding("c", "close_workshop", "Close", id="close"),
        Binding("r", "refresh_now", "Refresh", id="refresh"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, workshop: str, store: Store, poll_s: float = POLL_S, *,
                 home: Home | None = None, export: Export | None = None,
                 opener: Callable[[], Store] | None = None) -> None:
        """``export`` and ``opener`` (a store of the export's own, for its thread) give
        the export key; without them the console has none."""
        super().__init__()
        self.workshop = workshop
        self.store = store
        self.poll_s = poll_s
        self.home = home
        self.export = export
        self.opener = opener
        self.status: WorkshopStatus | None = None
        self.closing = False
        self.exporting = False
        self.exported: Path | None = None
        """Where the last export was written (a terminal); None in a browser."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="head")
            yield DataTable(id="rooms", cursor_type="row")
            yield DataTable(id="scores")
            yield Static("", id="polls")
            yield Static("", id="said")
        yield Footer()

    def on_mount(self) -> None:
        rooms = self.query_one("#rooms", DataTable)
        rooms.add_columns("room", "session", "stage", "in the room", "last activity")
        self.refresh_status()
        self.set_interval(self.poll_s, self.refresh_status)

    def say(self, text: str) -> None:
        self.query_one("#said", Static).update(text)

    def refresh_status(self) -> None:
        from simulator.workshop import workshop_status

        try:
            status = workshop_status(self.store, self.workshop)
        except StoreError as exc:
            self.say(str(exc))
            return
        self.status = status

        def named(stage: str) -> str:
            return status.names.get(stage, stage)

        self.query_one("#head", Static).update(
            f"Workshop {status.id} · {status.title}\n{status.state} · stage "
            f"{named(status.stage) if status.stage else '-'} of "
            f"{' → '.join(named(s) for s in status.stages)}")
        rooms = self.query_one("#rooms", DataTable)
        rooms.clear()
        for r in status.rooms:
            rooms.add_row(r.name, r.session_id, named(r.stage), ", ".join(r.present) or "-",
                          r.last_activity[11:19], key=r.name)
        self._scores(status)
        polls = [f"{r.name} {p['role']} ({p['meeting']}): well: {p['went_well']} · "
                 f"improve: {p['improve']}" for r in status.rooms for p in r.polls]
        self.query_one("#polls", Static).update(
            "Poll answers:\n" + "\n".join(polls) if polls else "Poll answers: none yet")

    def _scores(self, status: WorkshopStatus) -> None:
        table = self.query_one("#scores", DataTable)
        table.clear(columns=True)
        columns = [(r.name, m) for r in status.rooms for m in r.scores]
        if not columns:
            table.add_column("scores: none yet (after each debrief)")
            return
        table.add_columns("sub-element", *[f"{room} {m}" for room, m in columns])
        by_room = {r.name: r.scores for r in status.rooms}
        first = by_room[columns[0][0]][columns[0][1]]
        for i, score in enumerate(first):
            cells = [by_room[room][m][i] for room, m in columns]
            table.add_row(score.name, *[f"{c.level} {c.points:g}/{c.max_points:g}"
                                        for c in cells])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.export is not None and self.opener is not None and self.home is not None
        return True

    def action_export(self) -> None:
        if self.exporting:
            self.say("The export is still being made…")
            return
        self.exporting = True
        self.say(f"Exporting every room of workshop {self.workshop}…")
        self._export(self.is_web)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, web: bool) -> None:
        """The zip made off the UI thread (reports replay every room), on a store of its
        own; in a terminal written there too."""
        assert self.export is not None and self.opener is not None and self.home is not None
        try:
            with self.opener() as store:
                data = self.export(store, self.home, self.workshop)
            if web:
                self.call_from_thread(self._deliver, data)
                return
            out = write_export(self.home.reports, self.workshop, data)
        except (StoreError, OSError, ValueError, FileProblems, ScenarioNotFound) as exc:
            self.call_from_thread(self._export_done, f"The export failed: {exc}")
            return
        self.exported = out
        self.call_from_thread(self._export_done, f"Exported to {out}")

    def _deliver(self, data: bytes) -> None:
        name = export_name(self.workshop)
        key = self.deliver_binary(io.BytesIO(data), save_filename=name,
                                  mime_type="application/zip")
        self._export_done(f"Sent to your browser as {name}" if key else
                          "The export could not be sent to the browser")

    def _export_done(self, text: str) -> None:
        self.exporting = False
        self.say(text)

    def action_refresh_now(self) -> None:
        self.refresh_status()

    def action_control(self, action: str) -> None:
        from simulator.workshop import control

        try:
            control(self.store, self.workshop, action)  # type: ignore[arg-type]
        except StoreError as exc:
            self.say(str(exc))
            return
        self.say(f"{action}: done for every room")
        self.refresh_status()

    def action_close_workshop(self) -> None:
        if not self.closing:
            self.closing = True
            self.say("Press c again to close the workshop: its codes stop working")
            return
        self.closing = False
        self.action_control("close")


def launch(workshop: str, home: Path | str | None = None, store: str | None = None,
           export: Export | None = None) -> int:
    """Run the console; the exit status for ``pmsim console`` (and a browser's console
    tab). ``export`` gives it the export key."""
    located = Home.locate(home)
    url = store_url(store)
    opened = open_store(url, located)
    try:
        app = ConsoleApp(workshop, opened, home=located, export=export,
                         opener=lambda: open_store(url, located, readonly=True))
        app.run()
    finally:
        opened.close()
    return app.return_code or 0
