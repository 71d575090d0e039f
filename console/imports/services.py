"""Loading a list of leads into a campaign: the upload, the column mapping, the import itself (the job the
worker runs, and `flask leads import` runs in place), the row report, and withdrawing a list.

The import reads the stored file in batches: a second process reads rows into leads (imports.rules.read_rows),
while this one finds duplicates, do-not-call numbers and accounts, and writes each batch through the lead's
one writer (console.leads.services) in short write transactions, each also recording how far it got
(`LeadList.rows_done`, the counts, the row report), so that an interrupted import resumes exactly where its
last transaction ended and claims keep being served between batches.
"""
from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, insert, select, update

from console.audit import services as audit
from console.campaigns.models import Campaign
from console.campaigns.rules import CampaignStatus
from console.clock import utcnow
from console.compliance import services as do_not_call_list
from console.csv_files import UnreadableFile, detect_encoding, records, sniff_delimiter, text_stream
from console.database import bulk, writers
from console.extensions import db
from console.imports import rules
from console.imports.models import ImportFileChunk, ImportMapping, ImportRowIssue
from console.imports.rules import DUPLICATE, IMPORTED, LEAD, REJECTED, SUPPRESSED, UPDATED, ListStatus
from console.leads import services as leads
from console.leads.models import Lead, LeadList
from console.outbox import services as outbox
from console.outbox.models import OutboxEntry

LEAD_IMPORT = "job.lead_import"

CHUNK_BYTES = 1 << 20  # the stored file, a row of import_file_chunks each
CHUNKS_PER_TRANSACTION = 4
PREVIEW_ROWS = 8
READ_BATCH = 2000  # rows handed to the reading process at a time


def _write_batch_rows() -> int:
    """Rows written per transaction, to begin with. SQLite has one writer: short turns keep claims served during
    an import (the import then sizes its batches to WRITE_TURN_SECONDS)."""
    return 250 if db.engine.dialect.name == "sqlite" else 2000


# SQLite: how long one of an import's write transactions should hold the writer. Claims wait at most about
# this long for an import's turn to end. Measured with 8 agents claiming during an import (scripts/bench.py
# import, 200,000 rows): turns of 15 ms took the claims' p95 from 16 to 78 ms, 6 ms to 32 ms at the same import
# speed, 3 ms to 33 ms with the import a third slower.
WRITE_TURN_SECONDS = 0.006


_CLOSED_CAMPAIGNS = (CampaignStatus.ENDED, CampaignStatus.ARCHIVED)


def importable_campaigns() -> list[Campaign]:
    """The campaigns a list can be loaded into: running, paused or scheduled (not ended, not archived)."""
    campaigns = db.session.scalars(select(Campaign).where(Campaign.archived_at.is_(None)).order_by(Campaign.name))
    return [campaign for campaign in campaigns if campaign.status() not in _CLOSED_CAMPAIGNS]


