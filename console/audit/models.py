"""One row per sensitive action; rows are only ever added."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from console.clock import utcnow
from console.extensions import db


# Sign-in throttling counts recent failures per address typed and per client IP
# (auth.services). Every claim and disposition adds an audit row too; only failures
# need these lookups, so only failures are indexed for them.
FAILED_SIGN_IN = "action = 'auth.login_failed'"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_action_at", "action", "at"),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        Index("ix_audit_events_at", "at"),  # the audit log page, newest first
        Index("ix_audit_events_actor_at", "actor_id", "at"),
        Index("ix_audit_events_failed_sign_in_email", "actor_email", "at",
              sqlite_where=text(FAILED_SIGN_IN), postgresql_where=text(FAILED_SIGN_IN)),
        Index("ix_audit_events_failed_sign_in_ip", "ip_address", "at",
              sqlite_where=text(FAILED_SIGN_IN), postgresql_where=text(FAILED_SIGN_IN)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    # For failed sign-ins there is no user yet: the address typed and the client IP.
    actor_email: Mapped[str | None] = mapped_column(String(254))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
