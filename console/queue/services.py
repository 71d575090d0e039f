"""Claiming leads: the only code that hands a lead to an agent, and says what is dialable now and why.

How a claim stays fast on millions of leads (docs/queue.md has the long version):
every lead carries a `queue_rank` (tier, band and score in one number) and a
`window_key` (zones and state). For each running campaign the few distinct
window keys are known; Python decides which are open this minute; the claim
walks the claim-order index once per open key and takes the best head, all in
one statement. Claimed leads move to the "held" band, leads waiting for a
retry or callback time sit in the "waiting" band, so the walk never wades
through leads it cannot take. The statement re-checks every fact itself, and
Python re-checks the calling window of the lead it got, before the claim commits.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Boolean, DateTime, Integer, bindparam, column, func, insert, select, text
from sqlalchemy.orm import make_transient_to_detached

from console.audit import services as audit
from console.audit.models import AuditEvent
from console.calls import rules as call_rules
from console.calls.models import Call, CallStatus
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.guides.services import choose_published_version, published_guides
from console.leads.models import DoNotCallEntry, Lead, QueueState, flag_do_not_call
from console.leads.rules import stored_zones
from console.queue import rules
from console.database import writers
from console.queue.models import window_key_lists
from console.database.snapshots import Snapshot


class CallError(Exception):
    """Something the agent asked for that cannot be done; the message says why."""


class NotYourCall(CallError):
    pass


class NotDialable(CallError):
    """The lead may not be called now; the message says why."""


# PostgreSQL: candidates taken per window key before SKIP LOCKED picks one (see _claim_statement).
CANDIDATES_PER_KEY = 4
MAINTENANCE_EVERY = timedelta(seconds=1)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


# ---------------------------------------------------------------- the claim plan

@dataclass(frozen=True)
class CampaignPlan:
    """A running campaign as the claim sees it."""

    id: int
    priority: int
    rules: rules.CampaignRules
    name: str
    call_guide_id: int | None


@dataclass
class ClaimPlan:
    """What may be claimed this minute: running campaigns, and for each its open window keys."""

    now: datetime
    campaigns: dict[int, CampaignPlan]
    open_keys: dict[int, tuple[str, ...]] = field(default_factory=dict)  # campaign id → open keys

    @property
    def open_campaigns(self) -> list[CampaignPlan]:
        return [self.campaigns[campaign_id] for campaign_id, keys in self.open_keys.items() if keys]

    def is_open(self, campaign_id: int, key: str) -> bool:
        return key in self._open_sets.get(campaign_id, ())

    @property
    def _open_sets(self) -> dict[int, frozenset]:
        cached = self.__dict__.get("_sets")
        if cached is None:
            cached = self.__dict__["_sets"] = {cid: frozenset(keys) for cid, keys in self.open_keys.items()}
        return cached

    def spaced_before(self, campaign: CampaignPlan) -> datetime:
        return self.now - timedelta(minutes=campaign.rules.min_retry_minutes)

    def keys_parameter(self, dialect: str) -> str:
        """Every open key as a JSON row: [campaign_id, window_key, priority, max_attempts, spaced_before]."""
        rows = []
        for campaign in self.open_campaigns:
            spaced = self.spaced_before(campaign)
            spaced = spaced.strftime(_SQLITE_TIME) if dialect == "sqlite" else spaced.isoformat()
            rows.extend([campaign.id, key, campaign.priority, campaign.rules.max_attempts, spaced]
                        for key in self.open_keys[campaign.id])
        if dialect == "postgresql":
            names = ("campaign_id", "window_key", "priority", "max_attempts", "spaced_before")
            return json.dumps([dict(zip(names, row)) for row in rows])
        return json.dumps(rows)


_open_keys_memo: dict[tuple, tuple[str, ...]] = {}
_key_open_memo: dict[tuple, bool] = {}
_plan_rows_memo: dict[tuple, CampaignPlan] = {}
_last_maintenance: dict[str, datetime] = {}

WINDOW_KEYS_SQL = text(
    "WITH RECURSIVE k(window_key) AS ("
    " SELECT MIN(window_key) FROM leads WHERE campaign_id = :campaign_id"
    " UNION ALL"
    " SELECT (SELECT MIN(l.window_key) FROM leads AS l WHERE l.campaign_id = :campaign_id"
    " AND l.window_key > k.window_key) FROM k WHERE k.window_key IS NOT NULL)"
    " SELECT window_key FROM k WHERE window_key IS NOT NULL"
)


def _engine_key() -> str:
    return str(db.engine.url)


def window_keys(campaign_id: int, connection=None) -> tuple[str, ...]:
    """The distinct window keys of a campaign's leads (a loose index scan: one probe per key), cached briefly.

    The list is kept per process (queue.models.window_key_lists) and dropped at once
    when this process gives a lead a key it may not know.
    """
    return window_key_lists.get((_engine_key(), campaign_id), lambda: tuple(
        (connection or db.session.connection()).scalars(WINDOW_KEYS_SQL, {"campaign_id": campaign_id})))


def _open_keys(campaign: CampaignPlan, keys: tuple[str, ...], now: datetime) -> tuple[str, ...]:
    # Windows only change on whole minutes (rules.calling_window), so a per-minute memo is exact.
    memo_key = (campaign.id, campaign.rules.hours, keys, rules.minute_of(now))
    answer = _open_keys_memo.get(memo_key)
    if answer is None:
        answer = tuple(key for key in keys if _key_open(campaign, key, now))
        _remember(_open_keys_memo, memo_key, answer)
    return answer


def _key_open(campaign: CampaignPlan, key: str, now: datetime) -> bool:
    """Is the calling window of this window key open now, under the campaign's hours (memo per minute)?"""
    memo_key = (key, campaign.rules.hours, rules.minute_of(now))
    answer = _key_open_memo.get(memo_key)
    if answer is None:
        answer = rules.calling_window(*rules.split_window_key(key), now, campaign.rules.hours).open
        _remember(_key_open_memo, memo_key, answer)
    return answer


def _remember(memo: dict, key, value) -> None:
    if len(memo) > 10_000:
        memo.clear()
    memo[key] = value


ACTIVE_CAMPAIGNS = select(
    Campaign.id, Campaign.name, Campaign.priority, Campaign.start_date, Campaign.end_date, Campaign.calling_start,
    Campaign.calling_end, Campaign.calling_days, Campaign.holidays, Campaign.max_attempts, Campaign.min_retry_minutes,
    Campaign.call_guide_id,
).where(Campaign.active.is_(True))


# Read on every claim, changed a few times a day: see console/database/snapshots.py.
_active_campaigns = Snapshot(1.0, Campaign)


