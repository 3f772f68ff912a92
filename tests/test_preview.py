"""``pmsim scenario preview``: each meeting's dashboards, unplayed, as text or Markdown;
and the same preview on the TUI's home screen (v)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from test_tui_meetings import until
from textual.widgets import OptionList, TextArea

from pmsim.cli import main
from simulator.engine import dashboard as figures
from simulator.engine.simulation import Simulation
from simulator.formats.loading import builtin_dir, load_scenario, parse_scenario
from simulator.formats.refs import View
from simulator.render.preview import render
from tui.app import PmsimApp
from tui.screens.preview import PreviewScreen


@pytest.fixture(scope="module")
def hudson():
    return load_scenario("hudson").scenario


def preview(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["scenario", "preview", "hudson", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_every_meeting_is_there_with_its_quarters_and_setting(capsys, hudson, fmt):
    out = preview(capsys, "--format", fmt)
    quarters = [q.label for q in hudson.calendar.quarters]
    ids = [q.id for q in hudson.calendar.quarters]
    starts = []
    for m in hudson.calendar.meetings:
        so_far = quarters[: ids.index(m.after_quarter) + 1]
        line = f"Quarters so far: {', '.join(so_far)}"
        assert line in out
        starts.append(out.index(m.title))
        assert m.setting[0] in out
    assert starts == sorted(starts) and len(hudson.calendar.meetings) >= 2


def test_same_bytes_twice_and_another_seed_other_numbers(capsys):
    a, b = preview(capsys, "--seed", "4"), preview(capsys, "--seed", "4")
    assert a == b
    c = preview(capsys, "--seed", "5")
    assert a != c
    numbers = re.compile(r"\d+\.\d%? ±\d+\.\d")
    assert numbers.findall(a) != numbers.findall(c)
    assert preview(capsys) == preview(capsys, "--seed", "1")  # the default seed is 1


def test_views_are_the_dashboards_own_tables(capsys, hudson):
    """The first meeting's figures are what build_table gives on the TUI's simulation."""
    out = preview(capsys, "--format", "text", "--seed", "3")
    sim = Simulation(hudson, seed=3)
    sim.run_until_meeting()
    school = hudson.priority_schools[0].id
    el = hudson.subgroups[1]
    strands = figures.build_table(sim, View("reading", school, "strand"), group=el.id)
    assert " · by strand · " in strands.title and strands.title in out
    first = out[: out.index(hudson.calendar.meetings[1].title)]
    block = first[first.index(strands.title + "\n"):]
    for row in strands.rows:
        cells = [figures.fmt(v, e, "") for v, e in zip(row.values, row.errors, strict=True)]
        assert re.search(re.escape(row.label) + r"\s+" + str(row.n) + r"\s+"
                         + r"\s+".join(map(re.escape, cells)), block), row.label
    cross = figures.build_table(sim, View("math", school, "cross", "grade-7"), "mean")
    assert f"{cross.title} · mean scale score" in first
    attendance = figures.build_table(sim, View("attendance", "district", "subgroup"))
    assert attendance.title in first
    assert "No strategy is in play yet" in first  # implementation, before any decision


def test_markdown_is_tables_for_a_handout(capsys, hudson):
    md = preview(capsys, "--format", "md")
    assert md.startswith(f"# {hudson.title}")
    assert "## " + hudson.calendar.meetings[0].title in md
    assert "| Group | n | Q1 | Q2 |" in md and "| :--- | ---: | ---: | ---: |" in md
    assert "| Strand | n | Q1 | Q2 |" in md
    # every table row has as many cells as its header
    for block in md.split("\n\n"):
        rows = [r for r in block.splitlines() if r.startswith("| ")]
        if rows:
            assert len({r.count(" | ") for r in rows}) == 1, rows[0]



def test_a_scenarios_words_stay_words_in_the_markdown(hudson):
    # Words that Markdown would read as markup at the start of a line, in a cell or across
    # lines: a heading, a numbered or bulleted item, a pipe, a line break, a closing '#';
    # and a subject named like the implementation view keeps its "Group" heading.
    text = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")
    text = text.replace('title: "Meeting #1 — end of the second quarter"',
                        'title: "# Meeting 1 #"', 1)
    text = text.replace("        - End of the second quarter.\n",
                        '        - "1. End of the second quarter\\n- or so"\n', 1)
    text = text.replace("    name: Hudson Middle School\n", '    name: "Hudson | Middle"\n', 1)
    text = text.replace("  - id: reading\n    name: Reading\n",
                        "  - id: reading\n    name: Implementation\n", 1)
    sc = parse_scenario(text.encode("utf-8"), "nasty.yaml")
    md = render(sc, 1, "md")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)

    headings = [(t.tag, tokens[i + 1].children) for i, t in enumerate(tokens)
                if t.type == "heading_open"]
    assert [tag for tag, _ in headings].count("h2") == len(sc.calendar.meetings)
    for _, children in headings:  # plain text, never emphasis, code or a link
        assert {c.type for c in children} <= {"text"}, children
    texts = ["".join(c.content for c in children) for _, children in headings]
    assert texts[1] == "# Meeting 1 #"
    assert "Hudson | Middle · Implementation" in texts
    assert not any(t.type == "ordered_list_open" for t in tokens)
    meeting_1 = sc.calendar.meetings[0]
    quoted = [t for i, t in enumerate(tokens) if t.type == "inline"
              and tokens[i - 2].type == "blockquote_open"]
    assert quoted[0].content.replace("\\", "") == "1. End of the second quarter - or so"
    items = sum(t.type == "list_item_open" for t in tokens)
    assert items == sum(len(m.goals) for m in sc.calendar.meetings)
    assert len(meeting_1.goals) > 0
    # Each table's label column is named by the table, not guessed from its title.
    firsts = {tokens[i + 2].content for i, t in enumerate(tokens)
              if t.type == "tr_open" and tokens[i + 1].type == "th_open"}
    assert firsts == {"Group", "Strand"}
    sim = Simulation(sc, seed=1)
    sim.advance()
    strand = figures.build_table(sim, View("reading", "hudson-ms", "strand"))
    implementation = figures.build_table(sim, View("implementation", "hudson-ms",
                                                   "implementation"))
    scores = figures.build_table(sim, View("reading", "hudson-ms", "all"))
    assert (strand.label_heading, implementation.label_heading, scores.label_heading) == (
        "Strand", "Strategy", "Group")
    assert "| Group | n | Q1 | Q2 |" in md  # the Implementation subject's tables too

def test_bad_scenario_is_located_and_unknown_one_refused(tmp_path, capsys):
    text = (builtin_dir() / "hudson.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("after_quarter: q2", "after_quarter: q9", 1), encoding="utf-8")
    assert main(["scenario", "preview", str(bad)]) == 1
    err = capsys.readouterr().err
    assert re.search(re.escape(str(bad)) + r":\d+:\d+: ", err) and "Traceback" not in err
    assert main(["scenario", "preview", "no-such-scenario"]) == 1
    with pytest.raises(SystemExit) as exc:
        main(["scenario", "preview", "hudson", "--format", "html"])
    assert exc.value.code == 2


def test_the_home_screen_previews_the_highlighted_scenario(tmp_path: Path, hudson):
    app = PmsimApp(home=tmp_path, pace=0)

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            scenarios = app.screen.query_one("#scenarios", OptionList)
            await until(pilot, lambda: scenarios.option_count and
                        scenarios.get_option_at_index(0).id == "hudson")
            app.screen.query_one("#seed").value = "2"
            scenarios.focus()
            await pilot.press("v")
            await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
            screen = app.screen
            assert isinstance(screen, PreviewScreen)
            await until(pilot, lambda: screen.text is not None, timeout=60)
            assert screen.text == render(hudson, 2, "text")
            area = screen.query_one("#preview-text", TextArea)
            assert area.text == screen.text and area.read_only
            await pilot.press("pagedown")
            await pilot.pause()
            assert area.scroll_y > 0
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "HomeScreen")

    asyncio.run(run())
