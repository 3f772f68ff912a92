"""Rebuilding a session's simulation from its recorded decisions."""

from __future__ import annotations

import numpy as np

from simulator.engine.playthrough import simulate
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