def _campaign_plan(row) -> CampaignPlan:
    memo_key = tuple(tuple(value) if isinstance(value, list) else value for value in row)
    plan = _plan_rows_memo.get(memo_key)
    if plan is None:
        campaign = Campaign(name=row.name, active=True, start_date=row.start_date, end_date=row.end_date,
                            calling_start=row.calling_start, calling_end=row.calling_end,
                            calling_days=row.calling_days, holidays=row.holidays, max_attempts=row.max_attempts,
                            min_retry_minutes=row.min_retry_minutes)
        plan = CampaignPlan(row.id, row.priority or 0, campaign.calling_rules(), row.name, row.call_guide_id)
        _remember(_plan_rows_memo, memo_key, plan)
    return plan


def claim_plan(now: datetime, connection=None) -> ClaimPlan:
    """The running campaigns and their window keys that are open this minute (read on `connection` when given)."""
    rows = _active_campaigns.get(
        _engine_key(), lambda: (connection or db.session.connection()).execute(ACTIVE_CAMPAIGNS).all())
    plan = ClaimPlan(now=now, campaigns={})
    for row in rows:
        campaign = _campaign_plan(row)
        if rules.campaign_running(campaign.rules, now.date()) is not None:
            continue
        plan.campaigns[campaign.id] = campaign
        plan.open_keys[campaign.id] = _open_keys(campaign, window_keys(campaign.id, connection), now)
    return plan


# ---------------------------------------------------------------- keeping the bands right

def _maintain_bands(connection, plan: ClaimPlan, dialect: str) -> None:
    """Release lapsed claims and promote leads whose retry/callback time has come (at most once a second).

    Runs inside the claim's transaction. Both touch only the rows that changed
    band since the last run, through small partial indexes.
    """
    engine_key = _engine_key()
    last = _last_maintenance.get(engine_key)
    if last is not None and abs(plan.now - last) < MAINTENANCE_EVERY:
        return
    _last_maintenance[engine_key] = plan.now
    skip_locked = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    now = _time_param("now")
    connection.execute(text(
        f"UPDATE leads SET queue_rank = queue_rank - {rules.HELD_LOW} WHERE id IN ("
        f"SELECT id FROM leads WHERE queue_rank >= {rules.HELD_LOW} AND claim_expires_at < :now"
        f" LIMIT 5000{skip_locked})"
    ).bindparams(now), {"now": plan.now})
    for campaign in plan.campaigns.values():
        connection.execute(text(
            f"UPDATE leads SET queue_rank = queue_rank - {rules.WAITING_LOW} WHERE id IN ("
            f"SELECT id FROM leads WHERE campaign_id = :campaign_id"
            f" AND queue_rank >= {rules.WAITING_LOW} AND queue_rank < {rules.WAITING_HIGH}"
            f" AND next_call_at <= :now"
            f" AND (queue_state = 'callback' OR last_called_at IS NULL OR last_called_at <= :spaced_before)"
            f" LIMIT 5000{skip_locked})"
        ).bindparams(now, _time_param("spaced_before")),
            {"campaign_id": campaign.id, "now": plan.now,
             "spaced_before": plan.now - timedelta(minutes=campaign.rules.min_retry_minutes)})


def _time_param(name: str):
    return bindparam(name, type_=DateTime())


# ---------------------------------------------------------------- the claim statement

# Filters every candidate passes, whatever its rank says: the rank orders, these decide.
# `{k}` is where the campaign's max_attempts and spaced_before come from.
_FILTERS = (
    "NOT l.do_not_call AND l.queue_state IN ('new', 'retry', 'callback')"
    " AND (l.queue_state != 'callback' OR l.callback_owner_id IS NULL)"
    " AND (l.next_call_at IS NULL OR l.next_call_at <= :now)"
    " AND (l.claimed_by_id IS NULL OR l.claim_expires_at < :now)"
    " AND l.attempts < {k}.max_attempts"
    " AND (l.queue_state = 'callback' OR l.last_called_at IS NULL OR l.last_called_at <= {k}.spaced_before)"
)
def _due(alias: str = "") -> str:
    column = f"{alias}.queue_rank" if alias else "queue_rank"
    return f"{column} >= {rules.DUE_LOW} AND {column} < {rules.DUE_HIGH}"


_DUE = _due()
_CANDIDATE_FILTERS = (
    f"l.campaign_id = keys.campaign_id AND l.window_key = keys.window_key AND {_due('l')} AND "
    + _FILTERS.format(k="keys")
)
_NOT_ON_DO_NOT_CALL = (
    "NOT EXISTS (SELECT 1 FROM do_not_call AS d WHERE d.phone = leads.phone"
    " AND (d.campaign_id IS NULL OR d.campaign_id = leads.campaign_id))"
)
# Every claiming UPDATE also checks that the agent holds no live lead. The claim reads the
# agent's state first (SQLite: before queueing for the writer lock; PostgreSQL: in the statement
# that takes the agent's claim lock, whose snapshot predates the lock), so this check, made by the
# claiming statement itself, is what stops two tabs of one agent each taking a lead.
_AGENT_HOLDS_NOTHING = {
    # SQLite's statistics would rather scan the table than this index, which finds at most one row.
    dialect: f"NOT EXISTS (SELECT 1 FROM leads AS mine{indexed} WHERE mine.claimed_by_id = :agent_id"
             " AND mine.claim_expires_at >= :now)"
    for dialect, indexed in (("sqlite", " INDEXED BY ix_leads_claimed_by_id"), ("postgresql", ""))
}
_CLAIM_SET = (
    "claimed_by_id = :agent_id, claim_expires_at = :expires_at, updated_at = :now,"
    f" queue_rank = queue_rank + {rules.HELD_LOW}, version = version + 1"
)
_RETURNED = ("id", "campaign_id", "time_zones", "state", "window_key", "buying_role")
# A claim that lapsed leaves its open call behind; the claim closes it (_open_call) only when there is one.
_HAS_OPEN_CALL = (
    f"EXISTS (SELECT 1 FROM calls WHERE calls.lead_id = leads.id AND calls.status = '{CallStatus.OPEN}')"
    " AS has_open_call"
)
_RETURNING = ", ".join(_RETURNED) + f", {_HAS_OPEN_CALL}"
_POSTGRES_RETURNING = ", ".join(f"leads.{name}" for name in _RETURNED) + f", {_HAS_OPEN_CALL}"

# The fast path. Each campaign's due leads are read in queue order from one index
# (campaign, rank, id, window_key) without touching the table: of the first HEAD_SCAN,
# the first HEAD_KEEP whose window is open are the best candidates there are, since
# anything further down ranks lower. Most of the day most windows are open, so this
# finds a lead after a handful of index entries, whatever the number of leads.
HEAD_SCAN = 256
HEAD_KEEP = 16


