"""Writing audit events; called by every service that changes something sensitive."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from console.audit.models import AuditEvent
from console.extensions import db


def record(action: str, subject=None, *, actor=None, actor_email: str | None = None, **detail) -> AuditEvent:
    """Add an audit row to the current transaction; the caller's commit makes it permanent."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_email=actor_email or (actor.email if actor is not None else None),
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=subject.id if subject is not None else None,
        ip_address=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event
