"""The ``pmsim`` command.

Heavy modules (numpy, pydantic, textual, faker) are imported inside the
commands that need them, so that ``pmsim --version`` and usage errors are fast.
Every user error ends as a one-line message and exit status 1 (2 for usage),
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from simulator import __version__

if TYPE_CHECKING:
    from simulator.debrief.models import Report
    from simulator.formats.loading import LoadedScenario
    from simulator.formats.yamlsafe import Loaded
    from simulator.session.home import Home
    from simulator.session.state import SessionState
    from simulator.session.store import Store


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _seed(text: str) -> int:
    """``--seed``: a whole number from 0 to 2**64 - 1, else argparse's usage error."""
    from simulator.engine.streams import parse_seed

    try:
        return parse_seed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmsim",
        description="Performance-management role-play for state education agencies.",
    )
    parser.add_argument("--version", action="version", version=f"pmsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    play = sub.add_parser("play", help="open the meeting room on a scenario or a saved session")
    play.add_argument("scenario", nargs="?", help="built-in id (e.g. hudson) or a file path")
    play.add_argument("--seed", type=_seed, default=None, help="random seed (default 1)")
    play.add_argument("--session", help="resume or join a saved session")
    _scenario_option(play, "the session is played on")
    play.add_argument("--role", choices=["state", "district", "both"], default=None,
                      help="which role this terminal plays (default: both, at one terminal)")
    play.add_argument("--solo", choices=["state", "district"], default=None,
                      help="practise alone: you play this role, a persona plays the other")
    play.add_argument("--persona", default=None, metavar="ID",
                      help="with --solo: the persona you talk to (a built-in id or a file; "
                           "default: the built-in for the other role)")
    _home(play, store=True)

    scenario = sub.add_parser("scenario", help="list, show, validate scenario files")
    ssub = scenario.add_subparsers(dest="action", metavar="ACTION", required=True)
    _studio_parsers(ssub)
    show = ssub.add_parser("show", help="a validated scenario, defaults filled in")
    show.add_argument("scenario")
    show.add_argument("--format", choices=["json", "text"], default="text")
    _home(show, store=False)
    validate = ssub.add_parser(
        "validate", help="check scenario (and worked transcript) files; every problem at once")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    _home(validate, store=False)
    ssub.add_parser("schema", help="the scenario JSON Schema")
    _scenario_preview_parser(ssub)
    calibrate = ssub.add_parser(
        "calibrate", help="Monte Carlo proof that a scenario teaches what it intends")
    calibrate.add_argument("scenario", help="built-in id (e.g. hudson) or a file path")
    calibrate.add_argument("--replications", type=int, default=1000,
                           help="replications of every plan (default 1000)")
    calibrate.add_argument("--seeds", type=int, default=100,
                           help="single-replication playthroughs for what teams see "
                                "(default 100)")
    calibrate.add_argument("--format", choices=["json", "table"], default="table")
    _home(calibrate, store=False)

    run = sub.add_parser("run", help="play a whole scenario headless and print the results")
    run.add_argument("scenario")
    run.add_argument("--seed", type=_seed, default=1)
    run.add_argument("--strategies", default="",
                     help="comma-separated strategy ids adopted at the first meeting, each"
                          " optionally targeted: ID[grades=6,7;subgroups=el,swd;capacity=40]")
    run.add_argument("--replications", type=int, default=1)
    run.add_argument("--format", choices=["json", "table"], default="table")
    _home(run, store=False)

    session = sub.add_parser("session", help="saved sessions")
    sesub = session.add_subparsers(dest="action", metavar="ACTION", required=True)
    slist = sesub.add_parser("list", help="saved sessions: id, scenario, created, stage")
    slist.add_argument("--format", choices=["json", "table"], default="table")
    _home(slist, store=True)
    export = sesub.add_parser(
        "export", help="a saved session's transcript (YAML), or its xAPI statements, on stdout")
    export.add_argument("id", metavar="ID")
    export.add_argument("--format", choices=["yaml", "xapi"], default="yaml",
                        help="yaml: the transcript (default); xapi: a JSON array of xAPI"
                             " statements for a learning record store")
    export.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="write to FILE (replaced whole) instead of stdout")
    _scenario_option(export, "the transcript names")
    _xapi_options(export)
    _home(export, store=True)
    imp = sesub.add_parser("import", help="save a transcript as a session; prints its id")
    imp.add_argument("file", metavar="FILE", help="a transcript (as `pmsim session export` writes)")
    imp.add_argument("--scenario", dest="scenario_file", metavar="PATH", default=None,
                     help="the scenario to play it on (default: the one the transcript names,"
                          " a built-in id or a path, relative paths from the transcript's"
                          " folder too)")
    _home(imp, store=True)

    debrief = sub.add_parser("debrief", help="score a transcript and print its debrief report")
    debrief.add_argument("scenario", help="built-in id (e.g. hudson) or a file path")
    debrief.add_argument("--transcript", required=True, metavar="FILE",
                         help="the records of a playthrough (as `pmsim session export` writes)")
    _report_options(debrief, store=False)

    report = sub.add_parser("report", help="the debrief report of a saved session")
    report.add_argument("id", metavar="ID")
    _scenario_option(report, "the report is made on")
    _report_options(report, store=True)

    progress = sub.add_parser("progress", help="a participant's attempts over time")
    progress.add_argument("--participant", metavar="NAME",
                          help="only this participant's sessions (default: every session)")
    progress.add_argument("--format", choices=["json", "table"], default="table")
    _home(progress, store=True)
    # ---- personas and solo practice (pmsim/solo_cli.py) ----
    from pmsim import solo_cli

    solo_cli.add_parsers(sub, _seed, _home)
    # ---- end personas and solo practice ----
    # ---- workshops and the facilitator console (pmsim/workshop_cli.py) ----
    from pmsim import workshop_cli

    workshop_cli.add_parsers(sub, _seed, _home)
    # ---- end workshops ----
    # ---- the State self-assessment (pmsim/selfassess_cli.py) ----
    from pmsim import selfassess_cli

    selfassess_cli.add_parser(sub, _home)
    # ---- end the State self-assessment ----
    # ---- the workshop server (pmsim/serve/) ----
    from pmsim import serve

    serve.add_parser(sub, _home)
    # ---- end the workshop server ----
    return parser