class ImportRefused(ValueError):
    """The file or the request cannot be imported; the message says why, for people, and nothing was written."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {}


# ---------------------------------------------------------------- the stored file

class StoredFile(io.RawIOBase):
    """The uploaded file of a list, read back chunk by chunk from the database (any worker on any host can).

    Each chunk is read on a connection of its own and released at once: the import never holds a read
    transaction open for minutes (on SQLite one would stop the WAL being checkpointed).
    """

    def __init__(self, lead_list_id: int):
        super().__init__()
        self._list_id, self._seq, self._buffer, self._offset = lead_list_id, 0, b"", 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        if self._offset >= len(self._buffer):
            with db.engine.connect() as connection:
                data = connection.scalar(select(ImportFileChunk.data).where(
                    ImportFileChunk.lead_list_id == self._list_id, ImportFileChunk.seq == self._seq))
                connection.rollback()
            if data is None:
                return 0
            self._buffer, self._offset, self._seq = bytes(data), 0, self._seq + 1
        size = min(len(target), len(self._buffer) - self._offset)
        target[:size] = self._buffer[self._offset:self._offset + size]
        self._offset += size
        self.bytes_read += size
        return size


def _open_stored(lead_list_id: int):
    return io.BufferedReader(StoredFile(lead_list_id), buffer_size=CHUNK_BYTES)


# ---------------------------------------------------------------- upload and mapping

@dataclass
class Preview:
    """What the mapping page shows of a file: its columns, its first rows, and what was read of it."""

    columns: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str


def upload(campaign: Campaign, stream, file_name: str, *, source_name: str, duplicates: str, actor) -> LeadList:
    """Store an uploaded file as a new list of the campaign, once it is known to be readable CSV with a header.

    `stream` is a binary file object that can be read from the start again (an upload, an open file). Raises
    ImportRefused (nothing kept) when the file is empty, not text in a known encoding, or has no header row.
    The file is stored in chunks, a few per transaction (a large file never holds the writer for long).
    """
    if duplicates not in rules.DUPLICATE_POLICIES:
        raise ImportRefused("Choose what to do with duplicates.", {"duplicates": "Choose skip or update."})
    if campaign.status() in _CLOSED_CAMPAIGNS:
        raise ImportRefused(f"Campaign {campaign.name} is {campaign.status_label().lower()}: its leads are never "
                            "called. Import into a running, paused or scheduled campaign.",
                            {"campaign_id": "This campaign no longer takes leads."})

    def reopen():
        stream.seek(0)
        return _Unclosed(stream)

    try:
        encoding = detect_encoding(reopen)
    except UnreadableFile as error:
        raise ImportRefused(str(error), {"file": str(error)}) from error
    stream.seek(0)
    text = text_stream(_Unclosed(stream), encoding)
    sample = text.read(64 * 1024)
    delimiter = sniff_delimiter(sample)
    try:
        first = next(records(io.StringIO(sample), delimiter), None)
    except csv.Error as error:
        raise ImportRefused(f"The file is not CSV the console can read: {error}.", {"file": "Not readable CSV."}) from error
    if first is None or len([cell for cell in first[1] if cell.strip()]) < 1:
        raise ImportRefused("The file has no header row: its first line must name the columns.",
                            {"file": "No header row."})
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    with writers.write_transaction(db.session):
        lead_list = LeadList(campaign_id=campaign.id, file_name=(file_name or "upload.csv")[:255],
                             source_name=(source_name or "").strip()[:60], created_by_id=actor.id if actor else None,
                             status=ListStatus.STORING, encoding=encoding, delimiter=delimiter, mapping={},
                             duplicates=duplicates, file_bytes=size)
        db.session.add(lead_list)
        db.session.flush()
        list_id = lead_list.id
    seq = 0
    while True:
        with writers.write_transaction(db.session):
            for _ in range(CHUNKS_PER_TRANSACTION):
                data = stream.read(CHUNK_BYTES)
                if not data:
                    break
                db.session.execute(insert(ImportFileChunk), {"lead_list_id": list_id, "seq": seq, "data": data})
                seq += 1
            else:
                continue
        break
    with writers.write_transaction(db.session):
        lead_list = db.session.get(LeadList, list_id)
        lead_list.status = ListStatus.UPLOADED
        audit.record("import.uploaded", lead_list, actor=actor, campaign_id=campaign.id, file_name=lead_list.file_name,
                     bytes=size, encoding=encoding)
    return lead_list


class _Unclosed(io.RawIOBase):
    """A view of a stream that closing (as TextIOWrapper does when it is done) leaves open."""

    def __init__(self, stream):
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        data = self._stream.read(len(target))
        target[:len(data)] = data
        return len(data)


def preview(lead_list: LeadList) -> Preview:
    """The file's columns and first rows, read from the stored file."""
    with text_stream(_open_stored(lead_list.id), lead_list.encoding) as text:
        rows = []
        for _line, cells in records(text, lead_list.delimiter):
            rows.append(cells)
            if len(rows) > PREVIEW_ROWS:
                break
    columns = rules.column_names(rows[0]) if rows else []
    return Preview(columns, [row[:len(columns)] + [""] * (len(columns) - len(row)) for row in rows[1:]],
                   lead_list.encoding, lead_list.delimiter)


def campaign_fields(campaign: Campaign) -> tuple[rules.Field, ...]:
    return rules.fields_for(campaign.custom_fields)


