"""The engine: stepping, decisions, stream separation and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine.simulation import Decision, Simulation, SimulationError
from simulator.formats.scenario import Scenario

BUNDLE = [Decision("structured-literacy"), Decision("tutoring-math"),
          Decision("attendance-outreach")]


def play(sc: Scenario, decisions: list[Decision], replications: int = 1, seed: int = 1):
    sim = Simulation(sc, seed=seed, replications=replications)
    sim.run_until_meeting()
    sim.decide(decisions)
    while not sim.finished:
        sim.run_until_meeting()
    return sim


def test_the_year_steps_quarter_by_quarter_to_each_meeting(hudson):
    sim = Simulation(hudson, seed=1)
    assert sim.meeting_due() is None
    assert [r.quarter.label for r in sim.run_until_meeting()] == ["Q1", "Q2"]
    assert sim.meeting_due().id == "meeting-1"
    assert [r.quarter.label for r in sim.run_until_meeting()] == ["Q3"]
    assert sim.meeting_due().id == "meeting-2"
    sim.run_until_meeting()
    assert sim.finished
    with pytest.raises(SimulationError, match="year is over"):
        sim.advance()


def test_decisions_at_meeting_1_cannot_change_the_q1_q2_data(hudson):
    bau = play(hudson, [])
    treated = play(hudson, BUNDLE)
    for q in (0, 1):
        assert np.array_equal(bau.history[q].scores, treated.history[q].scores)
        assert np.array_equal(bau.history[q].absences, treated.history[q].absences)
    assert not np.array_equal(bau.history[3].scores, treated.history[3].scores)


def test_a_strategy_changes_only_the_students_it_serves(hudson):
    bau = play(hudson, [])
    treated = play(hudson, [Decision("tutoring-math")])
    served = treated.active["tutoring-math"].taken[0] > 0
    math = [s.id for s in hudson.subjects].index("math")
    reading = 1 - math
    q4b, q4t = bau.history[3], treated.history[3]
    assert np.array_equal(q4b.scores[reading], q4t.scores[reading])
    assert np.array_equal(q4b.scores[math][:, ~served], q4t.scores[math][:, ~served])
    gain = (q4t.scores[math][:, served] - q4b.scores[math][:, served]).mean()
    assert gain > 0.5  # RIT points for the tutored students


def test_adding_a_strategy_to_the_scenario_does_not_reshuffle_anything(hudson):
    extra = hudson.strategies[0].model_copy(update={"id": "zz-new", "name": "New"})
    bigger = hudson.model_copy(update={"strategies": [extra, *hudson.strategies]})
    a, b = play(hudson, BUNDLE), play(bigger, BUNDLE)
    assert np.array_equal(a.population.ability, b.population.ability)
    for ra, rb in zip(a.history, b.history, strict=True):
        assert np.array_equal(ra.scores, rb.scores)
        assert np.array_equal(ra.absences, rb.absences)


def test_replication_zero_is_the_single_replication_run(hudson):
    one = play(hudson, BUNDLE, replications=1)
    many = play(hudson, BUNDLE, replications=4)
    for r1, rn in zip(one.history, many.history, strict=True):
        assert np.array_equal(r1.scores[:, 0], rn.scores[:, 0])
        assert np.array_equal(r1.absences[0], rn.absences[0])
        for s1, sn in zip(r1.strand_scores, rn.strand_scores, strict=True):
            assert np.array_equal(s1[:, 0], sn[:, 0])
    # and the other replications really differ
    assert not np.array_equal(many.history[3].scores[:, 0], many.history[3].scores[:, 1])


def test_different_seeds_give_different_schools(hudson):
    a, b = Simulation(hudson, seed=1), Simulation(hudson, seed=2)
    assert not np.array_equal(a.population.ability, b.population.ability)


def test_unknown_strategy_is_a_clear_error_with_a_suggestion(hudson):
    sim = Simulation(hudson, seed=1)
    sim.run_until_meeting()
    with pytest.raises(SimulationError, match="did you mean 'tutoring-math'"):
        sim.decide([Decision("tutoring-maths")])
    with pytest.raises(SimulationError, match="not running"):
        sim.decide([Decision("tutoring-math", action="stop")])


def test_stop_and_adjust(hudson):
    sim = Simulation(hudson, seed=1)
    sim.run_until_meeting()
    sim.decide([Decision("tutoring-reading")])
    sim.run_until_meeting()
    before = sim.active["tutoring-reading"].served.sum()
    sim.decide([Decision("tutoring-reading", action="adjust", capacity=20)])
    assert sim.active["tutoring-reading"].served.sum() == 20 < before
    sim.decide([Decision("tutoring-reading", action="stop")])
    result = sim.advance()
    assert "tutoring-reading" not in result.implementation


def test_implementation_data_ramp_up_and_suffer_from_a_staff_shortfall(hudson):
    heavy = [Decision("structured-literacy"), Decision("tutoring-math"),
             Decision("tutoring-reading"), Decision("attendance-outreach")]
    light = [Decision("structured-literacy")]
    h = play(hudson, heavy, replications=50)
    lo = play(hudson, light, replications=50)
    fid_h = h.history[2].implementation["structured-literacy"].fidelity.mean()
    fid_l = lo.history[2].implementation["structured-literacy"].fidelity.mean()
    # 4.5 FTE needed, 3.0 left in Q3: a third missing costs half of that share.
    assert 0.78 <= fid_h / fid_l <= 0.88, (fid_h, fid_l)
    ramp = [lo.history[q].implementation["structured-literacy"].fidelity.mean() for q in (2, 3)]
    assert ramp[1] > ramp[0]


def test_lagged_strategy_does_not_run_in_its_first_quarter(hudson):
    sim = play(hudson, [Decision("instructional-coaching")])
    assert not sim.history[2].implementation["instructional-coaching"].running
    assert sim.history[3].implementation["instructional-coaching"].running


def test_events_raise_absences_in_their_quarter(hudson):
    sim = play(hudson, [], replications=20)
    q2, q3 = sim.history[1].absences.mean(), sim.history[2].absences.mean()
    assert q3 > q2 * 1.15  # the flu season multiplies absences by 1.25 in Q3


def test_names_are_drawn_only_when_asked_and_are_deterministic(hudson):
    a, b = Simulation(hudson, seed=3).population, Simulation(hudson, seed=3).population
    assert "names" not in a.__dict__
    assert list(a.names[:20]) == list(b.names[:20])
    assert len(a.names) == a.n


def test_a_price_counts_the_students_the_engine_then_serves(hudson):
    from simulator.engine.pricing import price

    sim = Simulation(hudson, seed=1)
    sim.run_until_meeting()
    st = hudson.strategy("structured-literacy")
    default = price(sim, Decision("structured-literacy"))
    targeted = Decision("structured-literacy", grades=(6,), subgroups=("swd",))
    quote = price(sim, targeted)
    assert default.students == 90  # capped by the strategy's capacity
    assert 0 < quote.students < 90
    assert quote.cost == st.cost.fixed + st.cost.per_student * quote.students
    sim.decide([targeted])
    assert int(sim.active["structured-literacy"].served.sum()) == quote.students


def test_growth_from_a_strategy_is_its_effect_times_fidelity_for_those_taking_it_up(hudson):
    """With common random numbers the only difference a strategy makes to latent
    ability in a quarter is effect × quarter length × that replication's fidelity."""
    bau = Simulation(hudson, seed=6, replications=5)
    bau.run_until_meeting()
    treated = bau.fork()
    treated.decide([Decision("tutoring-math")])  # math only, no need or attendance effect
    bau.advance()
    result = treated.advance()
    st = hudson.strategy("tutoring-math")
    j = [s.id for s in hudson.subjects].index(st.subjects[0])
    taken = treated.active["tutoring-math"].taken > 0
    fidelity = result.implementation["tutoring-math"].fidelity
    dt = result.quarter.ends_at - hudson.calendar.quarters[result.index - 1].ends_at
    diff = treated.ability[j] - bau.ability[j]
    expected = np.broadcast_to((st.effect_sd * dt * fidelity)[:, None], diff.shape)
    assert np.allclose(diff[taken], expected[taken], atol=1e-5)
    assert np.array_equal(diff[~taken], np.zeros_like(diff[~taken]))
    assert fidelity.min() > 0.3 and fidelity.max() < 0.95  # fidelity really scales it
    assert np.array_equal(treated.ability[1 - j], bau.ability[1 - j])


