"""Read-only figures for marketing: what each campaign's calls produced."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from console.calls.models import Call, CallStatus
from console.calls.rules import BY_CODE, DISPOSITIONS
from console.campaigns.models import Campaign
from console.extensions import db
from console.handoffs.models import Handoff, Outcome, SlaBreach
from console.handoffs.sla import Clock
from console.leads.models import Lead


@dataclass
class CampaignOutcome:
    campaign: Campaign
    leads: int = 0
    calls: int = 0
    conversations: int = 0
    handoffs: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    won_cents: int = 0
    # SLA clocks that ran out (console/handoffs/sla.py), by clock in Clock.ALL's order: (label, side, count).
    breaches: list[tuple[str, str, int]] = field(default_factory=list)
    by_disposition: list[tuple[str, str, int]] = field(default_factory=list)  # (code, label, count)

    @property
    def max_disposition_count(self) -> int:
        return max((count for _, _, count in self.by_disposition), default=0)


def campaign_outcomes(campaign: Campaign) -> CampaignOutcome:
    outcome = CampaignOutcome(campaign=campaign)
    outcome.leads = db.session.scalar(select(func.count(Lead.id)).where(Lead.campaign_id == campaign.id))
    counts = dict(
        db.session.execute(
            select(Call.disposition, func.count(Call.id))
            .where(Call.campaign_id == campaign.id, Call.status == CallStatus.COMPLETED)
            .group_by(Call.disposition)
        ).all()
    )
    outcome.by_disposition = [(d.code, d.label, counts.get(d.code, 0)) for d in DISPOSITIONS]
    outcome.calls = sum(counts.values())
    outcome.conversations = sum(n for code, n in counts.items() if code in BY_CODE and BY_CODE[code].counts_as_conversation)
    statuses = dict(
        db.session.execute(
            select(Handoff.status, func.count(Handoff.id)).where(Handoff.campaign_id == campaign.id).group_by(Handoff.status)
        ).all()
    )
    outcome.handoffs = sum(statuses.values())
    outcome.accepted = statuses.get("accepted", 0)
    outcome.rejected = statuses.get("rejected", 0)
    outcome.won, outcome.won_cents = db.session.execute(
        select(func.count(Handoff.id), func.coalesce(func.sum(Handoff.won_cents), 0))
        .where(Handoff.campaign_id == campaign.id, Handoff.outcome == Outcome.WON)).one()
    missed = dict(db.session.execute(select(SlaBreach.clock, func.count(SlaBreach.id))
                                     .where(SlaBreach.campaign_id == campaign.id).group_by(SlaBreach.clock)).all())
    outcome.breaches = [(Clock.LABELS[clock], Clock.SIDES[clock], missed.get(clock, 0)) for clock in Clock.ALL]
    return outcome


def all_campaign_outcomes() -> list[CampaignOutcome]:
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.priority.desc(), Campaign.name)).all()
    return [campaign_outcomes(campaign) for campaign in campaigns]
