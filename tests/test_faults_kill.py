"""kill -9 at random moments of a scripted Hudson playthrough: nothing acknowledged is lost,
the log has no gap, and resuming gives what a fresh replay of the same events gives.

A short seeded campaign runs here; ``python benchmarks/bench_faults.py --kills 200`` runs
a long one (or set PMSIM_FAULT_KILLS to lengthen this test).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from faultlib import (
    Campaign,
    expected_kinds,
    hudson_script,
    kill_campaign,
    lost_events,
    resume_differences,
    session_of,
    stored_seqs,
)

from simulator.session.home import Home, open_store

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KILLS = int(os.environ.get("PMSIM_FAULT_KILLS", "8"))


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Campaign]:
    home = tmp_path_factory.mktemp("killed")
    return home, kill_campaign(home, KILLS, seed=8)


def test_every_player_ended_by_the_kill_or_at_the_end(campaign: tuple[Path, Campaign]) -> None:
    _, run = campaign
    assert not run.failures, run.failures[0]
    # A player that finished its steps before its moment came is run again, not killed.
    assert run.kills == KILLS and run.runs >= KILLS + 1


def test_every_acknowledged_event_is_stored_with_no_gap(campaign: tuple[Path, Campaign]) -> None:
    home, run = campaign
    sid = session_of(home)
    seqs = stored_seqs(Home(home).store_file, sid)
    assert seqs == list(range(1, len(seqs) + 1))
    # A kill can cut off the acknowledgement of one step: at most two events (a decision).
    assert len(run.acknowledged) >= len(seqs) - 2 * KILLS
    assert lost_events(home, run) == {}
    # Each step was played exactly once, whole: the log is the script's, kind for kind.
    with open_store(None, Home(home)) as store:
        kinds = [e.kind for e in store.events(sid)]
    assert kinds == expected_kinds(hudson_script())


def test_resume_equals_a_fresh_replay(campaign: tuple[Path, Campaign], tmp_path: Path) -> None:
    home, _ = campaign
    assert resume_differences(home, tmp_path / "copy") == []
