"""``pmsim serve`` end to end with real workshop codes: ``pmsim workshop new`` makes the
codes, ``pmsim serve`` (the real command, a subprocess) serves them, and real websocket
clients (aiohttp, pyte reading the terminal) join rooms and open the console."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")
pytest.importorskip("pyte")

from servelib import PMSIM, Tab, free_port, get, pmsim, session_in, started, stop  # noqa: E402


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("workshop-home")
    made = json.loads(pmsim("workshop", "new", "hudson", "--rooms", "2", "--format", "json",
                            "--home", str(home)).stdout)
    other = json.loads(pmsim("workshop", "new", "hudson", "--rooms", "1", "--format", "json",
                             "--home", str(home)).stdout)
    shown = json.loads(pmsim("workshop", "show", made["workshop"], "--format", "json",
                             "--home", str(home)).stdout)
    port = free_port()
    proc = started([*PMSIM, "serve", "--port", str(port), "--home", str(home)])
    url = f"http://127.0.0.1:{port}"
    yield {"home": home, "made": made, "other": other, "url": url,
           "ws": url.replace("http:", "ws:"),
           "sessions": {r["room"]: r["session"] for r in shown["rooms"]}}
    out = stop(proc)
    assert "Traceback" not in out, out


def _code(made: dict[str, Any], room: str) -> str:
    return next(r["code"] for r in made["rooms"] if r["room"] == room)


def _private(role: str) -> str:
    """The first words of a role's private briefing in the built-in scenario."""
    from simulator.formats.loading import load_scenario

    text = getattr(load_scenario("hudson", ()).scenario.roles, role).private
    return " ".join(text.split()[:8])


SIZE = "?width=120&height=36"


def test_two_roles_share_the_room_and_keep_their_briefings_private(workshop: Any) -> None:
    made, ws = workshop["made"], workshop["ws"]
    room1, room2 = _code(made, "room-1"), _code(made, "room-2")
    state_secret, district_secret = _private("state"), _private("district")

    async def play() -> None:
        async with aiohttp.ClientSession() as client, \
                client.ws_connect(f"{ws}/ws/join/{room1}/state{SIZE}") as s_ws, \
                client.ws_connect(f"{ws}/ws/join/{room1}/district{SIZE}") as d_ws:
            state = Tab(s_ws, forbidden=(district_secret,))
            district = Tab(d_ws, forbidden=(state_secret,))
            await asyncio.gather(state.wait_for("Show my private briefing (State)"),
                                 district.wait_for("Show my private briefing (District)"))
            # One session for the room, the one the workshop gave it, in both headers.
            assert session_in(state.text) == session_in(district.text) \
                == workshop["sessions"]["room-1"]
            assert "· State" in state.text and "· District" in district.text
            assert "Show my private briefing (District)" not in state.text
            # Each asks for their own private briefing (p, then y to the confirm).
            for tab in (state, district):
                await tab.keys("p")
                await tab.wait_for("Show the private briefing?")
                await tab.keys("y")
            await state.wait_for("Private — State Turnaround Lead only")
            await district.wait_for("Private — District Turnaround Lead only")
            assert state_secret in " ".join(state.text.split())
            assert district_secret in " ".join(district.text.split())
            await asyncio.gather(state.settle(), district.settle())
            # The console shows both in room 1, nobody in room 2.
            async with client.ws_connect(
                    f"{ws}/ws/console/{made['facilitator_code']}{SIZE}") as c_ws:
                console = Tab(c_ws)
                await console.wait_for("room-2")
                await console.wait_for("state, district")
                line = next(t for t in console.text.splitlines() if "room-1" in t)
                assert workshop["sessions"]["room-1"] in line and "state, district" in line
                line = next(t for t in console.text.splitlines() if "room-2" in t)
                assert "state" not in line
            # Room 2's code opens room 2's own session.
            async with client.ws_connect(f"{ws}/ws/join/{room2}/district{SIZE}") as r2_ws:
                other = Tab(r2_ws, forbidden=(state_secret,))
                await other.wait_for("Show my private briefing (District)")
                assert session_in(other.text) == workshop["sessions"]["room-2"] \
                    != workshop["sessions"]["room-1"]
    asyncio.run(play())
    status, _, page = get(f"{workshop['url']}/join/{room2}")
    assert status == 200 and "Room room-2" in page and "room-1" not in page


