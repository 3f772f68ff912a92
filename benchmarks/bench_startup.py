"""Time to the first screen: pmsim's home screen against a bare Textual app.

Run:  python benchmarks/bench_startup.py [--runs 7]

Each measurement is a fresh Python process started on a pseudo-terminal of
100×30, with Textual's ordinary terminal driver, exactly as a player would
start it. The figure is wall time from starting the process to the moment its
home screen's first frame has been written to the terminal (this script reads
the terminal and watches for the "New session" button, which both apps show).

The baseline is a bare Textual app with the same widgets and layout as the home
screen (Header, two OptionLists, Labels, Inputs, Buttons, Footer), measured
in the same run and interleaved with pmsim, so the ratio holds across machines
and load. Goal: pmsim within 1.5× of the baseline.

pmsim fills its scenario list once the first frame is on screen (validating a
scenario imports pydantic and YAML); the time until the list shows is printed
too, for information.

Linux and macOS only (it needs a pseudo-terminal).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

BARE = r'''
from textual.app import App
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static


class Bare(App):
    CSS = """
    #home { padding: 0 2; }
    OptionList { height: auto; max-height: 8; }
    #new-row { height: 1; margin-top: 1; }
    #seed { width: 12; margin-right: 2; }
    #name { width: 1fr; max-width: 40; margin-right: 2; }
    .buttons { height: auto; margin-top: 1; }
    """

    def compose(self):
        yield Header()
        with Vertical(id="home"):
            yield Static("Choose a scenario")
            yield OptionList("Hudson School District — Hudson Middle School")
            with Horizontal(id="new-row"):
                yield Label("Seed")
                yield Input("1", type="integer", compact=True, id="seed")
                yield Label("Your name(s)")
                yield Input(placeholder="optional", compact=True, id="name")
                yield Button("New session", compact=True)
            yield Static("Resume a saved session")
            yield OptionList("No saved sessions yet")
            with Horizontal(classes="buttons"):
                yield Button("Resume")
                yield Button("Quit")
        yield Footer()


Bare().run()
'''

PMSIM = "from tui.app import PmsimApp\nPmsimApp().run()\n"

FIRST_FRAME = b"New session"
SCENARIO_LISTED = b"Hudson Middle School"
ESCAPES = re.compile(  # CSI, OSC, DCS, charset and keypad sequences: what isn't text
    rb"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\"
    rb"|[()][0-9A-Za-z]|[=>78])"
)
SIZE = (100, 30)


def measure(code: str, home: str, markers: tuple[bytes, ...], timeout: float = 20.0
            ) -> list[float]:
    """Seconds from starting a fresh process until each marker is on its terminal."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a fresh Python on the pseudo-terminal
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color",
               "COLORTERM": "truecolor", "PMSIM_HOME": home}
        os.execve(sys.executable, [sys.executable, "-c", code], env)
    cols, rows = SIZE
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    screen = b""
    found: list[float] = []
    try:
        while len(found) < len(markers):
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise RuntimeError(f"no {markers[len(found)]!r} on screen in {timeout} s")
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # the child exited
                raise RuntimeError(f"the app exited before showing {markers[len(found)]!r}"
                                   ) from None
            now = time.perf_counter()
            screen += chunk
            text = ESCAPES.sub(b"", screen)
            while len(found) < len(markers) and markers[len(found)] in text:
                found.append(now - start)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bare, pmsim, listed = [], [], []
    with tempfile.TemporaryDirectory() as home:
        measure(BARE, home, (FIRST_FRAME,))  # warm the file cache
        measure(PMSIM, home, (FIRST_FRAME,))
        for _ in range(args.runs):  # interleaved, so load affects both alike
            bare.append(measure(BARE, home, (FIRST_FRAME,))[0])
            first, full = measure(PMSIM, home, (FIRST_FRAME, SCENARIO_LISTED))
            pmsim.append(first)
            listed.append(full)
    b, p = statistics.median(bare), statistics.median(pmsim)
    print(f"first frame of the home screen on a {SIZE[0]}×{SIZE[1]} pseudo-terminal, "
          f"median of {args.runs} fresh processes")
    print(f"  bare Textual app   {b * 1000:.0f} ms   "
          f"(range {min(bare) * 1000:.0f}–{max(bare) * 1000:.0f})")
    print(f"  pmsim home screen  {p * 1000:.0f} ms   "
          f"(range {min(pmsim) * 1000:.0f}–{max(pmsim) * 1000:.0f})")
    print(f"  ratio              {p / b:.2f}×   (goal: at most 1.5×)")
    print(f"  pmsim scenario list filled in at {statistics.median(listed) * 1000:.0f} ms "
          "(after the first frame, off the UI thread)")


if __name__ == "__main__":
    main()
