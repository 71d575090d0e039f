"""Users of the console and their roles."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db


class Role:
    TELEPROSPECTOR = "teleprospector"
    SALES = "sales"
    MARKETING = "marketing"
    ADMIN = "admin"
    ALL = (TELEPROSPECTOR, SALES, MARKETING, ADMIN)
    LABELS = {
        TELEPROSPECTOR: "Teleprospector",
        SALES: "Sales",
        MARKETING: "Marketing",
        ADMIN: "Admin",
    }


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sales member's availability for hand-off routing (console/handoffs/routing.py): away, or the days and
    # hours they take hand-offs ({"days": [0..6], "start": "09:00", "end": "17:00"}) in their own time zone;
    # no hours is any time.
    away: Mapped[bool] = mapped_column(default=False, server_default=false())
    working_hours: Mapped[dict | None] = mapped_column(JSON)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # A sales member's team (the team view, escalations) and whether they manage it: SLA breaches of the team's
    # hand-offs escalate to its managers, who see every hand-off of the team.
    sales_team: Mapped[str | None] = mapped_column(String(60))
    sales_manager: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of deactivated users
        return self.active

    @property
    def first_name(self) -> str:
        return self.full_name.split(" ", 1)[0]

    @property
    def role_label(self) -> str:
        return Role.LABELS.get(self.role, self.role)

    def has_role(self, *roles: str) -> bool:
        """An admin can do everything; anyone else only what their one role allows."""
        return self.role == Role.ADMIN or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class PasswordToken(db.Model):
    """A one-time link that lets a user set their password (a new account, or a reset); only its hash is kept."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
