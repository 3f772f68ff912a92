"""Reports and terminals carry text, not markup: whatever a scenario file or a participant
writes ends up as words in the Markdown report (never a link, an image or a raw tag) and as
visible characters on the terminal (never a control sequence, never a broken column).
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pmsim import cli
from simulator.debrief.models import Report
from simulator.debrief.report import build_report
from simulator.formats.loading import ScenarioError, load_scenario
from simulator.render.markdown import escape, render_markdown
from simulator.render.plain import printable
from simulator.session.state import replay, validate_payload
from simulator.session.store import Event

HUDSON = Path(__file__).parent.parent / "scenarios" / "hudson.yaml"
NASTY = [
    "[x](javascript:alert(1))",
    "![i](http://e/x.png) <img src=x onerror=alert(1)>",
    "<script>alert(1)</script> | a | b |",
    "# Heading\n- item\n\n`code` *em* _em_ \\[",
    "\x1b[31mred\x1b[0m\tTab\r\x85\u202eevil\x07",
]
SPECIALS = "[]()!`*_<>|#\\&\n\t\r\x1b\x07\x85\u202e\u2028 "
TEXT = st.text(alphabet=st.sampled_from(SPECIALS) | st.sampled_from("abcxyz:/=\"'"),
               min_size=1, max_size=40)
# The Report's fields that carry a scenario's or a participant's words.
TEXT_KEYS = {"scenario_title", "session_title", "name", "role_title", "title", "meeting_title",
             "went_well", "improve", "evidence", "missed", "steps", "explanation", "note",
             "view_title", "names", "detail", "meeting", "group", "label", "quarter"}
MD = MarkdownIt("commonmark").enable("table")


def _hidden(text: str) -> list[str]:
    """Characters a terminal would not show as themselves (newlines aside)."""
    return [c for c in text if (c != "\n" and unicodedata.category(c)[0] == "C")
            or unicodedata.category(c) in ("Zl", "Zp")]


def assert_no_markup(markdown: str) -> None:
    """Parsed as CommonMark with tables: no link, image or raw HTML anywhere, and no
    control character in the source."""
    html = MD.render(markdown)
    assert not re.search(r"<(a|img|script)\b", html, re.I), html
    tokens = MD.parse(markdown)
    tokens += [c for t in tokens for c in (t.children or [])]
    live = [(t.type, t.content) for t in tokens
            if t.type in ("html_block", "link_open", "image")
            or (t.type == "html_inline" and t.content != "<br>")]  # the report's own line breaks
    assert not live, live
    # markdown-it refuses javascript: links itself; other renderers may not, so the source
    # must hold no unescaped "](" either (an even run of backslashes escapes nothing)
    prose = re.sub(r"`[^`]*`", "", markdown)
    assert not re.search(r"(?<!\\)(?:\\\\)*\]\(", prose), prose
    assert not _hidden(markdown)


def _poison(doc: Any, text: str) -> Any:
    """Every participant or scenario string of a report's JSON replaced by ``text``."""
    if isinstance(doc, dict):
        return {k: (text if k in TEXT_KEYS and isinstance(v, str) else
                    [text] * len(v) if k in TEXT_KEYS and isinstance(v, list)
                    and all(isinstance(x, str) for x in v) else _poison(v, text))
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [_poison(x, text) for x in doc]
    return doc


def _events(went_well: str, improve: str, steps: list[str]) -> list[Event]:
    """A real transcript of two meetings, a poll and a take-home, in the store's events."""
    raw: list[tuple[str, str, dict[str, Any]]] = [
        ("session.created", "system", {"scenario": "hudson", "scenario_sha256": "ab" * 32,
                                       "seed": 1, "title": went_well,
                                       "participants": {"state": improve, "district": "Ben"}}),
        ("view.opened", "state", {"view": "reading/hudson-ms/strand", "quarter": "Q2"}),
        ("decision.made", "district",
         {"meeting": "meeting-1", "strategy": "balanced-literacy", "action": "adopt"}),
        ("meeting.closed", "state", {"meeting": "meeting-1"}),
        ("poll.answered", "state", {"meeting": "meeting-1", "role": "state",
                                    "went_well": went_well, "improve": improve}),
        ("meeting.closed", "state", {"meeting": "meeting-2"}),
        ("takehome.answered", "state", {"role": "state", "steps": steps}),
    ]
    created = Event("txt00001", 1, *raw[0][:2], raw[0][2], "t")  # as the store writes it
    return [created] + [Event("txt00001", seq, kind, role, validate_payload(kind, payload), "t")
                        for seq, (kind, role, payload) in enumerate(raw[1:], start=2)]


def _scenario_file(folder: Path, text: str) -> Path:
    """Hudson with its title, school, subgroup and strategy names replaced by ``text``."""
    quoted = json.dumps(text)  # a JSON string is a YAML double-quoted scalar
    source = HUDSON.read_text(encoding="utf-8")
    source = re.sub(r"(?m)^title: .*$", lambda _: f"title: {quoted}", source)
    for name in ("Hudson Middle School", "English learners", "Expand balanced literacy"):
        source = source.replace(f"    name: {name}\n", f"    name: {quoted}\n")
    path = folder / "nasty.yaml"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hudson_report(tmp_path_factory) -> Report:
    state = replay(_events("We agreed.", "Sooner.", ["Pull the data."]))
    return build_report(load_scenario("hudson").scenario, state, replications=2,
                        cache_dir=tmp_path_factory.mktemp("cache"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_every_text_of_a_report_stays_text_in_markdown(hudson_report: Report, text: str) -> None:
    doc = _poison(hudson_report.model_dump(mode="json"), text)
    assert_no_markup(render_markdown(Report.model_validate(doc)))



# Where a renderer puts escaped words: alone on a line, after a list marker or '>', in a
# heading, and in a table cell; each is one block of that kind holding the words alone.
PLACES = {
    "line": ("{}", "paragraph_open"),
    "item": ("- {}", "bullet_list_open"),
    "quote": ("> {}", "blockquote_open"),
    "heading": ("## {}", "heading_open"),
    "cell": ("| x |\n|---|\n| {} |", "table_open"),
}
BLOCKY = st.text(alphabet=st.sampled_from("#>-+=*_~`|[]!<&;\\ \n\t.)") | st.sampled_from(
    "1 2 9 a b amp lt"), min_size=1, max_size=24)


@settings(max_examples=300, deadline=None)
@given(text=BLOCKY | TEXT, place=st.sampled_from(sorted(PLACES)))
def test_escaped_words_are_the_same_words_wherever_they_stand(text: str, place: str) -> None:
    words = " ".join(printable(text, keep="\n").splitlines()).strip()
    assume(words)
    template, block = PLACES[place]
    tokens = MD.parse(template.format(escape(text)))
    assert tokens[0].type == block and tokens[-1].type == block.replace("_open", "_close")
    depth = [t.nesting for t in tokens]
    assert all(sum(depth[:i + 1]) > 0 for i in range(len(tokens) - 1))  # one block
    inline = [t for t in tokens if t.type == "inline"][-1]
    kinds = {c.type for c in inline.children or []}
    assert kinds <= {"text", "text_special"}, (escape(text), kinds)
    assert "".join(c.content for c in inline.children or []) == words
    assert not any(t.type in ("ordered_list_open", "hr", "code_block", "fence",
                              "html_block") for t in tokens)

@pytest.mark.parametrize("text", NASTY)
def test_a_scenario_file_and_a_transcript_give_a_report_without_markup(
        tmp_path: Path, text: str) -> None:
    scenario = load_scenario(str(_scenario_file(tmp_path, text))).scenario
    state = replay(_events(text, text, [text, "Then " + text]))
    report = build_report(scenario, state, replications=2, cache_dir=tmp_path / "cache")
    markdown = render_markdown(report)
    assert_no_markup(markdown)
    poll = [line for line in markdown.splitlines() if line.startswith("| Meeting #1")]
    assert len(poll) == 1 and len(re.findall(r"(?<!\\)\|", poll[0])) == 5  # 4 cells


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_the_terminal_gets_no_control_character_and_whole_columns(
        text: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _scenario_file(Path(folder), text)
        try:
            title = load_scenario(str(path)).scenario.title
        except ScenarioError:  # e.g. a name left blank: refused, and that is tested elsewhere
            assume(False)
        for argv in (["scenario", "show", str(path)],
                     ["run", str(path), "--seed", "1", "--replications", "1",
                      "--strategies", "balanced-literacy", "--format", "table"]):
            capsys.readouterr()
            assert cli.main(argv) == 0
            out = capsys.readouterr().out
            assert not _hidden(out), (argv, out)
        assert cli.main(["scenario", "show", str(path), "--format", "json"]) == 0
        out = capsys.readouterr().out
        assert not _hidden(out)
        assert json.loads(out)["title"] == title
        monkeypatch.setattr("simulator.formats.loading.builtin_paths", lambda: [HUDSON, path])
        assert cli.main(["scenario", "list"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 2 and all(line.count("\t") == 1 for line in lines), lines
        assert not _hidden(lines[1].replace("\t", ""))


@settings(max_examples=60, deadline=None)
@given(text=TEXT)
def test_the_tui_shows_scenario_text_as_written(text: str) -> None:
    from textual.content import Content

    from simulator.render.plain import printable
    from tui.plain import plain

    shown = Content.from_markup(f"[b]{plain(text)}[/b]")
    expected = printable(text, keep="\n")
    assert shown.plain == (expected[:-1] + "＼" if expected.endswith("\\") else expected)
    assert not _hidden(shown.plain)


def test_every_json_a_command_prints_keeps_a_sessions_words_off_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`session list`, `report` and `progress` print JSON as `scenario show` does: a
    control or bidi character in a session's title arrives escaped, the same value."""
    from simulator.session.home import Home, open_store
    from simulator.session.state import append_event

    title = "Pair \x85\u202eevil\x1b[2J\u2028"
    home = tmp_path / "home"
    with open_store(None, Home(home)) as store:
        sid = store.create_session("hudson", load_scenario("hudson").sha256, 1, title,
                                   {"participants": {"state": "Ada", "district": "Ben"}}).id
        append_event(store, sid, "decision.made", "district",
                     {"meeting": "meeting-1", "strategy": "structured-literacy",
                      "action": "adopt"})
        append_event(store, sid, "meeting.closed", "state", {"meeting": "meeting-1"})
    home_opt = ["--home", str(home)]
    for argv, read in ((["session", "list", "--format", "json"], lambda d: d[0]["title"]),
                       (["report", sid, "--format", "json", "--replications", "2"],
                        lambda d: d["session_title"]),
                       (["progress", "--format", "json"],
                        lambda d: d["attempts"][0]["title"])):
        capsys.readouterr()
        assert cli.main([*argv, *home_opt]) == 0, argv
        out = capsys.readouterr().out
        assert not _hidden(out), (argv, out)
        assert read(json.loads(out)) == title, argv
