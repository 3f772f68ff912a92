"""``pmsim workshop …`` and ``pmsim console``: a workshop's rooms from one laptop.

Registered by :mod:`pmsim.cli` (``add_parsers`` and ``dispatch``); heavy modules are
imported inside the handlers and every user error ends as a one-line message.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.workshop import WorkshopStatus

ZIP_TIME = (2026, 1, 1, 0, 0, 0)
"""The time stamped on every file of an export, so the same workshop exports the same bytes."""
EXPORT_REPLICATIONS = 20
"""Replays per plan for the outcomes in an export's reports (few: the export is quick)."""


def add_parsers(sub: argparse._SubParsersAction, seed: Any, home: Any) -> None:
    """The ``workshop`` and ``console`` commands."""
    workshop = sub.add_parser("workshop", help="breakout rooms with join codes, for a workshop")
    wsub = workshop.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = wsub.add_parser("new", help="a workshop of N rooms; prints the codes (once)")
    new.add_argument("scenario", help="built-in id (e.g. hudson) or a file path")
    new.add_argument("--rooms", type=int, required=True, help="how many rooms (pairs)")
    new.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    new.add_argument("--title", default="", help="what to call the workshop")
    new.add_argument("--format", choices=["json", "text"], default="text")
    home(new, store=True)
    wlist = wsub.add_parser("list", help="workshops: id, state, stage, rooms, title")
    wlist.add_argument("--format", choices=["json", "table"], default="table")
    home(wlist, store=True)
    show = wsub.add_parser("show", help="a workshop's rooms: stage, who is in, scores")
    show.add_argument("id", metavar="ID")
    show.add_argument("--format", choices=["json", "text"], default="text")
    home(show, store=True)
    close = wsub.add_parser("close", help="close a workshop: its codes stop working")
    close.add_argument("id", metavar="ID")
    home(close, store=True)
    export = wsub.add_parser("export", help="everything of a workshop as one zip file")
    export.add_argument("id", metavar="ID")
    export.add_argument("--out", required=True, metavar="FILE", help="the .zip to write")
    home(export, store=True)
    console = sub.add_parser("console", help="the facilitator console of a workshop")
    console.add_argument("workshop", metavar="WORKSHOP")
    console.add_argument("--code", default=None, help="the facilitator code (else asked)")
    home(console, store=True)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "console":
        return _console(args)
    return {"new": _new, "list": _list, "show": _show, "close": _close,
            "export": _export}[args.action](args)


def _error(message: str, code: int = 1) -> Exception:
    from pmsim.cli import UserError

    return UserError(message, code)


def _stored(args: argparse.Namespace, readonly: bool = False) -> Any:
    from pmsim.cli import _stored as stored

    return stored(args, readonly=readonly)


def _print_json(doc: object) -> None:
    from pmsim.cli import _print_json as print_json

    print_json(doc)


