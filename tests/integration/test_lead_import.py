"""Importing a list of leads on the real database: every row accounted for, duplicates, suppression, accounts,
resuming, re-importing, withdrawing, and the imported leads in the queue."""
from __future__ import annotations

import codecs
import io

import pytest
from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.imports import services
from console.imports.models import ImportMapping, ImportRowIssue
from console.imports.rules import ListStatus
from console.leads.models import Account, Lead, LeadList
from console.queue.services import claim_next_lead

HEADER = "First name,Last name,Company,Email,Phone,State\n"


def upload(campaign, text: str | bytes, *, user, file_name="list.csv", source="Trade show", duplicates="skip"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return services.upload(campaign, io.BytesIO(data), file_name, source_name=source, duplicates=duplicates,
                           actor=user)


def import_file(campaign, text, *, user, mapping=None, processes=0, **options):
    lead_list = upload(campaign, text, user=user, **options)
    columns = services.preview(lead_list).columns
    services.start(lead_list, mapping or services.suggested_mapping(lead_list, columns), user, run_in_worker=False)
    services.run(lead_list.id, processes=processes)
    db.session.expire_all()
    return db.session.get(LeadList, lead_list.id)


@pytest.fixture
def marketer(users):
    return users[Role.MARKETING]


def outcomes(lead_list):
    return {issue.line: (issue.outcome, issue.reason) for issue in
            db.session.scalars(select(ImportRowIssue).where(ImportRowIssue.lead_list_id == lead_list.id))}


def test_every_row_is_imported_or_reported_with_its_line_and_reason(campaign, marketer):
    text = (HEADER +
            "Ann,Lee,Acme,ann@acme.com,(212) 555-0101,NY\n"       # line 2: imported
            "Bob,Ray,Acme,bob@acme,(212) 555-0102,NY\n"           # 3: bad email
            "Cy,Fox,Beta,cy@beta.com,12,NY\n"                    # 4: bad phone
            "Di,Ng,Beta,di@beta.com,212-555-0101,NY\n"           # 5: same phone as line 2
            "Ed,Oz,Beta,ed@beta.com,(212) 555-0104,Atlantis\n"   # 6: unknown state
            ",,Gamma,,(212) 555-0105,NY\n"                       # 7: no name
            "Flo,Ma,,flo@x.com,(212) 555-0106,NY\n")             # 8: no company
    lead_list = import_file(campaign, text, user=marketer)
    assert lead_list.status == ListStatus.DONE
    assert (lead_list.rows_done, lead_list.imported, lead_list.rejected, lead_list.duplicate) == (7, 1, 5, 1)
    reported = outcomes(lead_list)
    assert reported[3] == ("rejected", "email 'bob@acme' is not an email address")
    assert reported[4] == ("rejected", "phone '12' is not a valid number")
    assert reported[5] == ("duplicate", "same phone as line 2 of this file")
    assert reported[6][1].startswith("state 'Atlantis'")
    assert reported[7] == ("rejected", "no name")
    assert reported[8][1].startswith("no company")
    lead = db.session.scalar(select(Lead).where(Lead.lead_list_id == lead_list.id))
    assert (lead.phone, lead.email, lead.state, lead.time_zones, lead.account.name) == (
        "+12125550101", "ann@acme.com", "NY", "America/New_York", "Acme")
    assert lead.source == "Trade show"


def test_the_row_report_repeats_each_rows_original_cells_in_file_order(campaign, marketer):
    lead_list = import_file(campaign, HEADER + "Ann,Lee,Acme,x,(212) 555-0101,NY\n\nBo,Li,Acme,b@a.com,bad,NY\n",
                            user=marketer)
    rows = list(services.report_rows(lead_list))
    assert rows[0] == ["line", "outcome", "reason", "lead id", "First name", "Last name", "Company", "Email", "Phone",
                       "State"]
    assert rows[1][:3] == [2, "Rejected", "email 'x' is not an email address"]
    assert rows[1][4:] == ["Ann", "Lee", "Acme", "x", "(212) 555-0101", "NY"]
    assert rows[2][:3] == [4, "Rejected", "phone 'bad' is not a valid number"]  # the empty line 3 is no row


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"), lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: text.encode("utf-16"), lambda text: text.encode("cp1252")])
def test_each_encoding_imports_the_same_names(campaign, marketer, encode):
    lead_list = import_file(campaign, encode(HEADER + "Zoë,Brontë,Café Crème,zoe@cafe.fr,(212) 555-0101,NY\n"),
                            user=marketer)
    lead = db.session.scalar(select(Lead).where(Lead.lead_list_id == lead_list.id))
    assert (lead.first_name, lead.last_name, lead.account.name) == ("Zoë", "Brontë", "Café Crème")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_with_quoted_newlines_are_read(campaign, marketer, delimiter):
    text = delimiter.join(["First name", "Last name", "Company", "Phone", "Title"]) + "\n" + delimiter.join(
        ["Ann", "Lee", '"Acme; Inc"', "(212) 555-0101", '"Head of\nSales"']) + "\n"
    lead_list = import_file(campaign, text, user=marketer)
    assert lead_list.imported == 1
    lead = db.session.scalar(select(Lead).where(Lead.lead_list_id == lead_list.id))
    assert lead.title == "Head of\nSales"
    assert lead.account.name == "Acme; Inc"


def test_numbers_on_the_do_not_call_list_are_imported_suppressed_and_never_claimed(campaign, marketer, list_number,
                                                                                    users):
    list_number("+12125550101")
    lead_list = import_file(campaign, HEADER + "Ann,Lee,Acme,,(212) 555-0101,NY\nBo,Li,Acme,,(212) 555-0102,NY\n",
                            user=marketer)
    assert (lead_list.imported, lead_list.suppressed) == (1, 1)
    suppressed = db.session.scalar(select(Lead).where(Lead.phone == "+12125550101"))
    assert suppressed.do_not_call and suppressed.queue_rank is None
    assert outcomes(lead_list)[2][0] == "suppressed"
    assert db.session.scalar(select(ImportRowIssue.lead_id).where(ImportRowIssue.line == 2)) == suppressed.id
    agent = users[Role.TELEPROSPECTOR]
    call = claim_next_lead(agent)
    assert call.lead.phone == "+12125550102"
    assert claim_next_lead(users[Role.ADMIN]) is None


def test_importing_the_same_file_twice_changes_nothing_the_second_time(campaign, marketer):
    text = HEADER + "Ann,Lee,Acme,ann@acme.com,(212) 555-0101,NY\nBo,Li,Beta,bo@beta.com,(212) 555-0102,NY\n"
    first = import_file(campaign, text, user=marketer)
    leads_before = db.session.execute(select(Lead.id, Lead.version, Lead.updated_at).order_by(Lead.id)).all()
    for policy in ("skip", "update"):
        again = import_file(campaign, text, user=marketer, duplicates=policy)
        assert (again.imported, again.duplicate, again.updated) == (0, 2, 0)
        assert db.session.execute(select(Lead.id, Lead.version, Lead.updated_at).order_by(Lead.id)).all() == leads_before
    assert outcomes(again)[2] == ("duplicate", f"already lead #{leads_before[0].id} of this campaign (same phone), no change")
    assert first.imported == 2
    assert db.session.scalar(select(func.count(Account.id))) == 2


def test_the_update_policy_brings_a_matched_lead_to_the_files_values(campaign, marketer):
    import_file(campaign, HEADER + "Ann,Lee,Acme,ann@acme.com,(212) 555-0101,NY\n", user=marketer)
    lead_list = import_file(campaign, "First name,Last name,Company,Email,Phone,State,Title\n"
                                      "Ann,Lee-Smith,Acme,ann@acme.com,(212) 555-0101,NY,CFO\n",
                            user=marketer, duplicates="update")
    assert (lead_list.updated, lead_list.imported) == (1, 0)
    lead = db.session.scalar(select(Lead).where(Lead.phone == "+12125550101"))
    assert (lead.last_name, lead.title, lead.version) == ("Lee-Smith", "CFO", 2)
    assert outcomes(lead_list)[2] == ("updated", f"updated lead #{lead.id} (same phone)")


def test_accounts_are_matched_by_domain_then_by_name(campaign, marketer):
    text = ("First name,Last name,Company,Website,Phone\n"
            "Ann,Lee,Acme Inc,https://www.acme.com/about,(212) 555-0101\n"
            "Bo,Li,ACME Incorporated,acme.com,(212) 555-0102\n"
            "Cy,Ng,Beta,,(212) 555-0103\n"
            "Di,Oz,beta,,(212) 555-0104\n")
    import_file(campaign, text, user=marketer)
    accounts = {lead.last_name: lead.account for lead in db.session.scalars(select(Lead))}
    assert accounts["Lee"].id == accounts["Li"].id and accounts["Lee"].domain == "acme.com"
    assert accounts["Ng"].id == accounts["Oz"].id
    assert db.session.scalar(select(func.count(Account.id))) == 2


def test_formula_like_cells_are_stored_as_text(campaign, marketer):
    lead_list = import_file(campaign, "First name,Last name,Company,Phone,Title\n"
                                      '=HYPERLINK("http://evil"),@SUM(1),+Acme,(212) 555-0101,-CFO\n', user=marketer)
    lead = db.session.scalar(select(Lead).where(Lead.lead_list_id == lead_list.id))
    assert (lead.first_name, lead.last_name, lead.account.name, lead.title) == (
        '=HYPERLINK("http://evil")', "@SUM(1)", "+Acme", "-CFO")


def test_a_file_of_only_bad_rows_writes_no_lead_and_reports_each(campaign, marketer):
    lead_list = import_file(campaign, HEADER + "A,B,C,,nope,NY\nD,E,F,,0,NY\n", user=marketer)
    assert (lead_list.rows_done, lead_list.rejected, lead_list.imported) == (2, 2, 0)
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_custom_fields_of_the_campaign_are_filled_from_their_columns(make_campaign, marketer):
    campaign = make_campaign(custom_fields=[{"key": "fleet_size", "label": "Fleet size"}])
    lead_list = import_file(campaign, "Name,Company,Phone,Fleet size\nAnn Lee,Acme,(212) 555-0101,40\n", user=marketer)
    lead = db.session.scalar(select(Lead).where(Lead.lead_list_id == lead_list.id))
    assert (lead.first_name, lead.last_name, lead.custom_fields) == ("Ann", "Lee", {"fleet_size": "40"})


def test_the_mapping_is_remembered_for_its_source(campaign, marketer):
    import_file(campaign, "Nom,Société,Tél\nAnn Lee,Acme,(212) 555-0101\n", user=marketer, source="Salon",
                mapping={"full_name": "Nom", "company": "Société", "phone": "Tél"})
    assert db.session.scalar(select(ImportMapping.mapping).where(ImportMapping.source_name == "Salon")) == {
        "full_name": "Nom", "company": "Société", "phone": "Tél"}
    second = upload(campaign, "Nom,Société,Tél\nBo Li,Beta,(212) 555-0102\n", user=marketer, source="Salon")
    assert services.suggested_mapping(second, services.preview(second).columns) == {
        "full_name": "Nom", "company": "Société", "phone": "Tél"}


@pytest.mark.parametrize("data, message", [
    (b"", "empty"), (b"\x00\x01\x02PK\x03\x04" * 100, "not text"), ("\n\n".encode(), "no header")])
def test_an_unreadable_file_is_refused_before_anything_is_written(campaign, marketer, data, message):
    with pytest.raises(services.ImportRefused, match=message):
        upload(campaign, data, user=marketer)
    assert db.session.scalar(select(func.count(LeadList.id))) == 0


def test_a_mapping_without_a_phone_column_is_refused(campaign, marketer):
    lead_list = upload(campaign, "Name,Company\nAnn,Acme\n", user=marketer)
    with pytest.raises(services.ImportRefused) as refused:
        services.start(lead_list, {"full_name": "Name", "company": "Company"}, marketer, run_in_worker=False)
    assert "phone" in refused.value.field_errors
    assert db.session.get(LeadList, lead_list.id).status == ListStatus.UPLOADED


def test_an_interrupted_import_resumes_after_the_last_row_it_wrote(campaign, marketer, monkeypatch):
    text = HEADER + "".join(f"P{n},Lead{n},Acme,,(212) 555-{n:04d},NY\n" for n in range(1000, 1700))
    lead_list = upload(campaign, text, user=marketer)
    services.start(lead_list, services.suggested_mapping(lead_list, services.preview(lead_list).columns), marketer,
                   run_in_worker=False)
    writes = {"n": 0}
    real_write = services._Import._write

    def dying_write(self, outcomes):
        writes["n"] += 1
        if writes["n"] == 2:
            raise SystemExit("worker killed")  # between two transactions: the first is committed
        real_write(self, outcomes)

    monkeypatch.setattr(services._Import, "_write", dying_write)
    monkeypatch.setattr(services, "_write_batch_rows", lambda: 250)  # PostgreSQL's batches would hold every row
    with pytest.raises(SystemExit):
        services.run(lead_list.id, processes=0)
    db.session.rollback()
    written = db.session.get(LeadList, lead_list.id)
    assert written.status == ListStatus.RUNNING
    assert written.rows_done == db.session.scalar(select(func.count(Lead.id))) > 0
    monkeypatch.setattr(services._Import, "_write", real_write)
    services.run(lead_list.id, processes=0)
    db.session.expire_all()
    done = db.session.get(LeadList, lead_list.id)
    assert (done.status, done.rows_done, done.imported, done.duplicate) == (ListStatus.DONE, 700, 700, 0)
    assert db.session.scalar(select(func.count(Lead.id))) == 700


def test_a_large_file_is_read_by_a_second_process_with_the_same_outcome(campaign, marketer):
    rows = "".join(f"P{n},Lead{n},Acme {n % 7},,(212) 555-{n:04d},NY\n" for n in range(1000, 4000))
    lead_list = import_file(campaign, HEADER + rows + "X,Y,Z,,bad,NY\n", user=marketer, processes=1)
    assert (lead_list.rows_done, lead_list.imported, lead_list.rejected) == (3001, 3000, 1)


def test_withdrawing_a_list_takes_its_untouched_leads_out_of_the_queue(campaign, marketer, users):
    lead_list = import_file(campaign, HEADER + "Ann,Lee,Acme,,(212) 555-0101,NY\nBo,Li,Acme,,(212) 555-0102,NY\n",
                            user=marketer)
    held = claim_next_lead(users[Role.TELEPROSPECTOR])
    assert services.withdraw(lead_list, marketer) == 1
    assert claim_next_lead(users[Role.ADMIN]) is None
    db.session.expire_all()
    assert db.session.get(Lead, held.lead_id).queue_state == "new"  # the held one is being called: it stays
    assert db.session.get(LeadList, lead_list.id).status == ListStatus.WITHDRAWN


def test_a_row_without_a_state_takes_the_state_of_its_numbers_area_code(campaign, marketer):
    lead_list = import_file(campaign, "Name,Company,Phone,State\nAnn Lee,Acme,(312) 555-0101,\n"
                                      "Bo Li,Acme,(212) 555-0102,NJ\n", user=marketer)
    states = dict(db.session.execute(select(Lead.last_name, Lead.state).where(Lead.lead_list_id == lead_list.id)).all())
    assert states == {"Lee": "IL", "Li": "NJ"}  # the row's own state wins


def test_rows_with_missing_cells_and_a_one_megabyte_cell_are_read_and_reported(campaign, marketer):
    big = "x" * 1_000_000
    text = ("Name,Company,Phone,Title,Notes\n"
            "Ann Lee,Acme,(212) 555-0101\n"                    # line 2: fewer cells than columns: imported
            f"Bo Li,Acme,(212) 555-0102,{big},\n"               # 3: a 1 MB title: too long for the column
            f"Cy Ng,Acme,(212) 555-0103,CFO,{big}\n")           # 4: a 1 MB cell in a column not imported
    lead_list = import_file(campaign, text, user=marketer,
                            mapping={"full_name": "Name", "company": "Company", "phone": "Phone", "title": "Title"})
    assert (lead_list.imported, lead_list.rejected) == (2, 1)
    assert outcomes(lead_list)[3] == ("rejected", "Job title is longer than 120 characters")
    report = list(services.report_rows(lead_list))
    assert report[1][:3] == [3, "Rejected", "Job title is longer than 120 characters"]
    assert report[1][7].endswith(" [cut]") and len(report[1][7]) < 3000  # the report keeps the cell's start


def test_every_line_of_the_file_is_a_lead_or_a_row_of_the_report_with_its_cells(campaign, marketer, list_number):
    import random

    rng = random.Random(7)
    list_number("+13125550999")
    lines = ["First name,Last name,Company,Email,Phone"]
    for n in range(300):
        phone = rng.choice([f"(312) 555-{n:04d}", "not a phone", "(312) 555-0999", f"(312) 555-{n // 2:04d}"])
        email = rng.choice([f"p{n}@acme.com", "broken@", ""])
        lines.append(f"P{n},L{n},Acme,{email},{phone}")
    lead_list = import_file(campaign, "\n".join(lines) + "\n", user=marketer)
    report = {row[0]: row for row in list(services.report_rows(lead_list))[1:]}
    created = {(lead.first_name, lead.last_name) for lead in db.session.scalars(
        select(Lead).where(Lead.lead_list_id == lead_list.id))}
    suppressed = {line for line, row in report.items() if row[1] == "Suppressed (do not call)"}
    for number, text in enumerate(lines[1:], start=2):
        cells = text.split(",")
        if number in report:
            assert report[number][4:] == cells, number  # the original cells, as they were
            assert ((cells[0], cells[1]) in created) == (number in suppressed)
        else:
            assert (cells[0], cells[1]) in created, number
    assert lead_list.rows_done == 300 == lead_list.imported + lead_list.duplicate + lead_list.rejected + \
        lead_list.suppressed + lead_list.updated


@pytest.mark.parametrize("policy", ["skip", "update"])
def test_a_row_repeating_a_row_of_an_earlier_batch_is_a_duplicate_of_the_lead_it_made(campaign, marketer,
                                                                                      monkeypatch, policy):
    monkeypatch.setattr(services, "READ_BATCH", 2)  # rows 2-3, then 4-5: line 5 repeats line 2's number
    text = HEADER + ("Ann,Lee,Acme,,(212) 555-0101,NY\nBo,Li,Acme,,(212) 555-0102,NY\n"
                     "Cy,Ng,Acme,,(212) 555-0103,NY\nAnn,Lee-Smith,Acme,,212.555.0101,NY\n")
    lead_list = import_file(campaign, text, user=marketer, duplicates=policy)
    first = db.session.scalar(select(Lead).where(Lead.phone == "+12125550101"))
    assert (lead_list.imported, lead_list.duplicate, lead_list.updated) == (3, 1, 0)
    assert outcomes(lead_list)[5] == ("duplicate", f"same phone as lead #{first.id}, imported earlier from this file")
    assert first.last_name == "Lee"  # a row of the same file never updates the lead an earlier row made
