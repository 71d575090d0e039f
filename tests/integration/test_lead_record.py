"""The lead record on the real database: the search finds leads through its indexes in a fixed order, and a lead's
timeline holds everything that happened to it, newest first, loaded in a bounded number of statements."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from console.calls import services as calls
from console.clock import utcnow
from console.extensions import db
from console.handoffs import services as handoffs
from console.lead_record import services
from console.lead_record.rules import EventKind, classify_search
from console.lead_record.services import LeadFilters
from console.leads import services as leads
from console.leads.models import LeadList, Touch
from console.queue.services import claim_next_lead
from console.telephony.models import PhoneCall, Recording

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def found(text, page=1, **filters):
    results = services.search_leads(classify_search(text), LeadFilters(**filters), page)
    return [(item.lead.full_name, item.matched) for item in results.found]


@pytest.fixture
def people(make_campaign, make_lead):
    main, other = make_campaign("Main"), make_campaign("Other")
    return {
        "jordan": make_lead(main, first_name="Jordan", last_name="Rivera", phone="+12125550101", company="Acme Corp",
                            email="Jordan.Rivera@acme.example", external_id="CRM-001"),
        "maria": make_lead(main, first_name="Maria", last_name="Rivers", phone="+12125550102", company="Beta LLC",
                           email="maria@beta.example"),
        "ann": make_lead(other, first_name="Ann", last_name="Lee", phone="+14155550103", company="Rivet Works",
                         external_id="5550103"),
        "bob": make_lead(other, first_name="Bob", last_name="Stone", phone="+14155550104", company="Stone & Co"),
    }


def test_words_find_last_names_then_companies_beginning_with_them_in_any_case(people):
    assert found("RIV") == [("Jordan Rivera", "last name"), ("Maria Rivers", "last name"), ("Ann Lee", "company")]
    assert found("rivera") == [("Jordan Rivera", "last name")]
    assert found("acme") == [("Jordan Rivera", "company")]


def test_two_words_find_a_first_and_a_last_name(people):
    assert found("maria riv") == [("Maria Rivers", "name")]


def test_a_number_in_any_format_or_its_first_digits_finds_its_leads(people):
    assert found("(212) 555-0101") == [("Jordan Rivera", "phone")]
    assert found("415 555") == [("Ann Lee", "phone"), ("Bob Stone", "phone")]


def test_an_email_is_found_whatever_its_case_and_an_external_id_exactly(people):
    assert found("jordan.rivera@acme.example") == []  # stored with capitals: found as typed or in lower case only
    assert found("Jordan.Rivera@acme.example") == [("Jordan Rivera", "email")]
    assert found("maria@BETA.example".lower()) == [("Maria Rivers", "email")]
    assert found("CRM-001") == [("Jordan Rivera", "external id")]
    assert found("5550103") == [("Ann Lee", "external id")]  # digits: an id as well as a number's first digits


def test_filters_narrow_the_text_and_alone_list_the_newest_leads(people, campaign):
    main_id = people["jordan"].campaign_id
    assert found("riv", campaign_id=main_id) == [("Jordan Rivera", "last name"), ("Maria Rivers", "last name")]
    assert found("", campaign_id=people["ann"].campaign_id) == [("Bob Stone", ""), ("Ann Lee", "")]
    leads.set_stage(people["maria"], "mql")
    people["jordan"].score_band = "hot"
    db.session.commit()
    assert found("", stage="mql") == [("Maria Rivers", "")]
    assert found("riv", band="hot") == [("Jordan Rivera", "last name")]


def test_a_lead_list_filter_finds_the_leads_an_import_brought(people, users):
    lead_list = LeadList(campaign_id=people["bob"].campaign_id, file_name="expo.csv")
    db.session.add(lead_list)
    db.session.flush()
    people["bob"].lead_list_id = lead_list.id
    db.session.commit()
    assert found("", lead_list_id=lead_list.id) == [("Bob Stone", "")]


def test_pages_follow_each_other_without_repeating_a_lead(campaign, make_lead, monkeypatch):
    monkeypatch.setattr(services, "PER_PAGE", 3)
    for n in range(7):
        make_lead(campaign, first_name=f"P{n}", last_name=f"Riv{n}", company=f"Riverside {n}")
    pages = [services.search_leads(classify_search("riv"), LeadFilters(), page) for page in (1, 2, 3)]
    names = [item.lead.last_name for page in pages for item in page.found]
    assert names == [f"Riv{n}" for n in range(7)]
    assert [page.has_more for page in pages] == [True, True, False]


def test_one_letter_finds_nothing_but_an_external_id(people, campaign, make_lead):
    make_lead(campaign, first_name="X", last_name="R", external_id="R")
    assert found("R") == [("X R", "external id")]
    assert found("r") == []  # an id is compared exactly


# --- The timeline -------------------------------------------------------------------------------------------

@pytest.fixture
def lived(users, campaign, make_lead, list_number, change_lead):
    """A lead with a life: touched, called twice (answers, a recording, a hand-off accepted), its contact edited,
    its number listed for its campaign and then taken off."""
    agent, sales, marketing = users["teleprospector"], users["sales"], users["marketing"]
    lead = make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550111",
                     touches=[Touch(kind="webinar", description="Attended the pricing webinar",
                                    occurred_at=utcnow() - timedelta(days=3))])
    first = claim_next_lead(agent)
    calls.save_notes(first, agent, "Asked to call back")
    calls.record_disposition(first, agent, "no_answer")
    # Its retry came due (as the clock would have moved it), and it is called again.
    change_lead(db.session.get(type(lead), lead.id), next_call_at=utcnow() - timedelta(minutes=1),
                last_called_at=utcnow() - timedelta(hours=5))
    second = claim_next_lead(agent)
    phone_call = PhoneCall(call_id=second.id, placed_by_id=agent.id, mode="simulated", status="completed",
                           to_number=lead.phone, twilio_sid="CA" + "3" * 32, duration_seconds=125)
    db.session.add(phone_call)
    db.session.flush()
    db.session.add(Recording(phone_call_id=phone_call.id, recording_sid="RE" + "4" * 32, status="completed",
                             duration_seconds=120))
    db.session.commit()
    for key, value in STRONG.items():
        calls.save_answer(second, agent, key, value)
    handoff = calls.record_disposition(second, agent, "qualified", notes="Wants pricing")
    handoffs.accept(handoff, sales)
    fresh = db.session.get(type(lead), lead.id)
    leads.update_contact(fresh, marketing, {"email": "jordan@new.example"}, fresh.version)
    entry = list_number(lead.phone, campaign_id=campaign.id, reason="asked by email")
    leads.unlist_number(entry.id, marketing, reason="Wrong number was listed")
    db.session.expire_all()
    return db.session.get(type(lead), lead.id)


def test_the_timeline_holds_everything_that_happened_newest_first(users, lived):
    events = services.timeline(services.load_lead(lived.id), users["marketing"])
    kinds = [event.kind for event in events]
    assert kinds[-1] == EventKind.TOUCH  # three days ago, before the lead was created in the console
    assert kinds[:3] == [EventKind.DO_NOT_CALL_REMOVED, EventKind.DO_NOT_CALL, EventKind.CONTACT]
    assert kinds.count(EventKind.CALL) == 2 and kinds.count(EventKind.ANSWER) == 4
    assert EventKind.HANDOFF in kinds and EventKind.DECISION in kinds and EventKind.CREATED in kinds
    assert [event.at for event in events] == sorted((event.at for event in events), reverse=True)

    by_kind = {}
    for item in events:
        by_kind.setdefault(item.kind, []).append(item)
    qualified_call, first_call = by_kind[EventKind.CALL]
    assert (qualified_call.summary, qualified_call.actor) == ("Call 2: Qualified", "Teleprospector Person")
    assert "Talk time 2:05" in qualified_call.details and "Wants pricing" in qualified_call.details
    assert len(qualified_call.recordings) == 1  # marketing may hear it
    assert first_call.summary == "Call 1: No answer" and "Asked to call back" in first_call.details
    assert by_kind[EventKind.ANSWER][0].summary.startswith("Timeline: Buying within 3 months")
    assert by_kind[EventKind.ANSWER][0].details == ("Score 100 (hot)",)
    assert by_kind[EventKind.ANSWER][-1].details == ("Score 25 (cool)",)
    assert by_kind[EventKind.DECISION][0].actor == "Sales Person"
    assert by_kind[EventKind.HANDOFF][0].link is None  # marketing does not open sales' packets
    assert by_kind[EventKind.CONTACT][0].details[0].startswith("Email: ") and \
        by_kind[EventKind.CONTACT][0].details[0].endswith("→ jordan@new.example")
    assert by_kind[EventKind.DO_NOT_CALL_REMOVED][0].details == ("Reason: Wrong number was listed",)
    assert "campaign Main campaign" in by_kind[EventKind.DO_NOT_CALL][0].summary


def test_sales_follow_their_hand_off_to_its_packet_and_hear_the_recording(users, lived):
    events = services.timeline(services.load_lead(lived.id), users["sales"])
    handoff = next(event for event in events if event.kind == EventKind.HANDOFF)
    assert handoff.link.startswith("/handoffs/")
    assert next(event for event in events if event.kind == EventKind.CALL).recordings


def test_another_sales_member_sees_no_packet_link_and_no_recording(users, lived, make_user):
    colleague = make_user("sales")
    events = services.timeline(services.load_lead(lived.id), colleague)
    assert next(event for event in events if event.kind == EventKind.HANDOFF).link is None
    assert not any(event.recordings for event in events)


def _statements_while(work) -> int:
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


def test_the_timeline_takes_the_same_few_statements_however_long_the_history(users, campaign, make_lead, lived):
    viewer = users["marketing"]
    long_history = _statements_while(lambda: services.timeline(services.load_lead(lived.id), viewer))
    quiet = make_lead(campaign, first_name="Quiet", phone="+12125550112")
    short_history = _statements_while(lambda: services.timeline(services.load_lead(quiet.id), viewer))
    assert long_history <= 13, long_history  # the lead itself, then one statement per kind of record
    assert short_history <= long_history
