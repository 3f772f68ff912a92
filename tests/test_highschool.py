"""Millbrook, the built-in high school whose ninth graders fall off track: written as data
only, it must pass its own calibration with no warning (course grades are its measure,
the need lives among chronically absent freshmen), and its worked transcripts must rate
far apart."""

from __future__ import annotations

import pytest

from simulator.debrief.calibrate import COURSES, calibrate
from simulator.debrief.scoring import score
from simulator.formats.loading import builtin_dir, builtin_paths, load_scenario
from simulator.formats.rubric import LEVELS
from simulator.formats.scenario import Scenario
from simulator.session.transcript import load_transcript


@pytest.fixture(scope="module")
def millbrook() -> Scenario:
    return load_scenario("millbrook").scenario


def test_millbrook_is_a_built_in_with_courses_and_a_need_on_them(millbrook: Scenario) -> None:
    assert builtin_dir() / "millbrook.yaml" in builtin_paths()
    assert millbrook.courses is not None and millbrook.courses.grades == [9]
    need = millbrook.needs[0]
    assert need.chronically_absent and need.course_shift_sd < 0
    assert need.growth_penalty_sd == 0 and need.score_shift_sd == 0  # not a test-score need
    fix = millbrook.strategy("success-mentors")
    assert fix.serves.chronically_absent and fix.need_effects[need.id] > 0
    favourite = millbrook.strategy("algebra-double-block")
    assert "favoured-by-district" in favourite.tags and not favourite.need_effects
    assert favourite.course_effect == 0  # its algebra reaches course grades through ability


def test_millbrook_passes_its_own_calibration_with_no_warning(millbrook: Scenario) -> None:
    """Each part of the bar on its own, so a failure says which one slipped (fewer
    replications than the command's default, the same hundred seeds)."""
    doc = calibrate(millbrook, replications=200, seeds=100)
    first, second = (m.id for m in millbrook.calendar.meetings)
    need = doc["needs"][0]
    assert need["detected"][first] >= 0.8
    for group in need["groups"]:
        assert group["detected"][first] >= 0.8, group
    plans = {tuple(p["strategies"]): p["outcomes"] for p in doc["plans"]}
    on_track = {k: v[COURSES]["mean"] for k, v in plans.items()}
    fix, favourite = ("success-mentors",), ("algebra-double-block",)
    # The fix puts freshmen on track; the favourite raises math and barely moves on-track.
    assert on_track[fix] >= 3.0, on_track[fix]
    assert on_track[favourite] < 1.0, on_track[favourite]
    assert plans[favourite]["math"]["mean"] > plans[fix]["math"]["mean"]
    # No strategy that addresses no need puts more freshmen on track than the fix alone.
    for (sid,), value in ((k, v) for k, v in on_track.items() if len(k) == 1):
        if not millbrook.strategy(sid).need_effects:
            assert value < on_track[fix], sid
    # The fix with its cheap complements is affordable; the favourite with the fix is not.
    assert ("success-mentors", "early-warning-team", "attendance-outreach") in plans
    assert not any(set(k) >= {"success-mentors", "algebra-double-block"} for k in plans)
    strategies = {s["id"]: s for s in doc["strategies"]}
    assert strategies["success-mentors"]["visible"][second] > strategies[
        "algebra-double-block"]["visible"][second]
    for s in doc["strategies"]:  # effects within the published ranges
        for value in (s["effect_sd_per_year"] or {}).values():
            assert s["published"]["low"] <= value <= s["published"]["high"], s
    growth = doc["monte_carlo"]["business_as_usual"]["growth"]
    for g in growth.values():  # below the grade norms but positive
        assert g["p10"] > 0.0 and g["mean"] < g["norm"], g
    assert doc["warnings"] == []


def test_the_strong_millbrook_playthrough_rates_well_above_the_weak_one(
    millbrook: Scenario,
) -> None:
    good = score(millbrook, load_transcript(
        builtin_dir() / "millbrook-strong-transcript.yaml").state())
    poor = score(millbrook, load_transcript(
        builtin_dir() / "millbrook-weak-transcript.yaml").state())
    top, bottom = set(LEVELS[2:]), set(LEVELS[:2])
    assert all(r.level in top for r in good.elements + good.routine), [
        (r.id, r.level) for r in good.elements + good.routine]
    assert sum(r.level in bottom for r in poor.elements) >= 10
    ahead = [g.id for g, p in zip(good.elements + good.routine, poor.elements + poor.routine,
                                  strict=True)
             if LEVELS.index(g.level) > LEVELS.index(p.level)]
    assert len(ahead) >= 10, ahead
    # The scenario's own look-fors on course grades decide the difference.
    def status(result, rule_id: str) -> str:
        return next(lf.status for r in result.elements + result.routine
                    for lf in r.lookfors if lf.id == rule_id)
    for rule in ("mb-target-on-course-grades", "mb-courses-by-attendance",
                 "mb-diagnosis-from-course-grades", "mb-strategy-fits-need",
                 "mb-no-unfounded-favourite", "mb-served-view-before-deciding"):
        assert status(good, rule) == "met", rule
        assert status(poor, rule) != "met", rule
