"""kill -9 at random moments of a scripted Hudson playthrough: nothing acknowledged is lost,
the log has no gap, and resuming gives what a fresh replay of the same events gives.

A short seeded campaign runs here; ``python benchmarks/bench_faults.py --kills 200`` runs
a long one (or set PMSIM_FAULT_KILLS to lengthen this test).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from faultlib import (
    Campaign,
    copy_session,
    expected_kinds,
    hudson_script,
    kill_campaign,
    stored_seqs,
)

from pmsim.cli import main
from simulator.engine.playthrough import simulate
from simulator.engine.simulation import Simulation
from simulator.session.client import Room
from simulator.session.home import Home, open_store
from simulator.session.state import plan_of, replay

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KILLS = int(os.environ.get("PMSIM_FAULT_KILLS", "10"))


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Campaign]:
    home = tmp_path_factory.mktemp("killed")
    return home, kill_campaign(home, KILLS, seed=8)


def _session(home: Path) -> str:
    with open_store(None, Home(home)) as store:
        [info] = store.list_sessions()
    return info.id


def test_every_player_ended_by_the_kill_or_at_the_end(campaign: tuple[Path, Campaign]) -> None:
    _, run = campaign
    assert not run.failures, run.failures[0]
    assert run.kills == KILLS and run.runs == KILLS + 1


def test_every_acknowledged_event_is_stored_with_no_gap(campaign: tuple[Path, Campaign]) -> None:
    home, run = campaign
    sid = _session(home)
    with open_store(None, Home(home)) as store:
        log = store.events(sid)
    seqs = stored_seqs(Home(home).store_file, sid)
    assert seqs == list(range(1, len(seqs) + 1))
    stored = {e.seq: e.kind for e in log}
    lost = {seq: kind for seq, kind in run.acknowledged.items() if stored.get(seq) != kind}
    assert not lost, f"acknowledged but not stored: {lost}"
    # Each step was played exactly once, whole: the log is the script's, kind for kind.
    assert [e.kind for e in log] == expected_kinds(hudson_script())


def _figures(sim: Simulation) -> list[tuple[np.ndarray, ...]]:
    return [(r.scores, *r.strand_scores, r.absences, r.absences_ytd) for r in sim.history]


def test_resume_equals_a_fresh_replay(campaign: tuple[Path, Campaign], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    home, _ = campaign
    sid = _session(home)
    room = Room.resume(Home(home), sid)
    try:
        plan = room.plan()
        room.simulate(plan[:1])  # as the TUI does: a meeting at a time, the simulation kept
        resumed = room.simulate(plan)
        log = room.store.events(sid)
    finally:
        room.close()
    fresh_state = replay(log)
    assert plan_of(fresh_state) == plan and len(plan) == 2
    fresh, _ = simulate(room.scenario, fresh_state.seed, plan_of(fresh_state))
    assert len(resumed.history) == len(fresh.history) == len(room.scenario.calendar.quarters)
    for got, want in zip(_figures(resumed), _figures(fresh), strict=True):
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a, b)

    copy_home = tmp_path / "copy"
    assert copy_session(log, copy_home) == sid
    reports = []
    for where in (home, copy_home):
        assert main(["report", sid, "--format", "json", "--replications", "2",
                     "--home", str(where)]) == 0
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1] and '"elements"' in reports[0]
