"""The open leads as the lead definition sees them (the port console/scoring/open_leads.py defines): each lead's
answers (this area's records) and touches, read in batches along the primary key, and new scores stored
through the lead's one writer (console.leads.services.store_scores)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from console.extensions import db
from console.leads import services as leads
from console.leads.models import Account, Lead
from console.leads.rules import Stage
from console.scoring.open_leads import LeadScope, OpenLead, Rescored, TouchFact


def _in_scope(query, scope: LeadScope):
    columns = Lead.__table__.c
    query = query.where(columns.stage.in_(Stage.OPEN))
    if scope.campaign_id is not None:
        return query.where(columns.campaign_id == scope.campaign_id)
    if scope.except_campaigns:
        return query.where(columns.campaign_id.not_in(scope.except_campaigns))
    return query


# The batch's leads in id order, then along the answers' (lead_id, criterion) key and the touches' lead index the
# batch's id range (the leads outside the scope dropped in Python: fewer statements than naming thousands of ids).
# Plain SQL on the driver's cursor: a rescoring reads a million leads and four million answers, and SQLAlchemy's
# work per row would double the time. The stages are console.leads.rules.Stage.OPEN's.
_OPEN_LEADS = ("SELECT id, campaign_id, version, score, score_band, score_model_version, source, queue_rank"
               " FROM leads"
               " WHERE id > {p} AND stage IN (" + ", ".join(f"'{stage}'" for stage in Stage.OPEN) + "){scope}{model}"
               " ORDER BY id LIMIT {p}")
_ANSWERS = "SELECT lead_id, criterion, value FROM qualification_answers WHERE lead_id BETWEEN {p} AND {p}"
_TOUCHES = "SELECT lead_id, kind, occurred_at FROM touches WHERE lead_id BETWEEN {p} AND {p}"


def _statement(template: str, marker: str, **parts) -> str:
    return template.format(p=marker, **{name: part.format(p=marker) for name, part in parts.items()})


class OpenLeadsOfCalls:
    def read(self, scope: LeadScope, after_id: int, limit: int, *, not_at_model: int | None = None) -> list[OpenLead]:
        connection = db.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        where, parameters = "", [after_id]
        if scope.campaign_id is not None:
            where, parameters = " AND campaign_id = {p}", parameters + [scope.campaign_id]
        elif scope.except_campaigns:
            where = " AND campaign_id NOT IN (" + ", ".join("{p}" for _ in scope.except_campaigns) + ")"
            parameters += list(scope.except_campaigns)
        model = ""
        if not_at_model is not None:
            model = " AND (score_model_version IS NULL OR score_model_version <> {p})"
            parameters.append(not_at_model)
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute(_statement(_OPEN_LEADS, marker, scope=where, model=model), (*parameters, limit))
        rows = cursor.fetchall()
        if not rows:
            return []
        found = {row[0]: OpenLead(*row) for row in rows}
        bounds = (rows[0][0], rows[-1][0])
        get = found.get
        cursor.execute(_statement(_ANSWERS, marker), bounds)
        for lead_id, criterion, value in cursor.fetchall():
            lead = get(lead_id)
            if lead is not None:
                lead.answers[criterion] = value
        cursor.execute(_statement(_TOUCHES, marker), bounds)
        # SQLite hands back the text SQLAlchemy stored (ISO 8601), PostgreSQL a datetime.
        as_datetime = datetime.fromisoformat if sqlite else (lambda value: value)
        for lead_id, kind, occurred_at in cursor.fetchall():
            lead = get(lead_id)
            if lead is not None:
                lead.touches.append(TouchFact(kind, as_datetime(occurred_at)))
        return list(found.values())

    def count(self, scope: LeadScope) -> int:
        return db.session.connection().scalar(_in_scope(select(func.count(Lead.__table__.c.id)), scope)) or 0

    def band_counts(self, scope: LeadScope) -> dict[str | None, int]:
        columns = Lead.__table__.c
        return dict(db.session.connection().execute(_in_scope(select(columns.score_band, func.count(columns.id)), scope)
                                                    .group_by(columns.score_band)).tuples().all())

    def names(self, lead_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        return {lead_id: (f"{first} {last}", company) for lead_id, first, last, company in db.session.execute(
            select(Lead.id, Lead.first_name, Lead.last_name, Account.name).join(Account)
            .where(Lead.id.in_(list(lead_ids))))} if lead_ids else {}

    def store(self, rescored: Sequence[Rescored], model_version: int) -> int:
        return leads.store_scores(rescored, model_version)