def _head_block(n: int, dialect: str) -> str:
    open_keys = (f"(SELECT value FROM json_each(:keys_{n}))" if dialect == "sqlite"
                 else f"(SELECT jsonb_array_elements_text(CAST(:keys_{n} AS jsonb)))")
    return (
        f"SELECT * FROM (SELECT h.id, h.queue_rank, :priority_{n} AS priority, :max_attempts_{n} AS max_attempts,"
        f" :spaced_before_{n} AS spaced_before FROM (SELECT id, window_key, queue_rank FROM leads"
        f" WHERE campaign_id = :campaign_{n} AND {_DUE} ORDER BY queue_rank, id LIMIT {HEAD_SCAN}) AS h"
        f" WHERE h.window_key IN {open_keys} ORDER BY h.queue_rank, h.id LIMIT {HEAD_KEEP}) AS head_{n}"
    )


def _fast_claim_sql(campaigns: int, dialect: str) -> str:
    heads = " UNION ALL ".join(_head_block(n, dialect) for n in range(campaigns))
    pick = (f"SELECT l.id FROM heads JOIN leads AS l ON l.id = heads.id WHERE {_FILTERS.format(k='heads')}"
            f" ORDER BY heads.queue_rank / {rules.SPAN}, heads.priority DESC, heads.queue_rank, heads.id LIMIT 1")
    if dialect == "sqlite":
        return (f"WITH heads AS ({heads}) UPDATE leads SET {_CLAIM_SET} WHERE id = ({pick})"
                f" AND {_NOT_ON_DO_NOT_CALL} AND {_AGENT_HOLDS_NOTHING[dialect]} RETURNING {_RETURNING}")
    return (f"WITH heads AS ({heads}), chosen AS ({pick} FOR UPDATE OF l SKIP LOCKED)"
            f" UPDATE leads SET {_CLAIM_SET} FROM chosen WHERE leads.id = chosen.id AND {_NOT_ON_DO_NOT_CALL}"
            f" AND {_AGENT_HOLDS_NOTHING[dialect]} RETURNING {_POSTGRES_RETURNING}")


_SQLITE_KEYS = (
    "keys AS (SELECT json_extract(value, '$[0]') AS campaign_id, json_extract(value, '$[1]') AS window_key,"
    " json_extract(value, '$[2]') AS priority, json_extract(value, '$[3]') AS max_attempts,"
    " json_extract(value, '$[4]') AS spaced_before FROM json_each(:keys))"
)
_POSTGRES_KEYS = (
    "keys AS (SELECT * FROM jsonb_to_recordset(CAST(:keys AS jsonb)) AS k("
    "campaign_id integer, window_key text, priority integer, max_attempts integer, spaced_before timestamp))"
)

# The thorough path, when the fast one finds nothing (few windows open, or none of
# them near the top of the queue): one probe per open window key, each reading the
# head of that key's range in the (campaign, window_key, rank, id) index.
# SQLite runs it inside BEGIN IMMEDIATE (one writer), so each key's head is claimable as is.
SQLITE_CANDIDATE = (
    f"WITH {_SQLITE_KEYS}, best AS (SELECT (SELECT l.id FROM leads AS l WHERE {_CANDIDATE_FILTERS}"
    " ORDER BY l.queue_rank, l.id LIMIT 1) AS lead_id, keys.priority AS priority FROM keys)"
    " SELECT c.id FROM best JOIN leads AS c ON c.id = best.lead_id"
    f" ORDER BY c.queue_rank / {rules.SPAN}, best.priority DESC, c.queue_rank, c.id LIMIT 1"
)
SQLITE_CLAIM = (
    f"WITH {_SQLITE_KEYS}, best AS (SELECT (SELECT l.id FROM leads AS l WHERE {_CANDIDATE_FILTERS}"
    " ORDER BY l.queue_rank, l.id LIMIT 1) AS lead_id, keys.priority AS priority FROM keys)"
    f" UPDATE leads SET {_CLAIM_SET}"
    " WHERE id = (SELECT c.id FROM best JOIN leads AS c ON c.id = best.lead_id"
    f" ORDER BY c.queue_rank / {rules.SPAN}, best.priority DESC, c.queue_rank, c.id LIMIT 1)"
    f" AND {_NOT_ON_DO_NOT_CALL} AND {_AGENT_HOLDS_NOTHING['sqlite']} RETURNING {_RETURNING}"
)
# PostgreSQL: agents claim concurrently. Take the first few heads of every open key,
# then lock the best one nobody else is locking (SKIP LOCKED); the lock re-checks the row.
_POSTGRES_CANDIDATES = (
    f"WITH {_POSTGRES_KEYS}, candidates AS (SELECT c.id, c.queue_rank, keys.priority FROM keys"
    f" CROSS JOIN LATERAL (SELECT l.id, l.queue_rank FROM leads AS l WHERE {_CANDIDATE_FILTERS}"
    " ORDER BY l.queue_rank, l.id LIMIT :per_key) AS c)"
)
POSTGRES_CANDIDATE = (
    f"{_POSTGRES_CANDIDATES} SELECT id FROM candidates"
    f" ORDER BY queue_rank / {rules.SPAN}, priority DESC, queue_rank, id LIMIT 1"
)
POSTGRES_CLAIM = (
    f"{_POSTGRES_CANDIDATES}, chosen AS (SELECT l.id FROM candidates JOIN leads AS l ON l.id = candidates.id"
    f" WHERE (l.claimed_by_id IS NULL OR l.claim_expires_at < :now) AND {_due('l')}"
    f" ORDER BY candidates.queue_rank / {rules.SPAN}, candidates.priority DESC, candidates.queue_rank,"
    " candidates.id LIMIT 1 FOR UPDATE OF l SKIP LOCKED)"
    f" UPDATE leads SET {_CLAIM_SET} FROM chosen WHERE leads.id = chosen.id AND {_NOT_ON_DO_NOT_CALL}"
    f" AND {_AGENT_HOLDS_NOTHING['postgresql']} RETURNING {_POSTGRES_RETURNING}"
)

OWN_CALLBACKS = text(
    "SELECT id, campaign_id, window_key, queue_rank, attempts FROM leads"
    f" WHERE callback_owner_id = :agent_id AND queue_rank >= 0 AND queue_rank < {rules.OWN_CALLBACK_HIGH}"
    " AND NOT do_not_call AND queue_state = 'callback' AND (next_call_at IS NULL OR next_call_at <= :now)"
    " AND (claimed_by_id IS NULL OR claim_expires_at < :now) ORDER BY queue_rank, id LIMIT 100"
).bindparams(_time_param("now"))
_CLAIM_BY_ID = (
    f"UPDATE leads SET {_CLAIM_SET} WHERE id = :lead_id"
    " AND (claimed_by_id IS NULL OR claim_expires_at < :now)"
    f" AND queue_rank >= 0 AND queue_rank < {rules.DUE_HIGH} AND NOT do_not_call AND {_NOT_ON_DO_NOT_CALL}"
)
CLAIM_BY_ID = {
    dialect: text(f"{_CLAIM_BY_ID} AND {_AGENT_HOLDS_NOTHING[dialect]} RETURNING {_RETURNING}")
    .bindparams(_time_param("now"), _time_param("expires_at"))
    for dialect in ("sqlite", "postgresql")
}


