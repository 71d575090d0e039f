"""The open leads as the lead definition sees them (the port console/scoring/open_leads.py defines): each lead's
answers (this area's records) and touches, read in batches along the primary key, and new scores stored
through the lead's one writer (console.leads.services.store_scores)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select

from console.calls.models import QualificationAnswer
from console.extensions import db
from console.leads import services as leads
from console.leads.models import Account, Lead, Touch
from console.leads.rules import Stage
from console.scoring.open_leads import LeadScope, OpenLead, Rescored, TouchFact


def _in_scope(query, scope: LeadScope):
    query = query.where(Lead.stage.in_(Stage.OPEN))
    if scope.campaign_id is not None:
        return query.where(Lead.campaign_id == scope.campaign_id)
    if scope.except_campaigns:
        return query.where(Lead.campaign_id.not_in(scope.except_campaigns))
    return query


class OpenLeadsOfCalls:
    def read(self, scope: LeadScope, after_id: int, limit: int, *, not_at_model: int | None = None) -> list[OpenLead]:
        query = _in_scope(select(Lead.id, Lead.campaign_id, Lead.version, Lead.score, Lead.score_band,
                                 Lead.score_model_version), scope).where(Lead.id > after_id)
        if not_at_model is not None:
            query = query.where(or_(Lead.score_model_version.is_(None), Lead.score_model_version != not_at_model))
        rows = db.session.execute(query.order_by(Lead.id).limit(limit)).all()
        if not rows:
            return []
        found = {row[0]: OpenLead(*row) for row in rows}
        low, high = rows[0][0], rows[-1][0]
        # Along the answers' (lead_id, criterion) key and the touches' lead index: the batch's id range, the
        # leads outside the scope dropped here (fewer statements than naming thousands of ids).
        for lead_id, criterion, value in db.session.execute(
                select(QualificationAnswer.lead_id, QualificationAnswer.criterion, QualificationAnswer.value)
                .where(QualificationAnswer.lead_id.between(low, high))):
            lead = found.get(lead_id)
            if lead is not None:
                lead.answers[criterion] = value
        for lead_id, kind, occurred_at in db.session.execute(
                select(Touch.lead_id, Touch.kind, Touch.occurred_at).where(Touch.lead_id.between(low, high))):
            lead = found.get(lead_id)
            if lead is not None:
                lead.touches.append(TouchFact(kind, occurred_at))
        return list(found.values())

    def names(self, lead_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        return {lead_id: (f"{first} {last}", company) for lead_id, first, last, company in db.session.execute(
            select(Lead.id, Lead.first_name, Lead.last_name, Account.name).join(Account)
            .where(Lead.id.in_(list(lead_ids))))} if lead_ids else {}

    def count(self, scope: LeadScope) -> int:
        return db.session.scalar(_in_scope(select(func.count(Lead.id)), scope)) or 0

    def band_counts(self, scope: LeadScope) -> dict[str | None, int]:
        return dict(db.session.execute(_in_scope(select(Lead.score_band, func.count(Lead.id)), scope)
                                       .group_by(Lead.score_band)).tuples().all())

    def store(self, rescored: Sequence[Rescored], model_version: int) -> int:
        return leads.store_scores(rescored, model_version)
