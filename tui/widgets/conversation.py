"""The meeting room's conversation pane, in solo practice: talk with the persona.

The player chooses a move shaped like the agenda (and, for some, what it is about: a
data view, a strategy) or types free text, which the counterpart understands as one of
the same moves. The persona's answer comes back in the log; its decisions and records go
into the minutes like a human counterpart's. With coaching on, a line above the menu says
what a skilled lead would look at or ask next (from the debrief's own look-fors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Select, Static

from simulator.formats.persona import MOVES
from simulator.formats.routine import role_label
from tui.widgets.field import Field

if TYPE_CHECKING:
    from simulator.counterpart.solo import Solo

VIEW_MOVES = ("ask-view", "probe-subgroup", "ask-implementation")
"""Moves about a data view: the menu asks which."""
STRATEGY_MOVES = ("propose-strategy", "challenge-strategy")
"""Moves about a strategy: the menu asks which."""


class ConversationPane(Vertical):
    """The log of the conversation, the move menu and the free-text line."""

    DEFAULT_CLASSES = "conversation"

    def __init__(self, solo: Solo, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.solo = solo
        self.meeting: str | None = None
        self._shown = -1
        """How many of the meeting's turns the log shows."""

    def compose(self) -> ComposeResult:
        persona = self.solo.persona
        yield Static(Content.assemble(
            (f"Talking with {persona.name}", "bold"),
            f"\n{role_label(persona.role)} · {persona.title}"), id="talk-title")
        yield VerticalScroll(id="talk-log")
        yield Static(id="talk-hint")
        with Horizontal(id="talk-menu"):
            yield Select([(m.label, m.id) for m in MOVES], prompt="Move…", id="talk-move",
                         compact=True)
            yield Select([], prompt="About…", id="talk-about", compact=True)
            yield Button("Say", id="talk-say", compact=True, variant="primary")
        yield Field(placeholder="…or type what you say, then Enter", id="talk-input")

    # ------------------------------------------------------------------ drawing

    def show(self, meeting: str, views: list[tuple[str, str]]) -> None:
        """Draw ``meeting``'s conversation so far, and offer ``views`` to ask about."""
        if meeting != self.meeting:
            self.meeting = meeting
            self._shown = -1
            self.query_one("#talk-log", VerticalScroll).remove_children()
        self._views = views
        self._offer_about()
        log = self.query_one("#talk-log", VerticalScroll)
        turns = self.solo.turns(meeting)
        if self._shown < 0:
            log.mount(self._line(self.solo.persona.name, self.solo.opening(meeting), "them"))
            self._shown = 0
        for t in turns[self._shown:]:
            log.mount(self._line("You", t["said"], "you"))
            log.mount(self._line(self.solo.persona.name, t["reply"] or "…", "them"))
        if len(turns) > self._shown:
            log.scroll_end(animate=False)
        self._shown = len(turns)
        self._draw_hint()

    @staticmethod
    def _line(who: str, text: str, side: str) -> Static:
        return Static(Content.assemble((f"{who}: ", "bold"), text), classes=f"talk-{side}")

    def _draw_hint(self) -> None:
        line = self.query_one("#talk-hint", Static)
        if not self.solo.hints or self.meeting is None:
            line.display = False
            return
        found = self.solo.hint(self.meeting)
        line.display = True
        line.update(Content.assemble(("Hint: ", "bold"), found.text) if found else
                    Content("Hint: you have taken every step the debrief looks for."))

    def _offer_about(self) -> None:
        move = self.query_one("#talk-move", Select).value
        about = self.query_one("#talk-about", Select)
        if move in VIEW_MOVES:
            options = list(self._views)
        elif move in STRATEGY_MOVES:
            options = [(s.name, s.id) for s in self.solo.room.scenario.strategies]
        else:
            options = []
        about.set_options(options)
        about.display = bool(options)

    # ------------------------------------------------------------------ saying

    @on(Select.Changed, "#talk-move")
    def _move_changed(self) -> None:
        self._offer_about()

    @on(Button.Pressed, "#talk-say")
    def _say_move(self) -> None:
        from simulator.counterpart.moves import menu_move
        from simulator.formats.persona import MOVE_BY_ID

        move = self.query_one("#talk-move", Select).value
        if move is Select.NULL or not isinstance(move, str):
            self.app.notify("Choose a move first (or type what you say).", title="Say")
            return
        about = self.query_one("#talk-about", Select)
        choice = about.value if about.display and about.value is not Select.NULL else None
        label = MOVE_BY_ID[move].label
        if move in VIEW_MOVES and isinstance(choice, str):
            said = f"{label}: {choice}"
            understood = menu_move(move, view=choice)  # type: ignore[arg-type]
        elif move in STRATEGY_MOVES and isinstance(choice, str):
            name = self.solo.room.scenario.strategy(choice).name
            said = f"{label}: {name}"
            understood = menu_move(move, strategy=choice)  # type: ignore[arg-type]
        else:
            said = label
            understood = menu_move(move)  # type: ignore[arg-type]
        self._say(said, understood)

    @on(Input.Submitted, "#talk-input")
    def _say_text(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            return
        if self._say(text, None):
            event.input.value = ""

    def _say(self, said: str, understood: object) -> bool:
        from tui.screens import unsaved

        meeting = self.meeting
        if meeting is None:
            return False
        solo = self.solo
        return unsaved.save(self.app, "what you said and the answer",
                            lambda: solo.say(meeting, said, understood),  # type: ignore[arg-type]
                            then=self._after)

    def _after(self) -> None:
        if self.meeting is not None:
            self.show(self.meeting, self._views)