def _report_options(p: argparse.ArgumentParser, *, store: bool) -> None:
    p.add_argument("--format", choices=["json", "md", "html"], default="md")
    p.add_argument("--replications", type=int, default=200,
                   help="replays of each plan for the outcomes (default 200)")
    stage = p.add_mutually_exclusive_group()
    stage.add_argument("--final", dest="final", action="store_true", default=None,
                       help="the final debrief (with the reveal) even if meetings are open")
    stage.add_argument("--not-final", dest="final", action="store_false",
                       help="a debrief without the reveal even if every meeting is closed")
    _home(p, store=store)


def _xapi_options(p: argparse.ArgumentParser) -> None:
    """How ``--format xapi`` names activities and actors (facilitator_guide/lms-records.md)."""
    xapi = p.add_argument_group("xapi", "with --format xapi (see the guide's LMS records)")
    xapi.add_argument("--activity-base", default=None, metavar="URL",
                      help="the IRI activity ids start with (default https://pmsim.invalid/xapi)")
    xapi.add_argument("--account-home", default=None, metavar="URL",
                      help="the homePage of the actors' accounts (default: the activity base)")
    xapi.add_argument("--actor-account", action="append", default=[], metavar="ROLE=NAME",
                      help="credit ROLE (state or district) to this LMS account name")
    xapi.add_argument("--actor-mbox", action="append", default=[], metavar="ROLE=ADDRESS",
                      help="credit ROLE to this e-mail address instead")


def _scenario_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--scenario PATH``: where a saved session's scenario file is now, if it moved."""
    p.add_argument("--scenario", dest="scenario_file", metavar="PATH", default=None,
                   help=f"the scenario file {what}, when it is no longer where the session"
                        " was started (default: the file the session names)")


