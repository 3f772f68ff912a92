"""The State's self-assessment: each participant rates their own State's routines.

The seed workshop ends with each State naming steps to improve its own
performance-management routines. After the final debrief a participant rates
their State on the same eleven sub-elements the debrief rated their practice on,
each with a sentence of evidence; :func:`assess` sets those ratings beside what
they practised (the session's debrief, when there is one) and beside the rubric's
top level, and drafts the take-home exercise in the seed's three parts — data,
routine, consequences — from the largest gaps and lowest self-ratings.

Every word of a draft comes from data: the sub-elements' names (the rubric), the
look-fors' descriptions and the agenda steps they point to (the routine), the
scenario's take-home questions; this module holds only the sentence templates.
Same answers and the same debrief give the same bytes. No Textual here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError

from simulator.debrief.models import Document, Rating
from simulator.formats.lookfors import LookFor, default_lookfors
from simulator.formats.routine import STEPS, Step, step_of
from simulator.formats.rubric import ELEMENTS, LEVELS, SUB_ELEMENTS, Level, level_rank
from simulator.formats.scenario import TakeHome as TakeHomeSettings
from simulator.formats.scenario import TakeHomePrompt
from simulator.formats.strict import Loc, Strict, load_model, validation_problems
from simulator.formats.yamlsafe import FileProblems, Loaded, Problem, read_or_problem

if TYPE_CHECKING:
    from simulator.formats.scenario import Scenario
    from simulator.session.state import SessionState

SELFASSESS_VERSION: Literal[1] = 1
EVIDENCE_MAX = 300
"""The longest sentence of evidence, in characters: one sentence, not an essay."""
STATE_MAX = 80
"""The longest State name."""
LOOKFORS_PER_PART = 2
"""How many look-fors a drafted part names."""
MOCK_EVIDENCE_MAX = 140
"""The longest piece of the debrief's evidence quoted "from the mock"."""
FROM_MOCK_MAX = 3
"""How many sub-elements "from the mock" names: the widest gaps (the seed asks for two or
three next steps)."""

Evidence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=EVIDENCE_MAX)]
StateName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=STATE_MAX)]
Part = Literal["data", "routine", "consequences"]

PARTS: tuple[tuple[Part, str, str], ...] = (
    ("data", "Data", "C"),
    ("routine", "Routine", "AB"),
    ("consequences", "Consequences", "D"),
)
"""The take-home exercise's parts: id, the heading of the scenario's question it answers,
and the elements (letters) whose sub-elements it draws on."""

TEMPLATES: dict[Part, str] = {
    "data": "{name} ({id}) — your State: {self}{mock}. Data that would show it: {lookfors}",
    "routine": "Change the “{step}” step of your routine, for {name} ({id}) — your State: "
               "{self}{mock}. {intro} Look for: {lookfors}",
    "consequences": "{name} ({id}) — your State: {self}{mock}. Make it stronger: {lookfors} "
                    "Agree what follows when it is not done, and who checks.",
}
"""The sentence each part's draft is filled into."""
ALL_EXEMPLARY = ("Your State rates itself Exemplary on {names}{mock}: keep the routine, and "
                 "bring the data that shows it.")
NOT_RATED = "Rate {names} to draft this part."

CHECK_STEPS = {"view": "performance", "targets_reviewed": "performance",
               "decision": "decisions", "resources": "decisions",
               "course_correction": "decisions", "followed_up": "followup"}
"""The agenda step each non-record check looks at (a record check: its record's step)."""


# --------------------------------------------------------------------------- answers


class SelfRating(Strict):
    """One sub-element as a participant rates their own State."""

    level: Level
    """Inadequate, Emerging, Strong or Exemplary."""
    evidence: Evidence
    """One sentence: what your State does (or does not do) that earns the level."""


class Answers(Strict):
    """A participant's self-assessment of their own State (``pmsim self-assess --answers``)."""

    selfassess_version: Literal[1] = SELFASSESS_VERSION
    """Version of this file format."""
    state: StateName = ""
    """Your State's name (optional)."""
    participant: StateName = ""
    """Your name (optional)."""
    ratings: dict[str, SelfRating] = Field(default_factory=dict)
    """Per sub-element id (A1 … D3), your State's level and a sentence of evidence (a file
    rates at least one)."""


