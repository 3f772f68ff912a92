"""A one-line text field whose keys repaint the field alone.

Textual's ``Input`` records the width of its text as its virtual size, a reactive that
asks for a layout of the whole screen whenever it changes: every key typed. Scrolling
the text sideways (a value longer than the field) does the same. On the meeting room,
about seventy widgets, that layout was most of what a key cost: 7.0 ms of CPU a key in
a tab served to a browser, measured with ``benchmarks/bench_serve.py``'s figures, where
eighty tabs share two cores. The field's size never depends on its text (every field
of pmsim is a fixed or fractional width, one row high), so neither needs a layout: the
virtual size is still kept (the cursor's scrolling reads it), and the field repaints.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class Field(Input):
    """``Input``, for a field whose width and height are never ``auto``."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def _refresh_scroll(self) -> None:
        # The text scrolls within the field's own region: nothing else moves.
        self.refresh()