def suggested_mapping(lead_list: LeadList, columns: list[str]) -> dict[str, str]:
    """The mapping to offer: the list's own, else the one remembered for its source, the rest guessed."""
    fields = campaign_fields(lead_list.campaign)
    if lead_list.mapping:
        return dict(lead_list.mapping)
    remembered = None
    if lead_list.source_name:
        remembered = db.session.scalar(select(ImportMapping.mapping).where(
            ImportMapping.source_name == lead_list.source_name))
    return rules.remembered_mapping(remembered, columns, fields)


def mapping_for(lead_list: LeadList, columns: list[str], remembered_as: str | None = None) -> dict[str, str]:
    """The mapping a command uses: the one remembered under `remembered_as` (ImportRefused when there is none),
    else the one the page would suggest."""
    if remembered_as:
        remembered = db.session.scalar(select(ImportMapping.mapping).where(ImportMapping.source_name == remembered_as))
        if remembered is None:
            raise ImportRefused(f"No column mapping is remembered as {remembered_as!r}.")
        return rules.remembered_mapping(remembered, columns, campaign_fields(lead_list.campaign))
    return suggested_mapping(lead_list, columns)


def remembered_sources() -> list[str]:
    return list(db.session.scalars(select(ImportMapping.source_name).order_by(ImportMapping.updated_at.desc()).limit(50)))


def start(lead_list: LeadList, mapping: dict[str, str], actor, *, run_in_worker: bool = True) -> None:
    """Check the mapping, remember it for the list's source, and queue the import for the worker (in the same
    transaction). Raises ImportRefused with each field's problem when the mapping cannot be used."""
    if lead_list.status != ListStatus.UPLOADED:
        raise ImportRefused(f"This list is {ListStatus.LABELS.get(lead_list.status, lead_list.status).lower()}: "
                            "it cannot be started again.")
    columns = preview(lead_list).columns
    mapping = {key: column for key, column in mapping.items() if column}
    problems = rules.mapping_problems(mapping, columns, campaign_fields(lead_list.campaign))
    if problems:
        raise ImportRefused("The column mapping cannot be used: " + " ".join(problems.values()), problems)
    with writers.write_transaction(db.session):
        lead_list = db.session.get(LeadList, lead_list.id)
        lead_list.mapping = mapping
        lead_list.status = ListStatus.QUEUED
        if lead_list.source_name:
            _remember(lead_list.source_name, mapping, actor)
        if run_in_worker:
            lead_list.job_id = outbox.enqueue(LEAD_IMPORT, {"lead_list_id": lead_list.id},
                                              dedupe_key=f"import:{lead_list.id}",
                                              created_by_id=actor.id if actor else None)
        audit.record("import.started", lead_list, actor=actor, mapping=mapping, duplicates=lead_list.duplicates)


def _remember(source_name: str, mapping: dict, actor) -> None:
    remembered = db.session.scalar(select(ImportMapping).where(ImportMapping.source_name == source_name))
    if remembered is None:
        db.session.add(ImportMapping(source_name=source_name, mapping=mapping, updated_by_id=actor.id if actor else None))
    else:
        remembered.mapping, remembered.updated_by_id = mapping, actor.id if actor else None


# ---------------------------------------------------------------- the import

@dataclass
class _Seen:
    """The rows of one batch taken in so far, to name the earlier line a duplicate repeats. Rows of earlier
    batches are leads by then, found in the database (with this list as theirs): a million-row file never has
    its keys held in memory."""

    phones: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    external_ids: dict[str, int] = field(default_factory=dict)

    def earlier(self, values: dict) -> tuple[int, str] | None:
        if values["external_id"] and values["external_id"] in self.external_ids:
            return self.external_ids[values["external_id"]], "external id"
        if (line := self.phones.get(values["phone"])) is not None:
            return line, "phone"
        if values["email"] and (line := self.emails.get(values["email"])) is not None:
            return line, "email"
        return None

    def add(self, line: int, values: dict) -> None:
        self.phones.setdefault(values["phone"], line)
        if values["email"]:
            self.emails.setdefault(values["email"], line)
        if values["external_id"]:
            self.external_ids.setdefault(values["external_id"], line)


@dataclass
class _Outcomes:
    """One write transaction's worth of settled rows."""

    new_leads: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(rules.OUTCOMES, 0))
    updates: list[tuple[int, dict, int, str]] = field(default_factory=list)
    rows: int = 0


