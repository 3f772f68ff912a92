"""Rebuilding a session's simulation from its recorded decisions."""

from __future__ import annotations

import numpy as np

from simulator.engine.playthrough import first_meeting_plan, replay, simulate
from simulator.engine.simulation import Decision, Simulation

ADOPT = {"strategy": "structured-literacy", "action": "adopt",
         "options": {"grades": [6, 7], "subgroups": ["el", "swd"]}}
STOP_NEVER_RAN = {"strategy": "tutoring-math", "action": "stop", "options": {}}


def test_rebuilt_simulation_equals_playing_the_decisions_directly(hudson):
    rebuilt, done = simulate(hudson, 4, [("meeting-1", [ADOPT, STOP_NEVER_RAN])])
    assert done == ("meeting-1",)
    direct = Simulation(hudson, seed=4)
    direct.run_until_meeting()
    direct.decide([Decision("structured-literacy", grades=(6, 7), subgroups=("el", "swd"))])
    direct.run_until_meeting()
    assert len(rebuilt.history) == len(direct.history) == 3
    for a, b in zip(rebuilt.history, direct.history, strict=True):
        assert np.array_equal(a.scores, b.scores)
    assert set(rebuilt.active) == {"structured-literacy"}  # the impossible stop was dropped


def test_continuing_a_prefix_equals_starting_again(hudson):
    plan = [("meeting-1", [ADOPT]), ("meeting-2", [])]
    first, done = simulate(hudson, 4, plan[:1])
    seen = []
    continued, done = simulate(hudson, 4, plan, sim=first, done=done,
                               on_quarter=lambda q: seen.append(q.label))
    fresh, _ = simulate(hudson, 4, plan)
    assert seen == ["Q4"]  # only the new quarter was simulated
    assert continued.finished and fresh.finished
    assert np.array_equal(continued.history[-1].scores, fresh.history[-1].scores)


def test_replay_reports_each_meeting_reached_before_its_decisions(hudson):
    sim = Simulation(hudson, seed=4)
    seen: list[tuple[str, list[str]]] = []
    results = []
    applied = replay(sim, [("meeting-1", [ADOPT]), ("meeting-2", [])],
                     at_meeting=lambda m: seen.append((m.id, sorted(sim.active))),
                     on_result=results.append)
    assert applied == ("meeting-1", "meeting-2")
    assert seen == [("meeting-1", []), ("meeting-2", ["structured-literacy"])]
    assert sim.finished and results == sim.history


def test_replay_stops_at_the_meeting_after_the_plan_unless_told_to_carry_on(hudson):
    start = Simulation(hudson, seed=4, replications=2)
    assert replay(start, []) == ()
    assert start.quarters_done == 2  # at the first meeting
    short = start.fork()
    assert replay(short, [("meeting-1", [ADOPT])]) == ("meeting-1",)
    assert short.quarters_done == 3 and short.meeting_due().id == "meeting-2"
    upto = start.fork()
    replay(upto, [("meeting-1", [ADOPT])], through=2)
    assert upto.quarters_done == 3
    whole = start.fork()
    replay(whole, [("meeting-1", [ADOPT])], through=3)
    assert whole.finished and start.quarters_done == 2
    fresh, _ = simulate(hudson, 4, [("meeting-1", [ADOPT]), ("meeting-2", [])],
                        replications=2)
    assert np.array_equal(whole.history[-1].scores, fresh.history[-1].scores)


def test_pmsim_run_is_the_replay_of_adopting_at_the_first_meeting(hudson):
    from simulator.engine.headless import run
    from simulator.engine.metrics import quarter_json

    strategies = ["structured-literacy", "attendance-outreach"]
    doc = run(hudson, seed=2, strategies=strategies, replications=3)
    sim = Simulation(hudson, seed=2, replications=3)
    replay(sim, first_meeting_plan(hudson, strategies), through=3)
    assert doc["quarters"] == [quarter_json(sim, r) for r in sim.history]
    assert set(sim.active) == set(strategies)
