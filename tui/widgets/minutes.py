"""The "Recorded" list of a meeting step: who said what, each record wrapped in full."""

from __future__ import annotations

from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.plain import cell

BY_WIDTH = 8
"""Wide enough for "District"; who spoke comes first so it is never scrolled away."""
RECORD = ColumnKey("record")


class MinutesTable(DataTable):
    """A two-column table (by, record) whose record column takes the width there is and
    whose rows grow to show a long record whole, rather than cut it at the edge. Cells
    are Rich Text, so a participant's "[b]" or a control character shows as typed."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", classes="minutes")
        self._rows: list[tuple[str, str, str]] = []
        self._drawn_width = 0

    def on_mount(self) -> None:
        self.add_column("By", key="by", width=BY_WIDTH)
        self.add_column("Record", key=RECORD.value, width=self._record_width())

    def show(self, rows: list[tuple[str, str, str]]) -> None:
        """Show ``(key, by, record)`` rows, keeping the cursor on the same row if it stays."""
        self._rows = list(rows)
        self._draw()

    def _record_width(self) -> int:
        # Each column is padded by cell_padding on both sides; keep room for a scrollbar.
        spare = self.size.width - (BY_WIDTH + 4 * self.cell_padding) - 2
        return max(spare, 20)

    def _draw(self) -> None:
        keep = self.cursor_row
        self._drawn_width = self.size.width
        self.clear()
        record = self.columns.get(RECORD)
        if record is not None:
            record.width = self._record_width()
            record.auto_width = False
        for key, by, text in self._rows:
            self.add_row(cell(by), cell(text), key=key, height=None)
        if self._rows:
            self.move_cursor(row=min(keep, len(self._rows) - 1))

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._drawn_width:
            self._draw()
