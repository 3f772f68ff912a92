"""The State self-assessment, after the final debrief: each participant rates their own State.

Eleven rows, one per sub-element the debrief rated their practice on: a level and
a sentence of evidence. Saving appends one ``selfassess.rated`` event per row
changed, so a resumed session shows them again; the handout (self-ratings beside
what was practised, the gaps and the drafted take-home exercise, from
:mod:`simulator.debrief.selfassess`) is shown in its own tab and saved as
Markdown and HTML into the pmsim home, as the debrief's report is.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Input, Label, Select, Static, TabbedContent, TabPane

from simulator.formats.rubric import ELEMENTS, LEVELS, SUB_ELEMENTS
from tui.messages import GoTo
from tui.screens import unsaved
from tui.screens.session_screen import SessionScreen
from tui.widgets.field import Field
from tui.widgets.header import RoomHeader
from tui.widgets.levels import level_content

if TYPE_CHECKING:
    from simulator.debrief.models import Rating
    from simulator.debrief.selfassess import SelfAssessment

NARROW = 100
"""Below this width the names take less room, so the sentence has some."""
EVIDENCE_MAX = 300
"""As the event allows (:class:`simulator.session.state.SelfAssessRated`)."""
LEVEL_CHOICES = [(level, level) for level in LEVELS]


def handout_content(doc: SelfAssessment) -> Content:
    """The handout as the screen shows it: the rows, the gaps, the drafted take-home."""
    head = f"The State self-assessment: {doc.state}" if doc.state else (
        "The State self-assessment")
    parts: list[Content] = [Content.from_markup("[b]$head[/b]  [dim]$n of 11 rated[/]\n\n",
                                                head=head, n=str(doc.rated))]
    header = f"{'Sub-element':<40}{'Your State':<15}Practised"  # a line's start is trimmed
    parts.append(Content.from_markup("[b]$header[/b]\n", header=header))
    for r in doc.elements:
        name = r.name if len(r.name) <= 36 else r.name[:35] + "…"
        parts.append(Content(f"{r.id} {name:<36} "))
        parts.append(level_content(r.level, gauge_too=False) if r.level else Content("—"))
        parts.append(Content(" " * max(1, 15 - len(r.level or "—"))))  # under the header
        parts.append(level_content(r.practised, gauge_too=False) if r.practised
                     else Content("—"))
        parts.append(Content("\n"))
    gaps = [r for r in doc.elements if r.gap]
    if gaps:
        parts.append(Content.from_markup("\n[b]The gaps[/b]\n"))
        parts += [Content(f"• {r.id} {r.reading}\n") for r in gaps]
    if doc.from_mock:
        parts.append(Content.from_markup("\n[b]From the mock: what to try at home[/b]\n"))
        parts += [Content(f"• {x}\n") for x in doc.from_mock]
    parts.append(Content.from_markup("\n[b]Take-home: next steps for your State[/b]\n"))
    parts.append(Content(doc.intro + "\n"))
    for p in doc.next_steps:
        parts.append(Content.from_markup("\n[b $text-accent]$h[/]\n", h=p.heading))
        if p.question:
            parts.append(Content.from_markup("[dim]$q[/]\n", q=p.question))
        parts.append(Content(f"Draft: {p.draft}\n"))
    return Content.assemble(*parts)


class SelfAssessScreen(SessionScreen):
    """The participant's own State, rated on the eleven sub-elements; the handout."""

    SCREEN_NAME = "selfassess"
    WATCH = frozenset({"selfassess.rated", "meeting.closed"})
    BINDINGS: ClassVar = [
        Binding("f7", "save_handout", "Save handout", id="selfassess.save",
                tooltip="Write the handout as Markdown and HTML into the pmsim home"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.practised: list[Rating] | None = None
        """The final debrief's ratings of this session (built once, in a worker)."""
        self._practised_for: str | None = None
        self._filled_for: str | None = None
        """The role whose saved ratings fill the form now (refilled when the speaker
        changes)."""

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Vertical(id="selfassess"):
            yield Static(id="sa-title")
            with TabbedContent(id="sa-tabs"):
                with TabPane("Your State", id="tab-sa-rate"), VerticalScroll(id="sa-form"):
                    with Horizontal(id="sa-state-row"):
                        yield Label("Your State", classes="sa-label")
                        yield Field(id="sa-state", placeholder="its name (optional)",
                                    max_length=80, compact=True)
                    letter = ""
                    for sid, name in SUB_ELEMENTS.items():
                        if sid[0] != letter:
                            letter = sid[0]
                            yield Static(f"{letter}. {ELEMENTS[letter]}",
                                         classes="sa-element")
                        with Horizontal(classes="sa-row", id=f"sa-row-{sid}"):
                            yield Label(f"{sid} {name}", classes="sa-label")
                            yield Select(LEVEL_CHOICES, prompt="Level…", id=f"sa-level-{sid}",
                                         compact=True, classes="sa-level")
                            yield Field(id=f"sa-evidence-{sid}", compact=True,
                                        placeholder="one sentence of evidence",
                                        max_length=EVIDENCE_MAX, classes="sa-evidence")
                    with Horizontal(classes="form-buttons"):
                        yield Button("Save my ratings", variant="primary", id="sa-save",
                                     compact=True)
                with TabPane("Handout", id="tab-sa-handout"), VerticalScroll():
                    yield Static(id="sa-handout")
        with Horizontal(classes="bar"):
            yield Button("Back to the debrief", id="sa-back", compact=True)
            yield Button("Save handout", id="sa-export", compact=True)
        yield Footer()

    # ------------------------------------------------------------------ drawing

    def on_mount(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")

    @property
    def final(self) -> bool:
        return self.room.current_meeting is None

    def _mine(self) -> dict[str, dict[str, Any]]:
        return self.room.state.selfassess.get(self.room.event_role, {})

    def refresh_room(self) -> None:
        room = self.room
        title = self.query_one("#sa-title", Static)
        if not self.final:
            title.update("The self-assessment follows the final debrief, once the year is over.")
            self.query_one("#sa-tabs").display = False
            return
        self.query_one("#sa-tabs").display = True
        who = room.scenario.roles.title_of(room.event_role)
        mine = self._mine()
        title.update(Content.from_markup(
            "[b]Your own State[/b] — $who: rate its routines today on the eleven "
            "sub-elements you were rated on, each with a sentence of evidence. "
            "[dim]$n of 11 saved.[/]", who=who, n=str(len(mine))))
        if self._filled_for != room.event_role:
            self._fill(mine)
        if self._practised_for != room.session_id:
            self._practised_for = room.session_id
            self._score(copy.deepcopy(room.state))
        self._draw_handout()

    def draw_speaker(self) -> None:
        """The speaker changed (F6): the form is now theirs."""
        if self.is_mounted:
            self.refresh_room()

    def _fill(self, mine: dict[str, dict[str, Any]]) -> None:
        """The form from what this role saved (blank where nothing is)."""
        self._filled_for = self.room.event_role
        from simulator.debrief.selfassess import saved_state_name

        self.query_one("#sa-state", Input).value = saved_state_name(mine)
        for sid in SUB_ELEMENTS:
            saved = mine.get(sid)
            select = self.query_one(f"#sa-level-{sid}", Select)
            if saved:
                select.value = saved["level"]
            else:
                select.clear()
            self.query_one(f"#sa-evidence-{sid}", Input).value = saved["evidence"] if saved else ""

    def _assessment(self) -> SelfAssessment | None:
        from simulator.debrief.selfassess import answers_from_events, assess_session

        answers = answers_from_events(self._mine())
        if answers is None or self.practised is None:
            return None
        return assess_session(self.room.scenario, self.room.state, answers, self.practised)

    def _draw_handout(self) -> None:
        handout = self.query_one("#sa-handout", Static)
        if self.practised is None:
            handout.update("Scoring what you practised…")
            return
        doc = self._assessment()
        handout.update(handout_content(doc) if doc else
                       "Rate at least one sub-element and save: the handout sets your "
                       "State beside what you practised and drafts the take-home exercise.")
        self.query_one("#sa-export", Button).disabled = doc is None
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="selfassess-score")
    def _score(self, state: Any) -> None:
        from simulator.debrief.selfassess import practised_in

        try:
            practised = practised_in(self.room.scenario, state)
        except Exception as err:  # shown to the players; the form still works
            self.app.call_from_thread(self.notify, f"What you practised could not be "
                                      f"scored: {err}", severity="error", timeout=10)
            return
        self.app.call_from_thread(self._scored, practised)

    def _scored(self, practised: list[Rating]) -> None:
        self.practised = practised
        if self.is_mounted:
            self._draw_handout()

    # ------------------------------------------------------------------ saving

    @on(Input.Submitted, "#sa-state")
    @on(Input.Submitted, ".sa-evidence")
    def _next_row(self, event: Input.Submitted) -> None:
        """Enter moves on to the next row's level; on the last row it saves."""
        event.stop()
        if event.input.id == f"sa-evidence-{list(SUB_ELEMENTS)[-1]}":
            self.save_ratings()
        else:
            self.focus_next(Select)

    @on(Select.Changed, ".sa-level")
    def _to_evidence(self, event: Select.Changed) -> None:
        """A level chosen: on to its sentence."""
        if isinstance(event.value, str) and event.select.has_focus:
            sid = (event.select.id or "").removeprefix("sa-level-")
            self.query_one(f"#sa-evidence-{sid}", Input).focus()

    @on(Button.Pressed, "#sa-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save_ratings()

    def save_ratings(self) -> None:
        """Append a ``selfassess.rated`` event for each row changed, all in one commit."""
        from simulator.session.state import append_events

        room = self.room
        state_name = " ".join(self.query_one("#sa-state", Input).value.split())
        mine = self._mine()
        events: list[tuple[str, str, dict[str, Any]]] = []
        unfinished: list[str] = []
        for sid in SUB_ELEMENTS:
            level = self.query_one(f"#sa-level-{sid}", Select).value
            evidence = " ".join(self.query_one(f"#sa-evidence-{sid}", Input).value.split())
            if not isinstance(level, str) or not evidence:
                if isinstance(level, str) or evidence:
                    unfinished.append(sid)
                continue
            before = mine.get(sid)
            if before and (before["level"], before["evidence"], before.get("state", "")) == (
                    level, evidence, state_name):
                continue
            events.append(("selfassess.rated", room.event_role, {
                "sub_element": sid, "level": level, "evidence": evidence,
                "state": state_name}))
        if unfinished:
            self.notify(f"A level and a sentence go together: finish {', '.join(unfinished)} "
                        "(the rest was saved).", severity="warning", timeout=6)
        if not events:
            if not unfinished:
                self.notify("Nothing new to save.", timeout=3)
            return
        count = len(events)

        def saved() -> None:
            self.notify(f"Saved {count} rating{'s' if count != 1 else ''} of your State.",
                        timeout=3)
            self.refresh_room()

        unsaved.save(self.app, "your State's ratings",
                     lambda: room.commit("your State's ratings",
                                         lambda: append_events(room.store, room.session_id,
                                                               events)),
                     saved)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_handout":
            return True if self.practised is not None and self._mine() else None
        return True

    def action_save_handout(self) -> None:
        doc = self._assessment()
        if doc is None:
            self.notify("Save at least one rating first: the handout is drawn from them.",
                        timeout=4)
            return
        self._save_handout(doc, self.room.session_id, self.room.event_role)

    @work(thread=True, exclusive=True, group="selfassess-save")
    def _save_handout(self, doc: SelfAssessment, session_id: str, role: str) -> None:
        from simulator.render.handout import render_handout_html, render_handout_markdown

        self.save_pages(f"pmsim-{session_id}-self-assessment-{role}", "handout",
                        lambda: (render_handout_markdown(doc), render_handout_html(doc)))

    @on(Button.Pressed, "#sa-export")
    def _export_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save_handout()

    @on(Button.Pressed, "#sa-back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.post_message(GoTo("debrief"))
