"""Transcripts: a playthrough's records as a file — strict to load, faithful to replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.formats.loading import builtin_dir, builtin_paths
from simulator.formats.scenario import Scenario
from simulator.session.home import Home, open_store
from simulator.session.state import EVENT_MODELS, SessionState, append_event, replay
from simulator.session.store import Store
from simulator.session.transcript import (
    ENTRY_MODELS,
    REGENERATE,
    SCHEMA_PATH,
    Transcript,
    TranscriptError,
    load_transcript,
    parse_transcript,
    schema_text,
    transcript_from_events,
    transcript_from_session,
)

WORKED = sorted(builtin_dir().glob("hudson-*transcript*.y*ml"))
"""Hudson's worked transcripts (other built-in scenarios ship their own, validated with
every scenario file by tests/test_scenario_validation.py)."""
HEAD = "transcript_version: 1\nscenario: hudson\nseed: 1\nevents:\n"


def problems(text: str, scenario: Scenario | None = None) -> list[str]:
    """The ``FILE:LINE:COL: message`` lines a transcript text is rejected with."""
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(text.encode(), "t.yaml", scenario)
    return caught.value.lines()


def at(text: str, needle: str) -> str:
    """``t.yaml:LINE:COL`` of the first occurrence of ``needle`` in ``text``."""
    before = text[: text.index(needle)]
    return f"t.yaml:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


# --------------------------------------------------------------------------- worked transcripts


def test_hudson_ships_a_strong_and_a_weak_worked_transcript() -> None:
    assert [p.name for p in WORKED] == ["hudson-strong-transcript.yaml",
                                        "hudson-weak-transcript.yaml"]
    assert not set(WORKED) & set(builtin_paths())


@pytest.mark.parametrize("path", WORKED, ids=lambda p: p.name)
def test_worked_transcripts_load_against_their_scenario_and_replay(
    path: Path, hudson: Scenario
) -> None:
    transcript = load_transcript(path, hudson)
    state = transcript.state()
    assert state.scenario == "hudson" and state.seed == 1
    assert state.closed_meetings == ["meeting-1", "meeting-2"]
    assert state.records and state.views_opened and state.polls


@pytest.mark.parametrize("path", WORKED, ids=lambda p: p.name)
def test_worked_transcripts_point_editors_at_the_transcript_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (path.parent / first.removeprefix(prefix)).resolve() == SCHEMA_PATH.resolve()


# --------------------------------------------------------------------------- load errors


def test_an_unknown_event_kind_is_reported_at_its_value_with_a_suggestion() -> None:
    text = HEAD + "  - {event: view.opend, by: state, view: reading/hudson-ms/all}\n"
    assert problems(text) == [
        f"{at(text, 'view.opend')}: events.0: unknown event kind 'view.opend'; "
        "did you mean 'view.opened'?"
    ]


def test_an_unknown_payload_key_is_reported_at_the_key_with_a_suggestion() -> None:
    text = HEAD + "  - {event: view.opened, by: state, view: reading/hudson-ms/all, quater: Q2}\n"
    assert problems(text) == [
        f"{at(text, 'quater')}: events.0: unknown key 'quater' in this view.opened event; "
        "did you mean 'quarter'?"
    ]


def test_a_bad_payload_value_is_reported_at_the_value() -> None:
    text = HEAD + (
        "  - event: record.added\n    by: state\n    meeting: meeting-1\n"
        "    record_id: r1\n    kind: wish\n"
    )
    [line] = problems(text)
    assert line.startswith(f"{at(text, 'wish')}: events.0: kind: input should be 'target'")


def test_a_missing_payload_key_is_reported_at_the_event() -> None:
    text = HEAD + "  - {event: decision.made, by: state, meeting: meeting-1, action: adopt}\n"
    assert problems(text) == [
        f"{at(text, '{event')}: events.0: missing required key 'strategy' in this "
        "decision.made event"
    ]


def test_an_event_without_its_kind_or_role_says_what_is_missing() -> None:
    text = HEAD + "  - {by: state, text: hello}\n  - {event: note.added, text: hello}\n"
    found = problems(text)
    assert found[0].startswith(f"{at(text, '{by')}: events.0: missing required key 'event'")
    assert found[1] == (f"{at(text, '{event: note')}: events.1: missing required key 'by' in "
                        "this note.added event")


def test_session_bookkeeping_events_are_not_part_of_a_transcript() -> None:
    text = HEAD + "  - {event: stage.changed, by: state, stage: meeting-1}\n"
    assert problems(text) == [
        f"{at(text, 'stage.changed')}: events.0: 'stage.changed' is not part of a transcript"
    ]


def test_unknown_and_missing_header_keys_are_reported_with_suggestions() -> None:
    text = "transcript_version: 1\nscenario: hudson\nsede: 1\nevents: []\n"
    assert problems(text) == [
        "t.yaml:1:1: missing required key 'seed' in the top level",
        "t.yaml:3:1: unknown key 'sede' in the top level; did you mean 'seed'?",
    ]


def test_every_problem_of_a_file_is_reported_at_once_in_line_order() -> None:
    text = HEAD + (
        "  - {event: view.opend, by: state, view: v}\n"
        "  - {event: note.added, by: state, txt: hello}\n"
    )
    found = problems(text)
    assert [line.split(": ")[0] for line in found] == [
        at(text, "view.opend"), at(text, "{event: note"), at(text, "txt")]
    assert "missing required key 'text'" in found[1] and "unknown key 'txt'" in found[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"events: [\n", "t.yaml:2:1: "),
        (b"\xff\xfe\x00", "t.yaml:1:1: file is not UTF-8 text"),
        (b"- just\n- a list\n", "t.yaml:1:1: a transcript must be a mapping"),
        (b"seed: !!python/object/apply:os.system ['echo hi']\n", "t.yaml:1:7: tag"),
    ],
    ids=["unclosed-bracket", "not-utf8", "not-a-mapping", "python-tag"],
)
def test_a_file_that_is_not_a_yaml_mapping_is_one_positioned_problem(
    raw: bytes, expected: str
) -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(raw, "t.yaml")
    [line] = caught.value.lines()
    assert line.startswith(expected)


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError) as caught:
        load_transcript(tmp_path / "nope.yaml")
    [line] = caught.value.lines()
    assert line.startswith(f"{tmp_path / 'nope.yaml'}:1:1: cannot read the file")


def test_references_to_the_scenario_are_checked_when_it_is_given(hudson: Scenario) -> None:
    text = HEAD + (
        "  - {event: view.opened, by: state, view: reading/hudson/all}\n"
        "  - {event: decision.made, by: state, meeting: meeting-1,"
        " strategy: structured-literacyy, action: adopt}\n"
        "  - {event: meeting.closed, by: state, meeting: meeting-3}\n"
    )
    assert parse_transcript(text.encode(), "t.yaml").events  # structurally fine
    assert problems(text, hudson) == [
        f"{at(text, 'reading/hudson/all')}: unknown school in view 'hudson'; "
        "did you mean 'hudson-ms'?",
        f"{at(text, 'structured-literacyy')}: unknown strategy 'structured-literacyy'; "
        "did you mean 'structured-literacy'?",
        f"{at(text, 'meeting-3')}: unknown meeting 'meeting-3'; did you mean 'meeting-2'?",
    ]


def test_a_json_transcript_loads_like_yaml(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({
        "scenario": "hudson", "seed": 2,
        "events": [{"event": "note.added", "by": "state", "text": "hello"}],
    }))
    transcript = load_transcript(path)
    assert transcript.state().notes[0].text == "hello"
    assert transcript.transcript_version == 1


# --------------------------------------------------------------------------- the format


def test_event_and_by_never_collide_with_a_payload_key() -> None:
    for model in EVENT_MODELS.values():
        assert not {"event", "by"} & set(model.model_fields), model.__name__


def test_every_kind_a_participant_can_write_has_a_transcript_form() -> None:
    from simulator.session.transcript import LEFT_OUT

    assert set(ENTRY_MODELS) == set(EVENT_MODELS) - {"session.created", "stage.changed"} - set(
        LEFT_OUT)
    # What is left out is a workshop's own log (never a room's transcript) and presence.
    assert set(LEFT_OUT) - {"session.created", "stage.changed"} == {
        "presence.seen", "workshop.created", "workshop.started", "workshop.paused",
        "workshop.advanced", "workshop.closed"}


def test_record_added_keeps_its_own_kind_next_to_the_event_kind() -> None:
    text = HEAD + (
        "  - {event: record.added, by: state, meeting: meeting-1, record_id: t1,"
        " kind: target, fields: {metric: 'pct:reading:hudson-ms:el', target: 20}}\n"
    )
    state = parse_transcript(text.encode()).state()
    assert state.records["t1"].kind == "target"
    assert state.records["t1"].fields == {"metric": "pct:reading:hudson-ms:el", "target": 20}
    assert state.records["t1"].role == "state"


def test_the_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        f"simulator/transcript.schema.json is out of date: run `{REGENERATE}`"
    )


def test_every_schema_field_is_documented() -> None:
    schema = json.loads(schema_text())
    for name, model in {"Transcript": schema, **schema["$defs"]}.items():
        for key, prop in model.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key} has no description"


# --------------------------------------------------------------------------- session round trip

SHA = "ab" * 32


def _play(store: Store) -> str:
    """A session with every kind of event, including ones a transcript leaves out."""
    sid = store.create_session("hudson", SHA, 4, "Pair 7").id
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("stage.changed", "state", {"stage": "meeting-1", "screen": "meeting"}),
        ("view.opened", "state", {"view": "reading/hudson-ms/subgroup", "quarter": "Q2",
                                  "filters": {"measure": "pct"}}),
        ("view.opened", "district", {"view": "reading/hudson-ms/all"}),
        ("record.added", "state", {"meeting": "meeting-1", "record_id": "t1", "kind": "target",
                                   "fields": {"metric": "pct:reading:hudson-ms:el",
                                              "baseline": 9.4, "target": 20, "by": "end of Q4"}}),
        ("record.added", "district", {"meeting": "meeting-1", "record_id": "x1",
                                      "kind": "note", "fields": {"text": "yes"}}),
        ("record.updated", "state", {"record_id": "t1",
                                     "fields": {"metric": "pct:reading:hudson-ms:el",
                                                "baseline": 9.4, "target": 25,
                                                "by": "end of Q4"}}),
        ("record.removed", "district", {"record_id": "x1"}),
        ("decision.made", "district", {"meeting": "meeting-1", "strategy": "structured-literacy",
                                       "action": "adopt",
                                       "options": {"grades": [6, 7], "subgroups": ["el"]}}),
        ("note.added", "state", {"text": "null"}),
        ("meeting.closed", "state", {"meeting": "meeting-1"}),
        ("stage.changed", "state", {"stage": "debrief-1"}),
        ("poll.answered", "both", {"meeting": "meeting-1", "role": "state",
                                   "went_well": "2024-01-01", "improve": "1.0"}),
        ("takehome.answered", "state", {"role": "state", "participant": "Pat",
                                        "steps": ["Pull strands", "Name owners"]}),
    ]
    for kind, role, payload in steps:
        append_event(store, sid, kind, role, payload)
    return sid


def _comparable(state: SessionState) -> dict[str, Any]:
    """What a session is, without the log positions a transcript renumbers."""
    return {
        "head": (state.scenario, state.scenario_sha256, state.seed, state.title),
        "records": [(rid, r.meeting, r.kind, r.fields, r.role)
                    for rid, r in sorted(state.records.items(), key=lambda i: i[1].seq)],
        "decisions": state.decisions,
        "views": [(v.role, v.view, v.quarter) for v in state.views_opened],
        "closed": state.closed_meetings,
        "polls": state.polls,
        "takehome": state.takehome,
        "notes": [(n.role, n.text) for n in state.notes],
    }


def test_session_to_transcript_to_replay_gives_the_same_state(tmp_path: Path) -> None:
    with open_store(None, Home(tmp_path)) as store:
        sid = _play(store)
        original = replay(store.events(sid))
        transcript = transcript_from_session(store, sid)
    assert {e.event for e in transcript.events} >= {"view.opened", "record.removed"}
    assert "stage.changed" not in {e.event for e in transcript.events}
    reloaded = parse_transcript(transcript.to_yaml().encode())
    assert reloaded == transcript
    assert _comparable(reloaded.state()) == _comparable(original)
    assert _comparable(original)["records"] == [
        ("t1", "meeting-1", "target",
         {"metric": "pct:reading:hudson-ms:el", "baseline": 9.4, "target": 25,
          "by": "end of Q4"}, "state"),
    ]


def test_a_transcript_can_be_made_from_a_replayed_state_and_its_events(tmp_path: Path) -> None:
    with open_store(None, Home(tmp_path)) as store:
        sid = _play(store)
        events = store.events(sid)
        from_info = transcript_from_session(store, sid)
    assert transcript_from_events(replay(events), events) == from_info


def test_to_yaml_is_deterministic_and_leaves_defaults_out(tmp_path: Path) -> None:
    with open_store(None, Home(tmp_path)) as store:
        transcript = transcript_from_session(store, _play(store))
    text = transcript.to_yaml()
    assert text == transcript.to_yaml()
    assert "filters: {}" not in text and "quarter: null" not in text
    assert text.startswith("transcript_version: 1\nscenario: hudson\nseed: 4\n")


def test_events_for_replay_start_with_the_session_and_number_every_event() -> None:
    transcript = load_transcript(WORKED[0])
    log = transcript.events_for_replay()
    assert log[0].kind == "session.created" and log[0].payload["seed"] == 1
    assert [e.seq for e in log] == list(range(1, len(transcript.events) + 2))
    assert log[0].payload["participants"] == transcript.participants


def test_an_unknown_id_raises_the_stores_error(tmp_path: Path) -> None:
    from simulator.session.store import UnknownSessionError

    with open_store(None, Home(tmp_path)) as store, pytest.raises(UnknownSessionError):
        transcript_from_session(store, "nosuchid")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(_TEXT, min_size=1, max_size=4), role=_TEXT)
def test_any_text_survives_the_yaml_round_trip(texts: list[str], role: str) -> None:
    transcript = Transcript.model_validate({
        "scenario": "hudson", "seed": 1, "title": texts[0],
        "events": [{"event": "note.added", "by": role, "text": t} for t in texts],
    })
    reloaded = parse_transcript(transcript.to_yaml().encode())
    assert reloaded == transcript
    assert [n.text for n in reloaded.state().notes] == texts


def test_a_session_export_keeps_the_participants_names(tmp_path):
    from simulator.session.home import Home, open_store
    from simulator.session.transcript import parse_transcript, transcript_from_session

    with open_store(None, Home(tmp_path)) as store:
        info = store.create_session("hudson", "0" * 64, 1, "t",
                                    payload={"participant": "Ana", "role": "state"})
        exported = transcript_from_session(store, info.id)
    assert exported.participants == {"state": "Ana"}
    again = parse_transcript(exported.to_yaml().encode(), "t.yaml")
    assert again.state().participants() == {"state": "Ana"}
