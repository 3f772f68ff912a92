"""`pmsim session export ID --format xapi`: statements a learning record store accepts.

Every statement is validated against ralph's xAPI models (ralph-malph, the pydantic
models of a learning record store) and against the xAPI 1.0.3 rules they leave out:
ids and registrations are UUIDs, timestamps carry their zone, IRIs are absolute, a
score's raw lies within min and max and its scaled share in [-1, 1].
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ralph.models.xapi.base.agents import BaseXapiAgentWithAccount, BaseXapiAgentWithMbox
from ralph.models.xapi.base.contexts import BaseXapiContext
from ralph.models.xapi.base.results import BaseXapiResult
from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.base.unnested_objects import (
    BaseXapiActivity,
    BaseXapiActivityDefinition,
    BaseXapiActivityInteractionDefinition,
)
from ralph.models.xapi.base.verbs import BaseXapiVerb
from ralph.models.xapi.concepts.verbs.scorm_profile import CompletedVerb

from pmsim.cli import main
from simulator.formats.loading import builtin_dir, load_scenario
from simulator.formats.rubric import LEVELS, SUB_ELEMENTS
from simulator.render.xapi import timestamp
from simulator.session.home import Home, open_store
from simulator.session.state import append_events
from simulator.session.transcript import load_transcript

STRONG = builtin_dir() / "hudson-strong-transcript.yaml"
WEAK = builtin_dir() / "hudson-weak-transcript.yaml"
ADL_VERBS = {"attempted", "scored", "completed", "responded"}
ADL_ACTIVITY_TYPES = {
    "http://adlnet.gov/expapi/activities/simulation",
    "http://adlnet.gov/expapi/activities/meeting",
    "http://adlnet.gov/expapi/activities/objective",
    "http://adlnet.gov/expapi/activities/cmi.interaction",
}
R = "8"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _events(transcript: Path = STRONG) -> list[tuple[str, str, dict[str, Any]]]:
    """The transcript's events as a session appends them: (kind, role, payload)."""
    log = load_transcript(transcript).events_for_replay()[1:]
    return [(e.kind, e.role, e.payload) for e in log]


def _session(home: Path, events: list[tuple[str, str, dict[str, Any]]],
             payload: dict[str, Any] | None = None) -> str:
    """A saved Hudson session holding ``events`` (as the meeting room appends them)."""
    sha = load_scenario("hudson").sha256
    with open_store(None, Home(home)) as store:
        sid = store.create_session("hudson", sha, 1, "Pair 1", payload).id
        if events:
            append_events(store, sid, events)
    return sid


def _append(home: Path, sid: str, events: list[tuple[str, str, dict[str, Any]]]) -> None:
    with open_store(None, Home(home)) as store:
        append_events(store, sid, events)


def _until_poll_of(events: list[tuple[str, str, dict[str, Any]]], meeting: str) -> int:
    """How many events come up to and including the last poll answer after ``meeting``."""
    return max(i for i, (kind, _, p) in enumerate(events)
               if kind == "poll.answered" and p["meeting"] == meeting) + 1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def export(capsys: pytest.CaptureFixture[str], home: Path, sid: str, *more: str
           ) -> tuple[list[dict[str, Any]], str]:
    code, out, err = run(capsys, "session", "export", sid, "--format", "xapi",
                         "--home", str(home), *more)
    assert code == 0, err
    return json.loads(out), out


def verb(statement: dict[str, Any]) -> str:
    return statement["verb"]["id"].rsplit("/", 1)[1]


