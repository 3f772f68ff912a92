"""Served to a browser, a focused text field's cursor stands still (a blink is a frame
twice a second from every one of a workshop's tabs); in a terminal it blinks as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input

from tui.app import PmsimApp

SIZE = (120, 40)


@pytest.mark.parametrize("web", [False, True])
def test_a_focused_field_blinks_only_in_a_terminal(tmp_path: Path, web: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PmsimApp, "is_web", property(lambda self: web))
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            names = app.screen.query_one("#participant", Input)
            names.focus()
            for _ in range(50):
                await pilot.pause(0.02)
                if app.focused is names:
                    break
            assert app.focused is names
            await pilot.pause()
            assert names.cursor_blink is (not web)

    asyncio.run(run())
