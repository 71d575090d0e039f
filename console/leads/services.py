"""Leads are written here and nowhere else: created, their contact data and location changed, their
stage and score set, their place in the queue after a call, and the do-not-call list, whose changes
take numbers out of the queue (and back) in the same transaction.

Every function keeps the lead's derived queue columns right through the one rule that computes them
(console/leads/queue_columns.py). The one other writer of a lead row is the claim, which holds the
lead in the statement that picks it (console/queue/statements.py): picking and holding must be one
atomic statement. Functions that a view or command calls own their transaction (a write_transaction,
one commit at the end); the others say "Joins the caller's transaction" and never commit.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, Integer, String, any_, bindparam, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from console.audit import services as audit
from console.clock import utcnow
from console.compliance import services as do_not_call_list
from console.compliance.models import DoNotCallEntry, DoNotCallSource
from console.compliance.rules import infer_time_zones, state_time_zones
from console.database import bulk, writers
from console.database.snapshots import Snapshot
from console.extensions import db
from console.leads import queue_columns
from console.leads.models import Account, Lead, Recall, Touch
from console.leads.queue_columns import LeadState
from console.leads.rules import QueueState, Stage, check_contact, recall_due_at


class StaleLead(Exception):
    """The lead changed after the page was drawn; saving would overwrite what its user has not seen."""


# ---------------------------------------------------------------- a campaign's window keys

# How long a process trusts its list of a campaign's window keys. A lead given a new key in
# this process drops the lists at once; one given a key in another process is seen within this time.
WINDOW_KEYS_TTL_SECONDS = 30.0
_window_key_lists = Snapshot(WINDOW_KEYS_TTL_SECONDS)

# The distinct keys of a campaign's leads, by a loose index scan: one probe per key.
WINDOW_KEYS = text(
    "WITH RECURSIVE k(window_key) AS ("
    " SELECT MIN(window_key) FROM leads WHERE campaign_id = :campaign_id"
    " UNION ALL"
    " SELECT (SELECT MIN(l.window_key) FROM leads AS l WHERE l.campaign_id = :campaign_id"
    " AND l.window_key > k.window_key) FROM k WHERE k.window_key IS NOT NULL)"
    " SELECT window_key FROM k WHERE window_key IS NOT NULL"
)


def window_keys(campaign_id: int, connection=None) -> tuple[str, ...]:
    """The distinct window keys of a campaign's leads (read on `connection` when given), kept briefly per process."""
    return _window_key_lists.get((str(db.engine.url), campaign_id), lambda: tuple(
        (connection or db.session.connection()).scalars(WINDOW_KEYS, {"campaign_id": campaign_id})))


def _key_written(old_key: str | None, new_key: str) -> None:
    if old_key != new_key:
        _window_key_lists.clear()  # a key this process's lists may not hold


# ---------------------------------------------------------------- the derived columns

def refresh_queue_columns(lead: Lead, now: datetime | None = None) -> None:
    """Recompute a loaded lead's window key and queue rank from its own facts. Joins the caller's transaction."""
    columns = queue_columns.queue_columns(lead.queue_facts(), now or utcnow())
    _key_written(lead.window_key, columns["window_key"])
    lead.window_key, lead.queue_rank = columns["window_key"], columns["queue_rank"]


