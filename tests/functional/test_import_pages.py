"""The import pages over HTTP: upload, column mapping, the worker's job, progress, the row report, withdrawing."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.imports.rules import ListStatus
from console.leads.models import Lead, LeadList
from console.outbox.worker import Worker

M = Role.MARKETING
GOOD_FILE = ("First Name,Last Name,Company,Phone,Notes\n"
             "Ann,Lee,Acme,(212) 555-0101,=cmd|' /C calc'!A0\n"
             "Bo,Li,Acme,not a number,\n")


@pytest.fixture
def marketer(client, auth, users):
    auth.login(users[M].email)
    # The sign-in wrote (its audit row): the test's own session must not go on reading from before that write,
    # or SQLite refuses its next write (a snapshot too old to write from).
    db.session.commit()
    return users[M]


def post_upload(client, auth, campaign, data: bytes | None, **fields):
    form = {"campaign_id": str(campaign.id), "source_name": "Badge scans", "duplicates": "skip",
            "csrf_token": auth.csrf_token(), **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), "badges.csv")
    return client.post("/imports/new", data=form, content_type="multipart/form-data")


def uploaded_list() -> LeadList:
    db.session.commit()  # read what the requests wrote since this session last read (SQLite keeps a snapshot)
    return db.session.scalars(select(LeadList).order_by(LeadList.id.desc())).first()


def test_an_upload_without_a_file_is_refused_and_keeps_what_was_typed(client, auth, marketer, campaign):
    response = post_upload(client, auth, campaign, None, source_name="Webinar attendees")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a CSV file to upload." in page
    assert 'value="Webinar attendees"' in page


def test_a_file_that_is_not_text_is_refused_with_the_reason(client, auth, marketer, campaign):
    response = post_upload(client, auth, campaign, b"PK\x03\x04\x00\x00\x08\x00" * 64)
    assert response.status_code == 422
    assert "not text in an encoding the console reads" in response.get_data(as_text=True)
    assert uploaded_list() is None


def test_the_mapping_page_shows_each_column_with_its_first_values_and_a_guessed_field(client, auth, marketer,
                                                                                     campaign):
    response = post_upload(client, auth, campaign, GOOD_FILE.encode())
    assert response.status_code == 303
    lead_list = uploaded_list()
    assert response.headers["Location"] == f"/imports/{lead_list.id}/mapping"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "read as UTF-8, comma-separated" in page
    assert re.search(r'<select id="columns-3" name="columns-3"[^>]*>.*?<option selected value="phone">Phone</option>',
                     page, re.S)
    assert re.search(r'<select id="columns-4" name="columns-4"[^>]*>\s*<option selected value="">', page)
    assert "(212) 555-0101" in page
    assert "=cmd|&#39; /C calc&#39;!A0" in page  # escaped in the page


def test_a_mapping_without_phone_or_with_a_field_twice_is_refused_and_kept(client, auth, marketer, campaign):
    post_upload(client, auth, campaign, GOOD_FILE.encode())
    lead_list = uploaded_list()
    response = auth.post(f"/imports/{lead_list.id}/mapping", {"columns-0": "first_name", "columns-1": "last_name",
                                                              "columns-2": "company", "columns-3": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Map a column to Phone" in page
    assert re.search(r'name="columns-2"[^>]*>.*?<option selected value="company">', page, re.S)
    response = auth.post(f"/imports/{lead_list.id}/mapping", {"columns-0": "first_name", "columns-1": "first_name",
                                                              "columns-2": "company", "columns-3": "phone"})
    assert response.status_code == 422
    assert "First name is already filled from &#39;First Name&#39;." in response.get_data(as_text=True)
    db.session.commit()
    assert db.session.get(LeadList, lead_list.id).status == ListStatus.UPLOADED


def test_the_worker_imports_a_started_list_and_its_page_shows_every_outcome(app, client, auth, marketer, campaign):
    post_upload(client, auth, campaign, GOOD_FILE.encode())
    lead_list = uploaded_list()
    response = auth.post(f"/imports/{lead_list.id}/mapping", {"columns-0": "first_name", "columns-1": "last_name",
                                                              "columns-2": "company", "columns-3": "phone"})
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{lead_list.id}"
    waiting = client.get(f"/imports/{lead_list.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in waiting and "waiting for the background worker" in waiting

    Worker(app, name="test-worker").run(once=True)

    done = client.get(f"/imports/{lead_list.id}", headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.get_data(as_text=True)  # finished: the page stops asking,
    assert done.headers["HX-Refresh"] == "true"  # and is drawn again whole, with its rows not imported
    page = client.get(f"/imports/{lead_list.id}").get_data(as_text=True)
    assert "Imported</span>" in page and "Rows read" in page
    assert re.search(r"Imported</th>\s*<td class=\"num\">1</td>", page)
    assert re.search(r"Rejected</th>\s*<td class=\"num\">1</td>", page)
    assert "phone &#39;not a number&#39; is not a valid number" in page
    db.session.commit()
    assert db.session.scalar(select(Lead.phone).where(Lead.lead_list_id == lead_list.id)) == "+12125550101"


def test_the_row_report_is_a_csv_a_spreadsheet_cannot_run(app, client, auth, marketer, campaign):
    post_upload(client, auth, campaign, ("First Name,Last Name,Company,Phone\n"
                                         "=HYPERLINK(\"http://x\"),Lee,Acme,bad\n").encode())
    lead_list = uploaded_list()
    auth.post(f"/imports/{lead_list.id}/mapping", {"columns-0": "first_name", "columns-1": "last_name",
                                                   "columns-2": "company", "columns-3": "phone"})
    Worker(app, name="test-worker").run(once=True)
    response = client.get(f"/imports/{lead_list.id}/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["line", "outcome", "reason", "lead id", "First Name", "Last Name", "Company", "Phone"]
    assert rows[1] == ["2", "Rejected", "phone 'bad' is not a valid number", "", "'=HYPERLINK(\"http://x\")", "Lee",
                       "Acme", "bad"]


def test_withdrawing_a_list_says_how_many_leads_left_the_queue(app, client, auth, marketer, campaign):
    post_upload(client, auth, campaign, GOOD_FILE.encode())
    lead_list = uploaded_list()
    auth.post(f"/imports/{lead_list.id}/mapping", {"columns-0": "first_name", "columns-1": "last_name",
                                                   "columns-2": "company", "columns-3": "phone"})
    Worker(app, name="test-worker").run(once=True)
    response = auth.post(f"/imports/{lead_list.id}/withdraw", follow_redirects=True)
    assert "List withdrawn: 1 untouched lead left the queue." in response.get_data(as_text=True)
    db.session.commit()
    assert db.session.scalar(select(Lead.queue_state).where(Lead.lead_list_id == lead_list.id)) == "closed"


def test_the_campaigns_lists_tab_lists_its_imports(client, auth, marketer, campaign):
    post_upload(client, auth, campaign, GOOD_FILE.encode())
    page = client.get(f"/campaigns/{campaign.id}/lists").get_data(as_text=True)
    assert "badges.csv" in page and "Waiting for its column mapping" in page
    assert '<a href="/campaigns/%d/lists" aria-current="page">Lists</a>' % campaign.id in page


def test_an_ended_campaign_takes_no_list(client, auth, marketer, make_campaign):
    from console.clock import utcnow

    ended = make_campaign("Old campaign", ended_at=utcnow())
    response = post_upload(client, auth, ended, GOOD_FILE.encode())
    assert response.status_code == 422
    assert uploaded_list() is None


def test_a_file_larger_than_allowed_gets_a_clear_413(app, client, auth, marketer, campaign):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        response = post_upload(client, auth, campaign, b"a,b\n" + b"1,2\n" * 2000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "larger than the console accepts" in response.get_data(as_text=True)
