"""The performance-management routine: record kinds and decision actions."""

from __future__ import annotations

from typing import Literal, get_args

RecordKind = Literal[
    "target",
    "finding",
    "diagnosis",
    "theory",
    "decision",
    "action",
    "consequence",
    "stakeholder",
    "followup",
    "note",
]
RECORD_KINDS: tuple[RecordKind, ...] = get_args(RecordKind)
DecisionAction = Literal["adopt", "continue", "adjust", "stop"]
DECISION_ACTIONS: tuple[DecisionAction, ...] = get_args(DecisionAction)