def test_attendance_outreach_cuts_absences_by_its_effect_times_fidelity(hudson):
    def play_from(decisions):
        sim = Simulation(hudson, seed=5, replications=40)
        sim.run_until_meeting()
        sim.decide(decisions)
        while not sim.finished:
            sim.run_until_meeting()
        return sim

    bau, treated = play_from([]), play_from([Decision("attendance-outreach")])
    effect = hudson.strategy("attendance-outreach").attendance_effect
    taken = treated.active["attendance-outreach"].taken > 0
    for q in (2, 3):
        before = bau.history[q].absences.astype(np.float64)
        after = treated.history[q].absences.astype(np.float64)
        fidelity = treated.history[q].implementation["attendance-outreach"].fidelity
        assert (after <= before).all()
        assert np.array_equal(after[~taken], before[~taken])
        ratio = (after * taken).sum(axis=1) / (before * taken).sum(axis=1)
        assert np.allclose(ratio, 1 + effect * fidelity, atol=0.02), (ratio, fidelity)


def test_a_fork_branches_without_touching_the_original(hudson):
    sim = Simulation(hudson, seed=2, replications=2)
    sim.run_until_meeting()
    twin = sim.fork()
    assert twin.population is sim.population and twin.history == sim.history
    twin.decide([Decision("tutoring-math")])
    twin.run_until_meeting()
    assert sim.active == {} and sim.quarters_done == 2 and len(sim.history) == 2
    assert twin.quarters_done == 3 and len(twin.history) == 3
    sim.run_until_meeting()
    alone = Simulation(hudson, seed=2, replications=2)
    alone.run_until_meeting()
    alone.run_until_meeting()
    assert np.array_equal(sim.history[-1].scores, alone.history[-1].scores)
    assert np.array_equal(sim.ability, alone.ability)


def test_one_affordability_rule_with_one_tolerance(hudson):
    from simulator.engine.pricing import TOLERANCE, Price, fits, in_play, price, price_after, total

    assert fits(Price(260_000.0, 4.0), 260_000, 4.0)
    assert fits(Price(260_000.0 + TOLERANCE / 2, 4.0 + TOLERANCE / 2), 260_000, 4.0)
    assert not fits(Price(260_001.0, 4.0), 260_000, 4.0)
    assert not fits(Price(1.0, 4.01), 260_000, 4.0)
    sim = Simulation(hudson, seed=1)
    sim.run_until_meeting()
    sim.decide([Decision("tutoring-math"), Decision("data-teams")])
    running = {sid: act.decision for sid, act in sim.active.items()}
    decisions = [Decision("data-teams", action="stop"),
                 Decision("tutoring-math", action="continue"),
                 Decision("attendance-outreach")]
    after = in_play(running, decisions)
    assert list(after) == ["tutoring-math", "attendance-outreach"]
    assert after["tutoring-math"] is running["tutoring-math"]
    quote = price_after(sim, decisions)
    assert quote == total([price(sim, Decision("tutoring-math")),
                           price(sim, Decision("attendance-outreach"))])
    assert quote.staff_fte == 1.5
