"""Review states and the transitions allowed between them (pure)."""

from __future__ import annotations

from enum import StrEnum

from .errors import WorkflowError


class State(StrEnum):
    DRAFT = "draft"
    NEEDS_WORK = "needs-work"
    APPROVED = "approved"
    STALE = "stale"  # the English changed after approval: the old approved text waits for a check


def after_edit(state: State) -> State:
    """Any edit, also of an approved text, sends the segment back to draft."""
    return State.DRAFT


def approve(state: State, critical: list[str], where: str) -> State:
    if critical:
        raise WorkflowError(f"{where}: cannot approve with critical QA findings: " + "; ".join(critical)
                            + ". Edit the text first (tilmech review edit)")
    return State.APPROVED


def send_back(state: State) -> State:
    return State.NEEDS_WORK


def parse_state(text: str) -> State:
    try:
        return State(text)
    except ValueError:
        from .errors import UsageError

        raise UsageError(f"unknown state {text!r}: use one of {', '.join(s.value for s in State)}") from None


__all__ = ["State", "WorkflowError", "after_edit", "approve", "parse_state", "send_back"]
