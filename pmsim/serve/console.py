"""The process of a browser's console tab: ``pmsim console`` without the code prompt.

The server has checked the facilitator code before it starts this process (a tab has no
terminal to type the code into), so the console opens on the workshop it is given, with
the export key of ``pmsim workshop export``.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pmsim serve (console tab)")
    parser.add_argument("workshop")
    parser.add_argument("--home", default=None)
    parser.add_argument("--store", default=None)
    args = parser.parse_args(argv)

    from pmsim.workshop_cli import export_bytes
    from simulator.session.home import HomeError
    from simulator.session.store import StoreError
    from tui.console.app import launch

    try:
        return launch(args.workshop, home=args.home, store=args.store, export=export_bytes)
    except (HomeError, StoreError) as exc:
        print(f"pmsim console: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
