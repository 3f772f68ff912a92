"""A warm start for the tabs of ``pmsim serve``: one process that has imported Python's
and pmsim's modules forks a tab's process for each browser tab.

A tab's process spent about 1 s of CPU starting, 0.7 s of it importing Textual, numpy
and pmsim; forty people joining within a minute on a two-core laptop waited up to ten
seconds for their first screen (``benchmarks/bench_serve.py``). Forked from this warm
process, a tab starts with all of it imported, and the imported pages are shared.

The protocol, over a Unix socket pair (the server holds one end, this process the other):

- the server sends one JSON line ``{"id": N, "main": MODULE, "args": [...], "env": {...}}``
  with the tab's stdin, stdout and stderr (the pipes' far ends) attached (SCM_RIGHTS);
- this process forks; the child takes those as its 0, 1 and 2, the environment, a
  process group of its own, and runs ``MODULE.main(args)``;
- this process answers ``{"id": N, "pid": PID}`` (or ``{"id": N, "error": TEXT}``) and,
  once the child has ended, ``{"pid": PID, "status": CODE}`` (negative: the signal).

The server (:class:`Zygote`) gives each tab a process object with what textual-serve
uses of asyncio's (``stdin``, ``stdout``, ``stderr``, ``pid``, ``returncode``,
``wait``). If this process cannot be started or dies, the server starts tabs as
before, each its own Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from typing import Any

log = logging.getLogger("pmsim.serve")

PRELOAD = (
    "pmsim.cli", "pmsim.serve.console", "tui.app", "tui.served_driver", "tui.console.app",
    "tui.screens.briefing", "tui.screens.changes", "tui.screens.closing",
    "tui.screens.dashboard", "tui.screens.debrief", "tui.screens.dialogs",
    "tui.screens.intent", "tui.screens.meeting", "tui.screens.primer",
    "tui.screens.progress", "tui.screens.selfassess", "tui.screens.workshop_state",
    "simulator.engine.simulation", "simulator.session.client",
    "simulator.formats.loading", "simulator.workshop",
)
"""What every tab imports sooner or later: imported once, before any fork."""

MAX_MESSAGE = 1 << 20


# ------------------------------------------------------------------ the warm process


def main() -> int:
    """The warm process: preload, then fork a tab for each request on fd ``argv[1]``."""
    channel = socket.socket(fileno=int(sys.argv[1]))
    import gc
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()  # the preloaded objects stay where they are: their pages stay shared
    children: set[int] = set()

    def reap(*_: object) -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            _send(channel, {"pid": pid, "status": os.waitstatus_to_exitcode(status)})

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops it (and its tabs)
    buffered = b""
    pending: list[int] = []  # the pipes come with their request's first bytes
    _send(channel, {"ready": True})
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, 3)
        except OSError:
            return 0
        if not data:
            return 0  # the server is gone
        buffered += data
        pending += fds
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            taken, pending = pending[:3], pending[3:]
            try:
                request = json.loads(line)
                assert len(taken) == 3, "no pipes came"
                pid = _fork(request, taken, channel)
            except Exception as exc:  # a request it cannot serve: said, and the next
                _send(channel, {"id": _ident(line), "error": str(exc)})
                pid = -1
            for fd in taken:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if pid > 0:
                children.add(pid)
                _send(channel, {"id": request["id"], "pid": pid})
            reap()


def _ident(line: bytes) -> int:
    with contextlib.suppress(Exception):
        return int(json.loads(line)["id"])
    return -1


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        channel.sendall(json.dumps(message).encode() + b"\n")


def _fork(request: dict[str, Any], fds: list[int], channel: socket.socket) -> int:
    try:
        pid = os.fork()
    except OSError as exc:
        _send(channel, {"id": request.get("id"), "error": f"fork: {exc}"})
        return -1
    if pid:
        with contextlib.suppress(OSError):  # both sides, as a shell does: no race with
            os.setpgid(pid, pid)            # a kill of the group right after the fork
        return pid
    code = 1
    try:  # the tab's process from here on: it never returns into the warm loop
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        channel.close()
        os.setpgid(0, 0)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        import importlib
        import random

        random.seed()
        sys.argv = [request["main"], *request["args"]]
        code = importlib.import_module(request["main"]).main(request["args"]) or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    return -1  # never reached


# ------------------------------------------------------------------ the server's side


class ForkedProcess:
    """A tab's process forked by the warm one, as textual-serve uses an asyncio one."""

    def __init__(self, pid: int, stdin: asyncio.StreamWriter, stdout: asyncio.StreamReader,
                 stderr: asyncio.StreamReader) -> None:
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._ended = asyncio.Event()

    def ended(self, status: int) -> None:
        self.returncode = status
        self._ended.set()
        with contextlib.suppress(Exception):
            self.stdin.close()

    async def wait(self) -> int:
        await self._ended.wait()
        assert self.returncode is not None
        return self.returncode