_statements: dict[tuple, object] = {}


def claim_statement(plan: ClaimPlan, dialect: str):
    """The fast claim as one SQL statement (what scripts/bench.py times as the bare statement)."""
    key = ("fast", len(plan.open_campaigns), dialect)
    statement = _statements.get(key)
    if statement is None:
        count = len(plan.open_campaigns)
        statement = _statements[key] = text(_fast_claim_sql(count, dialect)).bindparams(
            _time_param("now"), _time_param("expires_at"),
            *[_time_param(f"spaced_before_{n}") for n in range(count)])
    return statement


def claim_parameters(plan: ClaimPlan, agent_id: int, expires_at: datetime) -> dict:
    parameters = {"now": plan.now, "agent_id": agent_id, "expires_at": expires_at}
    for n, campaign in enumerate(plan.open_campaigns):
        parameters.update({f"campaign_{n}": campaign.id, f"priority_{n}": campaign.priority,
                           f"max_attempts_{n}": campaign.rules.max_attempts,
                           f"spaced_before_{n}": plan.spaced_before(campaign),
                           f"keys_{n}": json.dumps(plan.open_keys[campaign.id])})
    return parameters


def thorough_parameters(plan: ClaimPlan, agent_id: int, expires_at: datetime, dialect: str,
                        per_key: int = CANDIDATES_PER_KEY) -> dict:
    parameters = {"keys": plan.keys_parameter(dialect), "now": plan.now, "agent_id": agent_id,
                  "expires_at": expires_at}
    if dialect == "postgresql":
        parameters["per_key"] = per_key
    return parameters


def thorough_statement(dialect: str):
    """The per-window claim (what the claim runs when the fast path finds nothing)."""
    key = ("thorough", dialect)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = text(SQLITE_CLAIM if dialect == "sqlite" else POSTGRES_CLAIM).bindparams(
            _time_param("now"), _time_param("expires_at"))
    return statement


# ---------------------------------------------------------------- claiming

_HELD_CALL = (
    "SELECT calls.id FROM leads JOIN calls ON calls.lead_id = leads.id"
    " WHERE leads.claimed_by_id = :agent_id AND leads.claim_expires_at >= :now"
    " AND calls.agent_id = :agent_id AND calls.status = 'open' ORDER BY calls.id DESC LIMIT 1"
)
HELD_CALL = text(_HELD_CALL).bindparams(_time_param("now"))


def current_call(agent) -> Call | None:
    """The open call on the lead this agent holds, if the claim has not lapsed."""
    call_id = db.session.scalar(HELD_CALL, {"agent_id": agent.id, "now": utcnow()})
    return db.session.get(Call, call_id) if call_id is not None else None


# The claim's first statement: the call the agent holds (if its lease runs), when they last
# dispositioned (seconds between calls) and whether any callback of their own is in the queue.
_AGENT_STATE = (
    f"({_HELD_CALL}) AS held_call_id,"
    " (SELECT MAX(ended_at) FROM calls WHERE agent_id = :agent_id AND status = 'completed') AS previous_end,"
    " CASE WHEN EXISTS (SELECT 1 FROM leads WHERE callback_owner_id = :agent_id"
    f" AND queue_rank >= 0 AND queue_rank < {rules.OWN_CALLBACK_HIGH}) THEN 1 ELSE 0 END AS has_callbacks"
)
_AGENT_STATE_COLUMNS = (column("held_call_id", Integer), column("previous_end", DateTime),
                        column("has_callbacks", Integer))
AGENT_STATE = {
    "sqlite": text(f"SELECT {_AGENT_STATE}").bindparams(_time_param("now")).columns(*_AGENT_STATE_COLUMNS),
    # Two tabs of one agent must not each claim a lead: the claim lock serialises them
    # (and _AGENT_HOLDS_NOTHING in the claim statement sees what the other committed).
    "postgresql": text(f"SELECT pg_advisory_xact_lock(7310, :agent_id) IS NULL AS locked, {_AGENT_STATE}")
    .bindparams(_time_param("now")).columns(column("locked", Boolean), *_AGENT_STATE_COLUMNS),
}


def _agent_state(connection, agent_id: int, now: datetime, dialect: str):
    """The agent's state: the claim's first statement.

    SQLite reads it in a read transaction, before queueing for the one writer: an
    agent reloading the page gets their call back without a writer turn.
    PostgreSQL reads it in the claim's transaction, taking the agent's claim lock.
    """
    return connection.execute(AGENT_STATE[dialect], {"agent_id": agent_id, "now": now}).one()


def _claim_own_callback(connection, plan: ClaimPlan, agent_id: int, expires_at: datetime, dialect: str):
    rows = connection.execute(OWN_CALLBACKS, {"agent_id": agent_id, "now": plan.now}).all()
    mine = [row for row in rows if plan.is_open(row.campaign_id, row.window_key)
            and row.attempts < plan.campaigns[row.campaign_id].rules.max_attempts]
    if not mine:
        return None
    best = min(mine, key=lambda row: rules.queue_position(row.queue_rank, plan.campaigns[row.campaign_id].priority,
                                                          row.id))
    return connection.execute(
        CLAIM_BY_ID[dialect],
        {"lead_id": best.id, "agent_id": agent_id, "now": plan.now, "expires_at": expires_at},
    ).first()


# The minute in which the fast path last found nothing, per database. Leads whose window is
# closed (a zone not open yet, a number with no known zone) stay at the head of their band
# while the leads around them are claimed; once HEAD_SCAN of them lead it, the fast path
# finds nothing until a window opens, which only happens on a whole minute. Until then each
# claim goes straight to the per-window path, which is exact on its own.
# SQLite only: there a miss means the head holds nothing claimable (one writer at a time). On
# PostgreSQL a miss can be momentary (other agents locking the same heads), and its per-window
# path costs several times the fast one, so the fast path is tried on every claim.
_fast_path_missed: dict[str, datetime] = {}


def fast_path_worth_trying(plan: ClaimPlan) -> bool:
    return _fast_path_missed.get(_engine_key()) != rules.minute_of(plan.now)


def note_fast_path_missed(plan: ClaimPlan) -> None:
    if db.engine.dialect.name == "sqlite":
        _fast_path_missed[_engine_key()] = rules.minute_of(plan.now)


