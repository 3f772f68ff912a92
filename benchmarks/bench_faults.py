"""The fault-injection campaign: the suite's fault tests at length, with the figures the
README's Reliability section reports.

Run:  python benchmarks/bench_faults.py [--kills 200] [--kills-per-playthrough 20]
      [--mutations 2000] [--seed 1] [--skip kills,fuzz,lock,disk]

- kills: the scripted Hudson playthrough (tests/faultlib.py) killed with SIGKILL at
  ``--kills`` seeded moments, resumed each time, a new session every
  ``--kills-per-playthrough``; then every acknowledged event must be in the store, each
  log gapless and the script's step for step, and resume equal a fresh replay.
- fuzz: ``--mutations`` seeded mutations (tests/fuzzlib.py) over the shipped scenario,
  transcripts, look-fors and the guide's worked examples, through ``pmsim.cli.main``.
- lock: a real held write lock with pmsim's own busy timeout: how long a write waits,
  and that reads still work.
- disk: a 256 KiB tmpfs (when mounting is permitted) filled under a session.

Exit 0 when every check held, 1 otherwise. Needs the repository's tests/ folder.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import faultlib  # noqa: E402 - found through tests/ just above
import fuzzlib  # noqa: E402


def kills(n: int, per_playthrough: int, seed: int, work: Path) -> bool:
    """``n`` kills over playthroughs of ``per_playthrough`` kills each, each in a new home."""
    from simulator.session.home import Home, open_store

    runs = startup = acked = lost = stored = playthroughs = 0
    failures: list[str] = []
    seconds = 0.0
    while playthroughs * per_playthrough < n:
        home = work / f"killed-{playthroughs}"
        run = faultlib.kill_campaign(home, min(per_playthrough, n - playthroughs * per_playthrough),
                                     seed * 1000 + playthroughs)
        playthroughs += 1
        sid = faultlib.session_of(home)
        seqs = faultlib.stored_seqs(home / "sessions.sqlite3", sid)
        with open_store(None, Home(home)) as store:
            kinds = [e.kind for e in store.events(sid)]
        if seqs != list(range(1, len(seqs) + 1)):
            failures.append(f"playthrough {playthroughs}: the log has gaps: {seqs}")
        if kinds != faultlib.expected_kinds(faultlib.hudson_script()):
            failures.append(f"playthrough {playthroughs}: the log is not the script's: {kinds}")
        missing = faultlib.lost_events(home, run)
        failures += [f"playthrough {playthroughs}: lost {missing}"] if missing else []
        failures += [f"playthrough {playthroughs}: {d}"
                     for d in faultlib.resume_differences(home, work / f"copy-{playthroughs}")]
        failures += run.failures
        runs += run.runs
        startup += run.kills_in_startup
        acked += len(run.acknowledged)
        lost += len(missing)
        stored += len(seqs)
        seconds += run.seconds
    print(f"kills: {n} SIGKILLs over {playthroughs} playthroughs, {runs} player runs "
          f"({startup} kills before the player was ready) in {seconds:.0f} s; "
          f"{stored} events stored, {acked} of them acknowledged, {lost} acknowledged lost; "
          f"every log gapless, each step once, resume = replay: {not failures}")
    for failure in failures[:5]:
        print("  ", failure[:2000])
    return not failures


def fuzz(n: int, seed: int, work: Path) -> bool:
    rng = random.Random(seed)
    transcript, with_lookfors = fuzzlib.guide_examples(work / "guide")
    sources = [*((s, "scenario") for s in fuzzlib.SCENARIOS),
               *((t, "transcript") for t in (*fuzzlib.TRANSCRIPTS, transcript)),
               (with_lookfors, "lookfors-scenario"), (fuzzlib.LOOKFORS, "lookfors")]
    tried: Counter[str] = Counter()
    operators: Counter[str] = Counter()
    broken: list[str] = []
    start = time.monotonic()
    for _ in range(n):
        source, kind = sources[rng.randrange(len(sources))]

        def pick(k: int) -> int:
            return rng.randrange(k)

        mutation = fuzzlib.mutate(source, pick)
        operators.update(e.split(" ")[0] for e in mutation.edits)
        path = work / ("fuzzed-transcript.yaml" if kind == "transcript" else "fuzzed.yaml")
        path.write_bytes(mutation.data)
        if kind == "scenario":
            problems = fuzzlib.scenario_problems(path)
        elif kind == "lookfors-scenario":
            problems = fuzzlib.scenario_problems(path, run=False, home=work / "home")
        elif kind == "lookfors":
            problems = fuzzlib.lookfors_problems(path)
        else:
            fmt = ("json", "md", "html")[rng.randrange(3)]
            problems = fuzzlib.transcript_problems(path, work / "home", fmt)
        tried[kind] += 1
        if problems:
            broken.append(f"{mutation.describe()}:\n{problems[0]}")
    took = time.monotonic() - start
    print(f"fuzz: {n} mutations ({', '.join(f'{k} {v}' for k, v in sorted(tried.items()))}) "
          f"in {took:.0f} s; {len(broken)} broke the rule")
    for b in broken[:5]:
        print("  ", b[:3000])
    return not broken


def lock(work: Path) -> bool:
    from simulator.session.client import Room
    from simulator.session.home import Home
    from simulator.session.store import StoreError

    home = Home(work / "locked")
    room = Room.new(home, "hudson", 1)
    room.close()
    with faultlib.held_write_lock(home.store_file):
        reads = [faultlib.run_cli([*argv, "--home", str(home.root)])[0]
                 for argv in (["session", "list"], ["session", "export", room.session_id])]
        room = Room.resume(home, room.session_id)
        start = time.monotonic()
        try:
            room.open_view("reading/hudson-ms/all", "Q2")
            refused = ""
        except StoreError as exc:
            refused = str(exc)
        waited = time.monotonic() - start
        room.close()
    room = Room.resume(home, room.session_id)
    room.open_view("reading/hudson-ms/all", "Q2")
    after = room.state.last_seq
    room.close()
    print(f"lock: reads exit {reads}; a write refused after {waited:.1f} s: {refused!r}; "
          f"after release the write is event {after}")
    return reads == [0, 0] and bool(refused) and after == 2


def disk(work: Path) -> bool:
    from simulator.session.client import Room
    from simulator.session.home import Home
    from simulator.session.store import StoreError

    where = work / "small"
    with faultlib.small_file_system(where) as cannot:
        if cannot is not None:
            print(f"disk: cannot mount a small file system here ({cannot}); skipped")
            return True
        home = Home(where / "home")
        room = Room.new(home, "hudson", 1)
        refused = ""
        try:
            for i in range(10_000):
                room.append("note.added", {"text": f"note {i} " + "n" * 2000})
        except StoreError as exc:
            refused = str(exc)
        saved = room.state.last_seq
        room.close()
        seqs = faultlib.stored_seqs(home.store_file, room.session_id)
        leftovers = [p.name for p in where.rglob("*.tmp")]
    print(f"disk: 256 KiB filled after {saved} events; refused with {refused!r}; "
          f"{len(seqs)} stored, gapless: {seqs == list(range(1, saved + 1))}; "
          f"temporary files left: {len(leftovers)}")
    return bool(refused) and seqs == list(range(1, saved + 1)) and not leftovers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--kills-per-playthrough", type=int, default=20)
    parser.add_argument("--mutations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", default="", help="comma-separated: kills,fuzz,lock,disk")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    ok = True
    with tempfile.TemporaryDirectory(prefix="pmsim-faults-") as tmp:
        work = Path(tmp)
        if "kills" not in skip:
            ok &= kills(args.kills, args.kills_per_playthrough, args.seed, work)
        if "fuzz" not in skip:
            ok &= fuzz(args.mutations, args.seed, work)
        if "lock" not in skip:
            ok &= lock(work)
        if "disk" not in skip:
            ok &= disk(work)
    print("all checks held" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
