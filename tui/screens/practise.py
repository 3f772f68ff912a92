"""Solo practice from the home screen: which role to play, and with whom."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Select, Static

from tui.plain import plain

ROLE_CHOICES = [("I am the State Turnaround Lead", "state"),
                ("I am the District Turnaround Lead", "district")]


def builtin_personas() -> list[tuple[str, str, str, str]]:
    """(id, role, name, title) of every built-in persona that validates."""
    from simulator.formats.persona import PersonaError, builtin_paths, parse_persona

    out = []
    for path in builtin_paths():
        try:
            p = parse_persona(path.read_bytes(), str(path))
        except (PersonaError, OSError):
            continue
        out.append((p.id, p.role, p.name, p.title))
    return out


class PractiseScreen(ModalScreen[tuple[str, str] | None]):
    """Choose the role to practise and the persona who plays the other; dismissed with
    (role, persona id), or None."""

    BINDINGS: ClassVar = [Binding("escape", "dismiss(None)", "Cancel", id="practise.cancel")]

    def __init__(self, scenario_title: str) -> None:
        super().__init__()
        self.scenario_title = scenario_title
        self.personas = builtin_personas()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"[b]Practise alone[/b] · {plain(self.scenario_title)}\nYou play one "
                         "role; a scripted counterpart plays the other, answers, pushes back "
                         "and decides. Talk with it in the meeting room (F7), with hints "
                         "(F9) if you like.", id="question")
            yield Select(ROLE_CHOICES, value="state", allow_blank=False, id="practise-role")
            yield Select(self._options("state"), id="practise-persona", prompt="Persona…")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")
            yield Static("tab moves · enter presses the marked button · esc cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self._offer("state")
        self.query_one("#practise-role", Select).focus()

    def _options(self, role: str) -> list[tuple[str, str]]:
        """The personas of the other role, its default first."""
        from personas import DEFAULTS

        other = "district" if role == "state" else "state"
        mine = [(pid != DEFAULTS.get(other), f"{name} — {title}", pid)
                for pid, r, name, title in self.personas if r == other]
        return [(label, pid) for _, label, pid in sorted(mine)]

    def _offer(self, role: str) -> None:
        options = self._options(role)
        chooser = self.query_one("#practise-persona", Select)
        chooser.set_options(options)
        if options:
            chooser.value = options[0][1]

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "practise-role" and isinstance(event.value, str):
            self._offer(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "start":
            self.dismiss(None)
            return
        role = self.query_one("#practise-role", Select).value
        persona = self.query_one("#practise-persona", Select).value
        if not isinstance(role, str) or not isinstance(persona, str):
            self.notify("No persona plays the other role.", severity="error")
            return
        self.dismiss((role, persona))
