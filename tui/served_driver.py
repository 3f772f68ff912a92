"""The Textual driver of a tab served to a browser (``pmsim serve`` runs every tab with
it, as ``TEXTUAL_DRIVER``; a terminal never loads this module).

textual's web driver reads its input in a thread with a tenth-of-a-second timeout,
waking ten times a second a tab (about 3 ms of CPU a second on this project's build
machine, where a wake-up costs 0.2-0.5 ms), and every key wakes that thread, then the
event loop. :class:`ServedDriver` reads its input in the event loop, waking only when
input comes (``benchmarks/bench_serve.py`` measures what a tab costs).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from codecs import getincrementaldecoder
from pathlib import Path
from traceback import format_exc
from typing import Any

from textual import events, log
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.drivers._byte_stream import ByteStream
from textual.drivers.web_driver import WebDriver, _ExitInput

DRIVER = "tui.served_driver:ServedDriver"
"""``TEXTUAL_DRIVER`` for a served tab (``pmsim serve`` sets it)."""


class ServedDriver(WebDriver):
    """textual's web driver, reading its input in the app's own event loop.

    The stock driver reads stdin in a thread of its own with a tenth-of-a-second timeout
    (so that its key parser can time out a lone Escape, ``ESCDELAY``): ten wake-ups a
    second when nothing comes, and for every key a wake-up of that thread and then of
    the event loop. This one has the event loop read stdin when there is input (one
    wake-up a key, none between keys) and time the parser out only while it waits.

    It also starts reading only once the stock driver's first blur has been posted: the
    page says it has the keyboard as soon as its socket opens, and read before that
    blur, the focus was undone by it; a screen composed blurred then focused nothing
    (the arrows did nothing until Tab).
    """

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._parser = XTermParser(debug=self._debug)
        self._decode = getincrementaldecoder("utf-8")().decode
        self._byte_stream = ByteStream()
        self._stdin = (sys.__stdin__ or sys.stdin).fileno()
        self._reading = False
        self._timeout: asyncio.TimerHandle | None = None
        self._key_thread = _NoThread()  # type: ignore[assignment]  # stdin is read below

    def start_application_mode(self) -> None:
        super().start_application_mode()
        self._app.call_later(self._start_reading)  # after the stock driver's own blur

    def _start_reading(self) -> None:
        if not self.exit_event.is_set():
            asyncio.get_running_loop().add_reader(self._stdin, self._read)
            self._reading = True

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._stdin)
        if self._timeout is not None:
            self._timeout.cancel()
            self._timeout = None

    def stop_application_mode(self) -> None:
        self._stop_reading()
        super().stop_application_mode()

    def send_message(self, message: Any) -> None:
        self._app.post_message(message)  # from the app's own loop: no thread to cross

    # A file sent to the browser (the console's export) ends in a message to the app; the
    # stock driver sends it from its input thread with call_from_thread, which refuses
    # the app's own thread (the delivery then failed and the input stopped).

    def _delivery_complete(self, delivery_key: str, save_path: Path | None,
                           name: str | None) -> None:
        self._app.post_message(events.DeliveryComplete(key=delivery_key, path=save_path,
                                                       name=name))

    def _delivery_failed(self, delivery_key: str, exception: BaseException,
                         name: str | None) -> None:
        self._app.post_message(events.DeliveryFailed(key=delivery_key, exception=exception,
                                                     name=name))

    def _read(self) -> None:
        """Input is waiting: the stock thread's loop body, run once."""
        try:
            data = os.read(self._stdin, 65536)
            if not data:
                self._stop_reading()
                return
            for packet_type, payload in self._byte_stream.feed(data):
                if packet_type == "D":
                    for event in self._parser.feed(self._decode(payload)):
                        self.process_message(event)
                else:
                    self._on_meta(packet_type, payload)
            self._tick()
        except _ExitInput:
            self._stop_reading()
        except Exception:  # as the stock thread: logged, and the input ends
            log(format_exc())
            self._stop_reading()

    def _tick(self) -> None:
        """Let the parser time out a key it waits out (a lone Escape), when it is due."""
        self._timeout = None
        for event in self._parser.tick():
            self.process_message(event)
        due = self._parser._timeout_time  # set while a key waits out ESCDELAY
        if due is not None and self._reading:
            self._timeout = asyncio.get_running_loop().call_later(
                max(0.0, due - get_time()), self._tick)


class _NoThread:
    """Stands for the stock driver's input thread, which this driver does not start."""

    def start(self) -> None:
        pass

