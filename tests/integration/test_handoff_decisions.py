"""Sales' side of a hand-off on the real database: each kind of rejection and where it sends the lead, reassigning,
progress to an outcome, the rating, and the feedback the agent and marketing read; messages only with the change."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.auth.models import Role
from console.calls import services as call_services
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs import services
from console.handoffs.models import Handoff, HandoffStatus, RejectionKind, RejectionResult
from console.handoffs.rules import ContactKind, LostReason, Step
from console.handoffs.services import ProgressEntry, Rejection
from console.leads import services as leads
from console.leads.models import Lead
from console.leads.rules import QueueState, Stage
from console.outbox import services as outbox
from console.outbox.models import OutboxEntry
from console.queue.services import claim_next_lead

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}



@pytest.fixture
def qualify(users, campaign, make_lead):
    """A lead qualified by the agent, handed over through the normal disposition."""
    def make() -> Handoff:
        agent = users[T]
        make_lead(campaign)
        call = claim_next_lead(agent)
        for key, value in STRONG.items():
            call_services.save_answer(call, agent, key, value)
        return call_services.record_disposition(call, agent, "qualified")
    return make


def _today() -> date:
    return utcnow().date()  # the suite's clock (tests/conftest.py), not the machine's


def _set_team(user, team: str, manager: bool = False) -> None:
    with writers.write_transaction(db.session):
        user.sales_team, user.sales_manager = team, manager


def _messages(prefix: str, kind: str | None = None) -> list[OutboxEntry]:
    query = select(OutboxEntry).where(OutboxEntry.dedupe_key.like(f"{prefix}%")).order_by(OutboxEntry.id)
    if kind:
        query = query.where(OutboxEntry.kind == kind)
    return list(db.session.scalars(query))


def _outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxEntry.id)))


# --- procedural: routed again, never to who rejected it ---------------------------------------------------------

def test_a_wrongly_routed_lead_goes_to_another_member_as_a_new_hand_off_naming_the_first(users, make_user, qualify):
    colleague = make_user(S, full_name="Casey Colleague")
    handoff = qualify()
    rejecter = handoff.assigned_to
    successor = services.reject(handoff, rejecter, Rejection(RejectionKind.PROCEDURAL, "Not my territory"))
    db.session.refresh(handoff)
    assert (handoff.status, handoff.rejection_kind, handoff.rejection_result) == (
        HandoffStatus.REJECTED, RejectionKind.PROCEDURAL, RejectionResult.REROUTED)
    assert successor.assigned_to_id != rejecter.id and successor.assigned_to_id in {users[S].id, colleague.id}
    assert successor.previous_handoff_id == handoff.id and successor.status == HandoffStatus.PENDING
    assert (successor.score, successor.answers, successor.qualified_by_id, successor.sla) == (
        handoff.score, handoff.answers, handoff.qualified_by_id, handoff.sla)
    assert successor.released_at is not None
    assert f"{rejecter.full_name} rejected this lead, skipped" in successor.routing_note
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == successor.id,
                                                             AuditEvent.action == "handoff.rerouted"))
    assert [m.payload["user_ids"] for m in _messages(f"handoff.created:{successor.id}", "notification")] == [
        [successor.assigned_to_id]]


def test_a_lead_rejected_as_wrongly_routed_twice_never_returns_to_either_rejecter(users, make_user, qualify):
    make_user(S), make_user(S)
    handoff = qualify()
    first_rejecter = handoff.assigned_to
    second = services.reject(handoff, first_rejecter, Rejection(RejectionKind.PROCEDURAL, "Not mine"))
    third = services.reject(second, second.assigned_to, Rejection(RejectionKind.PROCEDURAL, "Not mine either"))
    assert third.assigned_to_id not in {first_rejecter.id, second.assigned_to_id}


def test_with_nobody_else_to_take_it_the_re_route_is_refused_and_the_lead_stays_with_the_member(users, qualify):
    handoff = qualify()  # the world's one sales member
    before = _outbox_count()
    with pytest.raises(services.HandoffError, match="No other active sales member"):
        services.reject(handoff, users[S], Rejection(RejectionKind.PROCEDURAL, "Not my territory"))
    db.session.refresh(handoff)
    assert (handoff.status, handoff.rejection_kind, handoff.assigned_to_id) == (HandoffStatus.PENDING, None,
                                                                               users[S].id)
    assert _outbox_count() == before
    assert db.session.scalar(select(func.count(Handoff.id))) == 1


# --- clerical: back to the agent -------------------------------------------------------------------------------

def test_bad_data_sends_the_lead_back_to_its_agent_as_a_callback_with_the_comment(users, qualify):
    handoff = qualify()
    services.reject(handoff, users[S], Rejection(RejectionKind.CLERICAL, "The number is the switchboard"))
    lead = db.session.get(Lead, handoff.lead_id)
    assert (lead.stage, lead.queue_state, lead.callback_owner_id) == (Stage.LEAD, QueueState.CALLBACK, users[T].id)
    recall = leads.latest_recall(lead.id)
    assert (recall.cause, recall.reason, recall.handoff_id) == ("clerical", "The number is the switchboard",
                                                                handoff.id)
    assert db.session.get(Handoff, handoff.id).rejection_result == RejectionResult.CALLBACK


def test_the_agent_and_marketing_hear_of_a_rejection_with_its_kind_and_comment(users, qualify):
    handoff = qualify()
    services.reject(handoff, users[S], Rejection(RejectionKind.CLERICAL, "The number is the switchboard"))
    notices = _messages(f"handoff.rejected:{handoff.id}:", "notification")
    assert sorted(tuple(notice.payload["user_ids"]) for notice in notices) == sorted([(users[T].id,), (users[M].id,)])
    assert all("bad data" in notice.payload["title"] and "switchboard" in notice.payload["body"] for notice in notices)
    email, = _messages(f"handoff.rejected:{handoff.id}:", "email")
    assert email.payload["to"] == users[T].email and "The number is the switchboard" in email.payload["text"]
    assert db.session.get(Handoff, handoff.id).feedback_at is not None


# --- definitional: nurture with a date, or disqualify -----------------------------------------------------------

def test_a_lead_not_meeting_the_definition_goes_to_nurture_until_the_date_sales_chose(users, qualify):
    handoff = qualify()
    recall_on = _today() + timedelta(days=45)
    services.reject(handoff, users[S], Rejection(RejectionKind.DEFINITIONAL, "Budget comes next year", recall_on))
    lead = db.session.get(Lead, handoff.lead_id)
    assert (lead.stage, lead.queue_state) == (Stage.NURTURE, QueueState.RETRY)
    assert lead.next_call_at.date() == recall_on
    recall = leads.latest_recall(lead.id)
    assert (recall.cause, recall.recall_on, recall.reason) == ("rejected", recall_on, "Budget comes next year")
    handoff = db.session.get(Handoff, handoff.id)
    assert (handoff.rejection_result, handoff.recall_on) == (RejectionResult.NURTURE, recall_on)


@pytest.mark.parametrize("days", [0, 731])
def test_a_recall_date_outside_tomorrow_to_two_years_is_refused_and_nothing_is_written(users, qualify, days):
    handoff = qualify()
    before = _outbox_count()
    with pytest.raises(services.HandoffError, match="recall date"):
        services.reject(handoff, users[S], Rejection(RejectionKind.DEFINITIONAL, "Later", _today() + timedelta(days)))
    db.session.refresh(handoff)
    assert handoff.status == HandoffStatus.PENDING and handoff.feedback_at is None
    assert _outbox_count() == before and leads.latest_recall(handoff.lead_id) is None


def test_a_disqualified_lead_leaves_the_call_queue_for_good(users, qualify):
    handoff = qualify()
    services.reject(handoff, users[S], Rejection(RejectionKind.DEFINITIONAL, "A student", disqualify=True))
    lead = db.session.get(Lead, handoff.lead_id)
    assert (lead.stage, lead.queue_state, lead.next_call_at) == (Stage.DISQUALIFIED, QueueState.CLOSED, None)
    assert db.session.get(Handoff, handoff.id).rejection_result == RejectionResult.DISQUALIFIED
    assert claim_next_lead(users[T]) is None


def test_a_rejection_needs_a_comment_and_a_decided_hand_off_takes_no_second_decision(users, qualify):
    handoff = qualify()
    with pytest.raises(services.HandoffError, match="Say why"):
        services.reject(handoff, users[S], Rejection(RejectionKind.CLERICAL, "   "))
    services.accept(handoff, users[S])
    with pytest.raises(services.HandoffError, match="no longer awaiting"):
        services.reject(handoff, users[S], Rejection(RejectionKind.CLERICAL, "Wrong number"))
    assert db.session.get(Lead, handoff.lead_id).stage == Stage.SAL


# --- reassigning one hand-off ----------------------------------------------------------------------------------

def test_the_team_manager_reassigns_within_the_team_and_the_new_member_is_told(users, make_user, qualify):
    manager, teammate, stranger = make_user(S), make_user(S), make_user(S)
    for member in (users[S], teammate):
        _set_team(member, "East")
    _set_team(manager, "East", manager=True)
    _set_team(stranger, "West")
    handoff = qualify()
    assert {member.id for member in services.reassign_choices(handoff, manager)} == {manager.id, teammate.id}
    with pytest.raises(services.HandoffError, match="team"):
        services.reassign_handoff(handoff, stranger.id, manager)
    services.reassign_handoff(handoff, teammate.id, manager)
    assert db.session.get(Handoff, handoff.id).assigned_to_id == teammate.id
    assert [m.payload["user_ids"] for m in _messages("handoff.reassigned:", "notification")] == [[teammate.id]]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == handoff.id,
                                                             AuditEvent.action == "handoff.reassigned"))


def test_a_member_who_manages_no_team_or_another_team_may_not_reassign(users, make_user, qualify):
    other_manager, teammate = make_user(S), make_user(S)
    _set_team(users[S], "East")
    _set_team(teammate, "East")
    _set_team(other_manager, "West", manager=True)
    handoff = qualify()
    for actor in (teammate, other_manager):
        with pytest.raises(services.HandoffError, match="Only the sales manager"):
            services.reassign_handoff(handoff, teammate.id, actor)
    services.reassign_handoff(handoff, other_manager.id, users[A])  # an admin gives it to anyone
    assert db.session.get(Handoff, handoff.id).assigned_to_id == other_manager.id


# --- progress to an outcome ------------------------------------------------------------------------------------

@pytest.fixture
def accepted(users, qualify):
    handoff = qualify()
    services.accept(handoff, users[S])
    return db.session.get(Handoff, handoff.id)


def test_a_deal_moves_from_first_contact_through_an_opportunity_to_a_win(users, accepted):
    sales = users[S]
    services.record_progress(accepted, sales, ProgressEntry(Step.FIRST_CONTACT, contact_kind=ContactKind.EMAIL))
    services.record_progress(accepted, sales, ProgressEntry(Step.MEETING_HELD))
    services.record_progress(accepted, sales, ProgressEntry(Step.OPPORTUNITY, amount_cents=1_250_000,
                                                             on=_today() + timedelta(days=30)))
    assert db.session.get(Lead, accepted.lead_id).stage == Stage.SQL
    services.record_progress(accepted, sales, ProgressEntry(Step.WON, amount_cents=1_200_000, on=_today()))
    handoff = db.session.get(Handoff, accepted.id)
    assert (handoff.first_contact_kind, handoff.outcome, handoff.won_cents, handoff.won_on) == (
        ContactKind.EMAIL, "won", 1_200_000, _today())
    assert handoff.first_contact_at is not None and handoff.meeting_held_at is not None
    with pytest.raises(services.HandoffError, match="closed"):
        services.record_progress(handoff, sales, ProgressEntry(Step.LOST, lost_reason=LostReason.NO_BUDGET))


def test_each_change_sales_makes_tells_the_crm(users, accepted):
    outbox.save_endpoint(None, users[A], name="CRM", url="https://crm.example.com/hooks")
    services.record_progress(accepted, users[S], ProgressEntry(Step.FIRST_CONTACT, contact_kind=ContactKind.CALL))
    services.record_progress(accepted, users[S], ProgressEntry(Step.RATING, rating=4, note="Well prepared"))
    hooks = _messages(f"handoff.updated:{accepted.id}:", "webhook")
    assert [hook.payload["event"] for hook in hooks] == ["handoff.updated", "handoff.updated"]
    assert hooks[-1].payload["data"]["rating"] == 4 and hooks[0].payload["data"]["first_contact_kind"] == "call"


def test_a_meeting_held_counts_as_the_first_contact_when_none_was_recorded(users, accepted):
    services.record_progress(accepted, users[S], ProgressEntry(Step.MEETING_HELD))
    handoff = db.session.get(Handoff, accepted.id)
    assert handoff.first_contact_kind == ContactKind.MEETING and handoff.first_contact_at is not None


def test_a_lost_deal_recycled_goes_to_nurture_until_its_recall_date(users, accepted):
    recall_on = _today() + timedelta(days=120)
    services.record_progress(accepted, users[S], ProgressEntry(Step.LOST, lost_reason=LostReason.RECYCLE,
                                                                 note="Revisit after the merger", recall_on=recall_on))
    lead = db.session.get(Lead, accepted.lead_id)
    assert (lead.stage, lead.next_call_at.date()) == (Stage.NURTURE, recall_on)
    assert (leads.latest_recall(lead.id).cause, leads.latest_recall(lead.id).reason) == (
        "lost", "Revisit after the merger")


def test_progress_is_refused_before_acceptance_and_an_opportunity_needs_a_first_contact(users, qualify, accepted):
    pending = qualify()
    with pytest.raises(services.HandoffError, match="Accept the hand-off"):
        services.record_progress(pending, users[S], ProgressEntry(Step.FIRST_CONTACT, contact_kind="call"))
    with pytest.raises(services.HandoffError, match="first contact first"):
        services.record_progress(accepted, users[S], ProgressEntry(Step.OPPORTUNITY, amount_cents=100,
                                                                     on=_today() + timedelta(days=5)))
    assert db.session.get(Handoff, accepted.id).opportunity_cents is None


@pytest.mark.parametrize("rating", [0, 6, None])
def test_a_rating_is_from_1_to_5(users, accepted, rating):
    with pytest.raises(services.HandoffError, match="1 to 5"):
        services.record_progress(accepted, users[S], ProgressEntry(Step.RATING, rating=rating))
    assert db.session.get(Handoff, accepted.id).feedback_at is None


# --- feedback ---------------------------------------------------------------------------------------------------

def test_a_rating_is_feedback_the_agent_reads_once(users, accepted):
    services.record_progress(accepted, users[S], ProgressEntry(Step.RATING, rating=2, note="Not the decider"))
    assert services.unread_feedback_count(users[T].id) == 1
    rows, unread = services.open_feedback(users[T])
    assert [row.id for row in rows] == [accepted.id] and unread == {accepted.id}
    assert services.unread_feedback_count(users[T].id) == 0
    services.record_progress(accepted, users[S], ProgressEntry(Step.RATING, rating=3, note="On reflection"))
    assert services.unread_feedback_count(users[T].id) == 1  # new feedback on a read hand-off is unread again


def test_the_campaign_totals_count_each_kind_of_rejection_and_the_amount_won(users, make_user, qualify, campaign):
    make_user(S)
    won, lost, clerical, definitional, procedural, _pending = (qualify() for _ in range(6))
    for handoff in (won, lost):
        services.accept(handoff, handoff.assigned_to)
        services.record_progress(handoff, handoff.assigned_to, ProgressEntry(Step.FIRST_CONTACT, contact_kind="call"))
    services.record_progress(won, won.assigned_to, ProgressEntry(Step.WON, amount_cents=1_250_050, on=_today()))
    services.record_progress(lost, lost.assigned_to, ProgressEntry(Step.LOST, lost_reason=LostReason.COMPETITOR))
    services.reject(clerical, clerical.assigned_to, Rejection(RejectionKind.CLERICAL, "Wrong email"))
    services.reject(definitional, definitional.assigned_to, Rejection(RejectionKind.DEFINITIONAL, "Tiny",
                                                                      disqualify=True))
    services.reject(procedural, procedural.assigned_to, Rejection(RejectionKind.PROCEDURAL, "Not mine"))
    totals = services.campaign_feedback(campaign.id)
    assert totals.handed_over == 7  # six, and the re-routed one's successor
    assert (totals.accepted, totals.awaiting, totals.won, totals.won_cents, totals.lost) == (2, 2, 1, 1_250_050, 1)
    assert totals.rejected == {RejectionKind.PROCEDURAL: 1, RejectionKind.CLERICAL: 1, RejectionKind.DEFINITIONAL: 1}
    assert len(totals.handoffs) == 7
