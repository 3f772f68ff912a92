"""Time to the first screen: pmsim's home screen against a bare Textual app.

Run:  python benchmarks/bench_startup.py [--runs 7]

Each measurement is a fresh Python process that starts, imports, builds its app
and paints the first screen headless; the figure is wall time from starting the
process to that first frame. The baseline is a bare Textual app with similar widgets (Header,
two ListViews, an Input, Buttons, Footer) measured in the same run, so the ratio
holds across machines. Goal: pmsim within 1.5x of the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r'''
import sys
kind = sys.argv[1]


async def first_paint(pilot):
    import time

    await pilot.pause()
    print(time.time(), flush=True)  # the first frame is on screen
    pilot.app.exit()


if kind == "bare":
    from textual.app import App
    from textual.containers import Horizontal
    from textual.widgets import Button, Footer, Header, Input, Label, ListItem, ListView

    class Bare(App):
        def compose(self):
            yield Header()
            yield ListView(ListItem(Label("Hudson School District")))
            with Horizontal():
                yield Input("1")
                yield Button("New session")
            yield ListView(ListItem(Label("No saved sessions yet")))
            yield Button("Quit")
            yield Footer()

    Bare().run(headless=True, size=(100, 30), auto_pilot=first_paint)
else:
    from tui.app import PmsimApp

    PmsimApp().run(headless=True, size=(100, 30), auto_pilot=first_paint)
'''


def measure(kind: str, home: str) -> float:
    """Seconds from starting a fresh process to its first painted frame."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, kind], check=True, text=True,
                         env={"PMSIM_HOME": home, "PATH": "/usr/bin:/bin"},
                         capture_output=True)
    return float(out.stdout.split()[-1]) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        measure("bare", home)  # warm the file cache
        measure("pmsim", home)
        bare, pmsim = [], []
        for _ in range(args.runs):  # interleaved, so load affects both alike
            bare.append(measure("bare", home))
            pmsim.append(measure("pmsim", home))
    b, p = statistics.median(bare), statistics.median(pmsim)
    print(f"first screen, median of {args.runs} fresh processes")
    print(f"  bare Textual app   {b * 1000:.0f} ms")
    print(f"  pmsim home screen  {p * 1000:.0f} ms")
    print(f"  ratio              {p / b:.2f}x   (goal: at most 1.5x)")


if __name__ == "__main__":
    main()
