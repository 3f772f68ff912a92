"""What screens ask of the App: typed messages, handled by :class:`tui.app.PmsimApp`.

Attributes down, messages up: a screen never calls into the App; it posts one of
these to it (``self.app.post_message``) and the App decides what happens next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from simulator.session.summary import ClosingSummary


@dataclass
class OpenSession(Message):
    """Open a saved session, or start one on a scenario."""

    scenario: str | None = None
    seed: int = 1
    session: str | None = None
    participant: str = ""
    """Who plays (for a new session), if given."""
    solo: str | None = None
    """Practise alone in this role (a new session): a persona plays the other."""
    persona: str | None = None
    """The persona to practise with (default: the built-in for the other role)."""


@dataclass
class GoTo(Message):
    """Show one of the session's screens (the App knows what each stage allows)."""

    screen: str


@dataclass
class StartMeeting(Message):
    """From the briefing into the current meeting."""


@dataclass
class CloseMeeting(Message):
    """Close a meeting: its decisions take effect and time passes. It carries the summary
    the pair confirmed, which the undo dialog shows again."""

    summary: ClosingSummary


@dataclass
class ContinueToMeeting(Message):
    """After a debrief: on to the next meeting's briefing."""


@dataclass
class GoHome(Message):
    """Leave the session for the home screen."""


@dataclass
class SwitchSpeaker(Message):
    """At a shared terminal: the other lead speaks now."""
