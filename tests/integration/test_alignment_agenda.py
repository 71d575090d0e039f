"""The alignment meeting's agenda on a small fixed data set: every section, decisions carried into the next
meeting, and the agenda sent through the outbox in the meeting's own transaction."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from console.audit.models import AuditEvent
from console.auth.models import Role
from console.calls import services as calls
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.extensions import db
from console.guides import services as guides
from console.handoffs.models import Handoff, HandoffStatus, Outcome, RejectionKind, SlaBreach
from console.outbox.models import OutboxEntry
from console.reports import agenda as meetings
from console.scoring import rules as scoring_rules
from console.scoring import services as scoring

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
BEFORE = datetime(2026, 11, 8, 10, 0)  # in the previous period (the suite's clock is 2026-11-18)


def plan(users, held_on, start, end, *, participants=(M,)):
    return meetings.create_meeting(users[M], held_on=held_on, period_start=start, period_end=end,
                                   sales_participant_id=users[S].id, participant_ids=[users[r].id for r in participants])


@pytest.fixture
def period_facts(qualify, campaign, users, default_guide, make_lead):
    """Five hand-offs (four made this period, one the period before) and what became of them."""
    made = [qualify(campaign) for _ in range(5)]
    now = utcnow()

    def change(handoff, **values):
        db.session.execute(update(Handoff).where(Handoff.id == handoff.id).values(**values))

    change(made[0], status=HandoffStatus.ACCEPTED, decided_at=now, outcome=Outcome.WON, outcome_at=now,
           won_cents=250_000, rating=5, rated_at=now)
    change(made[1], status=HandoffStatus.REJECTED, decided_at=now, rejection_kind=RejectionKind.DEFINITIONAL,
           rejection_reason="No budget this year")
    change(made[2], status=HandoffStatus.ACCEPTED, decided_at=now, rating=1, rating_comment="Wrong person entirely",
           rated_at=now)
    change(made[4], created_at=BEFORE, status=HandoffStatus.ACCEPTED, decided_at=BEFORE, outcome=Outcome.WON,
           outcome_at=BEFORE, won_cents=100_000)
    db.session.execute(update(Call).where(Call.id == made[4].call_id).values(started_at=BEFORE))
    db.session.add_all([
        SlaBreach(handoff_id=made[3].id, clock="accept", side="sales", due_at=now, breached_at=now,
                  campaign_id=campaign.id, assigned_to_id=made[3].assigned_to_id),
        SlaBreach(handoff_id=made[4].id, clock="handover", side="marketing", due_at=BEFORE, breached_at=BEFORE,
                  campaign_id=campaign.id),
    ])
    # an objection whose response did not work, on a call that was not qualified (a fifth dial this period)
    call = Call(lead=make_lead(campaign), campaign_id=campaign.id, agent=users[T],
                guide_version=default_guide.published_version, status=CallStatus.OPEN)
    db.session.add(call)
    db.session.commit()
    calls.mark_objection(call, users[T], "too-expensive", "failed")
    call.disposition, call.status = "not_interested", CallStatus.COMPLETED
    db.session.commit()
    return made


def test_the_agenda_shows_every_section_for_its_period(period_facts, users, default_guide):
    latest = guides.latest_version(default_guide)
    content = dict(latest.content, objections=[dict(item, response="Compare it with doing nothing.")
                                               if item["id"] == "too-expensive" else item
                                               for item in latest.content["objections"]])
    guides.save_draft(default_guide, content, author=users[S], base_number=latest.number)
    guides.publish(default_guide, latest.number + 1, actor=users[S])
    db.session.commit()
    model = scoring_rules.model_to_dict(scoring_rules.SHIPPED_MODEL)
    model["criteria"][0]["options"][1]["points"] = 20
    proposal = scoring.propose(users[M], campaign_id=None, model=model, glossary={}, note="Planned budgets win",
                               submit=True)
    earlier = plan(users, date(2026, 11, 5), date(2026, 10, 29), date(2026, 11, 4))
    meeting = plan(users, date(2026, 11, 19), date(2026, 11, 12), date(2026, 11, 18))

    content = meetings.agenda(meeting)

    assert (content.previous_start, content.previous_end) == (date(2026, 11, 5), date(2026, 11, 11))
    assert {figure.label: (figure.now, figure.before) for figure in content.figures} == {
        "Dials": (5, 1), "Qualified": (4, 1), "Handed over": (4, 1), "Accepted by sales": (2, 1), "Won": (1, 1),
        "Won revenue": (250_000, 100_000)}
    assert content.rejected_total == 1
    [rejected] = content.rejected
    assert (rejected.kind, rejected.reason) == ("Does not meet the definition", "No budget this year")
    assert content.rejected_by_kind == [("Does not meet the definition", 1)]
    breaches = {item.clock: (item.side, item.now, item.before) for item in content.breaches}
    assert breaches == {"Hand over": ("marketing", 0, 1), "Accept or reject": ("sales", 1, 0),
                        "First contact": ("sales", 0, 0)}
    [losing] = content.losing_objections
    assert (losing.objection_id, losing.stats.used, losing.stats.failed) == ("too-expensive", 1, 1)
    assert [(item.rating, item.comment) for item in content.lowest_rated] == [(1, "Wrong person entirely"), (5, "")]
    assert content.last_meeting == earlier and content.changes_since == date(2026, 11, 5)
    assert any(change.kind == "guide" and f"version {latest.number + 1}" in change.what for change in content.changes)
    assert [version.id for version in content.open_proposals] == [proposal.id]
    assert content.carried == [] and content.recorded == []


def test_open_decisions_are_carried_into_every_later_agenda_until_done(users):
    first = plan(users, date(2026, 10, 20), date(2026, 10, 6), date(2026, 10, 19))
    kept_open = meetings.add_decision(users[M], first.id, text="Fix the import mapping", owner_id=users[M].id,
                                      due_on=None)
    done_early = meetings.add_decision(users[M], first.id, text="Share the calendar", owner_id=users[S].id,
                                       due_on=date(2026, 10, 30))
    meetings.mark_done(users[M], done_early.id)
    second = plan(users, date(2026, 11, 5), date(2026, 10, 20), date(2026, 11, 4))
    open_then_done = meetings.add_decision(users[M], second.id, text="Call web leads within the hour",
                                           owner_id=users[S].id, due_on=date(2026, 11, 12))
    finished = meetings.add_decision(users[M], second.id, text="Shorter pricing answer", owner_id=users[S].id,
                                     due_on=None)
    meetings.mark_done(users[M], finished.id)
    third = plan(users, date(2026, 11, 19), date(2026, 11, 5), date(2026, 11, 18))

    carried = meetings.agenda(third).carried
    assert [item.id for item in carried] == [kept_open.id, open_then_done.id, finished.id]
    assert carried[1].owner == users[S] and carried[2].done_at is not None
    assert [item.id for item in meetings.agenda(second).carried] == [kept_open.id, done_early.id]

    meetings.mark_done(users[M], kept_open.id)
    assert [item.id for item in meetings.agenda(third).carried] == [open_then_done.id, finished.id]
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("alignment.%"))))
    assert actions == {"alignment.meeting_created", "alignment.decision_recorded", "alignment.decision_done"}


def test_the_rotating_seat_goes_to_the_sales_manager_seated_longest_ago(users, make_user):
    from console.auth import services as accounts
    from console.database import writers
    manager = make_user(S, email="manager-east@example.com", full_name="Avery East")
    with writers.write_transaction(db.session):
        accounts.set_sales_team(manager, "east", True)
    assert meetings.next_sales_seat() == manager.id
    meetings.create_meeting(users[M], held_on=date(2026, 11, 5), period_start=date(2026, 10, 1),
                            period_end=date(2026, 11, 4), sales_participant_id=manager.id, participant_ids=[])
    other = make_user(S, email="manager-west@example.com", full_name="Blake West")
    with writers.write_transaction(db.session):
        accounts.set_sales_team(other, "west", True)
    assert meetings.next_sales_seat() == other.id


def _emails():
    return db.session.execute(select(OutboxEntry.payload).where(OutboxEntry.kind == "email",
                                                                OutboxEntry.dedupe_key.like("alignment.agenda:%"))
                              ).scalars().all()


def test_sending_the_agenda_writes_one_email_a_participant_and_a_second_click_sends_nothing(users):
    meeting = plan(users, date(2026, 11, 19), date(2026, 11, 12), date(2026, 11, 18), participants=(M, A))
    assert meetings.send_agenda(users[M], meeting.id) == 3  # marketing, the admin and the rotating sales seat
    assert sorted(payload["to"] for payload in _emails()) == sorted(users[r].email for r in (S, M, A))
    assert "1. Headline figures" in _emails()[0]["text"]
    assert meetings.send_agenda(users[M], meeting.id) == 0
    meetings.add_decision(users[M], meeting.id, text="Review the script", owner_id=users[M].id, due_on=None)
    assert meetings.send_agenda(users[M], meeting.id) == 0  # this meeting's own decisions are not in its agenda
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "alignment.agenda_sent")) == 3
    assert meeting.sent_at is not None


def test_a_send_that_fails_leaves_no_email_behind(users, monkeypatch):
    meeting = plan(users, date(2026, 11, 19), date(2026, 11, 12), date(2026, 11, 18))
    real = meetings.audit.record

    def failing(action, *args, **kwargs):
        if action == "alignment.agenda_sent":
            raise RuntimeError("the audit trail is unavailable")
        return real(action, *args, **kwargs)

    monkeypatch.setattr(meetings.audit, "record", failing)
    with pytest.raises(RuntimeError):
        meetings.send_agenda(users[M], meeting.id)
    db.session.rollback()
    assert _emails() == []
    assert db.session.get(type(meeting), meeting.id).sent_at is None


def test_a_meeting_refuses_an_agent_as_participant_and_a_period_that_ends_before_it_starts(users):
    with pytest.raises(meetings.AgendaError, match="Choose participants"):
        plan(users, date(2026, 11, 19), date(2026, 11, 12), date(2026, 11, 18), participants=(T,))
    with pytest.raises(meetings.AgendaError, match="ends before"):
        plan(users, date(2026, 11, 19), date(2026, 11, 18), date(2026, 11, 12))
    assert meetings.meetings() == []