# PostgreSQL plans the import's lookups on the tables' statistics: a load that grows them tenfold before
# autovacuum reads them again turned index lookups into scans (60 ms each, most of a 200,000-row import's time).
STATISTICS_EVERY_ROWS = 100_000

_ISSUE_COLUMNS = ("lead_list_id", "line", "outcome", "reason", "values", "lead_id")
_lists = LeadList.__table__
# A write transaction's rows and outcomes, added to the list's counts in the same transaction (built once).
_COUNT_ROWS = update(_lists).where(_lists.c.id == bindparam("list_id")).values(
    rows_done=_lists.c.rows_done + bindparam("rows"), imported=_lists.c.imported + bindparam("imported"),
    updated=_lists.c.updated + bindparam("updated"), duplicate=_lists.c.duplicate + bindparam("duplicate"),
    suppressed=_lists.c.suppressed + bindparam("suppressed"), rejected=_lists.c.rejected + bindparam("rejected"))


class _Import:
    """One run of one list's import (the job's body)."""

    def __init__(self, lead_list: LeadList, progress: Callable[[int, int | None, str], None] | None):
        self.list_id = lead_list.id
        self.campaign_id = lead_list.campaign_id
        self.update_duplicates = lead_list.duplicates == "update"
        self.progress = progress
        self.file_bytes = lead_list.file_bytes
        self.seen = _Seen()
        self.accounts: dict[tuple[str, str], int] = {}
        self.rows_done = lead_list.rows_done
        self.write_rows = _write_batch_rows()
        self.rows_since_statistics = 0
        self.sized_by_time = db.engine.dialect.name == "sqlite"
        self.last_progress = 0.0
        self.started = time.monotonic()

    # -- reading

    def batches(self, text, delimiter: str, columns_out: list) -> Iterator[list[tuple[int, list[str]]]]:
        """The data rows not written yet, in batches; the header's column names go into `columns_out`."""
        rows = records(text, delimiter)
        header = next(rows, None)
        if header is None:
            return
        columns_out.extend(rules.column_names(header[1]))
        skip = self.rows_done
        batch = []
        for line, cells in rows:
            if skip:
                skip -= 1
                continue
            batch.append((line, cells))
            if len(batch) >= READ_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    # -- settling a batch

    def settle(self, rows: list[tuple[int, list[str]]], results: list[tuple], columns: list[str]) -> None:
        """Decide each row's outcome and write the batch, in transactions of a few hundred rows."""
        self.seen = _Seen()  # this batch's rows; earlier batches' are in `found`
        found = self._existing_leads([values for kind, _line, values in results if kind == LEAD])
        listed = do_not_call_list.listed_numbers(
            {values["phone"] for kind, _line, values in results if kind == LEAD}, self.campaign_id)
        start_at = 0
        while start_at < len(results):
            step = self.write_rows
            outcomes = _Outcomes()
            for (line, cells), result in zip(rows[start_at:start_at + step], results[start_at:start_at + step]):
                self._decide(line, cells, result, columns, found, listed, outcomes)
            self._write(outcomes)
            start_at += step

    def _decide(self, line, cells, result, columns, found, listed, outcomes: _Outcomes) -> None:
        outcomes.rows += 1
        kind, _line, values = result
        if kind == REJECTED:
            self._issue(outcomes, REJECTED, line, values, columns, cells)
            return
        earlier = self.seen.earlier(values)
        if earlier is not None:
            self._issue(outcomes, DUPLICATE, line, f"same {earlier[1]} as line {earlier[0]} of this file",
                        columns, cells)
            return
        self.seen.add(line, values)
        existing = self._match(values, found)
        if existing is not None:
            lead_id, key, list_id = existing
            if list_id == self.list_id:  # a row of this file, written in an earlier batch
                self._issue(outcomes, DUPLICATE, line, f"same {key} as lead #{lead_id}, imported earlier from this file",
                            columns, cells, lead_id)
            elif self.update_duplicates:
                # Counted as updated once the lead's writer says something changed (_write).
                outcomes.updates.append((lead_id, values, len(outcomes.issues), key))
                self._issue(outcomes, UPDATED, line, f"updated lead #{lead_id} (same {key})", columns, cells, lead_id)
            else:
                self._issue(outcomes, DUPLICATE, line, f"already lead #{lead_id} of this campaign (same {key})",
                            columns, cells, lead_id)
            return
        values = dict(values, do_not_call=values["phone"] in listed, line=line)
        outcomes.new_leads.append(values)
        if values["do_not_call"]:
            self._issue(outcomes, SUPPRESSED, line, "on the do-not-call list: imported, never dialled", columns, cells)
        else:
            outcomes.counts[IMPORTED] += 1

    def _issue(self, outcomes: _Outcomes, outcome: str, line: int, reason: str, columns, cells, lead_id=None):
        outcomes.counts[outcome] += 1
        outcomes.issues.append({"lead_list_id": self.list_id, "line": line, "outcome": outcome, "reason": reason,
                                "values": rules.report_values(columns, cells), "lead_id": lead_id})

    def _existing_leads(self, rows: list[dict]) -> dict:
        """The campaign's leads that a row of the batch matches: by external id, phone and email."""
        by = {"external id": {}, "phone": {}, "email": {}}
        wanted = {"external id": {row["external_id"] for row in rows if row["external_id"]},
                  "phone": {row["phone"] for row in rows}, "email": {row["email"] for row in rows if row["email"]}}
        for key, column in (("external id", Lead.external_id), ("phone", Lead.phone), ("email", Lead.email)):
            values = list(wanted[key])
            for start_at in range(0, len(values), 500):
                for lead_id, value, list_id in leads.campaign_leads_by(self.campaign_id, column,
                                                                       values[start_at:start_at + 500]):
                    by[key].setdefault(value, (lead_id, list_id))
        return by

    @staticmethod
    def _match(values: dict, found: dict) -> tuple[int, str, int | None] | None:
        """(lead id, the key it matched by, its list) of the campaign's lead this row matches, if any."""
        for key, value in (("external id", values["external_id"]), ("phone", values["phone"]),
                           ("email", values["email"])):
            if value and value in found[key]:
                lead_id, list_id = found[key][value]
                return lead_id, key, list_id
        return None

    def _account_ids(self, new_leads: list[dict]) -> None:
        _find_accounts(new_leads, self.accounts)

    def _write(self, outcomes: _Outcomes) -> None:
        now = utcnow()
        with writers.write_transaction(db.session):
            began = time.perf_counter()  # the turn is ours from here: waiting for it is not the batch's cost
            self._account_ids(outcomes.new_leads)
            for values in outcomes.new_leads:
                values["account_id"] = self.accounts[values["account_key"]]
            leads.add_imported_leads(outcomes.new_leads, campaign_id=self.campaign_id, lead_list_id=self.list_id,
                                     now=now)
            for lead_id, values, issue_index, key in outcomes.updates:
                if not leads.update_from_import(lead_id, values, now=now):
                    outcomes.counts[UPDATED] -= 1
                    outcomes.counts[DUPLICATE] += 1
                    outcomes.issues[issue_index].update(
                        outcome=DUPLICATE, reason=f"already lead #{lead_id} of this campaign (same {key}), no change")
            suppressed_ids = {values["line"]: values.get("id") for values in outcomes.new_leads if values["do_not_call"]}
            for issue in outcomes.issues:
                if issue["outcome"] == SUPPRESSED:
                    issue["lead_id"] = suppressed_ids.get(issue["line"])
            if outcomes.issues:
                bulk.insert_rows(db.session.connection(), ImportRowIssue.__table__, _ISSUE_COLUMNS,
                                 [tuple(issue[name] for name in _ISSUE_COLUMNS) for issue in outcomes.issues])
            db.session.connection().execute(_COUNT_ROWS, {
                "list_id": self.list_id, "rows": outcomes.rows, "imported": outcomes.counts[IMPORTED],
                "updated": outcomes.counts[UPDATED], "duplicate": outcomes.counts[DUPLICATE],
                "suppressed": outcomes.counts[SUPPRESSED], "rejected": outcomes.counts[REJECTED]})
        self.rows_done += outcomes.rows
        self.rows_since_statistics += outcomes.rows
        if self.rows_since_statistics >= STATISTICS_EVERY_ROWS:
            leads.refresh_statistics()
            self.rows_since_statistics = 0
        if self.sized_by_time and outcomes.rows:
            # Next batch: as many rows as fit the writer turn at this one's pace, changing by half at most.
            fitting = outcomes.rows * WRITE_TURN_SECONDS / max(time.perf_counter() - began, 1e-4)
            self.write_rows = int(min(max(fitting, self.write_rows * 0.5, 25), self.write_rows * 1.5, 4000))

    def report(self, bytes_read: int, force: bool = False) -> None:
        moment = time.monotonic()
        if self.progress is None or (not force and moment - self.last_progress < 0.5):
            return
        self.last_progress = moment
        self.progress(min(bytes_read, self.file_bytes), self.file_bytes,
                      f"{self.rows_done:,} rows read")


