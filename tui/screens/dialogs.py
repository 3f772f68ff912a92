"""Small modal screens: a confirmation, the help, the progress of time passing."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static

from tui.plain import plain


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that can't be taken back (or shouldn't be seen).

    Keyboard alone answers it: the button with the focus is drawn unlike the others (not
    only in another colour), Enter presses it, and Enter with no button focused (after a
    click beside them) chooses what the dialog opened on, the safe answer.
    """

    BINDINGS: ClassVar = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel"),
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
        Binding("enter", "choose", "Choose", show=False, id="confirm.choose"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button(self.no, id="no")
            yield Static("tab moves · enter presses the marked button · y yes · esc cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_choose(self) -> None:
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()
        else:
            self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


HELP = """\
# pmsim — the meeting room

Two players hold **performance-management meetings** about a district's priority
school: the **State Turnaround Lead** and the **District Turnaround Lead**. Between
meetings the simulation plays the next quarters out from the strategies you chose.

## Keys (also in the footer; every action is in the command palette, **ctrl+p**)

| key | does |
|---|---|
| **F1** or **?** | this help |
| **F2** / **F3** / **F4** | briefing / dashboard / meeting |
| **F5** | the debrief of the last meeting closed (the final debrief at the end) |
| **F6** | at a shared terminal: who is speaking (State or District); records are saved as theirs |
| **F8** | light or dark theme |
| **F7** | save the debrief report, Markdown and HTML, into the pmsim home (in the debrief) |
| **F10** | close the meeting (in the meeting room) |
| **F7** / **F9** | solo practice, meeting room: talk with your counterpart / hints |
| **F9** | final debrief: rate your own State (self-assessment; **F7** saves its handout) |
| **ctrl+g** | the primer: the framework the debrief rates (**g** on home; **esc** back) |
| **ctrl+l** | meeting room: show or hide what the debrief looks for at the step that is open |
| **a** | on the home screen: practise alone against a scripted counterpart |
| **p** | on the home screen: progress — your attempts over time (**esc** goes back) |
| **tab** / **shift+tab** | move between fields |
| **enter** | save the record you are typing (or press its button) |
| **ctrl+q** | quit (everything shown as saved is saved) |

## The dashboard

Pick a subject, a school and a breakdown. Figures carry their standard error (±):
two groups whose ranges overlap may not differ at all. Groups under 20 students are
flagged ⚠. Under the table, a chart draws each row across the year (**c** hides or shows
it). **u** breaks a subject's strands down by subgroup or grade. **s** shows the student
roster; **t** switches between % on benchmark and mean scale score. Every view you open
is remembered for the debrief.
**x** crosses a subgroup with grade (or a grade with subgroup); **v** compares whom a strategy
in play serves with comparable students it does not: growth since it started, ± error, reach.

## The meeting

Work through the agenda — targets, follow-up, performance, implementation,
problem-solving, decisions, action steps, stakeholders — in any order. Each record
is saved the moment you add it. A decision can say whom a strategy serves (grades,
subgroups, at most how many students); the estimate of its cost and reach follows.
An action step is due on a date (YYYY-MM-DD) between this meeting and the next, where
it is followed up; the form starts at the next meeting's date.
Closing the meeting commits its decisions and lets time pass to the next meeting.

## The debrief

After each meeting (**F5**, or **Debrief** on the "what changed" screen) each lead first
answers the poll — what went well, what could be improved — before any rating is shown,
so the scores don't colour the answers; at a shared terminal the State Lead answers, then
the District Lead. Then: the rubric's eleven sub-elements, **A1**–**D3**, each rated
Inadequate ■□□□, Emerging ■■□□, Strong ■■■□ or Exemplary ■■■■ (move through them with
the arrow keys: the evidence and the missed opportunities show beside them), the routine
(follow-up, focus on performance, action on performance), and the students' outcomes
apart from practice, with the band that luck alone could explain. Only the **final**
debrief reveals what was really going on — where the data showed it and whether you
looked — and asks each lead for two or three next steps for their own State. **F7**
saves the report. **F9** then opens the self-assessment: each lead rates their own
State's routines on the same eleven sub-elements, a level and a sentence each, and
pmsim drafts the take-home exercise (data, routine, consequences) from the gaps on a
one-page handout.

## Progress

On the home screen, **p** shows every attempt (a session with a closed meeting) by the
name(s) typed in "Your name(s)" — or everyone's, by participant — oldest first: the level
of each sub-element in each attempt, and the trend from the first to the latest. Move to
an attempt with **←**/**→**; **enter** resumes its session.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it and pygments: only when asked

        with VerticalScroll(id="help"):
            yield Markdown(HELP)
            yield Button("Close", id="close-help")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()


class PassingScreen(ModalScreen[None]):
    """Shown while the quarters until the next meeting are simulated."""

    HOLDS_ROOM: ClassVar[bool] = True
    """The room's screens under it stay until it is gone (``PmsimApp._holding``)."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = max(total, 1)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Time passes…", id="passing-title")
            yield Label("", id="passing-quarter")
            yield ProgressBar(total=self.total, show_eta=False, id="passing-bar")

    def step(self, label: str) -> None:
        self.query_one("#passing-quarter", Label).update(f"Simulating {plain(label)}")
        self.query_one("#passing-bar", ProgressBar).advance(1)