def rebuild_queue_columns(*, batch_size: int = 2000, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute do_not_call, window_key and queue_rank of every lead, in batches; returns how many changed.

    For when the ordering or window rules change (`flask queue rebuild`). Each batch is
    one write transaction, so claims carry on between batches; `progress(done, total)`
    is called after each.
    """
    total = db.session.scalar(select(func.count(Lead.id))) or 0
    last_id, done, changed = 0, 0, 0
    while True:
        with writers.write_transaction(db.session):
            now = utcnow()
            leads = db.session.scalars(select(Lead).where(Lead.id > last_id).order_by(Lead.id).limit(batch_size)).all()
            for lead in leads:
                before = (lead.do_not_call, lead.window_key, lead.queue_rank)
                lead.do_not_call = do_not_call_list.is_listed(lead.phone, lead.campaign_id)
                refresh_queue_columns(lead, now)
                changed += before != (lead.do_not_call, lead.window_key, lead.queue_rank)
        if not leads:
            return changed
        last_id, done = leads[-1].id, done + len(leads)
        if progress is not None:
            progress(done, total)


# ---------------------------------------------------------------- creating and changing leads

def create_lead(*, account: Account, phone: str, time_zones: str | Iterable[str] | None = None,
                touches: Iterable[Touch] = (), **fields) -> Lead:
    """Add a lead (contact data, and for seeded history its queue facts). Joins the caller's transaction.

    `phone` is E.164. Without `time_zones` the zones come from the number and the state
    (console.compliance.rules.infer_time_zones). A number already on a list that covers
    the lead's campaign enters suppressed: it is never in the queue.
    """
    if time_zones is None:
        time_zones = infer_time_zones(phone, fields.get("state"))
    if not isinstance(time_zones, str):
        time_zones = ",".join(time_zones)
    campaign = fields.pop("campaign", None)
    if campaign is not None:
        fields["campaign_id"] = campaign.id
    lead = Lead(account=account, phone=phone, time_zones=time_zones, touches=list(touches), **fields)
    lead.do_not_call = do_not_call_list.is_listed(phone, lead.campaign_id)
    refresh_queue_columns(lead)
    db.session.add(lead)
    db.session.flush()
    return lead


def set_location(lead: Lead, actor, *, state: str | None, time_zones: list[str]) -> None:
    """Set where a lead is (its state and zones), so that its calling window is known; audited."""
    with writers.write_transaction(db.session):
        before = {"state": lead.state, "time_zones": lead.time_zones}
        lead.state = (state or "").strip().upper() or None
        lead.time_zones = ",".join(time_zones)
        lead.version += 1
        refresh_queue_columns(lead)
        audit.record("lead.location_set", lead, actor=actor, before=before,
                     after={"state": lead.state, "time_zones": lead.time_zones})


class ContactInvalid(Exception):
    """Contact data that cannot be stored: what is wrong, field by field (custom fields as "custom:<key>")."""

    def __init__(self, field_errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in field_errors.items()))
        self.field_errors = field_errors


def update_contact(lead: Lead, actor, changes: dict, expected_version: int | None) -> dict[str, tuple]:
    """Change a lead's contact data as a person typed it; returns {field: (before, after)} of what changed.

    `changes` holds any of leads.rules.CONTACT_FIELDS and `custom_fields` (the campaign's own fields by
    key). Phones become E.164 and the email is checked (leads.rules.check_contact); a number another lead
    of the campaign has is refused. A new number or state re-infers the zones (the calling law's one home)
    and a new number is checked against the do-not-call list; the queue columns follow. The save is refused
    (StaleLead) when the lead changed since `expected_version` was read, and nothing is written; refused
    data raises ContactInvalid. Audited with the changed fields only, before and after.
    """
    with writers.write_transaction(db.session):
        known_states = state_time_zones()
        custom_keys = [field["key"] for field in (lead.campaign.custom_fields or []) if field.get("key")]
        check = check_contact(changes, known_states=known_states, custom_keys=custom_keys, current_phone=lead.phone)
        errors = dict(check.errors)
        values = check.values
        if "phone" in values and "phone" not in errors and values["phone"] != lead.phone:
            other = db.session.scalar(select(Lead).where(Lead.phone == values["phone"], Lead.id != lead.id,
                                                         _checked_only(Lead.campaign_id) == lead.campaign_id).limit(1))
            if other is not None:
                errors["phone"] = f"{other.full_name} already has this number in this campaign."
        if errors:
            raise ContactInvalid(errors)
        if "custom_fields" in values:  # the campaign's fields as typed; values of fields it no longer has are kept
            kept = {key: value for key, value in (lead.custom_fields or {}).items() if key not in custom_keys}
            values["custom_fields"] = {**kept, **values["custom_fields"]}
        changed = {name: (getattr(lead, name), value) for name, value in values.items()
                   if (getattr(lead, name) or None) != (value or None)}
        if not changed:
            return {}  # what the page sent is what the lead holds: nothing to write, nothing to refuse
        next_version(lead, expected_version)
        for name, (_before, after) in changed.items():
            setattr(lead, name, after)
        if "phone" in changed or "state" in changed:
            before_zones = lead.time_zones
            lead.time_zones = ",".join(infer_time_zones(lead.phone, lead.state))
            if lead.time_zones != before_zones:
                changed["time_zones"] = (before_zones, lead.time_zones)
        if "phone" in changed:
            lead.do_not_call = do_not_call_list.is_listed(lead.phone, lead.campaign_id)
        refresh_queue_columns(lead)
        audit.record("lead.contact_updated", lead, actor=actor,
                     before={name: before for name, (before, _after) in changed.items()},
                     after={name: after for name, (_before, after) in changed.items()})
        return changed


def set_stage(lead: Lead, stage: str) -> None:
    """Move the lead to a stage of the shared glossary (leads.rules.Stage). Joins the caller's transaction."""
    lead.stage = stage


def recall(lead: Lead, recall_on: date, *, cause: str, reason: str = "", actor_id: int | None = None,
           handoff_id: int | None = None, call_id: int | None = None) -> Recall:
    """Send a lead to nurture until `recall_on`, when it re-enters the call queue for a new round of attempts.

    Its history stays as it was; the Recall row keeps why (shown to the next agent who calls it). `cause` names
    what sent it: "nurture" (the disposition), "rejected" (sales: not ready), "lost" (a deal lost to recycle).
    Joins the caller's transaction.
    """
    _requeue(lead, Stage.NURTURE, QueueState.RETRY, recall_due_at(recall_on), owner_id=None)
    return _recorded(lead, recall_on, cause, reason, actor_id, handoff_id, call_id)


def note_recall(lead_id: int, recall_on: date, *, cause: str, reason: str = "", actor_id: int | None = None,
                call_id: int | None = None) -> Recall:
    """Record why a lead placed by `place_after_call` as a recall (calls.rules.placement_after: RETRY on the
    recall date, stage nurture, a new round) comes back, without writing the lead a second time. Joins the
    caller's transaction."""
    row = Recall(lead_id=lead_id, recall_on=recall_on, cause=cause, reason=reason.strip(), created_by_id=actor_id,
                 call_id=call_id)
    db.session.add(row)
    return row


def return_to_agent(lead: Lead, agent_id: int, *, reason: str, actor_id: int | None = None,
                    handoff_id: int | None = None) -> Recall:
    """Give a lead back to the agent who qualified it, as a callback due now reserved for them, with why (sales
    found its data wrong): the agent fixes it on the call and qualifies it again. Joins the caller's transaction."""
    now = utcnow()
    _requeue(lead, Stage.LEAD, QueueState.CALLBACK, now, owner_id=agent_id)
    return _recorded(lead, now.date(), "clerical", reason, actor_id, handoff_id, None)


def disqualify(lead: Lead) -> None:
    """The lead does not meet the definition (sales said so): disqualified, out of the call queue for good, its
    history kept. Joins the caller's transaction."""
    lead.stage, lead.queue_state, lead.next_call_at, lead.callback_owner_id = (
        Stage.DISQUALIFIED, QueueState.CLOSED, None, None)
    lead.claimed_by_id, lead.claim_expires_at = None, None
    refresh_queue_columns(lead)


def _requeue(lead: Lead, stage: str, queue_state: str, due_at: datetime, *, owner_id: int | None) -> None:
    lead.stage, lead.queue_state, lead.next_call_at, lead.callback_owner_id = stage, queue_state, due_at, owner_id
    lead.attempts = 0  # a new round of calls; the calls made before stay on the lead's record
    lead.claimed_by_id, lead.claim_expires_at = None, None
    refresh_queue_columns(lead)


def _recorded(lead: Lead, recall_on: date, cause: str, reason: str, actor_id, handoff_id, call_id) -> Recall:
    row = Recall(lead_id=lead.id, recall_on=recall_on, cause=cause, reason=reason.strip(), created_by_id=actor_id,
                 handoff_id=handoff_id, call_id=call_id)
    db.session.add(row)
    return row


def latest_recall(lead_id: int) -> Recall | None:
    """Why the lead came back to the queue last (the next agent reads it), if it ever did."""
    return db.session.scalars(select(Recall).where(Recall.lead_id == lead_id).options(joinedload(Recall.created_by))
                              .order_by(Recall.created_at.desc(), Recall.id.desc()).limit(1)).first()


def set_score(lead: Lead, points: int | None, band: str | None, model_version: int | None = None) -> None:
    """Store the lead's score and band with the version of the definition that made them, and its queue rank
    with them. Joins the caller's transaction."""
    lead.score, lead.score_band, lead.score_model_version = points, band, model_version
    refresh_queue_columns(lead)


def next_version(lead: Lead, expected_version: int | None) -> None:
    """Move the lead to its next version, refusing (StaleLead) if it is no longer at the one its user saw.

    One conditional UPDATE, so two saves racing from two windows cannot both pass the check.
    Joins the caller's transaction.
    """
    if expected_version is None:
        lead.version += 1
        return
    bumped = db.session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.version == expected_version)
        .values(version=Lead.version + 1).returning(Lead.version).execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if bumped is None:
        raise StaleLead(lead.id)
    set_committed_value(lead, "version", bumped)  # as the database has it now, without reading it again


_leads = Lead.__table__
_PLACE_AFTER_CALL = update(_leads).where(_leads.c.id == bindparam("lead_id")).values(version=_leads.c.version + 1)


def place_after_call(connection, lead_id: int, after: LeadState, *, now: datetime, stored_window_key: str | None,
                     score_band: str | None, score_model_version: int | None = None, stage: str | None = None) -> None:
    """Store where a lead stands after a call: attempts, queue state and due time, score, stage, hold released.

    One UPDATE on `connection`, no ORM load (every call ends here: docs/queue.md).
    `after` holds the lead's facts as the disposition left them. Joins the caller's transaction.
    """
    columns = queue_columns.queue_columns(after, now)
    _key_written(stored_window_key, columns["window_key"])
    values = {"attempts": after.attempts, "last_called_at": after.last_called_at, "claimed_by_id": None,
              "claim_expires_at": None, "score": after.score, "score_band": score_band,
              "score_model_version": score_model_version,
              "queue_state": after.queue_state, "next_call_at": after.next_call_at,
              "callback_owner_id": after.callback_owner_id, "updated_at": now, **columns}
    if stage:
        values["stage"] = stage
    connection.execute(_PLACE_AFTER_CALL, {"lead_id": lead_id, **values})


# ---------------------------------------------------------------- scores in bulk (rescoring)

# A lead's score changed: its queue rank moves by the score's part alone (queue_columns.score_shift), added to
# the rank as stored, so that a hold or a due time written since the lead was read is kept. Stored only on a
# lead still at the row version it was read at: one an agent changed meanwhile was scored by that change.
_RESCORED_SQLITE = ("UPDATE leads SET score = ?, score_band = ?, score_model_version = ?, queue_rank = queue_rank + ?"
                    " WHERE id = ? AND version = ?")
# Its score stayed (its band may not have): no indexed column is written.
_CHECKED_SQLITE = "UPDATE leads SET score_band = ?, score_model_version = ? WHERE id = ? AND version = ?"
# PostgreSQL: a batch in one statement, its rows as arrays.
_RESCORED_POSTGRESQL = (
    "UPDATE leads SET score = v.score, score_band = v.band, score_model_version = %s,"
    " queue_rank = leads.queue_rank + v.shift"
    " FROM unnest(%s::int[], %s::int[], %s::int[], %s::varchar[], %s::bigint[]) AS v(id, version, score, band, shift)"
    " WHERE leads.id = v.id AND leads.version = v.version")
_CHECKED_POSTGRESQL = (
    "UPDATE leads SET score_band = v.band, score_model_version = %s"
    " FROM unnest(%s::int[], %s::int[], %s::varchar[]) AS v(id, version, band)"
    " WHERE leads.id = v.id AND leads.version = v.version")


def store_scores(rows: Sequence[tuple], model_version: int) -> int:
    """Store new scores made with one version of the lead definition: rows of (lead id, the row version it was
    read at, the score it had, the new score, the new band). A lead whose row moved on since is left as it is
    (whoever moved it scored it). Returns how many leads were stored. Joins the caller's transaction."""
    rescored = [row for row in rows if row[2] != row[3]]
    checked = [row for row in rows if row[2] == row[3]]
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()
    stored = 0
    if connection.dialect.name == "sqlite":
        if rescored:
            cursor.executemany(_RESCORED_SQLITE, [
                (score, band, model_version, queue_columns.score_shift(old, score), lead_id, version)
                for lead_id, version, old, score, band in rescored])
            stored += cursor.rowcount
        if checked:
            cursor.executemany(_CHECKED_SQLITE, [(band, model_version, lead_id, version)
                                                 for lead_id, version, _old, _score, band in checked])
            stored += cursor.rowcount
        return stored
    if rescored:
        cursor.execute(_RESCORED_POSTGRESQL, (model_version, [row[0] for row in rescored], [row[1] for row in rescored],
                                              [row[3] for row in rescored], [row[4] for row in rescored],
                                              [queue_columns.score_shift(row[2], row[3]) for row in rescored]))
        stored += cursor.rowcount
    if checked:
        cursor.execute(_CHECKED_POSTGRESQL, (model_version, [row[0] for row in checked], [row[1] for row in checked],
                                             [row[4] for row in checked]))
        stored += cursor.rowcount
    return stored


# ---------------------------------------------------------------- leads in bulk (imports)

_IMPORTED_COLUMNS = ("campaign_id", "account_id", "first_name", "last_name", "title", "buying_role", "email", "phone",
                     "alternate_phone", "state", "country", "time_zones", "source", "external_id", "custom_fields",
                     "lead_list_id", "inbound", "stage", "queue_state", "attempts", "version", "do_not_call",
                     "window_key", "queue_rank", "created_at", "updated_at")


def add_imported_leads(rows: list[dict], *, campaign_id: int, lead_list_id: int | None, now: datetime) -> None:
    """Insert new leads read from a list, each with its queue columns from the one rule (queue_columns), in one
    bulk statement. Each row holds the lead's contact fields, `account_id`, `time_zones` and `do_not_call` (the
    number is on a list covering the campaign: it enters suppressed); a suppressed row gets its lead's `id`,
    for the import's report. Joins the caller's transaction."""
    if not rows:
        return
    values = []
    for row in rows:
        zones = tuple(zone for zone in row["time_zones"].split(",") if zone)
        columns = queue_columns.queue_columns(
            LeadState(zones=zones, state=row["state"], do_not_call=row["do_not_call"]), now)
        values.append((
            campaign_id, row["account_id"], row["first_name"], row["last_name"], row["title"], row["buying_role"],
            row["email"], row["phone"], row["alternate_phone"], row["state"], row["country"], row["time_zones"],
            row["source"], row["external_id"], row["custom_fields"], lead_list_id, False, Stage.LEAD,
            QueueState.NEW, 0, 1, row["do_not_call"], columns["window_key"], columns["queue_rank"], now, now))
    connection = db.session.connection()
    bulk.insert_rows(connection, Lead.__table__, _IMPORTED_COLUMNS, values)
    _window_key_lists.clear()  # the claim's plan sees the campaign's new window keys at once in this process
    suppressed = {row["phone"]: row for row in rows if row["do_not_call"]}
    if suppressed:
        for lead_id, phone, list_id in connection.execute(select(Lead.id, Lead.phone, Lead.lead_list_id).where(
                Lead.phone.in_(list(suppressed)))):  # along ix_leads_phone (see campaign_leads_by)
            if list_id == lead_list_id:
                suppressed[phone]["id"] = lead_id


def campaign_leads_by(campaign_id: int, column, values: list) -> list[tuple[int, str, int | None]]:
    """(id, value, lead_list_id) of the campaign's leads whose `column` (external_id, phone or email) is one of
    `values`."""
    if not values:
        return []
    arrays = db.session.get_bind().dialect.name == "postgresql"  # one array parameter: one plan, any length
    if column is Lead.phone:
        # Along ix_leads_phone, the campaign checked on the few rows found: without statistics SQLite would
        # rather walk every lead of the campaign.
        return [(lead_id, phone, list_id) for lead_id, phone, campaign, list_id in db.session.execute(
            select(Lead.id, Lead.phone, Lead.campaign_id, Lead.lead_list_id).where(_one_of(Lead.phone, values, arrays)))
            if campaign == campaign_id]
    return list(db.session.execute(select(Lead.id, column, Lead.lead_list_id).where(
        Lead.campaign_id == campaign_id, _one_of(column, values, arrays))).tuples())


def refresh_statistics() -> None:
    """PostgreSQL: read the leads' and accounts' statistics again, so that the planner keeps using their indexes
    after a bulk load has grown them many times over (autovacuum does it, later). Elsewhere nothing to do."""
    if db.session.get_bind().dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE leads, accounts"))


def find_or_add_accounts(wanted: dict[tuple[str, str], tuple[str, str | None]]) -> dict[tuple[str, str], int]:
    """The account of each key, ("domain", "acme.com") or ("name", casefolded name): found by domain or by name
    (as written, then compared casefolded), else added with the name and domain given. Joins the caller's
    transaction."""
    found: dict[tuple[str, str], int] = {}
    domains = [key[1] for key in wanted if key[0] == "domain"]
    for start in range(0, len(domains), 500):
        for account_id, domain in db.session.execute(select(Account.id, Account.domain).where(
                Account.domain.in_(domains[start:start + 500])).order_by(Account.id.desc())):
            found[("domain", domain)] = account_id
    names = [name for key, (name, _domain) in wanted.items() if key[0] == "name"]
    for start in range(0, len(names), 500):
        for account_id, name in db.session.execute(select(Account.id, Account.name).where(
                Account.name.in_(names[start:start + 500])).order_by(Account.id.desc())):
            found[("name", name.casefold())] = account_id
    missing = [key for key in wanted if key not in found]
    if missing:
        now = utcnow()
        rows = [{"name": (wanted[key][0] or key[1])[:160], "domain": wanted[key][1], "created_at": now} for key in missing]
        ids = db.session.execute(Account.__table__.insert().returning(Account.__table__.c.id,
                                                                      sort_by_parameter_order=True), rows).scalars().all()
        found.update(zip(missing, ids))
    return found


# What an import may change on a lead it matched (the "update" policy); the rest is the lead's own history.
IMPORT_UPDATABLE = ("first_name", "last_name", "title", "buying_role", "email", "phone", "alternate_phone", "state",
                    "country", "time_zones", "source", "external_id")


def update_from_import(lead_id: int, values: dict, *, now: datetime) -> bool:
    """Bring a lead's contact data to a list's values (given ones only; custom fields merged), keeping its
    zones, do-not-call flag and queue columns right. Returns whether anything changed. Joins the caller's
    transaction."""
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        return False
    changed = False
    for name in IMPORT_UPDATABLE:
        value = values.get(name)
        if value not in (None, "") and getattr(lead, name) != value:
            setattr(lead, name, value)
            changed = True
    custom = {**(lead.custom_fields or {}), **(values.get("custom_fields") or {})}
    if custom != (lead.custom_fields or {}):
        lead.custom_fields = custom
        changed = True
    if changed:
        lead.do_not_call = do_not_call_list.is_listed(lead.phone, lead.campaign_id)
        lead.version += 1
        lead.updated_at = now
        refresh_queue_columns(lead, now)
    return changed


def hold_external_ids(campaign_id: int, external_ids: Iterable[str]) -> None:
    """Make leads pushed with these external ids one at a time: on PostgreSQL a transaction lock per (campaign,
    external id), taken in one order so two pushes never wait on each other in a circle; on SQLite the writer
    turn the caller holds already does. Call before looking the leads up. Joins the caller's transaction."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for external_id in sorted(set(external_ids)):
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                           {"key": f"lead:{campaign_id}:{external_id}"})


def add_touches(lead_id: int, touches: Sequence[dict]) -> int:
    """Add marketing touches to a lead (`kind`, `description`, `occurred_at`, optional `campaign_id`, `url`),
    skipping any the lead already has with the same kind, time, description and address, so that a repeated
    push adds nothing. Returns how many were added. Joins the caller's transaction."""
    if not touches:
        return 0
    known = {(kind, occurred_at, description, url) for kind, occurred_at, description, url in db.session.execute(
        select(Touch.kind, Touch.occurred_at, Touch.description, Touch.url).where(Touch.lead_id == lead_id))}
    added = 0
    for touch in touches:
        key = (touch["kind"], touch["occurred_at"], touch["description"], touch.get("url"))
        if key in known:
            continue
        known.add(key)
        db.session.add(Touch(lead_id=lead_id, kind=touch["kind"], description=touch["description"],
                             occurred_at=touch["occurred_at"], campaign_id=touch.get("campaign_id"),
                             url=touch.get("url")))
        added += 1
    if added:
        db.session.flush()
    return added


def withdraw_untouched(lead_list_id: int, batch_size: int = 2000) -> int:
    """Take a list's untouched leads (never called, not held, still new) out of the queue, in batches of
    their own transactions (claims go on between them). Returns how many."""
    withdrawn = 0
    while True:
        with writers.write_transaction(db.session):
            ids = db.session.scalars(select(Lead.id).where(
                Lead.lead_list_id == lead_list_id, Lead.queue_state == QueueState.NEW, Lead.attempts == 0,
                Lead.claimed_by_id.is_(None)).limit(batch_size)).all()
            if ids:
                db.session.execute(update(Lead).where(Lead.id.in_(ids)).values(
                    queue_state=QueueState.CLOSED, queue_rank=None, version=Lead.version + 1, updated_at=utcnow())
                    .execution_options(synchronize_session=False))
        withdrawn += len(ids)
        if len(ids) < batch_size:
            return withdrawn


def forget_window_keys() -> None:
    """Drop this process's lists of campaigns' window keys (after a bulk change of leads)."""
    _window_key_lists.clear()


# ---------------------------------------------------------------- the bands, as the clock moves

def refresh_bands(connection, spacing: dict[int, int], now: datetime) -> None:
    """Release lapsed holds and promote leads whose retry or callback time has come, in SQL.

    `spacing` maps each running campaign to its minimum minutes between attempts. The
    statements are queue_rank's band rule in SQL (queue_columns.RELEASE_LAPSED_HOLDS,
    PROMOTE_DUE) and touch only the rows that change band, through small partial
    indexes. Joins the caller's transaction (the claim's, at most once a second).
    """
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.dialect.name == "postgresql" else ""
    connection.execute(_band_statement(queue_columns.RELEASE_LAPSED_HOLDS, skip_locked), {"now": now})
    for campaign_id, minutes in spacing.items():
        connection.execute(_band_statement(queue_columns.PROMOTE_DUE, skip_locked), {
            "campaign_id": campaign_id, "now": now, "spaced_before": now - timedelta(minutes=minutes)})


_band_statements: dict[tuple[str, str], object] = {}


def _band_statement(template: str, skip_locked: str):
    statement = _band_statements.get((template, skip_locked))
    if statement is None:
        statement = _band_statements[(template, skip_locked)] = text(template.format(skip_locked=skip_locked)) \
            .bindparams(*[bindparam(name, type_=DateTime()) for name in ("now", "spaced_before")
                          if re.search(rf":{name}\b", template)])
    return statement


# ---------------------------------------------------------------- a user's holds

def release_holds_of(user_id: int, actor=None, now: datetime | None = None) -> list[int]:
    """Return every lead the user holds to the queue at once (a deactivated agent's): the hold ends now, so
    the lead is due again as it was before the claim, and another agent can claim it straight away.

    Returns the leads' ids; each release is audited. Joins the caller's transaction.
    """
    now = now or utcnow()
    released = []
    for lead in db.session.scalars(select(Lead).where(Lead.claimed_by_id == user_id).order_by(Lead.id)
                                   .with_for_update()):
        lead.claimed_by_id, lead.claim_expires_at = None, None
        lead.version += 1
        refresh_queue_columns(lead, now)
        audit.record("lead.hold_released", lead, actor=actor, held_by_id=user_id)
        released.append(lead.id)
    return released


def share_callbacks_of(user_id: int, actor=None, now: datetime | None = None) -> list[int]:
    """Make the callbacks reserved for the user anyone's (a deactivated agent's): each keeps its time and moves
    from its owner's tier to the tier every agent is offered.

    Returns the leads' ids; each change is audited. Joins the caller's transaction.
    """
    now = now or utcnow()
    shared = []
    for lead in db.session.scalars(select(Lead).where(Lead.callback_owner_id == user_id).order_by(Lead.id)
                                   .with_for_update()):
        lead.callback_owner_id = None
        lead.version += 1
        refresh_queue_columns(lead, now)
        audit.record("lead.callback_shared", lead, actor=actor, reserved_for_id=user_id,
                     callback_at=lead.next_call_at.isoformat() if lead.next_call_at else None)
        shared.append(lead.id)
    return shared


# ---------------------------------------------------------------- the do-not-call list

def add_to_do_not_call(phone: str, *, campaign_id: int | None = None, reason: str = "", added_by_id: int | None = None,
                       call_id: int | None = None, source: str = DoNotCallSource.MANUAL,
                       lead_list_id: int | None = None) -> DoNotCallEntry | None:
    """Put a number on the list (global, or one campaign's) and take it out of every queue it covers, at once.

    `source` says where the entry came from (compliance.models.DoNotCallSource): an agent's opt-out
    (with `call_id`), an import (with `lead_list_id`), a person (manual), the API. Returns the new
    entry, or None when the number was already listed there (the leads are suppressed again all the
    same). Joins the caller's transaction.
    """
    existing = db.session.scalar(select(DoNotCallEntry).where(
        DoNotCallEntry.phone == phone,
        DoNotCallEntry.campaign_id.is_(None) if campaign_id is None else DoNotCallEntry.campaign_id == campaign_id))
    entry = None
    if existing is None:
        entry = DoNotCallEntry(phone=phone, campaign_id=campaign_id, reason=reason, added_by_id=added_by_id,
                               call_id=call_id, source=source, lead_list_id=lead_list_id)
        db.session.add(entry)
        db.session.flush()
    suppress_number(phone, campaign_id)
    return entry


# Numbers per statement when a file of them is listed: well under every driver's limit on bound values.
DO_NOT_CALL_BATCH = 900


def add_numbers_to_do_not_call(phones: Sequence[str], *, campaign_id: int | None = None, reason: str = "",
                               added_by_id: int | None = None, source: str = DoNotCallSource.MANUAL,
                               lead_list_id: int | None = None) -> list[str]:
    """add_to_do_not_call for many numbers at once (distinct, E.164): returns those newly listed.

    A few set statements, not one per number, so a file of 100,000 numbers takes seconds: which are
    listed already, the others inserted, every lead with one of them suppressed. On PostgreSQL each
    is one statement over an array of the numbers; on SQLite, batches of DO_NOT_CALL_BATCH. Numbers
    already listed in that scope keep their entry and are suppressed again. Joins the caller's transaction.
    """
    connection = db.session.connection()
    entries = DoNotCallEntry.__table__
    in_scope = entries.c.campaign_id.is_(None) if campaign_id is None else entries.c.campaign_id == campaign_id
    arrays = connection.dialect.name == "postgresql"
    batches = [list(phones)] if arrays else \
        [list(phones[start:start + DO_NOT_CALL_BATCH]) for start in range(0, len(phones), DO_NOT_CALL_BATCH)]
    # Every lookup before the first insert: PostgreSQL plans each on the table's statistics, which know nothing of
    # rows this transaction adds (looking up while inserting made it scan the growing table every batch).
    listed = {phone for batch in batches for phone in connection.scalars(
        select(entries.c.phone).where(_one_of(entries.c.phone, batch, arrays), in_scope))}
    added = [phone for phone in phones if phone not in listed]
    now = utcnow()
    if arrays and added:
        numbers = func.unnest(bindparam("numbers", added, type_=postgresql.ARRAY(String))).column_valued("phone")
        connection.execute(insert(entries).from_select(
            ["phone", "campaign_id", "reason", "added_by_id", "source", "lead_list_id", "added_at"],
            select(numbers, literal(campaign_id, Integer), literal(reason), literal(added_by_id, Integer),
                   literal(source), literal(lead_list_id, Integer), literal(now, DateTime))))
    elif added:
        connection.execute(insert(entries), [
            {"phone": phone, "campaign_id": campaign_id, "reason": reason, "added_by_id": added_by_id,
             "source": source, "lead_list_id": lead_list_id, "call_id": None, "added_at": now} for phone in added])
    for batch in batches:
        suppress_numbers(batch, campaign_id, connection)
    return added


def _one_of(column, values: list[str], arrays: bool):
    """`column IN values`: on PostgreSQL one array parameter (any number of values), else one parameter each."""
    if arrays:
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(String)))
    return column.in_(values)


