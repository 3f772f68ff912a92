"""Fault injection for pmsim: a scripted Hudson playthrough killed at random, and its checks.

The playthrough is the strong worked transcript played through the real session client
(``Room``), a step per store call, with stage changes, a record updated and removed and a
note added besides. ``python tests/faultlib.py play HOME`` plays it in a process of its
own: it resumes the session it finds in HOME (or starts one), works out from the store
alone how far it got, carries on, and prints ``ACK SEQ KIND`` for every event once the
store call that appended it has returned. :func:`kill_campaign` runs that process again
and again, each time killing it with SIGKILL at a seeded random moment.

Used by tests/test_faults_kill.py (a short campaign) and benchmarks/bench_faults.py (a
long one); tests import it as ``from faultlib import ...`` (tests/ is not a package).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STRONG = ROOT / "scenarios" / "hudson-strong-transcript.yaml"
SCENARIO = "hudson"
SEED = 1
PARTICIPANT = "Fault drill"
PARTIAL_EXIT = 3
"""The player's exit status when the store holds part of a step (a torn transaction)."""


@dataclass(frozen=True)
class Step:
    """One call of the session client, appending ``kinds`` in one store transaction."""

    call: str
    """"view", "record", "decision", "update", "remove", "close", "stage" or "event"."""
    role: str
    args: dict[str, Any]
    kinds: tuple[str, ...]
    ref: str | None = None
    """The transcript's id of the record this step adds (later steps name it by this)."""


def hudson_script() -> list[Step]:
    """The strong transcript as client calls, with the stage changes the TUI records."""
    from simulator.formats.loading import load_scenario
    from simulator.session.transcript import load_transcript

    scenario = load_scenario(SCENARIO).scenario
    meetings = [m.id for m in scenario.calendar.meetings]
    entries = [
        (e.event, e.by, e.model_dump(mode="json", exclude={"event", "by"}))
        for e in load_transcript(STRONG, scenario).events
    ]
    steps = [Step("stage", "state", {"stage": meetings[0], "screen": "meeting"},
                  ("stage.changed",))]
    i = 0
    while i < len(entries):
        kind, role, p = entries[i]
        if kind == "decision.made":
            _, _, minute = entries[i + 1]  # the transcript keeps a decision and its minute together
            fields = {k: v for k, v in minute["fields"].items() if k not in ("strategy", "action")}
            steps.append(Step("decision", role, {**p, "fields": fields},
                              ("decision.made", "record.added"), minute["record_id"]))
            i += 2
            continue
        if kind == "record.added":
            steps.append(Step("record", role, p, (kind,), p["record_id"]))
            if p["record_id"] == "f1":  # a second thought: written, reworded, withdrawn
                scratch = {"meeting": p["meeting"], "record_id": "scratch", "kind": "finding",
                           "fields": {"statement": "A first guess", "about": "performance"}}
                steps += [
                    Step("record", role, scratch, (kind,), "scratch"),
                    Step("update", role, {"record_id": "scratch", "fields": {
                        "statement": "A second guess", "about": "performance"}},
                        ("record.updated",)),
                    Step("remove", role, {"record_id": "scratch"}, ("record.removed",)),
                    Step("event", role, {"kind": "note.added", "payload": {
                        "text": "Ask the principal about grade 8 schedules"}}, ("note.added",)),
                ]
        elif kind == "view.opened":
            steps.append(Step("view", role, p, (kind,)))
        elif kind == "meeting.closed":
            n = meetings.index(p["meeting"]) + 1
            after = "end" if n == len(meetings) else f"debrief-{n}"
            steps += [Step("close", role, p, (kind,)),
                      Step("stage", role, {"stage": after, "screen": "debrief"},
                           ("stage.changed",))]
        else:  # polls and take-home answers
            steps.append(Step("event", role, {"kind": kind, "payload": p}, (kind,)))
            ahead = entries[i + 1][0] if i + 1 < len(entries) else None
            if kind == "poll.answered" and ahead not in ("poll.answered", None):
                closed = sum(1 for s in steps if s.call == "close")
                if closed < len(meetings):
                    steps.append(Step("stage", role, {"stage": meetings[closed],
                                                      "screen": "meeting"}, ("stage.changed",)))
        i += 1
    return steps


