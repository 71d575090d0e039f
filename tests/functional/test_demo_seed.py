"""`flask demo seed`: users for every role, campaigns, 200+ leads over US zones, the default guide; idempotent."""
from sqlalchemy import func, select

from console.auth.models import Role, User
from console.campaigns.models import Campaign
from console.extensions import db
from console.compliance.models import DoNotCallEntry
from console.handoffs.models import SlaPolicy
from console.leads.models import Lead


def test_seed_fills_an_empty_database_and_prints_the_logins(runner, app_context):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "agent@example.com" in result.output and "demo-password-1" in result.output
    assert set(db.session.scalars(select(User.role).distinct())) == set(Role.ALL)
    main = db.session.scalar(select(Campaign).where(Campaign.call_guide_id.is_not(None)).order_by(Campaign.priority.desc()))
    assert main.call_guide.published_version is not None
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.campaign_id == main.id)) >= 200
    zones = set(db.session.scalars(select(Lead.time_zones).distinct()))
    assert {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"} <= zones
    assert db.session.scalar(select(func.count(DoNotCallEntry.id))) >= 1


def test_seed_leaves_a_database_with_data_alone(runner, app_context):
    runner.invoke(args=["demo", "seed"])
    leads_before = db.session.scalar(select(func.count(Lead.id)))
    again = runner.invoke(args=["demo", "seed"])
    assert "demo seed skipped" in again.output and "agent@example.com" in again.output
    assert db.session.scalar(select(func.count(Lead.id))) == leads_before


def test_seed_puts_the_sales_members_in_one_team_with_a_manager_under_a_default_sla(runner, app_context):
    runner.invoke(args=["demo", "seed"])
    sales = db.session.scalars(select(User).where(User.role == Role.SALES)).all()
    assert {member.sales_team for member in sales} == {"East"}
    assert [member.email for member in sales if member.sales_manager] == ["sales@example.com"]
    assert db.session.scalars(select(SlaPolicy.campaign_id)).all() == [None]


def test_seed_writes_eight_weeks_of_history_down_to_revenue_objections_and_ratings(runner, app_context):
    from console.calls.models import Call
    from console.clock import utcnow
    from console.guides.models import CallObjection
    from console.handoffs.models import Handoff, Outcome, SlaBreach
    from console.outbox.models import OutboxEntry
    from console.telephony.models import PhoneCall

    runner.invoke(args=["demo", "seed"])
    today = utcnow().date()
    first = db.session.scalar(select(func.min(Call.started_at)))
    assert (today - first.date()).days >= 50
    # The past (the showcase hand-offs of the last days aside) happened on working days.
    days = {started.date() for started in db.session.scalars(select(Call.started_at))
            if (today - started.date()).days > 14}
    assert len(days) >= 25 and all(day.isoweekday() <= 5 for day in days)  # working days only
    assert db.session.scalar(select(func.count(Call.id))) >= 1000
    assert db.session.scalar(select(func.count(func.distinct(Call.agent_id)))) == 5
    # Every call has its leg on the simulated line, and only reached ones were answered.
    assert db.session.scalar(select(func.count(PhoneCall.id))) == db.session.scalar(select(func.count(Call.id)))
    assert db.session.scalar(select(func.count(PhoneCall.id)).join(Call, Call.id == PhoneCall.call_id).where(
        Call.disposition == "no_answer", PhoneCall.answered_at.is_not(None))) == 0
    assert db.session.scalar(select(func.count(CallObjection.id))) >= 100
    won, revenue = db.session.execute(select(func.count(Handoff.id), func.sum(Handoff.won_cents))
                                      .where(Handoff.outcome == Outcome.WON)).one()
    assert won >= 10 and revenue > 0
    assert db.session.scalar(select(func.count(Handoff.id)).where(Handoff.status == "rejected")) >= 10
    assert db.session.scalar(select(func.count(Handoff.id)).where(Handoff.rating.is_not(None))) >= 30
    assert db.session.scalar(select(func.count(SlaBreach.id))) >= 5
    # Past hand-offs were delivered in the past: only the present's messages wait for the worker.
    assert db.session.scalar(select(func.count(OutboxEntry.id))) < 60
    # Every opt-out on a past call is on the do-not-call list.
    opted_out = set(db.session.scalars(select(Lead.phone).join(Call, Call.lead_id == Lead.id)
                                       .where(Call.disposition == "do_not_call")))
    assert opted_out and opted_out <= set(db.session.scalars(select(DoNotCallEntry.phone)))
