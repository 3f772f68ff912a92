"""The warm start of ``pmsim serve`` (``pmsim.serve.zygote``): a process that has
imported pmsim forks each tab's process. A forked tab gets its own pipes, environment
and process group, says how it ended, and starts in a fraction of a cold start's CPU;
if the warm start is gone, tabs start cold and the server goes on."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from servelib import PMSIM, Tab, free_port, pmsim, started, stop

from pmsim.serve.server import TabArgv, tab_environment
from pmsim.serve.zygote import Zygote


def _run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _zygote() -> Zygote:
    zygote = Zygote()
    await zygote.start(tab_environment(), 0)
    assert await zygote.ready(60)
    return zygote


def test_a_forked_process_has_its_own_pipes_environment_group_and_exit_status(
        tmp_path: Path) -> None:
    async def run() -> None:
        zygote = await _zygote()
        try:
            env = tab_environment(97, 31)
            env["PMSIM_HOME"] = str(tmp_path)
            done = await zygote.fork("pmsim.cli", ["--version"], env)
            assert (await done.stdout.read()).startswith(b"pmsim ")
            assert await done.wait() == 0 and done.returncode == 0
            # An unknown command: argparse's exit status 2, its words on the tab's stderr
            bad = await zygote.fork("pmsim.cli", ["no-such-command"], env)
            assert b"invalid choice" in await bad.stderr.read()
            assert await bad.wait() == 2
            # Its own process group (killed whole), the tab's terminal size, the driver
            probe = await zygote.fork("pmsim.cli", ["play", "--session", "nosuch"], env)
            assert os.getpgid(probe.pid) == probe.pid
            assert await probe.wait() != 0  # no such session
            missing = await zygote.fork("no.such.module", [], env)
            assert b"ModuleNotFoundError" in await missing.stderr.read()
            assert await missing.wait() == 1
        finally:
            await zygote.stop()

    _run(run())


def test_forked_tabs_start_warm_and_a_dead_warm_start_leaves_tabs_starting_cold(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = json.loads(pmsim("workshop", "new", "hudson", "--rooms", "2", "--format", "json",
                            "--home", str(home)).stdout)
    port = free_port()
    proc = started([*PMSIM, "serve", "--home", str(home), "--port", str(port)])
    codes = [room["code"] for room in made["rooms"]]

    def zygote_pid() -> int | None:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                except OSError:
                    continue
                if int(stat[1]) == proc.pid and b"pmsim.serve.zygote" in cmd:
                    return int(entry)
        return None

    async def run() -> None:
        deadline = time.monotonic() + 60
        while zygote_pid() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        warm = zygote_pid()
        assert warm is not None
        await asyncio.sleep(3)  # it has preloaded (a tab asked for meanwhile starts cold)
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"ws://127.0.0.1:{port}/ws/join/{codes[0]}/state"
                                          "?width=120&height=36")
            tab = Tab(ws)
            await tab.wait_for(" · session ", timeout=60)
            forked = [int(e) for e in os.listdir("/proc")
                      if e.isdigit() and int(e) != warm and _alive(int(e))
                      and _parent_of(int(e)) == warm]
            assert len(forked) == 1, "the tab was not forked by the warm start"
            cpu = _cpu_s(forked[0])
            assert cpu < 0.6, f"a warm tab took {cpu:.2f} s of CPU to start"
            os.kill(warm, signal.SIGKILL)
            await tab.receive(10)  # the server kills what the warm start forked
            ws2 = await session.ws_connect(f"ws://127.0.0.1:{port}/ws/join/{codes[1]}/state"
                                           "?width=120&height=36")
            cold = Tab(ws2)
            await cold.wait_for(" · session ", timeout=60)  # started cold, and it plays
            children = [int(e) for e in os.listdir("/proc")
                        if e.isdigit() and _alive(int(e)) and _parent_of(int(e)) == proc.pid]
            assert children, "no tab started cold"
            await ws2.close()
            await ws.close()

    try:
        _run(run())
    finally:
        out = stop(proc)
    assert "stopped" in out


def _parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_warm_start_that_dies_while_importing_is_told_at_once() -> None:
    async def run() -> None:
        zygote = Zygote()
        await zygote.start(tab_environment(), 0)
        assert zygote._process is not None
        zygote._process.kill()  # before it has imported anything
        began = time.monotonic()
        assert await zygote.ready(30) is False
        assert time.monotonic() - began < 5 and zygote.dead and not zygote.running
        with pytest.raises(OSError):
            await zygote.fork("pmsim.cli", ["--version"], tab_environment())
        await zygote.stop()

    _run(run())


def test_the_server_hands_the_warm_start_its_own_commands_only() -> None:
    argv = TabArgv("pmsim.cli", ["play", "--session", "abc"])
    assert argv[:2] == [argv[0], "-c"] and argv[3:] == ["play", "--session", "abc"]
    assert argv.main == "pmsim.cli" and "from pmsim.cli import main" in argv[2]
    assert tab_environment(90, 30)["COLUMNS"] == "90"
    assert tab_environment()["TEXTUAL_DRIVER"] == "tui.served_driver:ServedDriver"


@pytest.fixture(autouse=True)
def _linux_only() -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("reads /proc")
