"""A workshop's load on ``pmsim serve``: first screens, key echo and memory as rooms fill.

Run:  python benchmarks/bench_serve.py [--rooms 40] [--arrive-over 60]
                                       [--keys-per-second 4] [--duration 20]
                                       [--typists 2] [--steps 1,10,20,40]
      python benchmarks/bench_serve.py --quick      (2 tabs, a few keys: the smoke test)

What the user runs, whole: ``pmsim workshop new hudson --rooms N --format json`` makes
the workshop in a fresh home, ``pmsim serve`` serves it on a free loopback port, and
real websocket clients (aiohttp, textual-serve's protocol, the terminal read by pyte)
join the rooms' tabs (``/ws/join/CODE/state`` and ``/ws/join/CODE/district``), two per
room, as people arrive: a Poisson process spread over ``--arrive-over`` seconds.

The tabs join in steps (by default 1, 10, 20, 40 and 80 of them); at each step every
tab connected so far types at ``--keys-per-second`` for ``--duration`` seconds, and the
step reports:

- time to first screen: from opening the websocket to the room's first whole screen
  (its header shows `` · session ``), for the tabs that arrived in that step;
- key echo: each tab types lower-case letters where a participant types during the
  meeting: first the facilitator's console tab (``/ws/console/CODE``) starts the
  workshop and advances it to Meeting #1 (s, a), then each room tab opens the meeting
  (F4), goes down its agenda to Action steps and types into its first field, "Action
  step" (a draft: nothing is written to the session until it is added). ``--into
  palette`` types into the command palette's input instead (Ctrl+P, on the room's first
  screen). A key's latency is from sending it to the moment pyte shows the field's
  text grown to include it; after 30 letters the field is cleared (Ctrl+U) and the tab
  waits for it to be empty, unmeasured; a key not echoed within ten seconds counts as
  lost;
- CPU over the typing, and over a few idle seconds before it: the machine's (from
  /proc/stat), the server's, the tabs' processes' and this script's own (its pyte
  terminals run on the same two cores);
- memory: RSS and PSS (/proc/PID/smaps_rollup) of every tab's process and of the server;
- how long the tabs, the server and this script waited for a core (/proc/PID/schedstat),
  and from all that what a tab costs (idle, per key, to start) and how many typing tabs
  the machine's cores hold.

``--typists 1`` has one tab a room type (the state lead's) while the other reads. The
clients run ahead of the server and its tabs (nice -10): they stand for browsers on
other machines.

The baseline is the first step, one tab alone, measured in the same run; the ratios
are of the last step (every tab connected) to it. Goal: key echo p95 under 100 ms with
every tab connected.

Linux only (/proc). Every process it starts is stopped on exit or Ctrl+C: the server
is asked to stop (it stops its tabs), then the server's and each tab's process group is
killed if any is left.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pyte

ROOT = Path(__file__).resolve().parent.parent
PMSIM = [sys.executable, "-c", "import sys; from pmsim.cli import main; sys.exit(main())"]
SIZE = (120, 36)
FIRST_SCREEN = " · session "
"""In the header of every screen of a room, once the session is open (not while opening)."""
PALETTE = "🔎"
ACTION_STEP = "█ Action step "
"""The label of the meeting room's first field on its Action steps step."""
ACTION_STEP_PLACEHOLDER = "what will be done"
AGENDA_ACTIONS = 6
"""Down presses from the agenda's first step to Action steps (the seventh of eight)."""
CONSOLE_FIRST_SCREEN = "Workshop "
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FIELD_MAX = 30
"""Letters typed into the field before it is cleared."""
LOST_AFTER_S = 10.0
GOAL_MS = 100.0
SETTLE_S = 2.0
"""Seconds left after arrivals, and after the fields open, before CPU is sampled."""
HEADROOM = 0.7
"""The share of the cores that tabs may keep busy before keys queue for them."""
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ------------------------------------------------------------------ processes


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    return out


