"""Creating users and checking sign-ins, with failed attempts rate limited through the audit log."""
from __future__ import annotations

from datetime import timedelta

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import bindparam, func, select, text

from console.audit import services as audit
from console.audit.models import FAILED_SIGN_IN, AuditEvent
from console.auth.models import Role, User
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


def create_user(email: str, full_name: str, role: str, password: str, actor: User | None = None) -> User:
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(str(error)) from error
    if role not in Role.ALL:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = hash_password(password)  # slow on purpose: before the write transaction
    with writers.write_transaction(db.session):
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise UserError(f"a user with email {email} already exists")
        user = User(email=email, full_name=full_name.strip() or email.split("@")[0], role=role,
                    password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        audit.record("user.created", user, actor=actor, role=role)
    return user


# Every request loads its signed-in user: one statement built once (session.get builds its query on each call).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def signed_in_user(user_id: int) -> User | None:
    """The user a request's session cookie names (Flask-Login's user loader); inactive users are refused there."""
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
