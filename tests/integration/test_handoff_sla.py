"""SLA clocks on the real database: a hand-off keeps the policy in force when it is made (the campaign's own, else
the default, else the built-in one), policies are validated and audited, a breach is recorded exactly once however
often and however concurrently the check runs, and its escalations ride in the breach's own transaction."""
from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.auth.models import Role
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs import jobs, sla_services
from console.handoffs.models import Handoff, HandoffStatus, SlaBreach, SlaPolicy
from console.handoffs.sla import DEFAULTS, Clock
from console.outbox import services as outbox
from console.outbox.models import OutboxEntry
from console.outbox.rules import Status
from console.outbox.worker import Worker

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN




def values(**overrides) -> sla_services.PolicyValues:
    base = dict(requires_review=False, handover_minutes=60, accept_minutes=120, first_contact_minutes=480,
                amber_percent=75, time_zone="America/New_York", day_start=time(9), day_end=time(17),
                work_days=[1, 2, 3, 4, 5], holiday_country="US", holiday_subdivision="")
    return sla_services.PolicyValues(**{**base, **overrides})


def released_long_ago(handoff: Handoff, days: int = 20) -> Handoff:
    with writers.write_transaction(db.session):
        handoff = db.session.get(Handoff, handoff.id)
        handoff.created_at = handoff.released_at = utcnow() - timedelta(days=days)
    return handoff


def breaches() -> list[tuple[int, str]]:
    return list(db.session.execute(select(SlaBreach.handoff_id, SlaBreach.clock).order_by(SlaBreach.id)).tuples())


def messages(prefix: str) -> list[OutboxEntry]:
    return list(db.session.scalars(select(OutboxEntry).where(OutboxEntry.dedupe_key.like(f"{prefix}%"))
                                   .order_by(OutboxEntry.id)))


# ---------------------------------------------------------------- policies and snapshots

def test_a_hand_off_keeps_the_built_in_policy_when_none_is_set_and_is_released_to_sales_at_once(campaign, qualify):
    handoff = qualify(campaign)
    assert handoff.sla == DEFAULTS
    assert handoff.released_at is not None and abs(handoff.released_at - handoff.created_at) < timedelta(seconds=5)


