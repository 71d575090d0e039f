"""Marketing's review before sales: a campaign whose SLA policy asks for it holds its qualified leads for marketing
(nobody in sales told), who release them (routed then, the member told) or send them back to the agent."""
import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.auth.models import Role
from console.extensions import db
from console.handoffs import review_services
from console.handoffs.models import HandoffStatus, RejectionKind, SlaPolicy
from console.leads import services as leads
from console.leads.rules import QueueState, Stage
from console.outbox.models import OutboxEntry

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


@pytest.fixture
def reviewed_campaign(campaign):
    db.session.add(SlaPolicy(campaign_id=campaign.id, requires_review=True))
    db.session.commit()
    return campaign





def _messages(family_kind: str) -> list[OutboxEntry]:
    return list(db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == family_kind)))


def test_a_qualified_lead_of_a_reviewed_campaign_waits_for_marketing_and_sales_hears_nothing(
        users, reviewed_campaign, qualify):
    handoff = qualify(reviewed_campaign)
    assert handoff.status == HandoffStatus.REVIEW and handoff.released_at is None
    notified = [entry.payload["user_ids"] for entry in _messages("notification")]
    assert notified == [[users[M].id]]
    assert not _messages("email")
    assert review_services.awaiting_review() == [handoff]


def test_releasing_routes_it_to_sales_and_tells_the_member(users, reviewed_campaign, qualify):
    handoff = qualify(reviewed_campaign)
    released = review_services.release(handoff.id, users[M])
    assert released.status == HandoffStatus.PENDING and released.released_at is not None
    assert released.assigned_to_id == users[S].id and released.reviewed_by_id == users[M].id
    assert [entry.payload["to"] for entry in _messages("email")] == [users[S].email]
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == handoff.id,
                                                              AuditEvent.subject_type == "Handoff")
                              .order_by(AuditEvent.id)).all() == [
        "handoff.created", "handoff.released"]
    with pytest.raises(review_services.ReviewRefused):
        review_services.release(handoff.id, users[M])


def test_sending_back_returns_the_lead_to_its_agent_with_what_to_fix(users, reviewed_campaign, qualify):
    handoff = qualify(reviewed_campaign)
    with pytest.raises(review_services.ReviewRefused):
        review_services.send_back(handoff.id, users[M], "   ")
    review_services.send_back(handoff.id, users[M], "The email bounces: ask for the right one.")
    db.session.refresh(handoff)
    lead = handoff.lead
    assert (handoff.status, handoff.rejection_kind) == (HandoffStatus.REJECTED, RejectionKind.CLERICAL)
    assert (lead.stage, lead.queue_state, lead.callback_owner_id) == (Stage.LEAD, QueueState.CALLBACK, users[T].id)
    assert leads.latest_recall(lead.id).reason == "The email bounces: ask for the right one."
    assert review_services.awaiting_review() == []
