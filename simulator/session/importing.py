"""``pmsim session import FILE``: a transcript becomes a saved session.

A facilitator opens a worked playthrough in the TUI, moves a session between machines,
or restores one from its export. The transcript's events are written after the
session's ``session.created`` in one transaction (all of them or none), followed by the
stage the playthrough had reached, so the session opens where it left off. Transcripts
leave ``session.created`` and ``stage.changed`` out, so export → import → export gives
the same transcript.
"""

from __future__ import annotations

from simulator.formats.loading import LoadedScenario, scenario_ref
from simulator.formats.routine import Stage, stage_after_closing
from simulator.formats.scenario import Scenario
from simulator.session.state import SessionState, validate_payload
from simulator.session.store import STAGE_CHANGED, NewEvent, SessionInfo, Store
from simulator.session.transcript import Transcript

IMPORT_ROLE = "both"
"""Who moved the imported session to its stage: the pair, as at a shared terminal."""


def stage_reached(state: SessionState, scenario: Scenario) -> Stage:
    """Where a playthrough stands once its events are folded: at the first meeting not
    closed that has records or decisions, else after the last meeting closed, else at the
    briefing."""
    calendar = scenario.calendar
    held = {r.meeting for r in state.records.values()} | set(state.made)
    for n, meeting in enumerate(calendar.meetings, start=1):
        if meeting.id not in state.closed_meetings and meeting.id in held:
            return Stage("meeting", meeting.id, n)
    if state.closed_meetings:
        return stage_after_closing(calendar, state.closed_meetings[-1])
    return Stage("briefing")


def session_events(transcript: Transcript, scenario: Scenario) -> list[NewEvent]:
    """The events the session is saved with: the transcript's, each payload checked as a
    write would be, then the stage the playthrough reached (none at the briefing)."""
    events: list[NewEvent] = []
    for entry in transcript.events:
        payload = entry.model_dump(mode="json", exclude={"event", "by"})
        events.append((entry.event, entry.by, validate_payload(entry.event, payload)))
    stage = stage_reached(transcript.state(), scenario)
    if stage.kind != "briefing":
        events.append((STAGE_CHANGED, IMPORT_ROLE, {"stage": stage.text, "screen": stage.screen}))
    return events


def import_transcript(store: Store, transcript: Transcript, loaded: LoadedScenario
                      ) -> SessionInfo:
    """Save ``transcript`` (already validated against ``loaded``) as a new session of
    ``loaded``'s scenario; returns the session's summary."""
    payload = {"participants": dict(transcript.participants)} if transcript.participants else None
    title = transcript.title or f"{loaded.scenario.title} · seed {transcript.seed}"
    return store.create_session(
        scenario_ref(loaded), transcript.scenario_sha256 or loaded.sha256, transcript.seed,
        title, payload=payload, events=session_events(transcript, loaded.scenario))