def _claim_from_queue(connection, draft: ClaimDraft):
    plan, dialect = draft.plan, draft.dialect
    if not plan.open_campaigns:
        return None
    if draft.fast_parameters is not None:
        row = connection.execute(claim_statement(plan, dialect), draft.fast_parameters).first()
        if row is not None:
            return row
        note_fast_path_missed(plan)
    per_key = CANDIDATES_PER_KEY
    for _attempt in range(4):
        row = connection.execute(thorough_statement(dialect), thorough_parameters(
            plan, draft.agent_id, draft.expires_at, dialect, per_key)).first()
        if row is not None:
            return row
        # Nothing claimed: an empty queue, a head whose number was just put on a list, or
        # (PostgreSQL) every candidate locked by agents claiming at this very moment.
        candidate = _peek_candidate(connection, plan, dialect)
        if candidate is None:
            return None
        if connection.scalar(select(DoNotCallEntry.id).join(Lead, Lead.phone == DoNotCallEntry.phone).where(
                Lead.id == candidate, (DoNotCallEntry.campaign_id.is_(None)) |
                (DoNotCallEntry.campaign_id == Lead.campaign_id)).limit(1)) is not None:
            flag_do_not_call(connection, connection.scalar(select(Lead.phone).where(Lead.id == candidate)))
        per_key *= 8
    return None


def _peek_candidate(connection, plan: ClaimPlan, dialect: str) -> int | None:
    statement = text(SQLITE_CANDIDATE if dialect == "sqlite" else POSTGRES_CANDIDATE).bindparams(_time_param("now"))
    parameters = {"keys": plan.keys_parameter(dialect), "now": plan.now}
    if dialect == "postgresql":
        parameters["per_key"] = 1
    return connection.scalar(statement, parameters)


def claim_next_lead(agent, now: datetime | None = None) -> Call | None:
    """Give the agent exactly one lead nobody else holds, and open a call on it.

    An agent holds at most one lead: asking again returns the same call. The
    claim is one UPDATE whose WHERE re-checks that the lead is free and that the
    agent holds nothing, so two agents (or two tabs) can never both win (SKIP LOCKED
    on PostgreSQL, BEGIN IMMEDIATE on SQLite). Every agent presses Next lead dozens
    of times an hour, so the whole claim is a handful of Core SQL statements,
    without loading ORM objects, and everything that does not depend on
    the lead is worked out before the write transaction (on SQLite, before the
    writer turn: docs/queue.md, "Claiming").

    It reads and, on PostgreSQL, writes in the request's transaction, and commits it
    (what the session loaded is read afresh afterwards). On SQLite the claims that
    queue for the writer at the same moment are written together, in one transaction.
    """
    agent_id, agent_email = agent.id, agent.email
    dialect = db.engine.dialect.name
    lease = timedelta(minutes=current_app.config["CLAIM_LEASE_MINUTES"])
    for _attempt in range(3):
        # The request's own transaction (the user loader's read) reads the agent's state.
        connection = db.session.connection()
        moment = now or utcnow()
        plan = claim_plan(moment, connection)  # mostly from this process's memory
        state = _agent_state(connection, agent_id, moment, dialect)
        if state.held_call_id is not None:
            db.session.commit()  # PostgreSQL: releases the agent's claim lock at once
            return db.session.get(Call, state.held_call_id)
        draft = _draft(connection, plan, state, agent_id, agent_email, moment + lease, dialect)
        try:
            claimed = _write_claim(connection, draft)
        except StaleWindowKey as stale:
            _mend_lead(stale.lead_id)  # and try again
        else:
            break
    else:
        return None
    if isinstance(claimed, int):
        return db.session.get(Call, claimed)  # another tab of this agent claimed meanwhile
    return _as_loaded(claimed) if claimed is not None else None


def _write_claim(connection, draft: ClaimDraft):
    """The claim's writes (_claim_all), committed; the request's transaction has ended when it returns.

    SQLite: the read transaction ends, and the claim joins this process's writer line,
    served with the claims queued beside it in one transaction (writers.in_line).
    PostgreSQL: in the request's transaction, which took the agent's claim lock.
    """
    if draft.dialect == "sqlite":
        db.session.commit()  # a claim waiting in line holds no snapshot
        return writers.in_line(db.engine, draft, _claim_all)
    try:
        claimed, = _claim_all(connection, [draft])
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return claimed


@dataclass(frozen=True)
class ClaimDraft:
    """A claim as far as it can be worked out before its write transaction."""

    plan: ClaimPlan
    dialect: str
    agent_id: int
    expires_at: datetime
    has_callbacks: bool
    fast_parameters: dict | None  # None: go straight to the per-window path (fast_path_worth_trying)
    guides: list  # guides.services.published_guides()
    call: dict  # the new call's columns, but for the lead, its campaign and the guide version
    audit: dict  # the audit row, but for the lead and the call


def _draft(connection, plan: ClaimPlan, state, agent_id: int, agent_email: str, expires_at: datetime,
           dialect: str) -> ClaimDraft:
    now = plan.now
    return ClaimDraft(
        plan=plan, dialect=dialect, agent_id=agent_id, expires_at=expires_at, has_callbacks=bool(state.has_callbacks),
        fast_parameters=claim_parameters(plan, agent_id, expires_at) if fast_path_worth_trying(plan) else None,
        guides=published_guides(connection),
        call={"agent_id": agent_id, "status": CallStatus.OPEN, "notes": "", "started_at": now,
              "seconds_since_previous_call": call_rules.seconds_between_calls(state.previous_end, now)},
        audit=audit.prepared("lead.claimed", "Lead", None, actor_id=agent_id, actor_email=agent_email, at=now),
    )


class StaleWindowKey(Exception):
    """The lead claimed was not callable after all: its stored window key disagreed with its zone or state."""

    def __init__(self, lead_id: int):
        super().__init__(lead_id)
        self.lead_id = lead_id


def _claim_all(connection, drafts: list[ClaimDraft]) -> list:
    """The claims' writes, one per draft: the new call's columns, the id of a call the agent holds already, or None.

    Runs inside a write transaction it neither commits nor rolls back: on SQLite one
    shared by the claims queued together (writers.in_line), on PostgreSQL the
    request's own. Each lead is claimed in turn (each claim sees the ones before it),
    then the calls and their audit rows are inserted together. Raises StaleWindowKey
    when a lead it claimed turned out not to be callable; the transaction is rolled
    back and the caller mends the lead's key and tries again.
    """
    claims = [_claim_lead(connection, draft) for draft in drafts]
    opening = [(draft, row) for draft, row in zip(drafts, claims) if _is_claimed(row)]
    opened = iter(_open_calls(connection, opening) if opening else ())
    return [next(opened) if _is_claimed(row) else row for row in claims]


