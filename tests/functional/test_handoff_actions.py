"""What sales does on the packet, over HTTP: accept, reject by kind, reassign, record progress; and the feedback the
agent (their page and its count in the top bar) and marketing (the campaign's tab) read."""
import re

import pytest
from console.auth.models import Role
from console.calls import services as call_services
from console.database import writers
from console.extensions import db
from console.handoffs import services
from console.handoffs.models import Handoff, HandoffStatus
from console.handoffs.rules import Step
from console.handoffs.services import ProgressEntry, Rejection
from console.queue.services import claim_next_lead

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


@pytest.fixture
def qualify(users, campaign, make_lead):
    def make(agent=None, **lead_fields) -> Handoff:
        agent = agent or users[T]
        make_lead(campaign, **lead_fields)
        call = claim_next_lead(agent)
        for key, value in STRONG.items():
            call_services.save_answer(call, agent, key, value)
        return call_services.record_disposition(call, agent, "qualified")
    return make


def _handoff(handoff_id: int) -> Handoff:
    db.session.rollback()  # end the test's read transaction: see what the requests committed
    return db.session.get(Handoff, handoff_id)


def test_a_pending_hand_off_offers_accept_and_reject_then_accepted_offers_progress(client, auth, qualify):
    handoff = qualify()
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert "Accept the lead" in page and "Reject it" in page and "Record the first contact" not in page
    response = auth.post(f"/handoffs/{handoff.id}/accept", {})
    assert response.status_code == 303 and response.headers["Location"] == f"/handoffs/{handoff.id}"
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert "Accept the lead" not in page and "Record the first contact" in page and "Lead quality" in page


