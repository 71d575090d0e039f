"""Claiming the next lead against a real database: one lead, one agent, only dialable leads, fixed order."""
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta

from sqlalchemy import select

from console.calls.services import record_disposition
from console.queue import services
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.extensions import db
from console.leads.models import DoNotCallEntry, Lead, QueueState


def test_an_agent_gets_one_lead_and_an_open_call_on_it(users, campaign, make_lead):
    lead = make_lead(campaign)
    call = services.claim_next_lead(users["teleprospector"])
    assert call.lead_id == lead.id
    assert call.status == CallStatus.OPEN
    assert call.guide_version_id == campaign.call_guide.published_version_id
    db.session.refresh(lead)
    assert lead.claimed_by_id == users["teleprospector"].id
    assert lead.claim_expires_at > utcnow()


def test_asking_again_returns_the_lead_the_agent_already_holds(users, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign)
    first = services.claim_next_lead(users["teleprospector"])
    second = services.claim_next_lead(users["teleprospector"])
    assert first.id == second.id


def test_two_agents_never_get_the_same_lead(users, make_user, campaign, make_lead):
    make_lead(campaign)
    other = make_user()
    first = services.claim_next_lead(users["teleprospector"])
    second = services.claim_next_lead(other)
    assert first is not None
    assert second is None


def test_many_agents_claiming_at_once_never_share_a_lead(app, make_user, campaign, make_lead):
    for _ in range(12):
        make_lead(campaign)
    agent_ids = [make_user().id for _ in range(16)]

    def claim(agent_id):
        with app.app_context():
            from console.auth.models import User

            call = services.claim_next_lead(db.session.get(User, agent_id))
            lead_id = call.lead_id if call else None
            db.session.remove()
            return lead_id

    with ThreadPoolExecutor(max_workers=16) as pool:
        claimed = [lead_id for lead_id in pool.map(claim, agent_ids) if lead_id is not None]
    assert len(claimed) == 12
    assert len(set(claimed)) == 12
    db.session.rollback()  # read what the threads committed, not this session's old snapshot
    holders = db.session.execute(select(Lead.claimed_by_id).where(Lead.claimed_by_id.is_not(None))).scalars().all()
    assert len(set(holders)) == 12


def test_a_lead_on_the_do_not_call_list_is_never_claimed(users, campaign, make_lead):
    lead = make_lead(campaign)
    db.session.add(DoNotCallEntry(phone=lead.phone, reason="opted out"))
    db.session.commit()
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_campaign_do_not_call_entry_blocks_only_that_campaign(users, make_campaign, make_lead):
    first, second = make_campaign(), make_campaign()
    blocked = make_lead(first, phone="+13125550111")
    allowed = make_lead(second, phone="+13125550111")
    db.session.add(DoNotCallEntry(phone=blocked.phone, campaign_id=first.id, reason="campaign opt-out"))
    db.session.commit()
    assert services.claim_next_lead(users["teleprospector"]).lead_id == allowed.id


def test_a_lead_outside_its_calling_window_is_not_claimed(users, make_campaign, make_lead):
    now_new_york = utcnow().replace(tzinfo=None)
    # A campaign whose hours are closed right now in New York (a one-minute window two hours away).
    from zoneinfo import ZoneInfo
    from datetime import UTC

    local = now_new_york.replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    opens = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    closed_campaign = make_campaign(calling_start=opens, calling_end=(
        local + timedelta(hours=2, minutes=1)).time().replace(second=0, microsecond=0))
    make_lead(closed_campaign)
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_lead_with_an_unknown_time_zone_is_not_claimed(users, campaign, make_lead):
    make_lead(campaign, time_zones="")
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_lead_out_of_attempts_is_not_claimed(users, campaign, make_lead):
    make_lead(campaign, attempts=campaign.max_attempts)
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_retry_is_not_claimed_before_its_delay_has_passed(users, campaign, make_lead):
    make_lead(campaign, queue_state=QueueState.RETRY, next_call_at=utcnow() + timedelta(minutes=30))
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_someone_elses_callback_is_not_offered_to_me(users, make_user, campaign, make_lead):
    owner = make_user()
    make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=utcnow() - timedelta(minutes=1),
              callback_owner_id=owner.id)
    assert services.claim_next_lead(users["teleprospector"]) is None
    assert services.claim_next_lead(owner) is not None


def test_queue_order_is_callbacks_then_inbound_then_retries_then_new(users, campaign, make_lead):
    agent = users["teleprospector"]
    past = utcnow() - timedelta(minutes=5)
    new = make_lead(campaign)
    retry = make_lead(campaign, queue_state=QueueState.RETRY, next_call_at=past)
    inbound = make_lead(campaign, inbound=True)
    anyones_callback = make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=past)
    my_callback = make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=past, callback_owner_id=agent.id)

    order = []
    for _ in range(5):
        call = services.claim_next_lead(agent)
        order.append(call.lead_id)
        record_disposition(call, agent, "not_interested")
    assert order == [my_callback.id, anyones_callback.id, inbound.id, retry.id, new.id]


def test_higher_priority_campaigns_and_higher_scores_come_first(users, make_campaign, make_lead):
    agent = users["teleprospector"]
    low, high = make_campaign(priority=1), make_campaign(priority=9)
    low_lead = make_lead(low, score=90)
    high_cool = make_lead(high, score=10)
    high_hot = make_lead(high, score=80)
    order = []
    for _ in range(3):
        call = services.claim_next_lead(agent)
        order.append(call.lead_id)
        record_disposition(call, agent, "not_interested")
    assert order == [high_hot.id, high_cool.id, low_lead.id]


def test_a_lapsed_claim_returns_the_lead_to_the_queue(users, make_user, campaign, make_lead):
    lead = make_lead(campaign)
    first_call = services.claim_next_lead(users["teleprospector"])
    lead = db.session.get(Lead, lead.id)
    lead.claim_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    other = make_user()
    second_call = services.claim_next_lead(other)
    assert second_call.lead_id == lead.id
    assert db.session.get(Call, first_call.id).status == CallStatus.ABANDONED
    assert services.current_call(users["teleprospector"]) is None


def test_inactive_campaigns_are_not_worked(users, make_campaign, make_lead):
    make_lead(make_campaign(active=False))
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_the_dialable_count_matches_what_can_be_claimed(users, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign, time_zones="")
    make_lead(campaign, attempts=99)
    assert services.count_dialable(users["teleprospector"]) == 1


def test_campaign_hours_are_read_in_the_leads_local_time(users, make_campaign, make_lead):
    # Around the clock for the campaign still means 08:00–21:00 for the lead.
    campaign = make_campaign(calling_start=time(0, 0), calling_end=time(23, 59))
    make_lead(campaign, phone="+18085550142")  # Honolulu
    from console.leads.rules import check_calling_window

    expected_open = check_calling_window(["Pacific/Honolulu"], utcnow(), time(0), time(23, 59)).open
    assert (services.claim_next_lead(users["teleprospector"]) is not None) == expected_open
