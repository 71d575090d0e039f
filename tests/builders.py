"""Builders for the records tests need, as fixtures: real rows in the real database, via the services."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.auth import services as auth_services
from console.auth.models import Role
from console.clock import utcnow
from console.campaigns.models import Campaign
from console.extensions import db
from console.guides import services as guide_services
from console.leads import services as leads
from console.leads.models import Account
from console.compliance.rules import zones_for_phone

TEST_PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def next_weekday_at(hour_utc: int, weekday: int = 2) -> datetime:
    """Naive UTC at hour_utc:00 on the coming ISO weekday (after today)."""
    day = utcnow().date() + timedelta(days=1)
    while day.isoweekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour_utc)


def at_local(hour: int, minute: int, zone: str, weekday: int = 2) -> datetime:
    """Naive UTC for hour:minute local time in `zone` on the coming ISO weekday."""
    local = next_weekday_at(0, weekday).replace(hour=hour, minute=minute, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def winter_day_ahead():
    """A coming 15th of December, January or February (New York then on EST, 5 h behind UTC): a date a callback
    may be set for (within console.calls.rules.MAX_CALLBACK_AHEAD), on whatever day the suite runs."""
    day = utcnow().date() + timedelta(days=2)
    while not (day.day == 15 and day.month in (12, 1, 2)):
        day += timedelta(days=1)
    return day


@pytest.fixture
def make_user(app_context):
    def make(role: str = Role.TELEPROSPECTOR, email: str | None = None, full_name: str = "", password: str = TEST_PASSWORD):
        user = auth_services.create_user(email or f"{role}{next(_sequence)}@example.com",
                                         full_name or f"Test {role.title()}", role, password)
        db.session.commit()
        return user

    return make


@pytest.fixture
def users(make_user):
    """One user for each role, keyed by role."""
    return {role: make_user(role, email=f"{role}@example.com", full_name=f"{role.title()} Person") for role in Role.ALL}


@pytest.fixture
def default_guide(app_context):
    guide, _version = guide_services.sync_file(guide_services.GUIDES_DIR / "default-b2b.yaml")
    db.session.commit()
    return guide


@pytest.fixture
def make_campaign(app_context, default_guide):
    def make(name: str | None = None, **overrides):
        # Open around the clock by default so tests do not depend on the hour they run at;
        # calling-window tests set the hours they are about.
        values = dict(name=name or f"Campaign {next(_sequence)}", source="webinar", priority=0,
                      calling_start=time(0, 0), calling_end=time(23, 59), call_guide=default_guide)
        values.update(overrides)
        campaign = Campaign(**values)
        db.session.add(campaign)
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def campaign(make_campaign):
    return make_campaign("Main campaign")


@pytest.fixture
def make_lead(app_context):
    def make(campaign, phone: str | None = None, **overrides):
        number = next(_sequence)
        phone = phone or f"+1212555{number % 10000:04d}"
        account = Account(name=overrides.pop("company", f"Company {number}"), industry="Software", employees=200)
        values = dict(campaign=campaign, account=account, first_name="Pat", last_name=f"Lead{number}",
                      title="VP Sales", buying_role="decision maker", email=f"lead{number}@example.com",
                      phone=phone, time_zones=",".join(zones_for_phone(phone)), state="NY")
        values.update(overrides)
        lead = leads.create_lead(**values)
        db.session.commit()
        return lead

    return make


@pytest.fixture
def change_lead(app_context):
    """Change a lead's facts as time or another writer would have left them, its queue columns kept right.

    For arranging a test (a hold that lapsed, attempts used up); the product changes
    leads only through console.leads.services.
    """
    def change(lead, **facts):
        for name, value in facts.items():
            setattr(lead, name, value)
        leads.refresh_queue_columns(lead)
        db.session.commit()
        return lead

    return change


@pytest.fixture
def answer_lead(app_context):
    """Give a lead qualification answers as a call saves them, and its score with the lead definition in force
    (console.calls.services.save_answer without the call)."""
    from console.calls.models import QualificationAnswer
    from console.calls.services import score_lead
    from console.scoring.rules import stored_score
    from console.scoring.services import current_model

    def answer(lead, **answers):
        for criterion, value in answers.items():
            db.session.add(QualificationAnswer(lead_id=lead.id, criterion=criterion, value=value))
        db.session.flush()
        result = score_lead(lead, current_model(lead.campaign_id))
        leads.set_score(lead, *stored_score(result), result.model_version)
        db.session.commit()
        return result

    return answer


# The answers that qualify a lead under the shipped lead definition (hot, 100 points).
STRONG_ANSWERS = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


@pytest.fixture
def qualify(users, make_lead):
    """A hand-off as the console makes one: a new lead of `campaign` (with these lead fields) claimed by the agent
    (the world's teleprospector unless given), answered with STRONG_ANSWERS and dispositioned Qualified."""
    from console.calls import services as call_services
    from console.queue.services import claim_next_lead

    def make(campaign, agent=None, **lead_fields):
        agent = agent or users[Role.TELEPROSPECTOR]
        make_lead(campaign, **lead_fields)
        call = claim_next_lead(agent)
        for criterion, value in STRONG_ANSWERS.items():
            call_services.save_answer(call, agent, criterion, value)
        return call_services.record_disposition(call, agent, "qualified")

    return make


@pytest.fixture
def list_number(app_context):
    """Put a number on the do-not-call list as the console does (console.leads.services.add_to_do_not_call)."""
    def add(phone: str, *, campaign_id: int | None = None, reason: str = "opted out"):
        entry = leads.add_to_do_not_call(phone, campaign_id=campaign_id, reason=reason)
        db.session.commit()
        return entry

    return add

    return make


@pytest.fixture
def fake_twilio(app, monkeypatch):
    """Twilio configured, with the real twilio package talking to a fake HTTP transport (no network)."""
    from console.telephony.testing import FakeTwilioHttp, twilio_config

    fake = FakeTwilioHttp()
    for key, value in twilio_config(fake).items():
        monkeypatch.setitem(app.config, key, value)
    return fake