def new_workshop(home: Path, rooms: int) -> tuple[str, list[str]]:
    """The facilitator's code and the rooms' join codes, from the real command."""
    done = subprocess.run([*PMSIM, "workshop", "new", "hudson", "--rooms", str(rooms),
                           "--format", "json", "--home", str(home)],
                          env=env(), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"pmsim workshop new failed ({done.returncode}):\n{done.stderr}")
    made = json.loads(done.stdout)
    return made["facilitator_code"], [room["code"] for room in made["rooms"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``pmsim serve`` in a process group of its own, and every tab process it starts."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.log = open(home / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*PMSIM, "serve", "--home", str(home), "--port", str(self.port)],
            env=env(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.tabs: set[int] = set()
        """Every tab process seen (each in a session and process group of its own)."""
        self.consoles: set[int] = set()
        """The facilitator's console tab's process, not counted as a room's tab."""

    def wait_ready(self, timeout: float = 60.0) -> None:
        started = time.monotonic()
        while "participants open" not in Path(self.log.name).read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() - started > timeout:
                raise SystemExit("pmsim serve did not start:\n"
                                 + Path(self.log.name).read_text(errors="replace"))
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def children(self) -> list[int]:
        """The room tabs' processes now: the server's children, or those of its warm
        start (``pmsim.serve.zygote``, which forks them). Every one of them, the warm
        start and the facilitator's console too, is remembered, to be killed at the end."""
        stats = {int(e): st for e in os.listdir("/proc")
                 if e.isdigit() and (st := read_stat(int(e))) is not None}
        parents = {self.proc.pid} | {pid for pid, st in stats.items()
                                     if st[1] == self.proc.pid and is_zygote(pid)}
        found = []
        for pid, st in stats.items():
            if st[1] in parents:
                self.tabs.add(pid)
                if pid not in parents and pid not in self.consoles:
                    found.append(pid)
        return found

    def stop(self) -> None:
        """Ask the server to stop (it stops its tabs), then kill whatever is left."""
        self.children()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
        for group in (self.proc.pid, *self.tabs):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.log.close()


def is_zygote(pid: int) -> bool:
    """Whether the process is the server's warm start (:mod:`pmsim.serve.zygote`)."""
    try:
        return b"pmsim.serve.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def read_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, CPU ticks used) of a process; None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[11]) + int(fields[12])


def memory(pid: int) -> tuple[float, float | None] | None:
    """(RSS, PSS) of a process in MiB; PSS None where smaps_rollup is not there."""
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return None
    pss = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
                break
    mib = 1024 * 1024
    return rss / mib, (pss / mib if pss is not None else None)


def runqueue_wait(pid: int) -> float:
    """Seconds the process's main thread has spent ready to run but waiting for a core."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


class CpuWindow:
    """CPU used between start and stop, in cores: the machine, the server, the tabs, us."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def _sample(self) -> dict[str, Any]:
        tabs = {pid: s[2] for pid in self.server.children()
                if (s := read_stat(pid)) is not None}
        own = read_stat(os.getpid())
        srv = read_stat(self.server.proc.pid)
        return {"t": time.monotonic(), "machine": machine_ticks(), "tabs": tabs,
                "server": srv[2] if srv else 0, "bench": own[2] if own else 0,
                "waits": {pid: runqueue_wait(pid) for pid in tabs},
                "server_wait": runqueue_wait(self.server.proc.pid),
                "bench_wait": runqueue_wait(os.getpid())}

    def __enter__(self) -> CpuWindow:
        self.first = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        last = self._sample()
        first = self.first
        seconds = last["t"] - first["t"]
        busy = last["machine"][0] - first["machine"][0]
        total = last["machine"][1] - first["machine"][1]
        tab_ticks = sum(t - first["tabs"][pid] for pid, t in last["tabs"].items()
                        if pid in first["tabs"])
        per_core = TICKS * seconds
        self.figures = {
            "machine_busy": busy / total if total else 0.0,
            "machine_cores": (busy / total if total else 0.0) * (os.cpu_count() or 1),
            "server_cores": (last["server"] - first["server"]) / per_core,
            "tabs_cores": tab_ticks / per_core,
            "bench_cores": (last["bench"] - first["bench"]) / per_core,
            # the share of the window each was ready to run but waited for a core
            "tab_runqueue_wait": (statistics.mean(
                last["waits"][pid] - first["waits"][pid] for pid in last["waits"]
                if pid in first["waits"]) / seconds if last["waits"] else 0.0),
            "server_runqueue_wait": (last["server_wait"] - first["server_wait"]) / seconds,
            "bench_runqueue_wait": (last["bench_wait"] - first["bench_wait"]) / seconds,
        }


class LoopLag:
    """How late this script's event loop runs what is due: a key's echo is timed when
    the loop gets to its frame, so a loop busy with other tabs' frames (80 pyte
    terminals in one process) would count its own delay in the echo."""

    TICK_S = 0.005

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.TICK_S
            await asyncio.sleep(self.TICK_S)
            self.lags.append(max(0.0, loop.time() - due))

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# ------------------------------------------------------------------ clients


@dataclass
class Tab:
    """One browser tab: a websocket client whose terminal is a pyte screen."""

    url: str
    width: int = SIZE[0]
    height: int = SIZE[1]
    first_screen: float | None = None
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    error: str | None = None
    into: str = "field"
    """What it types into: "field", the meeting room's action-step field, or "palette"."""
    first: str = FIRST_SCREEN
    """In the first row once the tab's first whole screen is shown."""

    def __post_init__(self) -> None:
        self.screen = pyte.Screen(self.width, self.height)
        self.stream = pyte.ByteStream(self.screen)
        self.changed = asyncio.Event()
        self.closed = False
        self.ws: Any = None
        self.field_row: int | None = None
        self.typed = ""
        self.sent: list[float] = []
        self.echoed = 0
        self.waits = {"send": 0.0, "late": 0.0, "clear": 0.0}
        """Seconds the typing spent sending keys, oversleeping and clearing the field."""

    def row(self, y: int) -> str:
        line = self.screen.buffer[y]
        return "".join(line[x].data for x in range(self.width))

    def field_text(self) -> str | None:
        """The text in the field typed into (None when it is not on the screen): the
        palette's input, or the meeting room's action-step field."""
        mark = PALETTE if self.into == "palette" else ACTION_STEP
        rows = [self.field_row] if self.field_row is not None else range(self.height)
        for y in rows:
            text = self.row(y)
            at = text.find(mark)
            if at >= 0:
                self.field_row = y
                shown = text[at + len(mark):].strip()
                return "" if shown == ACTION_STEP_PLACEHOLDER else shown
        self.field_row = None
        return None

    async def run(self, session: aiohttp.ClientSession, ready: asyncio.Event) -> None:
        """Connect, read the terminal until the socket closes; ``ready`` set at the first
        screen (or at a failure)."""
        started = time.perf_counter()
        try:
            async with session.ws_connect(
                    f"{self.url}?width={self.width}&height={self.height}",
                    max_msg_size=0, heartbeat=None) as ws:
                self.ws = ws
                # As the page does once the socket opens: the terminal takes the keyboard
                # (textual.js tells the app so; an app never told keeps no focus)
                await ws.send_str(json.dumps(["focus"]))
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.BINARY:
                        continue
                    now = time.perf_counter()
                    self.stream.feed(message.data)
                    if self.first_screen is None:
                        if self.first in self.row(0):
                            self.first_screen = now - started
                            ready.set()
                    elif self.sent:
                        self._echoes(now)
                    self.changed.set()
        except (aiohttp.ClientError, OSError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.closed = True
            if self.first_screen is None and self.error is None:
                self.error = "the socket closed before the first screen"
            ready.set()
            self.changed.set()

    def _echoes(self, now: float) -> None:
        text = self.field_text()
        if text is None:
            return
        shown = 0
        while shown < len(text) and shown < len(self.typed) and text[shown] == self.typed[shown]:
            shown += 1
        start = len(self.typed) - len(self.sent)
        while self.echoed < len(self.sent) and start + self.echoed < shown:
            self.latencies.append(now - self.sent[self.echoed])
            self.echoed += 1

    async def keys(self, data: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", data]))

    async def until(self, ok: Any, timeout: float, press: str | None = None) -> bool:
        """Wait for ``ok()``; ``press`` sent again every second meanwhile (an app that is
        still starting may not read keys yet)."""
        deadline = time.monotonic() + timeout
        next_press = 0.0
        while not ok():
            if self.closed or time.monotonic() > deadline:
                return False
            if press is not None and time.monotonic() >= next_press:
                await self.keys(press)
                next_press = time.monotonic() + 1.0
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.25)
        return True

    async def open_field(self) -> bool:
        """Open the field typed into: Ctrl+P, or in the meeting room (F4) the agenda's
        Action steps (down to it, Enter: the focus lands in its first field)."""
        if self.into == "palette":
            return await self.until(lambda: self.field_text() == "Search for commands…"
                                    or self.field_text() == "", 30.0, press="\x10")
        if not await self.until(lambda: any(" 1. Goal and targets" in self.row(y)
                                            for y in range(self.height)), 30.0,
                                press="\x1bOS"):
            return False
        for _ in range(AGENDA_ACTIONS):
            await self.keys("\x1b[B")
        await self.keys("\r")
        return await self.until(lambda: self.field_text() == "", 30.0)

    async def clear(self) -> bool:
        # the last keys may still be on their way: waited for, before they count as lost
        await self.until(lambda: self.echoed == len(self.sent), LOST_AFTER_S)
        self._settle()
        self.typed, self.sent, self.echoed = "", [], 0
        await self.keys("\x15")  # Ctrl+U: delete everything left of the cursor
        text = self.field_text
        return await self.until(lambda: text() in ("", "Search for commands…"), LOST_AFTER_S)

    def _settle(self) -> None:
        self.lost += len(self.sent) - self.echoed

    async def type_for(self, seconds: float, rate: float, rng: random.Random) -> None:
        """Type letters at about ``rate`` a second (each gap 0.5–1.5 of the mean)."""
        end = time.monotonic() + seconds
        await asyncio.sleep(rng.uniform(0, 1 / rate))
        while time.monotonic() < end and not self.closed:
            cleared = time.perf_counter()
            if len(self.typed) >= FIELD_MAX and not await self.clear():
                self.error = self.error or f"the {self.into}'s text did not clear"
                return
            self.waits["clear"] += time.perf_counter() - cleared
            letter = rng.choice(LETTERS)
            self.typed += letter
            self.sent.append(time.perf_counter())
            await self.keys(letter)
            self.waits["send"] += time.perf_counter() - self.sent[-1]
            gap = rng.uniform(0.5, 1.5) / rate
            slept = time.perf_counter()
            await asyncio.sleep(gap)
            self.waits["late"] += time.perf_counter() - slept - gap
        await self.until(lambda: self.echoed == len(self.sent), LOST_AFTER_S)
        self._settle()
        self.typed, self.sent, self.echoed = "", [], 0
        await self.clear()


# ------------------------------------------------------------------ the run


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"median_ms": statistics.median(values) * 1000, "p95_ms": pct(values, 95) * 1000,
            "max_ms": max(values) * 1000, "count": len(values)}


def tab_urls(base: str, codes: list[str]) -> list[str]:
    """Both tabs of each room, room by room."""
    return [f"{base}/ws/join/{code}/{role}" for code in codes for role in ("state", "district")]


async def open_meeting(session: aiohttp.ClientSession, url: str,
                       runners: list[asyncio.Task[None]]) -> Tab:
    """The facilitator's console tab: start the workshop, advance every room to Meeting
    #1 (s, then a), as at a workshop's start; it stays open, polling, like the real one."""
    console = Tab(url, first=CONSOLE_FIRST_SCREEN)
    ready = asyncio.Event()
    runners.append(asyncio.create_task(console.run(session, ready)))
    await asyncio.wait_for(ready.wait(), 120)
    for key, said in (("s", "start: done"), ("a", "advance: done")):
        if not await console.until(lambda said=said: any(said in console.row(y)
                                                         for y in range(console.height)),
                                   30.0, press=key):
            raise SystemExit(f"the console did not say {said!r}:\n"
                             + "\n".join(console.row(y) for y in range(console.height)))
    return console


PAUSED = "Paused by the facilitator"


async def controls(console: Tab, tabs: list[Tab]) -> dict[str, dict[str, float] | None]:
    """With every tab connected, the facilitator pauses (p) then resumes (s): how long
    until each tab's screen shows the pause, then until it is gone (every room redraws
    at the same moment)."""
    def shows(tab: Tab) -> bool:
        return any(PAUSED in tab.row(y) for y in range(tab.height))

    out: dict[str, dict[str, float] | None] = {}
    for key, name, paused in (("p", "pause", True), ("s", "resume", False)):
        sent = time.perf_counter()
        await console.keys(key)

        async def seen(tab: Tab, paused: bool = paused, sent: float = sent) -> float | None:
            if not await tab.until(lambda: shows(tab) is paused, LOST_AFTER_S * 2):
                return None
            return time.perf_counter() - sent

        got = await asyncio.gather(*(seen(t) for t in tabs))
        out[name] = spread([g for g in got if g is not None])
        if out[name] is not None:
            out[name]["missed"] = float(sum(g is None for g in got))  # type: ignore[index]
        await asyncio.sleep(SETTLE_S)
    return out


async def drive(server: Server, codes: list[str], steps: list[int], args: argparse.Namespace,
                facilitator: str = "") -> dict[str, Any]:
    rng = random.Random(args.seed)
    urls = tab_urls(server.url, codes)
    tabs: list[Tab] = []
    runners: list[asyncio.Task[None]] = []
    report: dict[str, Any] = {"steps": []}
    seen: set[int] = set()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        console = None
        try:
            if args.into == "field":
                console = await open_meeting(
                    session, f"{server.url}/ws/console/{facilitator}", runners)
                server.consoles.update(server.children())  # the only tab so far
            for count in steps:
                arriving = [Tab(url, into=args.into) for url in urls[len(tabs):count]]
                window = args.arrive_over * len(arriving) / len(urls)
                started = time.monotonic()
                readies = []
                for tab in arriving:  # Poisson arrivals: exponential gaps
                    if len(arriving) > 1:
                        await asyncio.sleep(rng.expovariate(len(arriving) / window)
                                            if window > 0 else 0)
                    ready = asyncio.Event()
                    readies.append(ready)
                    runners.append(asyncio.create_task(tab.run(session, ready)))
                    tabs.append(tab)
                for ready in readies:
                    await asyncio.wait_for(ready.wait(), 300)
                arrived_s = time.monotonic() - started
                await asyncio.sleep(SETTLE_S)  # the last arrivals' start-up work settles
                with CpuWindow(server) as reading:  # every tab on its room's screen
                    await asyncio.sleep(args.idle)
                fresh = [ticks for pid, ticks in reading.first["tabs"].items()
                         if pid not in seen]
                seen.update(reading.first["tabs"])
                opened = await asyncio.gather(*(t.open_field() for t in arriving))
                for tab, ok in zip(arriving, opened, strict=True):
                    if not ok and tab.error is None:
                        tab.error = f"the {args.into} to type into did not open"
                await asyncio.sleep(SETTLE_S)  # the screens just opened finish drawing
                with CpuWindow(server) as idle:  # every field open, nobody typing
                    await asyncio.sleep(args.idle)
                before = {id(t): (len(t.latencies), t.lost) for t in tabs}
                for tab in tabs:
                    tab.waits = dict.fromkeys(tab.waits, 0.0)
                async with LoopLag() as lag:
                    with CpuWindow(server) as typing:
                        await asyncio.gather(*(
                            t.type_for(args.duration, args.keys_per_second,
                                       random.Random(rng.random()))
                            for i, t in enumerate(tabs)
                            if t.error is None and i % 2 < args.typists))
                latencies = [x for t in tabs for x in t.latencies[before[id(t)][0]:]]
                typists = sum(1 for i, t in enumerate(tabs)
                              if t.error is None and i % 2 < args.typists)
                lost = sum(t.lost - before[id(t)][1] for t in tabs)
                pids = server.children()
                mems = [m for pid in pids if (m := memory(pid)) is not None]
                srv = memory(server.proc.pid)
                report["steps"].append({
                    "tabs": count,
                    "connected": sum(1 for t in tabs if not t.closed),
                    "processes": len(pids),
                    "arrived_in_s": arrived_s,
                    "first_screen": spread([t.first_screen for t in arriving
                                            if t.first_screen is not None]),
                    "first_screens_seen": sum(1 for t in arriving if t.first_screen),
                    "arrivals": len(arriving),
                    "echo": spread(latencies),
                    "bench_loop_lag": spread(lag.lags),
                    "keys_lost": lost,
                    "typists": typists,
                    "typing_waits_s": {k: statistics.mean(t.waits[k] for t in tabs)
                                       for k in ("send", "late", "clear")},
                    "keys_per_second_per_tab": len(latencies) / (typists * args.duration)
                    if typists else 0.0,
                    "startup_cpu_s": (statistics.median(fresh) / TICKS if fresh else None),
                    "errors": sorted({t.error for t in tabs if t.error}),
                    "cpu_reading": reading.figures,
                    "cpu_idle": idle.figures,
                    "cpu_typing": typing.figures,
                    "tab_rss_mib": statistics.mean(m[0] for m in mems) if mems else None,
                    "tab_pss_mib": (statistics.mean(m[1] for m in mems if m[1] is not None)
                                    if any(m[1] is not None for m in mems) else None),
                    "server_rss_mib": srv[0] if srv else None,
                    "server_pss_mib": srv[1] if srv else None,
                })
                print(line(report["steps"][-1]), file=sys.stderr, flush=True)
            if console is not None:
                report["controls"] = await controls(console, [t for t in tabs
                                                              if t.error is None])
        finally:
            for tab in [*tabs, *([console] if console is not None else [])]:
                if tab.ws is not None:
                    with contextlib.suppress(Exception):
                        await tab.ws.close()
            for runner in runners:
                runner.cancel()
            await asyncio.gather(*runners, return_exceptions=True)
    return report


def costs(report: dict[str, Any]) -> dict[str, float | None]:
    """What one tab costs in CPU, pooled over the steps, and how many tabs the machine's
    cores hold at the run's typing rate, busy at most ``HEADROOM`` (this script's own
    CPU left out)."""
    steps = report["steps"]
    tabs = sum(s["tabs"] for s in steps)
    reading = sum(s["cpu_reading"]["tabs_cores"] for s in steps) / tabs
    idle = sum(s["cpu_idle"]["tabs_cores"] for s in steps) / tabs
    # A key's cost from the steps that kept up (a saturated step's keys wait in queues
    # and its CPU is shared with whatever else the machine runs)
    kept_up = [s for s in steps if s["echo"] and s["echo"]["p95_ms"] < GOAL_MS] or steps
    keys = sum(s["echo"]["count"] for s in kept_up if s["echo"])
    busy = sum(max(0.0, s["cpu_typing"]["tabs_cores"] - s["cpu_idle"]["tabs_cores"])
               * report["duration_s"] for s in kept_up)
    key = busy / keys if keys else None
    startups = [s["startup_cpu_s"] for s in steps if s["startup_cpu_s"] is not None]
    cores = os.cpu_count() or 1
    per_tab = idle + (key or 0.0) * report["keys_per_second"] * report["typists"] / 2
    return {
        "reading_cpu_ms_per_tab_s": reading * 1000,
        "idle_cpu_ms_per_tab_s": idle * 1000,
        "cpu_ms_per_key": key * 1000 if key is not None else None,
        "startup_cpu_s": statistics.median(startups) if startups else None,
        # at 70% busy: past that, the queues for a core (and the echo's tail) grow fast
        "tabs_the_cores_hold": HEADROOM * cores / per_tab if per_tab > 0 else None,
        "startup_cores_while_arriving": (statistics.median(startups) * 2 * report["rooms"]
                                         / report["arrive_over_s"]
                                         if startups and report["arrive_over_s"] > 0
                                         else None),
    }


def line(step: dict[str, Any]) -> str:
    def ms(d: dict[str, float] | None, key: str) -> str:
        return f"{d[key]:.0f}" if d else "-"
    fs, echo, cpu = step["first_screen"], step["echo"], step["cpu_typing"]
    return (f"{step['tabs']:>4} | {ms(fs, 'median_ms'):>6} {ms(fs, 'p95_ms'):>6} "
            f"{ms(fs, 'max_ms'):>6} | {ms(echo, 'median_ms'):>6} {ms(echo, 'p95_ms'):>5} "
            f"{ms(echo, 'max_ms'):>5} {step['keys_lost']:>4} "
            f"{step['keys_per_second_per_tab']:>6.1f} | {cpu['machine_busy'] * 100:>4.0f}% "
            f"{step['cpu_reading']['tabs_cores']:>5.2f} {step['cpu_idle']['tabs_cores']:>5.2f} "
            f"{cpu['tabs_cores']:>5.2f} {cpu['server_cores']:>6.2f} {cpu['bench_cores']:>5.2f}"
            f" | {step['tab_rss_mib'] or 0:>4.0f} {step['tab_pss_mib'] or 0:>4.0f}")


HEADER = (
    "     | first screen (ms)    | key echo (ms)                  | CPU (cores; mach.: the"
    " machine busy)   | a tab (MiB)\n"
    "tabs | median    p95    max | median   p95   max lost keys/s | mach.  read  idle"
    "  type server bench |  RSS  PSS")
LEGEND = (
    "read: the tabs on their room's screen; idle: a text field focused, nobody typing; "
    "type: typing; server, bench: pmsim serve and this script while typing; keys/s: "
    "echoed a second per tab")


def summary(report: dict[str, Any]) -> str:
    steps = report["steps"]
    base, last = steps[0], steps[-1]
    who = "every tab" if report["typists"] == 2 else "one tab a room"
    into = ("the command palette" if report.get("into") == "palette"
            else "the meeting room's action-step field")
    out = [f"pmsim serve under a workshop: {report['rooms']} rooms, {last['tabs']} tabs, "
           f"{who} typing {report['keys_per_second']} keys/s into {into} for "
           f"{report['duration_s']} s a step, "
           f"arrivals over {report['arrive_over_s']} s",
           f"started {report['started']} UTC, load average before "
           f"{report['load_before']}, after {report['load_after']}, "
           f"{os.cpu_count()} cores, this script at niceness {report['bench_niceness']}",
           "", HEADER]
    out += [line(s) for s in steps]
    out += [LEGEND, ""]
    if base["echo"] and last["echo"]:
        out.append(f"ratios, {last['tabs']} tabs to 1 alone: key echo p95 "
                   f"{last['echo']['p95_ms'] / base['echo']['p95_ms']:.1f}×, median "
                   f"{last['echo']['median_ms'] / base['echo']['median_ms']:.1f}×")
    if base["first_screen"] and last["first_screen"]:
        out.append(f"                      first screen median "
                   f"{last['first_screen']['median_ms'] / base['first_screen']['median_ms']:.1f}×")
    if last["echo"]:
        met = last["echo"]["p95_ms"] < GOAL_MS
        out.append(f"goal: key echo p95 < {GOAL_MS:.0f} ms with all {last['tabs']} tabs "
                   f"connected: {last['echo']['p95_ms']:.0f} ms, "
                   f"{'met' if met else 'missed'}")
    over = [s["tabs"] for s in steps if s["echo"] and s["echo"]["p95_ms"] >= GOAL_MS]
    out.append(f"saturates (p95 ≥ {GOAL_MS:.0f} ms) at {over[0]} tabs" if over
               else f"does not saturate up to {last['tabs']} tabs")
    out.append(f"server: RSS {last['server_rss_mib'] or 0:.0f} MiB, PSS "
               f"{last['server_pss_mib'] or 0:.0f} MiB with {last['processes']} tab processes")
    for step in (base, last) if base is not last else (last,):
        cpu = step["cpu_typing"]
        out.append(f"waiting for a core while {step['tabs']} typed: each tab "
                   f"{cpu['tab_runqueue_wait'] * 100:.0f}% of the time, the server "
                   f"{cpu['server_runqueue_wait'] * 100:.0f}%, this script "
                   f"{cpu['bench_runqueue_wait'] * 100:.0f}%")
    for name, spread_ in (report.get("controls") or {}).items():
        if spread_:
            out.append(f"the facilitator's {name} seen on all {last['tabs']} tabs' screens: "
                       f"median {spread_['median_ms']:.0f} ms, p95 {spread_['p95_ms']:.0f} ms, "
                       f"max {spread_['max_ms']:.0f} ms"
                       + (f", {spread_['missed']:.0f} not within 20 s" if spread_["missed"]
                          else ""))
    lag = last.get("bench_loop_lag")
    if lag:
        out.append(f"this script's event loop ran late by {lag['median_ms']:.1f} ms "
                   f"(median), {lag['p95_ms']:.1f} ms (p95) while {last['tabs']} typed: "
                   "its own share of every echo timed")
    cost = report["costs"]
    if cost["cpu_ms_per_key"] is not None:
        out.append(f"a tab's CPU: {cost['reading_cpu_ms_per_tab_s']:.1f} ms a second on "
                   f"the room's screen (the store polled), "
                   f"{cost['idle_cpu_ms_per_tab_s']:.1f} ms with the "
                   f"{'palette' if report.get('into') == 'palette' else 'meeting room'}'s "
                   f"text field focused, "
                   f"{cost['cpu_ms_per_key']:.1f} ms a key typed, "
                   f"{cost['startup_cpu_s'] or 0:.2f} s to start; at "
                   f"{report['keys_per_second']} keys/s ({who} typing) the {os.cpu_count()} "
                   f"cores hold about {cost['tabs_the_cores_hold'] or 0:.0f} tabs at "
                   f"{HEADROOM:.0%} busy (this script's own CPU left out), and starting "
                   f"{2 * report['rooms']} tabs over {report['arrive_over_s']:.0f} s takes "
                   f"{cost['startup_cores_while_arriving'] or 0:.1f} cores while they arrive")
    errors = sorted({e for s in steps for e in s["errors"]})
    if errors:
        out.append("errors: " + "; ".join(errors))
    return "\n".join(out)


@contextlib.contextmanager
def ahead_of_the_tabs(niceness: int = -10) -> Any:
    """Run this script's clients ahead of the server and its tabs (which keep the ordinary
    priority they started with): they stand for browsers on other machines, and their own
    waits for a core would count in the figures. Where the kernel groups processes by
    session (autogroup), each tab, a session of its own, weighs as much as this whole
    script, so the nice value is set on this script's group too, and put back after."""
    group = Path("/proc/self/autogroup")
    before = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        before = int(group.read_text().split("nice")[1])
        group.write_text(str(niceness))
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    try:
        yield os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        if before is not None:
            with contextlib.suppress(OSError):
                group.write_text(str(before))


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--arrive-over", type=float, default=60.0,
                        help="seconds over which all the tabs arrive (default 60)")
    parser.add_argument("--keys-per-second", type=float, default=4.0)
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds of typing at each step (default 20)")
    parser.add_argument("--steps", default="1,10,20,40",
                        help="tabs connected at each step before the last, which is every "
                             "tab (default 1,10,20,40)")
    parser.add_argument("--typists", type=int, choices=(1, 2), default=2,
                        help="tabs of each room that type: 2, both (the default), or 1, "
                             "the state lead's, the district lead's only reading")
    parser.add_argument("--idle", type=float, default=3.0,
                        help="seconds of CPU sampled before each step's typing, the tabs "
                             "on their room's screen, then with the field they type into "
                             "open (default 3)")
    parser.add_argument("--into", choices=("field", "palette"), default="field",
                        help="what the tabs type into: field, the meeting room's action-step "
                             "field (the facilitator's console starts the workshop and "
                             "advances it to Meeting #1 first; the default), or palette, "
                             "the command palette's input on the room's first screen")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="2 rooms, steps 1 and 4, 2 s of typing: a smoke test")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    if args.quick:
        args.rooms, args.steps, args.duration, args.arrive_over = 2, "1", 2.0, 1.0
        args.idle = 1.0
    if min(args.rooms, args.keys_per_second, args.duration, args.idle) <= 0:
        parser.error("--rooms, --keys-per-second, --duration and --idle must be positive")
    total = 2 * args.rooms
    try:
        steps = sorted({int(s) for s in args.steps.split(",") if s.strip()} | {total})
    except ValueError:
        parser.error(f"--steps: numbers separated by commas, not {args.steps!r}")
    steps = [s for s in steps if 0 < s <= total]

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    # Both, even where SIGINT came ignored (a job started in the background by a script)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    report: dict[str, Any] = {
        "rooms": args.rooms, "into": args.into, "keys_per_second": args.keys_per_second,
        "typists": args.typists,
        "duration_s": args.duration, "arrive_over_s": args.arrive_over,
        "started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "load_before": loadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        home = Path(tmp)
        facilitator, codes = new_workshop(home, args.rooms)
        server = Server(home)
        try:
            server.wait_ready()
            with ahead_of_the_tabs() as niceness:
                report["bench_niceness"] = niceness
                report |= asyncio.run(drive(server, codes, steps, args, facilitator))
            report["costs"] = costs(report)
        except KeyboardInterrupt:
            print("bench_serve: stopped; stopping the server and its tabs", file=sys.stderr)
            return 130
        finally:
            server.stop()
        report["pids"] = sorted({server.proc.pid, *server.tabs})  # all stopped by now
    report["load_after"] = loadavg()
    print(json.dumps(report, indent=2) if args.format == "json" else summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