def test_codes_open_only_their_own_door(workshop: Any) -> None:
    made, url, ws = workshop["made"], workshop["url"], workshop["ws"]
    room1, facilitator = _code(made, "room-1"), made["facilitator_code"]
    assert get(f"{url}/console/{facilitator}")[0] == 200
    assert get(f"{url}/join/{room1}")[0] == 200
    assert get(f"{url}/console/{room1}")[0] == 404  # a room code opens no console
    assert get(f"{url}/join/{facilitator}")[0] == 404  # the facilitator code opens no room
    assert get(f"{url}/join/{facilitator}/state")[0] == 404
    status, _, page = get(f"{url}/join?code={facilitator.lower()}")  # the join form
    assert status == 200 and "· console</title>" in page and "/ws/console/" in page
    status, _, page = get(f"{url}/join?code={room1}")
    assert status == 200 and "Room room-1" in page and "console" not in page

    async def refused(path: str) -> int:
        async with aiohttp.ClientSession() as client:
            with pytest.raises(aiohttp.WSServerHandshakeError) as error:
                async with client.ws_connect(ws + path):
                    pass
            return int(error.value.status)
    assert asyncio.run(refused(f"/ws/console/{room1}")) == 404
    assert asyncio.run(refused(f"/ws/join/{facilitator}/state")) == 404


def test_a_closed_workshop_s_codes_give_404(workshop: Any) -> None:
    other, url = workshop["other"], workshop["url"]
    code, facilitator = other["rooms"][0]["code"], other["facilitator_code"]
    assert get(f"{url}/join/{code}")[0] == 200
    pmsim("workshop", "close", other["workshop"], "--home", str(workshop["home"]))
    for path in (f"/join/{code}", f"/join/{code}/state", f"/console/{facilitator}"):
        status, _, page = get(url + path)
        assert status == 404 and "No room with that code" in page, path


def test_the_console_exports_to_the_browser(workshop: Any, tmp_path: Path) -> None:
    made, url, ws = workshop["made"], workshop["url"], workshop["ws"]
    facilitator, room1 = made["facilitator_code"], _code(made, "room-1")

    async def export() -> tuple[str, int, bytes, list[int]]:
        async with aiohttp.ClientSession() as client, client.ws_connect(
                f"{ws}/ws/console/{facilitator}{SIZE}") as c_ws:
            console = Tab(c_ws)
            await console.wait_for("room-2")
            await console.keys("e")
            key = await console.wait_text("deliver_file_start")
            # Only through the facilitator code of the workshop whose console made it.
            refused = [(await client.get(f"{url}/console/{room1}/download/{key}")).status,
                       (await client.get(f"{url}/download/{key}")).status]
            async with client.get(f"{url}/console/{facilitator}/download/{key}") as got:
                data = await got.read()
                answer = (got.headers["Content-Disposition"], got.status, data)
            await console.wait_for("Sent to your browser")
            again = await client.get(f"{url}/console/{facilitator}/download/{key}")
            return (*answer, [*refused, again.status])
    disposition, status, data, refused = asyncio.run(export())
    assert status == 200 and refused == [404, 404, 404]  # once, and only to its console
    assert disposition == f'attachment; filename="workshop-{made["workshop"]}.zip"'
    out = tmp_path / "export.zip"
    pmsim("workshop", "export", made["workshop"], "--out", str(out),
          "--home", str(workshop["home"]))
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"ratings.csv", "polls.csv", "status.json", "rooms/room-1/report.html",
            "rooms/room-2/transcript.yaml"} <= set(names)
    assert names == zipfile.ZipFile(out).namelist()
    assert data == out.read_bytes()  # the command's own export, byte for byte
