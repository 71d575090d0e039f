"""The lead definition's versions (a scoring model and its glossary, global or one campaign's), the votes on
proposals, and the number of approvals each side must give."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.auth.models import Role
from console.clock import utcnow
from console.extensions import db
from console.scoring.rules import VersionStatus


class DefinitionVersion(db.Model):
    """One version of the lead definition: the shipped one, a proposal, the one in force, or one it replaced.

    Its id is its number ("version 4"), the number every stored score keeps (leads and hand-offs
    `score_model_version`). A version's model and glossary change only while it is open (a draft or a proposal,
    by its proposer: each change is a new revision, which clears the votes); once active, superseded or rejected
    it is history.
    """

    __tablename__ = "definition_versions"
    __table_args__ = (Index("ix_definition_versions_scope_status", "campaign_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))  # None: the global definition
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT)
    model: Mapped[dict] = mapped_column(JSON)  # scoring.rules.model_to_dict
    glossary: Mapped[dict] = mapped_column(JSON, default=dict)  # term -> definition (rules.GLOSSARY_TERMS)
    note: Mapped[str] = mapped_column(Text, default="")
    # The version in force for its scope when it was proposed (or last rebased): what its changes are against.
    base_id: Mapped[int | None] = mapped_column(ForeignKey("definition_versions.id"))
    revision: Mapped[int] = mapped_column(default=1)
    rebase_conflicts: Mapped[list] = mapped_column(JSON, default=list)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: shipped with the console
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    proposed_at: Mapped[datetime | None]  # put to the vote (the latest revision)
    activated_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    stale_at: Mapped[datetime | None]
    # What it would do to the open leads (scoring.jobs impact), for one revision.
    impact: Mapped[dict | None] = mapped_column(JSON)
    impact_job_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    # Rescoring the open leads once active (scoring.jobs rescore): written with each batch, so a restart
    # goes on from the last lead done.
    rescore_job_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    rescore_last_id: Mapped[int] = mapped_column(default=0)
    rescore_done: Mapped[int] = mapped_column(default=0)
    rescore_changed: Mapped[int] = mapped_column(default=0)
    rescore_total: Mapped[int | None]
    rescore_started_at: Mapped[datetime | None]
    rescore_finished_at: Mapped[datetime | None]

    campaign = relationship("Campaign")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    base = relationship("DefinitionVersion", remote_side=[id], foreign_keys=[base_id])
    votes: Mapped[list[DefinitionVote]] = relationship(back_populates="version", order_by="DefinitionVote.id")

    @property
    def status_label(self) -> str:
        return VersionStatus.LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in VersionStatus.OPEN

    def current_votes(self) -> list[DefinitionVote]:
        """The votes on its latest revision (a revision clears the earlier ones; they stay in its history)."""
        return [vote for vote in self.votes if vote.revision == self.revision]

    def visible_to(self, user) -> bool:
        """Proposals and history are for the two sides that own the definition, and admins; everyone reads
        the definition in force on its own page."""
        return user.role in (Role.SALES, Role.MARKETING, Role.ADMIN) or self.status == VersionStatus.ACTIVE

    def can_be_changed_by(self, user) -> bool:
        """Only its proposer edits, submits or rebases a proposal (their own words, their own vote)."""
        return self.is_open and user.id == self.proposed_by_id


class DefinitionVote(db.Model):
    """One person's approval or rejection of one revision of a proposal, counted for one side."""

    __tablename__ = "definition_votes"
    __table_args__ = (UniqueConstraint("version_id", "revision", "voter_id",
                                       name="uq_definition_votes_version_revision_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"), index=True)
    revision: Mapped[int]
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(10))  # sales | marketing (rules.SIDES)
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[DefinitionVersion] = relationship(back_populates="votes")
    voter = relationship("User")


class ApprovalSettings(db.Model):
    """How many approvals each side gives before a proposal takes effect (one row; an admin sets it)."""

    __tablename__ = "definition_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sales_approvals: Mapped[int] = mapped_column(default=2)
    marketing_approvals: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
