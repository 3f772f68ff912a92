"""The workshop server: join codes in, one meeting-room process per browser tab out.

Routes (every page ships its own assets; nothing is fetched from the internet):

``GET /``                     the join page: a form asking for the room's code
``GET /join?code=CODE``       the form's target: a redirect to ``/join/CODE``, or to
                              ``/console/CODE`` for the facilitator code
``GET /join/CODE``            the room's page: which role you play (404 for an unknown code)
``GET /join/CODE/ROLE``       the meeting room in that role; the terminal starts at once
``GET /console/CODE``         the facilitator console behind the facilitator code
``GET /ws/join/CODE/ROLE``    the websocket of a room tab (textual-serve's protocol)
``GET /ws/console/CODE``      the websocket of a console tab
``GET /console/CODE/download/KEY``  a file the console tab sent (its export), once, to
                              the holder of the facilitator code whose tab made it
``GET /healthz``              ``ok``: what a tab that lost the server polls before reopening
``GET /static/...``           this package's page script and style, textual-serve's
                              terminal (textual.js, xterm.css) and its bundled font

Each websocket runs its own process, ``pmsim play --session SID --role ROLE`` (or ``pmsim
console WORKSHOP``) on the server's home and store, under Textual's web driver through
textual-serve's :class:`AppService`. The process keeps nothing: a tab that reloads, a
laptop that sleeps or a server that restarts opens a new process on the same session,
which replays the store to where the room was.

Codes are guarded: every code lookup takes the same padded time and every unknown code
gets the same 404 page, and an address that gives too many wrong codes in a minute is
answered 429 with ``Retry-After`` (right codes included) until the minute has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from pmsim.serve.zygote import Zygote

log = logging.getLogger("pmsim.serve")

STATIC = Path(__file__).parent / "static"
"""This package's page script and style sheet."""

ROLES = {"state": "State Turnaround Lead", "district": "District Turnaround Lead"}

CODE_MAX = 64
"""A code longer than this is not looked up (it cannot be one); it is refused all the same."""

LOOKUP_FLOOR_S = 0.05
"""Every code lookup answers no sooner than this, so its time tells nothing."""

TAB_NICENESS = 5
"""How much a tab's process yields to the server relaying every tab's keys and screens."""

TAB_DRIVER = "tui.served_driver:ServedDriver"
"""The Textual driver of a tab's app (``TEXTUAL_DRIVER``): textual's web driver, reading
its input without waking ten times a second (``tui.served_driver``); named here, not imported,
so that the server itself never loads Textual."""

WARM_WAIT_S = 5.0
"""How long a tab asked for just after the server started waits for the warm start to
finish importing (about a second; a cold start would take as long, at three times the
CPU), before it starts cold."""

STOP_GRACE_S = 3.0
"""How long a tab's process has to quit when asked before it is killed."""


class ServeError(Exception):
    """A problem starting the server that the user can fix (a port in use, no workshops)."""


@dataclass(frozen=True)
class Room:
    """What the server needs of a room: the session and where to find it."""

    workshop: str
    room: str
    session_id: str
    scenario: str
    seed: int


class Lookup(Protocol):
    """Where codes are looked up. Blocking calls; the server runs them in a thread."""

    def find_room(self, code: str) -> Room | None: ...

    def find_workshop(self, facilitator_code: str) -> str | None: ...

    def mark_present(self, session_id: str, role: str) -> None: ...


class StoreLookup:
    """The codes of the workshops in the store (``simulator.workshop``), a store
    opened for each call so that every thread has its own connection."""

    def __init__(self, home: Path | str | None, store: str | None) -> None:
        from simulator.session.home import Home, store_url

        self.home = Home.locate(home)
        self.url = store_url(store)
        try:
            from simulator import workshop
        except ImportError:
            raise ServeError("this pmsim has no workshops (simulator.workshop is "
                             "missing): nothing to serve") from None
        self.workshop = workshop

    def _open(self) -> Any:
        from simulator.session.home import open_store

        return open_store(self.url, self.home)

    def find_room(self, code: str) -> Room | None:
        with self._open() as store:
            ref = self.workshop.find_room(store, code)
        if ref is None:
            return None
        return Room(ref.workshop, ref.room, ref.session_id, ref.scenario, ref.seed)

    def find_workshop(self, facilitator_code: str) -> str | None:
        with self._open() as store:
            found: str | None = self.workshop.find_workshop(store, facilitator_code)
            return found

    def mark_present(self, session_id: str, role: str) -> None:
        with self._open() as store:
            self.workshop.mark_present(store, session_id, role)


