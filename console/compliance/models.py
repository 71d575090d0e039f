"""The do-not-call list: numbers nobody may call, globally or for one campaign."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from console.clock import utcnow
from console.extensions import db


class DoNotCallEntry(db.Model):
    """A number nobody may call: globally (no campaign) or for one campaign.

    Entries are added and removed by console.leads.services, which takes the
    number out of every queue it covers in the same transaction.
    """

    __tablename__ = "do_not_call"
    __table_args__ = (UniqueConstraint("phone", "campaign_id", name="uq_do_not_call_phone_campaign"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    # Where the entry came from: opt_out (an agent, on call `call_id`), import (list `lead_list_id`), manual, api.
    source: Mapped[str] = mapped_column(String(20), default="manual", server_default="manual")
    lead_list_id: Mapped[int | None] = mapped_column(ForeignKey("lead_lists.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
