"""The do-not-call list's writer on the real database: one number, a file of them, a removal; where each entry came
from; every change audited and the queue columns right at once."""
import codecs
import time

import pytest
from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.compliance import services as do_not_call_list
from console.compliance.models import DoNotCallEntry, DoNotCallSource
from console.compliance.services import EntrySearch
from console.extensions import db
from console.leads import number_files, services as leads
from console.leads.models import LeadList


def _entries():
    db.session.expire_all()
    return {(entry.phone, entry.campaign_id): entry for entry in db.session.scalars(select(DoNotCallEntry))}


def _audits(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_number_added_by_a_person_is_manual_audited_and_out_of_every_queue(users, make_campaign, make_lead):
    first, second = make_campaign(), make_campaign()
    leads_with_it = [make_lead(first, phone="+13125550101"), make_lead(second, phone="+13125550101")]
    admin = users["admin"]
    entry = leads.list_number("+13125550101", admin, campaign_id=None, reason="Asked by email")
    assert (entry.source, entry.added_by_id, entry.reason) == (DoNotCallSource.MANUAL, admin.id, "Asked by email")
    for lead in leads_with_it:
        db.session.refresh(lead)
        assert lead.do_not_call and lead.queue_rank is None
    [audit] = _audits("do_not_call.added")
    assert (audit.actor_id, audit.subject_id, audit.detail["phone"], audit.detail["campaign_id"]) == \
        (admin.id, entry.id, "+13125550101", None)


def test_adding_a_number_already_listed_there_changes_nothing_and_is_not_audited_again(users, campaign):
    admin = users["admin"]
    assert leads.list_number("+13125550102", admin, campaign_id=campaign.id, reason="first") is not None
    assert leads.list_number("+13125550102", admin, campaign_id=campaign.id, reason="again") is None
    assert leads.list_number("+13125550102", admin, campaign_id=None, reason="now everywhere") is not None
    assert len(_entries()) == 2 and len(_audits("do_not_call.added")) == 2


def test_an_imports_entry_records_its_list(users, campaign):
    lead_list = LeadList(campaign_id=campaign.id, file_name="trade-show.csv", created_by_id=users["marketing"].id)
    db.session.add(lead_list)
    db.session.commit()
    entry = leads.add_to_do_not_call("+13125550103", source=DoNotCallSource.IMPORT, lead_list_id=lead_list.id,
                                     reason="Marked do-not-call in the file")
    db.session.commit()
    assert (entry.source, entry.lead_list.file_name) == ("import", "trade-show.csv")


MIXED_FILE = (
    "Name,Phone,Note\r\n"
    "Ann,(312) 555-0110,new\r\n"  # line 2: added
    "Bob,312.555.0111,already listed\r\n"  # line 3: already on the global list
    "Cy,+1 312 555 0110,repeat\r\n"  # line 4: line 2's number again
    "Di,555-0112,too short\r\n"  # line 5: invalid
    "\r\n"  # line 6: empty, skipped
    "Ed,,no number\r\n"  # line 7: invalid (empty)
    'Flo,"(312) 555-0113",quoted\r\n'  # line 8: added
    "Gus,1-312-555-0114,has a lead\r\n"  # line 9: added, its lead suppressed
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_a_file_of_numbers_counts_added_already_listed_repeated_and_invalid_lines(users, campaign, make_lead,
                                                                                 list_number, encoding):
    list_number("+13125550111")
    with_lead = make_lead(campaign, phone="+13125550114")
    data = MIXED_FILE.replace("Ann", "Anné").encode(encoding) if encoding != "utf-8-sig" else \
        codecs.BOM_UTF8 + MIXED_FILE.encode("utf-8")
    read = number_files.read_numbers(data)
    assert read.numbers == ["+13125550110", "+13125550111", "+13125550113", "+13125550114"]
    assert read.repeated == 1
    assert [(line.line, line.value) for line in read.invalid] == [(5, "555-0112"), (7, "")]

    added = leads.list_numbers(read.numbers, users["marketing"], campaign_id=None, reason="Suppression file",
                               file_name="numbers.csv", counts={"repeated": read.repeated, "invalid": len(read.invalid)})
    assert added == ["+13125550110", "+13125550113", "+13125550114"]
    assert {phone for phone, _campaign in _entries()} == {"+13125550110", "+13125550111", "+13125550113",
                                                          "+13125550114"}
    assert _entries()[("+13125550110", None)].source == DoNotCallSource.MANUAL
    db.session.refresh(with_lead)
    assert with_lead.do_not_call and with_lead.queue_rank is None
    [audit] = _audits("do_not_call.uploaded")
    assert {key: audit.detail[key] for key in ("added", "already_listed", "repeated", "invalid", "file_name")} == \
        {"added": 3, "already_listed": 1, "repeated": 1, "invalid": 2, "file_name": "numbers.csv"}


def test_a_campaigns_file_suppresses_that_campaigns_leads_only(users, make_campaign, make_lead):
    first, second = make_campaign(), make_campaign()
    in_first, in_second = make_lead(first, phone="+13125550120"), make_lead(second, phone="+13125550120")
    leads.list_numbers(["+13125550120"], users["admin"], campaign_id=first.id, reason="x", file_name="f.csv",
                       counts={})
    db.session.refresh(in_first)
    db.session.refresh(in_second)
    assert in_first.do_not_call and not in_second.do_not_call and in_second.queue_rank is not None


def test_a_hundred_thousand_numbers_are_listed_in_seconds(users, campaign, make_lead):
    phones = [f"+1312{200 + n // 10000:03d}{n % 10000:04d}" for n in range(100_000)]
    lead = make_lead(campaign, phone=phones[77_777])
    started = time.perf_counter()
    added = leads.list_numbers(phones, users["admin"], campaign_id=None, reason="bulk", file_name="big.csv", counts={})
    seconds = time.perf_counter() - started
    assert len(added) == 100_000
    assert db.session.scalar(select(func.count()).select_from(DoNotCallEntry)) == 100_000
    db.session.refresh(lead)
    assert lead.do_not_call
    assert seconds < 20, f"{seconds:.1f} s"  # a few seconds on a quiet machine; generous for a loaded one


def test_removing_an_entry_judges_its_leads_again_and_keeps_the_whole_entry_in_the_audit(users, make_campaign,
                                                                                         make_lead, list_number):
    first, second = make_campaign(), make_campaign()
    in_first, in_second = make_lead(first, phone="+13125550130"), make_lead(second, phone="+13125550130")
    global_entry = list_number("+13125550130", reason="opted out")
    list_number("+13125550130", campaign_id=first.id, reason="this campaign too")
    marketing = users["marketing"]
    leads.unlist_number(global_entry.id, marketing, reason="Wrong number was listed")
    db.session.refresh(in_first)
    db.session.refresh(in_second)
    assert in_first.do_not_call and in_first.queue_rank is None  # its campaign's own entry still covers it
    assert not in_second.do_not_call and in_second.queue_rank is not None  # callable again
    [audit] = _audits("do_not_call.removed")
    assert audit.actor_id == marketing.id
    assert {key: audit.detail[key] for key in ("phone", "campaign_id", "reason", "entry_reason")} == \
        {"phone": "+13125550130", "campaign_id": None, "reason": "Wrong number was listed", "entry_reason": "opted out"}


def test_a_removal_needs_a_reason_and_an_entry_still_there(users, list_number):
    entry = list_number("+13125550140")
    with pytest.raises(leads.DoNotCallRefused, match="Say why"):
        leads.unlist_number(entry.id, users["admin"], reason="  ")
    leads.unlist_number(entry.id, users["admin"], reason="ok")
    with pytest.raises(leads.DoNotCallRefused, match="no longer on the list"):
        leads.unlist_number(entry.id, users["admin"], reason="twice")


def test_the_list_pages_by_number_in_number_order_and_otherwise_newest_first(users, make_campaign, list_number):
    campaign = make_campaign()
    for n in range(7):
        list_number(f"+1312555{n:04d}", campaign_id=campaign.id if n % 2 else None)
    leads.list_number("+14155550100", users["admin"], campaign_id=None, reason="manual")

    first = do_not_call_list.find_entries(EntrySearch(), limit=3)
    assert [entry.phone for entry in first.entries] == ["+14155550100", "+13125550006", "+13125550005"]
    second = do_not_call_list.find_entries(EntrySearch(), cursor=first.next_cursor, limit=3)
    assert [entry.phone for entry in second.entries] == ["+13125550004", "+13125550003", "+13125550002"]

    by_prefix = do_not_call_list.find_entries(EntrySearch(prefix="+1312555"), limit=4)
    assert [entry.phone for entry in by_prefix.entries] == [f"+1312555{n:04d}" for n in range(4)]
    rest = do_not_call_list.find_entries(EntrySearch(prefix="+1312555"), cursor=by_prefix.next_cursor, limit=4)
    assert [entry.phone for entry in rest.entries] == [f"+1312555{n:04d}" for n in range(4, 7)]
    assert rest.next_cursor is None

    scoped = do_not_call_list.find_entries(EntrySearch(scope=str(campaign.id)))
    assert [entry.phone for entry in scoped.entries] == ["+13125550005", "+13125550003", "+13125550001"]
    assert len(do_not_call_list.find_entries(EntrySearch(scope="global")).entries) == 5
    assert [entry.phone for entry in do_not_call_list.find_entries(EntrySearch(phone="+13125550003")).entries] == \
        ["+13125550003"]
    assert do_not_call_list.find_entries(EntrySearch(source="api")).entries == []
