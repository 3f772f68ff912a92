"""The home screen: pick a scenario and a seed, or resume a saved session."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.messages import OpenSession
from tui.plain import plain
from tui.screens.session_screen import host
from tui.widgets.field import Field
from tui.widgets.header import RoomHeader

if TYPE_CHECKING:
    from simulator.formats.studio import ListedScenario

OWN_MARK = " (yours)"


def quick_entry(path: Path, own: bool = False) -> ListedScenario | None:
    """A scenario's title and summary from its YAML alone (safe loader, no validation):
    enough to list it while the full check runs."""
    from simulator.formats.studio import ListedScenario
    from simulator.formats.yamlsafe import YamlError, load_path

    try:
        data = load_path(path).data
    except (YamlError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    ident, title, summary = (data.get(k) for k in ("id", "title", "summary"))
    if not (isinstance(ident, str) and isinstance(title, str)):
        return None
    return ListedScenario(path.stem, title, path, summary=summary if isinstance(summary, str)
                          else "", own=own)


class HomeScreen(Screen):
    """Scenarios (Hudson first) with their summary; a new session, or a saved one."""

    BINDINGS: ClassVar = [
        Binding("n", "new_session", "New session", id="home.new"),
        Binding("r", "resume", "Resume", id="home.resume"),
        Binding("a", "practise_alone", "Practise alone", id="home.solo",
                tooltip="Play one role against a scripted counterpart (a persona), alone"),
        Binding("p", "progress", "Progress", id="home.progress",
                tooltip="Your attempts over time (the name(s) typed here, or everyone): "
                        "the level of each sub-element, oldest attempt first"),
        Binding("v", "preview", "Preview", id="home.preview",
                tooltip="The highlighted scenario's dashboards at each meeting, for the seed "
                        "typed here, with no decisions: what participants will see"),
        Binding("g", "app.primer", "Primer", id="home.primer",
                tooltip="The Performance Management Framework the debrief rates (also ctrl+g)"),
        Binding("q", "app.quit", "Quit", id="home.quit"),
    ]

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Vertical(id="home"):
            yield Static("Choose a scenario", classes="section-title")
            yield OptionList(id="scenarios")
            with Horizontal(id="new-row"):
                yield Label("Seed", id="seed-label")
                yield Field("1", type="integer", id="seed", compact=True,
                            tooltip="Same scenario and seed: the same students and results")
                yield Label("Your name(s)", id="participant-label")
                yield Field(placeholder="optional, e.g. Ana & Ben", id="participant",
                            compact=True, max_length=80,
                            tooltip="Saved with the session, so progress across attempts "
                                    "can be followed")
                yield Button("New session", variant="primary", id="new", compact=True)
                yield Button("Practise alone", id="solo", compact=True)
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
        """List the scenarios from their YAML first (fast), then validate them (pydantic)."""
        from scenarios import builtin_paths, own_paths
        from simulator.formats.studio import listed_scenarios
        from simulator.session.store import StoreError

        files = builtin_paths()
        folder = host(self.app).home.scenarios
        entries = [e for e in map(quick_entry, files) if e is not None]
        entries += [e for p in own_paths(folder) if (e := quick_entry(p, own=True)) is not None]
        try:
            with host(self.app).open_store() as store:
                sessions = store.list_sessions()
        except StoreError as err:
            sessions = []
            self.app.call_from_thread(self.notify, str(err), severity="error")
        self.app.call_from_thread(self._show, entries, sessions)
        checked = listed_scenarios(folder)  # pydantic: a bad one with its problem
        if checked != entries:
            self.app.call_from_thread(self._show_scenarios, checked)

    def _show(self, entries: list[ListedScenario], sessions: list) -> None:
        self._show_scenarios(entries)
        listed = self.query_one("#sessions", OptionList)
        listed.clear_options()
        for s in sessions:
            when = s.created[:16].replace("T", " ")
            listed.add_option(Option(f"{plain(s.id)}  {plain(s.title)}  · {s.stage} · {when}",
                                     id=s.id))
        if not sessions:
            listed.add_option(Option("No saved sessions yet", disabled=True))
        else:
            listed.highlighted = 0
        self.query_one("#resume", Button).disabled = not sessions
        if self.focused is None:  # never take focus from a field the player is typing in
            self.query_one("#scenarios", OptionList).focus()

    def _show_scenarios(self, entries: list[ListedScenario]) -> None:
        scenarios = self.query_one("#scenarios", OptionList)
        chosen = scenarios.highlighted
        scenarios.clear_options()
        self._titles = {e.ref: e.title for e in entries}
        for e in entries:
            title = f"[b]{plain(e.title)}[/b]" + (OWN_MARK if e.own else "")
            if e.problem:
                scenarios.add_option(Option(f"{title}\n  ⚠ {plain(e.problem)}",
                                            id=e.ref, disabled=True))
            else:
                scenarios.add_option(Option(f"{title}\n  {plain(e.summary)}", id=e.ref))
        playable = [i for i, e in enumerate(entries) if not e.problem]
        if playable:
            scenarios.highlighted = chosen if chosen in playable else playable[0]

    def _seed(self) -> int | None:
        from simulator.engine.streams import parse_seed  # numpy: not before the first frame

        text = self.query_one("#seed", Input).value.strip() or "1"
        try:
            return parse_seed(text)
        except ValueError as exc:
            message = str(exc)
            self.notify(message[0].upper() + message[1:], severity="error")
            return None

    def _chosen(self) -> tuple[str, int] | None:
        """The highlighted playable scenario and the seed typed, or None (a bad seed says
        why)."""
        scenarios = self.query_one("#scenarios", OptionList)
        if scenarios.highlighted is None:
            return None
        option = scenarios.get_option_at_index(scenarios.highlighted)
        seed = self._seed()
        if option.id is None or option.disabled or seed is None:
            return None
        return option.id, seed

    def action_new_session(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            return
        participant = " ".join(self.query_one("#participant", Input).value.split())
        self.app.post_message(OpenSession(scenario=chosen[0], seed=chosen[1],
                                          participant=participant))

    def action_practise_alone(self) -> None:
        from tui.screens.practise import PractiseScreen  # after the first frame

        chosen = self._chosen()
        if chosen is None:
            return
        title = getattr(self, "_titles", {}).get(chosen[0], chosen[0])
        participant = " ".join(self.query_one("#participant", Input).value.split())

        def start(picked: tuple[str, str] | None) -> None:
            if picked is not None:
                self.app.post_message(OpenSession(scenario=chosen[0], seed=chosen[1],
                                                  participant=participant, solo=picked[0],
                                                  persona=picked[1]))

        self.app.push_screen(PractiseScreen(title), start)

    def action_resume(self) -> None:
        sessions = self.query_one("#sessions", OptionList)
        if sessions.highlighted is None:
            return
        option = sessions.get_option_at_index(sessions.highlighted)
        if option.id:
            self.app.post_message(OpenSession(session=option.id))

    def action_progress(self) -> None:
        from tui.screens.progress import ProgressScreen  # after the first frame: keeps it light

        self.app.push_screen(ProgressScreen(self.query_one("#participant", Input).value))

    def action_preview(self) -> None:
        from tui.screens.preview import PreviewScreen  # after the first frame: keeps it light

        chosen = self._chosen()
        if chosen is not None:
            self.app.push_screen(PreviewScreen(*chosen))

    @on(OptionList.OptionSelected, "#scenarios")
    def _scenario_chosen(self) -> None:
        self.query_one("#seed", Input).focus()

    @on(OptionList.OptionSelected, "#sessions")
    def _session_chosen(self) -> None:
        self.action_resume()

    @on(Input.Submitted, "#seed, #participant")
    def _seed_submitted(self) -> None:
        self.action_new_session()

    @on(Button.Pressed, "#new")
    def _new_pressed(self) -> None:
        self.action_new_session()

    @on(Button.Pressed, "#solo")
    def _solo_pressed(self) -> None:
        self.action_practise_alone()

    @on(Button.Pressed, "#resume")
    def _resume_pressed(self) -> None:
        self.action_resume()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self) -> None:
        self.app.exit(0)

