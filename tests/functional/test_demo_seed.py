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
