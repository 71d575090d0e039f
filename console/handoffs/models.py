"""Hand-offs: a qualified lead passed from the console to one sales member."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.auth.models import Role
from console.clock import utcnow
from console.extensions import db
from console.handoffs import routing


class HandoffStatus:
    REVIEW = "review"  # the campaign asks marketing to review a qualified lead before sales gets it
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LABELS = {REVIEW: "Awaiting marketing review", PENDING: "Awaiting acceptance", ACCEPTED: "Accepted",
              REJECTED: "Rejected"}


class RejectionKind:
    """Why sales rejects a hand-off, and so where the lead goes next."""

    PROCEDURAL = "procedural"  # wrong route: routed again through the rules, without the member who rejected it
    CLERICAL = "clerical"  # bad data: back to the agent who qualified it, as a callback with the note
    DEFINITIONAL = "definitional"  # does not meet the definition: nurture with a recall date, or disqualify
    LABELS = {PROCEDURAL: "Wrong route", CLERICAL: "Bad data", DEFINITIONAL: "Does not meet the definition"}


class RejectionResult:
    """What a rejection did with the lead."""

    REROUTED = "rerouted"
    CALLBACK = "callback"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"


class NextStep:
    """The next step agreed with the prospect, captured when the agent qualifies the lead."""

    MEETING = "meeting"  # a meeting booked at a time
    SEND_INFO = "send_info"  # send information
    CALL_BACK = "call_back"  # sales calls back at a time
    LABELS = {MEETING: "Meeting booked", SEND_INFO: "Send information", CALL_BACK: "Sales calls back"}
    TIMED = (MEETING, CALL_BACK)  # agreed for a time, which the agent types in the lead's local time


class Outcome:
    """Where sales took the lead in the end."""

    WON = "won"
    LOST = "lost"
    LABELS = {WON: "Won", LOST: "Lost"}


class Handoff(db.Model):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    assigned_to_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    qualified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the agent's feedback
    status: Mapped[str] = mapped_column(String(20), default=HandoffStatus.PENDING, index=True)
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # qualified: marketing's clock starts
    # Handed to sales (the accept clock starts): at creation, or when marketing's review releases it.
    released_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]  # accepted or rejected (the accept clock stops)
    # A rejection: its kind (RejectionKind), what it did with the lead (RejectionResult), the recall date of a lead
    # sent to nurture; the comment is rejection_reason. A re-routed hand-off's successor names it as previous.
    rejection_kind: Mapped[str | None] = mapped_column(String(20))
    rejection_result: Mapped[str | None] = mapped_column(String(20))
    recall_on: Mapped[date | None]
    previous_handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"))
    # The next step agreed on the call (NextStep), when it is due, and what was said.
    next_step: Mapped[str | None] = mapped_column(String(20))
    next_step_at: Mapped[datetime | None]
    next_step_note: Mapped[str | None] = mapped_column(Text)
    # The SLA policy the clocks of this hand-off run by, as it was at qualification (console/handoffs/sla.py).
    sla: Mapped[dict | None] = mapped_column(JSON)
    # Sales' progress: first contact (the first-contact clock stops), a meeting held, an opportunity, the outcome.
    first_contact_at: Mapped[datetime | None]
    first_contact_kind: Mapped[str | None] = mapped_column(String(20))  # call, email, meeting
    meeting_held_at: Mapped[datetime | None]
    opportunity_at: Mapped[datetime | None]
    opportunity_cents: Mapped[int | None] = mapped_column(BigInteger)
    expected_close_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(10))  # Outcome
    outcome_at: Mapped[datetime | None]
    won_cents: Mapped[int | None] = mapped_column(BigInteger)
    won_on: Mapped[date | None]
    lost_reason: Mapped[str | None] = mapped_column(String(40))
    lost_note: Mapped[str | None] = mapped_column(Text)
    # Sales' rating of the lead's quality, 1 to 5, with a comment.
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    # Feedback for the agent who qualified it (a rejection, a rating): when it was last given, when they read it.
    feedback_at: Mapped[datetime | None]
    feedback_seen_at: Mapped[datetime | None]

    lead = relationship("Lead")
    call = relationship("Call")
    campaign = relationship("Campaign")
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    qualified_by = relationship("User", foreign_keys=[qualified_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    previous = relationship("Handoff", remote_side=[id])

    @property
    def status_label(self) -> str:
        return HandoffStatus.LABELS.get(self.status, self.status)

    def visible_to(self, user) -> bool:
        """The sales member it was handed to sees it, the managers of that member's sales team, and admins; sales
        only once marketing's review (if any) released it."""
        if user.role == Role.ADMIN:
            return True
        if self.status == HandoffStatus.REVIEW:
            return False
        if user.id == self.assigned_to_id:
            return True
        return bool(user.role == Role.SALES and user.sales_manager and user.sales_team
                    and self.assigned_to is not None and self.assigned_to.sales_team == user.sales_team)

    def managed_by(self, user) -> bool:
        """An admin, or the sales manager of the assignee's team: who may give it to someone else."""
        if user.role == Role.ADMIN:
            return True
        return bool(user.role == Role.SALES and user.sales_manager and user.sales_team
                    and self.assigned_to is not None and self.assigned_to.sales_team == user.sales_team)

    def can_be_reassigned_by(self, user) -> bool:
        """Its manager (`managed_by`) moves a hand-off still awaiting a decision."""
        return self.status == HandoffStatus.PENDING and self.managed_by(user)

    @property
    def rejection_kind_label(self) -> str | None:
        return RejectionKind.LABELS.get(self.rejection_kind, self.rejection_kind) if self.rejection_kind else None


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


class SlaPolicy(db.Model):
    """The agreed times of a campaign's hand-offs (campaign_id None: the default an admin sets), in business time.

    Marketing hands over within `handover_minutes` of qualification (when the campaign asks for a review first),
    sales accepts or rejects within `accept_minutes` and makes first contact within `first_contact_minutes`;
    the minutes are business minutes of the calendar below: the sales team's hours, days (ISO 1 = Monday) and
    public holidays (the `holidays` package's country and subdivision), in its time zone. A clock turns amber
    at `amber_percent` of its time and red when it is spent.
    """

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    requires_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    handover_minutes: Mapped[int] = mapped_column(default=240)
    accept_minutes: Mapped[int] = mapped_column(default=240)
    first_contact_minutes: Mapped[int] = mapped_column(default=480)
    amber_percent: Mapped[int] = mapped_column(default=75)
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    day_start: Mapped[time] = mapped_column(default=time(9, 0))
    day_end: Mapped[time] = mapped_column(default=time(17, 0))
    work_days: Mapped[str] = mapped_column(String(7), default="12345")
    holiday_country: Mapped[str | None] = mapped_column(String(2), default="US")
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign = relationship("Campaign")


class SlaBreach(db.Model):
    """A clock of a hand-off that ran out: recorded once (the unique pair), escalated through the outbox."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("handoff_id", "clock", name="uq_sla_breaches_handoff_clock"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    clock: Mapped[str] = mapped_column(String(20))  # handover (marketing), accept, first_contact (sales)
    side: Mapped[str] = mapped_column(String(20))  # marketing or sales
    due_at: Mapped[datetime]
    breached_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    handoff = relationship("Handoff")

