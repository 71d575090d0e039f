"""Accounts: creating users, their role, access and password (set-password links included), and checking
sign-ins, with failed attempts rate limited through the audit log."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import joinedload

from console.audit import services as audit
from console.audit.models import FAILED_SIGN_IN, AuditEvent
from console.auth.models import PasswordToken, Role, User
from console.clock import utcnow
from console.database import writers
from console.extensions import db


@cache
def _hasher_for(profile: str) -> tuple[PasswordHasher, str]:
    """The hasher for an argon2-cffi parameter profile, and a dummy hash made with it.

    The dummy is verified against when an account does not exist, so that the
    time a sign-in takes does not reveal which emails have accounts.
    """
    hasher = PasswordHasher.from_parameters(getattr(profiles, profile))
    return hasher, hasher.hash("not a real password")


def _hasher() -> PasswordHasher:
    return _hasher_for(current_app.config["PASSWORD_HASH_PROFILE"])[0]

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    pass


class TooManyAttempts(Exception):
    pass


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def normalise_email(email: str) -> str:
    """The address as accounts are keyed by it (lower case, normalised); UserError saying why when it is not one."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(str(error)) from error


def create_user(email: str, full_name: str, role: str, password: str, actor: User | None = None) -> User:
    email = normalise_email(email)
    if role not in Role.ALL:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = hash_password(password)  # slow on purpose: before the write transaction
    with writers.write_transaction(db.session):
        return add_user(email, full_name, role, password_hash, actor=actor)


def add_user(email: str, full_name: str, role: str, password_hash: str, *, actor: User | None = None,
             **audit_detail) -> User:
    """Add an account whose password is already hashed (hashing is slow: callers do it before their write
    transaction); `email` as normalise_email gives it. Joins the caller's transaction."""
    if role not in Role.ALL:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"a user with email {email} already exists")
    user = User(email=email, full_name=full_name.strip() or email.split("@")[0], role=role,
                password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, actor=actor, role=role, **audit_detail)
    return user


# ---------------------------------------------------------------- an account's role, access and password

def active_ids_of(role: str) -> list[int]:
    """The active users of a role (who hears of what concerns that role: marketing of a rejection, say)."""
    return list(db.session.scalars(select(User.id).where(User.role == role, User.active.is_(True)).order_by(User.id)))


def active_admin_ids(*, lock: bool = False) -> list[int]:
    """The active admins' ids. `lock` (inside a write transaction): on PostgreSQL their rows stay locked until it
    ends, so that two admins taking the role from each other at once cannot leave the console without one
    (SQLite's writer turn already runs such transactions one at a time)."""
    query = select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    if lock and db.engine.dialect.name != "sqlite":
        query = query.with_for_update()
    return list(db.session.scalars(query))


def set_role(user: User, role: str) -> None:
    """Give the user another role. Joins the caller's transaction."""
    if role not in Role.ALL:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}")
    user.role = role


def set_active(user: User, active: bool, now: datetime) -> None:
    """Let the user in again, or keep them out: a deactivated account cannot sign in, its session is refused
    at its next request (signed_in_user) and its unused set-password links stop working. Joins the caller's
    transaction."""
    user.active = active
    user.deactivated_at = None if active else now
    if not active:
        expire_password_links(user.id, now)


def set_availability(user: User, away: bool, working_hours: dict | None, time_zone: str | None) -> None:
    """A sales member's availability for hand-off routing. Joins the caller's transaction."""
    user.away = away
    user.working_hours = working_hours
    user.time_zone = time_zone


def set_sales_team(user: User, team: str | None, manager: bool) -> None:
    """A sales member's team and whether they manage it (hand-off escalations, the team view). Joins the caller's
    transaction."""
    user.sales_team = team
    user.sales_manager = manager


def set_password_hash(user: User, password_hash: str) -> None:
    """Store a password hashed with hash_password (before the caller's transaction). Joins the caller's
    transaction."""
    user.password_hash = password_hash