def _find_accounts(new_leads: list[dict], accounts: dict[tuple[str, str], int]) -> None:
    """Each new lead's account: found by domain, then by name, else added (the accounts' one writer); `accounts`
    holds those found so far and gains the rest. Joins the caller's transaction."""
    wanted = {}
    for values in new_leads:
        key = ("domain", values["company_domain"]) if values["company_domain"] else \
            ("name", values["company"].casefold())
        values["account_key"] = key
        if key not in accounts:
            wanted.setdefault(key, (values["company"] or values["company_domain"], values["company_domain"]))
    if wanted:
        accounts.update(leads.find_or_add_accounts(wanted))


# ---------------------------------------------------------------- leads pushed one by one (the API)

def take_in_pushed_leads(campaign_id: int, rows: list[dict], *, now: datetime | None = None
                         ) -> list[tuple[str, int | None, str]]:
    """Leads pushed to a campaign (the JSON API), each already read by `rules.read_row` and carrying its external
    id, settled as an import with the "update" policy settles its rows: a lead of the campaign with the same
    external id, else phone, else email is brought up to the row's values (UPDATED; DUPLICATE when nothing
    changed), else the lead is added (IMPORTED; SUPPRESSED when its number is on a do-not-call list covering the
    campaign: added, never dialled). A row repeating an earlier row of the same push is DUPLICATE of it.

    Returns (outcome, lead id, reason) per row. Joins the caller's transaction; the external ids are held first
    (`leads.hold_external_ids`), so two identical pushes at once make one lead.
    """
    now = now or utcnow()
    leads.hold_external_ids(campaign_id, [values["external_id"] for values in rows])
    found = {"external id": {}, "phone": {}, "email": {}}
    wanted = {"external id": {row["external_id"] for row in rows}, "phone": {row["phone"] for row in rows},
              "email": {row["email"] for row in rows if row["email"]}}
    for key, column in (("external id", Lead.external_id), ("phone", Lead.phone), ("email", Lead.email)):
        for lead_id, value, list_id in leads.campaign_leads_by(campaign_id, column, list(wanted[key])):
            found[key].setdefault(value, (lead_id, list_id))
    listed = do_not_call_list.listed_numbers({row["phone"] for row in rows}, campaign_id)
    seen = _Seen()
    results: list[tuple[str, int | None, str]] = []
    new_leads: list[dict] = []
    for index, values in enumerate(rows):
        earlier = seen.earlier(values)
        if earlier is not None:
            results.append((DUPLICATE, None, f"same {earlier[1]} as item {earlier[0]} of this request"))
            continue
        seen.add(index, values)
        existing = _Import._match(values, found)
        if existing is not None:
            lead_id, key, _list_id = existing
            changed = leads.update_from_import(lead_id, values, now=now)
            results.append((UPDATED if changed else DUPLICATE, lead_id,
                            f"{'updated' if changed else 'no change to'} lead #{lead_id} (same {key})"))
            continue
        new_leads.append(dict(values, do_not_call=values["phone"] in listed))
        results.append((SUPPRESSED if values["phone"] in listed else IMPORTED, None, ""))
    if new_leads:
        accounts: dict[tuple[str, str], int] = {}
        _find_accounts(new_leads, accounts)
        for values in new_leads:
            values["account_id"] = accounts[values["account_key"]]
        leads.add_imported_leads(new_leads, campaign_id=campaign_id, lead_list_id=None, now=now)
        ids = dict((value, lead_id) for lead_id, value, _list_id in leads.campaign_leads_by(
            campaign_id, Lead.external_id, [values["external_id"] for values in new_leads]))
        for index, (outcome, lead_id, reason) in enumerate(results):
            if outcome in (IMPORTED, SUPPRESSED):
                results[index] = (outcome, ids.get(rows[index]["external_id"]), reason)
    return results


