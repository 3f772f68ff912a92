"""What the ``pmsim serve`` tests share: a free port, the command's environment, a page
fetched, a real websocket client whose terminal pyte reads, and Chromium by playwright.

Tests import it as ``from servelib import ...`` (tests/ is not a package).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PMSIM = [sys.executable, "-c", "import sys; from pmsim.cli import main; sys.exit(main())"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    """This checkout's pmsim first, for every process a test starts."""
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    return out


def pmsim(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, checked."""
    done = subprocess.run([*PMSIM, *args], env=env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def started(argv: list[str]) -> subprocess.Popen[str]:
    """A server started, once it says where participants go."""
    proc = subprocess.Popen(argv, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")  # a tab's output cut at a pipe's
    assert proc.stdout is not None                       # buffer may split a character
    line = proc.stdout.readline()
    assert "participants open" in line, line + proc.stdout.read()
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, and all the server said."""
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return out


def get(url: str) -> tuple[int, dict[str, str], str]:
    import aiohttp

    async def fetch() -> tuple[int, dict[str, str], str]:
        async with aiohttp.ClientSession() as client, client.get(
                url, allow_redirects=True) as response:
            return response.status, dict(response.headers), await response.text()
    return asyncio.run(fetch())


def external(page: str) -> list[str]:
    """Every absolute http(s) URL in a page (an SVG's xmlns is a name, not a fetch)."""
    return [u for u in re.findall(r"https?://[^\s\"'<>)]+", page)
            if u != "http://www.w3.org/2000/svg"]


class Tab:
    """A real websocket client on a tab, its terminal read by pyte. ``forbidden``: text
    that must never be on this tab's screen, checked after every frame."""

    def __init__(self, ws: Any, width: int = 120, height: int = 36,
                 forbidden: tuple[str, ...] = ()) -> None:
        import pyte

        self.ws = ws
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self.forbidden = forbidden
        self.texts: list[Any] = []
        """The text messages the server sent (``["deliver_file_start", KEY]``…)."""

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def receive(self, timeout: float) -> bool:
        """One message read; False when the tab closed."""
        import aiohttp

        try:
            message = await self.ws.receive(timeout=timeout)
        except TimeoutError:
            return True
        if message.type == aiohttp.WSMsgType.BINARY:
            self.stream.feed(message.data)
            flat = " ".join(self.text.split())
            for text in self.forbidden:
                assert text not in flat, f"{text!r} showed on this tab:\n{self.text}"
        elif message.type == aiohttp.WSMsgType.TEXT:
            self.texts.append(json.loads(message.data))
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                              aiohttp.WSMsgType.CLOSING):
            return False
        return True

    async def wait_for(self, needle: str, timeout: float = 30.0) -> float:
        started_at = time.monotonic()
        while needle not in self.text:
            left = timeout - (time.monotonic() - started_at)
            assert left > 0, f"{needle!r} never showed:\n{self.text}"
            if not await self.receive(min(left, 0.5)):
                raise AssertionError(f"the tab closed before {needle!r}:\n{self.text}")
        return time.monotonic() - started_at

    async def wait_text(self, kind: str, timeout: float = 60.0) -> Any:
        """The first text message of ``kind`` (its argument)."""
        started_at = time.monotonic()
        while True:
            for found in self.texts:
                if found[0] == kind:
                    return found[1]
            left = timeout - (time.monotonic() - started_at)
            assert left > 0, f"no {kind!r} message; the screen:\n{self.text}"
            if not await self.receive(min(left, 0.5)):
                raise AssertionError(f"the tab closed before {kind!r}:\n{self.text}")

    async def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Frames read until none came for ``quiet`` seconds."""
        started_at = time.monotonic()
        while time.monotonic() - started_at < timeout:
            before = self.text
            if not await self.receive(quiet):
                return
            if self.text == before:
                return

    async def keys(self, data: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", data]))


def session_in(text: str) -> str:
    """The session id a session screen's header shows."""
    found = re.search(r"session ([a-z0-9]+)", text)
    assert found, text
    return found.group(1)


# ------------------------------------------------------------------ the browser


def browser_or_skip() -> None:
    """Chromium and playwright, or a skip; a failure when PMSIM_REQUIRE_BROWSER=1 (CI)."""
    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed (pip install playwright)"
    if missing is None and not CHROMIUM.exists():
        missing = "Debian's chromium is not installed (apt-get install -y chromium)"
    if missing:
        if os.environ.get("PMSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PMSIM_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)


def screen_text(page: Any) -> str:
    return str(page.evaluate("() => window.pmsim ? window.pmsim.screenText() : ''"))


def wait_screen(page: Any, needle: str, timeout: float = 30.0) -> None:
    started_at = time.monotonic()
    while needle not in screen_text(page):
        assert time.monotonic() - started_at < timeout, f"{needle!r}:\n{screen_text(page)}"
        time.sleep(0.1)


def assert_not_blank(png: bytes) -> None:
    """The screenshot has many colours and no one colour covers nearly all of it."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    raw = zlib.decompress(chunks)
    stride = width * channels
    seen: dict[bytes, int] = {}
    prev = bytearray(stride)
    for row in range(height):
        filt = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            ul = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + left) & 255
            elif filt == 2:
                line[i] = (line[i] + up) & 255
            elif filt == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif filt == 4:
                pa, pb, pc = abs(up - ul), abs(left - ul), abs(left + up - 2 * ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[i] = (line[i] + pred) & 255
        if row % 8 == 0:
            for x in range(0, width, 4):
                px = bytes(line[x * channels:x * channels + 3])
                seen[px] = seen.get(px, 0) + 1
        prev = line
    total = sum(seen.values())
    assert len(seen) >= 8, f"{len(seen)} colours"
    assert max(seen.values()) < 0.97 * total