def _absolute_iri(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


# --------------------------------------------------------------------------- validity


def check_statement(s: dict[str, Any]) -> None:
    """One statement against ralph's models (the strictest that fits each part) and the
    xAPI rules the models do not check."""
    BaseXapiStatement.model_validate(s)
    assert s["version"] == "1.0.3"
    assert uuid.UUID(s["id"]).version == 5 and str(uuid.UUID(s["id"])) == s["id"]
    # The actor: an Agent identified by exactly one inverse functional identifier.
    if "mbox" in s["actor"]:
        BaseXapiAgentWithMbox.model_validate(s["actor"])
    else:
        BaseXapiAgentWithAccount.model_validate(s["actor"])
        assert _absolute_iri(s["actor"]["account"]["homePage"])
    # The verb: ADL's; `completed` is the SCORM profile's own model.
    assert s["verb"]["id"] == f"http://adlnet.gov/expapi/verbs/{verb(s)}"
    assert verb(s) in ADL_VERBS and s["verb"]["display"] == {"en-US": verb(s)}
    (CompletedVerb if verb(s) == "completed" else BaseXapiVerb).model_validate(s["verb"])
    # The object: an Activity of an ADL type, an interaction defined as one.
    activity = s["object"]
    BaseXapiActivity.model_validate(activity)
    assert activity["objectType"] == "Activity" and _absolute_iri(activity["id"])
    definition = activity["definition"]
    assert definition["type"] in ADL_ACTIVITY_TYPES
    if definition["type"].endswith("cmi.interaction"):
        BaseXapiActivityInteractionDefinition.model_validate(definition)
        assert definition["interactionType"] == "long-fill-in"
    else:
        BaseXapiActivityDefinition.model_validate(definition)
    # The context: a UUID registration, IRIs for every extension and context activity.
    context = s["context"]
    BaseXapiContext.model_validate(context)
    assert uuid.UUID(context["registration"])
    assert all(_absolute_iri(key) for key in context["extensions"])
    for group in context.get("contextActivities", {}).values():
        for a in group:
            BaseXapiActivity.model_validate(a)
            assert _absolute_iri(a["id"]) and a["definition"]["type"] in ADL_ACTIVITY_TYPES
    # The time: ISO 8601 with its zone (UTC), to the millisecond.
    stamp = s["timestamp"]
    moment = BaseXapiStatement.model_validate(s).timestamp
    assert moment is not None and moment.utcoffset() == timedelta(0) and stamp.endswith("Z")
    # The result, where there is one.
    if "result" in s:
        result = BaseXapiResult.model_validate(s["result"])
        assert all(_absolute_iri(key) for key in s["result"].get("extensions", {}))
        score = s["result"].get("score")
        if score is not None:
            assert -1 <= score["scaled"] <= 1
            assert score["min"] <= score["raw"] <= score["max"] and score["min"] < score["max"]
            assert score["scaled"] == pytest.approx(score["raw"] / score["max"], abs=1e-4)
            assert result.score is not None and result.score.scaled == Decimal(
                str(score["scaled"]))


@pytest.fixture
def strong(home: Path) -> str:
    return _session(home, _events())


def test_every_statement_of_a_played_session_validates(capsys, home, strong):
    stated, _ = export(capsys, home, strong)
    assert stated
    for s in stated:
        check_statement(s)
    ids = [s["id"] for s in stated]
    assert len(set(ids)) == len(ids)  # an LRS refuses two different statements with one id
    registrations = {s["context"]["registration"] for s in stated}
    assert len(registrations) == 1 and uuid.UUID(registrations.pop()).version == 5


def test_statements_count_one_scored_per_sub_element_per_closed_meeting(capsys, home, strong):
    stated, _ = export(capsys, home, strong)
    state = load_transcript(STRONG).state()
    roles = ("state", "district")
    counts = Counter(verb(s) for s in stated)
    assert counts["attempted"] == len(roles) and counts["completed"] == len(roles)
    assert counts["scored"] == len(roles) * len(state.closed_meetings) * len(SUB_ELEMENTS)
    answers = sum(bool(p[k].strip()) for p in state.polls for k in ("went_well", "improve"))
    assert answers and counts["responded"] == answers
    for role in roles:
        for meeting in state.closed_meetings:
            rated = [s["object"]["id"].rsplit("/", 1)[1] for s in stated
                     if verb(s) == "scored" and s["actor"]["account"]["name"].endswith(role)
                     and s["context"]["contextActivities"]["parent"][0]["id"].endswith(meeting)]
            assert sorted(rated) == sorted(SUB_ELEMENTS)
    # What each participant answered, word for word, credited to them.
    said = sorted((s["actor"]["account"]["name"].rsplit("-", 1)[1], s["result"]["response"])
                  for s in stated if verb(s) == "responded")
    assert said == sorted((p["role"], p[k]) for p in state.polls
                          for k in ("went_well", "improve"))


def test_the_played_strong_transcript_scores_exemplary_as_pmsim_debrief_does(
        capsys, home, strong):
    stated, _ = export(capsys, home, strong)
    code, out, _ = run(capsys, "debrief", "hudson", "--transcript", str(STRONG),
                       "--format", "json", "--replications", R)
    assert code == 0
    debrief = {e["id"]: e for e in json.loads(out)["elements"]}
    final = load_scenario("hudson").scenario.calendar.meetings[-1].id
    for role in ("state", "district"):
        scored = {s["object"]["id"].rsplit("/", 1)[1]: s for s in stated
                  if verb(s) == "scored" and s["context"]["extensions"][
                      "https://pmsim.invalid/xapi/extensions/role"] == role
                  and s["context"]["contextActivities"]["parent"][0]["id"].endswith(final)}
        assert set(scored) == set(debrief)
        for sub, s in scored.items():
            ext = s["result"]["extensions"]
            level = ext["https://pmsim.invalid/xapi/extensions/level"]
            assert level == debrief[sub]["level"]
            assert ext["https://pmsim.invalid/xapi/extensions/level-rank"] == (
                LEVELS.index(level) + 1)
            assert s["result"]["score"]["raw"] == debrief[sub]["points"]
            assert s["result"]["score"]["max"] == debrief[sub]["max_points"]
        levels = Counter(s["result"]["extensions"][
            "https://pmsim.invalid/xapi/extensions/level"] for s in scored.values())
        assert levels["Exemplary"] >= len(SUB_ELEMENTS) - 2  # a strong playthrough
        assert all(s["result"]["score"]["scaled"] >= 0.85 for s in scored.values()
                   if s["result"]["extensions"][
                       "https://pmsim.invalid/xapi/extensions/level"] == "Exemplary")


def test_completed_closes_the_year_after_every_scored_statement(capsys, home, strong):
    stated, _ = export(capsys, home, strong)
    completed = [i for i, s in enumerate(stated) if verb(s) == "completed"]
    scored = [i for i, s in enumerate(stated) if verb(s) == "scored"]
    assert completed and min(completed) > max(scored)
    for i in completed:
        result = BaseXapiResult.model_validate(stated[i]["result"])
        assert result.completion is True and result.duration is not None
        assert result.duration >= timedelta(0)
        assert stated[i]["object"]["id"] == "https://pmsim.invalid/xapi/scenarios/hudson"
    assert all(verb(s) == "attempted" for s in stated[:2])


# --------------------------------------------------------------------------- stability


def test_two_exports_are_the_same_bytes_and_out_writes_them(capsys, home, strong, tmp_path):
    _, first = export(capsys, home, strong)
    _, second = export(capsys, home, strong)
    assert first == second
    (tmp_path / "lrs").mkdir()
    out = tmp_path / "lrs" / "statements.json"
    code, printed, _ = run(capsys, "session", "export", strong, "--format", "xapi",
                           "--home", str(home), "--out", str(out))
    assert code == 0 and printed == f"{out}\n"
    assert out.read_text("utf-8") == first
    assert not [p for p in out.parent.iterdir() if p != out]  # no temporary file left
    code, printed, err = run(capsys, "session", "export", strong, "--format", "xapi",
                             "--home", str(home), "--out", str(tmp_path / "no" / "x.json"))
    assert code == 2 and printed == "" and "does not exist" in err


def test_a_statement_already_sent_is_the_same_when_the_session_has_gone_on(capsys, home):
    """An LRS keeps the first copy of an id and refuses a different statement with it: what
    was exported after Meeting #1 must come back unchanged once the year is over, even when
    the pair later looks back at Meeting #1's quarter (views the debrief would otherwise
    credit to Meeting #1)."""
    events = _events(WEAK)
    cut = _until_poll_of(events, "meeting-1")
    sid = _session(home, events[:cut])
    early, _ = export(capsys, home, sid)
    answers = sum(bool(p[k].strip()) for kind, _, p in events[:cut] if kind == "poll.answered"
                  for k in ("went_well", "improve"))
    assert Counter(verb(s) for s in early) == Counter(
        {"attempted": 2, "scored": 2 * len(SUB_ELEMENTS), "responded": answers})
    looking_back = [("view.opened", "state", {"view": view, "quarter": "Q2", "filters": f})
                    for view, f in (("reading/hudson-ms/subgroup", {}),
                                    ("reading/hudson-ms/strand", {"group": "el"}),
                                    ("attendance/hudson-ms/grade", {}))]
    _append(home, sid, looking_back + events[cut:])
    late, _ = export(capsys, home, sid)
    by_id = {s["id"]: s for s in late}
    assert all(by_id.get(s["id"]) == s for s in early)
    assert len(late) > len(early)


def test_a_session_without_a_debrief_yet_has_attempted_only(capsys, home):
    events = _events()
    first_close = next(i for i, (kind, _, _) in enumerate(events) if kind == "meeting.closed")
    sid = _session(home, events[:first_close])
    stated, _ = export(capsys, home, sid)
    assert [verb(s) for s in stated] == ["attempted", "attempted"]
    for s in stated:
        check_statement(s)
        assert "result" not in s and "contextActivities" not in s["context"]
    fresh, _ = export(capsys, home, _session(home, []))
    assert [verb(s) for s in fresh] == ["attempted", "attempted"]


def test_a_reopened_meeting_is_scored_once_at_the_close_that_stands(capsys, home):
    events = _events()
    close = next(i for i, (kind, _, _) in enumerate(events) if kind == "meeting.closed")
    meeting = events[close][2]["meeting"]
    sid = _session(home, [*events[:close + 1],
                          ("meeting.reopened", "state", {"meeting": meeting})])
    reopened, _ = export(capsys, home, sid)
    assert [verb(s) for s in reopened] == ["attempted", "attempted"]
    _append(home, sid, [events[close]])
    stated, _ = export(capsys, home, sid)
    with open_store(None, Home(home)) as store:
        closes = [e for e in store.events(sid) if e.kind == "meeting.closed"]
    scored = [s for s in stated if verb(s) == "scored"]
    assert len(scored) == 2 * len(SUB_ELEMENTS)
    assert len(closes) == 2 and {s["timestamp"] for s in scored} == {timestamp(closes[-1].created)}


def test_the_registration_is_the_sessions_and_differs_between_sessions(capsys, home):
    one, _ = export(capsys, home, _session(home, []))
    two, _ = export(capsys, home, _session(home, []))
    assert len({s["context"]["registration"] for s in one}) == 1
    assert one[0]["context"]["registration"] != two[0]["context"]["registration"]
    assert {s["id"] for s in one}.isdisjoint(s["id"] for s in two)


# --------------------------------------------------------------------------- who is credited


def test_solo_practice_credits_the_player_and_never_the_persona(capsys, home):
    """The persona plays the district here (its records, decisions and poll answers): none
    of it is a statement about a person, and its id is context, not an actor."""
    sid = _session(home, _events(),
                   {"solo": {"role": "state", "persona": "literacy-veteran"}})
    stated, _ = export(capsys, home, sid)
    for s in stated:
        check_statement(s)
    assert {s["actor"]["account"]["name"] for s in stated} == {f"{sid}-state"}
    assert {s["context"]["extensions"]["https://pmsim.invalid/xapi/extensions/persona"]
            for s in stated} == {"literacy-veteran"}
    state_answers = sum(bool(p[k].strip()) for p in load_transcript(STRONG).state().polls
                        for k in ("went_well", "improve") if p["role"] == "state")
    assert Counter(verb(s) for s in stated)["responded"] == state_answers


def test_roles_map_to_the_lms_accounts_and_mailboxes(capsys, home, strong):
    stated, _ = export(capsys, home, strong, "--activity-base", "https://lms.example.org/pmsim/",
                       "--account-home", "https://lms.example.org",
                       "--actor-account", "state=pat.lee", "--actor-mbox",
                       "district=ben@example.org")
    for s in stated:
        check_statement(s)
        assert s["object"]["id"].startswith("https://lms.example.org/pmsim/")
    actors = {json.dumps(s["actor"], sort_keys=True) for s in stated}
    assert actors == {
        json.dumps({"objectType": "Agent", "account": {"homePage": "https://lms.example.org",
                                                        "name": "pat.lee"}}, sort_keys=True),
        json.dumps({"objectType": "Agent", "mbox": "mailto:ben@example.org"}, sort_keys=True),
    }
    default, _ = export(capsys, home, strong)
    # Other actors or activities are other statements: new ids, never a clash in the LRS.
    assert {s["id"] for s in stated}.isdisjoint(s["id"] for s in default)


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--actor-account", "both=pat", "ROLE=VALUE"),
    ("--actor-account", "state", "ROLE=VALUE"),
    ("--actor-mbox", "state=not-an-address", "not an e-mail address"),
    ("--activity-base", "pmsim/xapi", "absolute http(s) IRI"),
    ("--account-home", "https://lms.example.org/?q=1", "absolute http(s) IRI"),
])
def test_an_option_that_cannot_make_valid_statements_is_exit_2(
        capsys, home, strong, option, value, said):
    code, out, err = run(capsys, "session", "export", strong, "--format", "xapi",
                         "--home", str(home), option, value)
    assert code == 2 and out == "" and said in err


