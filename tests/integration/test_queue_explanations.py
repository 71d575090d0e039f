"""Why leads are or are not dialable: one lead, a campaign's breakdown, and the empty queue, in words and numbers."""
from datetime import time, timedelta

from console.clock import utcnow
from console.extensions import db
from console.leads import services as leads
from console.leads.rules import QueueState
from console.queue import services
from tests.builders import at_local


def test_a_lead_before_its_window_explains_the_local_time_and_when_it_opens(users, make_campaign, make_lead):
    campaign = make_campaign(calling_start=time(8), calling_end=time(21))
    lead = make_lead(campaign, phone="+13125550150", state="IL")
    explanation = services.explain_lead(lead, users["marketing"], now=at_local(7, 12, "America/Chicago"))
    assert not explanation.dialable
    assert explanation.problems[0].text == "outside calling window: 07:12 in America/Chicago, opens 08:00"
    assert explanation.opens_text == "08:00 Central"
    assert explanation.summary.startswith("Not dialable now: outside calling window")


def test_a_dialable_lead_says_so(users, campaign, make_lead):
    explanation = services.explain_lead(make_lead(campaign), users["teleprospector"])
    assert explanation.dialable and explanation.summary == "Dialable now."


def test_every_reason_is_listed_not_only_the_first(users, campaign, make_lead, list_number):
    lead = make_lead(campaign, time_zones="", attempts=campaign.max_attempts)
    list_number(lead.phone)
    codes = [problem.code for problem in services.explain_lead(lead, users["marketing"]).problems]
    assert codes == ["do_not_call", "attempts", "zone_unknown"]


def test_a_texas_lead_names_the_state_rule(users, make_campaign, make_lead):
    campaign = make_campaign(calling_start=time(8), calling_end=time(21))
    lead = make_lead(campaign, phone="+12145550150", state="TX")
    explanation = services.explain_lead(lead, users["marketing"], now=at_local(8, 30, "America/Chicago"))
    assert explanation.problems[0].text.endswith("opens 09:00 (Texas rule)")
    assert explanation.state_rule.name == "Texas"


def test_a_campaign_counts_n_of_m_dialable_with_the_reasons(users, make_campaign, make_lead, list_number):
    campaign = make_campaign(calling_start=time(8), calling_end=time(21))
    moment = at_local(7, 30, "America/Chicago")  # 08:30 in New York, 05:30 in Los Angeles
    make_lead(campaign, phone="+12125550101")  # New York: open
    make_lead(campaign, phone="+12125550102")
    make_lead(campaign, phone="+13125550103")  # Chicago: opens 08:00
    make_lead(campaign, phone="+14155550104")  # Los Angeles: opens 08:00 Pacific
    make_lead(campaign, phone="+12125550105", time_zones="")
    make_lead(campaign, phone="+12125550106", attempts=campaign.max_attempts)
    make_lead(campaign, phone="+12125550107", queue_state=QueueState.RETRY, next_call_at=moment + timedelta(hours=1))
    make_lead(campaign, phone="+12125550108", queue_state=QueueState.CLOSED)
    listed = make_lead(campaign, phone="+12125550109")
    list_number(listed.phone)

    breakdown = services.campaign_dialability(campaign, now=moment)
    counts = {reason.code: reason.count for reason in breakdown.reasons}
    assert (breakdown.dialable, breakdown.total) == (2, 9)
    assert counts == {"dialable": 2, "window": 2, "zone_unknown": 1, "attempts": 1, "waiting_retry": 1,
                      "closed": 1, "do_not_call": 1}
    assert dict(breakdown.window_openings) == {"08:00 Central": 1, "08:00 Pacific": 1}
    assert breakdown.next_retry_at == moment + timedelta(hours=1)


def test_the_dialable_count_agrees_with_the_campaign_breakdown(users, make_campaign, make_lead):
    campaign = make_campaign()
    for number in range(5):
        make_lead(campaign, phone=f"+1212555012{number}")
    make_lead(campaign, phone="+12125550130", time_zones="")
    agent = users["teleprospector"]
    assert services.count_dialable(agent) == services.campaign_dialability(campaign).dialable == 5
    assert services.count_dialable(agent, limit=3) == 3


