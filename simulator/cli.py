"""The ``pmsim`` command.

Heavy modules (numpy, pydantic, textual, faker) are imported inside the
commands that need them, so that ``pmsim --version`` and usage errors are fast.
Every user error ends as a one-line message and exit status 1 (2 for usage),
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmsim",
        description="Performance-management role-play for state education agencies.",
    )
    parser.add_argument("--version", action="version", version=f"pmsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    play = sub.add_parser("play", help="open the meeting room on a scenario or a saved session")
    play.add_argument("scenario", nargs="?", help="built-in id (e.g. hudson) or a file path")
    play.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    play.add_argument("--session", help="resume or join a saved session")
    play.add_argument("--role", choices=["state", "district", "both"], default=None,
                      help="which role this terminal plays (default: both, at one terminal)")
    _home(play)

    scenario = sub.add_parser("scenario", help="list, show, validate scenario files")
    ssub = scenario.add_subparsers(dest="action", metavar="ACTION", required=True)
    ssub.add_parser("list", help="built-in scenarios: ID<TAB>TITLE")
    show = ssub.add_parser("show", help="a validated scenario, defaults filled in")
    show.add_argument("scenario")
    show.add_argument("--format", choices=["json", "text"], default="text")
    validate = ssub.add_parser("validate", help="check scenario files; every problem at once")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    ssub.add_parser("schema", help="the scenario JSON Schema")

    run = sub.add_parser("run", help="play a whole scenario headless and print the results")
    run.add_argument("scenario")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--strategies", default="",
                     help="comma-separated strategy ids adopted at the first meeting")
    run.add_argument("--replications", type=int, default=1)
    run.add_argument("--format", choices=["json", "table"], default="table")

    session = sub.add_parser("session", help="saved sessions")
    sesub = session.add_subparsers(dest="action", metavar="ACTION", required=True)
    slist = sesub.add_parser("list", help="saved sessions: id, scenario, created, stage")
    slist.add_argument("--format", choices=["json", "table"], default="table")
    _home(slist)
    return parser


def _home(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", type=Path, default=None,
                   help="folder of the session store (default: $PMSIM_HOME or the user data dir)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as exc:
        print(f"pmsim: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in (None, "play"):
        return _play(args)
    if args.command == "scenario":
        return {
            "list": _scenario_list,
            "show": _scenario_show,
            "validate": _scenario_validate,
            "schema": _scenario_schema,
        }[args.action](args)
    if args.command == "run":
        return _run(args)
    if args.command == "session":
        return _session_list(args)
    raise UserError(f"unknown command {args.command}", 2)


# ---------------------------------------------------------------- scenarios


def _load(ref: str):
    from .loading import ScenarioError, ScenarioNotFound, load_scenario

    try:
        return load_scenario(ref)
    except ScenarioNotFound as exc:
        raise UserError(str(exc)) from None
    except ScenarioError as exc:
        raise UserError("invalid scenario:\n" + "\n".join(exc.lines())) from None
    except OSError as exc:
        raise UserError(f"cannot read {ref}: {exc.strerror}") from None


def _scenario_list(args: argparse.Namespace) -> int:
    from .loading import ScenarioError, builtin_paths, parse_scenario

    for path in builtin_paths():
        try:
            sc = parse_scenario(path.read_bytes(), str(path))
        except ScenarioError as exc:
            print("\n".join(exc.lines()), file=sys.stderr)
            continue
        print(f"{sc.id}\t{sc.title}")
    return 0


def _scenario_show(args: argparse.Namespace) -> int:
    sc = _load(args.scenario).scenario
    if args.format == "json":
        print(json.dumps(sc.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0
    print(sc.title)
    print(sc.summary)
    print()
    print(f"{sc.district.name} · {sc.state.name}")
    for s in sc.schools:
        mark = " (priority)" if s.priority else ""
        print(f"  {s.id:<16} {s.name}{mark}: {sum(s.enrollment.values())} students")
    print("Calendar:")
    for q in sc.calendar.quarters:
        meetings = [m.title for m in sc.calendar.meetings if m.after_quarter == q.id]
        print(f"  {q.label}" + (f"  → {meetings[0]}" if meetings else ""))
    print("Strategies:")
    for st in sc.strategies:
        print(f"  {st.id:<24} {st.name}")
    return 0


def _scenario_validate(args: argparse.Namespace) -> int:
    from .loading import ScenarioError, parse_scenario

    status = 0
    for name in args.paths:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            print(f"pmsim: {name}: no such file", file=sys.stderr)
            status = max(status, 2)
            continue
        except OSError as exc:
            print(f"pmsim: {name}: {exc.strerror}", file=sys.stderr)
            status = max(status, 2)
            continue
        try:
            parse_scenario(raw, name)
        except ScenarioError as exc:
            print("\n".join(exc.lines()), file=sys.stderr)
            status = max(status, 1)
            continue
        print(f"{name}: ok")
    return status


def _scenario_schema(args: argparse.Namespace) -> int:
    from .scenario import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


# ---------------------------------------------------------------- run


def _run(args: argparse.Namespace) -> int:
    if args.replications < 1 or args.replications > 100_000:
        raise UserError("--replications must be between 1 and 100000", 2)
    loaded = _load(args.scenario)
    from .engine import SimulationError
    from .headless import run

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    try:
        doc = run(loaded.scenario, args.seed, strategies, args.replications)
    except SimulationError as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        from .tables import run_table

        print(run_table(loaded.scenario, doc))
    return 0


# ---------------------------------------------------------------- sessions


def _session_list(args: argparse.Namespace) -> int:
    from .store import Store, StoreError

    try:
        with Store.open(args.home) as store:
            sessions = store.list_sessions()
    except StoreError as exc:
        raise UserError(str(exc)) from None
    rows = [
        {"id": s.id, "scenario": s.scenario, "created": s.created, "stage": s.stage,
         "seed": s.seed, "title": s.title}
        for s in sessions
    ]
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r['id']}\t{r['scenario']}\t{r['created']}\t{r['stage']}")
    return 0


# ---------------------------------------------------------------- the TUI


def _play(args: argparse.Namespace) -> int:
    try:
        from tui.app import launch
    except ImportError as exc:  # pragma: no cover - a broken install
        raise UserError(f"the meeting room is not available: {exc}") from None
    return launch(
        scenario=getattr(args, "scenario", None),
        seed=getattr(args, "seed", None),
        session=getattr(args, "session", None),
        role=getattr(args, "role", None),
        home=getattr(args, "home", None),
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