def _new(args: argparse.Namespace) -> int:
    from pmsim.cli import _home_of, _scenario_errors
    from simulator.workshop import create_workshop

    home = _home_of(args)
    with _stored(args) as store, _scenario_errors(args.scenario):
        made = create_workshop(store, home, args.scenario, args.rooms, args.seed, args.title)
    if args.format == "json":
        _print_json({"workshop": made.id, "facilitator_code": made.facilitator_code,
                     "rooms": [{"room": r, "code": c} for r, c, _ in made.rooms]})
        return 0
    print(f"workshop {made.id}")
    print(f"facilitator code {made.facilitator_code}")
    for room, code, session in made.rooms:
        print(f"{room}\t{code}\tsession {session}")
    print("pmsim: the codes are shown only now: keep them", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from simulator.render.plain import printable
    from simulator.workshop import list_workshops

    with _stored(args, readonly=True) as store:
        found = list_workshops(store)
    rows = [{"id": w.id, "state": w.state, "stage": w.stage, "created": w.created,
             "title": w.title} for w in found]
    if args.format == "json":
        _print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']}\t{r['state']}\t{r['stage'] or '-'}\t{printable(r['title'])}")
    return 0


def status_doc(status: WorkshopStatus) -> dict[str, Any]:
    """A workshop's status as JSON (``workshop show --format json``)."""
    return {
        "workshop": status.id, "title": status.title, "scenario": status.scenario,
        "seed": status.seed, "created": status.created, "state": status.state,
        "stage": status.stage, "stages": status.stages,
        "rooms": [{
            "room": r.name, "session": r.session_id, "stage": r.stage,
            "present": list(r.present), "last_activity": r.last_activity,
            "polls": r.polls,
            "scores": {m: [{"id": s.element_id, "name": s.name, "level": s.level,
                            "points": s.points, "max_points": s.max_points} for s in scores]
                       for m, scores in r.scores.items()},
        } for r in status.rooms],
    }


def _status(args: argparse.Namespace, ident: str) -> WorkshopStatus:
    from simulator.workshop import workshop_status

    with _stored(args, readonly=True) as store:
        return workshop_status(store, ident)


def _show(args: argparse.Namespace) -> int:
    from simulator.render.plain import printable

    status = _status(args, args.id)
    if args.format == "json":
        _print_json(status_doc(status))
        return 0
    print(printable(f"workshop {status.id} · {status.title}"))
    print(f"{status.state} · stage {status.stage or '-'} · seed {status.seed}")
    for r in status.rooms:
        points = {m: sum(s.points for s in sc) for m, sc in r.scores.items()}
        scored = " ".join(f"{m}:{p:g}" for m, p in points.items())
        print(f"{r.name}\t{r.session_id}\t{r.stage}\t{','.join(r.present) or '-'}"
              f"\t{r.last_activity}\t{scored}")
    return 0


def _close(args: argparse.Namespace) -> int:
    from simulator.workshop import control

    with _stored(args) as store:
        control(store, args.id, "close")
    print(f"pmsim: workshop {args.id} is closed; its codes no longer work", file=sys.stderr)
    return 0


def export_bytes(store: Any, home: Any, workshop_id: str,
                 replications: int = EXPORT_REPLICATIONS) -> bytes:
    """The workshop as one zip: ratings.csv, polls.csv, status.json, and per room its
    report (HTML) and transcript (YAML)."""
    import json

    from simulator.debrief.report import build_report
    from simulator.formats.loading import load_played
    from simulator.render.html import render_html
    from simulator.session.state import replay
    from simulator.session.transcript import transcript_from_events
    from simulator.workshop import workshop_status

    status = workshop_status(store, workshop_id)
    loaded = load_played(status.scenario, None)
    ratings, polls = io.StringIO(), io.StringIO()
    rw = csv.writer(ratings, lineterminator="\n")
    rw.writerow(["room", "session", "debrief", "id", "element", "name", "level", "points",
                 "max_points"])
    pw = csv.writer(polls, lineterminator="\n")
    pw.writerow(["room", "session", "meeting", "role", "went_well", "improve"])
    files: dict[str, bytes] = {}
    for room in status.rooms:
        for meeting, scores in room.scores.items():
            for s in scores:
                rw.writerow([room.name, room.session_id, meeting, s.element_id, s.element,
                             s.name, s.level, f"{s.points:g}", f"{s.max_points:g}"])
        for p in room.polls:
            pw.writerow([room.name, room.session_id, p["meeting"], p["role"],
                         p["went_well"], p["improve"]])
        events = store.events(room.session_id)
        state = replay(events)
        report = build_report(loaded.scenario, state, replications=replications,
                              cache_dir=home.cache)
        files[f"rooms/{room.name}/report.html"] = render_html(report).encode()
        files[f"rooms/{room.name}/transcript.yaml"] = (
            transcript_from_events(state, events).to_yaml().encode())
    files["ratings.csv"] = ratings.getvalue().encode()
    files["polls.csv"] = polls.getvalue().encode()
    files["status.json"] = json.dumps(status_doc(status), indent=2, ensure_ascii=False,
                                      sort_keys=True).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), files[name],
                       compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _export(args: argparse.Namespace) -> int:
    from pmsim.cli import _home_of

    out = Path(args.out)
    if not out.parent.is_dir():
        raise _error(f"{out}: the folder {out.parent} does not exist", 2)
    with _stored(args, readonly=True) as store:
        data = export_bytes(store, _home_of(args), args.id)
    from simulator.formats.atomic import write_atomic

    write_atomic(out, data)
    print(out)
    return 0


def _console(args: argparse.Namespace) -> int:
    import getpass

    from simulator.workshop import find_workshop

    code = args.code
    if code is None:
        if not sys.stdin.isatty():
            raise _error("the console needs the facilitator code: give --code CODE", 2)
        code = getpass.getpass("facilitator code: ")
    with _stored(args, readonly=True) as store:
        found = find_workshop(store, code)
    if found is None or found != args.workshop:
        raise _error(f"that is not the facilitator code of an open workshop {args.workshop}")
    from pmsim.cli import _home_of
    from tui.console.app import launch

    return launch(args.workshop, home=_home_of(args).root, store=getattr(args, "store", None),
                  export=export_bytes)
