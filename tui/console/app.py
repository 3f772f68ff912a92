"""``pmsim console WORKSHOP``: every room's stage and who is in it, the polls, the scores.

The screen is drawn from :func:`simulator.workshop.workshop_status`, read from
the store every second (the store is the only state, so several consoles agree); the
keys append the facilitator's controls to the workshop's log.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from simulator.session.home import Home, open_store, store_url
from simulator.session.store import StoreError

if TYPE_CHECKING:
    from simulator.session.store import Store
    from simulator.workshop import WorkshopStatus

POLL_S = 1.0


class ConsoleApp(App[int]):
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
        Binding("c", "close_workshop", "Close", id="close"),
        Binding("r", "refresh_now", "Refresh", id="refresh"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, workshop: str, store: Store, poll_s: float = POLL_S) -> None:
        super().__init__()
        self.workshop = workshop
        self.store = store
        self.poll_s = poll_s
        self.status: WorkshopStatus | None = None
        self.closing = False

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
        self.query_one("#head", Static).update(
            f"Workshop {status.id} · {status.title}\n{status.state} · stage "
            f"{status.stage or '-'} of {' → '.join(status.stages)}")
        rooms = self.query_one("#rooms", DataTable)
        rooms.clear()
        for r in status.rooms:
            rooms.add_row(r.name, r.session_id, r.stage, ", ".join(r.present) or "-",
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


def launch(workshop: str, home: Path | str | None = None, store: str | None = None) -> int:
    """Run the console; the exit status for ``pmsim console``."""
    opened = open_store(store_url(store), Home.locate(home))
    try:
        app = ConsoleApp(workshop, opened)
        app.run()
    finally:
        opened.close()
    return app.return_code or 0