def _is_claimed(row) -> bool:
    return row is not None and not isinstance(row, int)  # an int is the id of a call the agent held already


def _claim_lead(connection, draft: ClaimDraft):
    """Claim one lead for the draft's agent: the claimed row, or (nothing claimed) the call the agent holds, or None."""
    plan, moment = draft.plan, draft.plan.now
    _maintain_bands(connection, plan, draft.dialect)
    row = ((_claim_own_callback(connection, plan, draft.agent_id, draft.expires_at, draft.dialect)
            if draft.has_callbacks else None) or _claim_from_queue(connection, draft))
    if row is None:
        # Nothing to claim, or another tab of this agent claimed since its state was read.
        return connection.scalar(HELD_CALL, {"agent_id": draft.agent_id, "now": moment})
    key = rules.window_key(stored_zones(row.time_zones), row.state)
    if row.window_key != key or not _key_open(plan.campaigns[row.campaign_id], key, moment):
        # The stored key disagrees with the lead's own zone or state (changed behind the
        # ORM's back): never trust it.
        raise StaleWindowKey(row.id)
    return row


def _as_loaded(columns: dict) -> Call:
    """The call just inserted, as a loaded ORM object, without reading back what the claim just wrote.

    make_transient_to_detached gives the object its identity; added to the session it is
    persistent and loaded, as if read by session.get (its relationships load when used).
    """
    call = Call(**columns)
    make_transient_to_detached(call)
    db.session.add(call)
    return call


ABANDON_OPEN_CALLS = text(
    f"UPDATE calls SET status = '{CallStatus.ABANDONED}', ended_at = :now"
    f" WHERE lead_id = :lead_id AND status = '{CallStatus.OPEN}'"
).bindparams(bindparam("now", type_=DateTime()))
_OPENED = ("lead_id", "campaign_id", "agent_id", "guide_version_id", "status", "notes", "started_at",
           "seconds_since_previous_call")
_LOGGED = ("at", "action", "actor_id", "actor_email", "subject_type", "ip_address")


def _call_and_audit_statement():
    """PostgreSQL: the call and its audit row in one statement (a data-modifying CTE), returning the call's id."""
    calls, events = Call.__table__, AuditEvent.__table__
    new_call = (insert(calls).values({name: bindparam(name, type_=calls.c[name].type) for name in _OPENED})
                .returning(calls.c.id, calls.c.lead_id).cte("new_call"))
    logged = insert(events).from_select(
        [*_LOGGED, "subject_id", "detail"],
        select(*[bindparam(name, type_=events.c[name].type) for name in _LOGGED], new_call.c.lead_id,
               func.json_build_object("call_id", new_call.c.id)),
    ).cte("logged")
    return select(new_call.c.id).add_cte(logged)


INSERT_CALL_AND_AUDIT = _call_and_audit_statement()
# SQLite: one INSERT of several rows (SQLAlchemy's "insertmanyvalues"), returning which id each lead's call got.
INSERT_CALLS = insert(Call.__table__).returning(Call.__table__.c.lead_id, Call.__table__.c.id)


def _open_calls(connection, claimed: list[tuple[ClaimDraft, object]]) -> list[dict]:
    """Open a call on each lead just claimed (draft, claimed row), with its audit row; returns each call's columns.

    PostgreSQL claims one lead a transaction: one statement for the call and its audit row.
    SQLite may claim several: one statement for all the calls, one for all the audit rows.
    """
    calls = []
    for draft, row in claimed:
        if row.has_open_call:  # a previous holder's lease lapsed and left it open: close it honestly
            connection.execute(ABANDON_OPEN_CALLS, {"lead_id": row.id, "now": draft.plan.now})
        campaign = draft.plan.campaigns[row.campaign_id]
        calls.append({
            **draft.call, "lead_id": row.id, "campaign_id": campaign.id,
            # The guide area chooses the version (a persona variant for the buying role, or the campaign's guide).
            "guide_version_id": choose_published_version(draft.guides, campaign.name, campaign.call_guide_id,
                                                         row.buying_role),
        })
    if claimed[0][0].dialect == "postgresql":
        (draft, _row), = claimed
        calls[0]["id"] = connection.execute(INSERT_CALL_AND_AUDIT, {**draft.audit, **calls[0]}).scalar_one()
    else:
        # Each lead is claimed once in a transaction, so the lead's id tells which call is which.
        ids = dict(connection.execute(INSERT_CALLS, calls).all())
        for columns in calls:
            columns["id"] = ids[columns["lead_id"]]
        connection.execute(audit.INSERT, [
            {**draft.audit, "subject_id": columns["lead_id"], "detail": {"call_id": columns["id"]}}
            for (draft, _row), columns in zip(claimed, calls)])
    return [{**columns, "disposition": None, "next_action": None, "callback_at": None, "referral_lead_id": None,
             "ended_at": None} for columns in calls]


def _mend_lead(lead_id: int) -> None:
    lead = db.session.get(Lead, lead_id, populate_existing=True)
    if lead is not None:
        lead.refresh_queue_fields()
        db.session.commit()


# ---------------------------------------------------------------- counting and explaining

def count_dialable(agent, now: datetime | None = None, limit: int | None = None) -> int:
    """How many leads this agent could be given now (stops counting at `limit` when given)."""
    now = now or utcnow()
    plan = claim_plan(now)
    dialect = db.session.get_bind().dialect.name
    own = db.session.execute(OWN_CALLBACKS, {"agent_id": agent.id, "now": now}).all()
    mine = sum(1 for row in own if plan.is_open(row.campaign_id, row.window_key)
               and row.attempts < plan.campaigns[row.campaign_id].rules.max_attempts)
    if not plan.open_campaigns:
        return mine
    keys = _SQLITE_KEYS if dialect == "sqlite" else _POSTGRES_KEYS
    cap = f" LIMIT {int(limit)}" if limit else ""
    counted = db.session.scalar(
        text(f"WITH {keys} SELECT count(*) FROM (SELECT l.id FROM keys JOIN leads AS l ON {_CANDIDATE_FILTERS}"
             f" AND NOT EXISTS (SELECT 1 FROM do_not_call AS d WHERE d.phone = l.phone"
             f" AND (d.campaign_id IS NULL OR d.campaign_id = l.campaign_id)){cap}) AS dialable")
        .bindparams(_time_param("now")),
        {"keys": plan.keys_parameter(dialect), "now": now},
    )
    total = mine + (counted or 0)
    return min(total, limit) if limit else total


def _on_do_not_call_list(lead: Lead) -> bool:
    return db.session.scalar(
        select(DoNotCallEntry.id).where(
            DoNotCallEntry.phone == lead.phone,
            (DoNotCallEntry.campaign_id.is_(None)) | (DoNotCallEntry.campaign_id == lead.campaign_id),
        ).limit(1)
    ) is not None


