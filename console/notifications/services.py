"""Notifications: stored by the outbox's worker, read and marked read by their user."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.notifications.models import Notification


def deliver(outbox_id: int, user_ids: list[int], title: str, body: str = "", url: str | None = None) -> int:
    """Store one notification per user for this outbox message, once however often it is delivered.

    A transaction of its own (the worker's); returns how many were new.
    """
    if not user_ids:
        return 0
    rows = [{"user_id": user_id, "title": title[:200], "body": body, "url": url, "outbox_id": outbox_id,
             "created_at": utcnow()} for user_id in user_ids]
    with writers.write_transaction(db.session):
        connection = db.session.connection()
        insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(
            Notification.__table__)
        result = connection.execute(insert.values(rows).on_conflict_do_nothing(
            index_elements=["outbox_id", "user_id"]))
    return max(result.rowcount or 0, 0)


# Every page's bell asks it: one statement built once.
_UNREAD = select(func.count(Notification.id)).where(Notification.user_id == bindparam("user_id"),
                                                    Notification.read_at.is_(None))


def unread_count(user) -> int:
    return db.session.scalar(_UNREAD, {"user_id": user.id}) or 0


def recent(user, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def mark_read(notification: Notification) -> None:
    with writers.write_transaction(db.session):
        if notification.read_at is None:
            notification.read_at = utcnow()


def mark_all_read(user) -> int:
    with writers.write_transaction(db.session):
        return db.session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
