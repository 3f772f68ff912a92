"""What the apps do differently when served to a browser (``pmsim serve``).

A workshop runs one app process per browser tab, eighty on a two-core laptop, so what
every tab does on its own, however small, adds up: ``benchmarks/bench_serve.py``
measured a tab at 4.8 ms of CPU a second on its room's screen and 8.3 ms with a text
field focused, the difference being mostly the cursor's blink (a frame twice a second).
"""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.widgets import Input, TextArea


def still_cursor(app: App[object], event: events.DescendantFocus) -> None:
    """Served to a browser, a text field that takes the focus keeps a steady cursor
    instead of a blinking one; in a terminal nothing changes."""
    widget = event.widget
    if app.is_web and isinstance(widget, (Input, TextArea)) and widget.cursor_blink:
        widget.cursor_blink = False