def _facts_checked_against_list(lead: Lead) -> rules.LeadState:
    facts = lead.queue_facts()
    if not facts.do_not_call and _on_do_not_call_list(lead):
        facts = rules.LeadState(**{**facts.__dict__, "do_not_call": True})
    return facts


def dialability_problems(lead: Lead, agent, now: datetime | None = None) -> list[str]:
    """Every reason this agent may not dial this lead right now (empty: dialable)."""
    now = now or utcnow()
    found = rules.problems(_facts_checked_against_list(lead), lead.campaign.calling_rules(), now,
                           agent_id=agent.id, for_dialing=True)
    return [problem.text for problem in found]


def assert_dialable(call: Call, agent, now: datetime | None = None) -> None:
    """Raise NotDialable unless the agent may place this call now. Called again at dial time by telephony."""
    if call.agent_id != agent.id:
        raise NotYourCall("This call belongs to another agent.")
    problems = dialability_problems(call.lead, agent, now)
    if problems:
        raise NotDialable("Cannot dial: " + "; ".join(problems) + ".")


@dataclass
class LeadDialability:
    """Why a lead is or is not dialable now, for the explanation page and fragment."""

    lead: Lead
    now: datetime
    problems: list[rules.Problem]
    window: rules.WindowCheck
    opens_at: datetime | None
    opens_text: str
    state_rule: rules.StateRule | None
    hours: rules.CallingHours
    tier_label: str
    local_times: list[tuple[str, str]] = field(default_factory=list)  # (zone, "Tue 14:05")

    @property
    def dialable(self) -> bool:
        return not self.problems

    @property
    def calling_days_text(self) -> str:
        return rules.format_calling_days(self.hours.days)

    @property
    def summary(self) -> str:
        if self.dialable:
            return "Dialable now."
        return "Not dialable now: " + "; ".join(problem.text for problem in self.problems) + "."


def explain_lead(lead: Lead, viewer=None, now: datetime | None = None) -> LeadDialability:
    """Why this lead is or is not dialable now, from the point of view of `viewer` (an agent, or anyone)."""
    now = now or utcnow()
    campaign_rules = lead.campaign.calling_rules()
    facts = _facts_checked_against_list(lead)
    agent_id = viewer.id if viewer is not None and viewer.role == "teleprospector" else None
    found = rules.problems(facts, campaign_rules, now, agent_id=agent_id)
    window = rules.calling_window(lead.zone_list, lead.state, now, campaign_rules.hours)
    opens_at = None if window.open else rules.next_opening(lead.zone_list, lead.state, now, campaign_rules.hours)
    tier = rules.queue_tier(lead.queue_state, lead.inbound, lead.callback_owner_id)
    return LeadDialability(
        lead=lead, now=now, problems=found, window=window, opens_at=opens_at,
        opens_text=rules.describe_opening(opens_at, lead.zone_list, now) if not window.open else "",
        state_rule=rules.state_rules().get((lead.state or "").upper()), hours=campaign_rules.hours,
        tier_label=rules.TIER_LABELS.get(tier, "not in the queue") if tier is not None else "not in the queue",
        local_times=rules.local_times(lead.zone_list, now),
    )


@dataclass
class ReasonCount:
    code: str
    label: str
    count: int
    details: list[str] = field(default_factory=list)


@dataclass
class CampaignDialability:
    """'N of M leads dialable now' for a campaign, with the breakdown by reason."""

    campaign: Campaign
    now: datetime
    total: int
    dialable: int
    reasons: list[ReasonCount]
    window_openings: list[tuple[str, int]]  # ("08:00 Central", leads that wait for it)
    next_retry_at: datetime | None

    @property
    def max_count(self) -> int:
        return max((reason.count for reason in self.reasons), default=0)

    @property
    def blocked(self) -> list[ReasonCount]:
        return [reason for reason in self.reasons if reason.code not in ("dialable", "closed") and reason.count]


_GROUPED_LEADS = (
    "SELECT window_key, queue_state, do_not_call,"
    " CASE WHEN attempts >= :max_attempts THEN 1 ELSE 0 END AS out_of_attempts,"
    " CASE WHEN claimed_by_id IS NOT NULL AND claim_expires_at >= :now THEN 1 ELSE 0 END AS held,"
    " CASE WHEN next_call_at IS NOT NULL AND next_call_at > :now THEN 1 ELSE 0 END AS waiting,"
    " CASE WHEN queue_state != 'callback' AND last_called_at IS NOT NULL AND last_called_at > :spaced_before"
    " THEN 1 ELSE 0 END AS too_soon,"
    " CASE WHEN callback_owner_id IS NULL THEN 0 WHEN callback_owner_id = :agent_id THEN 1 ELSE 2 END AS ownership,"
    " MIN(next_call_at) AS next_due, count(*) AS leads"
    " FROM leads WHERE campaign_id = :campaign_id"
    " GROUP BY window_key, queue_state, do_not_call, out_of_attempts, held, waiting, too_soon, ownership"
)


def campaign_dialability(campaign: Campaign, now: datetime | None = None, agent=None) -> CampaignDialability:
    """Count a campaign's leads by the one reason each is not dialable now (or as dialable).

    One grouped pass over the campaign's leads; every group is judged by the same
    pure rule as a single lead (rules.problems), so the page and the claim agree.
    """
    now = now or utcnow()
    campaign_rules = campaign.calling_rules()
    agent_id = agent.id if agent is not None else None
    rows = db.session.execute(
        text(_GROUPED_LEADS).bindparams(_time_param("now"), _time_param("spaced_before")),
        {"campaign_id": campaign.id, "max_attempts": campaign_rules.max_attempts, "now": now,
         "spaced_before": now - timedelta(minutes=campaign_rules.min_retry_minutes), "agent_id": agent_id or -1},
    ).all()
    counts = {code: 0 for code in rules.REASONS if code != "not_claimed"}
    openings: dict[str, int] = {}
    opening_memo: dict[str, str] = {}
    next_retry_at = None
    later = now + timedelta(minutes=1)
    for row in rows:
        zones, state = rules.split_window_key(row.window_key)
        owner = {0: None, 1: agent_id, 2: -1}[row.ownership]
        facts = rules.LeadState(
            queue_state=row.queue_state, zones=tuple(zones), state=state, do_not_call=bool(row.do_not_call),
            attempts=campaign_rules.max_attempts if row.out_of_attempts else 0,
            last_called_at=now if row.too_soon else None, next_call_at=later if row.waiting else None,
            callback_owner_id=owner, claimed_by_id=-1 if row.held else None,
            claim_expires_at=later if row.held else None)
        reason = rules.primary_reason(rules.problems(facts, campaign_rules, now, agent_id=agent_id))
        counts[reason] += row.leads
        if reason == "window":
            if row.window_key not in opening_memo:
                opening_memo[row.window_key] = rules.describe_opening(
                    rules.next_opening(zones, state, now, campaign_rules.hours), zones, now)
            openings[opening_memo[row.window_key]] = openings.get(opening_memo[row.window_key], 0) + row.leads
        if reason in ("waiting_retry", "waiting_callback") and row.next_due is not None:
            next_due = row.next_due if isinstance(row.next_due, datetime) else datetime.fromisoformat(str(row.next_due))
            next_retry_at = next_due if next_retry_at is None else min(next_retry_at, next_due)
    reasons = [ReasonCount(code, rules.REASONS[code], count) for code, count in counts.items()]
    for reason in reasons:
        if reason.code == "window":
            reason.details = [f"{count} open at {when}" for when, count in
                              sorted(openings.items(), key=lambda item: -item[1])]
    return CampaignDialability(
        campaign=campaign, now=now, total=sum(counts.values()), dialable=counts["dialable"],
        reasons=[reason for reason in reasons if reason.count or reason.code == "dialable"],
        window_openings=sorted(openings.items(), key=lambda item: -item[1]), next_retry_at=next_retry_at)


