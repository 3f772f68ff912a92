"""A served tab's driver (``tui.served_driver.ServedDriver``, what ``pmsim serve`` runs every tab
with): it sleeps while no input comes, where textual's web driver wakes ten times a
second; a lone Escape still arrives; the app quits at once when asked; and the page's
focus, sent as soon as the socket opens, is not undone by the driver's own first blur.

Each test runs a real app process speaking textual-serve's packets on its stdin and
stdout, with the driver chosen as ``pmsim serve`` chooses it (``TEXTUAL_DRIVER``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pmsim.serve.server import TAB_DRIVER
from tui.served_driver import DRIVER

ROOT = Path(__file__).resolve().parent.parent
STOCK = "textual.drivers.web_driver:WebDriver"

APP = r'''
import sys
from textual.app import App
from textual.widgets import Button, Static

class Probe(App):
    """Shows how it stands: the keys it got, whether it has the focus, what is focused."""
    BINDINGS = [("escape", "escape", "")]
    def compose(self):
        yield Static("", id="said")
        yield Button("first", id="first")
        yield Button("second", id="second")
    def on_mount(self):
        self.keys = []
        self.set_interval(0.05, self.show)
    def on_key(self, event):
        self.keys.append(event.key)
    def action_escape(self):
        self.keys.append("ESCAPE-ACTION")
    def show(self):
        focused = self.focused.id if self.focused else None
        self.query_one("#said", Static).update(
            f"@@{' '.join(self.keys)}|{self.app_focus}|{focused}@@")

Probe().run()
'''


class Tab:
    """An app process as textual-serve runs one: packets in, packets out."""

    def __init__(self, driver: str, tmp_path: Path, quiet: bool = False) -> None:
        script = tmp_path / "probe.py"
        text = APP
        if quiet:  # no timer of its own: what wakes it is the driver's
            text = text.replace("        self.set_interval(0.05, self.show)\n", "")
        script.write_text(text, encoding="utf-8")
        env = dict(os.environ, TEXTUAL_DRIVER=driver, COLUMNS="80", ROWS="24",
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.out = bytearray()
        self.metas: list[dict[str, object]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        line = stream.readline()  # b"__GANGLION__\n"
        assert b"GANGLION" in line, line
        while True:
            head = stream.read(5)
            if len(head) < 5:
                return
            size = int.from_bytes(head[1:], "big")
            payload = stream.read(size)
            if head[:1] == b"M":
                self.metas.append(json.loads(payload))
            else:
                self.out += payload

    def send(self, kind: bytes, payload: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(kind + len(payload).to_bytes(4, "big") + payload)
        self.proc.stdin.flush()

    def keys(self, text: str) -> None:
        self.send(b"D", text.encode())

    def meta(self, **data: object) -> None:
        self.send(b"M", json.dumps(data).encode())

    def said(self) -> str | None:
        """The latest report the app drew (keys|app focus|focused widget)."""
        text = self.out.decode(errors="replace")
        end = text.rfind("@@")
        start = text.rfind("@@", 0, end)
        return text[start + 2:end] if 0 <= start < end else None

    def until(self, ok: object, timeout: float = 20.0) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            said = self.said()
            if said is not None and ok(said):  # type: ignore[operator]
                return said
            time.sleep(0.02)
        return self.said()

    def wakeups(self) -> int:
        """Times any of the process's threads has been put on a core so far."""
        task = Path(f"/proc/{self.proc.pid}/task")
        total = 0
        for tid in os.listdir(task):
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int((task / tid / "schedstat").read_text().split()[2])
        return total

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def test_the_server_runs_its_tabs_with_the_served_driver() -> None:
    assert TAB_DRIVER == DRIVER
    module, _, name = DRIVER.partition(":")
    driver = getattr(__import__(module, fromlist=[name]), name)
    from textual.drivers.web_driver import WebDriver

    assert issubclass(driver, WebDriver)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_an_idle_tab_sleeps_where_the_stock_driver_wakes_ten_times_a_second(
        tmp_path: Path) -> None:
    counts = {}
    for name, driver in (("stock", STOCK), ("served", DRIVER)):
        folder = tmp_path / name
        folder.mkdir()
        tab = Tab(driver, folder, quiet=True)
        try:
            tab.meta(type="focus")
            time.sleep(3.0)  # started, drawn, settled
            before = tab.wakeups()
            time.sleep(2.0)
            counts[name] = tab.wakeups() - before
            assert tab.proc.poll() is None
        finally:
            tab.close()
    # The stock driver's input thread alone: 20 in 2 s; the served one: nothing to do
    assert counts["stock"] >= 15, counts
    assert counts["served"] <= 6, counts


def test_a_lone_escape_still_arrives_and_keys_come_through(tmp_path: Path) -> None:
    tab = Tab(DRIVER, tmp_path)
    try:
        tab.meta(type="focus")
        assert tab.until(lambda s: s.startswith("|")) is not None
        tab.keys("ab")
        said = tab.until(lambda s: s.startswith("a b"))
        assert said is not None and said.startswith("a b"), said
        sent = time.monotonic()
        tab.keys("\x1b")  # a lone Escape: the parser waits ESCDELAY, then it is a key
        said = tab.until(lambda s: "ESCAPE-ACTION" in s, timeout=5.0)
        assert said is not None and "ESCAPE-ACTION" in said, said
        assert time.monotonic() - sent < 2.0
        tab.keys("\x1b[A")  # a longer key starting with Escape is one key, not two
        said = tab.until(lambda s: s.split("|")[0].endswith("up"))
        assert said is not None and said.split("|")[0].endswith("ESCAPE-ACTION up"), said
    finally:
        tab.close()


def test_the_app_quits_at_once_when_asked_though_its_input_sleeps(tmp_path: Path) -> None:
    tab = Tab(DRIVER, tmp_path, quiet=True)
    try:
        time.sleep(2.0)
        asked = time.monotonic()
        tab.meta(type="quit")
        tab.proc.wait(timeout=10)
        assert time.monotonic() - asked < 5.0
        assert tab.proc.returncode == 0
        assert {"type": "exit"} in tab.metas
    finally:
        tab.close()


def test_the_pages_focus_sent_at_once_is_not_undone_by_the_drivers_first_blur(
        tmp_path: Path) -> None:
    # The page says it has the keyboard the moment its socket opens: before the app has
    # even started. The served driver reads it after its own first blur.
    tab = Tab(DRIVER, tmp_path)
    try:
        tab.meta(type="focus")
        said = tab.until(lambda s: s.split("|")[1:] == ["True", "first"])
        assert said is not None and said.split("|")[1:] == ["True", "first"], said
    finally:
        tab.close()
