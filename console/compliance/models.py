"""The do-not-call list: numbers nobody may call, globally or for one campaign."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db


class DoNotCallSource:
    """Where an entry came from: what the do-not-call page shows beside each number."""

    OPT_OUT = "opt_out"  # an agent's *Do not call* disposition, on call `call_id`
    IMPORT = "import"  # a lead list's file (`lead_list_id`)
    MANUAL = "manual"  # a person on the do-not-call page (one number or an uploaded file), or the demo seed
    API = "api"  # marketing automation through /api/v1
    LABELS = {OPT_OUT: "Opt-out", IMPORT: "Import", MANUAL: "Manual", API: "API"}
    ALL = tuple(LABELS)


class DoNotCallEntry(db.Model):
    """A number nobody may call: globally (no campaign) or for one campaign.

    Entries are added and removed by console.leads.services, which takes the
    number out of every queue it covers in the same transaction.
    """

    __tablename__ = "do_not_call"
    __table_args__ = (
        UniqueConstraint("phone", "campaign_id", name="uq_do_not_call_phone_campaign"),
        # The do-not-call page lists a scope's or a source's entries newest first without sorting the list.
        Index("ix_do_not_call_campaign", "campaign_id", "id"),
        Index("ix_do_not_call_source", "source", "id"),
    )

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

    # Named, not imported: the areas that own these records sit above the law (docs/architecture.md).
    campaign = relationship("Campaign")
    added_by = relationship("User")
    lead_list = relationship("LeadList")

    @property
    def source_label(self) -> str:
        return DoNotCallSource.LABELS.get(self.source, self.source)