def test_a_campaign_s_own_policy_wins_over_the_default_and_going_back_removes_it(users, campaign, make_campaign,
                                                                                  qualify):
    sla_services.save_policy(users[A], None, values(accept_minutes=90))
    sla_services.save_policy(users[M], campaign.id, values(accept_minutes=30, holiday_country="gb",
                                                           holiday_subdivision="eng", time_zone="Europe/London"))
    other = make_campaign("Other")
    assert sla_services.snapshot(other.id)["accept_minutes"] == 90
    own = sla_services.snapshot(campaign.id)
    assert (own["accept_minutes"], own["holiday_country"], own["holiday_subdivision"]) == (30, "GB", "ENG")
    assert qualify(campaign).sla["accept_minutes"] == 30
    assert sla_services.use_default(users[M], campaign.id) is True
    assert sla_services.snapshot(campaign.id)["accept_minutes"] == 90
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("sla.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["sla.policy_saved", "sla.policy_saved", "sla.policy_removed"]


def test_a_policy_with_problems_is_refused_with_each_one_and_saves_nothing(users):
    with pytest.raises(sla_services.PolicyInvalid) as refused:
        sla_services.save_policy(users[A], None, values(accept_minutes=0, time_zone="Mars/Olympus",
                                                        day_start=time(17), day_end=time(9), work_days=[],
                                                        holiday_country="XX", amber_percent=100))
    assert set(refused.value.problems) == {"accept_minutes", "time_zone", "day_end", "work_days", "holiday_country",
                                           "amber_percent"}
    assert db.session.scalar(select(func.count(SlaPolicy.id))) == 0


def test_a_sales_member_is_put_in_a_team_as_its_manager_and_it_is_audited(users, make_user):
    sla_services.save_sales_team(users[A], users[S], "East", True)
    assert (users[S].sales_team, users[S].sales_manager) == ("East", True)
    with pytest.raises(sla_services.PolicyInvalid):
        sla_services.save_sales_team(users[A], users[S], "", True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.sales_team_changed")).one()
    assert event.detail["after"] == {"sales_team": "East", "sales_manager": True}


# ---------------------------------------------------------------- breaches

def test_an_overdue_clock_is_recorded_once_however_often_the_check_runs(users, campaign, qualify, make_user):
    manager = make_user(S, email="boss@example.com")
    sla_services.save_sales_team(users[A], manager, "East", True)
    member = db.session.get(type(users[S]), qualify(campaign).assigned_to_id)
    sla_services.save_sales_team(users[A], member, "East", member.id == manager.id)
    handoff = released_long_ago(db.session.scalars(select(Handoff)).one())
    first = sla_services.check_breaches()
    second = sla_services.check_breaches()
    assert first == {"overdue": 2, "recorded": 2} and second == {"overdue": 0, "recorded": 0}
    assert breaches() == [(handoff.id, Clock.ACCEPT), (handoff.id, Clock.FIRST_CONTACT)]
    notices = messages(f"sla.breached:{handoff.id}:accept:notification")
    escalated_to = {user_id for notice in notices for user_id in notice.payload["user_ids"]}
    expected = {users[M].id} | ({manager.id} if member.id != manager.id else {users[A].id})
    assert escalated_to == expected
    # Marketing cannot open a packet: its notice links to the campaign's SLA tab.
    by_page = {notice.dedupe_key.rsplit(":", 1)[1]: notice.payload for notice in notices}
    assert by_page["campaign"]["user_ids"] == [users[M].id]
    assert by_page["campaign"]["url"] == f"/sla/campaigns/{campaign.id}"
    assert by_page["packet"]["url"] == f"/handoffs/{handoff.id}"
    emails = messages(f"sla.breached:{handoff.id}:accept:email")
    assert sorted(entry.payload["to"] for entry in emails) == sorted(
        user.email for user in db.session.scalars(select(type(users[S])).where(type(users[S]).id.in_(expected))))


def test_a_sales_clock_of_a_member_without_a_team_manager_goes_to_the_admins_and_marketing(users, campaign, qualify,
                                                                                          webhook_endpoint):
    handoff = released_long_ago(qualify(campaign))
    sla_services.check_breaches()
    notices = messages(f"sla.breached:{handoff.id}:accept:notification")
    assert {user_id for notice in notices for user_id in notice.payload["user_ids"]} == {users[A].id, users[M].id}
    hook = messages(f"sla.breached:{handoff.id}:accept:endpoint")[0]
    assert hook.payload["event"] == "handoff.sla_breached" and hook.payload["data"]["clock"] == "accept"


@pytest.fixture
def webhook_endpoint(users):
    return outbox.save_endpoint(None, users[A], name="CRM", url="https://crm.example.com/hooks")


def test_a_clock_not_yet_due_or_already_stopped_records_nothing(users, campaign, qualify):
    fresh = qualify(campaign)
    decided = released_long_ago(qualify(campaign))
    with writers.write_transaction(db.session):
        decided = db.session.get(Handoff, decided.id)
        decided.status, decided.decided_at = HandoffStatus.REJECTED, decided.released_at + timedelta(minutes=5)
    assert sla_services.check_breaches() == {"overdue": 0, "recorded": 0}
    assert breaches() == [] and fresh.id


def test_the_escalation_fails_with_the_breach_and_the_breach_with_the_escalation(users, campaign, qualify,
                                                                                   monkeypatch):
    handoff = released_long_ago(qualify(campaign))

    def broken(*_args, **_kwargs):
        raise RuntimeError("the outbox is unwell")

    monkeypatch.setattr(outbox, "webhook", broken)
    with pytest.raises(RuntimeError):
        sla_services.record_breach(handoff.id, Clock.ACCEPT)
    db.session.rollback()
    assert breaches() == [] and messages("sla.breached") == []


def test_two_workers_recording_one_breach_at_once_record_it_once(app, users, campaign, qualify):
    handoff_id = released_long_ago(qualify(campaign)).id
    db.session.remove()
    barrier = threading.Barrier(2)
    results, failures = [], []

    def record():
        with app.app_context():
            try:
                barrier.wait()
                results.append(sla_services.record_breach(handoff_id, Clock.ACCEPT) is not None)
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(results) == [False, True]
    assert breaches() == [(handoff_id, Clock.ACCEPT)]
    assert len(messages(f"sla.breached:{handoff_id}:accept:notification")) == 2  # packet readers, marketing


def test_marketing_s_clock_runs_only_under_a_review_policy_and_escalates_to_marketing_and_admins(users, campaign,
                                                                                                   qualify):
    handoff = qualify(campaign)
    with writers.write_transaction(db.session):
        handoff = db.session.get(Handoff, handoff.id)
        handoff.status, handoff.released_at = HandoffStatus.REVIEW, None
        handoff.created_at = utcnow() - timedelta(days=20)
        handoff.sla = {**DEFAULTS, "requires_review": True}
    sla_services.check_breaches()
    assert breaches() == [(handoff.id, Clock.HANDOVER)]
    notices = messages(f"sla.breached:{handoff.id}:handover:notification")
    assert {user_id for notice in notices for user_id in notice.payload["user_ids"]} == {users[M].id, users[A].id}


# ---------------------------------------------------------------- the periodic job

def test_the_periodic_check_is_queued_once_a_slot_however_many_workers_ask(app_context):
    now = utcnow()
    outbox.schedule_periodic(now)
    outbox.schedule_periodic(now + timedelta(seconds=1))
    runs = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == jobs.SLA_CHECK)).all()
    assert len(runs) == 1
    next_slot = outbox.schedule_periodic(now + timedelta(seconds=61))  # the first run still waits: not doubled
    assert db.session.scalar(select(func.count(OutboxEntry.id)).where(OutboxEntry.kind == jobs.SLA_CHECK)) == 1
    assert next_slot > now


def test_finished_periodic_runs_are_kept_a_day_then_go_and_nothing_else_does(app_context):
    now = utcnow()
    for hours_ago, status, key in ((30, Status.DONE, "periodic:old"), (2, Status.DONE, "periodic:recent"),
                                   (30, Status.DEAD, "periodic:dead"), (30, Status.DONE, None)):
        db.session.add(OutboxEntry(family="job", kind=jobs.SLA_CHECK, payload={}, dedupe_key=key, status=status,
                                   available_at=now - timedelta(hours=hours_ago)))
    db.session.commit()
    outbox.schedule_periodic(now)
    kept = db.session.scalars(select(OutboxEntry.dedupe_key).where(OutboxEntry.kind == jobs.SLA_CHECK)
                              .order_by(OutboxEntry.id)).all()
    assert kept[:3] == ["periodic:recent", "periodic:dead", None] and len(kept) == 4  # and this slot's new run


def test_the_worker_runs_the_queued_check_and_it_records_the_breaches(app, users, campaign, qualify):
    handoff = released_long_ago(qualify(campaign))
    outbox.schedule_periodic()
    Worker(app).run(once=True)
    run = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == jobs.SLA_CHECK)).one()
    assert run.status == Status.DONE and run.result == {"overdue": 2, "recorded": 2}
    assert breaches() == [(handoff.id, Clock.ACCEPT), (handoff.id, Clock.FIRST_CONTACT)]
