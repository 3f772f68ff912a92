"""A saved session as xAPI statements, for a learning record store (LRS).

``pmsim session export ID --format xapi`` prints what this module builds: a JSON
array of xAPI 1.0.3 statements that a learning management system's record store
accepts as they stand (POST to its ``/statements``). Plain dicts, made here from the
session's events and its debrief scores; no xAPI library at run time (the tests
validate every statement against one).

What becomes a statement, for each participant the session credits (a *learner*):

- ``attempted`` the scenario, when the session began (its first event);
- ``scored`` each of the eleven sub-elements, once per closed meeting: the debrief
  held when that meeting closed, scored on the session as it stood then (so a
  re-export after the session went on repeats the statement unchanged); the score is
  the rubric's weighted points (``raw`` of ``max``, ``scaled`` their share) and the
  level an extension;
- ``completed`` the scenario when its last meeting closed (the final debrief);
- ``responded`` to a poll question, one per question a learner answered ("What went
  well?", "What could be improved?"), the answer as ``result.response``.

Learners are the pair's two roles; in solo practice only the player's: a persona is
not a person, so what it says and records produces no statement (its id is a context
extension instead). Sessions hold no personal data an LMS could match, so each actor
is by default an account ``{homePage: BASE, name: "<session>-<role>"}``; a facilitator
maps roles to the LMS's own accounts or mailboxes with :class:`Actors`.

Everything is deterministic: statement ids are name-based UUIDs (uuid5) of the
session, the event, the verb, the activity and the actor, and the registration a
uuid5 of the session, so exporting twice gives the same bytes and an LRS that
receives a statement again keeps one copy.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any, Final
from urllib.parse import quote, urlsplit

from simulator.debrief.models import Debrief, Rating
from simulator.formats.rubric import SUB_ELEMENTS, element_of, level_rank
from simulator.formats.scenario import Scenario
from simulator.render.plain import json_printable
from simulator.session.state import SessionState, replay
from simulator.session.store import SESSION_CREATED, Event

XAPI_VERSION: Final = "1.0.3"
DEFAULT_BASE: Final = "https://pmsim.invalid/xapi"
"""Where activity ids live unless ``--activity-base`` says: ``.invalid`` is a reserved
domain that never resolves, so no one else's IRI is claimed."""
LANGUAGE: Final = "en-US"
PLATFORM: Final = "pmsim"
LEARNER_ROLES: Final = ("state", "district")
"""The roles a person plays; events by ``both`` (one terminal for the pair) are theirs."""

ADL_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
VERBS: Final = ("attempted", "scored", "completed", "responded")
"""ADL vocabulary verbs used, each ``ADL_VERBS + name`` and displayed as its name."""
ADL_ACTIVITIES: Final = "http://adlnet.gov/expapi/activities/"
SIMULATION: Final = ADL_ACTIVITIES + "simulation"
MEETING: Final = ADL_ACTIVITIES + "meeting"
OBJECTIVE: Final = ADL_ACTIVITIES + "objective"
INTERACTION: Final = ADL_ACTIVITIES + "cmi.interaction"

POLL_QUESTIONS: Final = (
    ("went_well", "went-well", "What went well?"),
    ("improve", "improve", "What could be improved?"),
)
"""The debrief poll's questions: payload key, activity id segment, the question."""

NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, DEFAULT_BASE)
"""The name space of every uuid5 made here (statement ids, registrations)."""

Scorer = Callable[[Scenario, SessionState, str], Debrief]
"""Rates a session up to a meeting; :func:`score_upto` unless a test pins the levels."""

_MAILBOX = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+")


class XapiOptionError(ValueError):
    """An export option that cannot make valid statements (the CLI prints the message)."""


def check_base(base: str, what: str = "--activity-base") -> str:
    """``base`` without a trailing slash, if it is an absolute http(s) IRI with a host and
    no query or fragment; else XapiOptionError saying what is wrong."""
    parts = urlsplit(base)
    if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
            or parts.fragment or any(ch.isspace() for ch in base)):
        raise XapiOptionError(
            f"{what} {base!r} is not an absolute http(s) IRI without a query or fragment,"
            " e.g. https://lms.example.org/pmsim")
    return base.rstrip("/")


@dataclass(frozen=True)
class Actors:
    """Whom the statements credit: each learner role as an LMS account or mailbox.

    Without a mapping a role is the account ``{homePage: home, name: "<session>-<role>"}``.
    """

    home: str = DEFAULT_BASE
    """The ``homePage`` of the accounts (the LMS's address when ``accounts`` are its own)."""
    accounts: dict[str, str] = field(default_factory=dict)
    """Role → the account name in the LMS (``--actor-account ROLE=NAME``)."""
    mboxes: dict[str, str] = field(default_factory=dict)
    """Role → an e-mail address (``--actor-mbox ROLE=ADDRESS``); wins over an account."""

    @classmethod
    def parse(cls, home: str | None, accounts: Sequence[str], mboxes: Sequence[str],
              base: str = DEFAULT_BASE) -> Actors:
        """The actors of the CLI's options (``ROLE=VALUE`` each), checked."""
        return cls(home=check_base(home, "--account-home") if home else base,
                   accounts=_role_map(accounts, "--actor-account"),
                   mboxes={role: _mailbox(value)
                           for role, value in _role_map(mboxes, "--actor-mbox").items()})

    def agent(self, session_id: str, role: str) -> dict[str, Any]:
        """The xAPI Agent for ``role`` of ``session_id``."""
        if role in self.mboxes:
            return {"objectType": "Agent", "mbox": self.mboxes[role]}
        name = self.accounts.get(role) or f"{session_id}-{role}"
        return {"objectType": "Agent", "account": {"homePage": self.home, "name": name}}