class AnswersError(FileProblems):
    """An answers file that cannot be used, with every problem found in it."""


def parse_level(text: str) -> Level | None:
    """A level as typed at a prompt: 1–4, or the word or an unambiguous start of it
    ("str", "ex"), in any case; None for anything else."""
    text = text.strip().lower()
    if text in ("1", "2", "3", "4"):
        return LEVELS[int(text) - 1]
    matches = [lv for lv in LEVELS if text and lv.lower().startswith(text)]
    return matches[0] if len(matches) == 1 else None


def sub_element_problem(key: str) -> str | None:
    """Why ``key`` is not a sub-element id, with the closest one; None when it is one."""
    if key in SUB_ELEMENTS:
        return None
    by_name = {name.lower(): sid for sid, name in SUB_ELEMENTS.items()}
    close = ([key.upper()] if key.upper() in SUB_ELEMENTS else
             [by_name[key.strip().lower()]] if key.strip().lower() in by_name else
             difflib.get_close_matches(key, list(SUB_ELEMENTS), n=1, cutoff=0.5))
    hint = (f"; did you mean '{close[0]}' ({SUB_ELEMENTS[close[0]]})?" if close
            else f" (the eleven are {', '.join(SUB_ELEMENTS)})")
    return f"unknown sub-element '{key}'{hint}"


def _part_problems(loaded: Loaded) -> list[Problem]:
    """Every problem at once: sub-element ids no rubric has, and what the model refuses."""
    data = loaded.data
    ratings = data.get("ratings") if isinstance(data, dict) else None
    problems = [Problem(*loaded.locate(("ratings", key, "<key>")), problem)
                for key in (ratings if isinstance(ratings, dict) else {})
                if (problem := sub_element_problem(str(key))) is not None]
    if isinstance(data, dict) and ratings in (None, {}):
        where = ("ratings",) if "ratings" in data else ()
        problems.append(Problem(*loaded.locate(where), "rate at least one sub-element under "
                                f"'ratings' (the eleven are {', '.join(SUB_ELEMENTS)})"))
    try:
        Answers.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc, loaded, Answers, _hint)
    return sorted(problems, key=lambda p: (p.line, p.col))


