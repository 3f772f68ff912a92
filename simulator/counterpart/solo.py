"""Solo practice in a saved session: the persona plays the other role in a meeting room.

A solo session is a session like any other (``Room``), whose ``session.created`` payload
names the player's role and the persona (``{"solo": {"role": …, "persona": …}}``). Each
exchange is one transaction: a ``solo.turn`` event (what the player said, how it was
understood, the answer, the facts revealed, the hint on screen) and the counterpart's own
events — its decisions with their minutes and its records — under its role, as a human
counterpart's would be, so scoring, replay and reports need no special case.

The conversation's state (the persona's dials, what it has said and revealed) is never
stored: it is rebuilt by playing the session's turns again, which gives the same state
because the counterpart is a pure function of persona, scenario, seed and moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.counterpart.conversation import Conversation, Turn
from simulator.counterpart.hints import Hint, hint
from simulator.counterpart.moves import Understood

if TYPE_CHECKING:
    from simulator.formats.persona import Persona
    from simulator.formats.scenario import Scenario
    from simulator.session.client import Room

ROLES = ("state", "district")


class PersonaNotFound(ValueError):
    """No built-in persona has the id, and no file the path."""


def other_role(role: str) -> str:
    return "district" if role == "state" else "state"


def persona_path(ref: str) -> Path:
    """A built-in persona id, else a path to a persona file (PersonaNotFound otherwise)."""
    import difflib

    from simulator.formats.persona import builtin_dir, builtin_paths

    if "/" not in ref and ref not in ("", ".", ".."):
        candidate = builtin_dir() / f"{ref}.yaml"
        if candidate.is_file():
            return candidate
    path = Path(ref)
    if path.is_file():
        return path
    known = [p.stem for p in builtin_paths()]
    close = difflib.get_close_matches(ref, known, n=1)
    hint_ = f" (did you mean '{close[0]}'?)" if close else ""
    raise PersonaNotFound(f"no persona '{ref}'{hint_}: give a built-in id "
                          f"({', '.join(known)}) or a file path")


def load_persona(ref: str, scenarios: list[Scenario]) -> Persona:
    """A persona by built-in id or path, validated (its strategy references against
    ``scenarios``): PersonaNotFound, OSError or PersonaError (located) otherwise."""
    from simulator.formats.persona import parse_persona
    from simulator.formats.yamlsafe import read_limited

    path = persona_path(ref)
    return parse_persona(read_limited(path, what="a persona file"), str(path), scenarios)


def default_persona(role: str) -> str:
    """The built-in persona that plays ``role`` unless the player chooses another."""
    from personas import DEFAULTS

    return DEFAULTS[role]


def choose_persona(role: str, persona: str | None, scenario: Scenario) -> Persona:
    """The persona for a player of ``role``: the one named, else the default for the other
    role; ValueError when it plays the player's own role."""
    found = load_persona(persona or default_persona(other_role(role)), [scenario])
    if found.role == role:
        raise ValueError(f"persona '{found.id}' plays the {found.role} role, the one you "
                         f"chose to play: choose a {other_role(role)} persona")
    return found


@dataclass
class Solo:
    """The counterpart of a solo session's room, meeting by meeting."""

    room: Room
    persona: Persona
    hints: bool = False
    """Coaching on: each turn records the hint shown before it."""
    _talks: dict[str, tuple[int, Conversation]] = field(default_factory=dict)
    """Per meeting: the conversation, and how many of the session's turns it has played."""

    @classmethod
    def of(cls, room: Room) -> Solo | None:
        """The counterpart of ``room`` if it is solo practice (its persona loaded), else
        None; the errors of :func:`load_persona` when the persona cannot be loaded."""
        solo = room.solo
        if solo is None:
            return None
        return cls(room, load_persona(solo["persona"], [room.scenario]))

    @property
    def player_role(self) -> str:
        solo = self.room.solo
        assert solo is not None
        return solo["role"]

    @property
    def persona_role(self) -> str:
        return self.persona.role

    def turns(self, meeting: str) -> list[dict[str, Any]]:
        """The session's exchanges in ``meeting``, in order."""
        return [t for t in self.room.state.turns if t["meeting"] == meeting]

    def conversation(self, meeting: str) -> Conversation:
        """The persona's side of ``meeting``, brought up to the session's last turn: made on
        first use, and played on through any turns another terminal added since."""
        turns = self.turns(meeting)
        played, talk = self._talks.get(meeting, (0, None))
        if talk is None or played > len(turns):
            talk, played = self._fresh(meeting), 0
        for t in turns[played:]:
            talk.play(t["said"], Understood.from_payload(t["move"]))
        self._talks[meeting] = (len(turns), talk)
        return talk

    def _fresh(self, meeting: str) -> Conversation:
        sim = self.room.sim
        running = list(sim.active) if sim is not None else []
        return Conversation(self.persona, self.room.scenario, seed=self.room.state.seed,
                            meeting=meeting, running=running)

    def hint(self, meeting: str) -> Hint | None:
        """What a skilled lead would look at or ask next in ``meeting`` (None when the
        conversation has done every step the debrief looks for)."""
        return hint(self.conversation(meeting))

    def say(self, meeting: str, said: str, understood: Understood | None = None) -> Turn:
        """One exchange: the persona answers ``said`` (free text, or a menu move already
        ``understood``); the turn and the persona's events are saved as one transaction
        (NotSaved if the store refuses: then nothing of it was, and the conversation is as
        it was)."""
        talk = self.conversation(meeting)
        shown = hint(talk) if self.hints else None
        before = len(talk.history)
        turn = talk.say(said) if understood is None else talk.play(said, understood)
        payload: dict[str, Any] = {
            "meeting": meeting, "said": said, "move": turn.understood.as_payload(),
            "reply": turn.reply, "revealed": list(turn.revealed),
            "hint": None if shown is None else shown.text}
        events = [("solo.turn", self.player_role, payload)]
        events += [(kind, self.persona_role, body) for kind, body in turn.events]
        try:
            self.room.append_as("what you said and the answer", events)
        except BaseException:
            self._talks.pop(meeting, None)  # rebuilt from the session on the next turn
            del talk.history[before:]
            raise
        self._talks[meeting] = (len(self.turns(meeting)), talk)
        return turn

    def write_intent(self, meeting: str, text: str) -> None:
        """What the player means to achieve in ``meeting``, before it (the debrief opens
        with it)."""
        self.room.append_as("what you mean to achieve", [
            ("solo.intent", self.player_role, {"meeting": meeting, "text": text})])

    def opening(self, meeting: str) -> str:
        """What the persona says as the meeting opens."""
        return self.conversation(meeting).opening.text
