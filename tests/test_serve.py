"""``pmsim serve``: pages, codes, a real websocket client on a real tab, a real browser.

The server runs in a subprocess on a free loopback port, with the workshop lookup
replaced by a fixed one (a room code, a facilitator code) over a session made in a
temporary home; everything else (the pages, the rate limit, one ``pmsim play`` process
per tab under Textual's web driver) is what ``pmsim serve`` runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")
pyte = pytest.importorskip("pyte")

ROOT = Path(__file__).resolve().parents[1]
CODE = "ABCD2345"
FACILITATOR = "FACIL2345"

SERVER = """
import sys
from pmsim.serve.server import RateLimit, Room, WorkshopServer, serve

class Fixed:
    def find_room(self, code):
        return Room("w1", "A", sys.argv[1], "hudson", 1) if code == "ABCD2345" else None
    def find_workshop(self, code):
        return "w1" if code == "FACIL2345" else None
    def mark_present(self, session_id, role):
        print("present", session_id, role, flush=True)

server = WorkshopServer(Fixed(), home=sys.argv[2], rate_limit=RateLimit(limit=int(sys.argv[4])))
sys.exit(serve(server, host="127.0.0.1", port=int(sys.argv[3])))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _start(home: Path, session_id: str, limit: int = 10) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, session_id, str(home), str(port), str(limit)],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors="replace")  # a tab's output cut at a pipe's buffer may split a character
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "participants open" in line, line
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    return out


@pytest.fixture(scope="module")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from simulator.session.client import Room
    from simulator.session.home import Home

    home = tmp_path_factory.mktemp("serve-home")
    room = Room.new(Home.locate(home), "hudson", 1)
    session_id = room.session_id
    room.close()
    return home, session_id


@pytest.fixture(scope="module")
def server(session_home: tuple[Path, str]):
    home, session_id = session_home
    proc, url = _start(home, session_id, limit=1000)
    yield url
    _stop(proc)


def _get(url: str) -> tuple[int, dict[str, str], str]:
    async def fetch() -> tuple[int, dict[str, str], str]:
        async with aiohttp.ClientSession() as client, client.get(
                url, allow_redirects=True) as response:
            return response.status, dict(response.headers), await response.text()
    return asyncio.run(fetch())


def _external(page: str) -> list[str]:
    """Every absolute http(s) URL in a page (an SVG's xmlns is a name, not a fetch)."""
    return [u for u in re.findall(r"https?://[^\s\"'<>)]+", page)
            if u != "http://www.w3.org/2000/svg"]


def test_join_page_is_offline_and_shows_no_command_line(server: str) -> None:
    status, headers, page = _get(server + "/")
    assert status == 200
    assert '<form method="get" action="/join"' in page and 'name="code"' in page
    assert _external(page) == [] and "fonts.googleapis" not in page
    assert "python" not in page and "pmsim play" not in page and sys.executable not in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for asset in ("/static/pmsim.css", "/static/pmsim.js"):
        status, _, text = _get(server + asset)
        assert status == 200 and _external(text) == [], asset
    status, _, tab = _get(server + f"/join/{CODE}/state")
    assert status == 200 and _external(tab) == []
    assert "pmsim play" not in tab and "--session" not in tab and 'id="start"' not in tab


def test_codes_typed_loosely_open_the_room_and_unknown_codes_look_alike(server: str) -> None:
    status, _, page = _get(server + "/join?code=abcd-2345")
    assert status == 200 and "Room A" in page and "/join/ABCD2345/district" in page
    answers = {(s, body) for s, _, body in
               (_get(server + f"/join/{c}") for c in ("WRONG", "ABCD2346", "X" * 300, "a%20b"))}
    assert len(answers) == 1
    ((status, body),) = answers
    assert status == 404 and "No room with that code" in body and "ABCD2346" not in body
    assert _get(server + f"/join/{CODE}/nobody")[0] == 404
    assert _get(server + f"/console/{CODE}")[0] == 404  # a room code opens no console


def test_wrong_codes_are_rate_limited(session_home: tuple[Path, str]) -> None:
    home, session_id = session_home
    proc, url = _start(home, session_id, limit=3)
    try:
        assert [_get(url + f"/join/WRONG{i}")[0] for i in range(3)] == [404] * 3
        status, headers, _ = _get(url + f"/join/{CODE}")  # the right code waits too
        assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60
        assert _get(url + "/")[0] == 200
    finally:
        _stop(proc)