def run(lead_list_id: int, progress: Callable | None = None, *, processes: int | None = None) -> dict:
    """Import a queued list (the job's body; `flask leads import` calls it in place). Resumes a list an earlier
    run left part way. Returns the list's counts. A file that turns out unreadable part way ends the list as
    interrupted, with exactly what was written before that row; the reason is kept on the list."""
    lead_list = db.session.get(LeadList, lead_list_id)
    if lead_list is None or lead_list.status in ListStatus.FINISHED:
        return counts_of(lead_list) if lead_list else {}
    campaign = db.session.get(Campaign, lead_list.campaign_id)
    with writers.write_transaction(db.session):
        lead_list = db.session.get(LeadList, lead_list_id)
        lead_list.status = ListStatus.RUNNING
        lead_list.started_at = lead_list.started_at or utcnow()
    work = _Import(lead_list, progress)
    plan_region = current_app.config.get("IMPORT_DEFAULT_REGION", "US")
    raw = StoredFile(lead_list_id)
    columns: list[str] = []
    error = None
    with text_stream(io.BufferedReader(raw, buffer_size=CHUNK_BYTES), lead_list.encoding) as text:
        batches = work.batches(text, lead_list.delimiter, columns)
        try:
            first = next(batches, None)
            if first is not None:
                plan = rules.read_plan(lead_list.mapping, columns, default_region=plan_region,
                                       default_source=lead_list.source_name or campaign.source)
                with _Readers(plan, processes, lead_list.file_bytes) as readers:
                    for rows, results in readers.read(_chain(first, batches)):
                        work.settle(rows, results, columns)
                        work.report(raw.bytes_read)
        except (UnicodeDecodeError, csv.Error) as failure:
            error = f"The file could not be read after row {work.rows_done:,}: {failure}"
    with writers.write_transaction(db.session):
        lead_list = db.session.get(LeadList, lead_list_id)
        lead_list.finished_at = utcnow()
        lead_list.rows_total = lead_list.rows_done
        lead_list.status = ListStatus.INTERRUPTED if error else ListStatus.DONE
        lead_list.error = error
        audit.record("import.finished", lead_list, actor=None, **counts_of(lead_list))
    work.rows_done = lead_list.rows_done
    work.report(lead_list.file_bytes, force=True)
    leads.forget_window_keys()
    return counts_of(lead_list)


