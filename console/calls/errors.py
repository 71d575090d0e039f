"""What an agent asks for on a call that cannot be done: the errors every area working on calls raises.

Views map them at the edge: NotYourCall → 403, the others → 422 with the message.
"""
from __future__ import annotations

from console.calls.rules import Refusal


class CallError(Exception):
    """Something the agent asked for that cannot be done; the message says why."""


class NotYourCall(CallError):
    pass


class NotDialable(CallError):
    """The lead may not be called now; the message says why."""


def refuse(refusal: str | None) -> None:
    """Raise the error for a calls.rules.Refusal (nothing when there is none)."""
    if refusal == Refusal.NOT_YOURS:
        raise NotYourCall(Refusal.MESSAGES[refusal])
    if refusal is not None:
        raise CallError(Refusal.MESSAGES[refusal])
