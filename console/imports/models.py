"""What an import keeps besides its list (console.leads.models.LeadList): the uploaded file, the rows it did
not import as new leads and why, and the column mappings remembered per source."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.clock import utcnow
from console.extensions import db


class ImportFileChunk(db.Model):
    """The uploaded file, in order, a chunk per row: kept in the database so any worker on any host can read it."""

    __tablename__ = "import_file_chunks"

    lead_list_id: Mapped[int] = mapped_column(ForeignKey("lead_lists.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRowIssue(db.Model):
    """A data line of an imported file that did not become a new lead: rejected, suppressed, duplicate or updated.

    `line` is the file's physical line number where the record starts (the header is line 1), `values`
    the record's original cells by column header, `reason` why (for people), `outcome` which kind.
    """

    __tablename__ = "import_row_issues"
    __table_args__ = (Index("ix_import_row_issues_list_line", "lead_list_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_list_id: Mapped[int] = mapped_column(ForeignKey("lead_lists.id"))
    line: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(12))  # rejected | suppressed | duplicate | updated
    reason: Mapped[str] = mapped_column(Text)
    values: Mapped[dict] = mapped_column(JSON)
    lead_id: Mapped[int | None]  # the lead it updated, suppressed or duplicated


class ImportMapping(db.Model):
    """A column mapping remembered under a source name ("Trade show 2026 badge scans"), offered next time."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(60), unique=True)
    mapping: Mapped[dict] = mapped_column(JSON)  # field key -> column header
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
