"""The primer's and the look-fors panel's keys reach the app through a browser terminal
(xterm.js in Chromium): Ctrl+G and Ctrl+L are not swallowed on the way, as F11 and F12
would be. Skipped only without Chromium or playwright, like the served room's browser tests."""

from __future__ import annotations

import time

from servelib import CHROMIUM, CHROMIUM_ARGS, browser_or_skip
from test_serve import server, session_home

__all__ = ["server", "session_home"]  # the served room's fixtures, used here


def test_ctrl_g_and_ctrl_l_reach_the_app_in_a_browser(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    def screen(page: object) -> str:
        return str(page.evaluate(  # type: ignore[attr-defined]
            "() => window.pmsim ? window.pmsim.screenText() : ''"))

    def press_until(page: object, key: str, needle: str, timeout: float = 25.0) -> None:
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
            page.goto(server + "/")
            page.fill("#code", "abcd 2345")
            page.click("button[type=submit]")
            page.click("#role-state")
            press_until(page, "Control+g", "What performance management is")
            press_until(page, "Escape", "Go to Meeting #1")
            press_until(page, "F4", "Close meeting")
            assert "A1 Student-outcome targets" not in screen(page)
            press_until(page, "Control+l", "A1 Student-outcome targets")
        finally:
            browser.close()