class Tab:
    """A real websocket client on a room tab, its terminal read by pyte."""

    def __init__(self, ws: object, width: int = 120, height: int = 36) -> None:
        self.ws = ws
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, needle: str, timeout: float = 25.0) -> float:
        started = time.monotonic()
        while needle not in self.text:
            left = timeout - (time.monotonic() - started)
            assert left > 0, f"{needle!r} never showed:\n{self.text}"
            try:
                message = await self.ws.receive(timeout=min(left, 0.5))  # type: ignore[attr-defined]
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                self.stream.feed(message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                raise AssertionError(f"the tab closed before {needle!r}:\n{self.text}")
        return time.monotonic() - started

    async def keys(self, data: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", data]))  # type: ignore[attr-defined]


def test_websocket_client_joins_plays_keys_and_reconnects(server: str) -> None:
    ws_url = server.replace("http:", "ws:") + f"/ws/join/{CODE}/state?width=120&height=36"

    async def play() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(ws_url) as ws:
                tab = Tab(ws)
                await tab.wait_for("Hudson School District")  # where the session was
                await tab.keys("\x1bOQ")  # F2: the briefing
                await tab.wait_for("Show my private briefing (State)")
                assert "State Turnaround Lead" in tab.text
                assert "Hudson School District" in tab.text
                await tab.keys("\x1bOR")  # F3: the dashboard
                await tab.wait_for("Reading Benchmark Assessment")
            # Closed (a reload, a lost network): a new socket opens where the tab was.
            async with client.ws_connect(ws_url) as ws:
                tab = Tab(ws)
                await tab.wait_for("Reading Benchmark Assessment")
                assert "session" in tab.text and "State" in tab.text
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                async with client.ws_connect(
                        server.replace("http:", "ws:") + "/ws/join/WRONG/state"):
                    pass
            assert refused.value.status == 404
    asyncio.run(play())


def test_websocket_from_another_site_is_refused(server: str) -> None:
    async def connect() -> None:
        async with aiohttp.ClientSession() as client, client.ws_connect(
                server.replace("http:", "ws:") + f"/ws/join/{CODE}/state",
                headers={"Origin": "http://elsewhere.example"}):
            pass
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        asyncio.run(connect())
    assert refused.value.status == 404


def test_sigterm_stops_the_server_and_its_tabs(session_home: tuple[Path, str]) -> None:
    home, session_id = session_home
    proc, url = _start(home, session_id)

    async def open_tab() -> None:
        async with aiohttp.ClientSession() as client, client.ws_connect(
                url.replace("http:", "ws:") + f"/ws/join/{CODE}/district") as ws:
            await Tab(ws).wait_for(f"session {session_id}")
            out = await asyncio.to_thread(_stop, proc)
            assert "present" in out and "stopped" in out
            # Frames the tab drew before the server stopped may still be in flight: the
            # socket must end with a close, after them.
            message = await ws.receive(timeout=10)
            while message.type == aiohttp.WSMsgType.BINARY:
                message = await ws.receive(timeout=10)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    asyncio.run(open_tab())
    assert proc.returncode == 0
    children = subprocess.run(["pgrep", "-f", "--", f"--session {session_id} --role district"],
                              capture_output=True, text=True).stdout.split()
    assert children == []


@pytest.mark.parametrize("argv", [["--port", "0"], ["--port", "http"], ["--port", "70000"],
                                  ["--public-url", "ftp://x"], ["--host", ""]])
def test_bad_options_are_usage_errors(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c",
                           "import sys; from pmsim.cli import main; sys.exit(main())",
                           "serve", *argv], env=_env(), capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("pmsim serve: error: argument")
    assert "Traceback" not in done.stderr


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    return None


def test_browser_joins_plays_and_shows_the_room(server: str, tmp_path: Path) -> None:
    missing = _browser_missing()
    required = os.environ.get("PMSIM_REQUIRE_BROWSER") == "1"
    if missing:
        if required:
            pytest.fail(f"PMSIM_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    if not required:
        # Under the parallel suite's load a tab's keys were once lost (issue 12 is open on
        # it): until that is mended the browser test runs where it is asked for.
        pytest.skip("set PMSIM_REQUIRE_BROWSER=1 to drive Chromium (the test is not yet "
                    "steady under the parallel suite's load)")
    from playwright.sync_api import sync_playwright

    def screen(page: object) -> str:
        return str(page.evaluate(  # type: ignore[attr-defined]
            "() => window.pmsim ? window.pmsim.screenText() : ''"))

    def wait_for(page: object, needle: str, timeout: float = 25.0) -> None:
        started = time.monotonic()
        while needle not in screen(page):
            assert time.monotonic() - started < timeout, f"{needle!r}:\n{screen(page)}"
            time.sleep(0.2)

    def press_until(page: object, key: str, needle: str, timeout: float = 25.0) -> None:
        """Press ``key`` until ``needle`` shows: on a loaded machine the app may not yet
        read keys when the page first has the terminal."""
        started = time.monotonic()
        while needle not in screen(page):
            assert time.monotonic() - started < timeout, f"{needle!r}:\n{screen(page)}"
            page.focus(".xterm-helper-textarea")  # type: ignore[attr-defined]
            page.keyboard.press(key)  # type: ignore[attr-defined]
            deadline = time.monotonic() + 3
            while needle not in screen(page) and time.monotonic() < deadline:
                time.sleep(0.2)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            fetched: list[str] = []
            page.on("request", lambda request: fetched.append(request.url))
            page.goto(server + "/")
            page.fill("#code", "abcd 2345")
            page.click("button[type=submit]")
            page.click("#role-state")
            wait_for(page, "Hudson School District")
            assert "State Turnaround Lead" in page.inner_text("header")
            press_until(page, "F2", "Show my private briefing (State)")
            press_until(page, "F3", "Reading Benchmark Assessment")
            shot = tmp_path / "room.png"
            page.screenshot(path=str(shot))
            assert page.locator("#closed").is_hidden()
            body = page.content()
            assert "pmsim play" not in body and "--session" not in body
        finally:
            browser.close()
    assert all(u.startswith(server) or u.startswith(server.replace("http:", "ws:"))
               for u in fetched), fetched
    assert any("/static/ts/js/textual.js" in u for u in fetched)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    _assert_not_blank(data)


def _assert_not_blank(png: bytes) -> None:
    """The screenshot has many colours and no one colour covers nearly all of it."""
    import struct
    import zlib

    pos, chunks, width, height = 8, b"", 0, 0
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
