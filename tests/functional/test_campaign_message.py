"""What the campaign says, and the lead's values of the campaign's own fields, reach the agent on the call screen and
sales in the hand-off packet, labelled as the campaign labels them and escaped."""
import pytest

from console.calls import services as call_services
from console.queue.services import claim_next_lead

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}
FIELDS = [{"key": "fleet_size", "label": "Fleet size"}, {"key": "vendor", "label": "Current vendor"},
          {"key": "region", "label": "Region"}]


@pytest.fixture
def fleet_campaign(make_campaign):
    return make_campaign("Fleet webinar", message="Offer the <b>fleet</b> ROI study.\nThen book a demo.",
                         custom_fields=FIELDS)


@pytest.fixture
def fleet_lead(fleet_campaign, make_lead):
    return make_lead(fleet_campaign, first_name="Jordan", last_name="Rivera",
                     custom_fields={"vendor": "Acme <Fleet>", "fleet_size": "40", "retired_key": "not shown"})


def test_the_call_screen_shows_the_campaigns_message_and_the_leads_own_fields(client, auth, users, fleet_lead):
    auth.login("teleprospector@example.com")
    call_url = client.post("/queue/next", data={"csrf_token": auth.csrf_token()}).headers["Location"]
    page = client.get(call_url).get_data(as_text=True)
    message = page.split('id="campaign-message"')[1].split("</div>")[0]
    assert "<h2>Campaign message</h2>" in message
    assert "Offer the &lt;b&gt;fleet&lt;/b&gt; ROI study.\nThen book a demo." in message
    facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
    assert '<dt class="campaign-field">Fleet size</dt><dd class="campaign-field">40</dd>' in facts
    assert '<dt class="campaign-field">Current vendor</dt><dd class="campaign-field">Acme &lt;Fleet&gt;</dd>' in facts
    assert "Region" not in facts and "not shown" not in page  # no value; a key the campaign no longer has


def test_a_campaign_without_a_message_shows_none_on_the_call_screen(client, auth, users, campaign, make_lead):
    make_lead(campaign)
    auth.login("teleprospector@example.com")
    call_url = client.post("/queue/next", data={"csrf_token": auth.csrf_token()}).headers["Location"]
    page = client.get(call_url).get_data(as_text=True)
    assert 'id="campaign-message"' not in page and 'class="campaign-field"' not in page


def test_the_hand_off_packet_shows_sales_the_campaign_its_message_and_the_leads_own_fields(
        client, auth, users, fleet_lead):
    agent = users["teleprospector"]
    call = claim_next_lead(agent)
    for key, value in STRONG.items():
        call_services.save_answer(call, agent, key, value)
    handoff = call_services.record_disposition(call, agent, "qualified")
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    message = page.split('id="campaign-message"')[1].split("</div>")[0]
    assert "<strong>Fleet webinar</strong>" in message and "· webinar" in message
    assert "Offer the &lt;b&gt;fleet&lt;/b&gt; ROI study." in message
    fields = page.split('id="campaign-fields"')[1].split("</dl>")[0]
    assert "<dt>Fleet size</dt><dd>40</dd>" in fields and "<dt>Current vendor</dt><dd>Acme &lt;Fleet&gt;</dd>" in fields
