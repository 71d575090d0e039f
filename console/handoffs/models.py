"""Hand-offs: a qualified lead passed from the console to one sales member."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.auth.models import Role
from console.clock import utcnow
from console.extensions import db
from console.handoffs import routing


class HandoffStatus:
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LABELS = {PENDING: "Awaiting acceptance", ACCEPTED: "Accepted", REJECTED: "Rejected"}


class Handoff(db.Model):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    assigned_to_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    qualified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=HandoffStatus.PENDING)
    score: Mapped[int]
    score_band: Mapped[str] = mapped_column(String(10))
    # The score as it was made at hand-off, with the version of the scoring model that made it:
    # its reasons ("Budget confirmed +25") and every criterion with the answer given, its label
    # and its points. Later model changes never rewrite what sales was handed.
    score_model_version: Mapped[int | None]
    score_reasons: Mapped[list] = mapped_column(JSON, default=list)
    # {criterion: {"label", "value", "answer", "points", "detail"}}, in the model's order.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # Why it went to its member: the routing decision's explanation ("Rule 2 'West coast': state CA matched; ...").
    routing_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    lead = relationship("Lead")
    call = relationship("Call")
    campaign = relationship("Campaign")
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    qualified_by = relationship("User", foreign_keys=[qualified_by_id])

    @property
    def status_label(self) -> str:
        return HandoffStatus.LABELS.get(self.status, self.status)

    def visible_to(self, user) -> bool:
        """The sales member it was handed to sees it, and admins."""
        return user.id == self.assigned_to_id or user.role == Role.ADMIN


class RoutingRule(db.Model):
    """One hand-off routing rule of a campaign (or of the global default, campaign_id None), in its scope's order.

    Conditions and the pool are data read by console/handoffs/routing.py: `conditions` {"states", "countries",
    "industries", "size_min", "size_max", "bands", "personas"}, `members` [[user id, weight], ...] (empty:
    every active sales member). The catch-all is its scope's last rule, with no conditions.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    catch_all: Mapped[bool] = mapped_column(default=False)
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    method: Mapped[str] = mapped_column(String(20))
    members: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign = relationship("Campaign")

    @property
    def rule(self) -> routing.Rule:
        """The rule as routing reads it."""
        return routing.rule_from_data(self.id, self.name, self.conditions or {}, self.method, self.members)


class RoutingCursor(db.Model):
    """A rule's round-robin state ({"last": id} or {"current": {id: n}}), written in each hand-off's transaction
    (read FOR UPDATE on PostgreSQL), so every web host and worker hands out turns from the same place."""

    __tablename__ = "routing_cursors"

    rule_id: Mapped[int] = mapped_column(Integer, ForeignKey("routing_rules.id", ondelete="CASCADE"),
                                         primary_key=True)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
