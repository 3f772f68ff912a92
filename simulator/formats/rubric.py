"""The rubric: the Performance Management Framework's elements, sub-elements and levels.

One home for what the debrief rates, the report prints, progress tracks and the
TUI colours. Standard library only, so any screen may import it before the engine.
"""

from __future__ import annotations

from typing import Literal, get_args

Level = Literal["Inadequate", "Emerging", "Strong", "Exemplary"]
LEVELS: tuple[Level, ...] = get_args(Level)
"""Rubric levels, lowest first."""
LEVEL_FLOORS: tuple[tuple[float, Level], ...] = (
    (0.85, "Exemplary"), (0.6, "Strong"), (0.35, "Emerging"))
"""The least weighted share of applicable points for each level above Inadequate."""

ELEMENTS: dict[str, str] = {
    "A": "Clarity of Outcomes and Theory of Action",
    "B": "Alignment of Resources",
    "C": "Collection and Use of Data",
    "D": "Accountability for Results",
}
"""Element letter → the element's name."""
SUB_ELEMENTS: dict[str, str] = {
    "A1": "Student-outcome targets",
    "A2": "Theory of action and strategies",
    "A3": "Plans that align strategies to goals",
    "B1": "Resources directed to priorities",
    "B2": "Clear leadership of the work",
    "C1": "Quality data on performance",
    "C2": "Quality data on implementation",
    "C3": "Data used to review progress and make mid-course corrections",
    "D1": "Internal accountability linked to results",
    "D2": "External accountability linked to results",
    "D3": "Stakeholders engaged on results",
}
"""Sub-element id → its name; the eleven the debrief rates."""
ROUTINES: dict[str, str] = {
    "followup": "Follow-up on each earlier commitment",
    "performance-focus": "Focus on performance against targets",
    "action-on-performance": "Action taken on what the data showed",
}
"""Routine-quality id → name: how well the meeting itself ran."""
ROUTINE_ELEMENT = "Routine quality"

RubricElement = Literal[
    "A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3",
    "followup", "performance-focus", "action-on-performance",
]
"""What a look-for rates: a sub-element or a routine quality."""


def element_of(sub_element: str) -> str:
    """The element's name of a sub-element ("A1" → "Clarity of Outcomes …"), or the
    routine-quality heading."""
    return ELEMENTS.get(sub_element[:1], "") if sub_element in SUB_ELEMENTS else (
        ROUTINE_ELEMENT if sub_element in ROUTINES else "")


def level_for(points: float, max_points: float) -> Level:
    """The level of a weighted share of points (no applicable points: Inadequate)."""
    share = points / max_points if max_points > 0 else 0.0
    for floor, level in LEVEL_FLOORS:
        if share >= floor - 1e-9:
            return level
    return LEVELS[0]


def level_rank(level: str | None) -> int:
    """1 (Inadequate) to 4 (Exemplary); 0 for no level."""
    return LEVELS.index(level) + 1 if level in LEVELS else 0