class DoNotCallRefused(Exception):
    """A change to the list that cannot be made; the message says why, for people."""


def list_number(phone: str, actor, *, campaign_id: int | None, reason: str) -> DoNotCallEntry | None:
    """A person puts one number (E.164) on the list from the do-not-call page: out of every queue at once, audited.

    Returns the entry, or None when the number was already listed in that scope (nothing is
    audited then: nothing changed).
    """
    with writers.write_transaction(db.session):
        entry = add_to_do_not_call(phone, campaign_id=campaign_id, reason=reason, added_by_id=actor.id,
                                   source=DoNotCallSource.MANUAL)
        if entry is not None:
            audit.record("do_not_call.added", entry, actor=actor, phone=phone, campaign_id=campaign_id,
                         reason=reason, source=entry.source)
        return entry


def list_numbers(phones: Sequence[str], actor, *, campaign_id: int | None, reason: str, file_name: str,
                 counts: dict[str, int]) -> list[str]:
    """A person puts a file of numbers (distinct, E.164) on the list, audited once with the counts.

    On PostgreSQL one transaction. On SQLite one per DO_NOT_CALL_BATCH numbers, the audit row with the last:
    one transaction for a file of 100,000 numbers held the only writer for seconds, and every agent's claim
    waited. A failure part way leaves the batches before it listed, which errs on the side the law wants.
    `counts` are what the reading of the file found (repeated and invalid lines); the added and
    already-listed counts are added here. Returns the numbers newly listed.
    """
    phones = list(phones)
    step = (len(phones) or 1) if db.engine.dialect.name == "postgresql" else DO_NOT_CALL_BATCH
    added: list[str] = []
    for start in range(0, max(len(phones), 1), step):
        with writers.write_transaction(db.session):
            added += add_numbers_to_do_not_call(phones[start:start + step], campaign_id=campaign_id, reason=reason,
                                                added_by_id=actor.id, source=DoNotCallSource.MANUAL)
            if start + step >= len(phones):
                audit.record("do_not_call.uploaded", actor=actor, file_name=file_name, campaign_id=campaign_id,
                             reason=reason, added=len(added), already_listed=len(phones) - len(added), **counts)
    return added


