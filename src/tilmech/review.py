"""Review states and the transitions allowed between them (pure).

Every change of a translation's state goes through :func:`transition`, which looks the
(state, action) pair up in :data:`TRANSITIONS`; a pair that is not there is refused with a
:class:`WorkflowError` naming both. ``None`` stands for "no translation yet": only the
actions that create one start from it.

=============  ======================================================================
action         what it does
=============  ======================================================================
translate      a first draft of a new sentence (an engine, the memory, an approved twin)
carry over     the English sentence changed after its translation was approved: the
               approved text is kept, to be checked (``stale``)
edit           a person replaces the text: back to ``draft``, whatever the state
approve        a reviewer accepts the text (also a ``stale`` one they checked unchanged)
send back      a reviewer asks for more work (also on an approved text: it is reopened)
redraft        a new model drafts again an unapproved machine draft nobody edited
=============  ======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from .errors import WorkflowError


class State(StrEnum):
    DRAFT = "draft"
    NEEDS_WORK = "needs-work"
    APPROVED = "approved"
    STALE = "stale"  # the English changed after approval: the old approved text waits for a check


class Action(StrEnum):
    """What changes a translation's state; the value is the action recorded in its history."""

    TRANSLATE = "translate"
    CARRY_OVER = "carry-over"
    EDIT = "edit"
    APPROVE = "approve"
    SEND_BACK = "send-back"
    REDRAFT = "redraft"

    @property
    def verb(self) -> str:
        return self.value.replace("-", " ")


_D, _N, _A, _S = State.DRAFT, State.NEEDS_WORK, State.APPROVED, State.STALE

#: (state before, action) -> state after; a pair not listed is not allowed.
TRANSITIONS: Mapping[tuple[State | None, Action], State] = MappingProxyType({
    (None, Action.TRANSLATE): _D,
    (None, Action.CARRY_OVER): _S,
    **{(state, Action.EDIT): _D for state in State},  # an edit, also of an approved text, makes a draft
    (_D, Action.APPROVE): _A,
    (_N, Action.APPROVE): _A,
    (_S, Action.APPROVE): _A,  # checked against the new English and found still right
    (_D, Action.SEND_BACK): _N,
    (_N, Action.SEND_BACK): _N,  # another reviewer's note
    (_A, Action.SEND_BACK): _N,  # an editor reopens an approved text
    (_S, Action.SEND_BACK): _N,
    (_D, Action.REDRAFT): _D,
    (_N, Action.REDRAFT): _D,
})

_WHY_NOT: Mapping[tuple[State | None, Action], str] = MappingProxyType({
    (_A, Action.APPROVE): "it is approved already",
    (_A, Action.REDRAFT): "it is approved: a new model never replaces an approved text",
    (_S, Action.REDRAFT): "it is stale: the approved text of the old English waits for a reviewer's check",
})


def transition(state: State | None, action: Action, where: str = "the translation") -> State:
    """The state after ``action`` from ``state``; a :class:`WorkflowError` naming both when not allowed."""
    after = TRANSITIONS.get((state, action))
    if after is not None:
        return after
    if (state, action) in _WHY_NOT:
        why = _WHY_NOT[(state, action)]
    elif state is None:
        why = "it has no translation yet: run `tilmech translate` first"
    elif action in (Action.TRANSLATE, Action.CARRY_OVER):
        why = f"it has a translation already ({state})"
    else:
        why = f"it is {state}"
    raise WorkflowError(f"{where}: cannot {action.verb}: {why}")


def allows(state: State | None, action: Action) -> bool:
    return (state, action) in TRANSITIONS


def states_allowing(action: Action) -> tuple[State, ...]:
    """The states ``action`` may start from, in the order of :class:`State`."""
    return tuple(state for state in State if allows(state, action))


def approve(state: State, critical: list[str], where: str) -> State:
    """Approve, refused while a critical QA finding remains."""
    after = transition(state, Action.APPROVE, where)
    if critical:
        raise WorkflowError(f"{where}: cannot approve with critical QA findings: " + "; ".join(critical)
                            + ". Edit the text first (tilmech review edit)")
    return after


def parse_state(text: str) -> State:
    try:
        return State(text)
    except ValueError:
        from .errors import UsageError

        raise UsageError(f"unknown state {text!r}: use one of {', '.join(s.value for s in State)}") from None


__all__ = ["TRANSITIONS", "Action", "State", "WorkflowError", "allows", "approve", "parse_state", "states_allowing",
           "transition"]