def password_token_hash(token: str) -> str:
    """What is stored of a set-password link's token: its SHA-256 (the token itself is only ever in the link)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_password_link(user: User, expires_at: datetime, *, actor: User | None, now: datetime) -> str:
    """A new set-password link's token for the user (shown once, never stored); their earlier unused links stop
    working. Joins the caller's transaction."""
    expire_password_links(user.id, now)
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordToken(user_id=user.id, token_hash=password_token_hash(token),
                                 created_by_id=actor.id if actor is not None else None, created_at=now,
                                 expires_at=expires_at))
    return token


def expire_password_links(user_id: int, now: datetime) -> int:
    """End every unused, unexpired set-password link of the user now; returns how many. Joins the caller's
    transaction."""
    return db.session.execute(
        update(PasswordToken).where(PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None),
                                    PasswordToken.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False)).rowcount


def password_link(token: str, *, lock: bool = False) -> PasswordToken | None:
    """The stored link a token belongs to, with its user, or None. `lock` (inside a write transaction): on
    PostgreSQL the row stays locked until it ends, so that a link used twice at once sets one password."""
    query = select(PasswordToken).where(PasswordToken.token_hash == password_token_hash(token)) \
        .options(joinedload(PasswordToken.user)).execution_options(populate_existing=True)
    if lock and db.engine.dialect.name != "sqlite":
        query = query.with_for_update(of=PasswordToken)
    return db.session.scalars(query).unique().one_or_none()


def use_password_link(link: PasswordToken, password_hash: str, now: datetime) -> None:
    """Mark the link used and set its user's password. Joins the caller's transaction."""
    link.used_at = now
    set_password_hash(link.user, password_hash)


# Every request loads its signed-in user: one statement built once (session.get builds its query on each call).
# A deactivated account loads as nobody, so its session is refused at its next request.
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"), User.active.is_(True))


def signed_in_user(user_id: int) -> User | None:
    """The active user a request's session cookie names (Flask-Login's user loader); None for a deactivated one."""
    return db.session.scalars(_USER_BY_ID, {"user_id": user_id}).one_or_none()


def _recent_failures(column, value) -> int:
    since = utcnow() - timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    return db.session.scalar(
        # The predicate as written in the partial indexes (audit.models.FAILED_SIGN_IN), so that both databases use them.
        select(func.count(AuditEvent.id)).where(text(FAILED_SIGN_IN), column == value, AuditEvent.at >= since)
    )


def authenticate(email: str, password: str, ip_address: str | None) -> User | None:
    """Return the user whose credentials these are, or None; raise TooManyAttempts when locked out.

    Failures are counted per account and per client address over a sliding window;
    a correct password does not get past a lock-out.
    """
    email = email.strip().lower()
    config = current_app.config
    if (
        _recent_failures(AuditEvent.actor_email, email) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or (ip_address and _recent_failures(AuditEvent.ip_address, ip_address) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    ):
        with writers.write_transaction(db.session):
            audit.record("auth.login_throttled", actor_email=email)
        raise TooManyAttempts()

    user = db.session.scalar(select(User).where(User.email == email))
    hasher, dummy_hash = _hasher_for(current_app.config["PASSWORD_HASH_PROFILE"])
    try:
        hasher.verify(user.password_hash if user else dummy_hash, password)
        verified = user is not None and user.active
    except (VerificationError, InvalidHashError):
        verified = False

    if not verified:
        with writers.write_transaction(db.session):
            audit.record("auth.login_failed", actor_email=email)
        return None
    rehashed = hash_password(password) if hasher.check_needs_rehash(user.password_hash) else None
    with writers.write_transaction(db.session):
        if rehashed:
            user.password_hash = rehashed
        audit.record("auth.login", user, actor=user)
    return user


def sign_out(user: User) -> None:
    with writers.write_transaction(db.session):
        audit.record("auth.logout", user)