def remove_from_do_not_call(entry: DoNotCallEntry) -> None:
    """Take an entry off the list; every lead with the number is judged again. Joins the caller's transaction."""
    phone = entry.phone
    db.session.delete(entry)
    db.session.flush()
    now = utcnow()
    for lead in db.session.scalars(select(Lead).where(Lead.phone == phone)):
        lead.do_not_call = do_not_call_list.is_listed(phone, lead.campaign_id)
        refresh_queue_columns(lead, now)


def unlist_number(entry_id: int, actor, *, reason: str) -> DoNotCallEntry:
    """A person takes an entry off the list, saying why: its number's leads are judged again at once; audited.

    The audit row keeps the whole entry (number, scope, where it came from, who added it
    when), so the lead record can show both ends of the entry's life. Returns the entry removed.
    """
    if not reason.strip():
        raise DoNotCallRefused("Say why the number may be called again.")
    with writers.write_transaction(db.session):
        entry = db.session.get(DoNotCallEntry, entry_id)
        if entry is None:
            raise DoNotCallRefused("This entry is no longer on the list: someone removed it already.")
        audit.record("do_not_call.removed", entry, actor=actor, phone=entry.phone, campaign_id=entry.campaign_id,
                     reason=reason.strip(), source=entry.source, entry_reason=entry.reason,
                     added_at=entry.added_at.isoformat(), added_by_id=entry.added_by_id, call_id=entry.call_id,
                     lead_list_id=entry.lead_list_id)
        remove_from_do_not_call(entry)
        return entry