def _hint(data: object, loc: Loc) -> str | None:
    """A level written in another case or misspelt, an empty or long sentence: in words."""
    if not (len(loc) == 3 and loc[0] == "ratings" and loc[2] in ("level", "evidence")):
        return None
    rating = data.get("ratings", {}).get(loc[1]) if isinstance(data, dict) else None
    value = rating.get(loc[2]) if isinstance(rating, dict) else None
    where = f"ratings.{loc[1]}.{loc[2]}"
    if loc[2] == "evidence":
        if not isinstance(value, str):
            return f"{where}: write one sentence of evidence, as text"
        if not value.strip():
            return f"{where}: write one sentence of evidence (what your State does now)"
        if len(value.strip()) > EVIDENCE_MAX:
            return (f"{where}: {len(value.strip())} characters; one sentence of at most "
                    f"{EVIDENCE_MAX}")
        return None
    if not isinstance(value, str) or not value.strip():
        return f"{where}: give one of {', '.join(LEVELS)}"
    close = difflib.get_close_matches(value.strip().title(), LEVELS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (one of {', '.join(LEVELS)})"
    return f"{where}: '{value}' is not a level{hint}"


def parse_answers(raw: bytes, name: str = "<answers>") -> Answers:
    """Validate an answers file's bytes (YAML or JSON); AnswersError with every problem at
    its line and column."""
    return load_model(raw, name, Answers, error=AnswersError, parts=_part_problems,
                      mapping_of="(state, ratings)", what="a self-assessment")


def load_answers(path: Any) -> Answers:
    """An answers file read (size-limited) and validated; AnswersError when it can't be."""
    return parse_answers(read_or_problem(path, AnswersError, "a self-assessment"), str(path))


def saved_state_name(rated: Mapping[str, Mapping[str, Any]]) -> str:
    """The State's name as last saved (a save writes it with every row it changes)."""
    latest = max(rated.values(), key=lambda p: p.get("seq", 0), default=None)
    return str(latest.get("state", "")) if latest else ""


def answers_from_events(rated: Mapping[str, Mapping[str, Any]]) -> Answers | None:
    """One role's ``selfassess.rated`` payloads folded (sub-element → payload, each with
    its ``seq``) as answers; None before the first."""
    if not rated:
        return None
    ordered = sorted(rated.items(), key=lambda kv: list(SUB_ELEMENTS).index(kv[0]))
    return Answers(state=saved_state_name(rated), ratings={
        sid: SelfRating(level=p["level"], evidence=p["evidence"]) for sid, p in ordered})


def template(state: str = "") -> str:
    """A fill-in answers file: every sub-element, its element and what the debrief looks for
    there, a level and a sentence to write. Filled in, it is a valid ``--answers`` file."""
    lines = [
        "# The State self-assessment (pmsim self-assess --answers FILE).",
        "# For each sub-element, rate your own State's routines today:",
        f"#   level: one of {', '.join(LEVELS)}",
        f"#   evidence: one sentence (at most {EVIDENCE_MAX} characters) of what your State "
        "does now",
        "# Leave out a sub-element you cannot rate yet; unknown ids are refused.",
        f"selfassess_version: {SELFASSESS_VERSION}",
        f"state: {_yaml_text(state)}  # your State's name (optional)",
        "participant: \"\"  # your name (optional)",
        "ratings:",
    ]
    letter = ""
    by_element = _lookfors_by_element(default_lookfors())
    for sid, name in SUB_ELEMENTS.items():
        if sid[0] != letter:
            letter = sid[0]
            lines.append(f"  # {letter}. {ELEMENTS[letter]}")
        lines.append(f"  {sid}:  # {name}")
        for lf in by_element.get(sid, [])[:LOOKFORS_PER_PART]:
            lines.append(f"    #   the debrief looks for: {' '.join(lf.description.split())}")
        lines.append("    level: ")
        lines.append("    evidence: \"\"")
    return "\n".join(lines) + "\n"


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- the document


class GapRow(Document):
    """One sub-element: the State's self-rating beside what was practised."""

    id: str
    """The sub-element, ``A1`` … ``D3``."""
    element: str
    """Its element's name."""
    name: str
    """Its name."""
    level: Level | None
    """The participant's rating of their own State; None when not rated."""
    evidence: str
    """Their sentence of evidence ("" when not rated)."""
    practised: Level | None
    """The level the session's debrief gave their practice; None without a session."""
    gap: int | None
    """Practised minus self-rated, in rubric levels (positive: practised above what the
    State does); None when either is missing."""
    to_exemplary: int | None
    """Levels between the self-rating and Exemplary (the rubric's top)."""
    priority: int | None
    """How much this sub-element asks for a next step: levels to Exemplary plus a positive
    gap; the take-home drafts from the highest."""
    reading: str
    """The comparison in a sentence."""


class TakeHomePart(Document):
    """One part of the drafted take-home exercise."""

    part: Part
    """data, routine or consequences."""
    heading: str
    """The part's heading, e.g. "Data"."""
    question: str
    """The scenario's take-home question this part answers."""
    focus: str | None
    """The sub-element drafted from (None when none of the part's is rated)."""
    step: str | None
    """The agenda step whose look-fors this focus is scored at (routine part)."""
    lookfors: list[str]
    """The look-fors the draft names (missed in practice first)."""
    draft: str
    """The drafted next step, for the participant to rewrite in their own words."""


class SelfAssessment(Document):
    """The self-assessment handout: self-ratings, practice, gaps, the drafted take-home."""

    selfassess_version: Literal[1]
    """Version of this document."""
    state: str
    """The State assessed ("" when not named)."""
    participant: str
    """Who assessed it ("" when not given)."""
    session: str | None
    """The session practised, when one was given."""
    scenario_title: str | None
    """The scenario practised on, when a session was given."""
    levels: list[Level]
    """The rubric's levels, lowest first."""
    rated: int
    """How many of the eleven sub-elements are rated."""
    elements: list[GapRow]
    """One per sub-element of the Performance Management Framework (A1 … D3), in rubric
    order."""
    from_mock: list[str]
    """Where the practice went furthest beyond the State's own routine (at most three,
    widest gap first): what to try at home."""
    intro: str
    """What the take-home asks for, in a sentence (the scenario's)."""
    next_steps: list[TakeHomePart]
    """The take-home exercise drafted from the gaps: data, routine, consequences."""


def assess(
    answers: Answers,
    practised: Sequence[Rating] | None = None,
    *,
    lookfors: Iterable[LookFor] | None = None,
    take_home: TakeHomeSettings | None = None,
    session: str | None = None,
    scenario_title: str | None = None,
) -> SelfAssessment:
    """The self-assessment of ``answers``, beside the debrief's ``practised`` ratings of a
    session when given; ``lookfors`` the scenario's (default: the shipped ones),
    ``take_home`` its take-home settings (default: the seed's questions)."""
    rated = {k: v for k, v in answers.ratings.items() if k in SUB_ELEMENTS}
    done = {r.id: r for r in practised or () if r.id in SUB_ELEMENTS}
    rows = [_row(sid, rated.get(sid), done.get(sid)) for sid in SUB_ELEMENTS]
    settings = take_home or TakeHomeSettings()
    by_element = _lookfors_by_element(lookfors if lookfors is not None else default_lookfors())
    parts = [_part(part, heading, letters, rows, done, by_element, settings.prompts)
             for part, heading, letters in PARTS]
    return SelfAssessment(
        selfassess_version=SELFASSESS_VERSION, state=answers.state,
        participant=answers.participant, session=session, scenario_title=scenario_title,
        levels=list(LEVELS), rated=len(rated), elements=rows,
        from_mock=[_from_mock(row, done[row.id]) for row in sorted(
            (r for r in rows if r.gap is not None and r.gap > 0),
            key=lambda r: -(r.gap or 0))[:FROM_MOCK_MAX]],
        intro=" ".join(settings.intro.split()), next_steps=parts)


def _row(sid: str, mine: SelfRating | None, done: Rating | None) -> GapRow:
    own = level_rank(mine.level) if mine else 0
    practised = level_rank(done.level) if done else 0
    gap = practised - own if own and practised else None
    to_top = len(LEVELS) - own if own else None
    priority = None if to_top is None else to_top + max(gap or 0, 0)
    if mine is None:
        reading = "Not rated yet."
    elif gap is None:
        reading = _levels_to_top(to_top or 0)
    elif gap > 0:
        reading = (f"You practised it {_levels(gap)} above your State's own routine: try "
                   "at home what you did in the mock.")
    elif gap < 0:
        reading = (f"Your State rates itself {_levels(-gap)} above what you practised: "
                   "check the evidence against what the debrief looks for.")
    else:
        reading = f"As you practised it. {_levels_to_top(to_top or 0)}"
    return GapRow(id=sid, element=ELEMENTS[sid[0]], name=SUB_ELEMENTS[sid],
                  level=mine.level if mine else None, evidence=mine.evidence if mine else "",
                  practised=done.level if done else None, gap=gap, to_exemplary=to_top,
                  priority=priority, reading=reading)


def _levels(n: int) -> str:
    return f"{n} level{'s' if n != 1 else ''}"


def _levels_to_top(n: int) -> str:
    return "At the rubric's top level." if n == 0 else f"{_levels(n)} below Exemplary."


def _from_mock(row: GapRow, done: Rating) -> str:
    """What was practised there, short: the first look-for met, in the look-fors' words
    (the debrief's own evidence, shortened, when the rating lists none)."""
    met = next((lf.description for lf in done.lookfors if lf.status == "met"), None)
    if met is None and done.evidence:
        first = " ".join(done.evidence[0].split())
        met = first if len(first) <= MOCK_EVIDENCE_MAX else (
            first[:MOCK_EVIDENCE_MAX - 1].rstrip() + "…")
    what = f" What you did: {' '.join(met.split())}" if met else ""
    return (f"{row.name} ({row.id}): you practised {done.level} in the mock; your State "
            f"rates itself {row.level}.{what}")


def _lookfors_by_element(lookfors: Iterable[LookFor]) -> dict[str, list[LookFor]]:
    out: dict[str, list[LookFor]] = {}
    for lf in lookfors:
        out.setdefault(lf.element, []).append(lf)
    return out


def _focus(rows: list[GapRow], letters: str) -> GapRow | None:
    """The part's sub-element most in need: highest priority, then the widest gap either
    way, then rubric order."""
    candidates = [r for r in rows if r.id[0] in letters and r.priority is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (-(r.priority or 0), -abs(r.gap or 0),
                                          list(SUB_ELEMENTS).index(r.id)))


def _chosen_lookfors(sid: str, by_element: dict[str, list[LookFor]],
                     done: Rating | None) -> list[LookFor]:
    """The sub-element's look-fors to name: missed in practice first, then met, then the
    rest; heavier first; file order last."""
    status = {x.id: x.status for x in done.lookfors} if done else {}
    order = {"missed": 0, "met": 1}
    ranked = sorted(enumerate(by_element.get(sid, [])),
                    key=lambda il: (order.get(status.get(il[1].id, ""), 2), -il[1].weight,
                                    il[0]))
    return [lf for _, lf in ranked[:LOOKFORS_PER_PART]]


def step_for(lookfors: Sequence[LookFor]) -> Step | None:
    """The agenda step where a sub-element is won or lost: the step whose records its
    look-fors check (by weight; ties: agenda order), else the step its other checks look
    at (a view opened, a decision taken)."""
    written: dict[str, float] = {}
    looked: dict[str, float] = {}
    for lf in lookfors:
        when = lf.when
        if when.check == "record":
            fixed = {k: v[0] for k, v in when.where.items() if v}
            steps, votes = [step_of(kind, fixed) for kind in when.kind], written
        else:
            steps, votes = [CHECK_STEPS[when.check]], looked
        for s in steps:
            votes[s] = votes.get(s, 0.0) + lf.weight / len(steps)
    votes = written or looked
    if not votes:
        return None
    order = [s.id for s in STEPS]
    best = min(votes, key=lambda s: (-votes[s], order.index(s)))
    return next(s for s in STEPS if s.id == best)


def _question(prompts: Sequence[TakeHomePrompt], heading: str) -> str:
    prompt = next((p for p in prompts if p.heading.strip().lower() == heading.lower()), None)
    return " ".join(prompt.question.split()) if prompt else ""


def _part(part: Part, heading: str, letters: str, rows: list[GapRow],
          done: dict[str, Rating], by_element: dict[str, list[LookFor]],
          prompts: Sequence[TakeHomePrompt]) -> TakeHomePart:
    names = _names([sid for sid in SUB_ELEMENTS if sid[0] in letters])
    focus = _focus(rows, letters)
    question = _question(prompts, heading)
    if focus is None:
        return TakeHomePart(part=part, heading=heading, question=question, focus=None,
                            step=None, lookfors=[], draft=NOT_RATED.format(names=names))
    practised = done.get(focus.id)
    mock = f"; in the mock: {practised.level}" if practised else ""
    step = step_for(by_element.get(focus.id, []))
    if focus.priority == 0:
        return TakeHomePart(part=part, heading=heading, question=question, focus=focus.id,
                            step=step.title if step else None, lookfors=[],
                            draft=ALL_EXEMPLARY.format(names=names, mock=mock))
    chosen = _chosen_lookfors(focus.id, by_element, practised)
    described = " ".join(" ".join(lf.description.split()) for lf in chosen)
    draft = TEMPLATES[part].format(
        name=focus.name, id=focus.id, self=focus.level, mock=mock,
        lookfors=described or "what the debrief looks for there.",
        step=step.title if step else "", intro=step.intro if step else "")
    return TakeHomePart(part=part, heading=heading, question=question, focus=focus.id,
                        step=step.title if step else None,
                        lookfors=[" ".join(lf.description.split()) for lf in chosen],
                        draft=" ".join(draft.split()))


def _names(ids: Sequence[str]) -> str:
    named = [f"{SUB_ELEMENTS[i]} ({i})" for i in ids]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


# --------------------------------------------------------------------------- from a session


def practised_in(scenario: Scenario, state: SessionState) -> list[Rating]:
    """The final debrief's ratings of a session: what its participants practised."""
    from simulator.debrief.scoring import score

    return score(scenario, state).elements


def assess_session(scenario: Scenario, state: SessionState, answers: Answers,
                   practised: Sequence[Rating] | None = None) -> SelfAssessment:
    """``answers`` beside a session's practice (``practised``: its ratings, when the caller
    has them), with the scenario's look-fors and take-home questions."""
    from simulator.formats.lookfors import lookfors_for

    return assess(answers, practised if practised is not None else practised_in(scenario, state),
                  lookfors=lookfors_for(scenario.debrief), take_home=scenario.take_home,
                  session=state.session_id, scenario_title=scenario.title)
