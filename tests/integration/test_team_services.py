"""The team's services on the real database: deactivation takes effect at once (the held lead, the open call,
reserved callbacks), hand-offs are reassigned with a notification, set-password links work once and expire, and
the console always keeps an active admin."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.auth import services as accounts
from console.auth.models import PasswordToken, Role, User
from console.calls import services as call_services
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus
from console.leads.models import Lead
from console.leads.queue_columns import TIER_CALLBACK, SPAN
from console.leads.rules import QueueState
from console.outbox.models import OutboxEntry
from console.queue.services import claim_next_lead
from console.team import services
from console.team.rules import PASSWORD_LINK_LIFETIME

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
QUALIFYING = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def qualify(make_lead, campaign):
    """A hand-off: the agent claims a new lead, answers every question and qualifies it (routed to sales)."""
    def make(agent) -> Handoff:
        make_lead(campaign)
        call = claim_next_lead(agent)
        for criterion, value in QUALIFYING.items():
            call_services.save_answer(call, agent, criterion, value)
        return call_services.record_disposition(call, agent, "qualified")

    return make


# --- deactivation ---------------------------------------------------------------------------------------------

def test_deactivation_returns_the_held_lead_to_the_queue_and_another_agent_claims_it_at_once(
        users, make_user, campaign, make_lead):
    agent, other = users[T], make_user(T)
    lead = make_lead(campaign)
    call = claim_next_lead(agent)
    assert claim_next_lead(other) is None  # the only lead is held

    done = services.deactivate_user(users[A], agent.id)

    assert done.released_leads == [lead.id] and done.abandoned_calls == [call.id]
    claimed = claim_next_lead(other)
    assert claimed is not None and claimed.lead_id == lead.id and claimed.agent_id == other.id
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.claimed_by_id == other.id and lead.attempts == 0  # the abandoned call counted no attempt


def test_deactivation_closes_the_open_call_as_abandoned_without_a_disposition(users, campaign, make_lead):
    agent = users[T]
    make_lead(campaign)
    call = claim_next_lead(agent)

    services.deactivate_user(users[A], agent.id)

    db.session.expire_all()
    call = db.session.get(Call, call.id)
    assert call.status == CallStatus.ABANDONED and call.disposition is None and call.ended_at is not None
    [event] = actions("call.abandoned")
    assert (event.subject_type, event.subject_id, event.actor_id) == ("Call", call.id, users[A].id)
    assert event.detail["lead_id"] == call.lead_id and event.detail["reason"] == "user deactivated"


def test_callbacks_reserved_for_a_deactivated_agent_become_anyones(users, make_user, campaign, make_lead,
                                                                     change_lead):
    agent, other = users[T], make_user(T)
    lead = change_lead(make_lead(campaign), queue_state=QueueState.CALLBACK, callback_owner_id=agent.id,
                       next_call_at=utcnow() - timedelta(minutes=5), attempts=1,
                       last_called_at=utcnow() - timedelta(days=1))
    assert claim_next_lead(other) is None  # somebody else's own callback is never offered

    done = services.deactivate_user(users[A], agent.id)

    assert done.shared_callbacks == [lead.id]
    db.session.expire_all()
    shared = db.session.get(Lead, lead.id)
    assert shared.callback_owner_id is None and shared.queue_state == QueueState.CALLBACK
    assert TIER_CALLBACK * SPAN <= shared.queue_rank < (TIER_CALLBACK + 1) * SPAN
    assert claim_next_lead(other).lead_id == lead.id
    assert [event.subject_id for event in actions("lead.callback_shared")] == [lead.id]


def test_a_deactivated_user_cannot_sign_in_and_their_session_loads_as_nobody(app, users):
    agent = users[T]
    services.deactivate_user(users[A], agent.id)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        assert accounts.authenticate(agent.email, "correct-horse-battery", "198.51.100.4") is None
        assert accounts.signed_in_user(agent.id) is None
        assert accounts.signed_in_user(users[S].id).id == users[S].id


def test_a_deactivation_is_audited_with_what_it_did(users, campaign, make_lead, qualify):
    handoff = qualify(users[T])
    make_lead(campaign)
    claim_next_lead(users[T])
    services.deactivate_user(users[A], users[T].id)
    services.deactivate_user(users[A], users[S].id)
    agent_event, sales_event = actions("user.deactivated")
    assert agent_event.subject_id == users[T].id and agent_event.actor_id == users[A].id
    assert len(agent_event.detail["released_lead_ids"]) == 1 and len(agent_event.detail["abandoned_call_ids"]) == 1
    assert sales_event.detail["pending_handoffs"] == 1
    db.session.expire_all()
    assert db.session.get(Handoff, handoff.id).assigned_to_id == users[S].id  # waits to be reassigned


def test_deactivation_stops_the_users_unused_links(users):
    user = users[M]
    credentials = services.reset_password(users[A], user.id, services.BY_LINK)
    services.deactivate_user(users[A], user.id)
    services.reactivate_user(users[A], user.id)
    token = credentials.link.rsplit("/", 1)[1]
    with pytest.raises(services.LinkNotValid):
        services.set_password_from_link(token, "a brand new password")


def test_reactivation_lets_the_user_in_again_with_their_password(app, users):
    services.deactivate_user(users[A], users[S].id)
    services.reactivate_user(users[A], users[S].id)
    db.session.expire_all()
    user = db.session.get(User, users[S].id)
    assert user.active and user.deactivated_at is None
    with app.test_request_context():
        assert accounts.authenticate(user.email, "correct-horse-battery", None).id == user.id
    assert [event.action for event in actions("user.reactivated")] == ["user.reactivated"]


# --- keeping an active admin ----------------------------------------------------------------------------------

def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(users):
    admin = users[A]
    with pytest.raises(services.TeamRefusal, match="last active admin"):
        services.deactivate_user(None, admin.id)  # as `flask users deactivate` would
    with pytest.raises(services.TeamRefusal, match="last active admin"):
        services.change_role(None, admin.id, S)
    db.session.expire_all()
    admin = db.session.get(User, admin.id)
    assert admin.active and admin.role == A
    assert actions("user.deactivated") == [] and actions("user.role_changed") == []


def test_an_admin_can_demote_another_admin_but_not_themselves(users, make_user):
    first, second = users[A], make_user(A)
    with pytest.raises(services.TeamRefusal, match="from yourself"):
        services.change_role(first, first.id, M)
    with pytest.raises(services.TeamRefusal, match="deactivate yourself"):
        services.deactivate_user(first, first.id)
    user, before = services.change_role(first, second.id, M)
    assert (before, user.role) == (A, M)
    [event] = actions("user.role_changed")
    assert event.detail == {"before": A, "after": M} and event.actor_id == first.id
    # Now `first` is the last active admin: `second`, promoted back, cannot take the role from them.
    services.change_role(first, second.id, A)
    services.deactivate_user(second, first.id)
    with pytest.raises(services.TeamRefusal, match="last active admin"):
        services.change_role(None, second.id, S)


def test_two_admins_taking_the_role_from_each_other_at_once_leave_one_admin(app, users, make_user, monkeypatch):
    """Each change checks the other active admins, then writes. The active admins' rows are locked while it is
    checked (PostgreSQL; SQLite runs write transactions one at a time), so the second change sees the first."""
    import threading
    import time as clock
    from concurrent.futures import ThreadPoolExecutor

    first, second = users[A], make_user(A)
    first_id, second_id = first.id, second.id
    set_role = services.accounts.set_role

    def slow_set_role(user, role):
        clock.sleep(0.3)  # inside the transaction, after the check: the other change has started by now
        set_role(user, role)

    monkeypatch.setattr(services.accounts, "set_role", slow_set_role)
    start = threading.Barrier(2)

    def demote(actor_id, user_id):
        with app.app_context():
            actor = db.session.get(User, actor_id)
            start.wait()
            try:
                services.change_role(actor, user_id, M)
                return "demoted"
            except services.TeamRefusal as refusal:
                return str(refusal)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(demote, (first_id, second_id), (second_id, first_id)))
    assert sorted(outcomes) == ["This is the last active admin: make another user an admin first.", "demoted"]
    db.session.rollback()
    assert len(services.accounts.active_admin_ids()) == 1


# --- reassigning hand-offs --------------------------------------------------------------------------------------

def test_pending_hand_offs_are_reassigned_to_another_sales_member_who_is_notified(users, make_user, qualify):
    first = qualify(users[T])
    second = qualify(users[T])
    services.deactivate_user(users[A], users[S].id)
    colleague = make_user(S, full_name="Casey Closer")

    moved = services.reassign_handoffs(users[A], users[S].id, [first.id, second.id], colleague.id)

    assert sorted(handoff.id for handoff in moved) == sorted([first.id, second.id])
    db.session.expire_all()
    assert {db.session.get(Handoff, handoff_id).assigned_to_id for handoff_id in (first.id, second.id)} == \
        {colleague.id}
    events = actions("handoff.reassigned")
    assert [(event.subject_id, event.detail["from_user_id"], event.detail["to_user_id"]) for event in events] == \
        [(first.id, users[S].id, colleague.id), (second.id, users[S].id, colleague.id)]
    notices = list(db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "notification",
                                                                OutboxEntry.dedupe_key.like("handoff.reassigned:%"))
                                      .order_by(OutboxEntry.id)))
    assert len(notices) == 2
    assert all(notice.payload["user_ids"] == [colleague.id] for notice in notices)
    assert notices[0].payload["url"] == f"/handoffs/{first.id}"
    assert notices[0].payload["title"].startswith("Hand-off reassigned to you: ")


def test_a_hand_off_reassigned_back_and_forth_notifies_each_time(users, make_user, qualify):
    handoff = qualify(users[T])
    colleague = make_user(S)
    services.reassign_handoffs(users[A], users[S].id, [handoff.id], colleague.id)
    services.reassign_handoffs(users[A], colleague.id, [handoff.id], users[S].id)
    services.reassign_handoffs(users[A], users[S].id, [handoff.id], colleague.id)
    notified = db.session.scalars(select(OutboxEntry.payload).where(
        OutboxEntry.kind == "notification", OutboxEntry.dedupe_key.like("handoff.reassigned:%")).order_by(OutboxEntry.id))
    assert [payload["user_ids"] for payload in notified] == [[colleague.id], [users[S].id], [colleague.id]]


@pytest.mark.parametrize("target", ["agent", "deactivated sales", "same sales"])
def test_hand_offs_go_only_to_another_active_sales_member(users, make_user, qualify, target):
    handoff = qualify(users[T])
    assignee = {"agent": lambda: users[T], "same sales": lambda: users[S]}.get(target, lambda: make_user(S))()
    if target == "deactivated sales":
        services.deactivate_user(users[A], assignee.id)
    with pytest.raises(services.TeamRefusal):
        services.reassign_handoffs(users[A], users[S].id, [handoff.id], assignee.id)
    db.session.expire_all()
    assert db.session.get(Handoff, handoff.id).assigned_to_id == users[S].id
    assert actions("handoff.reassigned") == []


def test_a_hand_off_decided_meanwhile_is_not_reassigned_and_nothing_changes(users, make_user, qualify):
    from console.handoffs.services import accept

    decided, pending = qualify(users[T]), qualify(users[T])
    accept(decided, users[S])
    colleague = make_user(S)
    with pytest.raises(services.TeamRefusal, match="in the meantime"):
        services.reassign_handoffs(users[A], users[S].id, [decided.id, pending.id], colleague.id)
    db.session.expire_all()
    assert db.session.get(Handoff, pending.id).assigned_to_id == users[S].id
    assert db.session.get(Handoff, decided.id).status == HandoffStatus.ACCEPTED
    assert db.session.scalar(select(OutboxEntry.id).where(OutboxEntry.dedupe_key.like("handoff.reassigned:%"))) is None


# --- new users and set-password links ---------------------------------------------------------------------------

def _token(credentials) -> str:
    return credentials.link.rsplit("/", 1)[1]


def test_a_new_user_with_a_link_cannot_sign_in_until_they_set_a_password(app, users):
    with app.test_request_context():
        credentials = services.create_user(users[A], email=" Ana.Ruiz@Example.com ", full_name="Ana Ruiz", role=S,
                                           method=services.BY_LINK)
    assert credentials.password is None and credentials.link.startswith("http://localhost/password/")
    user = credentials.user
    assert user.email == "ana.ruiz@example.com" and user.role == S
    stored = db.session.scalars(select(PasswordToken).where(PasswordToken.user_id == user.id)).one()
    assert stored.token_hash == accounts.password_token_hash(_token(credentials)) != _token(credentials)
    assert stored.expires_at - stored.created_at == PASSWORD_LINK_LIFETIME
    assert services.password_link_account(_token(credentials)).id == user.id

    services.set_password_from_link(_token(credentials), "my own good password")

    with app.test_request_context():
        assert accounts.authenticate(user.email, "my own good password", None).id == user.id
    created = actions("user.created")[-1]
    assert (created.subject_id, created.actor_id) == (user.id, users[A].id)
    assert created.detail == {"role": S, "access": "link"}
    [set_event] = actions("user.password_set")
    assert set_event.actor_id == user.id and set_event.subject_id == user.id


def test_a_link_works_once(users):
    credentials = services.reset_password(users[A], users[M].id, services.BY_LINK)
    services.set_password_from_link(_token(credentials), "first chosen password")
    with pytest.raises(services.LinkNotValid):
        services.set_password_from_link(_token(credentials), "second chosen password")
    assert services.password_link_account(_token(credentials)) is None


def test_a_link_expires_after_its_lifetime(users):
    credentials = services.reset_password(users[A], users[M].id, services.BY_LINK)
    with time_machine.travel(utcnow() + PASSWORD_LINK_LIFETIME - timedelta(minutes=1), tick=False):
        assert services.password_link_account(_token(credentials)) is not None
    with time_machine.travel(utcnow() + PASSWORD_LINK_LIFETIME + timedelta(seconds=1), tick=False):
        assert services.password_link_account(_token(credentials)) is None
        with pytest.raises(services.LinkNotValid):
            services.set_password_from_link(_token(credentials), "too late a password")


def test_a_reset_stops_the_earlier_links(app, users):
    earlier = services.reset_password(users[A], users[M].id, services.BY_LINK)
    later = services.reset_password(users[A], users[M].id, services.BY_LINK)
    assert services.password_link_account(_token(earlier)) is None
    assert services.password_link_account(_token(later)).id == users[M].id
    by_password = services.reset_password(users[A], users[M].id, services.BY_PASSWORD)
    assert services.password_link_account(_token(later)) is None
    with app.test_request_context():
        assert accounts.authenticate(users[M].email, by_password.password, None).id == users[M].id
        assert accounts.authenticate(users[M].email, "correct-horse-battery", None) is None
    assert [event.detail["access"] for event in actions("user.password_reset")] == ["link", "link", "password"]


def test_an_unknown_token_names_no_account(app_context):
    assert services.password_link_account("not-a-token") is None
    with pytest.raises(services.LinkNotValid):
        services.set_password_from_link("not-a-token", "a long enough password")


def test_a_duplicate_email_is_refused_and_nothing_is_written(users):
    with pytest.raises(accounts.UserError, match="already exists"):
        services.create_user(users[A], email="SALES@example.com", full_name="Again", role=S,
                             method=services.BY_PASSWORD)
    assert db.session.scalar(select(PasswordToken.id)) is None
    assert len(actions("user.created")) == len(users)


# --- the audit log read back ------------------------------------------------------------------------------------

def test_a_leads_events_are_those_about_the_lead_its_calls_and_its_hand_offs(users, campaign, make_lead, qualify):
    handoff = qualify(users[T])
    other = make_lead(campaign)
    claim_next_lead(users[T])
    rows = services.audit_page(services.AuditFilters(lead_id=handoff.lead_id)).rows
    subjects = {(row.event.subject_type, row.event.action) for row in rows}
    assert ("Lead", "lead.claimed") in subjects and ("Lead", "lead.answer_saved") in subjects
    assert ("Call", "call.dispositioned") in subjects and ("Handoff", "handoff.created") in subjects
    assert all(row.event.subject_id != other.id for row in rows if row.event.subject_type == "Lead")
    assert len(services.audit_page(services.AuditFilters(lead_id=other.id)).rows) == 1  # its claim


def test_the_audit_log_pages_newest_first_without_gaps_or_repeats(app, users):
    with app.test_request_context():
        for _ in range(5):  # the most an account may fail before sign-ins are throttled
            accounts.authenticate(users[S].email, "wrong password", None)
    filters = services.AuditFilters(action="auth.login_failed")
    seen, before = [], None
    while True:
        page = services.audit_page(filters, before, limit=2)
        seen += [row.event.id for row in page.rows]
        if page.older_than is None:
            break
        before = page.older_than
    assert seen == sorted(seen, reverse=True) and len(seen) == 5


def test_the_actions_present_are_listed_once_each_in_words(users, qualify):
    qualify(users[T])
    present = dict(services.actions_present())
    assert present["call.dispositioned"] == "set a disposition"
    assert present["user.created"] == "added a user"
    assert len(present) == len(set(db.session.scalars(select(AuditEvent.action))))