class RateLimit:
    """At most ``limit`` wrong codes per client address in a sliding ``window``."""

    def __init__(self, limit: int = 10, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.misses: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        now = self.clock()
        misses = self.misses.get(address)
        if misses is None:
            return deque()
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        if not misses:
            del self.misses[address]
        return misses

    def retry_after(self, address: str) -> int:
        """Seconds until ``address`` may try a code again; 0 when it may now."""
        misses = self._recent(address)
        if len(misses) < self.limit:
            return 0
        return max(1, int(misses[0] + self.window - self.clock() + 0.999))

    def miss(self, address: str) -> None:
        self._recent(address)
        self.misses.setdefault(address, deque()).append(self.clock())


def normal_code(text: str) -> str:
    """A code as typed (spaces, dashes, lower case) in the form codes are stored: upper
    case letters and digits."""
    return "".join(c for c in text.upper() if c.isalnum())


# ------------------------------------------------------------------ processes


def play_argv(session_id: str, role: str, home: str | None, store: str | None) -> list[str]:
    """The command of one room tab: the meeting room on the session, in the role."""
    return _pmsim(["play", "--session", session_id, "--role", role], home, store)


def console_argv(workshop: str, home: str | None, store: str | None) -> list[str]:
    """The command of one console tab: ``pmsim console`` without its code prompt (the
    server checked the facilitator code), with the export key."""
    return _pmsim([workshop], home, store, main="pmsim.serve.console")


class TabArgv(list[str]):
    """A tab's command line, which also says its module and arguments: forked by the
    warm start (:mod:`pmsim.serve.zygote`) as ``main.main(args)``, or run as it reads."""

    def __init__(self, main: str, args: list[str]) -> None:
        super().__init__([sys.executable, "-c",
                          f"import sys; from {main} import main; sys.exit(main())", *args])
        self.main = main
        self.args = args


def _pmsim(args: list[str], home: str | None, store: str | None,
           main: str = "pmsim.cli") -> list[str]:
    args = list(args)
    if home is not None:
        args += ["--home", home]
    if store is not None:
        args += ["--store", store]
    return TabArgv(main, args)


def tab_environment(width: int = 80, height: int = 24) -> dict[str, str]:
    """What a tab's process runs in (textual-serve's environment, with pmsim's driver)."""
    environment = AppService._build_environment(
        _NOT_DEBUG, width=width, height=height)  # type: ignore[arg-type]
    environment["TEXTUAL_DRIVER"] = TAB_DRIVER
    environment.setdefault("OPENBLAS_NUM_THREADS", "1")  # a tab's numpy: no thread pool
    return environment


class _NotDebug:
    debug = False


_NOT_DEBUG = _NotDebug()


class TabProcess(AppService):
    """textual-serve's AppService, with the command as an argument list (no shell: the
    process is the app itself) in a process group of its own, so that it can be killed
    whole when it does not quit."""

    def __init__(self, argv: list[str], *, workshop: str | None = None,
                 zygote: Zygote | None = None, **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv
        self.zygote = zygote
        """The warm start that forks this tab's process, if it runs (else it starts cold)."""
        self.workshop = workshop
        """The workshop of a console tab, the only kind that may send files; None for a
        room tab."""

    async def on_meta(self, data: bytes) -> None:
        if self.workshop is None:
            try:
                kind = json.loads(data).get("type")
            except (ValueError, AttributeError):
                kind = None
            if kind == "deliver_file_start":
                log.warning("a room tab tried to send a file: refused")
                return
        await super().on_meta(data)

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = tab_environment(width, height)
        zygote, argv = self.zygote, self.argv
        # A warm start still importing is soon done, and its fork far cheaper
        if (zygote is not None and isinstance(argv, TabArgv)
                and await zygote.ready(WARM_WAIT_S)):
            try:
                forked = await zygote.fork(argv.main, argv.args, environment)
            except (OSError, TimeoutError) as exc:
                log.warning("the warm start could not fork a tab (%s): started cold", exc)
            else:
                self._process = forked  # type: ignore[assignment]
                self._stdin = forked.stdin
                return forked
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            # A process group of its own (killed whole when it does not quit), in the
            # server's session: on Linux a session is a scheduling group (autogroup), and
            # eighty tabs in sessions of their own would each weigh as much as the server
            # that relays every key (bench_serve.py: it waited for a core 37% of the time).
            process_group=0,
        )
        with contextlib.suppress(OSError):  # the relay goes first; a tab's turn comes next
            os.setpriority(os.PRIO_PROCESS, process.pid, TAB_NICENESS)
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the app to quit; kill its process group if it has not within the grace."""
        task, self._task = self._task, None
        if task is None:
            return
        with contextlib.suppress(Exception):
            await self._download_manager.cancel_app_downloads(
                app_service_id=self.app_service_id)
        with contextlib.suppress(Exception):
            await self.send_meta({"type": "quit"})
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_S)
        except TimeoutError:
            self.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, STOP_GRACE_S)
        await self._reap()

    def kill(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    async def _reap(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except TimeoutError:
            self.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)


# ------------------------------------------------------------------ pages


def _page(title: str, body: str, prefix: str, *, script: bool = False, cls: str = "") -> str:
    """A whole page: only this server's assets, no inline script (the CSP forbids it)."""
    scripts = ""
    if script:
        scripts = (f'<script src="{prefix}/static/pmsim.js"></script>\n'
                   f'<script src="{prefix}/static/ts/js/textual.js"></script>\n')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{prefix}/static/ts/css/xterm.css">\n'
        f'<link rel="stylesheet" href="{prefix}/static/pmsim.css">\n'
        f'<link rel="icon" href="{prefix}/static/favicon.svg" type="image/svg+xml">\n'
        f"{scripts}</head>\n<body class=\"{cls}\">\n{body}\n</body>\n</html>\n"
    )


