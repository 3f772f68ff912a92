"""Write-then-rename leaves no temporary file behind: not on a full disk, not after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.formats import atomic
from simulator.formats.atomic import PARTIAL_SUFFIX, STALE_AFTER_S, sweep_partials, write_atomic

ROOT = Path(__file__).resolve().parents[1]


def partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(PARTIAL_SUFFIX))


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "debrief.md"
    write_atomic(target, "first\n")
    write_atomic(target, "second, é\n")
    assert target.read_bytes() == "second, é\n".encode()
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert partials(target.parent) == []


@pytest.mark.parametrize("failing", ["fchmod", "fsync", "replace"])
def test_a_full_disk_mid_write_leaves_the_old_file_and_no_temporary(
        failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "debrief.md"
    write_atomic(target, "the old report\n")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, failing, full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "the new report, twice as long\n" * 100)
    monkeypatch.undo()
    assert target.read_text() == "the old report\n"
    assert partials(tmp_path) == []


WRITER = """
import os, sys
from pathlib import Path
from simulator.formats import atomic

def stall(fd):
    print("written", flush=True)
    import time
    time.sleep(60)

atomic.os.fsync = stall
atomic.write_atomic(Path(sys.argv[1]), "half of a report\\n" * 10_000)
"""


def test_a_temporary_left_by_kill_9_is_hidden_and_swept_when_stale(tmp_path: Path) -> None:
    target = tmp_path / "debrief.md"
    write_atomic(target, "the old report\n")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "written\n"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    [left] = partials(tmp_path)
    assert left.name.startswith(".debrief.md.")  # hidden, and no reader opens it by name
    assert target.read_text() == "the old report\n"

    write_atomic(tmp_path / "other.html", "<p>")
    assert left.exists(), "a fresh temporary may be a live writer's: it is kept"
    old = time.time() - STALE_AFTER_S - 1
    os.utime(left, (old, old))
    write_atomic(tmp_path / "other.html", "<p>")
    assert partials(tmp_path) == []
    assert target.read_text() == "the old report\n"


def test_the_sweep_removes_only_its_own_stale_temporaries(tmp_path: Path) -> None:
    old = time.time() - STALE_AFTER_S - 1
    mine = tmp_path / f".debrief.md.abc{PARTIAL_SUFFIX}"
    theirs = [tmp_path / ".debrief.md.abc.tmp", tmp_path / f"notes{PARTIAL_SUFFIX}",
              tmp_path / "debrief.md"]
    folder = tmp_path / f".inside{PARTIAL_SUFFIX}"
    folder.mkdir()
    for path in (mine, *theirs):
        path.write_text("x")
    for path in (mine, *theirs, folder):
        os.utime(path, (old, old))
    assert sweep_partials(tmp_path) == [mine]
    assert all(p.exists() for p in (*theirs, folder))
    assert sweep_partials(tmp_path / "missing") == []
