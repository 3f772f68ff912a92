"""What changed since the last meeting; after the last quarter, the end-of-year results."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Static

from simulator.engine import dashboard as figures
from simulator.formats.routine import short_title
from tui.messages import ContinueToMeeting, GoHome, GoTo
from tui.plain import cell, plain
from tui.screens.session_screen import SessionScreen
from tui.widgets.header import RoomHeader


class ChangesScreen(SessionScreen):
    SCREEN_NAME = "changes"
    WATCH = frozenset({"meeting.closed"})

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with VerticalScroll(id="changes"):
            yield Static(id="changes-title")
            yield Static(id="events", classes="card")
            yield DataTable(id="changes-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="implementation-summary")
        with Horizontal(classes="bar"):
            yield Button("Debrief", variant="primary", id="to-debrief", compact=True,
                         tooltip="The poll, then the ratings of the meeting just closed (F5)")
            yield Button("Continue", id="continue", compact=True)
            yield Button("Open the dashboard", id="to-dashboard", compact=True)
        yield Footer()

    def refresh_room(self) -> None:
        room = self.room
        sim = room.sim
        title = self.query_one("#changes-title", Static)
        if sim is None or room.needs_simulation():
            title.update("Time passes…")
            return
        sc = room.scenario
        closed = room.state.closed_meetings
        last = room.meeting(closed[-1]) if closed else None
        since = sc.quarter_index(last.after_quarter) if last else 0
        now = sim.history[-1].quarter.label
        if sim.finished:
            title.update(f"[b]End-of-year results[/b] — {plain(sc.title)}\n"
                         f"Figures from every quarter; change since "
                         f"{short_title(plain(last.title)) if last else 'the start'} "
                         f"({plain(sim.history[since].quarter.label)} → {plain(now)}).")
        else:
            title.update(f"[b]What changed since {short_title(plain(last.title))}[/b]" if last
                         else "[b]What changed[/b]")
        happened = [e for r in sim.history[since + 1:] for e in r.events]
        quarters = {q.id: q.label for q in room.scenario.calendar.quarters}
        events = "\n".join(f"• [b]{plain(e.title)}[/b] ({plain(quarters[e.quarter])}) — "
                           f"{plain(e.description)}" for e in happened) \
            or "Nothing out of the ordinary happened."
        self.query_one("#events", Static).update(f"[b]Meanwhile[/b]\n{events}")
        table = self.query_one("#changes-table", DataTable)
        table.clear(columns=True)
        labels = [r.quarter.label for r in sim.history]
        table.add_column("Measure", key="measure")
        for i, q in enumerate(labels):
            table.add_column(f"{q}{' ◆' if i == since else ''}", key=q)
        table.add_column("Change", key="change")
        for change in figures.changes(sim, since):
            delta = change.delta
            good = delta < 0 if "absent" in change.label else delta > 0
            style = "green" if good and abs(delta) >= 3 else (
                "red" if not good and abs(delta) >= 3 else "")
            table.add_row(cell(change.label), *(f"{v:.1f}" for v in change.values),
                          Text(f"{delta:+.1f}", style=style))
        imp = figures.build_table(sim, f"implementation/{sc.priority_schools[0].id}/"
                                       "implementation")
        lines = [f"• {row.label}: {row.extra[0]}, fidelity "
                 f"{figures.fmt(row.values[-1], float('nan'), '%')}, {row.extra[1]} served"
                 for row in imp.rows]
        self.query_one("#implementation-summary", Static).update(
            "[b]Strategies in play[/b]\n" + ("\n".join(lines) or imp.empty)
            + "\n◆ the quarter of the last meeting · changes of 3 points or more coloured; "
              "mind the ± of small groups on the dashboard")
        nxt = room.current_meeting
        button = self.query_one("#continue", Button)
        button.label = (
            f"Continue to {short_title(nxt.title)}" if nxt else "Back to the home screen")
        button.refresh(layout=True)  # Button's label is not a layout reactive: fit the new one
        debrief = self.query_one("#to-debrief", Button)
        debrief.label = "Final debrief" if nxt is None else "Debrief"
        debrief.display = bool(closed)
        debrief.refresh(layout=True)

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        if self.room.current_meeting is None:
            self.app.post_message(GoHome())
        else:
            self.app.post_message(ContinueToMeeting())

    @on(Button.Pressed, "#to-debrief")
    def _debrief(self) -> None:
        self.app.post_message(GoTo("debrief"))

    @on(Button.Pressed, "#to-dashboard")
    def _dashboard(self) -> None:
        self.app.post_message(GoTo("dashboard"))
