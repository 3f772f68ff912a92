"""Session events: validated before storing; state is a pure, incremental fold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.session.home import Home, open_store
from simulator.session.state import (
    EVENT_MODELS,
    Note,
    Record,
    SessionState,
    ViewSeen,
    append_event,
    replay,
    validate_payload,
)
from simulator.session.store import Event, Store

SHA = "cd" * 32
CREATED = {"scenario": "hudson", "scenario_sha256": SHA, "seed": 3, "title": "Pair 1"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(None, Home(tmp_path)) as opened:
        yield opened


@pytest.fixture
def sid(store: Store) -> str:
    return store.create_session("hudson", SHA, 3, "Pair 1").id


def _log(*events: tuple[str, str, dict[str, Any]]) -> list[Event]:
    """A log as the store would return it: session.created, then (kind, role, payload)…"""
    log = [Event("s", 1, "session.created", "system", dict(CREATED), "t")]
    for seq, (kind, role, payload) in enumerate(events, start=2):
        log.append(Event("s", seq, kind, role, validate_payload(kind, payload), "t"))
    return log


def test_every_event_kind_has_a_model() -> None:
    assert set(EVENT_MODELS) == {
        "session.created",
        "stage.changed",
        "view.opened",
        "record.added",
        "record.updated",
        "record.removed",
        "meeting.closed",
        "meeting.reopened",
        "decision.made",
        "poll.answered",
        "takehome.answered",
        "selfassess.rated",
        "note.added",
        "solo.intent",
        "solo.turn",
        "presence.seen",
        "workshop.created",
        "workshop.started",
        "workshop.paused",
        "workshop.advanced",
        "workshop.closed",
    }


def test_append_event_stores_the_payload_with_defaults_filled(store: Store, sid: str) -> None:
    event = append_event(store, sid, "view.opened", "state", {"view": "reading/hudson-ms/grade"})
    assert event.payload == {"view": "reading/hudson-ms/grade", "quarter": None, "filters": {}}
    assert store.events(sid, after=1) == [event]


@pytest.mark.parametrize(
    ("kind", "payload", "problem"),
    [
        ("dance.started", {}, "unknown event kind 'dance.started'"),
        ("record.added", {"meeting": "m", "record_id": "r", "kind": "wish"}, "kind"),
        ("record.added", {"meeting": "m", "kind": "note"}, "record_id"),
        ("stage.changed", {"stage": "meeting-1", "colour": "red"}, "colour"),
        ("stage.changed", {"stage": ""}, "stage"),
        ("decision.made", {"meeting": "m", "strategy": "s", "action": "pause"}, "action"),
        ("view.opened", {"view": "v", "quarter": 2}, "quarter"),
        ("note.added", {"text": "x", "when": object()}, "when"),
        ("record.updated", {"record_id": "r", "fields": {"x": object()}}, "JSON-serialisable"),
        ("session.created", dict(CREATED), "Store.create_session"),
    ],
)
def test_bad_events_never_reach_the_log(
    store: Store, sid: str, kind: str, payload: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        append_event(store, sid, kind, "state", payload)
    assert store.last_seq(sid) == 1


def test_an_event_needs_a_role(store: Store, sid: str) -> None:
    with pytest.raises(ValueError, match="role"):
        append_event(store, sid, "note.added", "", {"text": "x"})


def test_replay_of_a_played_session(store: Store, sid: str) -> None:
    def add(event_kind: str, role: str, /, **payload: Any) -> None:
        append_event(store, sid, event_kind, role, payload)

    add("stage.changed", "state", stage="meeting-1", screen="agenda")
    add("view.opened", "district", view="reading/hudson-ms/subgroup", quarter="Q2")
    add(
        "record.added",
        "state",
        meeting="meeting-1",
        record_id="t1",
        kind="target",
        fields={"metric": "pct proficient", "target": 40},
    )
    add(
        "record.added",
        "district",
        meeting="meeting-1",
        record_id="f1",
        kind="finding",
        fields={"text": "ELL students in grade 7 lag"},
    )
    add("record.updated", "state", record_id="t1", fields={"metric": "pct proficient"})
    add("record.removed", "district", record_id="f1")
    add("decision.made", "district", meeting="meeting-1", strategy="bl", action="continue")
    add(
        "decision.made",
        "district",
        meeting="meeting-1",
        strategy="tutor",
        action="adopt",
        options={"grades": [7]},
    )
    add("decision.made", "state", meeting="meeting-1", strategy="bl", action="stop")
    add("meeting.closed", "state", meeting="meeting-1")
    add("decision.made", "district", meeting="meeting-1", strategy="late", action="adopt")
    add("meeting.closed", "district", meeting="meeting-1")
    add(
        "poll.answered",
        "state",
        meeting="meeting-1",
        role="state",
        went_well="data",
        improve="owners",
    )
    add("note.added", "district", text="ask about ELL")
    add("stage.changed", "state", stage="debrief-1")

    state = replay(store.events(sid))
    assert (state.session_id, state.scenario, state.seed, state.title) == (
        sid,
        "hudson",
        3,
        "Pair 1",
    )
    assert state.scenario_sha256 == SHA
    assert (state.stage, state.screen) == ("debrief-1", None)
    assert state.stage == store.get(sid).stage
    assert state.records == {
        "t1": Record("meeting-1", "target", {"metric": "pct proficient"}, "state", 4)
    }
    assert state.closed_meetings == ["meeting-1"]
    assert state.decisions == {
        "meeting-1": [
            {"meeting": "meeting-1", "strategy": "bl", "action": "stop", "options": {}},
            {
                "meeting": "meeting-1",
                "strategy": "tutor",
                "action": "adopt",
                "options": {"grades": [7]},
            },
        ]
    }
    assert state.views_opened == [ViewSeen(3, "district", "reading/hudson-ms/subgroup", "Q2")]
    assert state.polls == [
        {"meeting": "meeting-1", "role": "state", "went_well": "data", "improve": "owners"}
    ]
    assert state.notes == [Note(15, "district", "ask about ELL")]
    assert state.last_seq == 16 == store.last_seq(sid)


def test_extra_session_created_keys_reach_the_state(store: Store) -> None:
    info = store.create_session("hudson", SHA, 3, "Solo", payload={"persona": "veteran"})
    state = replay(store.events(info.id))
    assert state.extra == {"persona": "veteran"}
    assert state.title == "Solo"


def test_polling_with_apply_keeps_a_second_terminal_in_step(store: Store, sid: str) -> None:
    mirror = replay(store.events(sid))
    for i in range(3):
        append_event(store, sid, "note.added", "state", {"text": f"n{i}"})
        append_event(store, sid, "stage.changed", "district", {"stage": f"s{i}"})
        for event in store.events(sid, after=mirror.last_seq):
            mirror.apply(event)
        assert mirror == replay(store.events(sid))


def test_apply_skips_events_already_applied() -> None:
    log = _log(("note.added", "state", {"text": "once"}))
    state = replay(log)
    state.apply(log[1])
    assert state.notes == [Note(2, "state", "once")]


def test_apply_refuses_a_gap_or_another_session() -> None:
    log = _log(*[("note.added", "state", {"text": str(i)}) for i in range(3)])
    state = replay(log[:2])
    with pytest.raises(ValueError, match="missing"):
        state.apply(log[3])
    other = Event("other", 3, "note.added", "state", {"text": "x"}, "t")
    with pytest.raises(ValueError, match="other"):
        state.apply(other)


def test_replay_needs_session_created_first() -> None:
    with pytest.raises(ValueError, match="no events"):
        replay([])
    with pytest.raises(ValueError, match=r"starts with session\.created"):
        replay(_log(("note.added", "state", {"text": "x"}))[1:])


def test_events_of_unknown_kinds_advance_but_change_nothing() -> None:
    log = _log(("note.added", "state", {"text": "x"}))
    log.append(Event("s", 3, "future.kind", "state", {"anything": 1}, "t"))
    expected = replay(log[:2])
    expected.last_seq = 3
    assert replay(log) == expected


def test_replay_of_every_prefix_is_the_state_at_that_point(store: Store, sid: str) -> None:
    append_event(store, sid, "stage.changed", "state", {"stage": "meeting-1"})
    append_event(
        store,
        sid,
        "record.added",
        "state",
        {"meeting": "meeting-1", "record_id": "r", "kind": "note"},
    )
    append_event(store, sid, "record.removed", "state", {"record_id": "r"})
    append_event(store, sid, "stage.changed", "state", {"stage": "end"})
    log = store.events(sid)
    seen = [(s.stage, set(s.records)) for s in (replay(log[:k]) for k in range(1, len(log) + 1))]
    assert seen == [
        ("briefing", set()),
        ("meeting-1", set()),
        ("meeting-1", {"r"}),
        ("meeting-1", set()),
        ("end", set()),
    ]


RECORD_IDS = st.sampled_from(["r1", "r2", "r3", "r4"])
ROLES = st.sampled_from(["state", "district"])
FIELDS = st.dictionaries(
    st.text(max_size=4), st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3
)
RECORD_OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("record.added"),
            ROLES,
            st.fixed_dictionaries(
                {
                    "meeting": st.sampled_from(["meeting-1", "meeting-2"]),
                    "record_id": RECORD_IDS,
                    "kind": st.sampled_from(["target", "finding", "action", "note"]),
                    "fields": FIELDS,
                }
            ),
        ),
        st.tuples(
            st.just("record.updated"),
            ROLES,
            st.fixed_dictionaries({"record_id": RECORD_IDS, "fields": FIELDS}),
        ),
        st.tuples(
            st.just("record.removed"), ROLES, st.fixed_dictionaries({"record_id": RECORD_IDS})
        ),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(RECORD_OPS)
def test_record_fold_matches_a_plain_dict_model(ops: list[tuple[str, str, dict[str, Any]]]) -> None:
    log = _log(*ops)
    model: dict[str, Record] = {}
    state = SessionState.start(log[0])
    for k, event in enumerate(log[1:], start=2):
        p = event.payload
        if event.kind == "record.added":
            model[p["record_id"]] = Record(p["meeting"], p["kind"], p["fields"], event.role, k)
        elif event.kind == "record.updated" and p["record_id"] in model:
            old = model[p["record_id"]]
            model[p["record_id"]] = Record(old.meeting, old.kind, p["fields"], old.role, old.seq)
        elif event.kind == "record.removed":
            model.pop(p["record_id"], None)
        state.apply(event)
        assert state == replay(log[:k])  # incremental == replay of the prefix
        assert state.records == model
    assert replay(log) == replay(log) == state


def test_take_home_answers_are_kept_one_per_role(tmp_path):
    from simulator.session.home import Home, open_store
    from simulator.session.state import append_event, replay

    with open_store(None, Home(tmp_path)) as store:
        info = store.create_session("hudson", "0" * 64, 1, "t")
        for steps in (["Pull subgroup data monthly"], ["Pull subgroup data monthly",
                                                       "Name an owner per strategy"]):
            append_event(store, info.id, "takehome.answered", "state",
                         {"role": "state", "steps": steps})
        append_event(store, info.id, "takehome.answered", "district",
                     {"role": "district", "participant": "Sam", "steps": ["Weekly data"]})
        with pytest.raises(ValueError, match="takehome"):
            append_event(store, info.id, "takehome.answered", "state",
                         {"role": "state", "steps": []})
        state = replay(store.events(info.id))
    assert [(t["role"], len(t["steps"])) for t in state.takehome] == [("state", 2),
                                                                      ("district", 1)]


def test_a_view_keeps_its_filters(tmp_path):
    from simulator.session.home import Home, open_store
    from simulator.session.state import append_event, replay

    with open_store(None, Home(tmp_path)) as store:
        info = store.create_session("hudson", "0" * 64, 1, "t")
        append_event(store, info.id, "view.opened", "state",
                     {"view": "reading/hudson-ms/strand", "quarter": "Q2",
                      "filters": {"group": "el"}})
        state = replay(store.events(info.id))
    assert state.views_opened[0].filters == (("group", "el"),)
