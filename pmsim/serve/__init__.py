"""``pmsim serve``: the meeting room in the browser, for a workshop's breakout rooms.

The command's parser and dispatch live here so that ``pmsim/cli.py`` carries only a
small block; the server itself (aiohttp, textual-serve) is imported only when the
command runs, so the rest of ``pmsim`` starts without them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def _port(text: str) -> int:
    """``--port``: a whole number from 1 to 65535, else argparse's usage error (exit 2)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 1-65535")
    return value


def _host(text: str) -> str:
    """``--host``: an address or name to listen on; empty or spaced text is refused."""
    if not text or any(c.isspace() for c in text) or "/" in text:
        raise argparse.ArgumentTypeError(f"not a host to listen on: {text!r}")
    return text


def public_url(text: str) -> str:
    """``--public-url``: ``http(s)://HOST[:PORT][/PATH]``, no query or fragment; returned
    without its trailing slash."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a URL: {text!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"not an http:// or https:// URL with a host: {text!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise argparse.ArgumentTypeError(
            f"a public URL has no query, fragment or user: {text!r}")
    return text.rstrip("/")


def add_parser(sub: Any, home: Callable[..., None]) -> None:
    serve = sub.add_parser(
        "serve", help="serve the meeting room to browsers: join codes for a workshop's rooms")
    serve.add_argument("--host", type=_host, default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1, this machine only;"
                            " 0.0.0.0 for every network of this machine)")
    serve.add_argument("--port", type=_port, default=8000, help="the port (default 8000)")
    serve.add_argument("--public-url", type=public_url, default=None, metavar="URL",
                       help="the address participants open, when it is not http://HOST:PORT"
                            " (behind a reverse proxy: https://workshop.example.org)")
    home(serve, store=True)


def dispatch(args: argparse.Namespace, user_error: type[Exception]) -> int:
    from pmsim.serve.server import ServeError, run

    try:
        return run(host=args.host, port=args.port, public_url=args.public_url,
                   home=args.home, store=args.store)
    except ServeError as exc:
        raise user_error(str(exc)) from None