def _card(heading: str, inner: str) -> str:
    return (f'<main class="card">\n<h1>{html.escape(heading)}</h1>\n{inner}\n</main>')


JOIN_FORM = (
    '<p>Type the join code your facilitator gave your room.</p>\n'
    '<form method="get" action="{prefix}/join" autocomplete="off">\n'
    '<label for="code">Join code</label>\n'
    '<input id="code" name="code" required maxlength="64" autofocus '
    'autocapitalize="characters" spellcheck="false">\n'
    '<button type="submit">Join</button>\n</form>'
)


class WorkshopServer:
    """The aiohttp application of ``pmsim serve``."""

    def __init__(self, lookup: Lookup, *, home: str | None = None, store: str | None = None,
                 public_url: str | None = None, rate_limit: RateLimit | None = None,
                 play: Callable[[str, str], list[str]] | None = None,
                 console: Callable[[str], list[str]] | None = None,
                 warm: bool = True) -> None:
        self.lookup = lookup
        self.home = home
        self.store = store
        self.public_url = public_url
        self.prefix = urlsplit(public_url).path.rstrip("/") if public_url else ""
        self.limit = rate_limit or RateLimit()
        self.play = play or (lambda sid, role: play_argv(sid, role, home, store))
        self.console = console or (lambda ws: console_argv(ws, home, store))
        self.tabs: set[TabProcess] = set()
        self.sockets: set[web.WebSocketResponse] = set()
        self.downloads = DownloadManager()
        self.warm = warm
        """Whether tabs are forked from a warm start (:mod:`pmsim.serve.zygote`)."""
        self.zygote: Zygote | None = None

    # -------------------------------------------------------------- the app

    def app(self) -> web.Application:
        import textual_serve

        vendor = Path(textual_serve.__file__).parent / "static"
        app = web.Application(middlewares=[self._headers])
        app.add_routes([
            web.get("/", self.index),
            web.get("/join", self.join_form),
            web.get("/join/{code}", self.join),
            web.get("/join/{code}/{role}", self.room_tab),
            web.get("/console/{code}", self.console_tab),
            web.get("/console/{code}/download/{key}", self.download),
            web.get("/ws/join/{code}/{role}", self.room_socket),
            web.get("/ws/console/{code}", self.console_socket),
            web.get("/healthz", self.health),
            web.get("/favicon.ico", self.favicon),
            web.static("/static/ts", vendor, show_index=False, follow_symlinks=False),
            web.static("/static", STATIC, show_index=False, follow_symlinks=False),
        ])
        app.on_startup.append(self._start_zygote)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._stop_zygote)
        return app

    async def _start_zygote(self, app: web.Application) -> None:
        """The warm start, if wanted: tabs are forked from it once it has preloaded (in
        the meantime, and if it fails, they start cold)."""
        if not self.warm:
            return
        zygote = Zygote()
        try:
            await zygote.start(tab_environment(), TAB_NICENESS)
        except OSError as exc:
            log.warning("the warm start could not be started (%s): tabs start cold", exc)
            return
        self.zygote = zygote

    async def _stop_zygote(self, app: web.Application) -> None:
        if self.zygote is not None:
            await self.zygote.stop()
            self.zygote = None

    @web.middleware
    async def _headers(self, request: web.Request,
                       handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status == 404 and not (exc.text or "").startswith("<!DOCTYPE"):
                exc = self._not_found()  # a path that is nothing: the same 404 page
            response = web.Response(status=exc.status, body=exc.body,
                                    headers=exc.headers)
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:; "
            "worker-src 'self' blob:; frame-ancestors 'none'; form-action 'self'; "
            "base-uri 'none'")
        headers.setdefault("Referrer-Policy", "no-referrer")  # codes are in the paths
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
        return response

    # -------------------------------------------------------------- codes

    @staticmethod
    def address(request: web.Request) -> str:
        return request.remote or "unknown"

    async def _find(self, request: web.Request, kind: str, code: str | None = None,
                    miss: bool = True) -> Any:
        """The room or workshop of the request's code (``code``, else the path's), after
        the rate limit; raises the 429 or the 404 (the same page for every unknown code).
        ``miss=False``: an unknown code returns None and is not counted as a wrong one."""
        address = self.address(request)
        wait = self.limit.retry_after(address)
        if wait:
            raise self._too_many(wait)
        code = normal_code(request.match_info["code"] if code is None else code)
        started = time.monotonic()
        found: Any = None
        if 0 < len(code) <= CODE_MAX:
            finder = self.lookup.find_room if kind == "room" else self.lookup.find_workshop
            try:
                found = await asyncio.to_thread(finder, code)
            except Exception:  # a store problem answers as an unknown code, logged
                log.exception("looking up a %s code failed", kind)
                found = None
        else:  # no lookup: the same wait all the same
            await asyncio.to_thread(lambda: None)
        await asyncio.sleep(max(0.0, LOOKUP_FLOOR_S - (time.monotonic() - started)))
        if found is None and miss:
            self.limit.miss(address)
            raise self._not_found()
        return found

    def _not_found(self) -> web.HTTPNotFound:
        body = _card("No room with that code",
                     "<p>Check the code with your facilitator and try again.</p>\n"
                     + JOIN_FORM.format(prefix=self.prefix))
        return web.HTTPNotFound(text=_page("No room with that code", body, self.prefix),
                                content_type="text/html")

    def _too_many(self, wait: int) -> web.HTTPTooManyRequests:
        body = _card("Too many wrong codes",
                     f"<p>Wait {wait} seconds, then type the code again.</p>")
        return web.HTTPTooManyRequests(
            text=_page("Too many wrong codes", body, self.prefix),
            content_type="text/html", headers={"Retry-After": str(wait)})

    # -------------------------------------------------------------- pages

    async def index(self, request: web.Request) -> web.Response:
        body = _card("Join your breakout room", JOIN_FORM.format(prefix=self.prefix))
        return web.Response(text=_page("pmsim: join a room", body, self.prefix),
                            content_type="text/html")

    async def join_form(self, request: web.Request) -> web.Response:
        """The form's code: the facilitator's goes to the console, any other to its room
        (whose page answers an unknown code, and counts it as a wrong one)."""
        code = normal_code(request.query.get("code", ""))
        if not code:
            raise web.HTTPFound(f"{self.prefix}/")
        quoted = quote(code[:CODE_MAX + 1], safe="")
        if await self._find(request, "workshop", code, miss=False) is not None:
            raise web.HTTPSeeOther(f"{self.prefix}/console/{quoted}")
        raise web.HTTPSeeOther(f"{self.prefix}/join/{quoted}")

    async def join(self, request: web.Request) -> web.Response:
        room: Room = await self._find(request, "room")
        code = quote(normal_code(request.match_info["code"]), safe="")
        choices = "\n".join(
            f'<a class="role" id="role-{role}" href="{self.prefix}/join/{code}/{role}">'
            f"{html.escape(name)}</a>" for role, name in ROLES.items())
        body = _card(f"Room {room.room}",
                     "<p>Which role do you play? Your partner picks the other one, "
                     f"in a tab of their own.</p>\n<nav class=\"roles\">\n{choices}\n</nav>")
        return web.Response(text=_page(f"Room {room.room}", body, self.prefix),
                            content_type="text/html")

    async def room_tab(self, request: web.Request) -> web.Response:
        role = request.match_info["role"]
        if role not in ROLES:
            raise self._not_found()
        room: Room = await self._find(request, "room")
        code = quote(normal_code(request.match_info["code"]), safe="")
        return self._terminal(f"Room {room.room} · {ROLES[role]}", f"/ws/join/{code}/{role}")

    async def console_tab(self, request: web.Request) -> web.Response:
        workshop: str = await self._find(request, "workshop")
        code = quote(normal_code(request.match_info["code"]), safe="")
        return self._terminal(f"Workshop {workshop} · console", f"/ws/console/{code}",
                              download=f"/console/{code}/download/", what="console")

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A file a console tab of this facilitator code's workshop sent (the export):
        streamed from its process as textual-serve's own server does, once."""
        workshop: str = await self._find(request, "workshop")
        key = request.match_info["key"]
        try:
            meta = await self.downloads.get_download_metadata(key)
        except KeyError:
            raise self._not_found() from None
        tab = meta.app_service
        if not isinstance(tab, TabProcess) or tab.workshop != workshop:
            raise self._not_found()
        name = "".join(c for c in meta.file_name if c.isalnum() or c in "-_.") or "download"
        content_type = meta.mime_type or "application/octet-stream"
        if meta.encoding:
            content_type += f"; charset={meta.encoding}"
        disposition = "inline" if meta.open_method == "browser" else "attachment"
        response = web.StreamResponse(headers={
            "Content-Type": content_type,
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
        await response.prepare(request)
        async for chunk in self.downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    def _terminal(self, title: str, ws_path: str, download: str = "",
                  what: str = "meeting room") -> web.Response:
        """The terminal page: it connects as it loads (no start button, no command line)."""
        ws_url = ""
        if self.public_url:
            scheme, rest = self.public_url.split(":", 1)
            ws_url = ("wss:" if scheme == "https" else "ws:") + rest + ws_path
        body = (
            f'<header class="bar"><span>{html.escape(title)}</span>'
            '<span id="status" class="status">Connecting…</span></header>\n'
            '<div id="terminal" class="textual-terminal" data-font-size="16" '
            f'data-session-websocket-url="{html.escape(ws_url)}" '
            f'data-ws-path="{html.escape(self.prefix + ws_path)}" '
            f'data-download-path="{html.escape(self.prefix + download if download else "")}" '
            f'data-what="{html.escape(what)}" '
            f'data-health-url="{html.escape(self.prefix)}/healthz"></div>\n'
            '<div id="closed" class="overlay" hidden><div class="card">'
            f'<h1 id="closed-title">The {html.escape(what)} closed</h1>'
            '<p id="closed-text">Everything you did is saved.</p>'
            '<button id="reopen" type="button">Open it again</button></div></div>')
        return web.Response(text=_page(title, body, self.prefix, script=True, cls="tab"),
                            content_type="text/html")

    async def favicon(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "favicon.svg",
                                headers={"Content-Type": "image/svg+xml"})

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    # -------------------------------------------------------------- sockets

    def _same_origin(self, request: web.Request) -> bool:
        """A websocket opened by this server's pages: no Origin (not a browser), or the
        Origin of the host the page was served from or of the public URL."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        allowed = {f"{request.scheme}://{request.host}"}
        if self.public_url:
            parts = urlsplit(self.public_url)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        return origin in allowed

    async def room_socket(self, request: web.Request) -> web.StreamResponse:
        role = request.match_info["role"]
        if role not in ROLES or not self._same_origin(request):
            raise self._not_found()
        room: Room = await self._find(request, "room")
        try:
            await asyncio.to_thread(self.lookup.mark_present, room.session_id, role)
        except Exception:  # presence is for the console: the tab opens all the same
            log.exception("marking %s present in %s failed", role, room.session_id)
        return await self._run_tab(request, self.play(room.session_id, role))

    async def console_socket(self, request: web.Request) -> web.StreamResponse:
        if not self._same_origin(request):
            raise self._not_found()
        workshop: str = await self._find(request, "workshop")
        return await self._run_tab(request, self.console(workshop), workshop=workshop)

    async def _run_tab(self, request: web.Request, argv: list[str],
                       workshop: str | None = None) -> web.StreamResponse:
        """textual-serve's websocket loop on a process of the tab's own."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _size(request.query.get("width"), 80)
        height = _size(request.query.get("height"), 24)
        await websocket.prepare(request)
        self.sockets.add(websocket)
        tab = TabProcess(argv, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                         close=websocket.close, download_manager=self.downloads,
                         workshop=workshop, zygote=self.zygote)
        self.tabs.add(tab)
        try:
            await tab.start(width, height)
            assert tab._task is not None
            app, reader = tab._task, asyncio.create_task(self._messages(websocket, tab))
            await asyncio.wait({app, reader}, return_when=asyncio.FIRST_COMPLETED)
            if app.done() and not websocket.closed:
                # The process ended (quit, or failed): 1000 tells the page it was quit,
                # 1011 that it failed; neither reconnects by itself.
                with contextlib.suppress(Exception):
                    await tab._reap()
                process = tab._process
                failed = process is None or process.returncode not in (0, None)
                await websocket.close(
                    code=WSCloseCode.INTERNAL_ERROR if failed else WSCloseCode.OK)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("a tab failed")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(tab.stop())
            self.tabs.discard(tab)
            self.sockets.discard(websocket)
            with contextlib.suppress(Exception):
                await websocket.close()
        return websocket

    @staticmethod
    async def _messages(websocket: web.WebSocketResponse, tab: TabProcess) -> None:
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind = envelope[0]
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if kind == "stdin" and isinstance(envelope[1], str):
                await tab.send_bytes(envelope[1].encode("utf-8"))
            elif kind == "resize" and isinstance(envelope[1], dict):
                await tab.set_terminal_size(_size(envelope[1].get("width"), 80),
                                            _size(envelope[1].get("height"), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", envelope[1]])
            elif kind == "blur":
                await tab.blur()
            elif kind == "focus":
                await tab.focus()

    async def _on_shutdown(self, app: web.Application) -> None:
        """Stopping: every tab told the server is going (it reconnects when it is back),
        every process asked to quit, and killed if it does not."""
        for websocket in list(self.sockets):
            with contextlib.suppress(Exception):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        await asyncio.gather(*(tab.stop() for tab in list(self.tabs)),
                             return_exceptions=True)
        for tab in list(self.tabs):
            tab.kill()


def _size(value: object, default: int) -> int:
    """A terminal dimension from the browser, clamped to something a terminal can be."""
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, 10), 500)


# ------------------------------------------------------------------ running


def run(*, host: str, port: int, public_url: str | None, home: Path | str | None,
        store: str | None) -> int:
    """Serve until SIGINT or SIGTERM; 0 then. A port that cannot be had is a ServeError."""
    from simulator.session.home import HomeError
    from simulator.session.store import StoreError

    home_text = str(Path(home).expanduser().resolve()) if home is not None else None
    try:
        lookup = StoreLookup(home_text, store)
        with lookup._open():  # a store that cannot be opened is said now, not per join
            pass
    except (HomeError, StoreError) as exc:
        raise ServeError(str(exc)) from None
    server = WorkshopServer(lookup, home=home_text, store=store, public_url=public_url)
    return serve(server, host=host, port=port)


def serve(server: WorkshopServer, *, host: str, port: int) -> int:
    """Run ``server`` on HOST:PORT until SIGINT or SIGTERM, its tabs' processes stopped."""
    public_url = server.public_url
    try:
        listener = socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    shown = public_url or f"http://{_url_host(host)}:{port}"
    print(f"pmsim serve: participants open {shown}/ (Ctrl+C stops)", flush=True)
    logging.basicConfig(level=logging.WARNING, format="pmsim serve: %(message)s")
    web.run_app(server.app(), sock=listener, print=None, handle_signals=True,
                shutdown_timeout=STOP_GRACE_S * 2, access_log=None)
    print("pmsim serve: stopped", flush=True)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