def test_a_rejection_without_a_comment_is_shown_again_with_what_was_typed(client, auth, qualify):
    handoff = qualify()
    auth.login("sales@example.com")
    response = auth.post(f"/handoffs/{handoff.id}/reject", {"kind": "clerical", "comment": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Say why: the agent and marketing learn from it." in page
    assert re.search(r'value="clerical"[^>]*checked|checked[^>]*value="clerical"', page)
    assert _handoff(handoff.id).status == HandoffStatus.PENDING


def test_a_clerical_rejection_reaches_the_agents_feedback_page_and_top_bar_until_read(client, auth, users, qualify):
    handoff = qualify()
    auth.login("sales@example.com")
    response = auth.post(f"/handoffs/{handoff.id}/reject", {"kind": "clerical", "comment": "Wrong <b>extension</b>"})
    assert response.status_code == 303
    auth.logout()
    auth.login("teleprospector@example.com")
    top_bar = client.get("/callbacks").get_data(as_text=True)
    assert re.search(r'href="/handoffs/feedback"[^>]*>Feedback <span class="count"[^>]*>1 new</span>', top_bar)
    page = client.get("/handoffs/feedback").get_data(as_text=True)
    assert "Bad data" in page and "Wrong &lt;b&gt;extension&lt;/b&gt;" in page and "New" in page
    assert "1 new" not in client.get("/handoffs/feedback").get_data(as_text=True)


def test_an_agent_sees_only_the_feedback_on_leads_they_qualified(client, auth, users, make_user, qualify):
    other = make_user(T, email="other-agent@example.com")
    mine = qualify(first_name="Mine")
    theirs = qualify(agent=other, first_name="Theirs")
    for handoff in (mine, theirs):
        services.reject(handoff, users[S], Rejection("clerical", f"Note for {handoff.lead.first_name}"))
    auth.login("teleprospector@example.com")
    page = client.get("/handoffs/feedback").get_data(as_text=True)
    assert "Note for Mine" in page and "Note for Theirs" not in page


def test_money_typed_wrong_is_a_field_error_keeping_what_was_typed(client, auth, users, qualify):
    handoff = qualify()
    services.accept(handoff, users[S])
    services.record_progress(handoff, users[S], ProgressEntry(Step.FIRST_CONTACT, contact_kind="call"))
    auth.login("sales@example.com")
    response = auth.post(f"/handoffs/{handoff.id}/won", {"won_amount": "12,50", "won_on": "2020-01-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write an amount like 12,500.00 or 12500." in page and 'value="12,50"' in page
    response = auth.post(f"/handoffs/{handoff.id}/won", {"won_amount": "12,500.00", "won_on": "2099-01-01"})
    assert response.status_code == 422 and "A deal is won today or earlier." in response.get_data(as_text=True)
    assert _handoff(handoff.id).outcome is None


def test_a_won_deal_shows_on_the_packet_and_on_the_campaigns_feedback_tab(client, auth, users, qualify, campaign):
    handoff = qualify()
    rejected = qualify()
    services.reject(rejected, users[S], Rejection("definitional", "A student", disqualify=True))
    auth.login("sales@example.com")
    auth.post(f"/handoffs/{handoff.id}/accept", {})
    assert auth.post(f"/handoffs/{handoff.id}/first-contact", {"contact_kind": "meeting"}).status_code == 303
    today = _handoff(handoff.id).first_contact_at.date().isoformat()
    assert auth.post(f"/handoffs/{handoff.id}/won", {"won_amount": "12,500.00", "won_on": today}).status_code == 303
    assert auth.post(f"/handoffs/{handoff.id}/rating", {"rating": "5", "rating_comment": "Spot on"}).status_code == 303
    assert "Won 12,500.00" in client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    auth.logout()
    auth.login("marketing@example.com")
    tab = client.get(f"/handoffs/campaigns/{campaign.id}/feedback").get_data(as_text=True)
    assert '<dd id="kpi-won-amount">12,500.00</dd>' in tab and '<dd id="kpi-won">1</dd>' in tab
    assert '<dd id="kpi-rejected-definitional">1</dd>' in tab and "A student" in tab and "Spot on" in tab
    assert 'aria-current="page">Sales feedback</a>' in tab


def test_a_sales_manager_reassigns_a_team_members_hand_off_and_a_member_may_not(client, auth, users, make_user,
                                                                                 qualify):
    manager, teammate = make_user(S, email="manager@example.com"), make_user(S, email="teammate@example.com")
    with writers.write_transaction(db.session):
        for member in (users[S], manager, teammate):
            member.sales_team = "East"
        manager.sales_manager = True
    handoff = qualify()
    assignee_id = handoff.assigned_to_id
    target = teammate if assignee_id != teammate.id else users[S]
    auth.login("manager@example.com")
    response = auth.post(f"/handoffs/{handoff.id}/reassign", {"assignee": str(target.id)})
    assert response.status_code == 303
    assert _handoff(handoff.id).assigned_to_id == target.id


def test_a_plain_sales_member_cannot_reassign_their_own_hand_off(client, auth, users, make_user, qualify):
    colleague = make_user(S, email="colleague@example.com")
    with writers.write_transaction(db.session):
        users[S].sales_team = colleague.sales_team = "East"
    handoff = qualify()
    other = colleague if handoff.assigned_to_id == users[S].id else users[S]
    auth.login(handoff.assigned_to.email)
    assert auth.post(f"/handoffs/{handoff.id}/reassign", {"assignee": str(other.id)}).status_code == 403
    assert _handoff(handoff.id).assigned_to_id != other.id


def test_the_campaign_report_shows_the_won_amount_and_the_clocks_missed_by_clock(client, auth, users, campaign,
                                                                                 qualify):
    from datetime import timedelta

    from console.clock import utcnow
    from console.handoffs import sla_services

    won, late = qualify(), qualify()
    services.accept(won, users[S])
    for entry in (ProgressEntry(Step.FIRST_CONTACT, contact_kind="call"),
                  ProgressEntry(Step.WON, amount_cents=1_250_050, on=utcnow().date())):
        services.record_progress(won, users[S], entry)
    a_week_on = utcnow() + timedelta(days=7)  # every business clock of `late` has run out by then
    assert sla_services.record_breach(late.id, "accept", now=a_week_on) is not None
    assert sla_services.record_breach(late.id, "first_contact", now=a_week_on) is not None

    auth.login("marketing@example.com")
    page = client.get(f"/reports/campaigns/{campaign.id}").get_data(as_text=True)
    assert re.search(r'id="kpi-won">1<', page) and 'id="kpi-won-amount">12,500.50<' in page
    missed = page[page.index('id="sla-compliance"'):]

    def breached(clock: str) -> str:  # the row's Breached cell: label, side, hand-offs, breached
        return re.search(rf'data-clock="{clock}">.*?<td class="num">\d+</td><td class="num">(\d+)</td>', missed,
                         re.S).group(1)

    assert breached("accept") == "1" and breached("first_contact") == "1" and breached("handover") == "0"
