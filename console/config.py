"""Configuration read from environment variables, with defaults that let a fresh clone run."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept in the instance folder."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver, the one the project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: Path) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'console.db'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # Cookies: never readable from scripts, not sent on cross-site POSTs,
        # HTTPS-only whenever the console is served over HTTPS (see security.py).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes"),
        "WTF_CSRF_TIME_LIMIT": None,  # a shift is longer than the default hour
        # Proxies in front of the console (for ProxyFix): their X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "CLAIM_LEASE_MINUTES": int(os.environ.get("CLAIM_LEASE_MINUTES", "15")),
        # Telephony (docs/telephony.md). Without an account SID, auth token and public URL the
        # console uses its simulated line; browser calling also needs the API key and TwiML app.
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_CALLER_ID": os.environ.get("TWILIO_CALLER_ID", ""),  # when the campaign sets none
        "TWILIO_API_KEY": os.environ.get("TWILIO_API_KEY", ""),  # SK...: signs browser access tokens
        "TWILIO_API_SECRET": os.environ.get("TWILIO_API_SECRET", ""),
        "TWILIO_TWIML_APP_SID": os.environ.get("TWILIO_TWIML_APP_SID", ""),  # AP...: browser calls' voice URL
        "TWILIO_TOKEN_TTL_SECONDS": int(os.environ.get("TWILIO_TOKEN_TTL_SECONDS", "600")),
        "TWILIO_RING_TIMEOUT_SECONDS": int(os.environ.get("TWILIO_RING_TIMEOUT_SECONDS", "30")),
        # Where Twilio reaches this console (https://console.example.com or a tunnel): webhook
        # URLs are built from it and signatures are checked against it, so it must match exactly.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # The outbox (docs/outbox.md): mail settings, and how the worker claims its rows.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),  # empty: emails are kept, "not sent: no SMTP configured"
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "1").lower() in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "console@localhost"),
        "OUTBOX_BATCH": int(os.environ.get("OUTBOX_BATCH", "20")),
        "OUTBOX_IDLE_SECONDS": float(os.environ.get("OUTBOX_IDLE_SECONDS", "1")),
        "OUTBOX_MESSAGE_LEASE_SECONDS": int(os.environ.get("OUTBOX_MESSAGE_LEASE_SECONDS", "300")),
        "OUTBOX_JOB_LEASE_SECONDS": int(os.environ.get("OUTBOX_JOB_LEASE_SECONDS", "120")),
        # How often the bell in the top bar asks for the unread count (a small query per open page).
        "NOTIFICATIONS_POLL_SECONDS": int(os.environ.get("NOTIFICATIONS_POLL_SECONDS", "30")),
        # Imports (docs/imports.md): the largest upload accepted, and the region of numbers written without +country.
        "MAX_CONTENT_LENGTH": int(os.environ.get("IMPORT_MAX_MEGABYTES", "512")) * 1024 * 1024,
        "IMPORT_DEFAULT_REGION": os.environ.get("IMPORT_DEFAULT_REGION", "US").upper(),
        # argon2-cffi parameter profile; tests use CHEAPEST to stay fast.
        "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    }
