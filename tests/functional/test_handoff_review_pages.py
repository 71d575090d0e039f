"""The review page: marketing sees what waits with its clock, releases it or sends it back with what to fix (a
reason is required, and kept when the form is refused); the sales member cannot open it before it is released."""
import pytest

from console.auth.models import Role
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus, SlaPolicy

T, S, M = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING


@pytest.fixture
def in_review(campaign, qualify):
    db.session.add(SlaPolicy(campaign_id=campaign.id, requires_review=True))
    db.session.commit()
    return qualify(campaign, first_name="Robin", last_name="Review")


def test_marketing_sees_the_lead_waiting_with_marketings_clock_and_releases_it(auth, client, in_review):
    auth.login("sales@example.com")
    assert client.get(f"/handoffs/{in_review.id}").status_code == 403
    auth.logout()
    auth.login("marketing@example.com")
    page = client.get("/handoffs/review/").get_data(as_text=True)
    assert "Robin Review" in page and "Hand over clock: </span>" in page
    response = auth.post(f"/handoffs/review/{in_review.id}/release")
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Handoff, in_review.id).status == HandoffStatus.PENDING
    auth.logout()
    auth.login("sales@example.com")
    assert client.get(f"/handoffs/{in_review.id}").status_code == 200


def test_sending_back_without_saying_what_to_fix_is_refused_and_nothing_moves(auth, client, in_review):
    auth.login("marketing@example.com")
    response = auth.post(f"/handoffs/review/{in_review.id}/send-back", {"reason": "  "})
    assert response.status_code == 422
    assert "Say what the agent should fix" in response.get_data(as_text=True)
    response = auth.post(f"/handoffs/review/{in_review.id}/send-back", {"reason": "x" * 2001})
    assert response.status_code == 422 and "x" * 2001 in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Handoff, in_review.id).status == HandoffStatus.REVIEW
    assert auth.post(f"/handoffs/review/{in_review.id}/send-back", {"reason": "Wrong email"}).status_code == 303
    db.session.rollback()
    assert db.session.get(Handoff, in_review.id).status == HandoffStatus.REJECTED


def test_a_hand_off_no_longer_in_review_is_refused_in_words(auth, client, in_review):
    auth.login("marketing@example.com")
    assert auth.post(f"/handoffs/review/{in_review.id}/release").status_code == 303
    response = auth.post(f"/handoffs/review/{in_review.id}/release")
    assert response.status_code == 422 and "no longer in review" in response.get_data(as_text=True)
    assert auth.post("/handoffs/review/999999/release").status_code == 404
