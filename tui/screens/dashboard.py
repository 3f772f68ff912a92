"""The dashboard: benchmark, attendance and implementation data by view, and a roster."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, DataTable, Footer, Select, Static

from simulator.engine import dashboard as figures
from simulator.formats.refs import COURSES, CROSS, SERVED, View
from tui.plain import cell, plain
from tui.screens import unsaved
from tui.screens.session_screen import SessionScreen
from tui.widgets.charts import TrendChart
from tui.widgets.header import RoomHeader

NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def roster_order(value: object) -> tuple[int, float, str]:
    """How a roster cell sorts: numbers (scores, grades, days) by value, before text."""
    shown = value.plain if isinstance(value, Text) else str(value)
    if NUMBER.fullmatch(shown):  # not float(): a student may be called "Nan"
        return (0, float(shown), "")
    return (1, 0.0, shown.casefold())


class DashboardScreen(SessionScreen):
    SCREEN_NAME = "dashboard"
    BINDINGS: ClassVar = [
        Binding("1", "subject(0)", "First subject", show=False, id="dashboard.reading"),
        Binding("2", "subject(1)", "Second subject", show=False, id="dashboard.math"),
        Binding("3", "subject(-2)", "Attendance", show=False, id="dashboard.attendance"),
        Binding("5", "courses", "Course grades", show=False, id="dashboard.courses"),
        Binding("4", "subject(-1)", "Implementation", show=False,
                id="dashboard.implementation"),
        Binding("g", "next_breakdown", "Breakdown", id="dashboard.breakdown"),
        Binding("t", "toggle_measure", "% / mean", id="dashboard.measure"),
        Binding("u", "next_group", "Strands of…", id="dashboard.group"),
        Binding("s", "toggle_roster", "Students", id="dashboard.roster"),
        Binding("c", "toggle_chart", "Chart", id="dashboard.chart"),
        Binding("v", "next_served", "Served/not", id="dashboard.served"),
        Binding("x", "next_cross", "Group×grade", id="dashboard.cross"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.subject = ""
        self.school = ""
        self.breakdown = "all"
        self.group = "all"
        """Whom a strand view covers: "all", a subgroup id or "grade-N"."""
        self.cross = ""
        """Whom a cross view breaks down: a subgroup id (by grade) or "grade-N" (by subgroup)."""
        self.strategy = ""
        """The strategy in play whose served students a served view compares."""
        self._offered: list[tuple[str, str]] = []
        self.measure = "pct"
        self.logged: str | None = None
        self.showing_roster = False
        self.showing_chart = True
        self._syncing = False

    def compose(self) -> ComposeResult:
        sc = self.room.scenario
        self.subject = sc.subjects[0].id
        self.school = sc.priority_schools[0].id
        self.cross = figures.cross_options(sc)[0][1]
        yield RoomHeader()
        with Horizontal(id="view-bar"):
            yield Select(figures.subject_options(sc), id="subject", allow_blank=False,
                         compact=True, value=self.subject)
            yield Select(figures.school_options(sc), id="school", allow_blank=False,
                         compact=True, value=self.school)
            yield Select(figures.breakdown_options(self.subject), id="breakdown",
                         allow_blank=False, compact=True, value=self.breakdown)
            yield Select(figures.group_options(sc), id="group", allow_blank=False,
                         compact=True, value=self.group,
                         tooltip="Whose strand scores: everyone, a subgroup or a grade")
            yield Select(figures.cross_options(sc), id="cross", allow_blank=False,
                         compact=True, value=self.cross,
                         tooltip="A subgroup by grade, or a grade by subgroup")
            yield Select([], id="strategy", compact=True, prompt="No strategy in play",
                         tooltip="The strategy whose served students are compared")
        yield Static(id="view-title")
        with ContentSwitcher(initial="figures-pane", id="tables"):
            with Vertical(id="figures-pane"):
                yield DataTable(id="figures", cursor_type="row", zebra_stripes=True)
                yield TrendChart(id="trend")
                yield Static(id="trend-legend")
            yield DataTable(id="roster", cursor_type="row", zebra_stripes=True)
        yield Static(id="legend")
        yield Footer()

    @property
    def view(self) -> str:
        about = {CROSS: self.cross, SERVED: self.strategy}.get(self.breakdown)
        return str(View(self.subject, self.school, self.breakdown, about))

    def _strategies(self) -> list[tuple[str, str]]:
        sim = self.room.sim
        return figures.served_options(sim) if sim is not None else []

    def _sync_selects(self) -> None:
        self._syncing = True
        self.query_one("#subject", Select).value = self.subject
        self.query_one("#school", Select).value = self.school
        breakdowns = figures.breakdown_options(self.subject)
        if self.breakdown not in [b for _, b in breakdowns]:
            self.breakdown = breakdowns[0][1]
        sel = self.query_one("#breakdown", Select)
        sel.set_options(breakdowns)
        sel.value = self.breakdown
        self.query_one("#group", Select).value = self.group
        self.query_one("#cross", Select).value = self.cross
        self._offer_strategies()
        self.call_after_refresh(self._end_sync)

    def _offer_strategies(self) -> None:
        """The strategies in play in the served view's chooser (they change at meetings),
        keeping the one chosen while it is still in play."""
        strategies = self._strategies()
        if self.strategy not in [sid for _, sid in strategies]:
            self.strategy = strategies[0][1] if strategies else ""
        chooser = self.query_one("#strategy", Select)
        if strategies != self._offered:
            self._offered = strategies
            chooser.set_options(strategies)
        if self.strategy and chooser.value != self.strategy:
            chooser.value = self.strategy

    def _end_sync(self) -> None:
        self._syncing = False

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if self._syncing or event.value is Select.NULL or event.value != event.select.value:
            return  # set by the screen itself, or stale: the select has moved on since
        setattr(self, event.select.id or "", event.value)
        if event.select.id == "subject":
            self._sync_selects()
        self.refresh_room()

    # ------------------------------------------------------------------ drawing

    def refresh_room(self) -> None:
        sim = self.room.sim
        title = self.query_one("#view-title", Static)
        if sim is None or not sim.history:
            title.update("Simulating the first quarters…")
            return
        if self.showing_roster:
            self.load_roster(self.school)
            return
        strands = self.breakdown == "strand"
        self.query_one("#group", Select).display = strands
        self.query_one("#cross", Select).display = self.breakdown == CROSS
        self.query_one("#strategy", Select).display = self.breakdown == SERVED
        if self.breakdown == SERVED:
            self._offer_strategies()
        if self.breakdown == SERVED and not self.strategy:
            title.update("[b]Served vs not served[/b]\nNo strategy is in play yet: this view "
                         "compares a strategy's students with those it does not serve once the "
                         "district adopts one at a meeting.")
            self.query_one("#figures", DataTable).clear(columns=True)
            self.query_one("#trend", TrendChart).display = False
            self.query_one("#trend-legend", Static).display = False
            return
        table = figures.build_table(sim, self.view, self.measure,
                                    self.group if strands else "all")
        title.update(f"[b]{plain(table.title)}[/b]\n{plain(table.caption)}")
        grid = self.query_one("#figures", DataTable)
        grid.clear(columns=True)
        # A served view's growth columns say how it changed: its table keeps only the
        # latest quarter (the chart draws them all), so that it fits beside them.
        compact = self.breakdown == SERVED
        shown = [len(table.quarters) - 1] if compact and table.quarters else list(
            range(len(table.quarters)))
        trend = [] if compact else ["Change", "Trend"]
        columns = [table.label_heading, "n", *(table.quarters[q] for q in shown), *trend,
                   *table.extra_columns]
        unit = table.unit
        rows = []
        for row in table.rows:
            values = [v for v in row.values if v == v]
            change = (f"{values[-1] - values[-2]:+.1f}" if len(values) > 1 else "—")
            rows.append([
                f"⚠ {row.label}" if row.small else row.label,
                str(row.n) if row.counted else "—",
                *(figures.fmt(row.values[q], row.errors[q], unit) for q in shown),
                *([change, figures.sparkline(row.values)] if trend else []), *row.extra,
            ])
        for i, c in enumerate(columns):
            width = max([len(c), *(len(r[i]) for r in rows)])
            grid.add_column(c, key=c, width=width)
        numbers = len(shown) + len(trend) + 2
        for r, row in zip(rows, table.rows, strict=True):
            label = Text(r[0], style="italic" if row.small else "")
            right = [Text(v, justify="right") for v in r[1:numbers]]
            grid.add_row(label, *right, *map(cell, r[numbers:]))
        if not table.rows and table.empty:
            title.update(f"[b]{plain(table.title)}[/b]\n{plain(table.empty)}")
        chart = self.query_one("#trend", TrendChart)
        chart.display = self.showing_chart and bool(table.rows)
        self.query_one("#figures-pane").set_class(not chart.display, "table-only")
        chart.show(table, [q.label for q in self.room.scenario.calendar.quarters])
        legend = self.query_one("#trend-legend", Static)
        legend.display = chart.display
        legend.update(chart.legend())
        self.query_one("#legend", Static).update(
            f"± standard error: overlapping ranges may not differ · ⚠ fewer than "
            f"{figures.SMALL_N} students: read with care"
        )
        self._log_view()

    def _log_view(self) -> None:
        view = self.view
        filters = {"measure": self.measure}
        if self.breakdown == "strand":
            filters = {"group": self.group}
        elif self.breakdown == SERVED:
            filters = {}  # always mean scores and growth
        key = f"{view} {filters}"
        if key == self.logged:
            return
        sim = self.room.sim
        quarter = sim.history[-1].quarter.label if sim and sim.history else None
        self.logged = key  # even if not saved: the dialog's Retry records it, a redraw doesn't
        room = self.room
        unsaved.save(self.app, f"that you looked at {view} (the debrief counts it)",
                     lambda: room.open_view(view, quarter, filters))

    @work(thread=True, exclusive=True, group="roster")
    def load_roster(self, school: str) -> None:
        """Build the roster's rows off the UI thread; DataTable takes thousands at once."""
        sim = self.room.sim
        if sim is None:
            return
        columns, rows = figures.roster(sim, school)
        # Text cells: a student's or school's name from the scenario shows as written.
        cells = [tuple(map(cell, row)) for row in rows]
        self.app.call_from_thread(self._show_roster, school, columns, cells)

    def _show_roster(self, school: str, columns: list[str], rows: list[tuple]) -> None:
        grid = self.query_one("#roster", DataTable)
        grid.clear(columns=True)
        for i, c in enumerate(columns):
            grid.add_column(cell(c), key=f"c{i}")
        grid.add_rows(rows)
        name = self.room.scenario.district.name if school == figures.DISTRICT else (
            self.room.scenario.school(school).name)
        self.query_one("#view-title", Static).update(
            f"[b]Students – {name}[/b]\n{len(rows)} students · latest benchmark · "
            "click a column heading to sort")
        self.query_one("#legend", Static).update("s back to the figures")
        subjects = [s.id for s in self.room.scenario.subjects]
        view = f"{self.subject if self.subject in subjects else subjects[0]}/{school}/all"
        room = self.room
        unsaved.save(self.app, f"that you looked at the students of {name} (the debrief "
                     "counts it)", lambda: room.open_view(view, None, {"list": "students"}))

    @on(DataTable.HeaderSelected, "#roster")
    def _sort_roster(self, event: DataTable.HeaderSelected) -> None:
        event.data_table.sort(event.column_key, key=roster_order)

    # ------------------------------------------------------------------ actions

    def action_subject(self, index: int) -> None:
        options = figures.subject_options(self.room.scenario)
        self.subject = options[index][1]
        self._sync_selects()
        self.refresh_room()

    def action_next_breakdown(self) -> None:
        options = [b for _, b in figures.breakdown_options(self.subject)]
        self.breakdown = options[(options.index(self.breakdown) + 1) % len(options)]
        self._sync_selects()
        self.refresh_room()

    def action_next_group(self) -> None:
        """Strands of the next group (everyone, each subgroup, each grade)."""
        options = [g for _, g in figures.group_options(self.room.scenario)]
        self.group = options[(options.index(self.group) + 1) % len(options)]
        if self.subject not in [s.id for s in self.room.scenario.subjects]:
            self.subject = self.room.scenario.subjects[0].id
        self.breakdown = "strand"
        self._sync_selects()
        self.refresh_room()

    def action_next_cross(self) -> None:
        """The next subgroup by grade (then each grade by subgroup)."""
        options = [c for _, c in figures.cross_options(self.room.scenario)]
        if self.breakdown == CROSS:
            self.cross = options[(options.index(self.cross) + 1) % len(options)]
        self._scores_view(CROSS)

    def action_next_served(self) -> None:
        """Served against not served, for the next strategy in play."""
        options = [sid for _, sid in self._strategies()]
        if not options:
            self.notify("No strategy is in play yet: served against not served appears once "
                        "the district adopts one at a meeting.", title="Served vs not served")
            return
        if self.breakdown == SERVED and self.strategy in options:
            self.strategy = options[(options.index(self.strategy) + 1) % len(options)]
        elif self.strategy not in options:
            self.strategy = options[0]
        sc = self.room.scenario
        strategy = sc.strategy(self.strategy)
        aims = [j for j in strategy.subjects if j in [s.id for s in sc.subjects]]
        if aims and self.subject not in aims:
            self.subject = aims[0]  # the subject the strategy means to move
        elif not aims and strategy.course_effect and sc.courses is not None:
            self.subject = COURSES  # a strategy on course grades: see them
        self._scores_view(SERVED)

    def _scores_view(self, breakdown: str) -> None:
        """Switch to ``breakdown`` of a subject with scores (the first, from attendance or
        implementation)."""
        sc = self.room.scenario
        graded = breakdown == SERVED and self.subject == COURSES
        if self.subject not in [s.id for s in sc.subjects] and not graded:
            self.subject = sc.subjects[0].id
        self.breakdown = breakdown
        self._sync_selects()
        self.refresh_room()

    def action_courses(self) -> None:
        """Course grades (a scenario with a ``courses`` section)."""
        if self.room.scenario.courses is None:
            self.notify("This scenario has no course grades: its measures are the benchmark, "
                        "attendance and implementation.", title="Course grades")
            return
        self.subject = COURSES
        self._sync_selects()
        self.refresh_room()

    def action_toggle_measure(self) -> None:
        self.measure = "mean" if self.measure == "pct" else "pct"
        self.logged = None
        self.refresh_room()

    def action_toggle_roster(self) -> None:
        self.showing_roster = not self.showing_roster
        self.query_one("#tables", ContentSwitcher).current = (
            "roster" if self.showing_roster else "figures-pane")
        self.refresh_room()
        self.query_one("#roster" if self.showing_roster else "#figures", DataTable).focus()

    def action_toggle_chart(self) -> None:
        self.showing_chart = not self.showing_chart
        if self.showing_roster:
            self.action_toggle_roster()
        else:
            self.refresh_room()
