"""The workshop load benchmark, run small (``--quick``: two rooms, four tabs, a few
keys), so that it cannot rot unnoticed: every tab sees its first screen, its keys come
back on its screen, the report has its figures, and no process is left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")
pytest.importorskip("pyte")

ROOT = Path(__file__).resolve().parent.parent


def _still_running(pids: list[int]) -> list[str]:
    """The command lines of those of ``pids`` that are still pmsim processes."""
    found = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"pmsim" in cmdline:
            found.append(cmdline.decode(errors="replace"))
    return found


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="the benchmark reads /proc")
def test_quick_run_reports_first_screens_echoes_and_memory() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"),
                           "--quick", "--format", "json"], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    steps = report["steps"]
    assert [s["tabs"] for s in steps] == [1, 4] and report["rooms"] == 2
    for step in steps:
        assert step["errors"] == [], step["errors"]
        assert step["first_screens_seen"] == step["arrivals"]
        assert step["connected"] == step["processes"] == step["tabs"]
        assert step["first_screen"]["count"] == step["arrivals"]
        assert 0 < step["first_screen"]["median_ms"] <= step["first_screen"]["max_ms"]
        echo = step["echo"]
        # 2 s at 4 keys a second per tab: the keys sent come back, none lost
        assert echo["count"] >= 4 * step["tabs"] and step["keys_lost"] == 0
        assert 0 < echo["median_ms"] <= echo["p95_ms"] <= echo["max_ms"] < 10_000
        assert 20 < step["tab_rss_mib"] < 1000 and 10 < step["server_rss_mib"] < 1000
        assert 0 <= step["cpu_typing"]["machine_busy"] <= 1
        assert step["cpu_typing"]["tabs_cores"] > 0
        assert 0 <= step["cpu_typing"]["tab_runqueue_wait"] <= 1.5
    assert report["costs"]["cpu_ms_per_key"] > 0 and report["costs"]["startup_cpu_s"] > 0
    # Typed into the meeting room's field, once the facilitator's console (a process of
    # its own, not counted as a tab) opened Meeting #1: the server, its warm start, the
    # console and the four tabs' processes, all stopped.
    assert report["into"] == "field"
    # The console's pause, then its resume, seen on every tab's screen
    for control in ("pause", "resume"):
        seen = report["controls"][control]
        assert seen["count"] == 4 and seen["missed"] == 0
        assert 0 < seen["median_ms"] <= seen["max_ms"] < 20_000
    assert len(report["pids"]) == 7 and _still_running(report["pids"]) == []
    text = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"),
                           "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert "--arrive-over" in text.stdout and "--keys-per-second" in text.stdout
