"""Preview: a scenario's dashboards at each meeting, before anyone plays it.

Opened from the home screen (**v**) on the highlighted scenario and the seed typed there.
It shows exactly what ``pmsim scenario preview SCENARIO --seed N --format text`` prints
(:mod:`simulator.render.preview`: every dashboard view at every meeting, simulated with
no decisions), in a read-only, scrollable text area; it is built in a worker thread, so
the home screen stays light.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static, TextArea

from tui.widgets.header import RoomHeader


class PreviewScreen(Screen):
    """Every dashboard view at every meeting of one scenario and seed, unplayed."""

    BINDINGS: ClassVar = [
        Binding("escape", "back", "Home", id="preview.back"),
        Binding("q", "back", "Home", show=False),
    ]

    def __init__(self, scenario: str, seed: int) -> None:
        super().__init__()
        self.scenario = scenario
        self.seed = seed
        self.text: str | None = None
        """The preview once built (``pmsim scenario preview``'s text), else None."""

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Vertical(id="preview"):
            yield Static(id="preview-title")
            with Vertical(id="preview-wait"):
                yield Static("Simulating the year and building every dashboard view…")
                yield LoadingIndicator()
            yield TextArea(id="preview-text", read_only=True, soft_wrap=True,
                           classes="hidden")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#preview-title", Static).update(Content.from_markup(
            "[b]Preview of $scenario[/b], seed $seed — the dashboards at each meeting, with "
            "no decisions · Esc back", scenario=self.scenario, seed=str(self.seed)))
        self.load()

    @work(thread=True, exclusive=True, group="preview")
    def load(self) -> None:
        from simulator.engine.simulation import SimulationError
        from simulator.formats.loading import ScenarioError, ScenarioNotFound, load_scenario
        from simulator.render.preview import render

        try:
            sc = load_scenario(self.scenario).scenario
            text = render(sc, self.seed, "text")
        except ScenarioError as err:
            self.app.call_from_thread(self._show, "\n".join(err.lines()), False)
            return
        except (ScenarioNotFound, SimulationError, OSError) as err:
            self.app.call_from_thread(self._show, str(err), False)
            return
        self.app.call_from_thread(self._show, text, True)

    def _show(self, text: str, ok: bool) -> None:
        self.query_one("#preview-wait").add_class("hidden")
        area = self.query_one("#preview-text", TextArea)
        area.load_text(text)
        area.remove_class("hidden")
        area.focus()
        if ok:
            self.text = text
        else:
            self.notify(text.splitlines()[0] if text else "no preview", severity="error")

    def action_back(self) -> None:
        self.app.pop_screen()
