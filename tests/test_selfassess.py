"""The State self-assessment: the model (gaps, the drafted take-home, determinism), strict
answers files, the ``selfassess.rated`` event through replay and transcripts, and
``pmsim self-assess`` (md/html/json, --out, --template round trip, a session's practice)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from pmsim.cli import main
from simulator.debrief.models import Rating
from simulator.debrief.selfassess import (
    Answers,
    AnswersError,
    SelfRating,
    answers_from_events,
    assess,
    assess_session,
    parse_answers,
    parse_level,
    step_for,
    template,
)
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.formats.lookfors import default_lookfors
from simulator.formats.rubric import ELEMENTS, SUB_ELEMENTS
from simulator.render.handout import render_handout_html, render_handout_markdown
from simulator.session.home import Home, open_store
from simulator.session.importing import import_transcript
from simulator.session.state import append_event, replay, validate_payload
from simulator.session.transcript import (
    load_transcript,
    parse_transcript,
    transcript_from_session,
)

WEAK = builtin_dir() / "hudson-weak-transcript.yaml"


def _rating(sid: str, level: str, evidence: str = "", met: str = "") -> Rating:
    return Rating(id=sid, element=ELEMENTS[sid[0]], name=SUB_ELEMENTS[sid], level=level,
                  points=0, max_points=1, evidence=[evidence] if evidence else [],
                  missed=[], lookfors=[])


def _answers(**levels: str) -> Answers:
    return Answers(state="Our State", ratings={
        sid: SelfRating(level=level, evidence=f"What we do for {sid}.")
        for sid, level in levels.items()})


# --------------------------------------------------------------------------- the model


def test_gap_is_practised_minus_self_rated_and_priority_adds_levels_to_the_top() -> None:
    doc = assess(_answers(A1="Emerging", C2="Strong", D2="Exemplary"),
                 [_rating("A1", "Strong", "Targets set."), _rating("C2", "Inadequate"),
                  _rating("D2", "Exemplary")])
    rows = {r.id: r for r in doc.elements}
    assert (rows["A1"].gap, rows["A1"].to_exemplary, rows["A1"].priority) == (1, 2, 3)
    assert (rows["C2"].gap, rows["C2"].priority) == (-2, 1)
    assert (rows["D2"].gap, rows["D2"].priority) == (0, 0)
    assert rows["B1"].level is None and rows["B1"].gap is None
    assert rows["B1"].reading == "Not rated yet."
    assert "above your State's own routine" in rows["A1"].reading
    assert "above what you practised" in rows["C2"].reading
    # Where the mock went further, what was done is carried home.
    assert doc.from_mock == ["Student-outcome targets (A1): you practised Strong in the mock; "
                             "your State rates itself Emerging. What you did: Targets set."]
    assert doc.rated == 3


def test_each_part_drafts_from_its_elements_lowest_self_rating() -> None:
    doc = assess(_answers(A1="Strong", A3="Inadequate", B2="Emerging", C1="Emerging",
                          C2="Inadequate", D1="Strong", D3="Emerging"))
    parts = {p.part: p for p in doc.next_steps}
    assert [p.part for p in doc.next_steps] == ["data", "routine", "consequences"]
    assert parts["data"].focus == "C2"
    assert parts["routine"].focus == "A3"
    assert parts["consequences"].focus == "D3"
    # The wording is the look-fors' own, and the routine names its agenda step.
    lookfors = {lf.description for lf in default_lookfors() if lf.element == "C2"}
    assert parts["data"].lookfors and set(parts["data"].lookfors) <= lookfors
    assert parts["data"].lookfors[0] in parts["data"].draft
    assert parts["routine"].step == "Action steps"
    assert "“Action steps” step" in parts["routine"].draft
    assert parts["consequences"].question.startswith("There need to be some clear consequences")


def test_a_gap_in_practice_outranks_an_equal_self_rating() -> None:
    # C1 and C3 both Emerging; the mock practised C3 two levels higher: it comes first.
    doc = assess(_answers(C1="Emerging", C3="Emerging"),
                 [_rating("C1", "Emerging"), _rating("C3", "Exemplary")])
    assert doc.next_steps[0].focus == "C3"
    flipped = assess(_answers(C1="Emerging", C3="Emerging"),
                     [_rating("C1", "Exemplary"), _rating("C3", "Emerging")])
    assert flipped.next_steps[0].focus == "C1"


def test_parts_without_ratings_or_with_nothing_to_improve_say_so() -> None:
    doc = assess(_answers(D1="Exemplary", D2="Exemplary", D3="Exemplary"))
    parts = {p.part: p for p in doc.next_steps}
    assert parts["data"].focus is None and parts["data"].draft.startswith("Rate Quality data")
    assert parts["consequences"].draft.startswith("Your State rates itself Exemplary on")


def test_agenda_steps_come_from_the_lookfors() -> None:
    by = {sid: [lf for lf in default_lookfors() if lf.element == sid] for sid in SUB_ELEMENTS}
    steps = {sid: step.title for sid, lfs in by.items() if (step := step_for(lfs))}
    assert steps["A1"] == "Goal and targets"
    assert steps["C2"] == "Implementation"
    assert steps["D3"] == "Stakeholders"


def test_same_answers_same_bytes() -> None:
    answers = _answers(A1="Strong", C2="Inadequate", D2="Emerging")
    practised = [_rating("A1", "Inadequate"), _rating("C2", "Strong", "Looked at fidelity.")]
    one, two = assess(answers, practised), assess(answers, practised)
    assert one.model_dump_json() == two.model_dump_json()
    assert render_handout_html(one) == render_handout_html(two)
    assert render_handout_markdown(one) == render_handout_markdown(two)


def test_levels_typed_at_a_prompt() -> None:
    assert parse_level("3") == "Strong"
    assert parse_level("ex") == "Exemplary"
    assert parse_level("INAD") == "Inadequate"
    assert parse_level("e") is None  # Emerging or Exemplary
    assert parse_level("5") is None


# --------------------------------------------------------------------------- answers files


def _problems(raw: str) -> list[str]:
    with pytest.raises(AnswersError) as err:
        parse_answers(raw.encode(), "mine.yaml")
    return err.value.lines()


def test_every_problem_of_an_answers_file_is_located() -> None:
    lines = _problems(
        "state: Ours\n"
        "ratings:\n"
        "  a1: {level: Strong, evidence: We set targets.}\n"
        "  C2: {level: strong, evidence: We track fidelity.}\n"
        "  D-3: {level: Emerging, evidence: x}\n"
        "  D1: {level: Emerging, evidence: '  '}\n"
        "  D2: {level: Emerging, evidence: ok, note: extra}\n")
    assert lines == [
        "mine.yaml:3:3: unknown sub-element 'a1'; did you mean 'A1' (Student-outcome "
        "targets)?",
        "mine.yaml:4:15: ratings.C2.level: 'strong' is not a level; did you mean 'Strong'?",
        "mine.yaml:5:3: unknown sub-element 'D-3'; did you mean 'D3' (Stakeholders engaged "
        "on results)?",
        "mine.yaml:6:35: ratings.D1.evidence: write one sentence of evidence (what your "
        "State does now)",
        "mine.yaml:7:39: unknown key 'note' in ratings.D2",
    ]


def test_a_sub_element_named_by_its_name_is_pointed_to_its_id() -> None:
    [line] = _problems("ratings:\n  Clear leadership of the work: {level: Strong, "
                       "evidence: One lead per strategy.}\n")
    assert line.startswith("mine.yaml:2:3: ") and "did you mean 'B2'" in line


def test_an_evidence_sentence_is_length_limited() -> None:
    [line] = _problems(f"ratings:\n  A1: {{level: Strong, evidence: {'x' * 301}}}\n")
    assert line.startswith("mine.yaml:2:33: ratings.A1.evidence: 301 characters")


def test_an_answers_file_that_is_not_a_mapping() -> None:
    [line] = _problems("- A1\n")
    assert line.startswith("mine.yaml:1:1: a self-assessment must be a mapping")


def test_the_template_is_every_sub_element_and_refused_until_filled() -> None:
    text = template("Hudson")
    assert all(f"\n  {sid}:  # {name}\n" in text for sid, name in SUB_ELEMENTS.items())
    lines = _problems(text)
    assert len(lines) == 22  # a level and a sentence per sub-element
    assert re.match(r"mine\.yaml:\d+:\d+: ratings\.A1\.level: give one of", lines[0])


def _filled(text: str, levels: list[str]) -> str:
    it = iter(levels)
    text = re.sub(r"level: \n", lambda m: f"level: {next(it)}\n", text)
    return text.replace('evidence: ""', 'evidence: "Our quarterly review does this."')


LEVELS11 = ["Strong", "Emerging", "Inadequate", "Strong", "Emerging", "Exemplary",
            "Inadequate", "Emerging", "Strong", "Emerging", "Inadequate"]


def test_the_template_filled_in_loads() -> None:
    answers = parse_answers(_filled(template("Hudson"), LEVELS11).encode(), "t.yaml")
    assert answers.state == "Hudson"
    assert [r.level for r in answers.ratings.values()] == LEVELS11


# --------------------------------------------------------------------------- events


def _session(home: Path) -> str:
    transcript = load_transcript(WEAK)
    loaded = load_scenario("hudson")
    with open_store(None, Home(home)) as store:
        return import_transcript(store, transcript, loaded).id


def test_a_rating_event_is_checked_before_it_is_stored() -> None:
    with pytest.raises(ValueError, match="'B3' is not a sub-element"):
        validate_payload("selfassess.rated", {"sub_element": "B3", "level": "Strong",
                                              "evidence": "x"})
    with pytest.raises(ValueError, match="level"):
        validate_payload("selfassess.rated", {"sub_element": "B2", "level": "Great",
                                              "evidence": "x"})


def test_ratings_replay_and_round_trip_through_a_transcript(tmp_path: Path) -> None:
    sid = _session(tmp_path)
    with open_store(None, Home(tmp_path)) as store:
        for sub, level, text in (("A1", "Emerging", "Targets, no baselines."),
                                 ("C2", "Inadequate", "No fidelity data."),
                                 ("A1", "Strong", "Targets with baselines.")):
            append_event(store, sid, "selfassess.rated", "state",
                         {"sub_element": sub, "level": level, "evidence": text,
                          "state": "Ours"})
        state = replay(store.events(sid))
        transcript = transcript_from_session(store, sid)
    mine = state.selfassess["state"]
    assert {k: v["level"] for k, v in mine.items()} == {"A1": "Strong", "C2": "Inadequate"}
    answers = answers_from_events(mine)
    assert answers is not None and answers.state == "Ours"
    assert list(answers.ratings) == ["A1", "C2"]
    text = transcript.to_yaml()
    assert text.count("event: selfassess.rated") == 3
    again = parse_transcript(text.encode(), "t.yaml", load_scenario("hudson").scenario)
    assert again.to_yaml() == text
    assert again.state().selfassess["state"]["A1"]["evidence"] == "Targets with baselines."


def test_the_practised_levels_are_the_final_debriefs(tmp_path: Path) -> None:
    from simulator.debrief.scoring import score

    sc = load_scenario("hudson").scenario
    state = load_transcript(WEAK, sc).state()
    doc = assess_session(sc, state, _answers(A1="Strong", B1="Inadequate"))
    levels = {e.id: e.level for e in score(sc, state).elements}
    assert {r.id: r.practised for r in doc.elements} == levels
    assert doc.session == "transcript" and doc.scenario_title == sc.title


# --------------------------------------------------------------------------- the command


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_template_round_trip_fill_it_run_it(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = _run(capsys, "self-assess", "--template", "--state", "Hudson")
    assert code == 0
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    code, _, err = _run(capsys, "self-assess", "--answers", str(path))
    assert code == 1 and err.startswith(f"{path}:") and "ratings.A1.level" in err
    path.write_text(_filled(text, LEVELS11))
    code, out, err = _run(capsys, "self-assess", "--answers", str(path), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["state"] == "Hudson" and doc["rated"] == 11
    assert [r["level"] for r in doc["elements"]] == LEVELS11
    assert [p["focus"] for p in doc["next_steps"]] == ["C2", "A3", "D3"]
    assert doc["session"] is None


def test_markdown_and_html_handouts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(_filled(template("Hudson"), LEVELS11))
    code, md, _ = _run(capsys, "self-assess", "--answers", str(path))
    assert code == 0
    assert md.startswith("# The State self-assessment: Hudson\n")
    assert "| C2 | Quality data on implementation | Inadequate |" in md
    assert "### Data" in md and "### Routine" in md and "### Consequences" in md
    code, page, _ = _run(capsys, "self-assess", "--answers", str(path), "--format", "html",
                         "--state", "<b>Ours</b>")
    assert code == 0
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert "&lt;b&gt;Ours&lt;/b&gt;" in page and "<b>Ours</b>" not in page
    assert page.count("<tr>") == 12  # the heading and eleven sub-elements


def test_out_writes_through_a_temporary_file(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(_filled(template(), LEVELS11))
    out = tmp_path / "handouts" / "ours.html"
    renamed: list[tuple[str, str]] = []
    real = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renamed.append((str(src), str(dst)))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    code, stdout, _ = _run(capsys, "self-assess", "--answers", str(path), "--format",
                           "html", "--out", str(out))
    assert code == 0 and stdout == ""
    assert renamed and renamed[-1][1] == str(out) and renamed[-1][0] != str(out)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["ours.html"]


def test_a_session_gives_the_practised_levels(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    sid = _session(tmp_path)
    path = tmp_path / "mine.yaml"
    path.write_text(_filled(template(), LEVELS11))
    code, out, err = _run(capsys, "self-assess", "--session", sid, "--answers", str(path),
                          "--format", "json", "--home", str(tmp_path))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["session"] == sid
    assert all(r["practised"] for r in doc["elements"])
    assert doc["elements"][0]["gap"] == -2  # A1: Strong at home, Inadequate in the weak mock


def test_a_sessions_saved_self_assessment_is_used(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    sid = _session(tmp_path)
    with open_store(None, Home(tmp_path)) as store:
        append_event(store, sid, "selfassess.rated", "district",
                     {"sub_element": "C1", "level": "Strong", "evidence": "Weekly data."})
    code, out, _ = _run(capsys, "self-assess", "--session", sid, "--format", "json",
                        "--home", str(tmp_path))
    assert code == 0
    doc = json.loads(out)
    assert doc["rated"] == 1 and doc["elements"][5]["level"] == "Strong"
    code, _, err = _run(capsys, "self-assess", "--session", sid, "--role", "state",
                        "--home", str(tmp_path))
    assert code == 1 and "the state has saved no self-assessment" in err


def test_usage_and_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "self-assess", "--answers", str(tmp_path / "none.yaml"))
    assert code == 2 and "no such file" in err and "Traceback" not in err
    code, _, err = _run(capsys, "self-assess", "--template", "--answers", "x.yaml")
    assert code == 2
    code, _, err = _run(capsys, "self-assess", "--session", "nosuchid", "--home",
                        str(tmp_path))
    assert code == 1 and "nosuchid" in err and "Traceback" not in err


def test_without_answers_and_no_terminal_it_is_the_blank_worksheet(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "self-assess", "--format", "json")
    assert code == 0 and "--answers FILE" in err
    doc = json.loads(out)
    assert [e["id"] for e in doc["elements"]] == list(SUB_ELEMENTS)
    assert doc["rated"] == 0 and all(e["level"] is None for e in doc["elements"])
    assert [p["draft"].split()[0] for p in doc["next_steps"]] == ["Rate"] * 3


def test_an_answers_file_rates_at_least_one() -> None:
    assert _problems("state: Ours\nratings: {}\n") == [
        "mine.yaml:2:10: rate at least one sub-element under 'ratings' (the eleven are A1, "
        "A2, A3, B1, B2, C1, C2, C3, D1, D2, D3)"]
    assert _problems("state: Ours\n")[0].startswith("mine.yaml:1:1: rate at least one")


def test_asked_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from pmsim.selfassess_cli import ask

    typed = io.StringIO("Ours\n3\nWe set targets.\n\n9\nemerging\nSome theory.\n")
    out = io.StringIO()
    answers = ask(typed.readline, out)
    assert answers.state == "Ours"
    assert {k: (v.level, v.evidence) for k, v in answers.ratings.items()} == {
        "A1": ("Strong", "We set targets."), "A3": ("Emerging", "Some theory.")}
    assert "a level is 1–4" in out.getvalue()


def test_the_html_handout_prints_on_one_page(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Every sub-element rated with a long sentence (180 characters), beside a strong
    session's practice (the most "from the mock" lines): one A4 page, one Letter page."""
    chromium = Path("/usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not chromium.exists():
        pytest.skip("no Chromium to print with")
    with open_store(None, Home(tmp_path)) as store:
        sid = import_transcript(store, load_transcript(builtin_dir() /
                                                       "hudson-strong-transcript.yaml"),
                                load_scenario("hudson")).id
    sentence = ("Each quarter the State team meets every district lead with a short agenda, "
                "a data packet built by the research office and a written list of "
                "commitments to follow up next time.")
    path = tmp_path / "long.yaml"
    path.write_text(_filled(template("A State With A Fairly Long Name"),
                            ["Inadequate"] * 11).replace(
        "Our quarterly review does this.", sentence))
    page_file = tmp_path / "handout.html"
    code, _, err = _run(capsys, "self-assess", "--answers", str(path), "--session", sid,
                        "--format", "html", "--out", str(page_file), "--home", str(tmp_path))
    assert code == 0, err
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            pages = {fmt: len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(format=fmt)))
                     for fmt in ("A4", "Letter")}
        finally:
            browser.close()
    assert pages == {"A4": 1, "Letter": 1}
