"""`flask twilio check` against a fake Twilio: what it asks, and what it prints when something is wrong."""
from __future__ import annotations

import pytest

from console.extensions import db
from console.telephony.testing import (ACCOUNT_SID, API_KEY, CALLER_ID, PUBLIC_BASE_URL, TWIML_APP_SID,
                                       error_body)

API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"


def page(key: str, items: list) -> dict:
    return {key: items, "next_page_uri": None, "previous_page_uri": None, "first_page_uri": "/", "uri": "/",
            "page": 0, "page_size": 1, "start": 0, "end": len(items)}


def queue_account(fake, status="active"):
    fake.queue(200, {"sid": ACCOUNT_SID, "friendly_name": "Acme sales", "status": status, "type": "Full"},
               url_contains=f"Accounts/{ACCOUNT_SID}.json")


def queue_caller_id(fake, owned=True, verified=False):
    fake.queue(200, page("incoming_phone_numbers", [{"sid": "PN1", "phone_number": CALLER_ID}] if owned else []),
               url_contains="/IncomingPhoneNumbers.json")
    if not owned:
        fake.queue(200, page("outgoing_caller_ids", [{"sid": "PN2", "phone_number": CALLER_ID}] if verified else []),
                   url_contains="/OutgoingCallerIds.json")


def queue_application(fake, voice_url=f"{PUBLIC_BASE_URL}/twilio/voice",
                      status_callback=f"{PUBLIC_BASE_URL}/twilio/status"):
    fake.queue(200, {"sid": TWIML_APP_SID, "friendly_name": "Console", "voice_url": voice_url, "voice_method": "POST",
                     "status_callback": status_callback, "status_callback_method": "POST"},
               url_contains=f"/Applications/{TWIML_APP_SID}.json")


def queue_key(fake):
    fake.queue(200, {"sid": API_KEY, "friendly_name": "console browser calling"}, url_contains=f"/Keys/{API_KEY}.json")


def test_a_correct_setup_passes(runner, fake_twilio, app_context):
    queue_account(fake_twilio)
    queue_caller_id(fake_twilio)
    queue_application(fake_twilio)
    queue_key(fake_twilio)

    result = runner.invoke(args=["twilio", "check"])

    assert result.exit_code == 0, result.output
    assert "Twilio is set up for this console." in result.output
    assert "FAIL" not in result.output
    urls = [request.url for request in fake_twilio.requests]
    assert urls[0] == f"{API}.json"
    assert fake_twilio.requests[1].params == {"PhoneNumber": CALLER_ID, "PageSize": 1}


def test_wrong_twiml_app_urls_and_an_unverified_caller_id_are_reported(runner, fake_twilio, campaign):
    campaign.caller_id = "+13125550100"
    db.session.commit()
    queue_account(fake_twilio)
    queue_caller_id(fake_twilio, owned=False, verified=True)  # TWILIO_CALLER_ID: verified
    queue_caller_id(fake_twilio, owned=False, verified=False)  # the campaign's: unknown to Twilio
    queue_application(fake_twilio, voice_url="https://old-tunnel.example.net/twilio/voice", status_callback="")
    queue_key(fake_twilio)

    result = runner.invoke(args=["twilio", "check"])

    assert result.exit_code == 1
    assert f"ok   Caller ID {CALLER_ID}: a verified outgoing caller ID (TWILIO_CALLER_ID)." in result.output
    assert "FAIL Caller ID +13125550100: neither a Twilio number of this account nor a verified caller ID " \
           "(campaign 'Main campaign')" in result.output
    assert ("Voice URL is https://old-tunnel.example.net/twilio/voice, should be "
            f"{PUBLIC_BASE_URL}/twilio/voice") in result.output
    assert f"Status callback URL is empty, should be {PUBLIC_BASE_URL}/twilio/status" in result.output
    assert "2 problem(s)" in result.output


def test_refused_credentials_stop_the_check(runner, fake_twilio, app_context):
    fake_twilio.queue(401, error_body(20003, "Authenticate", status=401))
    result = runner.invoke(args=["twilio", "check"])
    assert result.exit_code == 1
    assert "FAIL Credentials: Twilio refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (HTTP 401, error 20003)" \
        in result.output
    assert len(fake_twilio.requests) == 1


def test_a_missing_api_key_and_twiml_app_are_reported(runner, fake_twilio, app_context):
    queue_account(fake_twilio)
    queue_caller_id(fake_twilio)
    fake_twilio.queue(404, error_body(20404, "The requested resource was not found", status=404),
                      url_contains="/Applications/")
    fake_twilio.queue(404, error_body(20404, "The requested resource was not found", status=404),
                      url_contains="/Keys/")
    result = runner.invoke(args=["twilio", "check"])
    assert result.exit_code == 1
    assert f"FAIL TwiML app: {TWIML_APP_SID} not found" in result.output
    assert f"FAIL API key: {API_KEY} not found in this account" in result.output


def test_half_configured_browser_calling_and_a_plain_http_url_are_reported(runner, app, monkeypatch, fake_twilio,
                                                                            app_context):
    monkeypatch.setitem(app.config, "TWILIO_API_SECRET", "")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://console.example.com")
    queue_account(fake_twilio)
    queue_caller_id(fake_twilio)
    queue_application(fake_twilio, voice_url="http://console.example.com/twilio/voice",
                      status_callback="http://console.example.com/twilio/status")
    queue_key(fake_twilio)
    result = runner.invoke(args=["twilio", "check"])
    assert "FAIL Public URL: PUBLIC_BASE_URL 'http://console.example.com' should be an https:// URL" in result.output
    assert "FAIL Browser calling: Set all of TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID" \
        in result.output


def test_without_twilio_the_check_says_the_simulated_line_is_in_use(runner, app, monkeypatch, app_context):
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"):
        monkeypatch.setitem(app.config, key, "")
    result = runner.invoke(args=["twilio", "check"])
    assert result.exit_code == 1
    assert "the console uses its simulated line" in result.output
