"""The SQL the claim and the counts run: each dialability rule's SQL twin, and the statements made of them.

A claim cannot ask Python about a million leads, so each rule of
console/queue/rules.py has a twin here (TWINS): a predicate on the lead's row
(`l`) and its campaign's row in the statement (`k`: priority, max_attempts,
spaced_before), true when the lead does not have that problem; or a note of
where else the rule is decided (per window key, per campaign, at dial time).
`DIALABLE` is every row twin joined with AND: the dialability rule in SQL.
tests/integration/test_dialability_twins.py checks that every code has its twin
and that each twin agrees with its rule on generated leads.

The statements below are written out whole, one per purpose and database, with
named placeholders only: `{dialable}` (the twins), the queue bands' boundaries
(console/leads/queue_columns.py) and, in the fast path, one `{heads}` block per
running campaign. `python -m console.queue.statements` prints every statement
as it runs. How and why the claim uses each: docs/queue.md, "Claiming".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Boolean, DateTime, Integer, bindparam, column, text

from console.calls.services import HELD_CALL_SQL
from console.leads import queue_columns as bands
from console.leads.rules import QueueState

ROW, WINDOW_KEY, CAMPAIGN, DIAL_TIME = "lead row", "window key", "campaign", "dial time"


@dataclass(frozen=True)
class Twin:
    """Where a rule of console/queue/rules.py is decided when the claim or a count applies it."""

    code: str
    decided: str  # ROW: `sql` below; WINDOW_KEY: the claim plan's open keys; CAMPAIGN: its running campaigns
    sql: str = ""  # ROW only: true when the lead does NOT have this problem


_WORKABLE = ", ".join(f"'{state}'" for state in QueueState.WORKABLE)
TWINS = (
    Twin("campaign_paused", CAMPAIGN),
    Twin("closed", ROW, f"l.queue_state IN ({_WORKABLE})"),
    Twin("do_not_call", ROW, "NOT l.do_not_call"),
    Twin("attempts", ROW, "l.attempts < k.max_attempts"),
    Twin("held", ROW, "(l.claimed_by_id IS NULL OR l.claim_expires_at IS NULL OR l.claim_expires_at < :now"
                      " OR l.claimed_by_id = :agent_id)"),
    Twin("waiting_callback", ROW, f"(l.queue_state != '{QueueState.CALLBACK}' OR l.next_call_at IS NULL"
                                  " OR l.next_call_at <= :now)"),
    Twin("waiting_retry", ROW, f"(l.queue_state NOT IN ('{QueueState.NEW}', '{QueueState.RETRY}')"
                               " OR l.next_call_at IS NULL OR l.next_call_at <= :now)"),
    Twin("spacing", ROW, f"(l.queue_state = '{QueueState.CALLBACK}' OR l.last_called_at IS NULL"
                         " OR l.last_called_at <= k.spaced_before)"),
    Twin("callback_owner", ROW, f"(l.queue_state != '{QueueState.CALLBACK}' OR l.callback_owner_id IS NULL"
                                " OR CAST(:agent_id AS INTEGER) IS NULL OR l.callback_owner_id = :agent_id)"),
    Twin("state_not_served", WINDOW_KEY),
    Twin("zone_unknown", WINDOW_KEY),
    Twin("window", WINDOW_KEY),
    Twin("not_claimed", DIAL_TIME),
)
TWIN_OF = {twin.code: twin for twin in TWINS}
DIALABLE = " AND ".join(twin.sql for twin in TWINS if twin.decided == ROW)

# Shared by every claiming statement: the number is not on a list that covers the lead (the
# do_not_call flag says so already; this reads the list itself for the one row claimed), and
# the agent holds no live lead (another tab of theirs may have claimed since the claim began).
# SQLite's statistics would rather scan the table than the index that finds at most one row.
_NOT_LISTED = ("NOT EXISTS (SELECT 1 FROM do_not_call AS d WHERE d.phone = leads.phone"
               " AND (d.campaign_id IS NULL OR d.campaign_id = leads.campaign_id))")
_HOLDS_NOTHING = {
    "sqlite": "NOT EXISTS (SELECT 1 FROM leads AS mine INDEXED BY ix_leads_claimed_by_id"
              " WHERE mine.claimed_by_id = :agent_id AND mine.claim_expires_at >= :now)",
    "postgresql": "NOT EXISTS (SELECT 1 FROM leads AS mine WHERE mine.claimed_by_id = :agent_id"
                  " AND mine.claim_expires_at >= :now)",
}
# The claim holds the lead in the statement that picks it: claimed_by and the lease, and the held band.
_HOLD = ("claimed_by_id = :agent_id, claim_expires_at = :expires_at, updated_at = :now,"
         " queue_rank = queue_rank + {held_low}, version = version + 1")
# What the claim returns: enough to re-check the window and open the call. A lease that lapsed
# leaves its open call behind; has_open_call says whether the claim must close it.
_RETURNING = ("{table}id, {table}campaign_id, {table}time_zones, {table}state, {table}window_key, {table}buying_role,"
              " EXISTS (SELECT 1 FROM calls WHERE calls.lead_id = leads.id AND calls.status = 'open') AS has_open_call")

# The open window keys of the running campaigns, one row each, from a JSON parameter
# (ClaimPlan.keys_parameter): [campaign_id, window_key, priority, max_attempts, spaced_before].
_KEYS = {
    "sqlite": ("keys AS (SELECT json_extract(value, '$[0]') AS campaign_id, json_extract(value, '$[1]') AS window_key,"
               " json_extract(value, '$[2]') AS priority, json_extract(value, '$[3]') AS max_attempts,"
               " json_extract(value, '$[4]') AS spaced_before FROM json_each(:keys))"),
    "postgresql": ("keys AS (SELECT * FROM jsonb_to_recordset(CAST(:keys AS jsonb)) AS k(campaign_id integer,"
                   " window_key text, priority integer, max_attempts integer, spaced_before timestamp))"),
}
_OPEN_KEYS_OF_HEAD = {
    "sqlite": "(SELECT value FROM json_each(:keys_{n}))",
    "postgresql": "(SELECT jsonb_array_elements_text(CAST(:keys_{n} AS jsonb)))",
}

# The fast path reads each running campaign's due leads in queue order from one index
# (campaign, rank, id, window_key) without touching the table: of the first HEAD_SCAN, the
# first HEAD_KEEP whose window is open are the best candidates there are, since anything
# further down ranks lower. Most of the day most windows are open, so this finds a lead
# after a handful of index entries, whatever the number of leads.
HEAD_SCAN = 256
HEAD_KEEP = 16
# PostgreSQL's per-window path: candidates taken per window key before SKIP LOCKED picks one.
CANDIDATES_PER_KEY = 4

# The agent's own callbacks, read from (callback_owner_id, queue_rank): one row per running campaign
# for its limits, and its open keys tested with IN, which the database answers from a set it builds
# once (joining every callback to a JSON table of keys would read that table once per callback).
CAMPAIGN_ROW = ("SELECT :campaign_{n} AS campaign_id, :priority_{n} AS priority, :max_attempts_{n} AS max_attempts,"
                " :spaced_before_{n} AS spaced_before")
OPEN_FOR_CAMPAIGN = "(l.campaign_id = :campaign_{n} AND l.window_key IN {open_keys})"

HEAD = (
    "SELECT * FROM (SELECT h.id, h.queue_rank, :priority_{n} AS priority, :max_attempts_{n} AS max_attempts,"
    " :spaced_before_{n} AS spaced_before"
    " FROM (SELECT id, window_key, queue_rank FROM leads WHERE campaign_id = :campaign_{n}"
    " AND queue_rank >= {due_low} AND queue_rank < {due_high} ORDER BY queue_rank, id LIMIT {head_scan}) AS h"
    " WHERE h.window_key IN {open_keys} ORDER BY h.queue_rank, h.id LIMIT {head_keep}) AS head_{n}"
)

SQLITE = {
    # The fast claim: the best head that passes every rule, held at once.
    "fast_claim": (
        "WITH heads AS ({heads})"
        " UPDATE leads SET {hold} WHERE id = ("
        "SELECT l.id FROM heads AS k JOIN leads AS l ON l.id = k.id WHERE {dialable}"
        " ORDER BY k.queue_rank / {span}, k.priority DESC, k.queue_rank, k.id LIMIT 1)"
        " AND {not_listed} AND {holds_nothing} RETURNING {returning}"
    ),
    # The per-window claim, when the fast one finds nothing (few windows open, or none near the
    # top): one probe per open key of the (campaign, window_key, rank, id) index. SQLite runs it
    # inside BEGIN IMMEDIATE (one writer), so each key's best head is claimable as it is.
    "per_window_claim": (
        "WITH {keys}, best AS (SELECT (SELECT l.id FROM leads AS l WHERE l.campaign_id = k.campaign_id"
        " AND l.window_key = k.window_key AND l.queue_rank >= {due_low} AND l.queue_rank < {due_high}"
        " AND {dialable} ORDER BY l.queue_rank, l.id LIMIT 1) AS lead_id, k.priority FROM keys AS k)"
        " UPDATE leads SET {hold} WHERE id = (SELECT c.id FROM best JOIN leads AS c ON c.id = best.lead_id"
        " ORDER BY c.queue_rank / {span}, best.priority DESC, c.queue_rank, c.id LIMIT 1)"
        " AND {not_listed} AND {holds_nothing} RETURNING {returning}"
    ),
    # What the per-window claim would take, without taking it (when it took nothing: is a listed number
    # in the way?).
    "per_window_peek": (
        "WITH {keys}, best AS (SELECT (SELECT l.id FROM leads AS l WHERE l.campaign_id = k.campaign_id"
        " AND l.window_key = k.window_key AND l.queue_rank >= {due_low} AND l.queue_rank < {due_high}"
        " AND {dialable} ORDER BY l.queue_rank, l.id LIMIT 1) AS lead_id, k.priority FROM keys AS k)"
        " SELECT c.id FROM best JOIN leads AS c ON c.id = best.lead_id"
        " ORDER BY c.queue_rank / {span}, best.priority DESC, c.queue_rank, c.id LIMIT 1"
    ),
    # The agent's own due callbacks come first (index callback_owner_id, queue_rank).
    "own_callback_claim": (
        "WITH campaigns AS ({campaign_rows}) UPDATE leads SET {hold} WHERE id = ("
        "SELECT l.id FROM leads AS l INDEXED BY ix_leads_callback_owner JOIN campaigns AS k"
        " ON k.campaign_id = l.campaign_id"
        " WHERE l.callback_owner_id = :agent_id AND l.queue_rank >= 0 AND l.queue_rank < {own_callback_high}"
        " AND ({open_for_campaign}) AND {dialable} ORDER BY k.priority DESC, l.queue_rank, l.id LIMIT 1)"
        " AND {not_listed} AND {holds_nothing} RETURNING {returning}"
    ),
    # How many leads this agent could be given now: their own callbacks and everyone's due leads.
    # CROSS JOIN keeps the open keys outside (SQLite never reorders it): each key's leads are read from
    # ix_leads_claim_order until the cap; left to itself SQLite walks the leads in rank order and scans the
    # JSON keys once per lead (70 times slower on the bench's database).
    "count_dialable": (
        "WITH {keys} SELECT count(*) FROM (SELECT l.id FROM keys AS k CROSS JOIN leads AS l"
        " ON l.campaign_id = k.campaign_id AND l.window_key = k.window_key"
        " AND l.queue_rank >= 0 AND l.queue_rank < {due_high}"
        " WHERE {dialable} AND NOT EXISTS (SELECT 1 FROM do_not_call AS d WHERE d.phone = l.phone"
        " AND (d.campaign_id IS NULL OR d.campaign_id = l.campaign_id)) LIMIT :cap) AS dialable"
    ),
}

# PostgreSQL: agents claim concurrently. Candidates are locked FOR UPDATE SKIP LOCKED, so an
# agent takes the next candidate instead of waiting for one another agent is taking; the lock
# re-checks the row.
POSTGRESQL = {
    "fast_claim": (
        "WITH heads AS ({heads}), chosen AS ("
        "SELECT l.id FROM heads AS k JOIN leads AS l ON l.id = k.id WHERE {dialable}"
        " ORDER BY k.queue_rank / {span}, k.priority DESC, k.queue_rank, k.id LIMIT 1 FOR UPDATE OF l SKIP LOCKED)"
        " UPDATE leads SET {hold} FROM chosen WHERE leads.id = chosen.id AND {not_listed} AND {holds_nothing}"
        " RETURNING {returning}"
    ),
    # Take the first few heads of every open key, then lock the best one nobody else is locking.
    "per_window_claim": (
        "WITH {keys}, candidates AS (SELECT c.id, c.queue_rank, k.priority FROM keys AS k CROSS JOIN LATERAL ("
        "SELECT l.id, l.queue_rank FROM leads AS l WHERE l.campaign_id = k.campaign_id"
        " AND l.window_key = k.window_key AND l.queue_rank >= {due_low} AND l.queue_rank < {due_high}"
        " AND {dialable} ORDER BY l.queue_rank, l.id LIMIT :per_key) AS c),"
        " chosen AS (SELECT l.id FROM candidates JOIN leads AS l ON l.id = candidates.id"
        " WHERE (l.claimed_by_id IS NULL OR l.claim_expires_at < :now)"
        " AND l.queue_rank >= {due_low} AND l.queue_rank < {due_high}"
        " ORDER BY candidates.queue_rank / {span}, candidates.priority DESC, candidates.queue_rank, candidates.id"
        " LIMIT 1 FOR UPDATE OF l SKIP LOCKED)"
        " UPDATE leads SET {hold} FROM chosen WHERE leads.id = chosen.id AND {not_listed} AND {holds_nothing}"
        " RETURNING {returning}"
    ),
    "per_window_peek": (
        "WITH {keys}, candidates AS (SELECT c.id, c.queue_rank, k.priority FROM keys AS k CROSS JOIN LATERAL ("
        "SELECT l.id, l.queue_rank FROM leads AS l WHERE l.campaign_id = k.campaign_id"
        " AND l.window_key = k.window_key AND l.queue_rank >= {due_low} AND l.queue_rank < {due_high}"
        " AND {dialable} ORDER BY l.queue_rank, l.id LIMIT 1) AS c)"
        " SELECT id FROM candidates ORDER BY queue_rank / {span}, priority DESC, queue_rank, id LIMIT 1"
    ),
    "own_callback_claim": (
        "WITH campaigns AS ({campaign_rows}), chosen AS (SELECT l.id FROM leads AS l JOIN campaigns AS k"
        " ON k.campaign_id = l.campaign_id"
        " WHERE l.callback_owner_id = :agent_id AND l.queue_rank >= 0 AND l.queue_rank < {own_callback_high}"
        " AND ({open_for_campaign}) AND {dialable} ORDER BY k.priority DESC, l.queue_rank, l.id LIMIT 1"
        " FOR UPDATE OF l SKIP LOCKED)"
        " UPDATE leads SET {hold} FROM chosen WHERE leads.id = chosen.id AND {not_listed} AND {holds_nothing}"
        " RETURNING {returning}"
    ),
    "count_dialable": (
        "WITH {keys} SELECT count(*) FROM (SELECT l.id FROM keys AS k JOIN leads AS l"
        " ON l.campaign_id = k.campaign_id AND l.window_key = k.window_key"
        " AND l.queue_rank >= 0 AND l.queue_rank < {due_high}"
        " WHERE {dialable} AND NOT EXISTS (SELECT 1 FROM do_not_call AS d WHERE d.phone = l.phone"
        " AND (d.campaign_id IS NULL OR d.campaign_id = l.campaign_id)) LIMIT :cap) AS dialable"
    ),
}

# The claim's first statement: the call the agent holds (if its lease runs), when they last
# dispositioned (for the seconds between calls) and whether any callback of their own is queued.
# On PostgreSQL it also takes the agent's claim lock, held until the claim commits, so that two
# tabs of one agent claim one after the other.
_AGENT_STATE = (
    f"({HELD_CALL_SQL}) AS held_call_id,"
    " (SELECT MAX(ended_at) FROM calls WHERE agent_id = :agent_id AND status = 'completed') AS previous_end,"
    " CASE WHEN EXISTS (SELECT 1 FROM leads WHERE callback_owner_id = :agent_id"
    f" AND queue_rank >= 0 AND queue_rank < {bands.OWN_CALLBACK_HIGH}) THEN 1 ELSE 0 END AS has_callbacks"
)
AGENT_STATE = {
    "sqlite": f"SELECT {_AGENT_STATE}",
    "postgresql": f"SELECT pg_advisory_xact_lock(7310, :agent_id) IS NULL AS locked, {_AGENT_STATE}",
}
_AGENT_STATE_COLUMNS = (column("held_call_id", Integer), column("previous_end", DateTime),
                        column("has_callbacks", Integer))

# A campaign's leads grouped by window key and by whether each row twin holds, so that every
# group can be judged by the rules (rules.primary_reason): the campaign's dialability breakdown.
_TWIN_COLUMNS = ", ".join(f"CASE WHEN {twin.sql} THEN 1 ELSE 0 END AS {twin.code}"
                          for twin in TWINS if twin.decided == ROW)
GROUPED_LEADS = (
    f"SELECT window_key, {', '.join(twin.code for twin in TWINS if twin.decided == ROW)},"
    " MIN(next_call_at) AS next_due, count(*) AS leads"
    f" FROM (SELECT l.window_key, l.next_call_at, {_TWIN_COLUMNS}"
    " FROM leads AS l CROSS JOIN (SELECT :max_attempts AS max_attempts, :spaced_before AS spaced_before) AS k"
    " WHERE l.campaign_id = :campaign_id) AS judged"
    f" GROUP BY window_key, {', '.join(twin.code for twin in TWINS if twin.decided == ROW)}"
)

_TIMES = ("now", "expires_at", "spaced_before")


def _constants() -> dict:
    return {"due_low": bands.DUE_LOW, "due_high": bands.DUE_HIGH, "own_callback_high": bands.OWN_CALLBACK_HIGH,
            "span": bands.SPAN, "held_low": bands.HELD_LOW, "head_scan": HEAD_SCAN, "head_keep": HEAD_KEEP}


def render(name: str, dialect: str, campaigns: int = 1) -> str:
    """The statement `name` as it runs on `dialect` (the fast claim: with `campaigns` running campaigns)."""
    template = (SQLITE if dialect == "sqlite" else POSTGRESQL)[name]
    constants = _constants()
    open_keys = [_OPEN_KEYS_OF_HEAD[dialect].format(n=n) for n in range(campaigns)]
    heads = " UNION ALL ".join(HEAD.format(n=n, open_keys=open_keys[n], **constants) for n in range(campaigns))
    return template.format(
        keys=_KEYS[dialect], dialable=DIALABLE, not_listed=_NOT_LISTED, holds_nothing=_HOLDS_NOTHING[dialect],
        returning=_RETURNING.format(table="leads." if dialect == "postgresql" else ""),
        hold=_HOLD.format(**constants), heads=heads,
        campaign_rows=" UNION ALL ".join(CAMPAIGN_ROW.format(n=n) for n in range(campaigns)),
        open_for_campaign=" OR ".join(OPEN_FOR_CAMPAIGN.format(n=n, open_keys=open_keys[n]) for n in range(campaigns)),
        **constants)


@cache
def statement(name: str, dialect: str, campaigns: int = 1):
    """The statement as SQLAlchemy text, with its times typed (SQLite stores them as text)."""
    sql = render(name, dialect, campaigns)
    times = [*_TIMES, *(f"spaced_before_{n}" for n in range(campaigns))]
    return text(sql).bindparams(*[bindparam(name, type_=DateTime()) for name in times
                                  if re.search(rf":{name}\b", sql)])


@cache
def agent_state(dialect: str):
    columns = _AGENT_STATE_COLUMNS if dialect == "sqlite" else (column("locked", Boolean), *_AGENT_STATE_COLUMNS)
    return text(AGENT_STATE[dialect]).bindparams(bindparam("now", type_=DateTime())).columns(*columns)


@cache
def grouped_leads():
    return text(GROUPED_LEADS).bindparams(*[bindparam(name, type_=DateTime()) for name in ("now", "spaced_before")])


def every_statement(dialect: str, campaigns: int = 2) -> dict[str, str]:
    """Every statement of the claim and the counts, as it runs (for `python -m console.queue.statements`)."""
    named = {name: render(name, dialect, campaigns) for name in (SQLITE if dialect == "sqlite" else POSTGRESQL)}
    return {**named, "agent_state": AGENT_STATE[dialect], "grouped_leads": GROUPED_LEADS}


if __name__ == "__main__":
    for dialect_name in ("sqlite", "postgresql"):
        for statement_name, sql in every_statement(dialect_name).items():
            print(f"-- {dialect_name}: {statement_name}\n{sql};\n")
