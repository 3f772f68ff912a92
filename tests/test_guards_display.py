"""Display rules that golden files used to be the only guard of: how a figure with or
without its error reads, how a trend line spans its steps, which headline rows the
changes list holds, and how long element labels fit the report's level chart."""

from __future__ import annotations

import re

from simulator.debrief.report import build_report
from simulator.engine.dashboard import SPARKS, changes, fmt, sparkline
from simulator.engine.simulation import Simulation
from simulator.formats.loading import builtin_dir
from simulator.formats.rubric import SUB_ELEMENTS
from simulator.formats.scenario import Scenario
from simulator.render.html import render_html
from simulator.session.transcript import load_transcript


def test_a_figure_reads_with_its_error_only_when_there_is_one() -> None:
    nan = float("nan")
    assert fmt(31.25, 1.26, "%") == "31.2% ±1.3"
    assert fmt(31.25, nan, "%") == "31.2%"
    assert fmt(nan, 1.0, "%") == "—"


def test_a_trend_line_runs_from_the_lowest_step_to_the_highest() -> None:
    line = sparkline([10.0, 30.0, 50.0], span=10.0)
    assert line[0] == SPARKS[0] and line[-1] == SPARKS[-1] and len(line) == 3
    assert sparkline([float("nan"), 20.0])[0] == " "


def test_changes_list_every_group_once_with_all_students_first(hudson: Scenario) -> None:
    sim = Simulation(hudson, 1, 1)
    sim.run_until_meeting()
    labels = [c.label for c in changes(sim, 0)]
    for subject in hudson.subjects:
        mine = [lb for lb in labels if lb.startswith(f"{subject.name} % on benchmark – ")]
        groups = [lb.split(" – ", 1)[1] for lb in mine]
        assert groups == (["All students"] + [g.name for g in hudson.subgroups]
                          + [f"Grade {g}" for g in hudson.grades])


def test_long_element_labels_are_cut_to_fit_the_level_chart(hudson: Scenario) -> None:
    state = load_transcript(builtin_dir() / "hudson-strong-transcript.yaml").state()
    html = render_html(build_report(hudson, state, final=False, replications=2))
    labels = re.findall(r'<text class="label"[^>]*>([^<]*)</text>', html)
    assert len(labels) >= len(SUB_ELEMENTS)
    assert all(len(label) <= 34 for label in labels)
    cut = [label for label in labels if label.endswith("…")]
    assert cut and all(len(label) == 34 for label in cut)
