"""The phone line a call is on, as the calls area sees it: a port that telephony fills when the app is built.

Telephony sits above calls (docs/architecture.md), so calls never imports it. Yet a disposition must end
a live phone call before it closes the call, and the top bar must say whether the agent is dialling, on
the line or wrapping up. Calls asks through this port; `console.create_app` registers telephony's
implementation (`console.telephony.services.TelephonyLine`). Without one (calls used on its own), no call
has a line: nothing to end, nothing dialled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class LinePhase:
    NONE = "none"  # never dialled on this call
    DIALLING = "dialling"  # placed, not answered yet
    CONNECTED = "connected"  # the lead is on the line
    ENDED = "ended"  # dialled, and the line is down again


@dataclass(frozen=True)
class LineState:
    """Where the call's latest phone call stands, and since when (the moment its clock counts from)."""

    phase: str
    since: datetime | None = None


class Line(Protocol):
    def state(self, call_id: int) -> LineState:
        """The call's line now (the latest phone call placed on it)."""

    def end_for_disposition(self, call, agent) -> None:
        """Hang up the call's live phone call, if any, before its disposition is recorded.

        Owns its transactions (telephony's commit rule: what it will do, then the carrier's answer).
        Raises a CallError saying what to do when the carrier refuses: the disposition is then not saved.
        """


class _NoLine:
    def state(self, call_id: int) -> LineState:
        return LineState(LinePhase.NONE)

    def end_for_disposition(self, call, agent) -> None:
        return None


_line: Line = _NoLine()


def register(line: Line) -> None:
    """Called once by create_app with telephony's line (code wiring, the same in every process)."""
    global _line
    _line = line


def current() -> Line:
    return _line