def expected_kinds(steps: list[Step]) -> list[str]:
    """The kinds of a complete playthrough's log, in order, session.created first."""
    return ["session.created", *(k for s in steps for k in s.kinds)]


# --------------------------------------------------------------------------- the player


def _position(steps: list[Step], last_seq: int) -> int:
    """How many steps a log of ``last_seq`` events holds; exit PARTIAL_EXIT if it holds
    part of one (a transaction torn by the kill)."""
    seq = 1
    for i, step in enumerate(steps):
        if seq == last_seq:
            return i
        seq += len(step.kinds)
    if seq == last_seq:
        return len(steps)
    print(f"PARTIAL {last_seq}", flush=True)
    sys.exit(PARTIAL_EXIT)


def _record_ids(steps: list[Step], done: int, log: list[Any]) -> dict[str, str]:
    """Transcript id → the id the client gave, for the records of the first ``done`` steps."""
    ids: dict[str, str] = {}
    seq = 2
    for step in steps[:done]:
        if step.ref is not None:
            offset = step.kinds.index("record.added")
            ids[step.ref] = log[seq + offset - 1].payload["record_id"]
        seq += len(step.kinds)
    return ids


def _perform(room: Any, step: Step, ids: dict[str, str]) -> None:
    """Make the call ``step`` names; remembers the id of a record it adds."""
    a = step.args
    room.speaker = step.role
    if step.call == "view":
        room.open_view(a["view"], a["quarter"], a["filters"])
    elif step.call == "record":
        fields = dict(a["fields"])
        if "record_id" in fields:  # a follow-up names the action step it follows
            fields["record_id"] = ids[fields["record_id"]]
        ids[a["record_id"]] = room.add_record(a["meeting"], a["kind"], fields)
    elif step.call == "decision":
        assert step.ref is not None
        ids[step.ref] = room.make_decision(a["meeting"], a["strategy"], a["action"],
                                           a["fields"], a["options"])
    elif step.call == "update":
        room.append("record.updated", {"record_id": ids[a["record_id"]], "fields": a["fields"]})
    elif step.call == "remove":
        room.remove_record(ids[a["record_id"]])
    elif step.call == "close":
        room.close_meeting(a["meeting"])
    elif step.call == "stage":
        room.set_stage(a["stage"], a["screen"])
    else:
        room.append(a["kind"], a["payload"])


def play(home: Path) -> int:
    """Play the script to its end in ``home``'s session, resuming where the store says."""
    from simulator.session.client import Room
    from simulator.session.home import Home, open_store

    where = Home(home)
    with open_store(None, where) as store:
        sessions = store.list_sessions()
    if sessions:
        room = Room.resume(where, sessions[0].id)
    else:
        room = Room.new(where, SCENARIO, SEED, participant=PARTICIPANT)
        print(f"ACK 1 session.created {room.session_id}", flush=True)
    steps = hudson_script()
    done = _position(steps, room.state.last_seq)
    ids = _record_ids(steps, done, room.store.events(room.session_id))
    print(f"READY {done} {len(steps)}", flush=True)
    for step in steps[done:]:
        before = room.state.last_seq
        _perform(room, step, ids)
        if room.state.last_seq != before + len(step.kinds):
            print(f"MISCOUNT {before} {room.state.last_seq} {step.call}", flush=True)
            return 4
        lines = [f"ACK {before + 1 + i} {kind}" for i, kind in enumerate(step.kinds)]
        print("\n".join(lines), flush=True)
    room.close()
    print("DONE", flush=True)
    return 0


# --------------------------------------------------------------------------- the campaign


@dataclass
class Campaign:
    """What a kill campaign did and saw."""

    runs: int = 0
    kills: int = 0
    kills_in_startup: int = 0
    """Kills before the player reported READY (while importing, opening or resuming)."""
    acknowledged: dict[int, str] = field(default_factory=dict)
    """seq → kind of every event a player printed as saved."""
    failures: list[str] = field(default_factory=list)
    """Players that ended other than by the kill or DONE, with their output."""
    seconds: float = 0.0


