"""Progress: a participant's attempts over time, for self-paced practice.

Opened from the home screen (**p**) for the name(s) typed there, or for everyone,
grouped by participant. Each attempt (a session with a closed meeting) is a column,
oldest first; each of the rubric's sub-elements A1–D3 a row, its level as a coloured
gauge (■■□□ reads without colour), with the trend from the first attempt to the latest.
The levels come from :func:`simulator.debrief.progress.progress`, scored in a worker thread:
this module imports only Textual, so the home screen stays light.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, LoadingIndicator, Static

from simulator.formats.rubric import LEVELS, SUB_ELEMENTS, level_rank
from tui.messages import OpenSession
from tui.screens.session_screen import host
from tui.widgets.header import RoomHeader
from tui.widgets.levels import LEVEL_STYLE, gauge

EMPTY = "No attempts yet: close a meeting of a session to see it here."
NO_NAME = "No name given"
NAME_WIDTH = 30
ATTEMPT = "s:"
"""Column keys of attempts: ``s:`` and the session id."""


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def groups(doc: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The attempts by participant, oldest first in each: one group when ``doc`` is a
    participant's; otherwise one per name (case aside), in order of first attempt. An
    attempt played by two named people is in both their groups."""
    attempts = doc["attempts"]
    if doc.get("participant"):
        return [(doc["participant"], attempts)] if attempts else []
    out: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for a in attempts:
        names = list(dict.fromkeys(n.strip() for n in a["participants"].values() if n.strip()))
        for name in names or [NO_NAME]:
            out.setdefault(name.casefold(), (name, []))[1].append(a)
    named = [g for k, g in out.items() if k != NO_NAME.casefold()]
    return named + ([out[NO_NAME.casefold()]] if NO_NAME.casefold() in out else [])


def trend(levels: list[str | None]) -> tuple[str | None, str | None, str]:
    """First level, latest level, and an arrow (↑ better, ↓ worse, = the same)."""
    known = [lv for lv in levels if lv in LEVELS]
    if not known:
        return None, None, ""
    first, latest = known[0], known[-1]
    if len(known) == 1:
        return None, latest, ""
    diff = level_rank(latest) - level_rank(first)
    return first, latest, "↑" if diff > 0 else "↓" if diff < 0 else "="


def attempt_words(a: dict[str, Any], n: int) -> str:
    """One attempt in a line: which session, how far it got, when."""
    when = a["created"][5:16].replace("T", " ")
    how_far = "whole year" if a.get("final") else f"through {a['meeting']}"
    mean = f" · mean {a['mean']:.2f}" if a["mean"] is not None else ""
    problem = f" · ⚠ {a['problem']}" if a["problem"] else ""
    return f"#{n} · session {a['session']} · {a['scenario']} · {how_far} · {when}{mean}{problem}"