def suppress_number(phone: str, campaign_id: int | None = None, connection=None) -> int:
    """Mark the leads a listed number covers (one campaign's, or all) and take them out of the queue.

    Returns how many. Joins the caller's transaction (on `connection` when given).
    """
    statement = update(Lead).where(Lead.phone == phone).values(do_not_call=True, queue_rank=None)
    if campaign_id is not None:
        statement = statement.where(_checked_only(Lead.campaign_id) == campaign_id)
    return (connection or db.session.connection()).execute(
        statement.execution_options(synchronize_session=False)).rowcount


def suppress_numbers(phones: Sequence[str], campaign_id: int | None = None, connection=None) -> int:
    """suppress_number for a batch of numbers, in one statement. Joins the caller's transaction."""
    connection = connection or db.session.connection()
    statement = update(Lead).where(_one_of(Lead.phone, list(phones), connection.dialect.name == "postgresql")) \
        .values(do_not_call=True, queue_rank=None)
    if campaign_id is not None:
        statement = statement.where(_checked_only(Lead.campaign_id) == campaign_id)
    return connection.execute(statement.execution_options(synchronize_session=False)).rowcount


def _checked_only(column):
    """A column the number's index has found the rows for: written as an expression, so that SQLite (which plans
    without table statistics) never reads a whole campaign by its index instead, once per number."""
    return column + 0


def suppress_if_listed(connection, lead_id: int) -> bool:
    """If the lead's number is on a list that covers it but the lead is not marked, mark it; returns whether.

    The claim calls this when a candidate it cannot take blocks the head of the queue.
    Joins the caller's transaction.
    """
    row = connection.execute(select(Lead.phone, Lead.campaign_id).where(Lead.id == lead_id)).one_or_none()
    if row is None or not do_not_call_list.is_listed(row.phone, row.campaign_id, connection):
        return False
    listed_for_all = do_not_call_list.is_listed(row.phone, None, connection)
    suppress_number(row.phone, None if listed_for_all else row.campaign_id, connection)
    return True


def mend_queue_columns(lead_id: int) -> None:
    """Recompute one lead's queue columns from its facts, in a transaction of its own (a stale key found by a claim)."""
    with writers.write_transaction(db.session):
        lead = db.session.get(Lead, lead_id, populate_existing=True)
        if lead is not None:
            refresh_queue_columns(lead)