def test_an_xapi_option_without_format_xapi_is_exit_2(capsys, home, strong):
    code, out, err = run(capsys, "session", "export", strong, "--home", str(home),
                         "--actor-account", "state=pat")
    assert code == 2 and out == "" and "--format xapi" in err


def test_export_xapi_of_an_unknown_session_is_exit_1(capsys, home):
    code, out, err = run(capsys, "session", "export", "nosuchid", "--format", "xapi",
                         "--home", str(home))
    assert code == 1 and out == "" and "nosuchid" in err


def test_the_yaml_export_is_unchanged_and_can_be_written_to_a_file(capsys, home, strong,
                                                                   tmp_path):
    code, printed, _ = run(capsys, "session", "export", strong, "--home", str(home))
    assert code == 0 and printed.startswith("transcript_version: 1")
    out = tmp_path / "mine.yaml"
    assert run(capsys, "session", "export", strong, "--home", str(home), "--out",
               str(out))[:2] == (0, f"{out}\n")
    assert out.read_text("utf-8") == printed


def test_the_export_needs_no_xapi_library(home, strong):
    """The statements are pmsim's own dicts: ralph is for the tests, never a run-time need."""
    import subprocess
    import sys

    code = ("import sys; from pmsim.cli import main; "
            f"rc = main(['session', 'export', {strong!r}, '--format', 'xapi', "
            f"'--home', {str(home)!r}]); "
            "sys.stdout.flush(); assert rc == 0; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('ralph', 'textual')], "
            "'imported'")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)


@pytest.mark.parametrize(("stored", "sent"), [
    ("2026-12-02T12:59:12.123456Z", "2026-12-02T12:59:12.123Z"),
    ("2026-12-02T14:00:00.5+01:00", "2026-12-02T13:00:00.500Z"),
    ("2026-12-02T12:00:00", "2026-12-02T12:00:00.000Z"),  # no zone: the stores' UTC
])
def test_a_stored_time_is_sent_in_utc_to_the_millisecond(stored, sent):
    assert timestamp(stored) == sent
