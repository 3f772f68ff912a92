"""The scenario format reaches further: briefings that change per meeting, and a hidden
need among chronically absent students. Existing files keep validating, Hudson only gains
the new keys at their defaults, and the guide's worked examples validate when pasted into
a copy of Hudson."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from test_scenario_validation import HUDSON, edit, position, problems
from test_tui_meetings import SIZE, close_meeting, screen_name, text_of, until
from textual.widgets import Static

from pmsim.cli import main
from simulator.engine.population import build_population
from simulator.formats.loading import builtin_paths, parse_scenario
from simulator.formats.scenario import Scenario
from tui.app import PmsimApp

GUIDE = Path(__file__).parent.parent / "facilitator_guide" / "authoring-scenarios.md"
SECTIONS = ("Briefings that change per meeting", "A need among chronically absent students",
            "Course grades and credits (ninth-grade on-track)")


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "default-home"))


# --------------------------------------------------------------------------- helpers


def merged(snippet: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Hudson (or ``base``) with ``snippet`` pasted in: mappings merge key by key, a list
    gains the snippet's items, anything else is replaced."""
    out = copy.deepcopy(base if base is not None else yaml.safe_load(HUDSON))

    def into(target: dict[str, Any], part: dict[str, Any]) -> None:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                into(target[key], value)
            elif isinstance(value, list) and isinstance(target.get(key), list):
                target[key] = target[key] + copy.deepcopy(value)
            else:
                target[key] = copy.deepcopy(value)

    into(out, snippet)
    return out


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def as_yaml(data: dict[str, Any]) -> bytes:
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True).encode()


def scenario_of(data: dict[str, Any]) -> Scenario:
    return parse_scenario(as_yaml(data), "pasted.yaml")


def guide_snippets() -> dict[str, list[str]]:
    """The YAML blocks of each worked-example section of the authoring guide."""
    text = GUIDE.read_text(encoding="utf-8")
    out = {}
    for title in SECTIONS:
        match = re.search(rf"(?ms)^### {re.escape(title)}\n(.*?)(?=^#{{2,3}} )", text)
        assert match, f"the guide has no section '{title}'"
        out[title] = re.findall(r"(?ms)^```yaml\n(.*?)^```", match[1])
    return out


