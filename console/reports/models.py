"""The indexes the reports read by, declared on the tables they belong to (created by migration 0018).

Each report statement reads one campaign's (or every campaign's) rows of a range of time:
- calls by campaign and start, with the status and disposition in the index, so a campaign's dials, connects,
  conversations and qualified calls over a range are counted from the index alone (the line's answer is read
  by its own index, ix_phone_calls_call_id, only for the dispositions that do not say);
- calls by start, for the agent view and the side-by-side report over every campaign;
- hand-offs by campaign and creation, and by creation, for the hand-off figures (each breach is found by
  uq_sla_breaches_handoff_clock, each touch by ix_touches_lead_id).
"""
from sqlalchemy import Index

from console.calls.models import Call
from console.handoffs.models import Handoff

CALLS_BY_CAMPAIGN_AND_START = Index("ix_calls_campaign_started", Call.campaign_id, Call.started_at, Call.status,
                                    Call.disposition)
CALLS_BY_START = Index("ix_calls_started", Call.started_at)
HANDOFFS_BY_CAMPAIGN_AND_CREATION = Index("ix_handoffs_campaign_created", Handoff.campaign_id, Handoff.created_at)
HANDOFFS_BY_CREATION = Index("ix_handoffs_created", Handoff.created_at)
