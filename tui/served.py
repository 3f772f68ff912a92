"""What the apps do differently when served to a browser (``pmsim serve``).

A workshop runs one app process per browser tab, eighty on a two-core laptop, so what
every tab does on its own, however small, adds up (``benchmarks/bench_serve.py``
measures it): a focused text field's cursor blinks, a frame twice a second a tab; served,
it stays still. The tabs' driver, which reads their input without waking while none
comes, is :mod:`tui.served_driver` (loaded only in a served tab).
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


def refocus(app: App[object]) -> None:
    """The app has the keyboard again: a screen composed while it had not (a partner's
    move switched to it) has nothing focused, and would ignore the arrows until Tab;
    it gets what it would have had, its ``AUTO_FOCUS``. Call after the app's focus."""
    screen = app.screen
    if screen.focused is not None:
        return
    selector = screen.AUTO_FOCUS if screen.AUTO_FOCUS is not None else app.AUTO_FOCUS
    for widget in screen.query(selector) if selector else ():
        if widget.focusable:
            screen.set_focus(widget)
            return


class ServedApp(App[int]):
    """An app that behaves as this module says when served (pmsim's meeting room and its
    facilitator console both are)."""

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        still_cursor(self, event)

    def on_app_focus(self) -> None:
        self.call_after_refresh(refocus, self)