def _chain(first, rest):
    yield first
    yield from rest


class _Readers:
    """Reads batches of rows into leads: in a second process for a large file (the machine's other core),
    here for a small one. At most two batches are in flight, so memory stays flat."""

    def __init__(self, plan: rules.ReadPlan, processes: int | None, file_bytes: int):
        self.plan = plan
        wanted = processes if processes is not None else (1 if file_bytes > 2 * CHUNK_BYTES else 0)
        self.processes = wanted
        self.pool = None

    def __enter__(self):
        if self.processes:
            # spawn: a forked copy of this process would share its database connections. The readers run at a
            # lower CPU priority: on a small machine, agents' requests come first. (This process keeps its own:
            # it holds SQLite's writer turn while it writes, and a claim waits for it.)
            self.pool = multiprocessing.get_context("spawn").Pool(self.processes, initializer=os.nice, initargs=(10,))
        return self

    def __exit__(self, *_exc):
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def read(self, batches):
        if self.pool is None:
            for rows in batches:
                yield rows, rules.read_rows(rows, self.plan)
            return
        pending = []
        for rows in batches:
            pending.append((rows, self.pool.apply_async(rules.read_rows, (rows, self.plan))))
            if len(pending) > self.processes + 1:
                rows_done, result = pending.pop(0)
                yield rows_done, result.get()
        for rows, result in pending:
            yield rows, result.get()


