"""The server's last word before a number is dialled: only a claimed, callable lead."""
from datetime import timedelta

import pytest

from console.clock import utcnow
from console.extensions import db
from console.calls.errors import NotDialable, NotYourCall
from console.compliance.models import DoNotCallEntry
from console.queue import services


@pytest.fixture
def call(users, campaign, make_lead):
    make_lead(campaign)
    return services.claim_next_lead(users["teleprospector"])


def test_a_claimed_callable_lead_may_be_dialled(users, call):
    services.assert_dialable(call, users["teleprospector"])


def test_a_number_added_to_do_not_call_after_the_claim_is_refused_at_dial(users, call, list_number):
    list_number(call.lead.phone, reason="opted out by email")
    with pytest.raises(NotDialable, match="do-not-call"):
        services.assert_dialable(call, users["teleprospector"])


def test_a_lapsed_claim_cannot_be_dialled(users, call, change_lead):
    change_lead(call.lead, claim_expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(NotDialable, match="not claimed by you"):
        services.assert_dialable(call, users["teleprospector"])


def test_someone_elses_call_cannot_be_dialled(make_user, call):
    with pytest.raises(NotYourCall):
        services.assert_dialable(call, make_user())


def test_a_lead_out_of_attempts_is_refused(users, call, change_lead):
    change_lead(call.lead, attempts=call.lead.campaign.max_attempts)
    with pytest.raises(NotDialable, match="attempts used up"):
        services.assert_dialable(call, users["teleprospector"])


def test_a_lead_whose_campaign_narrowed_its_hours_after_the_claim_is_refused_at_dial(users, call):
    from datetime import time

    campaign = call.lead.campaign
    campaign.calling_start, campaign.calling_end = time(8), time(8, 1)  # closed at nearly every minute of the day
    db.session.commit()
    moment = utcnow().replace(hour=3, minute=0)  # 22:00 or 23:00 the day before in New York
    with pytest.raises(NotDialable, match="outside calling window"):
        services.assert_dialable(call, users["teleprospector"], now=moment)


def test_a_state_rule_is_applied_at_dial_time_too(users, call, change_lead):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    change_lead(call.lead, state="TX", time_zones="America/Chicago")
    today = utcnow().date()
    half_past_eight = datetime(today.year, today.month, today.day, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
    if half_past_eight.isoweekday() == 7:
        half_past_eight += timedelta(days=1)
    moment = half_past_eight.astimezone(UTC).replace(tzinfo=None)
    with pytest.raises(NotDialable, match=r"opens 09:00 \(Texas rule\)"):
        services.assert_dialable(call, users["teleprospector"], now=moment)


def test_the_dial_guard_reads_the_list_itself_not_only_the_flag(users, call):
    db.session.execute(DoNotCallEntry.__table__.insert().values(phone=call.lead.phone, reason="imported",
                                                                added_at=utcnow()))
    db.session.commit()
    with pytest.raises(NotDialable, match="do-not-call"):
        services.assert_dialable(call, users["teleprospector"])
