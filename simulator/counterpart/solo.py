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
                         f"chose to play (--as, --solo): choose a {other_role(role)} persona")
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


# --------------------------------------------------------------------------- the review


def _running_before(state: Any, scenario: Scenario, meeting: str) -> list[str]:
    """The strategies in play when ``meeting`` opens: adopted at earlier meetings, less
    those stopped."""
    running: dict[str, None] = {}
    for m in scenario.calendar.meetings:
        if m.id == meeting:
            break
        for d in state.decisions.get(m.id, []):
            if d["action"] == "stop":
                running.pop(d["strategy"], None)
            else:
                running.setdefault(d["strategy"], None)
    return list(running)


def _fact_text(talk: Conversation, fact_id: str) -> str:
    if fact_id in talk.facts:
        return talk.facts[fact_id].text
    return next((f.text for f in talk.persona.facts if f.id == fact_id), fact_id)


def replayed(persona: Persona, scenario: Scenario, state: Any, meeting: str) -> Conversation:
    """``meeting``'s conversation as the session holds it, played again from its turns."""
    talk = Conversation(persona, scenario, seed=state.seed, meeting=meeting,
                        running=_running_before(state, scenario, meeting))
    for t in state.turns:
        if t["meeting"] == meeting:
            talk.play(t["said"], Understood.from_payload(t["move"]))
    return talk


def review(persona: Persona, scenario: Scenario, state: Any) -> list[dict[str, Any]]:
    """The after-action review of each meeting the player talked in (or wrote an intent
    for): what was supposed to happen (the intent), what happened (the exchanges, what the
    persona revealed and decided), why (the turn where the conversation turned), and what
    to keep and change (hints used, what a better question would have drawn out)."""
    from simulator.formats.persona import MOVE_BY_ID
    from simulator.formats.routine import short_title

    out: list[dict[str, Any]] = []
    names = {s.id: s.name for s in scenario.strategies}
    for m in scenario.calendar.meetings:
        turns = [t for t in state.turns if t["meeting"] == m.id]
        intent = state.intents.get(m.id)
        if not turns and intent is None:
            continue
        talk = replayed(persona, scenario, state, m.id)
        revealed = [{"fact": f, "text": _fact_text(talk, f)} for f in talk.revealed]
        missed = [{"fact": x["fact"], "text": x["text"], "moves": list(x["moves"]),
                   "needs": [f"{dial.lower()} is {level}" for dial, level in x["needs"].items()]}
                  for x in talk.missed()]
        turned = talk.turning_point()
        turning = None
        if turned is not None:
            before = (talk.history[turned.number - 2].dials if turned.number > 1 else
                      {d.id: d.start for d in persona.dials})
            label = persona.dial("trust").label
            turning = {"turn": turned.number, "said": turned.said, "reply": turned.reply,
                       "move": MOVE_BY_ID[turned.understood.move].label,
                       "dial": label, "before": before["trust"], "after": turned.dials["trust"]}
        decided = [f"{d['action']} {names.get(d['strategy'], d['strategy'])}"
                   for d in talk.standing_decisions()]
        hints = [{"turn": i, "hint": str(t["hint"])}
                 for i, t in enumerate(turns, start=1) if t.get("hint")]
        doc = {"meeting": m.id, "title": short_title(m.title), "intent": intent,
               "exchanges": len(turns), "revealed": revealed, "missed": missed,
               "turning_point": turning, "decided": decided, "hints": hints}
        doc["review"] = _review_words(persona, doc, len(revealed) + len(missed))
        out.append(doc)
    return out


def _review_words(persona: Persona, doc: dict[str, Any], known: int) -> list[str]:
    """The review in four plain sentences (intent, what happened, why, keep and change)."""
    who = persona.name
    intent = doc["intent"]
    lines = [f"What you meant to achieve: “{intent}”." if intent else
             "You wrote no intent before this meeting: next time, say first what you mean "
             "to achieve, so you can tell whether you did."]
    decided = "; ".join(doc["decided"]) or "nothing"
    lines.append(f"What happened: {doc['exchanges']} exchange"
                 f"{'' if doc['exchanges'] == 1 else 's'}; {who} told you {len(doc['revealed'])} "
                 f"of the {known} things they knew, and agreed to {decided}.")
    t = doc["turning_point"]
    if t is not None:
        way = "opened up" if t["after"] > t["before"] else "closed down"
        lines.append(f"Why: the conversation turned at exchange {t['turn']} ({t['move'].lower()}"
                     f"), when you said “{t['said']}”: {who} {way} ({t['dial'].lower()} "
                     f"{t['before']} → {t['after']}).")
    else:
        lines.append(f"Why: nothing you said moved {who}'s trust either way.")
    keep = []
    if doc["hints"]:
        keep.append(f"you used hints at exchange{'s' if len(doc['hints']) > 1 else ''} "
                    + ", ".join(str(h["turn"]) for h in doc["hints"]))
    if doc["missed"]:
        first = doc["missed"][0]
        ask = " or ".join(m.lower() for m in first["moves"]) or "a better question"
        need = f" once {' and '.join(first['needs'])}" if first["needs"] else ""
        keep.append(f"{who} would have told you “{first['text']}” had you chosen to {ask}{need}"
                    + (f" ({len(doc['missed']) - 1} more below)" if len(doc["missed"]) > 1
                       else ""))
    lines.append("Keep and change: " + ("; ".join(keep) + "." if keep else
                                        f"you drew out everything {who} knew."))
    return lines
