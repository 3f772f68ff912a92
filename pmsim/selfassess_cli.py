"""``pmsim self-assess``: the State self-assessment and its one-page handout, headless.

Registered by :mod:`pmsim.cli` (``add_parser`` and ``dispatch``). The answers come
from a file (``--answers``, strict: every problem at its line and column), from a
session's own self-assessment (saved in the meeting room), or, at a terminal, line
by line. Like the rest of the command, heavy modules are imported inside the
handler, and every user error is a message, never a traceback: 1 for an answers
file that is invalid or an unknown session, 2 for usage. With no answers at all (no
file, none saved, no terminal) it prints the blank self-assessment: a worksheet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from simulator.debrief.selfassess import Answers, SelfAssessment


def add_parser(sub: argparse._SubParsersAction, home: Any) -> None:
    """The ``self-assess`` command (``home``: the function adding ``--home``/``--store``)."""
    p = sub.add_parser(
        "self-assess",
        help="rate your own State on the eleven sub-elements; a one-page handout with the "
             "take-home exercise drafted from the gaps")
    p.add_argument("--session", metavar="ID", default=None,
                   help="set the ratings beside what this saved session practised (and, "
                        "without --answers, use the self-assessment saved in it)")
    p.add_argument("--answers", metavar="FILE", default=None,
                   help="a YAML or JSON answers file (pmsim self-assess --template writes "
                        "one); without it, at a terminal, the questions are asked line by "
                        "line")
    p.add_argument("--role", choices=["state", "district"], default=None,
                   help="with --session and no --answers: whose saved self-assessment "
                        "(default: the first role that saved one)")
    p.add_argument("--state", metavar="NAME", default=None,
                   help="your State's name (overrides the answers' own)")
    p.add_argument("--format", choices=["md", "html", "json"], default="md")
    p.add_argument("--out", metavar="FILE", type=Path, default=None,
                   help="write the handout (or the template) to FILE instead of stdout "
                        "(a temporary file, then renamed)")
    p.add_argument("--template", action="store_true",
                   help="print a fill-in answers file instead of a handout")
    p.add_argument("--scenario", dest="scenario_file", metavar="PATH", default=None,
                   help="with --session: the scenario file, when it is no longer where the "
                        "session was started")
    home(p, store=True)


def _error(message: str, code: int = 1) -> Exception:
    from pmsim.cli import UserError

    return UserError(message, code)


def dispatch(args: argparse.Namespace) -> int:
    from simulator.debrief.selfassess import AnswersError, template

    if args.template:
        if args.answers or args.session:
            raise _error("--template prints a blank answers file; leave out --answers and "
                         "--session", 2)
        _emit(template(args.state or ""), args.out)
        return 0
    if args.role and (args.answers or not args.session):
        raise _error("--role picks a session's saved self-assessment: use it with "
                     "--session and without --answers", 2)
    try:
        doc = _assessment(args)
    except AnswersError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return 1
    _emit(_rendered(doc, args.format), args.out)
    return 0


def _assessment(args: argparse.Namespace) -> SelfAssessment:
    from simulator.debrief.selfassess import answers_from_events, assess, assess_session

    answers = _load_answers(args.answers) if args.answers else None
    if args.session is None:
        answers = answers or _asked(args)
        return assess(_named(answers, args.state))
    from pmsim.cli import _played_on, _stored
    from simulator.session.state import replay

    with _stored(args, readonly=True) as store:
        state = replay(store.events(args.session))
    loaded = _played_on(state, args.scenario_file, "the self-assessment uses it as it is now")
    if answers is None:
        roles = [r for r in ("state", "district") if state.selfassess.get(r)]
        role = args.role or (roles[0] if roles else None)
        saved = answers_from_events(state.selfassess.get(role or "", {}))
        if saved is None and args.role:
            raise _error(f"session {args.session}: the {args.role} has saved no "
                         "self-assessment")
        answers = saved or _asked(args)
    return assess_session(loaded.scenario, state, _named(answers, args.state))


def _load_answers(name: str) -> Answers:
    from simulator.debrief.selfassess import load_answers

    path = Path(name)
    if not path.is_file():
        raise _error(f"{name}: no such file (pmsim self-assess --template writes one)", 2)
    return load_answers(path)


def _named(answers: Answers, state: str | None) -> Answers:
    if state is None:
        return answers
    from simulator.debrief.selfassess import STATE_MAX

    name = " ".join(state.split())
    if len(name) > STATE_MAX:
        raise _error(f"--state: at most {STATE_MAX} characters", 2)
    return answers.model_copy(update={"state": name})


def _asked(args: argparse.Namespace) -> Answers:
    """At a terminal, the questions; elsewhere (a script, a pipe) the blank self-assessment,
    a worksheet to fill in by hand, with a note saying how to give answers."""
    from simulator.debrief.selfassess import Answers

    if not sys.stdin.isatty():
        print("pmsim: note: no answers given, so this is the blank self-assessment to fill "
              "in by hand; give --answers FILE (pmsim self-assess --template writes one), "
              "or run it at a terminal to answer line by line", file=sys.stderr)
        return Answers()
    return ask(sys.stdin.readline, sys.stderr, args.state or "")


def ask(readline: Callable[[], str], out: TextIO, state: str = "") -> Answers:
    """The questions asked line by line (on ``out``, so stdout keeps only the handout): a
    level and a sentence per sub-element; an empty level skips it, end of input stops."""
    from simulator.debrief.selfassess import (
        ELEMENTS,
        EVIDENCE_MAX,
        SUB_ELEMENTS,
        Answers,
        SelfRating,
        parse_level,
    )

    def line(prompt: str) -> str | None:
        out.write(prompt)
        out.flush()
        text = readline()
        return None if text == "" else " ".join(text.split())

    out.write("Rate your own State's routines today, one sub-element at a time.\n"
              "Level: 1 Inadequate, 2 Emerging, 3 Strong, 4 Exemplary (or the word); "
              "Enter skips.\n")
    if not state:
        state = (line("Your State's name (optional): ") or "")[:80]
    ratings: dict[str, SelfRating] = {}
    for sid, name in SUB_ELEMENTS.items():
        out.write(f"\n{sid} {name} ({ELEMENTS[sid[0]]})\n")
        level = None
        while level is None:
            given = line("  level: ")
            if not given:
                break
            level = parse_level(given)
            if level is None:
                out.write("  a level is 1–4 or Inadequate, Emerging, Strong, Exemplary\n")
        if level is None:
            if given is None:
                break
            continue
        evidence = ""
        while not evidence:
            got = line("  evidence, one sentence: ")
            if got is None:
                break
            evidence = got[:EVIDENCE_MAX]
        if not evidence:
            break
        ratings[sid] = SelfRating(level=level, evidence=evidence)
    out.write("\n")
    return Answers(state=state, ratings=ratings)


def _rendered(doc: SelfAssessment, fmt: str) -> str:
    import json

    from simulator.render.handout import render_handout_html, render_handout_markdown
    from simulator.render.plain import json_printable

    if fmt == "json":
        return json_printable(json.dumps(doc.model_dump(mode="json"), indent=2,
                                         ensure_ascii=False)) + "\n"
    return render_handout_html(doc) if fmt == "html" else render_handout_markdown(doc)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from simulator.formats.atomic import write_atomic

    write_atomic(out, text)
