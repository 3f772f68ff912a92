"""What the apps do differently when served to a browser (``pmsim serve``).

A workshop runs one app process per browser tab, eighty on a two-core laptop, so what
every tab does on its own, however small, adds up (``benchmarks/bench_serve.py``
measures it):

- a focused text field's cursor blinks: a frame twice a second a tab;
- textual's web driver reads its input with a tenth-of-a-second timeout, waking ten
  times a second a tab (1.3 ms of CPU a second, measured on a tab's threads) to give
  the key parser its chance to time out a lone Escape.

Served, the cursor stays still, and :class:`ServedDriver` reads its input without
waking while nothing comes.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import sys
import threading
from codecs import getincrementaldecoder
from traceback import format_exc
from typing import Any

from textual import events, log
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.drivers._byte_stream import ByteStream
from textual.drivers.web_driver import WebDriver, _ExitInput
from textual.widgets import Input, TextArea

DRIVER = "tui.served:ServedDriver"
"""``TEXTUAL_DRIVER`` for a served tab (``pmsim serve`` sets it)."""

BLUR_WAIT_S = 5.0
"""The longest the input waits for the app's first blur (it comes within a frame)."""


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


class ServedDriver(WebDriver):
    """textual's web driver, reading its input without waking while none comes.

    The stock driver reads with a tenth-of-a-second timeout so that its key parser can
    time out a lone Escape (``ESCDELAY``, to tell it from the start of a longer key);
    this one waits for input with no timeout unless the parser is waiting out a key,
    and a pipe of its own wakes it to stop.
    """

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._wake_read, self._wake_write = os.pipe()
        self._blurred = threading.Event()

    def start_application_mode(self) -> None:
        """As the stock driver, which posts the app a blur once it has started (until the
        page says it has the keyboard); but the input is read only after that blur. The
        page says so as soon as its socket opens, and read first, that focus came before
        the blur: the app then stayed blurred, and a screen composed blurred focuses
        nothing (the arrows did nothing until Tab)."""
        super().start_application_mode()
        self._app.call_later(self._blurred.set)  # after the stock driver's own call_later

    def stop_application_mode(self) -> None:
        super().stop_application_mode()
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"\0")

    def run_input_thread(self) -> None:
        """The stock loop (``WebDriver.run_input_thread``), timing out only when due."""
        parser = XTermParser(debug=self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        byte_stream = ByteStream()
        stdin = sys.__stdin__.fileno()
        selector = selectors.DefaultSelector()
        selector.register(stdin, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        self._blurred.wait(BLUR_WAIT_S)
        try:
            while not self.exit_event.is_set():
                due = parser._timeout_time  # set while a key waits out ESCDELAY
                ready = selector.select(None if due is None else max(0.0, due - get_time()))
                for key, _ in ready:
                    if key.fd != stdin:
                        return
                    data = os.read(stdin, 1024)
                    if not data:
                        return
                    for packet_type, payload in byte_stream.feed(data):
                        if packet_type == "D":
                            for event in parser.feed(decode(payload)):
                                self.process_message(event)
                        else:
                            self._on_meta(packet_type, payload)
                for event in parser.tick():
                    self.process_message(event)
        except _ExitInput:
            pass
        except Exception:  # as the stock loop: logged, and the input ends
            log(format_exc())
        finally:
            selector.close()