def _role_map(pairs: Sequence[str], option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        role, sep, value = pair.partition("=")
        if not sep or role not in LEARNER_ROLES or not value.strip():
            raise XapiOptionError(
                f"{option} {pair!r}: write ROLE=VALUE with ROLE one of"
                f" {', '.join(LEARNER_ROLES)}, e.g. {option} state=...")
        if role in found:
            raise XapiOptionError(f"{option}: {role} is given twice")
        found[role] = value.strip()
    return found


def _mailbox(value: str) -> str:
    address = value.removeprefix("mailto:")
    if not _MAILBOX.fullmatch(address):
        raise XapiOptionError(f"--actor-mbox {value!r} is not an e-mail address")
    return "mailto:" + address


def score_upto(scenario: Scenario, state: SessionState, meeting: str) -> Debrief:
    """The debrief held when ``meeting`` closed: the rubric up to that meeting."""
    from simulator.debrief.scoring import score

    return score(scenario, state, upto_meeting=meeting)


# --------------------------------------------------------------------------- statements


def statements(
    scenario: Scenario,
    events: Sequence[Event],
    *,
    base: str = DEFAULT_BASE,
    actors: Actors | None = None,
    scorer: Scorer = score_upto,
) -> list[dict[str, Any]]:
    """The xAPI statements of a saved session's ``events`` (its whole log, in order),
    played on ``scenario``; in the order of the events they stand for."""
    base = check_base(base)
    return _Builder(scenario, list(events), base, actors or Actors(home=base), scorer).build()


def to_json(stated: Iterable[dict[str, Any]]) -> str:
    """The statements as the export prints them: a JSON array, keys sorted, indented,
    no control or bidi character raw; the same bytes for the same statements."""
    text = json.dumps(list(stated), indent=2, sort_keys=True, ensure_ascii=False)
    return json_printable(text) + "\n"


def timestamp(created: str) -> str:
    """A store's time stamp as xAPI writes one: UTC, milliseconds, ``Z``."""
    moment = datetime.fromisoformat(created)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _number(value: float) -> int | float:
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


@dataclass
class _Builder:
    scenario: Scenario
    events: list[Event]
    base: str
    actors: Actors
    scorer: Scorer
    out: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = replay(self.events)
        self.created = self.events[0]
        assert self.created.kind == SESSION_CREATED  # replay checked
        self.registration = str(uuid.uuid5(
            NAMESPACE, f"registration|{self.state.session_id}|{self.created.created}"))
        solo = self.state.extra.get("solo")
        self.solo = solo if isinstance(solo, dict) else None
        role = self.solo.get("role") if self.solo else None
        self.learners = (role,) if role in LEARNER_ROLES else LEARNER_ROLES
        self.meetings = {m.id: m for m in self.scenario.calendar.meetings}

    # ------------------------------------------------------------------ the log

    def build(self) -> list[dict[str, Any]]:
        closes = self._standing_closes()
        final = [m.id for m in self.scenario.calendar.meetings]
        for role in self.learners:
            self._add(role, self.created, "attempted", self._scenario_activity(), None)
        for i, event in enumerate(self.events):
            if event.seq in closes:
                meeting = closes[event.seq]
                self._scored(meeting, event, replay(self.events[: i + 1]))
                if set(final) <= set(self.state.closed_meetings) and meeting == final[-1]:
                    self._completed(event)
            elif event.kind == "poll.answered":
                self._responded(event)
        return self.out

    def _standing_closes(self) -> dict[int, str]:
        """seq → meeting of each close that stands: the last ``meeting.closed`` of each
        meeting the session has closed (a reopened meeting's later close replaces it)."""
        last: dict[str, int] = {}
        for event in self.events:
            if event.kind == "meeting.closed":
                last[event.payload["meeting"]] = event.seq
        return {seq: m for m, seq in last.items()
                if m in self.state.closed_meetings and m in self.meetings}

    # ------------------------------------------------------------------ verbs

    def _scored(self, meeting: str, event: Event, then: SessionState) -> None:
        debrief = self.scorer(self.scenario, then, meeting)
        ratings = {r.id: r for r in debrief.elements}
        for role in self.learners:
            for sub in SUB_ELEMENTS:
                rating = ratings[sub]
                self._add(role, event, "scored", self._objective(sub), meeting,
                          result=self._score(rating), key=sub)

    def _score(self, rating: Rating) -> dict[str, Any]:
        result: dict[str, Any] = {"extensions": {
            self._extension("level"): rating.level,
            self._extension("level-rank"): level_rank(rating.level),
        }}
        if rating.max_points > 0:  # nothing applies yet: a level, but no score
            result["score"] = {
                "raw": _number(rating.points), "min": 0, "max": _number(rating.max_points),
                "scaled": _number(rating.points / rating.max_points),
            }
        return result

    def _completed(self, event: Event) -> None:
        began = datetime.fromisoformat(timestamp(self.created.created))
        ended = datetime.fromisoformat(timestamp(event.created))
        result = {"completion": True, "duration": _duration(ended - began)}
        for role in self.learners:
            self._add(role, event, "completed", self._scenario_activity(), None, result=result)

    def _responded(self, event: Event) -> None:
        p = event.payload
        if p["role"] not in self.learners or p["meeting"] not in self.meetings:
            return  # a persona's (never written) or another scenario's meeting
        for key, segment, question in POLL_QUESTIONS:
            answer = p.get(key, "")
            if isinstance(answer, str) and answer.strip():
                self._add(p["role"], event, "responded",
                          self._question(p["meeting"], segment, question), p["meeting"],
                          result={"response": answer}, key=segment)

    # ------------------------------------------------------------------ parts

    def _add(self, role: str, event: Event, verb: str, activity: dict[str, Any],
             meeting: str | None, *, result: dict[str, Any] | None = None,
             key: str = "") -> None:
        actor = self.actors.agent(self.state.session_id, role)
        name = "|".join([self.registration, str(event.seq), verb, activity["id"],
                         json.dumps(actor, sort_keys=True), key])
        statement: dict[str, Any] = {
            "id": str(uuid.uuid5(NAMESPACE, name)),
            "actor": actor,
            "verb": {"id": ADL_VERBS + verb, "display": {LANGUAGE: verb}},
            "object": activity,
            "context": self._context(role, meeting),
            "timestamp": timestamp(event.created),
            "version": XAPI_VERSION,
        }
        if result is not None:
            statement["result"] = result
        self.out.append(statement)

    def _context(self, role: str, meeting: str | None) -> dict[str, Any]:
        extensions: dict[str, Any] = {
            self._extension("session"): self.state.session_id,
            self._extension("role"): role,
            self._extension("seed"): self.state.seed,
        }
        if self.solo and isinstance(self.solo.get("persona"), str):
            persona = self.solo["persona"]  # a built-in id, or a file: its name, not its path
            extensions[self._extension("persona")] = (
                PurePath(persona).stem if persona.endswith((".yaml", ".yml")) else persona)
        context: dict[str, Any] = {
            "registration": self.registration,
            "platform": PLATFORM,
            "language": LANGUAGE,
            "extensions": extensions,
        }
        if self.state.scenario_sha256:
            context["revision"] = self.state.scenario_sha256
        if meeting is not None:
            context["contextActivities"] = {"parent": [self._meeting_activity(meeting)],
                                            "grouping": [self._scenario_activity()]}
        return context

    def _iri(self, *segments: str) -> str:
        return "/".join([self.base, *(quote(s, safe="-._~") for s in segments)])

    def _extension(self, name: str) -> str:
        return self._iri("extensions", name)

    def _scenario_activity(self) -> dict[str, Any]:
        sc = self.scenario
        return _activity(self._iri("scenarios", sc.id), SIMULATION, sc.title)

    def _meeting_activity(self, meeting: str) -> dict[str, Any]:
        return _activity(self._iri("scenarios", self.scenario.id, "meetings", meeting),
                         MEETING, self.meetings[meeting].title)

    def _objective(self, sub: str) -> dict[str, Any]:
        return _activity(self._iri("framework", sub), OBJECTIVE, f"{sub} {SUB_ELEMENTS[sub]}",
                         element_of(sub))

    def _question(self, meeting: str, segment: str, question: str) -> dict[str, Any]:
        activity = _activity(
            self._iri("scenarios", self.scenario.id, "meetings", meeting, "poll", segment),
            INTERACTION, question, f"The debrief poll after {self.meetings[meeting].title}")
        activity["definition"]["interactionType"] = "long-fill-in"
        return activity


def _activity(iri: str, kind: str, name: str, description: str = "") -> dict[str, Any]:
    definition: dict[str, Any] = {"type": kind, "name": {LANGUAGE: name}}
    if description:
        definition["description"] = {LANGUAGE: description}
    return {"objectType": "Activity", "id": iri, "definition": definition}


def _duration(span: timedelta) -> str:
    """An ISO 8601 duration (``PT1H2M3.45S``) to the hundredth of a second xAPI keeps."""
    hundredths = max(0, round(span.total_seconds() * 100))
    hours, rest = divmod(hundredths, 360_000)
    minutes, rest = divmod(rest, 6_000)
    seconds = f"{rest // 100}.{rest % 100:02d}".rstrip("0").rstrip(".")
    return f"PT{hours}H{minutes}M{seconds}S"
