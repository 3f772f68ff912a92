"""The home screen: pick a scenario and a seed, or resume a saved session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .header import RoomHeader


@dataclass(frozen=True)
class ScenarioEntry:
    ref: str
    title: str
    summary: str


class HomeScreen(Screen):
    """Scenarios (Hudson first) with their summary; a new session, or a saved one."""

    BINDINGS: ClassVar = [
        Binding("n", "new_session", "New session", id="home.new"),
        Binding("r", "resume", "Resume", id="home.resume"),
        Binding("q", "app.quit", "Quit", id="home.quit"),
    ]

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Vertical(id="home"):
            yield Static("Choose a scenario", classes="section-title")
            yield OptionList(id="scenarios")
            with Horizontal(id="new-row"):
                yield Label("Seed", id="seed-label")
                yield Input("1", type="integer", id="seed", compact=True,
                            tooltip="Same scenario and seed: the same students and results")
                yield Button("New session", variant="primary", id="new", compact=True)
            yield Static("Resume a saved session", classes="section-title")
            yield OptionList(id="sessions")
            with Horizontal(classes="buttons"):
                yield Button("Resume", id="resume", disabled=True)
                yield Button("Quit", id="quit")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#scenarios", OptionList).add_option(
            Option("Loading scenarios…", disabled=True))
        # Validating scenarios imports pydantic and YAML: start only once the first
        # frame is on screen, so the import never delays it.
        self.call_after_refresh(self.load_lists)

    @work(thread=True, exclusive=True, group="home")
    def load_lists(self) -> None:
        """Scenario files are validated (pydantic) here, off the UI thread."""
        from simulator.loading import ScenarioError, builtin_paths, parse_scenario
        from simulator.store import Store, StoreError

        entries = []
        for path in builtin_paths():
            try:
                sc = parse_scenario(path.read_bytes(), str(path))
            except (ScenarioError, OSError):
                continue
            entries.append(ScenarioEntry(sc.id, sc.title, sc.summary))
        try:
            with Store.open(self.app.home) as store:  # type: ignore[attr-defined]
                sessions = store.list_sessions()
        except StoreError as err:
            sessions = []
            self.app.call_from_thread(self.notify, str(err), severity="error")
        self.app.call_from_thread(self._show, entries, sessions)

    def _show(self, entries: list[ScenarioEntry], sessions: list) -> None:
        scenarios = self.query_one("#scenarios", OptionList)
        scenarios.clear_options()
        for e in entries:
            scenarios.add_option(Option(f"[b]{e.title}[/b]\n  {e.summary}", id=e.ref))
        if entries:
            scenarios.highlighted = 0
        listed = self.query_one("#sessions", OptionList)
        listed.clear_options()
        for s in sessions:
            when = s.created[:16].replace("T", " ")
            listed.add_option(Option(f"{s.id}  {s.title}  · {s.stage} · {when}", id=s.id))
        if not sessions:
            listed.add_option(Option("No saved sessions yet", disabled=True))
        else:
            listed.highlighted = 0
        self.query_one("#resume", Button).disabled = not sessions
        scenarios.focus()

    def _seed(self) -> int | None:
        text = self.query_one("#seed", Input).value.strip() or "1"
        try:
            return int(text)
        except ValueError:
            self.notify("The seed must be a whole number", severity="error")
            return None

    def action_new_session(self) -> None:
        scenarios = self.query_one("#scenarios", OptionList)
        if scenarios.highlighted is None:
            return
        option = scenarios.get_option_at_index(scenarios.highlighted)
        seed = self._seed()
        if option.id is None or seed is None:
            return
        self.app.open_session(scenario=option.id, seed=seed)  # type: ignore[attr-defined]

    def action_resume(self) -> None:
        sessions = self.query_one("#sessions", OptionList)
        if sessions.highlighted is None:
            return
        option = sessions.get_option_at_index(sessions.highlighted)
        if option.id:
            self.app.open_session(session=option.id)  # type: ignore[attr-defined]

    @on(OptionList.OptionSelected, "#scenarios")
    def _scenario_chosen(self) -> None:
        self.query_one("#seed", Input).focus()

    @on(OptionList.OptionSelected, "#sessions")
    def _session_chosen(self) -> None:
        self.action_resume()

    @on(Input.Submitted, "#seed")
    def _seed_submitted(self) -> None:
        self.action_new_session()

    @on(Button.Pressed, "#new")
    def _new_pressed(self) -> None:
        self.action_new_session()

    @on(Button.Pressed, "#resume")
    def _resume_pressed(self) -> None:
        self.action_resume()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self) -> None:
        self.app.exit(0)

