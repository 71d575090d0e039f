"""A call on the simulated line, in a real browser: Dial, ringing, connected, hang up, completed; and a busy line.

The simulated line moves on the real clock (ringing after 1 s, answered after 3 s), driven by the
dialer's own one-second polling: the test waits on what the agent sees, never with sleeps.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.builders import TEST_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def open_call_screen(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill("teleprospector@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base_url + "/queue")
    page.wait_for_load_state("load")
    page.get_by_role("button", name=re.compile("Next lead")).click()
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    expect(page.locator("#dial-button")).to_be_enabled()


def test_an_agent_places_and_ends_a_simulated_call(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    open_call_screen(page, live_server)

    dialer = page.locator("#dialer")
    expect(dialer.locator(".dialer-mode")).to_have_text("Simulated line")
    page.get_by_label("The simulated lead").select_option("answer")
    page.locator("#dial-button").click()

    status = page.locator("#call-status")
    expect(status).to_have_text("Ringing")
    expect(status).to_have_text("Connected")
    expect(page.locator("#call-timer")).to_have_text(re.compile(r"^0:0\d$"))
    page.get_by_role("group", name=re.compile("Keypad")).get_by_role("button", name="1").click()
    expect(page.locator("#sent-digits")).to_have_text("1")
    mute = page.get_by_role("button", name="Mute")
    mute.click()
    expect(page.locator("#mute-button")).to_have_attribute("aria-pressed", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "20-dialer-connected.png"), full_page=False)

    page.get_by_role("button", name="Hang up").click()
    expect(status).to_have_text("Completed")
    expect(page.locator("#dial-button")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "21-dialer-completed.png"), full_page=False)


def test_a_busy_line_ends_by_itself_and_the_agent_can_dial_again(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Sam", last_name="Busy")
    open_call_screen(page, live_server)

    page.get_by_label("The simulated lead").select_option("busy")
    page.locator("#dial-button").click()

    expect(page.locator("#call-status")).to_have_text("Busy")
    expect(page.locator("#dial-button")).to_be_enabled()


# A stand-in for the Twilio Voice SDK: the page's own dialer.js drives it exactly as it would drive the
# real one (served at the vendored file's URL), and it records what it was asked to do.
FAKE_VOICE_SDK = """
window.fakeTwilio = { connects: [], digits: [], muted: null, disconnects: 0, tokens: [] };
window.Twilio = { Device: function (token) {
  window.fakeTwilio.tokens.push(token);
  this.on = function () {};
  this.updateToken = function () {};
  this.connect = function (options) {
    window.fakeTwilio.connects.push(options.params);
    document.body.dataset.fakeConnects = String(window.fakeTwilio.connects.length);
    var handlers = {};
    return Promise.resolve({
      on: function (name, handler) { handlers[name] = handler; },
      mute: function (muted) { window.fakeTwilio.muted = muted; },
      isMuted: function () { return !!window.fakeTwilio.muted; },
      sendDigits: function (digits) { window.fakeTwilio.digits.push(digits); },
      disconnect: function () { window.fakeTwilio.disconnects += 1; if (handlers.disconnect) handlers.disconnect(); }
    });
  };
} };
"""


def test_browser_calling_drives_the_voice_sdk_and_follows_twilios_callbacks(
        page: Page, app, monkeypatch, live_server, users, campaign, make_lead):
    from console.telephony.testing import FakeTwilioHttp, call_resource, signed_post, twilio_config

    fake = FakeTwilioHttp()
    for key, value in twilio_config(fake).items():
        monkeypatch.setitem(app.config, key, value)
    page.route("**/static/vendor/twilio-voice-*.min.js",
               lambda route: route.fulfill(body=FAKE_VOICE_SDK, content_type="application/javascript"))
    agent = users["teleprospector"]
    make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550123")
    open_call_screen(page, live_server)
    expect(page.locator("#dialer .dialer-mode")).to_have_text("Browser")

    page.locator("#dial-button").click()

    # The browser asked for a token and connected the phone call the server recorded.
    expect(page.locator("body")).to_have_attribute("data-fake-connects", "1")
    phone_call_id = page.evaluate("window.fakeTwilio.connects[0].phone_call")
    assert page.evaluate("window.fakeTwilio.tokens[0].split('.').length") == 3
    # Twilio asks the voice URL and reports the lead's leg (what the real carrier would do now).
    twilio = app.test_client()
    browser_leg, lead_leg = "CA" + "1" * 32, "CA" + "2" * 32
    voice = signed_post(twilio, "/twilio/voice", {"CallSid": browser_leg, "From": f"client:agent-{agent.id}",
                                                  "phone_call": phone_call_id})
    assert b"<Number" in voice.data
    for status in ("ringing", "in-progress"):
        signed_post(twilio, f"/twilio/status?phone_call={phone_call_id}",
                    {"CallSid": lead_leg, "ParentCallSid": browser_leg, "CallStatus": status})
    expect(page.locator("#call-status")).to_have_text("Connected")

    page.get_by_role("group", name=re.compile("Keypad")).get_by_role("button", name="5").click()
    page.get_by_role("button", name="Mute").click()
    assert page.evaluate("window.fakeTwilio.digits") == ["5"]
    assert page.evaluate("window.fakeTwilio.muted") is True

    fake.queue(200, call_resource(browser_leg, "completed"), url_contains=f"/Calls/{browser_leg}.json")
    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#call-status")).to_have_text("Completed")
    assert page.evaluate("window.fakeTwilio.disconnects") == 1
    assert fake.last.data == {"Status": "completed"}