def _player(home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, __file__, "play", str(home)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


def _reader(proc: subprocess.Popen[str], lines: list[tuple[float, str]]) -> threading.Thread:
    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.monotonic(), line))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _ready(lines: list[tuple[float, str]]) -> tuple[float, int, int] | None:
    """When the player said READY, with its steps done and in all; None before."""
    for at, line in lines:
        if line.startswith("READY"):
            _, done, total = line.split()
            return at, int(done), int(total)
    return None


def _kill(proc: subprocess.Popen[str], lines: list[tuple[float, str]], rng: random.Random,
          startup_share: float, kills_left: int, step_time: float) -> None:
    """SIGKILL ``proc`` at a seeded moment (unless it has ended by then)."""
    if rng.random() < startup_share:
        moment = time.monotonic() + rng.uniform(0.0, 1.0)
    else:
        while proc.poll() is None and _ready(lines) is None:
            time.sleep(0.002)
        ready = _ready(lines)
        if ready is None:  # it ended without playing: the caller reports it
            return
        said, done, total = ready
        per_kill = (total - done) / kills_left
        moment = said + rng.uniform(0.0, 2.0 * per_kill * step_time)
    while proc.poll() is None and time.monotonic() < moment:
        time.sleep(0.0005)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)


def kill_campaign(home: Path, kills: int, seed: int, startup_share: float = 0.15) -> Campaign:
    """Play the script in ``home`` through ``kills`` SIGKILLs, then once to its end.

    Each kill lands at a seeded moment: a ``startup_share`` of them anywhere in the first
    second after the player starts (importing, opening, resuming), the others after its
    READY, spread so that the kills still to come cover the steps still to play at the
    pace the players have shown. A player that ends before its moment is run again.
    """
    rng = random.Random(seed)
    out = Campaign()
    step_time = 0.01
    started = time.monotonic()
    while True:
        final = out.kills >= kills
        proc = _player(home)
        lines: list[tuple[float, str]] = []
        reader = _reader(proc, lines)
        out.runs += 1
        if not final:
            _kill(proc, lines, rng, startup_share, kills - out.kills, step_time)
        proc.wait()
        reader.join()
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.stderr.close()
        acks = [(at, ln.split()) for at, ln in lines if ln.startswith("ACK ") and ln.endswith("\n")]
        out.acknowledged |= {int(parts[1]): parts[2] for _, parts in acks}
        if len(acks) >= 2:
            step_time = max(0.001, (acks[-1][0] - acks[0][0]) / (len(acks) - 1) * 1.5)
        if proc.returncode == -signal.SIGKILL:
            out.kills += 1
            out.kills_in_startup += _ready(lines) is None
        elif not (proc.returncode == 0 and lines and lines[-1][1] == "DONE\n"):
            text = "".join(ln for _, ln in lines)
            out.failures.append(f"exit {proc.returncode}:\n{text}{err}")
        if final:
            break
    out.seconds = time.monotonic() - started
    return out


# --------------------------------------------------------------------------- lock and disk

LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("LOCKED", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""
"""A process holding the write lock of the SQLite file it is given until its stdin closes."""


@contextmanager
def held_write_lock(path: Path) -> Iterator[None]:
    """A process of its own holds the write lock (``BEGIN IMMEDIATE``) on ``path``."""
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "LOCKED\n"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


@contextmanager
def small_file_system(where: Path, size: str = "256k") -> Iterator[str | None]:
    """A tmpfs of ``size`` mounted on ``where`` for the block; yields None, or why it could
    not be mounted (mounting needs root, or CAP_SYS_ADMIN in a container)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(where)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        yield mounted.stderr.strip() or f"mount exited {mounted.returncode}"
        return
    try:
        yield None
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# --------------------------------------------------------------------------- checks


def session_of(home: Path) -> str:
    """The one session a campaign played in ``home``."""
    from simulator.session.home import Home, open_store

    with open_store(None, Home(home)) as store:
        [info] = store.list_sessions()
    return info.id


def stored_seqs(path: Path, session_id: str) -> list[int]:
    """The seqs the sessions file holds for a session, read with plain SQL."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT seq FROM events WHERE session_id = ? ORDER BY seq",
                            (session_id,)).fetchall()
    finally:
        conn.close()
    return [seq for (seq,) in rows]


