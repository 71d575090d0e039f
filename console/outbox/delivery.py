"""Delivering one message: an email over SMTP, a signed webhook to the CRM, in-app notifications.

Each `deliver_*` takes a claimed row and returns its Outcome; an exception is a
failed attempt, retried later. Delivery is at least once, and made idempotent
for the receiver: a webhook's `webhook-id` is the outbox row's id, an email's
`Message-ID` is built from it, and a notification is stored once per row and user.
"""
from __future__ import annotations

import json
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

import httpx
from flask import current_app
from standardwebhooks import Webhook

from console.clock import utcnow
from console.notifications import services as notifications
from console.outbox import rules, services
from console.outbox.rules import Status
from console.outbox.services import EMAIL, NOTIFICATION, WEBHOOK, Claimed, Outcome

# Outbound HTTP never waits long: a slow CRM is a failed attempt, tried again later.
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
NO_SMTP = "not sent: no SMTP configured"
ENDPOINT_PAUSED = "not sent: the CRM endpoint is paused (Retry sends it once the endpoint is active again)"


def http_client() -> httpx.Client:
    """The worker's one HTTP client (connections are reused between messages)."""
    return httpx.Client(timeout=WEBHOOK_TIMEOUT, follow_redirects=False,
                        headers={"User-Agent": "teleprospecting-console/1 (webhooks)"})


def deliver(claimed: Claimed, client: httpx.Client, endpoints: dict | None = None) -> Outcome:
    """One attempt. `endpoints` keeps the CRM endpoints read for one batch (by id): a batch of webhooks reads
    its endpoint once, and an admin's change to it counts from the next batch."""
    if claimed.kind == EMAIL:
        return deliver_email(claimed)
    if claimed.kind == WEBHOOK:
        return deliver_webhook(claimed, client, {} if endpoints is None else endpoints)
    if claimed.kind == NOTIFICATION:
        return deliver_notification(claimed)
    return Outcome.failed(claimed.id, f"unknown message kind {claimed.kind!r}")


# ---------------------------------------------------------------- email

def message_id(outbox_id: int, sender: str) -> str:
    """The same message, sent again, has the same Message-ID: mail systems keep one copy."""
    domain = sender.rpartition("@")[2] or "console.invalid"
    return f"<outbox-{outbox_id}@{domain}>"


def build_email(claimed: Claimed, sender: str) -> EmailMessage:
    payload = claimed.payload
    message = EmailMessage()
    message["From"] = sender
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = message_id(claimed.id, sender)
    message["Date"] = format_datetime(datetime.now(UTC))
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    return message


def deliver_email(claimed: Claimed) -> Outcome:
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return Outcome(claimed.id, Status.HELD, error=NO_SMTP)
    sender = config["MAIL_FROM"]
    message = build_email(claimed, sender)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=15) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
            refused = smtp.send_message(message)
    except smtplib.SMTPResponseException as error:
        return Outcome.failed(claimed.id, f"SMTP {error.smtp_code}: {rules.excerpt(error.smtp_error)}",
                              response_status=error.smtp_code)
    except (smtplib.SMTPException, OSError) as error:
        return Outcome.failed(claimed.id, f"could not reach the SMTP server: {error}")
    if refused:
        return Outcome.failed(claimed.id, f"refused recipients: {', '.join(refused)}")
    return Outcome.done(claimed.id, response_status=250, response_excerpt=f"sent as {message['Message-ID']}")


# ---------------------------------------------------------------- webhooks

def webhook_body(claimed: Claimed) -> str:
    payload = claimed.payload
    return json.dumps({"type": payload["event"], "timestamp": utcnow().isoformat() + "Z", "data": payload["data"]},
                      separators=(",", ":"), sort_keys=True)


def signed_headers(secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256)."""
    signature = Webhook(secret).sign(webhook_id, at, body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.replace(tzinfo=UTC).timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}


def deliver_webhook(claimed: Claimed, client: httpx.Client, endpoints: dict) -> Outcome:
    endpoint_id = claimed.payload["endpoint_id"]
    if endpoint_id not in endpoints:
        endpoints[endpoint_id] = services.webhook_endpoint(endpoint_id)
    endpoint = endpoints[endpoint_id]
    if endpoint is None:
        return Outcome.failed(claimed.id, "the endpoint was deleted")
    if not endpoint.active:
        return Outcome(claimed.id, Status.HELD, error=ENDPOINT_PAUSED)
    problem = rules.webhook_url_problem(endpoint.url, allow_private=endpoint.allow_private_network)
    if problem is None and not endpoint.allow_private_network:
        problem = services.resolved_address_problem(urlsplit(endpoint.url).hostname)
    if problem:
        return Outcome.failed(claimed.id, f"not sent to {endpoint.url}: {problem}")
    body = webhook_body(claimed)
    headers = signed_headers(endpoint.secret, str(claimed.id), body, utcnow())
    try:
        response = client.post(endpoint.url, content=body.encode(), headers=headers)
    except httpx.TimeoutException:
        return Outcome.failed(claimed.id, f"{endpoint.url} did not answer in time")
    except httpx.HTTPError as error:
        return Outcome.failed(claimed.id, f"could not reach {endpoint.url}: {error}")
    kept = {"response_status": response.status_code, "response_excerpt": rules.excerpt(response.content)}
    if 200 <= response.status_code < 300:
        return Outcome.done(claimed.id, **kept)
    return Outcome.failed(claimed.id, f"{endpoint.url} answered {response.status_code}", **kept)


# ---------------------------------------------------------------- in-app notifications

def deliver_notification(claimed: Claimed) -> Outcome:
    payload = claimed.payload
    added = notifications.deliver(claimed.id, payload["user_ids"], payload["title"], payload.get("body", ""),
                                  payload.get("url"))
    return Outcome.done(claimed.id, response_excerpt=f"{added} user{'s' if added != 1 else ''} notified")