class ProgressTable(DataTable):
    """One participant's attempts: a column each, a row per sub-element."""

    def __init__(self, name: str, attempts: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(cursor_type="column", header_height=2, fixed_columns=1,
                         zebra_stripes=True, show_row_labels=False, **kwargs)
        self.participant = name
        self.attempts = attempts

    def attempt_at(self, column: int) -> tuple[int, dict[str, Any]] | None:
        """The attempt (its number, from 1) in column ``column``, if it is one."""
        index = column - 1
        if 0 <= index < len(self.attempts):
            return index + 1, self.attempts[index]
        return None


class ProgressScreen(Screen):
    """The levels per element across a participant's attempts, oldest first."""

    BINDINGS: ClassVar = [
        Binding("escape", "back", "Home", id="progress.back"),
        Binding("q", "back", "Home", show=False),
        Binding("r", "resume", "Resume attempt", id="progress.resume",
                tooltip="Open the session of the attempt under the cursor"),
    ]

    def __init__(self, participant: str = "") -> None:
        super().__init__()
        self.participant = " ".join(participant.split())
        self.doc: dict[str, Any] | None = None
        self.element_names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Vertical(id="progress"):
            yield Static(id="progress-title")
            yield Static(id="progress-legend", classes="hidden")
            with Vertical(id="progress-wait"):
                yield Static("Scoring each attempt…")
                yield LoadingIndicator()
            yield Static(EMPTY, id="progress-empty", classes="hidden")
            yield VerticalScroll(id="progress-groups", classes="hidden")
        yield Static(id="attempt-detail", classes="hidden")
        yield Footer()

    def on_mount(self) -> None:
        who = self.participant
        self.query_one("#progress-title", Static).update(Content.from_markup(
            "[b]Progress of $who[/b] — each attempt, oldest first" if who else
            "[b]Progress[/b] — everyone's attempts, oldest first, by participant", who=who))
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._recolour())
        self.load()

    # ------------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="progress")
    def load(self) -> None:
        from simulator.debrief.progress import progress
        from simulator.session.store import StoreError

        try:
            with host(self.app).open_store() as store:
                doc = progress(store, self.participant or None).model_dump(mode="json")
        except (StoreError, OSError) as err:
            self.app.call_from_thread(self._failed, str(err))
            return
        self.app.call_from_thread(self._show, doc, dict(SUB_ELEMENTS))

    def _failed(self, message: str) -> None:
        self.query_one("#progress-wait").add_class("hidden")
        empty = self.query_one("#progress-empty", Static)
        empty.update(f"The attempts could not be read: {message}")
        empty.remove_class("hidden")
        self.notify(message, severity="error", timeout=8)

    def _show(self, doc: dict[str, Any], names: dict[str, str]) -> None:
        self.doc, self.element_names = doc, names
        self.refresh_bindings()
        self.query_one("#progress-wait").add_class("hidden")
        found = groups(doc)
        if not found:
            empty = self.query_one("#progress-empty", Static)
            empty.update(Content.assemble(EMPTY, Content.from_markup(
                "\n[dim]Attempts count for the name(s) typed on the home screen, as "
                "$quoted (case aside); leave the field empty to see everyone's.[/]",
                quoted=f"“{self.participant}”")) if self.participant else EMPTY)
            empty.remove_class("hidden")
            return
        legend = [Content.from_markup(f"[{LEVEL_STYLE[lv]}]$g $lv[/]   ", g=gauge(lv), lv=lv)
                  for lv in LEVELS]
        self.query_one("#progress-legend", Static).update(Content.assemble(
            *legend, Content.from_markup(
                "[dim]· not scored[/]\n[dim]←/→ choose an attempt · enter resumes it[/]")))
        self.query_one("#progress-legend").remove_class("hidden")
        box = self.query_one("#progress-groups", VerticalScroll)
        widgets: list[Any] = []
        for i, (name, attempts) in enumerate(found):
            means = [a["mean"] for a in attempts if a["mean"] is not None]
            span = f" · mean {means[0]:.2f} → {means[-1]:.2f}" if len(means) > 1 else ""
            count = f"{len(attempts)} attempt{'s' if len(attempts) != 1 else ''}"
            widgets.append(Static(Content.from_markup("[b]$name[/b] · $count$span", name=name,
                                                      count=count, span=span),
                                  classes="group-title"))
            widgets.append(ProgressTable(name, attempts, id=f"attempts-{i}"))
        box.can_focus = False  # tab goes from table to table; each scrolls into view
        box.mount_all(widgets)
        box.remove_class("hidden")
        self.query_one("#attempt-detail").remove_class("hidden")
        self.call_after_refresh(self._filled)

    def _filled(self) -> None:
        tables = list(self.query(ProgressTable))
        for table in tables:
            self._fill(table)
            table.move_cursor(column=len(table.attempts), animate=False)
        if tables:
            tables[0].focus()
            self._describe(tables[0])

    # ------------------------------------------------------------------ drawing

    def _style(self, level: str | None) -> Style:
        spec = LEVEL_STYLE.get(level or "", "")
        variables = self.app.theme_variables
        colour = next((variables.get(w[1:]) for w in spec.split() if w.startswith("$")), None)
        return Style(color=colour, bold="bold" in spec.split())

    def _fill(self, table: ProgressTable) -> None:
        """(Re)draw a table in the theme's colours."""
        doc = self.doc
        assert doc is not None
        column = table.cursor_column
        table.clear(columns=True)
        table.add_column(Text("Sub-element", style="bold"),
                         width=NAME_WIDTH + 3, key="element")
        for n, a in enumerate(table.attempts, 1):
            mark = "⚠" if a["problem"] else ""
            table.add_column(Text(f"#{n}{mark}\n{a['created'][5:10]}", style="bold"), width=5,
                             key=f"{ATTEMPT}{a['session']}")
        table.add_column(Text("Trend: first → latest\n", style="bold"), key="trend")
        for eid in doc["elements"]:
            levels = [a["levels"].get(eid) for a in table.attempts]
            cells = [Text(gauge(lv), style=self._style(lv)) if lv in LEVELS
                     else Text("  ·", style="dim") for lv in levels]
            first, latest, arrow = trend(levels)
            line = Text()
            if first:
                line.append(first, self._style(first)).append(" → ")
            if latest:
                line.append(latest, self._style(latest))
                line.append(f" {arrow}" if arrow else "  (one attempt)",
                            "bold" if arrow in ("↑", "↓") else "")
            label = Text.assemble((eid, "bold"), " ", _short(self.element_names.get(eid, ""),
                                                             NAME_WIDTH))
            table.add_row(label, *cells, line, key=eid)
        means = [a["mean"] for a in table.attempts]
        known = [m for m in means if m is not None]
        summary = f"{known[0]:.2f} → {known[-1]:.2f}" if len(known) > 1 else ""
        table.add_row(Text("Mean level (1–4)", style="bold"),
                      *[Text(f"{m:.2f}" if m is not None else "  ·") for m in means],
                      Text(summary), key="mean")
        if column:
            table.move_cursor(column=column, animate=False)

    def _recolour(self) -> None:
        if self.doc is None:
            return
        for table in self.query(ProgressTable):
            self._fill(table)

    def _describe(self, table: ProgressTable) -> None:
        found = table.attempt_at(table.cursor_column)
        detail = self.query_one("#attempt-detail", Static)
        if found is None:
            detail.update(Content.from_markup(
                "[b]$who[/b] · ←/→ choose an attempt to see it (enter resumes it)",
                who=table.participant))
            return
        n, a = found
        detail.update(Content.from_markup("[b]$who[/b] · $words", who=table.participant,
                                          words=attempt_words(a, n)))

    @on(DataTable.ColumnHighlighted)
    def _highlighted(self, event: DataTable.ColumnHighlighted) -> None:
        table = event.data_table
        if isinstance(table, ProgressTable) and table.has_focus:  # not another's first draw
            self._describe(table)

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, ProgressTable):
            self._describe(event.widget)

    # ------------------------------------------------------------------ actions

    @on(DataTable.ColumnSelected)
    def _selected(self, event: DataTable.ColumnSelected) -> None:
        event.stop()
        self.action_resume()

    def current_attempt(self) -> dict[str, Any] | None:
        table = self.focused if isinstance(self.focused, ProgressTable) else None
        if table is None:
            return None
        found = table.attempt_at(table.cursor_column)
        return found[1] if found else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":  # hidden until there are attempts to resume
            return bool(self.doc and self.doc["attempts"])
        return True

    def action_resume(self) -> None:
        a = self.current_attempt()
        if a is None:
            self.notify("Choose an attempt first (←/→ in the table).", timeout=3)
            return
        self.app.pop_screen()
        self.app.post_message(OpenSession(session=a["session"]))

    def action_back(self) -> None:
        self.app.pop_screen()
