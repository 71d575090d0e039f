"""The agent on the call corrects the lead's contact details: through the lead's one writer, audited, refused
with what is wrong beside the field (what was typed kept), never for a call that is not theirs."""
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.extensions import db
from console.leads.models import Lead
from console.queue.services import claim_next_lead


def _claimed(users, campaign, make_lead):
    lead = make_lead(campaign)
    call = claim_next_lead(users["teleprospector"])
    return lead, call


def test_the_agent_corrects_title_and_email_and_the_change_is_audited(client, auth, users, campaign, make_lead):
    lead, call = _claimed(users, campaign, make_lead)
    auth.login("teleprospector@example.com")
    screen = client.get(f"/calls/{call.id}")
    assert b"Correct contact details" in screen.data
    response = auth.post(f"/calls/{call.id}/contact", {
        "contact-first_name": lead.first_name, "contact-last_name": lead.last_name, "contact-title": "Head of Operations",
        "contact-email": "pat.ops@example.com", "contact-alternate_phone": "", "contact-version": str(lead.version)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/calls/{call.id}")
    db.session.rollback()  # end this session's read, begun before the request wrote
    stored = db.session.get(Lead, lead.id)
    assert (stored.title, stored.email) == ("Head of Operations", "pat.ops@example.com")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.contact_updated")).one()
    assert event.actor_id == users["teleprospector"].id
    assert set(event.detail["after"]) == {"title", "email"}


def test_a_bad_email_is_refused_beside_its_field_and_what_was_typed_stays(auth, users, campaign, make_lead):
    lead, call = _claimed(users, campaign, make_lead)
    auth.login("teleprospector@example.com")
    response = auth.post(f"/calls/{call.id}/contact", {
        "contact-first_name": lead.first_name, "contact-last_name": lead.last_name, "contact-title": "CTO <b>new</b>",
        "contact-email": "not an email", "contact-version": str(lead.version)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="contact-fix" open' in page
    assert 'value="not an email"' in page and "CTO &lt;b&gt;new&lt;/b&gt;" in page
    assert 'aria-invalid="true"' in page
    db.session.rollback()
    db.session.refresh(lead)
    assert lead.email != "not an email"


def test_a_correction_over_a_newer_lead_is_refused_and_changes_nothing(auth, users, campaign, make_lead):
    lead, call = _claimed(users, campaign, make_lead)
    auth.login("teleprospector@example.com")
    response = auth.post(f"/calls/{call.id}/contact", {
        "contact-first_name": "Someone", "contact-last_name": "Else", "contact-version": str(lead.version - 1)})
    assert response.status_code == 409
    db.session.rollback()
    db.session.refresh(lead)
    assert lead.first_name != "Someone"


def test_another_agent_cannot_correct_a_lead_on_a_call_that_is_not_theirs(auth, users, make_user, campaign,
                                                                          make_lead):
    lead, call = _claimed(users, campaign, make_lead)
    other = make_user("teleprospector", email="other@example.com")
    auth.login(other.email)
    response = auth.post(f"/calls/{call.id}/contact", {"contact-first_name": "X", "contact-last_name": "Y",
                                                       "contact-version": str(lead.version)})
    assert response.status_code == 403
    db.session.rollback()
    db.session.refresh(lead)
    assert lead.first_name != "X"
