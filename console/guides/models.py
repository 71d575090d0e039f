"""Call guides, their immutable versions, and the objections agents mark on calls."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db


class CallGuide(db.Model):
    __tablename__ = "call_guides"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)  # the file name in call_guides/
    name: Mapped[str] = mapped_column(String(120))
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("guide_versions.id", use_alter=True, name="fk_call_guides_published_version_id_guide_versions")
    )
    # Copied from the published version, so that choosing the guide for a call is one query.
    persona: Mapped[str] = mapped_column(String(40), default="", server_default="")
    campaign_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    published_version = relationship("GuideVersion", foreign_keys=[published_version_id], post_update=True)
    versions = relationship(
        "GuideVersion", foreign_keys="GuideVersion.guide_id", back_populates="guide", order_by="GuideVersion.number"
    )

    def __repr__(self) -> str:
        return f"<CallGuide {self.slug}>"


class GuideVersion(db.Model):
    """A snapshot of a guide's whole content; its content is never edited once written.

    A version newer than the published one is a draft. Publishing stamps
    published_at once: an older version comes back only as a new version (revert).
    """

    __tablename__ = "guide_versions"
    __table_args__ = (UniqueConstraint("guide_id", "number", name="uq_guide_versions_guide_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("call_guides.id"))
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    change_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    base_number: Mapped[int | None]  # the version the editor started from (None: loaded from a file)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    guide = relationship("CallGuide", foreign_keys=[guide_id], back_populates="versions")
    author = relationship("User", foreign_keys=[author_id])
    published_by = relationship("User", foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.guide.published_version_id == self.id


class CallObjection(db.Model):
    """An objection the prospect raised on a call, and whether the guide's response worked."""

    __tablename__ = "call_objections"
    __table_args__ = (
        UniqueConstraint("call_id", "objection_id", name="uq_call_objections_call_objection"),
        Index("ix_call_objections_version_objection", "guide_version_id", "objection_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    # The version whose response the agent read: statistics compare wordings of a response.
    guide_version_id: Mapped[int] = mapped_column(ForeignKey("guide_versions.id"))
    objection_id: Mapped[str] = mapped_column(String(48))  # the objection's id inside the guide content
    worked: Mapped[bool | None]  # None: raised, outcome not marked
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    call = relationship("Call")
    guide_version = relationship("GuideVersion")
    agent = relationship("User")
