"""The server's last word before a number is dialled: only a claimed, callable lead."""
from datetime import timedelta

import pytest

from console.clock import utcnow
from console.extensions import db
from console.leads.models import DoNotCallEntry
from console.queue import services


@pytest.fixture
def call(users, campaign, make_lead):
    make_lead(campaign)
    return services.claim_next_lead(users["teleprospector"])


def test_a_claimed_callable_lead_may_be_dialled(users, call):
    services.assert_dialable(call, users["teleprospector"])


def test_a_number_added_to_do_not_call_after_the_claim_is_refused_at_dial(users, call):
    db.session.add(DoNotCallEntry(phone=call.lead.phone, reason="opted out by email"))
    db.session.commit()
    with pytest.raises(services.NotDialable, match="do-not-call"):
        services.assert_dialable(call, users["teleprospector"])


def test_a_lapsed_claim_cannot_be_dialled(users, call):
    call.lead.claim_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(services.NotDialable, match="not claimed by you"):
        services.assert_dialable(call, users["teleprospector"])


def test_someone_elses_call_cannot_be_dialled(make_user, call):
    with pytest.raises(services.NotYourCall):
        services.assert_dialable(call, make_user())


def test_a_lead_out_of_attempts_is_refused(users, call):
    call.lead.attempts = call.lead.campaign.max_attempts
    db.session.commit()
    with pytest.raises(services.NotDialable, match="attempts used up"):
        services.assert_dialable(call, users["teleprospector"])
