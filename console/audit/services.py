"""Writing audit events; called by every service that changes something sensitive."""
from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from console.audit.models import AuditEvent
from console.clock import utcnow
from console.extensions import db


def record(action: str, subject=None, *, actor=None, actor_email: str | None = None, **detail) -> AuditEvent:
    """Add an audit row to the current transaction; the caller's commit makes it permanent."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(**_row(
        action, type(subject).__name__ if subject is not None else None,
        subject.id if subject is not None else None,
        actor.id if actor is not None else None, actor_email or (actor.email if actor is not None else None),
        detail))
    db.session.add(event)
    return event


INSERT = insert(AuditEvent.__table__)


def write(action: str, subject_type: str, subject_id: int, *, actor_id: int, actor_email: str,
          at: datetime | None = None, **detail) -> None:
    """The same row, inserted at once with one SQL statement in the session's transaction.

    For the hot paths that write with SQL rather than the ORM (claim, disposition):
    they know the subject's id and the actor's, and need not load either.
    """
    db.session.connection().execute(INSERT, prepared(action, subject_type, subject_id, actor_id=actor_id,
                                                     actor_email=actor_email, at=at, **detail))


def prepared(action: str, subject_type: str, subject_id: int | None, *, actor_id: int, actor_email: str,
             at: datetime | None = None, **detail) -> dict:
    """The row `write` inserts, for a caller that inserts it itself (with INSERT) on its own connection."""
    row = _row(action, subject_type, subject_id, actor_id, actor_email, detail)
    row["at"] = at or utcnow()
    return row


def _row(action: str, subject_type: str | None, subject_id: int | None, actor_id: int | None,
         actor_email: str | None, detail: dict) -> dict:
    return {"action": action, "actor_id": actor_id, "actor_email": actor_email, "subject_type": subject_type,
            "subject_id": subject_id, "ip_address": request.remote_addr if has_request_context() else None,
            "detail": detail}
