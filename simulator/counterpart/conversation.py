"""A conversation with a persona: what the player says in, what the counterpart says and
does out.

Each turn the persona (1) reacts to the move — the first of its reactions that matches
moves its dials by bounded steps and chooses what it answers; (2) decides on a strategy
proposed or challenged, as its decisions, resistances and favourites say; (3) reveals at
most one fact, the first of its reveals that the move, its dials and the facts left
allow; (4) brings up a strategy it favours; (5) writes a record it agrees to. Its
decisions and records are session events, as a human player's are (``decision.made``
with its minute, ``record.added``, ``record.removed``), validated by the session layer.

Lines are chosen as Yarn Spinner chooses them: of a group's lines whose condition holds
(and whose placeholders can be filled), the most specific; of those, the least recently
said; a tie by the seeded stream ``("counterpart", persona, turn, group)``. Same persona,
scenario, seed and words: the same conversation, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.counterpart.facts import ScenarioFact, scenario_facts
from simulator.counterpart.moves import Understood, understand
from simulator.engine.streams import stream
from simulator.formats.persona import (
    BOUND_BY,
    MOVE_BY_ID,
    PLACEHOLDER,
    Commitment,
    Condition,
    Persona,
    Reveal,
    selected,
    selects,
)
from simulator.formats.refs import View
from simulator.formats.routine import default_due, short_title
from simulator.formats.scenario import Scenario, Strategy
from simulator.session.state import validate_payload

Event = tuple[str, dict[str, Any]]
"""A session event the counterpart makes: its kind and its validated payload."""


def fairmath(value: int, step: int, max_step: int) -> int:
    """``value`` moved by ``step`` percent of the way to 100 (up) or to 0 (down), at most
    ``max_step`` percent, by at least 1, never reaching 0 or 100 (ChoiceScript's bounded
    "fairmath", in whole numbers)."""
    step = max(-max_step, min(max_step, step))
    if step > 0 and value < 99:
        return min(99, value + max(1, (100 - value) * step // 100))
    if step < 0 and value > 1:
        return max(1, value - max(1, value * -step // 100))
    return value


@dataclass(frozen=True)
class Said:
    """One line said: its group and index in the persona file, and the words."""

    group: str
    index: int
    text: str


@dataclass(frozen=True)
class Turn:
    """One exchange: what the player said, how it was understood, what came back."""

    number: int
    said: str
    understood: Understood
    reply: str
    lines: tuple[Said, ...]
    revealed: tuple[str, ...]
    dials: dict[str, int]
    """The dials after the turn."""
    events: tuple[Event, ...]
    """The session events the counterpart made this turn (decisions, records)."""


@dataclass
class _Context:
    """What conditions and placeholders see during a turn."""

    move: str | None = None
    grounded: bool = False
    names_strategy: bool = False
    bound: dict[str, str] = field(default_factory=dict)


class Conversation:
    """The persona's side of one meeting, turn by turn (the state is this object's)."""

    def __init__(self, persona: Persona, scenario: Scenario, *, seed: int = 1,
                 meeting: str | None = None, running: Iterable[str] = ()) -> None:
        self.persona = persona
        self.scenario = scenario
        self.seed = seed
        self.meeting = meeting or scenario.calendar.meetings[0].id
        self.running = set(running)
        """Strategies already in play when the meeting starts (from earlier meetings)."""
        self.dials: dict[str, int] = {d.id: d.start for d in persona.dials}
        self.revealed: list[str] = []
        self.revealed_text: dict[str, str] = {}
        """What each revealed fact said (a truth: the evidence note of the view asked)."""
        self.turn = 0
        self.moves: list[str] = []
        self.last_said: dict[tuple[str, int], int] = {}
        self.said_count: dict[tuple[str, int], int] = {}
        self.proposed: list[str] = []
        self.table: list[str] = []
        """Strategies brought up (proposed by the persona or adopted), in order."""
        self._strategy_ids = {st.id for st in scenario.strategies}
        self._fixed_values = self._fixed()
        """The placeholders that are the same all meeting ({me}, {school}, {due}, …)."""
        self.dropped: set[str] = set()
        self.adopted: dict[str, str] = {}
        """Strategy id → the record id of the minute of its decision in this meeting."""
        self.decisions: dict[str, dict[str, Any]] = {}
        """Standing decisions of this meeting, by strategy (the ``decision.made`` payloads)."""
        self.records: list[dict[str, Any]] = []
        self.committed: set[int] = set()
        self.history: list[Turn] = []
        self._serial = 0
        self.facts: dict[str, ScenarioFact] = {
            f.id: f for f in scenario_facts(scenario, persona.role, self.meeting)}
        self.claims = self._claim_briefing()
        """Which reveal (its index) each briefing sentence belongs to."""
        self.opening = self._line(persona.opening, _Context()) or Said(persona.opening, -1, "")

    # ------------------------------------------------------------------ the turn

    def say(self, text: str) -> Turn:
        """The persona's answer to free text (matched to a move)."""
        return self.play(text, understand(text, self.scenario))

    def play(self, said: str, understood: Understood) -> Turn:
        """The persona's answer to a move (from a menu, or free text understood)."""
        self.turn += 1
        u = self._known(understood)
        ctx = _Context(u.move, u.grounded, u.strategy is not None)
        if u.strategy is not None:
            ctx.bound["strategy"] = self._name(u.strategy)
        reaction = next((r for r in self.persona.reactions
                         if u.move in r.moves and self._holds(r.when, ctx)), None)
        if reaction is not None:
            for dial, step in reaction.dials.items():
                spec = self.persona.dial(dial)
                self.dials[dial] = fairmath(self.dials[dial], step, spec.max_step)
        lines: list[Said] = []
        events: list[Event] = []
        decided = self._strategy_move(u, ctx, lines, events)
        if not decided and reaction is not None:
            self._add(lines, self._line(reaction.lines, ctx))
        revealed = self._reveal(u, ctx, lines)
        if not decided:
            self._propose(u, ctx, lines)
        self._commit(u, ctx, lines, events)
        self.moves.append(u.move)
        turn = Turn(self.turn, said, u, " ".join(s.text for s in lines if s.text),
                    tuple(lines), tuple(revealed), dict(self.dials), tuple(events))
        self.history.append(turn)
        return turn

    def _known(self, u: Understood) -> Understood:
        """``u`` with what this scenario does not have left out (a move stored on a scenario
        that has changed since, or a menu's stale choice), so it cannot break a turn."""
        strategy = u.strategy if u.strategy in self._strategy_ids else None
        view = u.view
        if view is not None:
            try:
                bad = View.parse(view).problem(self.scenario) is not None
            except ValueError:
                bad = True
            view = None if bad else view
        return replace(u, strategy=strategy, view=view)

    # ------------------------------------------------------------------ strategies

    def _on_table(self) -> str | None:
        """The strategy under discussion when the player names none: the latest the persona
        proposed or adopted and has not dropped."""
        live = [s for s in self.table if s not in self.dropped]
        return live[-1] if live else None

    def _strategy_move(self, u: Understood, ctx: _Context, lines: list[Said],
                       events: list[Event]) -> bool:
        """A proposal or a challenge of a strategy, decided; whether it was handled."""
        if u.move not in ("propose-strategy", "challenge-strategy"):
            return False
        target = u.strategy or self._on_table()
        if target is None:
            return False
        strategy = self.scenario.strategy(target)
        ctx.bound["strategy"] = strategy.name
        if u.move == "challenge-strategy":
            return self._challenged(strategy, ctx, lines, events)
        return self._proposed(strategy, u, ctx, lines, events)

    def _challenged(self, strategy: Strategy, ctx: _Context, lines: list[Said],
                    events: list[Event]) -> bool:
        favour = next((f for f in self.persona.favours
                       if selects(f.strategy, strategy, self.scenario)), None)
        if favour is None:
            return False
        if favour.yields_when is None or not self._holds(favour.yields_when, ctx):
            self._add(lines, self._line(favour.lines, ctx))
            return True
        self.dropped.add(strategy.id)
        if strategy.id in self.adopted:
            events.append(self._event("record.removed",
                                      {"record_id": self.adopted.pop(strategy.id)}))
            self.decisions.pop(strategy.id, None)
        elif strategy.id in self.running:
            self._decide(strategy, "stop", ctx, events)
        if favour.yield_lines is not None:  # the loader sees that it is, with yields_when
            self._add(lines, self._line(favour.yield_lines, ctx))
        return True

    def _proposed(self, strategy: Strategy, u: Understood, ctx: _Context, lines: list[Said],
                  events: list[Event]) -> bool:
        rules = self.persona.decisions
        if strategy.id in self.adopted:
            self._add(lines, self._line(rules.lines, ctx))
            return True
        resisted = next((r for r in self.persona.resists
                         if selects(r.strategy, strategy, self.scenario)
                         and (r.unless is None or not self._holds(r.unless, ctx))), None)
        if resisted is not None:
            self._add(lines, self._line(resisted.lines, ctx))
            return True
        if rules.adopt_when is not None and not self._holds(rules.adopt_when, ctx):
            if rules.hold_lines is not None:  # the loader sees that it is, with adopt_when
                self._add(lines, self._line(rules.hold_lines, ctx))
            return True
        action = "continue" if strategy.id in self.running else "adopt"
        if action == "continue" and (u.grades or u.subgroups):
            action = "adjust"
        self.dropped.discard(strategy.id)
        self._decide(strategy, action, ctx, events, _options(u, strategy))
        self._add(lines, self._line(rules.lines, ctx))
        return True

    def _decide(self, strategy: Strategy, action: str, ctx: _Context,
                events: list[Event], options: dict[str, Any] | None = None) -> None:
        """A decision and its minute, as the meeting room saves them (one pair of events):
        whom it serves is what the player named (grades, subgroups), if anything."""
        record_id = self._record_id("decision")
        owner = self._fill(self.persona.decisions.owner, ctx)
        options = options or {}
        decided = {"meeting": self.meeting, "strategy": strategy.id, "action": action,
                   "options": options, "record_id": record_id}
        minute = {"meeting": self.meeting, "record_id": record_id, "kind": "decision",
                  "fields": {"strategy": strategy.id, "action": action, "owner": owner,
                             **options}}
        events.append(self._event("decision.made", decided))
        events.append(self._event("record.added", minute))
        if action != "stop":
            self.adopted[strategy.id] = record_id
            self.table.append(strategy.id)
        self.decisions[strategy.id] = events[-2][1]

    def _propose(self, u: Understood, ctx: _Context, lines: list[Said]) -> None:
        for p in self.persona.proposes:
            if u.move not in p.moves or not self._holds(p.when, ctx):
                continue
            fresh = [s for s in selected(p.strategy, self.scenario)
                     if s.id not in self.proposed and s.id not in self.adopted
                     and s.id not in self.dropped and s.id not in self.running]
            if not fresh:
                continue
            self.proposed.append(fresh[0].id)
            self.table.append(fresh[0].id)
            here = _Context(ctx.move, ctx.grounded, ctx.names_strategy,
                            {**ctx.bound, "strategy": fresh[0].name})
            self._add(lines, self._line(p.lines, here))
            return

    # ------------------------------------------------------------------ reveals

    def _claim_briefing(self) -> dict[str, int]:
        """Which reveal each briefing sentence belongs to: the first whose words it has."""
        claims: dict[str, int] = {}
        for fact in self.facts.values():
            if fact.source == "truths":
                continue
            for i, rv in enumerate(self.persona.reveals):
                said = f"{fact.text}\n{fact.written}".lower()
                if rv.scenario == fact.source and (
                        not rv.about or any(w.lower() in said for w in rv.about)):
                    claims[fact.id] = i
                    break
        return claims

    def _candidates(self, i: int, rv: Reveal, u: Understood) -> list[tuple[str, str]]:
        """(fact id, text) the reveal ``rv`` could disclose this turn, best first."""
        if rv.fact is not None:
            own = next(f for f in self.persona.facts if f.id == rv.fact)
            return [(own.id, own.text)]
        if rv.scenario == "truths":
            out = []
            for fact in self.facts.values():
                note = fact.noticed_in(u.view, u.group) if fact.source == "truths" else None
                if note is not None:
                    out.append((fact.id, note))
            return out
        return [(f.id, f.text) for f in self.facts.values() if self.claims.get(f.id) == i]

    def _reveal(self, u: Understood, ctx: _Context, lines: list[Said]) -> list[str]:
        for i, rv in enumerate(self.persona.reveals):
            if u.move not in rv.moves or not self._holds(rv.when, ctx):
                continue
            left = [(f, t) for f, t in self._candidates(i, rv, u) if f not in self.revealed]
            if not left:
                continue
            fact_id, text = left[0]
            here = _Context(ctx.move, ctx.grounded, ctx.names_strategy,
                            {**ctx.bound, "fact": text})
            self._add(lines, self._line(rv.lines, here))
            self.revealed.append(fact_id)
            self.revealed_text[fact_id] = text
            return [fact_id]
        return []

    # ------------------------------------------------------------------ records

    def _commit(self, u: Understood, ctx: _Context, lines: list[Said],
                events: list[Event]) -> None:
        latest = next((s for s in reversed(self.adopted) if s not in self.dropped), None)
        for i, c in enumerate(self.persona.commits):
            if u.move not in c.moves or (c.once and i in self.committed):
                continue
            if not self._holds(c.when, ctx):
                continue
            here = _Context(ctx.move, ctx.grounded, ctx.names_strategy, dict(ctx.bound))
            if latest is not None:
                here.bound["strategy"] = self._name(latest)
            elif _says_strategy(c):
                continue
            fields = {k: self._fill(v, here) for k, v in c.fields.items()}
            record_id = self._record_id(c.record)
            payload = {"meeting": self.meeting, "record_id": record_id, "kind": c.record,
                       "fields": fields}
            events.append(self._event("record.added", payload))
            self.records.append(events[-1][1])
            self.committed.add(i)
            self._add(lines, self._line(c.lines, here))
            return

    def _record_id(self, kind: str) -> str:
        self._serial += 1
        return f"{kind}-solo-{self.meeting}-{self._serial}"

    @staticmethod
    def _event(kind: str, payload: dict[str, Any]) -> Event:
        return kind, validate_payload(kind, payload)

    # ------------------------------------------------------------------ conditions, lines

    def _holds(self, c: Condition | None, ctx: _Context) -> bool:
        if c is None:
            return True
        if c.moves and ctx.move not in c.moves:
            return False
        if c.grounded is not None and c.grounded != ctx.grounded:
            return False
        if c.names_strategy is not None and c.names_strategy != ctx.names_strategy:
            return False
        if any(self.dials[d] < v for d, v in c.at_least.items()):
            return False
        if any(self.dials[d] >= v for d, v in c.below.items()):
            return False
        if any(f not in self.revealed for f in c.revealed):
            return False
        if any(f in self.revealed for f in c.not_revealed):
            return False
        if c.noticed is not None and c.noticed != self.noticed:
            return False
        if any(m not in self.moves for m in c.after):
            return False
        if c.turn_at_least is not None and self.turn < c.turn_at_least:
            return False
        return c.turn_below is None or self.turn < c.turn_below

    @property
    def noticed(self) -> bool:
        """Whether some hidden truth's evidence has come out in the conversation."""
        return any(f.startswith("truth:") for f in self.revealed)

    def _line(self, group_id: str, ctx: _Context) -> Said | None:
        group = self.persona.group(group_id)
        eligible = [i for i, line in enumerate(group.lines)
                    if self._holds(line.when, ctx) and _fillable(line.text, ctx)]
        if not eligible:
            return None

        def specificity(i: int) -> int:
            when = group.lines[i].when
            return -1 if when is None else when.specificity

        top = max(specificity(i) for i in eligible)
        best = [i for i in eligible if specificity(i) == top]
        oldest = min(self.last_said.get((group_id, i), -1) for i in best)
        best = [i for i in best if self.last_said.get((group_id, i), -1) == oldest]
        pick = best[0] if len(best) == 1 else best[int(
            stream(self.seed, "counterpart", self.persona.id, self.turn, group_id)
            .integers(len(best)))]
        self.last_said[(group_id, pick)] = self.turn
        self.said_count[(group_id, pick)] = self.said_count.get((group_id, pick), 0) + 1
        return Said(group_id, pick, self._fill(group.lines[pick].text, ctx))

    @staticmethod
    def _add(lines: list[Said], said: Said | None) -> None:
        if said is not None:
            lines.append(said)

    def _fill(self, text: str, ctx: _Context) -> str:
        values = {**self._fixed_values, **ctx.bound}
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)),
                                " ".join(text.split()))

    def _fixed(self) -> dict[str, str]:
        sc = self.scenario
        other = "district" if self.persona.role == "state" else "state"
        priority = next((s for s in sc.schools if s.priority), sc.schools[0])
        favoured = next((s for f in self.persona.favours for s in selected(f.strategy, sc)),
                        None)
        return {
            "me": self.persona.name,
            "role": getattr(sc.roles, self.persona.role).title,
            "other": getattr(sc.roles, other).title,
            "district": sc.district.name,
            "school": priority.name,
            "agency": sc.state.short_name,
            "favoured": favoured.name if favoured else "what we already do",
            "due": default_due(sc.calendar, self.meeting),
        }

    def _name(self, strategy_id: str) -> str:
        return self.scenario.strategy(strategy_id).name

    # ------------------------------------------------------------------ the debrief's view

    def missed(self) -> list[dict[str, Any]]:
        """What the persona would have revealed to a better question: each fact not
        revealed, with the moves and dial levels that draw it out."""
        out: list[dict[str, Any]] = []
        for i, rv in enumerate(self.persona.reveals):
            for fact_id, text in self._all_facts(i, rv):
                if fact_id in self.revealed or any(m["fact"] == fact_id for m in out):
                    continue
                needs: dict[str, str] = {}
                if rv.when is not None:
                    needs |= {self.persona.dial(d).label: f"at least {v}"
                              for d, v in rv.when.at_least.items()}
                    needs |= {self.persona.dial(d).label: f"below {v}"
                              for d, v in rv.when.below.items()}
                out.append({"fact": fact_id, "text": text,
                            "moves": [MOVE_BY_ID[m].label for m in rv.moves],
                            "needs": needs})
        return out

    def _all_facts(self, i: int, rv: Reveal) -> list[tuple[str, str]]:
        if rv.scenario == "truths":
            return [(f.id, f.text) for f in self.facts.values() if f.source == "truths"]
        if rv.fact is not None:
            return self._candidates(i, rv, Understood("vague"))
        return [(f.id, f.text) for f in self.facts.values() if self.claims.get(f.id) == i]

    def turning_point(self, dial: str = "trust") -> Turn | None:
        """The turn that moved ``dial`` the most (either way): where it turned."""
        before = self.persona.dial(dial).start
        best: tuple[int, Turn] | None = None
        for t in self.history:
            change = abs(t.dials[dial] - before)
            if change and (best is None or change > best[0]):
                best = (change, t)
            before = t.dials[dial]
        return best[1] if best else None

    def standing_decisions(self) -> list[dict[str, Any]]:
        """The meeting's decisions as they stand (withdrawn ones gone), in the order made."""
        return list(self.decisions.values())

    def meeting_title(self) -> str:
        return short_title(next(m.title for m in self.scenario.calendar.meetings
                                if m.id == self.meeting))


def _options(u: Understood, strategy: Strategy) -> dict[str, Any]:
    """Whom a decision serves: the grades and subgroups the player named, where the
    strategy itself serves them (else its own)."""
    options: dict[str, Any] = {}
    grades = [g for g in u.grades if not strategy.serves.grades or g in strategy.serves.grades]
    if grades:
        options["grades"] = grades
    groups = [g for g in u.subgroups
              if not strategy.serves.subgroups or g in strategy.serves.subgroups]
    if groups:
        options["subgroups"] = groups
    return options


def _fillable(text: str, ctx: _Context) -> bool:
    return all(name in ctx.bound for name in PLACEHOLDER.findall(text) if name in BOUND_BY)


def _says_strategy(c: Commitment) -> bool:
    return any("{strategy}" in v for v in c.fields.values())


def play_all(persona: Persona, scenario: Scenario, said: Sequence[str], *, seed: int = 1,
             meeting: str | None = None) -> Conversation:
    """A whole conversation from the player's words."""
    conversation = Conversation(persona, scenario, seed=seed, meeting=meeting)
    for text in said:
        conversation.say(text)
    return conversation
