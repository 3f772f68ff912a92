"""``pmsim persona …`` and ``pmsim solo``: personas and headless solo practice.

Registered by :mod:`pmsim.cli` (``add_parsers`` and ``dispatch``); like the rest of the
command, heavy modules are imported inside the handlers and every user error ends as
a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.counterpart.conversation import Conversation
    from simulator.formats.persona import Persona
    from simulator.formats.scenario import Scenario


def add_parsers(sub: argparse._SubParsersAction, seed: Any, home: Any) -> None:
    """The ``persona`` and ``solo`` commands (``seed``: the ``--seed`` type, ``home``: the
    function adding ``--home``)."""
    persona = sub.add_parser("persona", help="list, show, validate persona files")
    psub = persona.add_subparsers(dest="action", metavar="ACTION", required=True)
    plist = psub.add_parser("list", help="built-in personas: ID<TAB>ROLE<TAB>TITLE")
    plist.add_argument("--format", choices=["json", "table"], default="table")
    show = psub.add_parser("show", help="a validated persona, defaults filled in")
    show.add_argument("persona", metavar="ID", help="a built-in persona id, or a file path")
    show.add_argument("--format", choices=["json", "text"], default="text")
    validate = psub.add_parser("validate", help="check persona files; every problem at once")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.add_argument("--scenario", action="append", default=None, metavar="SCENARIO",
                          help="check strategy references against this scenario (repeatable;"
                               " default: every built-in scenario)")
    validate.add_argument("--walk", type=int, default=0, metavar="N",
                          help="also play N seeded random conversations on each scenario and "
                               "note the lines none of them reached")
    home(validate, store=False)
    psub.add_parser("schema", help="the persona JSON Schema")

    solo = sub.add_parser("solo", help="practise alone, headless: a conversation with a "
                                       "persona from a file of what you say")
    solo.add_argument("scenario", help="built-in id (e.g. hudson) or a file path")
    solo.add_argument("--as", dest="role", choices=["state", "district"], required=True,
                      help="the role you play; the persona plays the other")
    solo.add_argument("--persona", default=None, metavar="ID",
                      help="the persona to talk to (a built-in id or a file; default: the "
                           "built-in for the other role)")
    solo.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    solo.add_argument("--meeting", default=None, metavar="ID",
                      help="the meeting held (default: the scenario's first)")
    solo.add_argument("--say", required=True, metavar="FILE",
                      help="a YAML list of what you say, one string each (or a built-in "
                           "example's name, e.g. hudson-strong)")
    solo.add_argument("--hints", action="store_true",
                      help="with each turn, what a skilled lead would look at or ask next")
    solo.add_argument("--format", choices=["json", "text", "transcript"], default="text",
                      help="text (the conversation), json, or transcript: the meeting as a "
                           "transcript (both sides' records and decisions, closed) for "
                           "`pmsim debrief` and `pmsim session import`")
    home(solo, store=False)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "solo":
        return _solo(args)
    return {"list": _list, "show": _show, "validate": _validate,
            "schema": _schema}[args.action](args)


def _error(message: str, code: int = 1) -> Exception:
    from pmsim.cli import UserError

    return UserError(message, code)


def _print_json(doc: object) -> None:
    from pmsim.cli import _print_json as print_json

    print_json(doc)


# ---------------------------------------------------------------- personas


def _builtin_scenarios() -> list[Scenario]:
    from simulator.formats.loading import builtin_paths, parse_scenario

    return [parse_scenario(p.read_bytes(), str(p)) for p in builtin_paths()]


def load_persona(ref: str, scenarios: list[Scenario], role: str | None = None) -> Persona:
    """A persona by built-in id or path, validated (strategy references against
    ``scenarios``), or the user's error; with ``role`` (the player's), the persona for
    the other role — ``ref`` or, when it is empty, the default one."""
    from simulator.counterpart import solo
    from simulator.formats.persona import PersonaError

    try:
        if role is not None:
            return solo.choose_persona(role, ref or None, scenarios[0])
        return solo.load_persona(ref, scenarios)
    except PersonaError as exc:
        raise _error("invalid persona:\n" + "\n".join(exc.lines())) from None
    except OSError as exc:
        raise _error(f"cannot read {ref}: {exc.strerror or exc}") from None
    except ValueError as exc:  # PersonaNotFound, or a persona of the player's own role
        raise _error(str(exc)) from None


def _list(args: argparse.Namespace) -> int:
    from simulator.formats.persona import PersonaError, builtin_paths, parse_persona
    from simulator.render.plain import printable

    rows = []
    for path in builtin_paths():
        try:
            p = parse_persona(path.read_bytes(), str(path))
        except PersonaError as exc:
            print("\n".join(exc.lines()), file=sys.stderr)
            continue
        rows.append({"id": p.id, "role": p.role, "title": p.title, "name": p.name,
                     "path": str(path)})
    if args.format == "json":
        _print_json(rows)
        return 0
    for row in rows:
        print(f"{printable(row['id'])}\t{row['role']}\t{printable(row['title'])}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from simulator.render.plain import printable

    p = load_persona(args.persona, _builtin_scenarios())
    if args.format == "json":
        _print_json(p.model_dump(mode="json"))
        return 0
    print(printable(f"{p.name} — {p.title} ({p.role})"))
    print()
    print(printable(p.background))
    print()
    print(printable(f"Stance: {p.stance}"))
    for bias in p.biases:
        print(printable(f"  · {bias}"))
    print("Dials: " + ", ".join(printable(f"{d.label} {d.start}") for d in p.dials))
    print(f"Facts: {len(p.facts)} of its own, plus the scenario's briefing and hidden truths")
    print(f"Lines: {sum(len(g.lines) for g in p.lines)} in {len(p.lines)} groups")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from pmsim.cli import read_to_check
    from simulator.formats.persona import PersonaError, builtin_dir, parse_persona
    from simulator.formats.yamlsafe import load_bytes

    scenarios = _scenarios(args.scenario, args) if args.scenario else _builtin_scenarios()
    status = 0
    for name in args.paths:
        path = Path(name)
        if not path.exists() and "/" not in name and (builtin_dir() / f"{name}.yaml").is_file():
            path = builtin_dir() / f"{name}.yaml"
        raw = read_to_check(name, path, what="a persona file")
        if isinstance(raw, int):
            status = max(status, raw)
            continue
        try:
            persona = parse_persona(raw, name, scenarios)
        except PersonaError as exc:
            print("\n".join(exc.lines()), file=sys.stderr)
            status = max(status, 1)
            continue
        if args.walk > 0:
            from simulator.counterpart.walk import unreached

            marks = load_bytes(raw)
            for sc in scenarios:
                for u in unreached(persona, sc, conversations=args.walk):
                    gi = next(i for i, g in enumerate(persona.lines) if g.id == u.group)
                    line, col = marks.locate(("lines", gi, "lines", u.index, "text"))
                    print(f"{name}:{line}:{col}: note: line {u.index + 1} of '{u.group}' was "
                          f"never said in {args.walk} random conversations on {sc.id}",
                          file=sys.stderr)
        print(f"{name}: ok")
    return status


def _scenarios(refs: list[str], args: argparse.Namespace) -> list[Scenario]:
    from pmsim.cli import _load

    return [_load(ref, args).scenario for ref in refs]


def _schema(args: argparse.Namespace) -> int:
    from simulator.formats.persona import json_schema

    _print_json(json_schema())
    return 0


# ---------------------------------------------------------------- solo


def _say_path(ref: str) -> Path:
    """The file of what the player says: a path, else a built-in example's name."""
    from personas import EXAMPLES

    path = Path(ref)
    if path.is_file() or "/" in ref:
        return path
    example = EXAMPLES / f"{ref}.yaml"
    if example.is_file():
        return example
    known = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    raise _error(f"{ref}: no such file, and no built-in example of that name "
                 f"({', '.join(known)})")