def counts_of(lead_list: LeadList) -> dict[str, int]:
    return {"rows": lead_list.rows_done, IMPORTED: lead_list.imported, UPDATED: lead_list.updated,
            DUPLICATE: lead_list.duplicate, SUPPRESSED: lead_list.suppressed, REJECTED: lead_list.rejected}


# ---------------------------------------------------------------- after the import

def issues(lead_list: LeadList, outcome: str | None = None, limit: int = 200) -> list[ImportRowIssue]:
    statement = select(ImportRowIssue).where(ImportRowIssue.lead_list_id == lead_list.id)
    if outcome:
        statement = statement.where(ImportRowIssue.outcome == outcome)
    return list(db.session.scalars(statement.order_by(ImportRowIssue.line).limit(limit)))


def report_rows(lead_list: LeadList) -> Iterator[list]:
    """The row report as CSV rows: a header, then every row not imported as a new lead, in file order, with its
    line, outcome, reason and lead, then its original cells (re-importable once corrected)."""
    columns = preview(lead_list).columns
    yield ["line", "outcome", "reason", "lead id", *columns]
    last_line = 0
    while True:
        batch = db.session.scalars(select(ImportRowIssue).where(
            ImportRowIssue.lead_list_id == lead_list.id, ImportRowIssue.line > last_line)
            .order_by(ImportRowIssue.line).limit(2000)).all()
        if not batch:
            return
        for issue in batch:
            values = issue.values or {}
            yield [issue.line, rules.OUTCOME_LABELS.get(issue.outcome, issue.outcome), issue.reason,
                   issue.lead_id or "", *[values.get(column, "") for column in columns]]
        last_line = batch[-1].line


def withdraw(lead_list: LeadList, actor) -> int:
    """Take the list's untouched leads (never called, not held) out of the queue; audited. Returns how many."""
    if lead_list.status != ListStatus.DONE and lead_list.status != ListStatus.INTERRUPTED:
        raise ImportRefused("Only an import that has finished can be withdrawn.")
    withdrawn = leads.withdraw_untouched(lead_list.id)
    with writers.write_transaction(db.session):
        lead_list = db.session.get(LeadList, lead_list.id)
        lead_list.status = ListStatus.WITHDRAWN
        lead_list.withdrawn_at = utcnow()
        lead_list.withdrawn_by_id = actor.id if actor else None
        audit.record("import.withdrawn", lead_list, actor=actor, leads=withdrawn)
    return withdrawn


def lists(campaign_id: int | None = None, limit: int = 200) -> list[LeadList]:
    statement = select(LeadList).where(LeadList.status != ListStatus.STORING).order_by(LeadList.id.desc()).limit(limit)
    if campaign_id is not None:
        statement = statement.where(LeadList.campaign_id == campaign_id)
    return list(db.session.scalars(statement))


def elapsed(lead_list: LeadList) -> float | None:
    if lead_list.started_at is None:
        return None
    end: datetime = lead_list.finished_at or utcnow()
    return max(0.0, (end - lead_list.started_at).total_seconds())




def progress_of(lead_list: LeadList) -> dict:
    """What the list's page shows of it: where it stands, how far (the job's share of the file read), the
    counts, and how fast."""
    job = db.session.get(OutboxEntry, lead_list.job_id) if lead_list.job_id else None
    status = lead_list.status
    if status in (ListStatus.QUEUED, ListStatus.RUNNING) and job is not None and job.status == "dead":
        status = ListStatus.INTERRUPTED  # the worker gave up on it: what it wrote is what the counts say
    percent = None
    if status in ListStatus.FINISHED:
        percent = 100
    elif job is not None and job.progress_total:
        percent = min(99, int(job.progress_done * 100 / job.progress_total))
    seconds = elapsed(lead_list)
    counts = counts_of(lead_list)
    return {"lead_list": lead_list, "status": status, "status_label": ListStatus.LABELS.get(status, status),
            "finished": status in ListStatus.FINISHED, "job": job, "percent": percent, "counts": counts,
            "seconds": seconds, "rows_per_second": round(lead_list.rows_done / seconds) if seconds else None,
            "outcome_labels": rules.OUTCOME_LABELS, "outcomes": rules.OUTCOMES}
