"""pmsim's text field (``tui.widgets.field.Field``): a key typed repaints the field, and
lays out nothing else (textual's ``Input`` lays out the whole screen at every key: on the
meeting room, most of what a key cost a served tab); it still scrolls its text, edits and
submits as ``Input`` does. Every one-line text field pmsim draws is one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from tui.widgets.field import Field

ROOT = Path(__file__).resolve().parent.parent


class Form(App[None]):
    CSS = "Horizontal { height: 1; } Label { width: 12; } #f { width: 1fr; }"

    def __init__(self, kind: type[Input]) -> None:
        super().__init__()
        self.kind = kind
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        for i in range(20):
            yield Static(f"row {i}")
        with Horizontal():
            yield Label("Action step")
            yield self.kind(placeholder="what will be done", id="f", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.submitted.append(event.value)


def _layouts(app: App[None]) -> list[int]:
    """Count the screen's layouts from now on."""
    count = [0]
    screen: Screen[object] = app.screen
    original = screen._refresh_layout

    def counted(*args: object, **kwargs: object) -> None:
        count[0] += 1
        original(*args, **kwargs)  # type: ignore[arg-type]

    screen._refresh_layout = counted  # type: ignore[method-assign]
    return count


async def _type(app: Form, pilot: Pilot[None], text: str) -> tuple[Input, list[int]]:
    """Focus the field, then type ``text`` into it, counting the screen's layouts."""
    field = app.query_one("#f", Input)
    field.focus()
    await pilot.pause()
    layouts = _layouts(app)
    for letter in text:
        await pilot.press("space" if letter == " " else letter)
    await pilot.pause()
    return field, layouts


@pytest.mark.parametrize("kind", [Input, Field])
def test_typing_lays_out_the_screen_only_for_textuals_input(kind: type[Input]) -> None:
    app = Form(kind)

    async def run() -> int:
        async with app.run_test(size=(40, 24)) as pilot:
            field, layouts = await _type(app, pilot, "abcdefghij")
            assert isinstance(field, kind) and field.value == "abcdefghij"
            return layouts[0]

    layouts = asyncio.run(run())
    if kind is Field:
        assert layouts == 0
    else:  # the cost the field avoids: a layout of the whole screen per key
        assert layouts >= 5


def test_a_long_text_scrolls_within_the_field_and_edits_and_submits() -> None:
    app = Form(Field)
    text = "hold the data meeting every second Tuesday with all principals"

    async def run() -> None:
        async with app.run_test(size=(40, 24)) as pilot:
            field, layouts = await _type(app, pilot, text)
            assert isinstance(field, Field) and field.value == text and layouts[0] == 0
            # The field is 28 cells wide: its end (and the cursor after it) is shown
            assert field.scroll_x > 0
            shown = field.render_line(0).text
            assert "principals" in shown and "hold" not in shown, shown
            await pilot.press("home")
            await pilot.pause()
            assert field.scroll_x == 0 and field.cursor_position == 0
            shown = field.render_line(0).text
            assert shown.startswith("hold the data"), shown
            await pilot.press("end", "backspace", "backspace", "enter")
            await pilot.pause()
            assert app.submitted == [text[:-2]]
            assert layouts[0] == 0

    asyncio.run(run())


def test_every_text_field_pmsim_draws_is_a_field() -> None:
    sources = [p for p in (ROOT / "tui").rglob("*.py") if p.name != "field.py"]
    built = [f"{p.relative_to(ROOT)}: {line.strip()}" for p in sources
             for line in p.read_text(encoding="utf-8").splitlines()
             if "Input(" in line and "class " not in line and "Field(" not in line]
    assert built == []
