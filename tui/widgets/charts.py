"""A line chart of a dashboard view over the quarters of the year (textual-plotext)."""

from __future__ import annotations

import math

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from simulator.engine.dashboard import Table

SERIES_COLORS = ("foreground", "primary", "warning", "success", "error", "accent", "secondary")
"""Theme variables the lines are drawn in, in order: "All students" in the text colour."""


class TrendChart(PlotextPlot):
    """One line per row of a dashboard table, across every quarter of the calendar.

    Attributes down: the screen gives it the table shown and the calendar's
    quarters; the x axis always spans the whole year, so the chart also shows
    how much of the year is still to come.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table: Table | None = None
        self.calendar: list[str] = []
        self._ticks: list[float] = []

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.draw())

    def show(self, table: Table, calendar: list[str]) -> None:
        self.table = table
        self.calendar = calendar
        self.draw()

    def series(self) -> list[tuple[str, list[int], list[float]]]:
        """(label, quarter numbers, values) per row that has a value; NaN quarters left out."""
        out = []
        if self.table is None:
            return out
        for row in self.table.rows:
            points = [(q, v) for q, v in enumerate(row.values, start=1) if not math.isnan(v)]
            if points:
                out.append((row.label, [q for q, _ in points], [v for _, v in points]))
        return out

    def draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        table, calendar = self.table, self.calendar
        series = self.series()
        if table is None or not series or not calendar:
            self.refresh()
            return
        colors = self.colors()
        for i, (_, xs, ys) in enumerate(series):
            color = colors[i % len(colors)]
            plt.plot(xs, ys, color=color, marker="hd")
        values = [v for _, _, ys in series for v in ys]
        self._ticks = nice_ticks(min(values), max(values), percent=table.unit == "%")
        plt.xlim(0.75, len(calendar) + 0.25)
        plt.xticks(list(range(1, len(calendar) + 1)), calendar)
        self.refresh()

    def render(self) -> RenderResult:
        self._fit_y_axis(self.size.height)
        return super().render()

    def _fit_y_axis(self, height: int) -> None:
        """Round y ticks on evenly spaced rows: plotext puts the y range on ``height - 4``
        rows, so the range is stretched to a whole number of rows per tick step."""
        ticks = self._ticks
        if len(ticks) < 2 or self.table is None:
            return
        rows = max(height - 4, 1)
        step = ticks[1] - ticks[0]
        intervals = len(ticks) - 1
        while rows // intervals < 2 and intervals > 1:
            step, intervals = step * 2, math.ceil(intervals / 2)
        per_step = max(rows // intervals, 1)
        fit = rows / per_step
        lo = ticks[0]
        shown = [lo + k * step for k in range(math.floor(fit + 1e-9) + 1)]
        self.plt.ylim(lo, lo + fit * step)
        self.plt.yticks(shown, [f"{t:g}{self.table.unit}" for t in shown])

    def colors(self) -> list[tuple[int, int, int]]:
        return [self._rgb(name) for name in SERIES_COLORS]

    def legend(self) -> str:
        """Content markup naming each line in its colour (plotext's own legend hides lines)."""
        colors = self.colors()
        return "  ".join(
            f"[rgb({r},{g},{b})]━[/] {label}"
            for (label, _, _), (r, g, b) in zip(
                self.series(), (colors[i % len(colors)] for i in range(99)), strict=False)
        )

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        from textual.color import Color

        value = self.app.theme_variables.get(variable) or self.app.theme_variables["foreground"]
        return Color.parse(value).rgb


def nice_ticks(lo: float, hi: float, *, percent: bool, count: int = 4) -> list[float]:
    """About ``count`` round y ticks (steps of 1, 2, 5, 10, …) spanning [lo, hi]."""
    span = max(hi - lo, 4.0)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    end = math.ceil(hi / step) * step
    if end - start < 2 * step:
        start, end = start - step, end + step
    if percent:
        start, end = max(start, 0.0), min(end, 100.0)
    n = round((end - start) / step)
    return [start + k * step for k in range(n + 1)]
