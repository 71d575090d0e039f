"""The outbox's rules, with no Flask and no database: statuses, retries with backoff, what may be posted to.

Two families share one table (console/outbox/models.py): messages (an email, a
CRM webhook, in-app notifications) are delivered; jobs (an import, rescoring,
rebuilding the queue) are run, with progress. Both are claimed with a lease,
retried with exponential backoff and full jitter, and after MAX_ATTEMPTS are
dead until an admin retries them.
"""
from __future__ import annotations

import ipaddress
import random
from datetime import timedelta
from urllib.parse import urlsplit


class Family:
    MESSAGE = "message"
    JOB = "job"


class Status:
    PENDING = "pending"  # waiting for its time (available_at)
    LEASED = "leased"  # a worker has it until leased_until: sending (messages) or running (jobs)
    DONE = "done"  # sent / finished
    FAILED = "failed"  # the last attempt failed; the next is due at available_at
    DEAD = "dead"  # out of attempts: an admin may retry it
    HELD = "held"  # kept, not sent, the reason in last_error: no SMTP configured, or its CRM endpoint paused
    DISCARDED = "discarded"  # an admin gave up on it
    DUE = (PENDING, FAILED)  # a worker may take these once available_at has come
    OPEN = (PENDING, LEASED, FAILED)
    MOVING = (PENDING, LEASED)  # what a page polls for: a failed row waits for its next attempt, maybe an hour
    RETRYABLE = (FAILED, DEAD, HELD, DISCARDED)

    @staticmethod
    def label(status: str, family: str) -> str:
        if status == Status.LEASED:
            return "sending" if family == Family.MESSAGE else "running"
        if status == Status.DONE:
            return "sent" if family == Family.MESSAGE else "done"
        if status == Status.HELD:
            return "held, not sent"
        return status


MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# How long a claimed row is a worker's (settings OUTBOX_MESSAGE_LEASE_SECONDS, OUTBOX_JOB_LEASE_SECONDS):
# past it, another worker takes it again: the first one died. A running job renews its lease with
# every progress report.


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: exponential backoff with full jitter.

    Uniform between zero and base × 2^(attempts − 1), never more than MAX_DELAY: retries of many
    messages that failed together spread out instead of arriving together again.
    """
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return ceiling * (rng or random).random()


def out_of_attempts(attempts: int, max_attempts: int = MAX_ATTEMPTS) -> bool:
    return attempts >= max_attempts


def webhook_url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why the console may not post to this URL (None: it may).

    Only https:// to a public address, unless an admin allowed private and loopback
    addresses for this endpoint (a CRM inside the company network, or the tests).
    Host names are checked again, resolved, when a message is sent.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "give a full URL, as https://crm.example.com/hooks/console"
    if allow_private:
        return None
    if parts.scheme != "https":
        return "use https:// (an admin can allow plain http for a private network endpoint)"
    return address_problem(parts.hostname)


def address_problem(host: str) -> str | None:
    """Why an address (a literal IP, or a name already resolved to one) is not a public one."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return "this is the console's own machine (loopback)"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None  # a name: resolved and checked when sending
    if address.is_loopback:
        return "this is the console's own machine (loopback)"
    if address.is_private or address.is_link_local or address.is_reserved or address.is_multicast \
            or address.is_unspecified:
        return "this is a private or reserved network address"
    return None


def excerpt(text: str | bytes | None, limit: int = 500) -> str:
    """The first bytes of a response, kept for the admin."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text[:limit * 4].decode("utf-8", errors="replace")
    return text[:limit]