class Zygote:
    """The server's end: starts the warm process, asks it for tabs."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._channel: socket.socket | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._tabs: dict[int, ForkedProcess] = {}
        self._ended: dict[int, int] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dead = False

    async def start(self, env: dict[str, str], niceness: int) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._channel = ours
        command = "import sys; from pmsim.serve.zygote import main; sys.exit(main())"
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", command, str(theirs.fileno()),
            pass_fds=(theirs.fileno(),), stdin=asyncio.subprocess.DEVNULL, env=env,
            process_group=0)
        theirs.close()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self._process.pid, niceness)
        ours.setblocking(False)
        self._reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        assert self._reader is not None
        try:
            while line := await self._reader.readline():
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("ready"):
                    self._ready.set()
                elif "status" in message:
                    pid, status = int(message["pid"]), int(message["status"])
                    tab = self._tabs.pop(pid, None)
                    if tab is not None:
                        tab.ended(status)
                    else:
                        self._ended[pid] = status
                else:
                    future = self._waiting.pop(int(message.get("id", -1)), None)
                    if future is not None and not future.done():
                        future.set_result(message)
        except Exception:  # the warm process's socket failed: it is gone
            log.exception("the warm start failed")
        finally:
            self.dead = True
            self._ready.set()  # whoever waits for it hears now that it will not come
            for future in self._waiting.values():
                if not future.done():
                    future.set_result({"error": "the warm start ended"})
            for pid, tab in self._tabs.items():  # their ends would not be heard of: ended
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
                tab.ended(-signal.SIGKILL)
            self._tabs.clear()

    async def ready(self, timeout: float) -> bool:
        """Whether it runs, once it has imported (False at once if it died first)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return not self.dead

    @property
    def running(self) -> bool:
        return self._ready.is_set() and not self.dead

    async def fork(self, main: str, args: list[str], env: dict[str, str]) -> ForkedProcess:
        """A tab's process, ``main.main(args)`` in ``env``; OSError if it cannot be had."""
        if not self.running or self._channel is None:
            raise OSError("the warm start is not running")
        loop = asyncio.get_running_loop()
        pipes = [os.pipe() for _ in range(3)]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1]]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0]]
        self._next += 1
        ident = self._next
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._waiting[ident] = future
        request = json.dumps({"id": ident, "main": main, "args": args, "env": env}).encode()
        try:
            socket.send_fds(self._channel, [request + b"\n"], theirs)
        except OSError:
            self._waiting.pop(ident, None)
            for fd in theirs + ours:
                os.close(fd)
            raise
        for fd in theirs:
            os.close(fd)
        answer = await asyncio.wait_for(future, 30)
        if "pid" not in answer:
            for fd in ours:
                os.close(fd)
            raise OSError(str(answer.get("error", "the warm start did not fork")))
        pid = int(answer["pid"])
        stdin = await _writer(loop, ours[0])
        stdout = await _reader(loop, ours[1])
        stderr = await _reader(loop, ours[2])
        process = ForkedProcess(pid, stdin, stdout, stderr)
        if pid in self._ended:
            process.ended(self._ended.pop(pid))
        else:
            self._tabs[pid] = process
        return process

    async def stop(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.terminate()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._process.wait(), 5)
            if self._process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self._process.kill()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


async def _reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2 ** 16)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                 os.fdopen(fd, "rb", 0))
    return reader


async def _writer(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamWriter:
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", 0))
    return asyncio.StreamWriter(transport, protocol, None, loop)