@dataclass
class QueueExplanation:
    """Why an agent's queue is empty, in a few sentences with numbers."""

    sentences: list[str]
    campaigns: list[CampaignDialability]


def explain_empty_queue(agent, now: datetime | None = None) -> QueueExplanation:
    """What the leads of the active campaigns are waiting for, most common reason first."""
    now = now or utcnow()
    campaigns = db.session.scalars(select(Campaign).where(Campaign.active.is_(True))
                                   .order_by(Campaign.priority.desc(), Campaign.name)).all()
    if not campaigns:
        return QueueExplanation(["No campaign is active: marketing has not started one yet."], [])
    breakdowns = [campaign_dialability(campaign, now, agent) for campaign in campaigns]
    totals: dict[str, int] = {}
    openings: dict[str, int] = {}
    next_due = None
    for breakdown in breakdowns:
        for reason in breakdown.reasons:
            totals[reason.code] = totals.get(reason.code, 0) + reason.count
        for when, count in breakdown.window_openings:
            openings[when] = openings.get(when, 0) + count
        if breakdown.next_retry_at is not None:
            next_due = breakdown.next_retry_at if next_due is None else min(next_due, breakdown.next_retry_at)
    sentences = []
    for code, count in sorted(totals.items(), key=lambda item: -item[1]):
        if not count or code in ("dialable", "closed"):
            continue
        sentences.append(_sentence(code, count, openings, next_due))
    if not sentences:
        finished = totals.get("closed", 0)
        sentences.append(f"All {finished} lead{'s' if finished != 1 else ''} of the active campaigns are finished."
                         if finished else "The active campaigns have no leads yet.")
    return QueueExplanation(sentences[:5], breakdowns)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _sentence(code: str, count: int, openings: dict[str, int], next_due: datetime | None) -> str:
    leads = _plural(count, "lead", "leads")
    if code == "window":
        top = sorted(openings.items(), key=lambda item: -item[1])
        if top:
            first_when, first_count = top[0]
            text_ = (f"{_plural(first_count, 'lead waits', 'leads wait')} for the calling window to open "
                     f"at {first_when}")
            if len(top) > 1:
                text_ += f"; {count - first_count} more at other times"
            return text_ + "."
        return f"{leads} are outside their calling window."
    if code in ("waiting_retry", "waiting_callback"):
        what = "retry delay" if code == "waiting_retry" else "callback time"
        when = f"; the next is due at {next_due:%H:%M} UTC" if next_due else ""
        return f"{_plural(count, 'lead waits', 'leads wait')} for its {what}{when}." if count == 1 else \
            f"{leads} wait for their {what}{when}."
    return {
        "held": f"{_plural(count, 'lead is', 'leads are')} held by other agents.",
        "do_not_call": f"{_plural(count, 'lead is', 'leads are')} on the do-not-call list.",
        "attempts": f"{_plural(count, 'lead has', 'leads have')} used up the campaign's attempts.",
        "zone_unknown": f"{_plural(count, 'lead has', 'leads have')} no known time zone: set the state to call.",
        "spacing": f"{_plural(count, 'lead was', 'leads were')} called too recently (campaign retry spacing).",
        "callback_owner": f"{_plural(count, 'callback is', 'callbacks are')} reserved for other agents.",
        "campaign_paused": f"{leads} belong to campaigns outside their dates.",
    }.get(code, f"{leads}: {rules.REASONS.get(code, code)}.")


# ---------------------------------------------------------------- do-not-call and repairs

def suppress_number(phone: str, campaign_id: int | None = None) -> int:
    """Take every lead with this number (in one campaign, or all) out of the queue at once.

    Joins the caller's transaction (no commit). Adding a DoNotCallEntry through the
    ORM already does this (console/leads/models.py); call it directly when a list
    entry is written any other way. Returns the number of leads flagged.
    """
    return flag_do_not_call(db.session.connection(), phone, campaign_id)


def rebuild_queue_fields(batch_size: int = 2000) -> int:
    """Recompute window_key, do_not_call and queue_rank for every lead (after a bulk write outside the ORM)."""
    last_id, changed = 0, 0
    while True:
        leads = db.session.scalars(select(Lead).where(Lead.id > last_id).order_by(Lead.id).limit(batch_size)).all()
        if not leads:
            return changed
        for lead in leads:
            lead.do_not_call = _on_do_not_call_list(lead)
            before = (lead.window_key, lead.queue_rank)
            lead.refresh_queue_fields()
            changed += before != (lead.window_key, lead.queue_rank)
        last_id = leads[-1].id
        db.session.commit()


def set_lead_location(lead: Lead, actor, *, state: str | None, time_zones: list[str]) -> None:
    """Set where a lead is (its state and zones), so that its calling window is known; audited."""
    before = {"state": lead.state, "time_zones": lead.time_zones}
    lead.state = (state or "").strip().upper() or None
    lead.time_zones = ",".join(time_zones)
    lead.version += 1
    audit.record("lead.location_set", lead, actor=actor, before=before,
                 after={"state": lead.state, "time_zones": lead.time_zones})
    db.session.commit()


__all__ = [
    "CallError", "NotYourCall", "NotDialable", "claim_next_lead", "current_call", "count_dialable",
    "dialability_problems", "assert_dialable", "explain_lead", "campaign_dialability", "explain_empty_queue",
    "suppress_number", "rebuild_queue_fields", "set_lead_location", "QueueState",
]
