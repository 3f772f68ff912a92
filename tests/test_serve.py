"""``pmsim serve``: pages, codes, a real websocket client on a real tab.

The server runs in a subprocess on a free loopback port, with the workshop lookup
replaced by a fixed one (a room code, a facilitator code) over a session made in a
temporary home; everything else (the pages, the rate limit, one ``pmsim play`` process
per tab under Textual's web driver) is what ``pmsim serve`` runs. The same with real
workshop codes is tests/test_serve_workshop.py; in Chromium, tests/test_serve_browser.py.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")
pytest.importorskip("pyte")

from servelib import Tab, external, free_port, get  # noqa: E402
from servelib import env as _env  # noqa: E402

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


def _start(home: Path, session_id: str, limit: int = 10) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
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


_get = get
_external = external


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


def _new_session(home: Path) -> str:
    from simulator.session.client import Room
    from simulator.session.home import Home

    room = Room.new(Home.locate(home), "hudson", 1)
    room.close()
    return room.session_id


def test_a_tab_that_opens_on_the_dashboard_goes_to_the_briefing(
        session_home: tuple[Path, str]) -> None:
    """The session remembers the dashboard; the next tab opens there and F2 must show the
    briefing (its first visit in that process), not end the tab."""
    home, _ = session_home
    session_id = _new_session(home)
    proc, url = _start(home, session_id, limit=1000)
    ws_url = url.replace("http:", "ws:") + f"/ws/join/{CODE}/state?width=120&height=36"

    async def play() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(ws_url) as ws:
                tab = Tab(ws)
                await tab.wait_for("Show my private briefing (State)")
                await tab.keys("\x1bOR")  # F3: the dashboard, where the session now opens
                await tab.wait_for("Reading Benchmark Assessment")
            async with client.ws_connect(ws_url) as ws:
                tab = Tab(ws)
                await tab.wait_for("Reading Benchmark Assessment")
                await tab.keys("\x1bOQ")  # F2: the briefing, not yet drawn in this process
                await tab.wait_for("Show my private briefing (State)")
    try:
        asyncio.run(play())
    finally:
        out = _stop(proc)
    assert "Traceback" not in out, out


def test_only_a_console_tab_may_send_a_file() -> None:
    """A file offered by a room tab's process is refused: no download is made and the
    browser is told nothing; a console tab's is made and announced."""
    import json

    from textual_serve.download_manager import DownloadManager

    from pmsim.serve.server import TabProcess

    async def offer(workshop: str | None) -> tuple[list[str], bool]:
        told: list[str] = []

        async def write_str(text: str) -> None:
            told.append(text)

        async def nothing(*_: object) -> None:
            return None

        downloads = DownloadManager()
        tab = TabProcess(["true"], write_bytes=nothing, write_str=write_str, close=nothing,
                         download_manager=downloads, workshop=workshop)
        await tab.on_meta(json.dumps({
            "type": "deliver_file_start", "key": "k1", "path": "/x/export.zip",
            "open_method": "download", "mime_type": "application/zip",
            "encoding": ""}).encode())
        try:
            made = (await downloads.get_download_metadata("k1")).file_name == "export.zip"
        except KeyError:
            made = False
        return told, made
    assert asyncio.run(offer(None)) == ([], False)
    assert asyncio.run(offer("w1")) == (['["deliver_file_start", "k1"]'], True)
