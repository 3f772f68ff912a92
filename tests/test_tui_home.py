"""The home screen: a first frame free of heavy work, the scenario list, new sessions."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from test_tui_meetings import until as _until
from textual.widgets import Input, OptionList

from simulator.session.home import Home, open_store
from tui.app import PmsimApp

SIZE = (100, 30)

FIRST_FRAME = r'''
import json, sys, threading
from textual.app import App
from tui.app import PmsimApp

HEAVY = ("pydantic", "numpy", "yaml", "faker", "simulator.formats.loading",
         "simulator.formats.scenario", "simulator.engine.simulation", "textual.widgets._markdown",
         "tui.screens.dialogs", "tui.screens.dashboard", "tui.screens.meeting",
         "simulator.session.client")
display = App._display
seen = {}


def first_frame(self, screen, update):
    if update is not None and type(screen).__name__ == "HomeScreen" and not seen:
        seen["modules"] = [m for m in HEAVY if m in sys.modules]
        seen["threads"] = threading.active_count()
        seen["workers"] = len(self.workers)
        self.call_later(self.exit)
    return display(self, screen, update)


App._display = first_frame
PmsimApp().run(headless=True, size=(100, 30))
print(json.dumps(seen))
'''


def test_the_first_frame_imports_no_engine_and_runs_no_worker(tmp_path: Path) -> None:
    env = {**os.environ, "PMSIM_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["modules"] == [], f"imported before the first frame: {seen['modules']}"
    assert seen["workers"] == 0
    assert seen["threads"] == 1


def test_new_session_records_the_participants_names(tmp_path: Path) -> None:
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            scenarios = app.screen.query_one("#scenarios", OptionList)
            await _until(pilot, lambda: scenarios.option_count and
                         scenarios.get_option_at_index(0).id == "hudson")
            assert "Hudson School District" in str(scenarios.get_option_at_index(0).prompt)
            await pilot.pause()  # the filled list is taller: let the layout settle
            await pilot.click("#participant")
            names = app.screen.query_one("#participant", Input)
            await _until(pilot, lambda: app.focused is names)
            await pilot.press(*"Ana  & Ben")
            assert names.value == "Ana  & Ben"
            await pilot.press("enter")
            await _until(pilot, lambda: type(app.screen).__name__ == "BriefingScreen")
            assert "session" in app.screen.sub_title

    asyncio.run(run())
    with open_store(None, Home(tmp_path)) as store:
        (info,) = store.list_sessions()
        created = store.events(info.id)[0]
    assert created.kind == "session.created"
    assert created.payload["participant"] == "Ana & Ben"
    assert info.title.endswith("· Ana & Ben")


def test_without_names_the_session_has_no_participant_key(tmp_path: Path) -> None:
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            scenarios = app.screen.query_one("#scenarios", OptionList)
            await _until(pilot, lambda: scenarios.option_count and
                         scenarios.get_option_at_index(0).id == "hudson")
            await pilot.press("n")
            await _until(pilot, lambda: type(app.screen).__name__ == "BriefingScreen")

    asyncio.run(run())
    with open_store(None, Home(tmp_path)) as store:
        (info,) = store.list_sessions()
        created = store.events(info.id)[0]
    assert "participant" not in created.payload
