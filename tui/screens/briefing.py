"""The briefing: public role cards, private ones behind a confirm, the meeting's setting.

A role's private briefing shows only while that role speaks at this terminal and asked
for it: at a shared terminal, switching the speaker (F6) hides it, and ``p`` asks for the
briefing of whoever speaks now.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Static

from simulator.formats.routine import short_title
from simulator.formats.scenario import Briefing, Meeting
from tui.messages import GoTo, StartMeeting
from tui.plain import plain
from tui.screens.dialogs import ConfirmScreen
from tui.screens.session_screen import SessionScreen
from tui.widgets.header import RoomHeader


class BriefingScreen(SessionScreen):
    SCREEN_NAME = "briefing"
    WATCH = frozenset({"meeting.closed", "stage.changed"})
    BINDINGS: ClassVar = [
        Binding("p", "private", "Private briefing", id="briefing.private"),
        Binding("h", "hide_private", "Hide private", show=False, id="briefing.hide"),
        Binding("enter", "start", "Go to the meeting", id="briefing.start", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.private_shown: str | None = None
        """The role whose private briefing is on screen, if any."""

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with VerticalScroll(id="briefing"):
            yield Static(id="context")
            yield Static(id="meeting-card", classes="card")
            with Horizontal(id="roles"):
                yield Static(id="role-state", classes="card role")
                yield Static(id="role-district", classes="card role")
            with Vertical(id="private", classes="card hidden"):
                yield Static(id="private-text")
                yield Button("Hide private briefing", id="hide", compact=True)
        with Horizontal(classes="bar"):
            yield Button("Go to the meeting", variant="primary", id="start", compact=True)
            yield Button("Show my private briefing (State)", id="private-state", compact=True)
            yield Button("Show my private briefing (District)", id="private-district",
                         compact=True)
        yield Footer()

    def refresh_room(self) -> None:
        room = self.room
        sc = room.scenario
        meeting = room.current_meeting or sc.calendar.meetings[-1]
        self.query_one("#context", Static).update(
            f"[b]{sc.district.name}[/b] · {sc.state.name}\n{sc.district.description}"
        )
        setting = "\n".join(f"• {line}" for line in meeting.setting)
        goals = "\n".join(f"• {line}" for line in meeting.goals)
        self.query_one("#meeting-card", Static).update(
            f"[b]{meeting.title}[/b]\n[b]Setting[/b]\n{setting}\n"
            f"[b]Goals[/b] — use performance-management tenets to\n{goals}"
        )
        for role in ("state", "district"):
            brief = getattr(sc.roles, role)
            self.query_one(f"#role-{role}", Static).update(
                f"[b]{plain(brief.title)}[/b]\n{plain(brief.public)}"
                + _for_meeting(brief, room.current_meeting, "public"))
        self.draw_speaker()
        if self.private_shown is not None:  # the meeting may have moved on since it opened
            self._draw_private(self.private_shown)
        start = self.query_one("#start", Button)
        start.label = (f"Go to {short_title(meeting.title)}" if room.current_meeting else
                       "See the end-of-year results")
        start.refresh(layout=True)  # fit the new label

    def draw_speaker(self) -> None:
        """Only the speaker's own private briefing is offered, and one shown for another
        role is hidden (the app calls this when the speaker switches)."""
        speaker = self.room.event_role
        for role in ("state", "district"):
            self.query_one(f"#private-{role}", Button).display = role == speaker
        if self.private_shown is not None and self.private_shown != speaker:
            self.action_hide_private()

    def action_private(self) -> None:
        self._ask_private(self.room.event_role)

    def _ask_private(self, role: str) -> None:
        title = getattr(self.room.scenario.roles, role).title

        def shown(yes: bool | None) -> None:
            if yes and role == self.room.event_role:  # the speaker may have switched since
                self.private_shown = role
                self._draw_private(role)
                panel = self.query_one("#private")
                panel.remove_class("hidden")
                self.query_one("#hide", Button).focus()
                panel.scroll_visible()

        self.app.push_screen(
            ConfirmScreen(f"Only the {title} should read this.\n"
                          "If you share a screen, let the other player look away.\n\n"
                          "Show the private briefing?", yes="Show it"),
            shown,
        )

    def _draw_private(self, role: str) -> None:
        """``role``'s private briefing, with its part for the current meeting."""
        brief = getattr(self.room.scenario.roles, role)
        self.query_one("#private-text", Static).update(
            f"[b]Private — {plain(brief.title)} only[/b]\n{plain(brief.private)}"
            + _for_meeting(brief, self.room.current_meeting, "private"))

    def action_hide_private(self) -> None:
        self.private_shown = None
        self.query_one("#private").add_class("hidden")
        self.query_one("#private-text", Static).update("")

    def action_start(self) -> None:
        if self.room.current_meeting is None:
            self.app.post_message(GoTo("changes"))
        else:
            self.app.post_message(StartMeeting())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in ("private-state", "private-district"):
            self._ask_private(event.button.id.removeprefix("private-"))
        elif event.button.id == "hide":
            self.action_hide_private()
        elif event.button.id == "start":
            self.action_start()


def _for_meeting(brief: Briefing, meeting: Meeting | None,
                 part: Literal["public", "private"]) -> str:
    """What ``brief`` adds to its standing ``part`` before ``meeting``, under a heading
    naming the meeting; nothing if it adds nothing (or the meetings are over)."""
    text = getattr(brief.at(meeting.id), part) if meeting else ""
    if meeting is None or not text.strip():
        return ""
    return f"\n\n[b]For {plain(meeting.title)}[/b]\n{plain(text.strip())}"
