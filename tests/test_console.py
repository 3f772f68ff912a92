"""The facilitator console: rooms listed from the store, keys control every room."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable

from simulator.session.home import Home, open_store
from simulator.workshop import create_workshop, mark_present, workshop_status
from tui.console.app import ConsoleApp


def test_console_lists_rooms_and_its_keys_control_them(tmp_path: Path) -> None:
    asyncio.run(_console(tmp_path))


async def _console(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 3)
        mark_present(store, made.rooms[2][2], "state")
        app = ConsoleApp(made.id, store, poll_s=60)
        async with app.run_test(size=(120, 40)) as pilot:
            rooms = app.query_one("#rooms", DataTable)
            assert rooms.row_count == 3
            assert [rooms.get_row_at(i)[0] for i in range(3)] == ["room-1", "room-2", "room-3"]
            assert rooms.get_row_at(2)[3] == "state"
            await pilot.press("s")
            assert workshop_status(store, made.id).state == "running"
            await pilot.press("a")
            assert workshop_status(store, made.id).stage == "meeting-1"
            head = str(app.query_one("#head").render())  # stages by name, not by id
            assert "stage Meeting #1 of Briefing → Meeting #1 → Debrief #1 → Meeting #2 → " \
                "Final debrief" in head, head
            assert rooms.get_row_at(0)[2] == "Briefing"
            await pilot.press("p")
            assert workshop_status(store, made.id).state == "paused"
            await pilot.press("c")
            assert workshop_status(store, made.id).state == "paused"  # asks first
            await pilot.press("c")
            assert workshop_status(store, made.id).state == "closed"
            await pilot.press("s")
            assert "closed" in str(app.query_one("#said").render())


def test_console_export_key_writes_the_command_s_zip(tmp_path: Path) -> None:
    asyncio.run(_export(tmp_path))


async def _export(tmp_path: Path) -> None:
    from pmsim.workshop_cli import export_bytes

    home = Home(tmp_path / "home")
    with open_store(None, home) as store:
        made = create_workshop(store, home, "hudson", 2)
        app = ConsoleApp(made.id, store, poll_s=60, home=home, export=export_bytes,
                         opener=lambda: open_store(None, home, readonly=True))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("e")
            await app.workers.wait_for_complete()
            await pilot.pause()
            out = home.reports / f"workshop-{made.id}.zip"
            assert str(app.query_one("#said").render()) == f"Exported to {out}"
            assert app.exported == out
            assert out.read_bytes() == export_bytes(store, home, made.id)
            assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left
        bare = ConsoleApp(made.id, store, poll_s=60)
        async with bare.run_test(size=(120, 40)) as pilot:
            await pilot.press("e")  # no export given: the key does nothing
            await pilot.pause()
            assert not bare.exporting and not bare.check_action("export", ())
            assert str(bare.query_one("#said").render()) == ""
