"""Alignment meetings: the regular marketing and sales feedback session, its participants and its decisions."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db

meeting_participants = Table(
    "alignment_meeting_participants", db.metadata,
    Column("meeting_id", Integer, ForeignKey("alignment_meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
)


class AlignmentMeeting(db.Model):
    """One meeting (seed 000: "a regularly occurring conference call ... a specific agenda for each meeting,
    communicated in advance"): when it is held, the period its agenda covers, and who takes part, with the one
    sales manager taking the rotating seat this time."""

    __tablename__ = "alignment_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]  # inclusive: the agenda's figures cover period_start..period_end
    sales_participant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # the agenda last sent to the participants
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sales_participant = relationship("User", foreign_keys=[sales_participant_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    participants = relationship("User", secondary=meeting_participants, order_by="User.full_name")
    decisions = relationship("AlignmentDecision", back_populates="meeting", order_by="AlignmentDecision.id")


class AlignmentDecision(db.Model):
    """A decision recorded during a meeting: what, who owns it, by when. Open ones are carried into every later
    agenda until marked done."""

    __tablename__ = "alignment_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("alignment_meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting = relationship("AlignmentMeeting", back_populates="decisions")
    owner = relationship("User", foreign_keys=[owner_id])

    @property
    def is_open(self) -> bool:
        return self.done_at is None