def read_said(ref: str) -> list[str]:
    """What the player says, from a YAML list of strings; every problem at its line."""
    from simulator.formats.yamlsafe import Problem, YamlError, load_bytes, read_limited

    path = _say_path(ref)
    try:
        raw = read_limited(path, what="a conversation file")
    except FileNotFoundError:
        raise _error(f"{ref}: no such file") from None
    except OSError as exc:
        raise _error(f"{ref}:1:1: {exc.strerror or exc}") from None
    try:
        loaded = load_bytes(raw)
    except YamlError as exc:
        raise _error("\n".join(p.format(ref) for p in exc.problems)) from None
    data = loaded.data
    if not isinstance(data, list) or not data:
        problem = Problem(*loaded.locate(()), "a conversation file is a list of what you "
                                              "say: one '- ' line of text each")
        raise _error(problem.format(ref))
    problems = [Problem(*loaded.locate((i,)), f"item {i + 1} is not text: write what you say "
                                              "as a string (quote it if needed)")
                for i, item in enumerate(data)
                if not isinstance(item, str) or not item.strip()]
    if problems:
        raise _error("\n".join(p.format(ref) for p in problems))
    return [str(item) for item in data]


def _solo(args: argparse.Namespace) -> int:
    from pmsim.cli import _load

    loaded = _load(args.scenario, args)
    scenario = loaded.scenario
    persona = load_persona(args.persona or "", [scenario], role=args.role)
    meetings = [m.id for m in scenario.calendar.meetings]
    if args.meeting is not None and args.meeting not in meetings:
        raise _error(f"no meeting '{args.meeting}' in {scenario.id} (its meetings: "
                     f"{', '.join(meetings)})")
    said = read_said(args.say)
    from simulator.counterpart.conversation import Conversation
    from simulator.counterpart.hints import hint

    conversation = Conversation(persona, scenario, seed=args.seed, meeting=args.meeting)
    turns = []
    for text in said:
        coach = hint(conversation) if args.hints else None
        turn = conversation.say(text)
        entry: dict[str, Any] = {
            "said": text, "move": turn.understood.move, "reply": turn.reply,
            "revealed": list(turn.revealed), "grounded": turn.understood.grounded,
            "view": turn.understood.view, "strategy": turn.understood.strategy,
            "dials": turn.dials,
            "events": [{"kind": kind, "payload": payload} for kind, payload in turn.events]}
        if coach is not None:
            entry["hint"] = coach.as_dict()
        turns.append(entry)
    doc = _document(conversation, args, turns)
    if args.format == "transcript":
        from simulator.counterpart.transcript import solo_transcript
        from simulator.formats.loading import scenario_ref

        sys.stdout.write(solo_transcript(conversation, args.role, scenario_ref(loaded)).to_yaml())
    elif args.format == "json":
        _print_json(doc)
    else:
        _print_text(conversation, doc)
    return 0