def lost_events(home: Path, run: Campaign) -> dict[int, str]:
    """Events a player acknowledged that the store does not hold (seq → kind)."""
    from simulator.session.home import Home, open_store

    with open_store(None, Home(home)) as store:
        stored = {e.seq: e.kind for e in store.events(session_of(home))}
    return {seq: kind for seq, kind in run.acknowledged.items() if stored.get(seq) != kind}


def run_cli(argv: list[str]) -> tuple[int | None, str, str, str | None]:
    """``pmsim ARGV`` through ``pmsim.cli.main``: exit status, stdout, stderr, and the
    traceback of any exception that escaped it."""
    import contextlib
    import io
    import traceback

    from pmsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    crash = None
    code: int | None = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # any escape is what the callers look for
            crash = traceback.format_exc()
    return code, out.getvalue(), err.getvalue(), crash


def _figures(sim: Any) -> list[Any]:
    return [(r.scores, *r.strand_scores, r.absences, r.absences_ytd) for r in sim.history]


def resume_differences(home: Path, copy_home: Path) -> list[str]:
    """How resuming the session in ``home`` differs from a fresh replay of its events:
    the plan, every simulated figure, and ``pmsim report --format json``'s bytes."""
    import numpy as np

    from simulator.engine.playthrough import simulate
    from simulator.session.client import Room
    from simulator.session.home import Home
    from simulator.session.state import plan_of, replay

    sid = session_of(home)
    room = Room.resume(Home(home), sid)
    try:
        plan = room.plan()
        room.simulate(plan[:1])  # as the TUI does: a meeting at a time, the simulation kept
        resumed = room.simulate(plan)
        log = room.store.events(sid)
    finally:
        room.close()
    state = replay(log)
    fresh, _ = simulate(room.scenario, state.seed, plan_of(state))
    out = []
    if plan_of(state) != plan or len(plan) != len(room.scenario.calendar.meetings):
        out.append(f"plans differ: resumed {plan}, replayed {plan_of(state)}")
    got, want = _figures(resumed), _figures(fresh)
    if len(got) != len(want) or len(got) != len(room.scenario.calendar.quarters):
        out.append(f"quarters simulated: resumed {len(got)}, replayed {len(want)}")
    pairs = enumerate(zip(got, want, strict=False), start=1)
    out += [f"quarter {q}'s figures differ" for q, (a, b) in pairs
            if not all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))]
    if copy_session(log, copy_home) != sid:
        out.append("the copy did not keep the session id")
    reports = [run_cli(["report", sid, "--format", "json", "--replications", "2",
                        "--home", str(where)]) for where in (home, copy_home)]
    if reports[0] != reports[1] or reports[0][0] != 0 or '"elements"' not in reports[0][1]:
        out.append(f"reports differ or failed: {[r[0] for r in reports]} {reports[0][2]}")
    return out


def copy_session(events: list[Any], home: Path) -> str:
    """The same events, appended afresh to a new sessions file in ``home``, under the same
    session id (a report names its session): a fresh replay of what the campaign left."""
    from simulator.session import store as base
    from simulator.session.home import Home, open_store

    first, *rest = events
    p = first.payload
    core = ("scenario", "scenario_sha256", "seed", "title")
    extra = {k: v for k, v in p.items() if k not in core}
    pinned = base._new_session_id
    base._new_session_id = lambda: first.session_id
    try:
        with open_store(None, Home(home)) as store:
            info = store.create_session(p["scenario"], p["scenario_sha256"], p["seed"],
                                        p["title"], payload=extra)
            store.append_many(info.id, [(e.kind, e.role, e.payload) for e in rest])
    finally:
        base._new_session_id = pinned
    return info.id


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "play":
        sys.exit("usage: faultlib.py play HOME")
    sys.exit(play(Path(sys.argv[2])))
