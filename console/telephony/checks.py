"""`flask twilio check`: is the Twilio account set up the way this console expects? Reads only."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy import select
from twilio.base.exceptions import TwilioException, TwilioRestException

from console.campaigns.models import Campaign
from console.extensions import db
from console.telephony import services


@dataclass(frozen=True)
class Finding:
    ok: bool
    subject: str
    detail: str


def check_twilio_setup() -> list[Finding]:
    """Every check that can run, in order; a failed credentials check stops the ones that need the API."""
    settings = services.twilio_settings()
    findings = list(_settings_findings(settings))
    if not settings.places_calls:
        return findings
    client = services.twilio_client()
    try:
        account = client.api.v2010.accounts(settings.account_sid).fetch()
    except TwilioRestException as error:
        findings.append(Finding(False, "Credentials", f"Twilio refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN "
                                                      f"(HTTP {error.status}, error {error.code}): {error.msg}"))
        return findings
    except (TwilioException, OSError) as error:
        findings.append(Finding(False, "Credentials", f"Could not reach Twilio: {error}"))
        return findings
    if account.status != "active":
        findings.append(Finding(False, "Credentials", f"The account {account.friendly_name!r} is {account.status}."))
    else:
        findings.append(Finding(True, "Credentials", f"Signed in to {account.friendly_name!r} ({account.type})."))
    findings.extend(_caller_id_findings(client, settings))
    if settings.twiml_app_sid:
        findings.extend(_twiml_app_findings(client, settings))
    if settings.api_key:
        findings.append(_api_key_finding(client, settings))
    return findings


def _settings_findings(settings: services.TwilioSettings):
    if not settings.account_sid or not settings.auth_token:
        yield Finding(False, "Settings", "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set: the console "
                                         "uses its simulated line.")
    elif not settings.account_sid.startswith("AC"):
        yield Finding(False, "Settings", "TWILIO_ACCOUNT_SID should start with AC (the account, not an API key).")
    url = urlparse(settings.public_base_url)
    if not settings.public_base_url:
        yield Finding(False, "Public URL", "PUBLIC_BASE_URL is not set: Twilio cannot reach the webhooks, and "
                                           "without it the console uses its simulated line.")
    elif url.scheme != "https" or not url.netloc:
        yield Finding(False, "Public URL", f"PUBLIC_BASE_URL {settings.public_base_url!r} should be an https:// URL "
                                           "that reaches this console (a tunnel will do for a trial).")
    else:
        yield Finding(True, "Public URL", f"Webhooks go to {settings.public_base_url}/twilio/...")
    browser = (settings.api_key, settings.api_secret, settings.twiml_app_sid)
    if any(browser) and not all(browser):
        yield Finding(False, "Browser calling", "Set all of TWILIO_API_KEY, TWILIO_API_SECRET and "
                                                "TWILIO_TWIML_APP_SID, or none (agents then call on their phones).")
    elif not any(browser):
        yield Finding(True, "Browser calling", "Not configured: agents are called on their own phones.")
    if settings.api_key and not settings.api_key.startswith("SK"):
        yield Finding(False, "Browser calling", "TWILIO_API_KEY should start with SK.")
    if settings.twiml_app_sid and not settings.twiml_app_sid.startswith("AP"):
        yield Finding(False, "Browser calling", "TWILIO_TWIML_APP_SID should start with AP.")


def _caller_ids(settings: services.TwilioSettings) -> dict[str, str]:
    """Every caller ID the console may present, and who uses it."""
    numbers: dict[str, str] = {}
    if settings.caller_id:
        numbers[settings.caller_id] = "TWILIO_CALLER_ID"
    for campaign in db.session.scalars(select(Campaign).where(Campaign.active.is_(True), Campaign.caller_id.is_not(None))):
        if campaign.caller_id:
            numbers.setdefault(campaign.caller_id, f"campaign {campaign.name!r}")
    return numbers


def _caller_id_findings(client, settings: services.TwilioSettings):
    numbers = _caller_ids(settings)
    if not numbers:
        yield Finding(False, "Caller IDs", "No caller ID: set TWILIO_CALLER_ID or one on each campaign.")
        return
    for number, used_by in numbers.items():
        try:
            owned = client.incoming_phone_numbers.list(phone_number=number, limit=1)
            verified = [] if owned else client.outgoing_caller_ids.list(phone_number=number, limit=1)
        except TwilioRestException as error:
            yield Finding(False, f"Caller ID {number}", f"Could not look it up: {error.msg}")
            continue
        if owned:
            yield Finding(True, f"Caller ID {number}", f"a Twilio number of this account ({used_by}).")
        elif verified:
            yield Finding(True, f"Caller ID {number}", f"a verified outgoing caller ID ({used_by}).")
        else:
            yield Finding(False, f"Caller ID {number}", f"neither a Twilio number of this account nor a verified "
                                                        f"caller ID ({used_by}): Twilio will refuse calls from it.")


def _twiml_app_findings(client, settings: services.TwilioSettings):
    try:
        application = client.applications(settings.twiml_app_sid).fetch()
    except TwilioRestException as error:
        yield Finding(False, "TwiML app", f"{settings.twiml_app_sid} not found: {error.msg}")
        return
    expected = {
        "Voice URL": (application.voice_url, services.public_url("telephony.voice")),
        "Voice method": (application.voice_method, "POST"),
        "Status callback URL": (application.status_callback, services.public_url("telephony.status_callback")),
        "Status callback method": (application.status_callback_method, "POST"),
    }
    problems = [f"{name} is {actual or 'empty'}, should be {wanted}"
                for name, (actual, wanted) in expected.items() if (actual or "") != wanted]
    if problems:
        yield Finding(False, f"TwiML app {application.friendly_name!r}", "; ".join(problems) + ".")
    else:
        yield Finding(True, f"TwiML app {application.friendly_name!r}", "voice and status URLs point at this console.")


def _api_key_finding(client, settings: services.TwilioSettings) -> Finding:
    try:
        key = client.keys(settings.api_key).fetch()
    except TwilioRestException as error:
        return Finding(False, "API key", f"{settings.api_key} not found in this account: {error.msg}")
    return Finding(True, "API key", f"{key.friendly_name or key.sid} exists (browser access tokens).")
