"""Call guides and their immutable versions; agents read the published one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    published_version = relationship("GuideVersion", foreign_keys=[published_version_id], post_update=True)
    versions = relationship(
        "GuideVersion", foreign_keys="GuideVersion.guide_id", back_populates="guide", order_by="GuideVersion.number"
    )


class GuideVersion(db.Model):
    """A snapshot of a guide's whole content; never edited once written."""

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

    guide = relationship("CallGuide", foreign_keys=[guide_id], back_populates="versions")
    author = relationship("User")
