"""Text as a terminal or a renderer shows it literally: no control character gets through.

Kept free of heavy imports: the TUI's first frame uses it.
"""

from __future__ import annotations

import json
import unicodedata

_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def printable(text: object, keep: str = "") -> str:
    """Text as a terminal shows it literally: every control, format or line-separator
    character (an escape sequence, a tab, a carriage return, a bidi override) becomes a
    visible ``\\xNN`` or ``\\uNNNN``, so a scenario file can neither drive the terminal
    nor break a column. Characters in ``keep`` (a renderer's own newline) pass through.
    """
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in keep or unicodedata.category(ch) not in _HIDDEN:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def json_printable(dumped: str) -> str:
    """JSON written with ``ensure_ascii=False`` keeps C1 controls and bidi overrides raw;
    this writes them as ``\\u`` escapes instead: the same JSON value, safe on a terminal."""
    return "".join(
        json.dumps(ch)[1:-1] if ch != "\n" and unicodedata.category(ch) in _HIDDEN else ch
        for ch in dumped
    )