def words(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- old files


def test_every_builtin_scenario_still_validates() -> None:
    paths = builtin_paths()
    assert paths
    for path in paths:
        parse_scenario(path.read_bytes(), path.name)


def test_hudsons_json_only_gains_the_new_keys_at_their_defaults(capsys) -> None:
    assert main(["scenario", "show", "scenarios/hudson.yaml", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    raw = yaml.safe_load(HUDSON)
    for role in ("state", "district"):
        brief = shown["roles"][role]
        assert brief.pop("meetings") == {}
        assert brief == raw["roles"][role]  # Hudson's briefings, word for word
        assert set(brief) == {"title", "public", "private"}
    old_need_keys = {"id", "name", "subject", "strand", "schools", "grades", "subgroups",
                     "prevalence", "strand_shift_sd", "score_shift_sd", "growth_penalty_sd",
                     "description"}
    assert shown["needs"]
    for need in shown["needs"]:
        assert need.pop("chronically_absent") is False
        assert need.pop("course_shift_sd") == 0.0
        assert set(need) == old_need_keys
    assert shown["courses"] is None
    for strategy in shown["strategies"]:
        assert strategy.pop("course_effect") == 0.0
        assert strategy["serves"].pop("chronically_absent") is False
        raw_strategy = next(s for s in raw["strategies"] if s["id"] == strategy["id"])
        assert set(raw_strategy) <= set(strategy)


# --------------------------------------------------------------------------- briefings


def test_an_unknown_meeting_id_is_located_with_did_you_mean() -> None:
    text = edit("  state:\n    title: State Turnaround Lead\n",
                "  state:\n    title: State Turnaround Lead\n"
                "    meetings:\n      meeting-3:\n        public: News for a meeting.\n")
    line, col = position(text, "meeting-3:")
    found = problems(text.encode())
    assert [(ln, c) for ln, c, _ in found] == [(line, col)]
    assert "unknown meeting 'meeting-3'" in found[0][2]
    assert "did you mean 'meeting-" in found[0][2]


def test_an_unknown_key_in_a_meeting_part_is_refused() -> None:
    text = edit("  district:\n    title: District Turnaround Lead\n",
                "  district:\n    title: District Turnaround Lead\n"
                "    meetings:\n      meeting-1:\n        privat: News.\n")
    found = problems(text.encode())
    assert len(found) == 1 and found[0][:2] == position(text, "privat:")
    assert "did you mean 'private'" in found[0][2]


def test_each_part_is_optional_and_json_fills_the_other(capsys, tmp_path: Path) -> None:
    path = tmp_path / "briefed.yaml"
    path.write_bytes(as_yaml(merged(
        {"roles": {"state": {"meetings": {"meeting-2": {"private": "Only this."}}}}})))
    assert main(["scenario", "show", str(path), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["roles"]["state"]["meetings"] == {
        "meeting-2": {"public": "", "private": "Only this."}}
    assert shown["roles"]["district"]["meetings"] == {}


PARTS = {
    "state": {"meeting-1": {"public": "Alpha standing news for the first meeting only.",
                            "private": "Bravo secret for the State at the first meeting."},
              "meeting-2": {"public": "Charlie public news for the second meeting only."}},
    "district": {"meeting-2": {"private": "Delta secret for the District at the second."}},
}


def _private_text(app: PmsimApp) -> str:
    panel = app.screen.query_one("#private")
    return "" if panel.has_class("hidden") else words(text_of(app, "#private-text"))


async def _card(pilot, app: PmsimApp, role: str, standing: str) -> str:
    """A role card's text, once the screen has drawn it (its standing briefing shows)."""
    await until(pilot, lambda: words(standing) in words(text_of(app, f"#role-{role}")))
    return words(text_of(app, f"#role-{role}"))


async def _show_private(pilot, app: PmsimApp) -> str:
    """The speaker asks for their private briefing and confirms; the panel's text."""
    await pilot.press("p")
    await until(pilot, lambda: screen_name(app) == "ConfirmScreen")
    await pilot.press("y")
    await until(pilot, lambda: screen_name(app) == "BriefingScreen" and _private_text(app))
    return _private_text(app)


def test_a_meeting_part_shows_at_its_meeting_only_and_private_to_its_role(
        tmp_path: Path) -> None:
    path = tmp_path / "briefed.yaml"
    data = merged({"roles": {role: {"meetings": parts} for role, parts in PARTS.items()}})
    path.write_bytes(as_yaml(data))
    sc = scenario_of(data)
    m1, m2 = (m.title for m in sc.calendar.meetings)
    app = PmsimApp(scenario=str(path), seed=1, home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                        and app.room.sim is not None)
            state_card = await _card(pilot, app, "state", sc.roles.state.public)
            assert f"For {m1} {PARTS['state']['meeting-1']['public']}" in state_card
            assert "Charlie" not in state_card and m2 not in state_card
            district_card = await _card(pilot, app, "district", sc.roles.district.public)
            assert "For " not in district_card  # nothing added for the District here

            shown = await _show_private(pilot, app)  # the State speaks first
            assert words(sc.roles.state.private) in shown
            assert f"For {m1} {PARTS['state']['meeting-1']['private']}" in shown
            await pilot.press("f6")  # the District speaks: the State's text goes
            await until(pilot, lambda: _private_text(app) == "")
            shown = await _show_private(pilot, app)
            assert words(sc.roles.district.private) in shown
            assert "Bravo" not in shown and "Delta" not in shown and "For " not in shown
            await pilot.press("f6")
            await until(pilot, lambda: _private_text(app) == "")

            await pilot.press("enter")
            await until(pilot, lambda: screen_name(app) == "MeetingScreen")
            await close_meeting(pilot)
            await until(pilot, lambda: screen_name(app) == "ChangesScreen"
                        and app.room.sim is not None and app.room.sim.quarters_done == 3)
            await pilot.click("#continue")
            await until(pilot, lambda: screen_name(app) == "BriefingScreen"
                        and m2 in text_of(app, "#meeting-card"))
            state_card = await _card(pilot, app, "state", sc.roles.state.public)
            assert f"For {m2} {PARTS['state']['meeting-2']['public']}" in state_card
            assert "Alpha" not in state_card and m1 not in state_card

            assert app.room.event_role == "state"
            shown = await _show_private(pilot, app)
            assert words(sc.roles.state.private) in shown
            assert "Bravo" not in shown and "Delta" not in shown and "For " not in shown
            await pilot.press("f6")
            await until(pilot, lambda: _private_text(app) == "")
            shown = await _show_private(pilot, app)
            assert f"For {m2} {PARTS['district']['meeting-2']['private']}" in shown
            assert "Bravo" not in shown
            assert not app.screen.query_one("#private-state").display

    asyncio.run(run())


def test_brackets_in_a_meeting_part_are_shown_as_written(tmp_path: Path) -> None:
    from tui.screens.briefing import _for_meeting

    data = merged({"roles": {"state": {"meetings": {"meeting-1": {"public": "[b]not bold"}}}}})
    sc = scenario_of(data)
    text = _for_meeting(sc.roles.state, sc.calendar.meetings[0], "public")
    assert str(Static(text).render()).endswith("[b]not bold")
    assert _for_meeting(sc.roles.state, sc.calendar.meetings[1], "public") == ""
    assert _for_meeting(sc.roles.state, None, "public") == ""


# --------------------------------------------------------------------------- the need


CHRONIC_NEED = {
    "id": "missed-units", "name": "Missed units", "subject": "math", "strand": "number",
    "schools": "all", "chronically_absent": True, "prevalence": 0.6,
}


def _chronic(extra: dict[str, Any] | None = None) -> Scenario:
    return scenario_of(merged({"needs": [CHRONIC_NEED | (extra or {})]}))


def test_only_chronically_absent_students_have_it() -> None:
    sc = _chronic()
    threshold = sc.population.attendance.chronic_threshold
    for seed in (1, 2, 3):
        pop = build_population(sc, seed)
        has = pop.has_need[1]
        assert has.sum() > 20
        assert (pop.absence_p[has] >= threshold).all()
        chronic = pop.absence_p >= np.float32(threshold)
        assert (chronic & ~has).any()  # not every chronically absent student has it
        # Prevalence is the share of the eligible (chronically absent) students.
        n = int(chronic.sum())
        share = has.sum() / n
        assert abs(share - 0.6) < 4 * np.sqrt(0.6 * 0.4 / n), (share, n)


def test_it_narrows_the_same_draw_and_keeps_grades_and_schools() -> None:
    without = _chronic({"chronically_absent": False})
    with_it = _chronic({"grades": [8]})
    plain_grade8 = _chronic({"grades": [8], "chronically_absent": False})
    threshold = np.float32(with_it.population.attendance.chronic_threshold)
    a = build_population(plain_grade8, 5)
    b = build_population(with_it, 5)
    assert np.array_equal(b.has_need[1], a.has_need[1] & (a.absence_p >= threshold))
    assert (b.grade[b.has_need[1]] == 8).all()
    assert np.array_equal(a.absence_p, b.absence_p)  # the flag draws nothing
    c = build_population(without, 5)
    assert c.has_need[1].sum() > b.has_need[1].sum()
    assert np.array_equal(b.has_need[0], a.has_need[0])  # Hudson's own need: untouched


def test_the_same_seed_picks_the_same_students() -> None:
    sc = _chronic()
    one, again, other = build_population(sc, 9), build_population(sc, 9), build_population(sc, 10)
    assert np.array_equal(one.has_need, again.has_need)
    assert not np.array_equal(one.has_need[1], other.has_need[1])


def test_hudson_draws_the_same_students_as_before_the_flag() -> None:
    """Hudson's need has no flag: exactly the students its schools, grades, subgroups and
    prevalence pick (the engine bytes are pinned by tests/test_engine_bytes.py)."""
    sc = parse_scenario(HUDSON.encode(), "hudson.yaml")
    assert not any(n.chronically_absent for n in sc.needs)
    pop = build_population(sc, 1)
    need = sc.needs[0]
    eligible = pop.eligible(need.schools, need.grades, need.subgroups)
    assert (eligible | ~pop.has_need[0]).all()
    assert (pop.absence_p[pop.has_need[0]] < sc.population.attendance.chronic_threshold).any()


# --------------------------------------------------------------------------- the guide


def test_each_worked_example_validates_pasted_into_hudson() -> None:
    snippets = guide_snippets()
    for title in SECTIONS:
        assert snippets[title], f"no YAML example in '{title}'"
        for snippet in snippets[title]:
            sc = scenario_of(merged(yaml.safe_load(snippet)))
            if title == SECTIONS[0]:
                assert sc.roles.state.meetings or sc.roles.district.meetings
            elif title == SECTIONS[1]:
                assert any(n.chronically_absent for n in sc.needs)
            else:
                assert sc.courses is not None
                assert any(n.course_shift_sd for n in sc.needs)
                assert any(s.serves.chronically_absent and s.course_effect
                           for s in sc.strategies)
