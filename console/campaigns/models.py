"""Outbound campaigns: where leads come from, how they may be called, which guide is read."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(60))  # channel: webinar, trade show, paid search...
    message: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=0)  # higher is called first
    call_guide_id: Mapped[int | None] = mapped_column(ForeignKey("call_guides.id"))
    caller_id: Mapped[str | None] = mapped_column(String(20))
    # Campaign calling hours, in the lead's local time; never wider than the legal window.
    calling_start: Mapped[time] = mapped_column(default=time(9, 0))
    calling_end: Mapped[time] = mapped_column(default=time(20, 0))
    max_attempts: Mapped[int] = mapped_column(default=6)
    min_retry_minutes: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    call_guide = relationship("CallGuide")

    def __repr__(self) -> str:
        return f"<Campaign {self.name}>"
