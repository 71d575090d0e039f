"""In-app notifications: the bell in the top bar, the notifications page, and marking them read."""
import re

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.database import writers
from console.extensions import db
from console.notifications import services as notifications
from console.notifications.models import Notification
from console.outbox import services as outbox
from console.outbox.worker import Worker

SALES = "sales@example.com"


@pytest.fixture
def notify(app, users):
    """Notify users the way the console does: enqueued in a transaction, then delivered by the worker."""
    def send(title, *, to=Role.SALES, body="", url=None):
        with writers.write_transaction(db.session):
            outbox.notify([users[to].id], title, body=body, url=url)
        Worker(app, name="test-worker").run(once=True)
        return db.session.scalars(select(Notification).where(Notification.user_id == users[to].id)
                                  .order_by(Notification.id.desc())).first()

    return send


def bell_label(html: str) -> str:
    match = re.search(r'id="notification-bell".*?aria-label="([^"]+)"', html, re.S)
    assert match, "no bell on the page"
    return match.group(1)


def bell(client) -> str:
    return client.get("/notifications/bell", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_the_bell_in_the_top_bar_shows_how_many_notifications_are_unread(client, auth, notify):
    notify("Hand-off waiting: Jordan Rivera", url="/handoffs/")
    notify("Hand-off waiting: Sam Lee", url="/handoffs/")
    auth.login(SALES)
    page = client.get("/handoffs/").get_data(as_text=True)
    assert bell_label(page) == "Notifications, 2 unread"
    assert '<span class="count" aria-hidden="true">2</span>' in page


def test_the_bell_says_none_are_unread_when_all_are_read(client, auth, users):
    auth.login(SALES)
    page = client.get("/handoffs/").get_data(as_text=True)
    assert bell_label(page) == "Notifications, none unread"
    assert 'class="count"' not in page


@pytest.mark.parametrize("role", Role.ALL)
def test_every_signed_in_role_has_the_bell(client, auth, users, role):
    auth.login(f"{role}@example.com")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert page.count('id="notification-bell"') == 1


def test_the_bell_is_not_shown_before_sign_in(client, users):
    assert 'id="notification-bell"' not in client.get("/login").get_data(as_text=True)


def test_the_bell_polls_at_the_configured_interval(client, auth, users, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_POLL_SECONDS", 45)
    auth.login(SALES)
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'hx-get="/notifications/bell" hx-trigger="every 45s" hx-swap="outerHTML"' in page


def test_the_notifications_page_lists_them_newest_first_with_the_unread_ones_marked(client, auth, notify):
    older = notify("Hand-off waiting: Jordan Rivera", body="Score 100 (hot).", url="/handoffs/")
    newer = notify("Report ready", url="/reports/")
    notifications.mark_read(older)
    auth.login(SALES)
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index("Report ready") < page.index("Hand-off waiting: Jordan Rivera")
    assert f'class="notification is-unread" data-notification-id="{newer.id}"' in page
    assert f'class="notification" data-notification-id="{older.id}"' in page
    assert page.count("Unread</span>") == 1
    assert "Score 100 (hot)." in page
    assert f'action="/notifications/{newer.id}/read"' in page
    assert "Mark all read" in page


def test_the_page_says_so_when_there_are_no_notifications(client, auth, users):
    auth.login(SALES)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "No notifications yet." in page
    assert "Mark all read" not in page


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, auth, notify):
    handoff = notify("Hand-off waiting: Jordan Rivera", url="/handoffs/")
    notify("Hand-off waiting: Sam Lee", url="/handoffs/")
    auth.login(SALES)
    response = auth.post(f"/notifications/{handoff.id}/read")
    assert response.status_code == 303
    assert response.headers["Location"] == "/handoffs/"
    assert bell_label(bell(client)) == "Notifications, 1 unread"
    db.session.remove()  # a fresh session sees what the request committed
    assert db.session.get(Notification, handoff.id).read_at is not None


def test_marking_a_notification_without_a_page_returns_to_the_notifications_page(client, auth, notify):
    notice = notify("The queue was rebuilt")
    auth.login(SALES)
    assert "Mark read" in client.get("/notifications/").get_data(as_text=True)
    response = auth.post(f"/notifications/{notice.id}/read")
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications/"
    assert bell_label(bell(client)) == "Notifications, none unread"


def test_a_notification_never_sends_its_reader_off_the_console(client, auth, notify):
    notice = notify("Look here", url="https://elsewhere.example/phish")
    auth.login(SALES)
    response = auth.post(f"/notifications/{notice.id}/read")
    assert response.headers["Location"] == "/notifications/"


def test_nobody_can_read_or_mark_another_users_notification(client, auth, notify, make_user):
    notice = notify("Hand-off waiting: Jordan Rivera", url="/handoffs/")
    colleague = make_user(Role.SALES, email="colleague@example.com")
    for email in (colleague.email, "admin@example.com"):
        auth.login(email)
        assert "Jordan Rivera" not in client.get("/notifications/").get_data(as_text=True)
        assert auth.post(f"/notifications/{notice.id}/read").status_code == 403
        auth.post("/notifications/read-all")
        auth.logout()
    auth.login(SALES)
    assert bell_label(bell(client)) == "Notifications, 1 unread"


def test_marking_a_missing_notification_read_is_not_found(client, auth, users):
    auth.login(SALES)
    assert auth.post("/notifications/999999/read").status_code == 404


def test_mark_all_read_clears_the_count_and_returns_to_the_page(client, auth, notify):
    notify("Hand-off waiting: Jordan Rivera", url="/handoffs/")
    notify("Hand-off waiting: Sam Lee", url="/handoffs/")
    auth.login(SALES)
    response = auth.post("/notifications/read-all")
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications/"
    page = client.get("/notifications/").get_data(as_text=True)
    assert "All notifications marked read." in page
    assert "is-unread" not in page
    assert bell_label(page) == "Notifications, none unread"


def test_the_bell_fragment_is_returned_alone_for_htmx(client, auth, notify):
    notify("Hand-off waiting: Jordan Rivera", url="/handoffs/")
    auth.login(SALES)
    response = client.get("/notifications/bell", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "topbar" not in html
    assert html.count('id="notification-bell"') == 1
    assert bell_label(html) == "Notifications, 1 unread"
    assert "HX-Request" in response.headers["Vary"]
