"""What the bell in the top bar shows: one row per user and notification."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.clock import utcnow
from console.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # Delivered by the outbox at least once: the same message never notifies a user twice.
        UniqueConstraint("outbox_id", "user_id", name="uq_notifications_outbox_user"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))  # a path inside the console
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    def visible_to(self, user) -> bool:
        return user.id == self.user_id
