"""``pmsim serve`` in a real browser: Debian's Chromium driven by playwright (no browser
download), on the real ``pmsim serve`` with codes from ``pmsim workshop new``.

Skipped only when Chromium or playwright is missing; CI sets PMSIM_REQUIRE_BROWSER=1, and
then their absence fails. Keys are pressed once, as a participant would: the page gives
the terminal the keyboard itself and sends keys typed while it connects.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

from servelib import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PMSIM,
    assert_not_blank,
    browser_or_skip,
    free_port,
    pmsim,
    screen_text,
    started,
    stop,
    wait_screen,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("browser-home")
    made = json.loads(pmsim("workshop", "new", "hudson", "--rooms", "2", "--format", "json",
                            "--home", str(home)).stdout)
    port = free_port()
    proc = started([*PMSIM, "serve", "--port", str(port), "--home", str(home)])
    yield {"url": f"http://127.0.0.1:{port}", "made": made}
    out = stop(proc)
    assert "Traceback" not in out, out


@pytest.fixture
def page(served: Any) -> Any:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 800},
                                   accept_downloads=True)
            tab.fetched = []
            tab.on("request", lambda request: tab.fetched.append(request.url))
            yield tab
        finally:
            browser.close()


def _only_this_server(page: Any, url: str) -> None:
    """No page fetched anything from anywhere else (no font, script or style)."""
    ws = url.replace("http:", "ws:")
    assert all(u.startswith((url + "/", ws + "/")) for u in page.fetched), page.fetched
    body = page.content()
    assert "pmsim play" not in body and "--session" not in body and "--home" not in body
    assert page.locator("#start").count() == 0  # no start button to click


def test_browser_joins_a_room_and_plays(served: Any, page: Any, tmp_path: Path) -> None:
    url, made = served["url"], served["made"]
    code = made["rooms"][0]["code"]
    page.goto(url + "/")
    page.fill("#code", f"{code[:4].lower()} {code[4:]}")  # typed loosely
    page.click("button[type=submit]")
    page.click("#role-state")
    wait_screen(page, "Show my private briefing (State)")
    assert "State Turnaround Lead" in page.inner_text("header")
    assert "Show my private briefing (District)" not in screen_text(page)
    page.keyboard.press("F3")  # once: no click on the terminal first
    wait_screen(page, "Reading Benchmark Assessment")
    shot = tmp_path / "room.png"
    page.screenshot(path=str(shot))
    assert page.locator("#closed").is_hidden()
    _only_this_server(page, url)
    assert any("/static/ts/js/textual.js" in u for u in page.fetched)
    assert_not_blank(shot.read_bytes())


def test_browser_console_lists_rooms_and_exports(served: Any, page: Any,
                                                 tmp_path: Path) -> None:
    url, made = served["url"], served["made"]
    page.goto(url + "/")
    page.fill("#code", made["facilitator_code"].lower())  # the join form takes it too
    page.click("button[type=submit]")
    wait_screen(page, "room-2")
    assert page.url == f"{url}/console/{made['facilitator_code']}"
    text = screen_text(page)
    assert "room-1" in text and f"Workshop {made['workshop']}" in text
    assert "console" in page.inner_text("header")
    with page.expect_download(timeout=90_000) as downloading:
        page.keyboard.press("e")
    download = downloading.value
    assert download.suggested_filename == f"workshop-{made['workshop']}.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    names = zipfile.ZipFile(io.BytesIO(saved.read_bytes())).namelist()
    assert {"ratings.csv", "polls.csv", "status.json", "rooms/room-1/report.html"} <= set(names)
    wait_screen(page, "Sent to your browser")
    shot = tmp_path / "console.png"
    page.screenshot(path=str(shot))
    assert_not_blank(shot.read_bytes())
    _only_this_server(page, url)
    page.keyboard.press("q")  # quit: the page says the console closed, and stays closed
    page.wait_for_selector("#closed-title:has-text('The console closed')", state="visible",
                           timeout=30_000)


def test_browser_tab_reconnects_when_the_server_comes_back(
        tmp_path_factory: pytest.TempPathFactory, page: Any) -> None:
    """The server stops under an open tab (a restart): the tab says it is reconnecting,
    and when the server is back it reopens by itself, on the same session, where the
    room was."""
    home = tmp_path_factory.mktemp("restart-home")
    made = json.loads(pmsim("workshop", "new", "hudson", "--rooms", "1", "--format", "json",
                            "--home", str(home)).stdout)
    port = free_port()
    argv = [*PMSIM, "serve", "--port", str(port), "--home", str(home)]
    url = f"http://127.0.0.1:{port}"
    proc = started(argv)
    try:
        page.goto(f"{url}/join/{made['rooms'][0]['code']}/district")
        wait_screen(page, "Show my private briefing (District)")
        page.keyboard.press("F3")
        wait_screen(page, "Reading Benchmark Assessment")
        session = re.search(r"session ([a-z0-9]+)", screen_text(page))
        assert session
        page.evaluate("() => { window.beforeRestart = true; }")
        out = stop(proc)
        assert "Traceback" not in out, out
        page.wait_for_selector("#status:has-text('reconnecting')", timeout=20_000)
        proc = started(argv)
        # Reloaded by itself (the mark is gone with the old page), and connected again.
        page.wait_for_function("() => window.beforeRestart === undefined && window.pmsim"
                               " && window.pmsim.connected()", timeout=60_000)
        wait_screen(page, "Reading Benchmark Assessment", timeout=60)
        assert f"session {session.group(1)}" in screen_text(page)
        assert page.locator("#closed").is_hidden()
    finally:
        out = stop(proc)
    assert "Traceback" not in out, out
