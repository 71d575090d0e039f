"""The open leads as scoring sees them: a port the calls area fills when the app is built.

Scoring sits above the lead and the call (docs/architecture.md), so it never imports them. Yet a proposal's
impact and the rescoring after an activation read every open lead's answers (the calls area's records) and
touches, and store new scores through the lead's one writer (console.leads.services). Scoring asks through
this port; `console.create_app` registers the calls area's implementation
(`console.calls.open_leads.OpenLeadsOfCalls`). Without one (scoring used on its own) there are no open leads.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class LeadScope:
    """Which leads a definition scores: one campaign's, or (campaign_id None) every campaign's except those
    with a definition of their own (the campaign's wins)."""

    campaign_id: int | None = None
    except_campaigns: tuple[int, ...] = ()


class TouchFact(NamedTuple):
    kind: str
    occurred_at: datetime


@dataclass
class OpenLead:
    """What scoring needs of one open lead (not handed over, not disqualified)."""

    id: int
    campaign_id: int
    row_version: int  # Lead.version: a rescore is stored only on a lead still at it
    score: int | None
    band: str | None
    model_version: int | None
    source: str | None = None  # where marketing got the lead (a SOURCE criterion scores it)
    queue_rank: int | None = None  # its place in the queue as read (a rescoring writes leads in this order)
    answers: dict[str, str] = field(default_factory=dict)
    touches: list[TouchFact] = field(default_factory=list)


class Rescored(NamedTuple):
    id: int
    row_version: int
    old_score: int | None
    score: int | None
    band: str | None


class OpenLeads(Protocol):
    def read(self, scope: LeadScope, after_id: int, limit: int, *, not_at_model: int | None = None) -> list[OpenLead]:
        """Up to `limit` open leads of the scope after `after_id`, in id order, with their answers and touches;
        only those whose score is not from `not_at_model` when it is given."""

    def names(self, lead_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Each lead's name and company."""

    def count(self, scope: LeadScope) -> int:
        """How many open leads the scope has."""

    def band_counts(self, scope: LeadScope) -> dict[str | None, int]:
        """The scope's open leads by their stored band (None: unscored)."""

    def store(self, rescored: Sequence[Rescored], model_version: int) -> int:
        """Store new scores with the version of the model that made them, each only on a lead still at the
        row version it was read at; returns how many were stored. Joins the caller's transaction."""


class _NoLeads:
    def read(self, scope, after_id, limit, *, not_at_model=None):
        return []

    def names(self, lead_ids):
        return {}

    def count(self, scope):
        return 0

    def band_counts(self, scope):
        return {}

    def store(self, rescored, model_version):
        return 0


_open_leads: OpenLeads = _NoLeads()


def register(open_leads: OpenLeads) -> None:
    """Called once by create_app with the calls area's open leads (code wiring, the same in every process)."""
    global _open_leads
    _open_leads = open_leads


def current() -> OpenLeads:
    return _open_leads