def _home(p: argparse.ArgumentParser, *, store: bool) -> None:
    """``--home`` (reports, caches) and, for a command that stores, ``--store``."""
    p.add_argument("--home", type=Path, default=None, metavar="DIR",
                   help="the pmsim folder: reports, caches and the default sessions file"
                        " (default: $PMSIM_HOME or the user data dir)")
    if store:
        p.add_argument("--store", metavar="URL", default=None,
                       help="where sessions are saved: sqlite:///PATH or"
                            " postgresql://USER@HOST:PORT/DB (default: $PMSIM_STORE,"
                            " else the sessions file in the pmsim home)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a full disk under redirected output shows here, not at exit
        return code
    except UserError as exc:
        print(f"pmsim: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        return _unwritable(exc)


def _unwritable(exc: OSError) -> int:
    """A file or the output that could not be used (a full disk): one line, exit 1.

    Output that could not be written is dropped, so the exit does not try again and
    fail with a traceback of its own.
    """
    if exc.filename:
        print(f"pmsim: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
    else:
        print(f"pmsim: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        with suppress(OSError, ValueError):  # ValueError: stdout is not a file (a capture)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in (None, "play"):
        return _play(args)
    if args.command == "scenario":
        return {
            "list": _scenario_list,
            "new": _scenario_new,
            "add": _scenario_add,
            "show": _scenario_show,
            "validate": _scenario_validate,
            "schema": _scenario_schema,
            "calibrate": _scenario_calibrate,
            "preview": _scenario_preview,
        }[args.action](args)
    if args.command == "run":
        return _run(args)
    if args.command == "session":
        return {"list": _session_list, "export": _session_export,
                "import": _session_import}[args.action](args)
    if args.command == "debrief":
        with _engine_refusals():
            return _debrief(args)
    if args.command == "report":
        with _engine_refusals():
            return _report(args)
    if args.command == "progress":
        return _progress(args)
    # ---- personas and solo practice (pmsim/solo_cli.py) ----
    if args.command in ("persona", "solo"):
        from pmsim import solo_cli

        return solo_cli.dispatch(args)
    # ---- end personas and solo practice ----
    # ---- workshops and the facilitator console (pmsim/workshop_cli.py) ----
    if args.command in ("workshop", "console"):
        from pmsim import workshop_cli

        return workshop_cli.dispatch(args)
    # ---- end workshops ----
    # ---- the State self-assessment (pmsim/selfassess_cli.py) ----
    if args.command == "self-assess":
        from pmsim import selfassess_cli

        return selfassess_cli.dispatch(args)
    # ---- end the State self-assessment ----
    # ---- the workshop server (pmsim/serve/) ----
    if args.command == "serve":
        from pmsim import serve

        return serve.dispatch(args, UserError)
    # ---- end the workshop server ----
    raise UserError(f"unknown command {args.command}", 2)


def _print_json(doc: object) -> None:
    """Print a document as every command prints JSON: indented, non-ASCII kept, and
    (:func:`~simulator.render.plain.json_printable`) no control or bidi character raw,
    so a scenario's or a session's text cannot drive the terminal."""
    from simulator.render.plain import json_printable

    print(json_printable(json.dumps(doc, indent=2, ensure_ascii=False)))


# ---------------------------------------------------------------- scenarios


def _load(ref: str, args: argparse.Namespace, base: Path | None = None) -> LoadedScenario:
    """A scenario by built-in id, own scenario's id (in the home of ``args``) or path (from
    here, else from ``base``: a transcript's folder)."""
    from simulator.formats.loading import load_scenario

    with _scenario_errors(ref):
        return load_scenario(ref, _own_dirs(args), base)


@contextmanager
def _scenario_errors(ref: str) -> Iterator[None]:
    """A scenario that can't be found or used, as the user's message."""
    from simulator.formats.loading import ScenarioError, ScenarioNotFound

    try:
        yield
    except ScenarioNotFound as exc:
        raise UserError(str(exc)) from None
    except ScenarioError as exc:
        raise UserError("invalid scenario:\n" + "\n".join(exc.lines())) from None
    except OSError as exc:
        raise UserError(f"cannot read {ref}: {exc.strerror}") from None


def _played_on(state: SessionState, given: str | None, using: str) -> LoadedScenario:
    """The scenario of a saved session (``given``: ``--scenario``), checked against it: a
    changed file is a note on stderr, a file gone or lacking a strategy the session used is
    the user's error."""
    from simulator.formats.loading import load_played, scenario_name
    from simulator.session.state import ScenarioMismatchError, check_scenario

    with _scenario_errors(given or state.scenario):
        loaded = load_played(state.scenario, given)
    if loaded.sha256 != state.scenario_sha256:
        print(f"pmsim: note: the scenario file {loaded.path} has changed since session "
              f"{state.session_id} was played; {using}", file=sys.stderr)
    try:
        check_scenario(state, loaded.scenario, scenario_name(loaded))
    except ScenarioMismatchError as exc:
        raise UserError(str(exc)) from None
    return loaded


def _scenario_show(args: argparse.Namespace) -> int:
    from simulator.render.plain import printable

    sc = _load(args.scenario, args).scenario
    if args.format == "json":
        _print_json(sc.model_dump(mode="json"))
        return 0
    print(printable(sc.title))
    print(printable(sc.summary, keep="\n"))
    print()
    print(printable(f"{sc.district.name} · {sc.state.name}"))
    for s in sc.schools:
        mark = " (priority)" if s.priority else ""
        print(f"  {printable(s.id):<16} {printable(s.name)}{mark}: "
              f"{s.enrolled} students")
    print("Calendar:")
    for q in sc.calendar.quarters:
        meetings = [printable(m.title) for m in sc.calendar.meetings if m.after_quarter == q.id]
        print(f"  {printable(q.label)}" + (f"  → {meetings[0]}" if meetings else ""))
    print("Strategies:")
    for st in sc.strategies:
        print(f"  {printable(st.id):<24} {printable(st.name)}")
    return 0



def read_to_check(name: str, path: Path, what: str = "a scenario file") -> bytes | int:
    """The bytes of a file ``validate`` checks, or the exit status of why it could not
    read them, said on stderr: a file too big is a problem of the file (1, at
    ``NAME:1:1``); no such file or another refusal is a usage error (2)."""
    from simulator.formats.yamlsafe import FileTooLarge, read_limited

    try:
        return read_limited(path, what=what)
    except FileTooLarge as exc:
        print(f"{name}:1:1: {exc.strerror}", file=sys.stderr)
        return 1
    except FileNotFoundError:
        print(f"pmsim: {name}: no such file", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pmsim: {name}: {exc.strerror}", file=sys.stderr)
        return 2

def _scenario_validate(args: argparse.Namespace) -> int:
    from simulator.formats.loading import parse_scenario
    from simulator.formats.yamlsafe import (
        FileProblems,
        YamlError,
        load_bytes,
    )

    status = 0
    for name in args.paths:
        path = _named_file(name, args)
        raw = read_to_check(name, path)
        if isinstance(raw, int):
            status = max(status, raw)
            continue
        try:
            loaded = load_bytes(raw)  # once: its warnings, its kind, then its model
        except YamlError as exc:
            print("\n".join(p.format(name) for p in exc.problems), file=sys.stderr)
            status = max(status, 1)
            continue
        # What loads but is probably not what was meant (a value cut at ' #') is a warning.
        warnings = list(loaded.warnings)
        try:
            if _is_transcript(loaded.data):
                _parse_transcript_beside(loaded, name, path, args)
            else:
                parse_scenario(loaded, name)
        except FileProblems as exc:
            found = sorted([*exc.problems, *warnings], key=lambda p: (p.line, p.col))
            print("\n".join(p.format(name) for p in found), file=sys.stderr)
            status = max(status, 1)
            continue
        for warning in warnings:  # a warning alone does not fail the file
            print(warning.format(name), file=sys.stderr)
        print(f"{name}: ok")
    return status


def _is_transcript(data: object) -> bool:
    """A worked transcript (it lives beside its scenario): validated as a transcript."""
    return isinstance(data, dict) and "transcript_version" in data


def _parse_transcript_beside(loaded: Loaded, name: str, path: Path, args: argparse.Namespace
                             ) -> None:
    """Validate a transcript, against its scenario too when that can be found where
    ``session import`` finds it (a built-in id, one's own id, a path from here or from the
    transcript's folder) and is itself valid."""
    from simulator.formats.loading import ScenarioError, ScenarioNotFound, load_scenario
    from simulator.session.transcript import parse_transcript

    transcript = parse_transcript(loaded, name)
    try:
        scenario = load_scenario(transcript.scenario, _own_dirs(args), path.parent).scenario
    except (ScenarioNotFound, ScenarioError, OSError):
        return
    parse_transcript(loaded, name, scenario)


def _scenario_schema(args: argparse.Namespace) -> int:
    from simulator.formats.scenario import json_schema

    _print_json(json_schema())
    return 0


def _scenario_preview_parser(ssub: argparse._SubParsersAction) -> None:
    preview = ssub.add_parser(
        "preview", help="each meeting's dashboards as participants will see them, unplayed")
    preview.add_argument("scenario", help="built-in id (e.g. hudson) or a file path")
    preview.add_argument("--seed", type=_seed, default=1, help="random seed (default 1)")
    preview.add_argument("--format", choices=["md", "text"], default="text",
                         help="text (aligned, for a terminal) or md (Markdown, for a handout)")
    _home(preview, store=False)


def _scenario_preview(args: argparse.Namespace) -> int:
    """Every dashboard view at every meeting, simulated with no decisions."""
    loaded = _load(args.scenario, args)
    from simulator.engine.simulation import SimulationError
    from simulator.render.preview import render

    try:
        text = render(loaded.scenario, args.seed, args.format)
    except SimulationError as exc:
        raise UserError(str(exc)) from None
    sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------- the studio
# `scenario list`, `scenario new`, `scenario add`: one's own scenarios in the pmsim home.


def _studio_parsers(ssub: argparse._SubParsersAction) -> None:
    """``scenario list``, ``scenario new`` and ``scenario add``."""
    slist = ssub.add_parser("list", help="scenarios: ID<TAB>TITLE, built-ins first, then yours")
    slist.add_argument("--format", choices=["json", "table"], default="table")
    _home(slist, store=False)
    new = ssub.add_parser("new", help="write a commented scaffold, or a copy of a scenario,"
                                      " that validates as it stands")
    new.add_argument("path", metavar="PATH", help="the file to write (never overwritten)")
    new.add_argument("--from", dest="source", metavar="SCENARIO", default=None,
                     help="copy this scenario (a built-in id, one of yours, or a path) "
                          "under a new id taken from PATH's name")
    _home(new, store=False)
    add = ssub.add_parser("add", help="validate a scenario file and keep it among your "
                                      "scenarios in the pmsim home")
    add.add_argument("file", metavar="FILE")
    add.add_argument("--replace", action="store_true",
                     help="replace a different scenario of yours with the same id")
    _home(add, store=False)


def _own_dirs(args: argparse.Namespace) -> tuple[Path, ...]:
    """The folder of one's own scenarios in the home of ``args``; a ``--home`` (or
    ``$PMSIM_HOME``) that can't be used is the user's error, said as such."""
    return (_home_of(args).scenarios,)


def _named_file(name: str, args: argparse.Namespace) -> Path:
    """A file to validate: the path given, or (when no such file) the scenario of that id."""
    from simulator.formats.loading import find_scenario

    path = Path(name)
    if path.exists():
        return path
    return find_scenario(name, _own_dirs(args)) or path


def _scenario_list(args: argparse.Namespace) -> int:
    """Built-ins (as ever), then own scenarios; an own file that doesn't validate is a note
    on stderr (or its ``problem`` in JSON), never a traceback."""
    from simulator.formats.loading import ScenarioError, builtin_paths, parse_scenario
    from simulator.formats.studio import own_scenarios
    from simulator.render.plain import printable

    rows: list[dict[str, str]] = []
    for path in builtin_paths():
        try:
            sc = parse_scenario(path.read_bytes(), str(path))
        except ScenarioError as exc:
            print("\n".join(exc.lines()), file=sys.stderr)
            continue
        rows.append({"id": sc.id, "title": sc.title, "source": "built-in", "path": str(path)})
    builtin_ids = {p.stem for p in builtin_paths()}
    for folder in _own_dirs(args):
        for own in own_scenarios(folder, builtin_ids):
            row = {"id": own.id, "title": own.title, "source": "own", "path": str(own.path)}
            if own.problem:
                row["problem"] = own.problem
            rows.append(row)
    if args.format == "json":
        _print_json(rows)
        return 0
    for row in rows:
        if "problem" in row:
            print(f"pmsim: note: your scenario {printable(row['id'])} can't be played: "
                  f"{printable(row['problem'])}", file=sys.stderr)
            continue
        print(f"{printable(row['id'])}\t{printable(row['title'])}")
    return 0


def _scenario_new(args: argparse.Namespace) -> int:
    """A scaffold, or a copy of ``--from`` under the id of PATH's name; never over a file."""
    from simulator.formats.loading import ScenarioError, parse_scenario
    from simulator.formats.studio import CopyError, copy_text, scaffold_text, slug, title_of

    path = Path(args.path)
    if path.exists() or path.is_symlink():
        raise UserError(f"{path} already exists; pmsim never overwrites it: give another "
                        "name, or remove it first", 2)
    ident = slug(path.stem)
    if args.source is None:
        text = scaffold_text(ident, title_of(ident))
    else:
        source = _load(args.source, args)
        try:
            original = source.path.read_bytes().decode("utf-8")
            text = copy_text(original, ident, f"{source.scenario.title} (copy)")
        except (CopyError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot copy {source.path}: {exc}") from None
    try:
        parse_scenario(text.encode("utf-8"), str(path))
    except ScenarioError as exc:  # a copy only: the scaffold is tested to validate
        raise UserError("the copy would not validate:\n" + "\n".join(exc.lines())) from None
    _write_new(path, text)
    print(path)
    import shlex

    print(f"pmsim: wrote {path}; check it with: pmsim scenario validate "
          f"{shlex.quote(str(path))}", file=sys.stderr)
    return 0


def _write_new(path: Path, text: str) -> None:
    """Write ``path`` atomically, refusing (exit 2) if it appeared meanwhile."""
    from simulator.formats.atomic import write_atomic

    if not path.parent.is_dir():
        raise UserError(f"{path}: the folder {path.parent} does not exist", 2)
    if path.exists():
        raise UserError(f"{path} already exists; pmsim never overwrites it", 2)
    write_atomic(path, text)


def _scenario_add(args: argparse.Namespace) -> int:
    """Validate FILE and copy it to ``<home>/scenarios/<id>.yaml``."""
    from simulator.formats.atomic import write_atomic
    from simulator.formats.loading import ScenarioError, builtin_paths, parse_scenario
    from simulator.formats.yamlsafe import read_limited

    source = Path(args.file)
    try:
        raw = read_limited(source, what="a scenario file")
    except FileNotFoundError:
        raise UserError(f"{source}: no such file", 2) from None
    except OSError as exc:
        print(f"{source}:1:1: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        sc = parse_scenario(raw, str(source))
    except ScenarioError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return 1
    if sc.id in {p.stem for p in builtin_paths()}:
        raise UserError(f"{source}: a built-in scenario has the id '{sc.id}'; give yours "
                        "another id", 2)
    folder = _home_of(args).scenarios
    dest = folder / f"{sc.id}.yaml"
    existing = [p for p in (dest, folder / f"{sc.id}.yml") if p.is_file()]
    if existing:
        if existing[0].read_bytes() == raw:
            print(existing[0])
            print(f"pmsim: {sc.id} is already there, unchanged", file=sys.stderr)
            return 0
        if not args.replace:
            raise UserError(f"you already have a different scenario '{sc.id}' "
                            f"({existing[0]}); add --replace to replace it", 2)
    write_atomic(dest, raw)
    for other in existing:  # the same id as .yml would no longer be the one used
        if other != dest:
            other.unlink(missing_ok=True)
    print(dest)
    print(f"pmsim: added {sc.id}; play it with: pmsim play {sc.id}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- run


def _run(args: argparse.Namespace) -> int:
    if args.replications < 1 or args.replications > 100_000:
        raise UserError("--replications must be between 1 and 100000", 2)
    loaded = _load(args.scenario, args)
    from simulator.engine.headless import run
    from simulator.engine.simulation import SimulationError

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    try:
        if "[" in args.strategies or "]" in args.strategies:
            doc = _run_targeted(args, loaded)
        else:
            doc = run(loaded.scenario, args.seed, strategies, args.replications)
    except SimulationError as exc:
        raise UserError(str(exc)) from None
    from simulator.render.text import run_table

    if args.format == "json":
        _print_json(doc)
    else:
        print(run_table(loaded.scenario, doc))
    return 0


def _run_targeted(args: argparse.Namespace, loaded: LoadedScenario) -> dict:
    """``--strategies`` with targeting (``ID[grades=6,7;subgroups=el;capacity=40]``):
    malformed text is a usage error (exit 2), a name the scenario lacks exit 1."""
    from simulator.engine.targeting import (
        TargetingError,
        TargetingSyntaxError,
        parse_strategies,
        run_targeted,
    )

    try:
        adoptions = parse_strategies(args.strategies, loaded.scenario)
    except TargetingSyntaxError as exc:
        raise UserError(f"--strategies: {exc}", 2) from None
    except TargetingError as exc:
        raise UserError(f"--strategies: {exc}") from None
    return run_targeted(loaded.scenario, args.seed, adoptions, args.replications)


def _scenario_calibrate(args: argparse.Namespace) -> int:
    if not 2 <= args.replications <= 100_000:
        raise UserError("--replications must be between 2 and 100000", 2)
    if not 1 <= args.seeds <= 10_000:
        raise UserError("--seeds must be between 1 and 10000", 2)
    loaded = _load(args.scenario, args)
    from simulator.debrief.calibrate import CalibrationError, calibrate, calibration_table
    from simulator.engine.simulation import SimulationError
    from simulator.render.plain import printable

    bar = _progress_bar("calibrating") if sys.stderr.isatty() else None
    try:
        doc = calibrate(loaded.scenario, args.replications, args.seeds, progress=bar)
    except (CalibrationError, SimulationError) as exc:
        raise UserError(str(exc)) from None
    finally:
        if bar is not None:
            print(file=sys.stderr)
    if args.format == "json":
        _print_json(doc)
    else:
        print(printable(calibration_table(loaded.scenario, doc), keep="\n"))
    return 0


def _progress_bar(label: str, width: int = 30) -> Callable[[int, int], None]:
    """A one-line bar redrawn on stderr (for a terminal)."""

    def draw(done: int, total: int) -> None:
        filled = width * done // max(total, 1)
        print(f"\r{label} [{'#' * filled}{'-' * (width - filled)}] {done}/{total}",
              end="", file=sys.stderr, flush=True)

    return draw


# ---------------------------------------------------------------- sessions


def _home_of(args: argparse.Namespace) -> Home:
    """The pmsim home of ``--home`` / ``$PMSIM_HOME``: reports and caches go there."""
    from simulator.session.home import Home, HomeError

    try:
        return Home.locate(getattr(args, "home", None))  # bare `pmsim` has no options
    except HomeError as exc:
        raise UserError(str(exc)) from None


def _open_store(args: argparse.Namespace, *, readonly: bool = False) -> Store:
    """The store of ``--store`` / ``$PMSIM_STORE``, else the sessions file in the home;
    ``readonly`` for a command that only reads (it then works on a read-only home)."""
    from simulator.session.home import open_store, store_url

    return open_store(store_url(getattr(args, "store", None)), _home_of(args),
                      readonly=readonly)


@contextmanager
def _stored(args: argparse.Namespace, *, readonly: bool = False) -> Iterator[Store]:
    """The store, open for the block; a store problem (opening it or in the block) is the
    user's message, exit 1, never a traceback."""
    from simulator.session.store import StoreError

    try:
        with _open_store(args, readonly=readonly) as store:
            yield store
    except StoreError as exc:
        raise UserError(str(exc)) from None


def _session_list(args: argparse.Namespace) -> int:
    from simulator.workshop import workshop_ids

    with _stored(args, readonly=True) as store:
        hidden = workshop_ids(store)  # workshop logs are not sessions (rooms are)
        sessions = [s for s in store.list_sessions() if s.id not in hidden]
    rows = [
        {"id": s.id, "scenario": s.scenario, "created": s.created, "stage": s.stage,
         "seed": s.seed, "title": s.title}
        for s in sessions
    ]
    if args.format == "json":
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']}\t{r['scenario']}\t{r['created']}\t{r['stage']}")
    return 0


def _session_export(args: argparse.Namespace) -> int:
    """The transcript needs no scenario: without ``--scenario`` it names the session's own,
    with a note if that is gone or changed; with it, the file given (checked first)."""
    from simulator.formats.loading import scenario_ref
    from simulator.session.state import replay
    from simulator.session.transcript import transcript_from_events

    with _stored(args, readonly=True) as store:
        events = store.events(args.id)
        state = replay(events)
    if args.format == "xapi":
        return _export_xapi(args, state, events)
    if args.activity_base or args.account_home or args.actor_account or args.actor_mbox:
        raise UserError("--activity-base, --account-home, --actor-account and --actor-mbox"
                        " go with --format xapi", 2)
    transcript = transcript_from_events(state, events)
    if args.scenario_file is not None:
        loaded = _played_on(state, args.scenario_file, "the transcript names it as it is now")
        transcript = transcript.model_copy(update={"scenario": scenario_ref(loaded)})
    else:
        try:
            _played_on(state, None, "the transcript still names it")
        except UserError as exc:
            print(f"pmsim: note: {exc}", file=sys.stderr)
    _write_out(args.out, transcript.to_yaml())
    return 0


def _export_xapi(args: argparse.Namespace, state: SessionState, events: list) -> int:
    """The session's xAPI statements: scored on its scenario (``--scenario`` if it moved)."""
    from simulator.render import xapi

    loaded = _played_on(state, args.scenario_file, "the statements score it as it is now")
    try:
        base = xapi.check_base(args.activity_base or xapi.DEFAULT_BASE)
        actors = xapi.Actors.parse(args.account_home, args.actor_account, args.actor_mbox,
                                   base)
    except xapi.XapiOptionError as exc:
        raise UserError(str(exc), 2) from None
    with _engine_refusals():
        stated = xapi.statements(loaded.scenario, events, base=base, actors=actors)
    _write_out(args.out, xapi.to_json(stated))
    return 0


def _write_out(out: Path | None, text: str) -> None:
    """``text`` on stdout, or as the whole of ``out`` (a temporary file, then renamed), its
    path then on stdout as ``workshop export`` prints its own."""
    if out is None:
        sys.stdout.write(text)
        return
    from simulator.formats.atomic import write_atomic

    if not out.parent.is_dir():
        raise UserError(f"{out}: the folder {out.parent} does not exist", 2)
    write_atomic(out, text)
    print(out)


def _session_import(args: argparse.Namespace) -> int:
    """Validate the transcript against the scenario it names (or ``--scenario``), then save
    it as one new session, written in one transaction; its id alone on stdout."""
    from simulator.session.importing import import_transcript
    from simulator.session.transcript import TranscriptError, load_transcript

    path = Path(args.file)
    try:
        named = load_transcript(path)  # its own form first: which scenario it needs
        loaded = (_load(args.scenario_file, args) if args.scenario_file
                  else _load(named.scenario, args, path.parent))
        transcript = load_transcript(path, loaded.scenario)
    except TranscriptError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return 1
    with _stored(args) as store:
        info = import_transcript(store, transcript, loaded)
    print(info.id)
    return 0


# ---------------------------------------------------------------- debriefs


@contextmanager
def _engine_refusals() -> Iterator[None]:
    """What the engine refuses while replaying (e.g. more replications than this machine's
    memory holds, refused before allocating) is the user's message, exit 1."""
    from simulator.engine.simulation import SimulationError

    try:
        yield
    except SimulationError as exc:
        raise UserError(str(exc)) from None


def _check_replications(n: int) -> None:
    if n < 2 or n > 10_000:
        raise UserError("--replications must be between 2 and 10000", 2)


def _print_report(doc: Report, fmt: str) -> None:
    from simulator.render.html import render_html
    from simulator.render.markdown import render_markdown

    if fmt == "json":
        _print_json(doc.model_dump(mode="json"))
    elif fmt == "html":
        sys.stdout.write(render_html(doc))
    else:
        sys.stdout.write(render_markdown(doc))


def _debrief(args: argparse.Namespace) -> int:
    _check_replications(args.replications)
    loaded = _load(args.scenario, args)
    from simulator.debrief.report import build_report
    from simulator.session.transcript import TranscriptError, load_transcript

    sc = loaded.scenario
    try:
        transcript = load_transcript(Path(args.transcript), sc)
    except TranscriptError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return 1
    if not _names_scenario(transcript.scenario, transcript.scenario_sha256, args.scenario,
                           loaded):
        raise UserError(
            f"{args.transcript} is a transcript of scenario '{transcript.scenario}', not '{sc.id}'"
        )
    doc = build_report(sc, transcript.state(), final=args.final, replications=args.replications,
                       participants=transcript.participants, cache_dir=_home_of(args).cache)
    _print_report(doc, args.format)
    return 0


def _names_scenario(named: str, sha256: str | None, ref: str, loaded: LoadedScenario) -> bool:
    """A transcript is of the scenario given as ``ref`` if it names it by id or as given, names
    the same file (sessions name theirs by absolute path), or was played on these bytes."""
    if named in (loaded.scenario.id, ref) or sha256 == loaded.sha256:
        return True
    try:
        return Path(named).resolve() == loaded.path.resolve()
    except (OSError, RuntimeError):
        return False


def _report(args: argparse.Namespace) -> int:
    _check_replications(args.replications)
    from simulator.session.state import replay

    with _stored(args, readonly=True) as store:
        state = replay(store.events(args.id))
    loaded = _played_on(state, args.scenario_file, "the report uses it as it is now")
    from simulator.debrief.report import build_report

    doc = build_report(loaded.scenario, state, final=args.final,
                       replications=args.replications, cache_dir=_home_of(args).cache)
    _print_report(doc, args.format)
    return 0


def _progress(args: argparse.Namespace) -> int:
    from simulator.debrief.progress import progress
    from simulator.render.text import progress_table

    with _stored(args, readonly=True) as store:
        doc = progress(store, args.participant)
    if args.format == "json":
        _print_json(doc.model_dump(mode="json"))
    else:
        print(progress_table(doc))
    return 0


# ---------------------------------------------------------------- the TUI


def _play(args: argparse.Namespace) -> int:
    from simulator.session.home import store_url
    from simulator.session.store import StoreError

    _home_of(args)  # a home pmsim can't use is a message here, before the TUI starts
    given = getattr(args, "scenario_file", None)
    if given is not None and not getattr(args, "session", None):
        raise UserError("--scenario goes with --session; to start a session on a file, "
                        "name it: pmsim play PATH", 2)
    solo = getattr(args, "solo", None)
    persona = getattr(args, "persona", None)
    if persona is not None and solo is None:
        raise UserError("--persona goes with --solo: pmsim play SCENARIO --solo state "
                        "--persona ID", 2)
    if solo is not None and getattr(args, "session", None):
        raise UserError("--solo starts a new session; a saved solo session resumes as solo "
                        "with --session ID alone", 2)
    if solo is not None and getattr(args, "role", None):
        raise UserError("--solo names your role; leave out --role", 2)
    if solo is not None:
        _check_persona(args, solo, persona)
    if store_url(getattr(args, "store", None)) is not None:
        try:  # a store pmsim can't open is a message here, not an error inside the TUI
            _open_store(args, readonly=True).close()
        except StoreError as exc:
            raise UserError(str(exc)) from None
    try:
        from tui.app import launch
    except ImportError as exc:  # pragma: no cover - a broken install
        raise UserError(f"the meeting room is not available: {exc}") from None
    return launch(
        scenario=given if getattr(args, "session", None) else getattr(args, "scenario", None),
        seed=getattr(args, "seed", None),
        session=getattr(args, "session", None),
        role=getattr(args, "role", None),
        home=getattr(args, "home", None),
        store=getattr(args, "store", None),
        solo=solo,
        persona=persona,
    )


def _check_persona(args: argparse.Namespace, solo: str, persona: str | None) -> None:
    """A persona ``--solo`` can play against, or the user's error, before the TUI starts."""
    from pmsim.solo_cli import load_persona

    loaded = _load(getattr(args, "scenario", None) or "hudson", args)
    load_persona(persona or "", [loaded.scenario], role=solo)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
