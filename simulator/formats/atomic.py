"""Write a file all at once: a temporary file beside it, then a rename.

Every file pmsim writes into the home (reports, the outcomes cache) goes
through :func:`write_atomic`, so a reader sees the old file or the new one,
never half of either. A failed write (a full disk, an interrupted process)
removes its temporary file; one left by a killed process is hidden, ends in
:data:`PARTIAL_SUFFIX` so nobody takes it for a report, and is swept away by the
next write into the same folder once it is :data:`STALE_AFTER_S` old (a younger
one may belong to a process still writing).

Standard library only.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

PARTIAL_SUFFIX = ".pmsim-partial"
"""The ending of every temporary file :func:`write_atomic` creates (and nothing else)."""
STALE_AFTER_S = 3600.0
"""A temporary file this old was left by a process that died: no write takes an hour."""


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8 with ``\\n`` line ends).

    The folder is created if need be. On any failure ``path`` is unchanged, the
    temporary file is gone, and the error (an OSError for a full disk) is raised.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_partials(path.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sweep_partials(folder: Path, *, older_than: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporary files of writes into ``folder`` that died; returns them."""
    cutoff = time.time() - older_than
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(PARTIAL_SUFFIX)):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # another process swept it first, or it isn't ours to remove
    return removed