def _document(conversation: Conversation, args: argparse.Namespace,
              turns: list[dict[str, Any]]) -> dict[str, Any]:
    turning = conversation.turning_point()
    return {
        "persona": conversation.persona.id,
        "scenario": conversation.scenario.id,
        "role": args.role,
        "seed": args.seed,
        "meeting": conversation.meeting,
        "opening": conversation.opening.text,
        "turns": turns,
        "decisions": conversation.standing_decisions(),
        "records": conversation.records,
        "revealed": list(conversation.revealed),
        "missed": conversation.missed(),
        "turning_point": None if turning is None else turning.number,
        "dials": dict(conversation.dials),
    }


def _print_text(conversation: Conversation, doc: dict[str, Any]) -> None:
    from simulator.formats.persona import MOVE_BY_ID
    from simulator.render.plain import printable

    p = conversation.persona
    who = printable(p.name)
    print(printable(f"{conversation.meeting_title()} — you are the {doc['role']} lead; "
                    f"{p.name} ({p.title}) is the {p.role} lead."))
    print()
    print(f"{who}: {printable(doc['opening'])}")
    for n, t in enumerate(doc["turns"], 1):
        print()
        print(f"{n}. You: {printable(t['said'])}")
        grounded = ", grounded in data" if t["grounded"] else ""
        print(f"   (understood as: {MOVE_BY_ID[t['move']].label.lower()}{grounded})")
        if "hint" in t:
            print(f"   hint: {printable(t['hint']['text'])}")
        print(f"{who}: {printable(t['reply'])}")
        if t["revealed"]:
            print(f"   revealed: {', '.join(t['revealed'])}")
    print()
    print("Decisions: " + (", ".join(f"{d['action']} {d['strategy']}" for d in doc["decisions"])
                           or "none"))
    print(f"Records {p.name} wrote: {len(doc['records'])}")
    if doc["turning_point"] is not None:
        print(f"The conversation turned at {doc['turning_point']} (trust moved most).")
    if doc["missed"]:
        print("A better question would have brought out:")
        for m in doc["missed"]:
            needs = "".join(f", {k.lower()} {v}" for k, v in m["needs"].items())
            print(printable(f"  · {m['fact']} — {m['moves'][0].lower()}{needs}"))