def test_an_empty_queue_says_how_many_leads_wait_for_their_window_and_when_it_opens(users, make_campaign, make_lead):
    campaign = make_campaign(calling_start=time(8), calling_end=time(21))
    for number in range(12):
        make_lead(campaign, phone=f"+1312555{140 + number:04d}")
    make_lead(campaign, phone="+12125550150", queue_state=QueueState.RETRY,
              next_call_at=at_local(9, 0, "America/Chicago"))
    explanation = services.explain_empty_queue(users["teleprospector"], now=at_local(7, 0, "America/Chicago"))
    assert explanation.sentences[0] == "12 leads wait for the calling window to open at 08:00 Central."
    assert any(sentence.startswith("1 lead waits for its retry delay") for sentence in explanation.sentences)


def test_an_empty_queue_without_campaigns_says_so(users):
    assert services.explain_empty_queue(users["teleprospector"]).sentences == [
        "No campaign is active: marketing has not started one yet."]


def test_someone_elses_callback_is_explained_to_an_agent(users, make_user, campaign, make_lead):
    owner = make_user()
    make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=utcnow() - timedelta(minutes=1),
              callback_owner_id=owner.id, attempts=1)
    sentences = services.explain_empty_queue(users["teleprospector"]).sentences
    assert sentences == ["1 callback is reserved for other agents."]


def test_setting_a_leads_state_makes_its_zone_known(users, campaign, make_lead):
    lead = make_lead(campaign, phone="+18005550100", time_zones="", state=None)
    assert [p.code for p in services.explain_lead(lead, users["marketing"]).problems] == ["zone_unknown"]
    leads.set_location(lead, users["marketing"], state="IL", time_zones=["America/Chicago"])
    db.session.refresh(lead)
    assert lead.window_key == "America/Chicago|IL"
    assert lead.queue_rank is not None


def test_an_empty_queue_names_each_campaign_that_is_not_running_and_why(users, make_campaign, make_lead):
    today = utcnow().date()
    make_lead(make_campaign("Spring webinar", active=False))
    make_lead(make_campaign("Trade show", end_date=today - timedelta(days=2)))
    make_lead(make_campaign("Q1 launch", start_date=today + timedelta(days=5)))
    make_campaign("Old list", ended_at=utcnow() - timedelta(days=30))  # ended for good: not worth a word
    explanation = services.explain_empty_queue(users["teleprospector"])
    assert explanation.sentences == [  # by priority, then name
        f"No campaign is running: campaign Q1 launch starts on {today + timedelta(days=5):%Y-%m-%d}; campaign "
        f"Spring webinar is paused; campaign Trade show ended on {today - timedelta(days=2):%Y-%m-%d}."]
    assert explanation.campaigns == []


def test_an_empty_queue_explains_the_running_campaigns_leads_then_names_the_paused_one(
        users, make_campaign, make_lead):
    running = make_campaign("Running")
    make_lead(running, time_zones="")
    make_lead(make_campaign("Held back", active=False, priority=5))
    explanation = services.explain_empty_queue(users["teleprospector"])
    assert explanation.sentences == ["1 lead has no known time zone: set the state to call.",
                                     "Not running: campaign Held back is paused."]
    assert [breakdown.campaign.name for breakdown in explanation.campaigns] == ["Running"]


def test_a_paused_campaigns_breakdown_counts_every_lead_as_not_running_and_says_why(users, make_campaign, make_lead):
    campaign = make_campaign("Spring webinar", active=False)
    make_lead(campaign)
    make_lead(campaign, time_zones="")
    breakdown = services.campaign_dialability(campaign)
    assert {reason.code: reason.count for reason in breakdown.reasons} == {"dialable": 0, "campaign_paused": 2}
    assert breakdown.not_running.text == "campaign Spring webinar is paused"
    paused = next(reason for reason in breakdown.reasons if reason.code == "campaign_paused")
    assert paused.details == ["campaign Spring webinar is paused"]
