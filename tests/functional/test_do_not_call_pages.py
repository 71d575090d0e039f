"""The do-not-call pages in the browser's place: search, add one number, upload a file, remove with a reason."""
import io

import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.compliance.models import DoNotCallEntry
from console.extensions import db
from console.leads import number_files
from console.leads.models import Lead


@pytest.fixture
def marketing(client, auth, users):
    auth.login("marketing@example.com")
    return client


def _entries():
    db.session.rollback()
    return {(entry.phone, entry.campaign_id): entry for entry in db.session.scalars(select(DoNotCallEntry))}


def test_the_list_shows_each_entry_with_where_it_came_from(marketing, users, campaign, list_number):
    from console.leads import services as leads

    list_number("+13125550101", reason="Opted out by email")
    leads.add_to_do_not_call("+13125550102", campaign_id=campaign.id, reason="Opted out on a call", source="opt_out",
                             call_id=None, added_by_id=users["teleprospector"].id)
    db.session.commit()
    page = marketing.get("/do-not-call").get_data(as_text=True)
    assert "(312) 555-0101" in page and "Opted out by email" in page and "Global" in page
    assert "Main campaign" in page and "Opt-out" in page and "by Teleprospector Person" in page
    assert page.index("(312) 555-0102") < page.index("(312) 555-0101")  # newest first


@pytest.mark.parametrize("typed", ["312-555-0101", "+1 (312) 555 0101", "312555", "1312555"])
def test_a_number_is_found_typed_in_any_format_or_by_its_first_digits(marketing, list_number, typed):
    list_number("+13125550101")
    list_number("+14155550101")
    page = marketing.get("/do-not-call", query_string={"q": typed}).get_data(as_text=True)
    assert "(312) 555-0101" in page and "(415) 555-0101" not in page


def test_scope_and_source_filter_the_list(marketing, campaign, list_number):
    list_number("+13125550101")
    list_number("+13125550102", campaign_id=campaign.id)
    page = marketing.get("/do-not-call", query_string={"scope": str(campaign.id)}).get_data(as_text=True)
    assert "(312) 555-0102" in page and "(312) 555-0101" not in page
    page = marketing.get("/do-not-call", query_string={"scope": "global", "source": "api"}).get_data(as_text=True)
    assert "No entry matches." in page


def test_a_search_with_no_digits_or_an_unknown_scope_is_corrected_not_an_error(marketing):
    response = marketing.get("/do-not-call", query_string={"q": "hello", "scope": "999"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Type a number, or its first digits." in page and "Not a valid choice" in page
    assert 'value="hello"' in page


def test_adding_a_number_lists_it_for_its_scope_audited_and_out_of_the_queue(marketing, auth, campaign, make_lead):
    lead = make_lead(campaign, phone="+13125550103")
    response = auth.post("/do-not-call", data={"phone": "(312) 555-0103", "scope": str(campaign.id),
                                               "reason": "Asked on LinkedIn"})
    assert response.status_code == 303 and response.headers["Location"] == "/do-not-call?q=%2B13125550103"
    entry = _entries()[("+13125550103", campaign.id)]
    assert (entry.source, entry.reason) == ("manual", "Asked on LinkedIn")
    assert db.session.get(Lead, lead.id).queue_rank is None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "DoNotCallEntry",
                                                             AuditEvent.subject_id == entry.id)) == "do_not_call.added"
    page = marketing.get(response.headers["Location"]).get_data(as_text=True)
    assert "(312) 555-0103 is on the do-not-call list" in page


def test_a_wrong_number_is_shown_beside_its_field_with_what_was_typed(marketing, auth):
    response = auth.post("/do-not-call", data={"phone": "555-01", "scope": "global", "reason": "typed reason"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "555-01 is not a valid phone number" in page
    assert 'value="555-01"' in page and "typed reason</textarea>" in page
    assert _entries() == {}


def test_a_reason_is_required(marketing, auth):
    response = auth.post("/do-not-call", data={"phone": "312 555 0104", "scope": "global", "reason": ""})
    assert response.status_code == 422
    assert "Say why this number may not be called." in response.get_data(as_text=True)


def _upload(auth, content: bytes, name="numbers.csv", scope="global", reason="Suppression list"):
    return auth.post("/do-not-call/upload", data={"numbers": (io.BytesIO(content), name), "scope": scope,
                                                  "reason": reason}, content_type="multipart/form-data")


def test_an_uploaded_file_is_counted_and_every_invalid_line_listed(marketing, auth, list_number):
    list_number("+13125550111")
    content = "phone\n(312) 555-0110\n312.555.0111\n+1 312 555 0110\n12345\n\n=cmd()\n".encode("utf-16")
    response = _upload(auth, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-count="added">1<' in page and 'data-count="already_listed">1<' in page
    assert 'data-count="repeated">1<' in page and 'data-count="invalid">2<' in page
    assert "<td class=\"num\">5</td><td>12345</td>" in page and "<td class=\"num\">7</td><td>=cmd()</td>" in page
    assert "UTF-16" in page
    assert set(_entries()) == {("+13125550110", None), ("+13125550111", None)}
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "do_not_call.uploaded"))
    assert (audit.detail["added"], audit.detail["invalid"], audit.detail["file_name"]) == (1, 2, "numbers.csv")


def test_an_unreadable_or_too_large_file_is_refused_before_anything_is_written(marketing, auth, monkeypatch):
    response = _upload(auth, b"name,company\nAnn,Acme\n", reason="kept reason")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "none is headed phone, number or telephone" in page
    assert "kept reason</textarea>" in page
    monkeypatch.setattr(number_files, "MAX_FILE_BYTES", 20)
    response = _upload(auth, b"phone\n" + b"(312) 555-0110\n" * 5)
    assert response.status_code == 422 and "The file is larger than" in response.get_data(as_text=True)
    assert _entries() == {}


def test_an_upload_without_a_file_says_so(marketing, auth):
    response = auth.post("/do-not-call/upload", data={"scope": "global", "reason": "x"})
    assert response.status_code == 422 and "Choose a file." in response.get_data(as_text=True)


def test_removing_needs_a_reason_then_lets_its_leads_be_called_again(marketing, auth, users, campaign, make_lead,
                                                                     list_number):
    lead = make_lead(campaign, phone="+13125550120")
    entry = list_number(lead.phone)
    response = auth.post(f"/do-not-call/{entry.id}/remove?q=312", data={"reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say why the number may be called again." in page and f'id="entry-{entry.id}"' in page
    assert "<details open>" in page  # the row's removal form stays open at its error

    response = auth.post(f"/do-not-call/{entry.id}/remove?q=312", data={"reason": "Listed by mistake"})
    assert response.status_code == 303 and response.headers["Location"] == "/do-not-call?q=312"
    assert _entries() == {}
    assert db.session.get(Lead, lead.id).queue_rank is not None
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "do_not_call.removed"))
    assert (audit.actor_id, audit.detail["reason"], audit.detail["phone"]) == \
        (users["marketing"].id, "Listed by mistake", "+13125550120")


@pytest.mark.parametrize("role", ["teleprospector", "sales"])
def test_agents_and_sales_cannot_open_or_change_the_list(client, auth, users, role, list_number):
    entry = list_number("+13125550130")
    auth.login(f"{role}@example.com")
    assert client.get("/do-not-call").status_code == 403
    assert auth.post("/do-not-call", data={"phone": "3125550131", "scope": "global", "reason": "x"}).status_code == 403
    assert auth.post(f"/do-not-call/{entry.id}/remove", data={"reason": "x"}).status_code == 403
