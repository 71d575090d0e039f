"""Claiming: the only code that hands a lead to an agent, and opens the call on it.

How a claim stays fast on millions of leads (docs/queue.md has the long version):
every lead carries a `queue_rank` (tier, band and score in one number) and a
`window_key` (zones and state). The plan (console/queue/plan.py) knows which
window keys of each running campaign are open this minute; the claim reads the
head of each campaign's queue from one index and takes the best lead that passes
every rule's SQL twin (console/queue/statements.py), in one statement that also
holds it. Python then re-checks the calling window of the lead it got from the
lead's own zones and state, and opens the call, before the claim commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, bindparam, func, insert, select, text
from sqlalchemy.orm import make_transient_to_detached

from console.audit import services as audit
from console.audit.models import AuditEvent
from console.calls import rules as call_rules
from console.calls import services as calls
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.compliance.rules import minute_of, stored_zones, window_key
from console.database import writers
from console.database.snapshots import Memo, Tally
from console.extensions import db
from console.guides.services import choose_published_version, published_guides
from console.leads import services as leads
from console.queue import statements
from console.queue.plan import ClaimPlan, claim_plan, key_open

MAINTENANCE_EVERY = timedelta(seconds=1)
_last_maintenance = Memo(limit=100)  # database → when this process last moved leads between bands
# The minute in which the fast path last found nothing, per database. Leads whose window is
# closed (a zone not open yet, a number with no known zone) stay at the head of their band
# while the leads around them are claimed; once HEAD_SCAN of them lead it, the fast path
# finds nothing until a window opens, which only happens on a whole minute. Until then each
# claim goes straight to the per-window path, which is exact on its own.
# SQLite only: there a miss means the head holds nothing claimable (one writer at a time). On
# PostgreSQL a miss can be momentary (other agents locking the same heads), and its per-window
# path costs several times the fast one, so the fast path is tried on every claim.
_fast_path_missed = Memo(limit=100)
# How this process's claims found their lead ("own_callback", "fast", "per_window"), and how often the
# fast path was tried and found nothing ("fast_missed"): the benchmark and the tests read it.
claims_by_path = Tally()


def _engine_key() -> str:
    return str(db.engine.url)


def fast_path_worth_trying(plan: ClaimPlan) -> bool:
    return _fast_path_missed.get(_engine_key()) != minute_of(plan.now)


def _note_fast_path_missed(plan: ClaimPlan, dialect: str) -> None:
    if dialect == "sqlite":
        _fast_path_missed.remember(_engine_key(), minute_of(plan.now))


# ---------------------------------------------------------------- the claim

def claim_next_lead(agent, now: datetime | None = None) -> Call | None:
    """Give the agent exactly one lead nobody else holds, and open a call on it.

    An agent holds at most one lead: asking again returns the same call. The
    claim is one UPDATE whose WHERE re-checks that the lead is free and that the
    agent holds nothing, so two agents (or two tabs) can never both win (SKIP LOCKED
    on PostgreSQL, the one writer on SQLite). Every agent presses Next lead dozens
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
        state = connection.execute(statements.agent_state(dialect), {"agent_id": agent_id, "now": moment}).one()
        if state.held_call_id is not None:
            db.session.commit()  # PostgreSQL: releases the agent's claim lock at once
            return db.session.get(Call, state.held_call_id)
        draft = _draft(connection, plan, state, agent_id, agent_email, moment + lease, dialect)
        try:
            claimed = _write_claim(connection, draft)
        except StaleWindowKey as stale:
            leads.mend_queue_columns(stale.lead_id)  # and try again
        else:
            break
    else:
        return None
    if isinstance(claimed, int):
        return db.session.get(Call, claimed)  # another tab of this agent claimed meanwhile
    return _as_loaded(claimed) if claimed is not None else None


def claim_after_disposition(agent) -> Call | None:
    """Auto-advance: the next lead's call, or None when the agent paused it or nothing is dialable."""
    if not calls.auto_advance_enabled(agent):
        return None
    return claim_next_lead(agent)


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
    try_fast_path: bool  # False: go straight to the per-window path (fast_path_worth_trying)
    campaign_parameters: dict  # the fast claim's and the own callbacks' parameters: per running campaign
    guides: list  # guides.services.published_guides()
    call: dict  # the new call's columns, but for the lead, its campaign and the guide version
    audit: dict  # the audit row, but for the lead and the call

    @cached_property
    def parameters(self) -> dict:
        """Every other claiming statement's parameters: the open keys as one JSON parameter (made when needed)."""
        return {"now": self.plan.now, "agent_id": self.agent_id, "expires_at": self.expires_at,
                "keys": self.plan.keys_parameter(self.dialect), "per_key": statements.CANDIDATES_PER_KEY}


def _draft(connection, plan: ClaimPlan, state, agent_id: int, agent_email: str, expires_at: datetime,
           dialect: str) -> ClaimDraft:
    now = plan.now
    try_fast_path = fast_path_worth_trying(plan)
    return ClaimDraft(
        plan=plan, dialect=dialect, agent_id=agent_id, expires_at=expires_at, has_callbacks=bool(state.has_callbacks),
        try_fast_path=try_fast_path,
        campaign_parameters={"now": now, "agent_id": agent_id, "expires_at": expires_at, **plan.head_parameters()},
        guides=published_guides(connection),
        call={"agent_id": agent_id, "status": CallStatus.OPEN, "notes": "", "started_at": now,
              "seconds_since_previous_call": call_rules.seconds_between_calls(state.previous_end, now)},
        audit=audit.prepared("lead.claimed", "Lead", None, actor_id=agent_id, actor_email=agent_email, at=now),
    )


def bare_claim(plan: ClaimPlan, agent_id: int, lease: timedelta = timedelta(minutes=15)) -> BareClaim:
    """The claim's statements and parameters as a claim by this agent would run them (scripts/bench.py times them)."""
    return BareClaim(plan, db.engine.dialect.name, agent_id, plan.now + lease)


@dataclass(frozen=True)
class BareClaim:
    """One claim's SQL alone: the fast statement (when worth trying), then the per-window one."""

    plan: ClaimPlan
    dialect: str
    agent_id: int
    expires_at: datetime

    @property
    def fast(self):
        """(statement, parameters) of the fast claim, or None when this minute goes straight to the per-window one."""
        if not fast_path_worth_trying(self.plan):
            return None
        return (statements.statement("fast_claim", self.dialect, len(self.plan.open_campaigns)),
                {"now": self.plan.now, "agent_id": self.agent_id, "expires_at": self.expires_at,
                 **self.plan.head_parameters()})

    @property
    def per_window(self):
        return (statements.statement("per_window_claim", self.dialect),
                {"now": self.plan.now, "agent_id": self.agent_id, "expires_at": self.expires_at,
                 "keys": self.plan.keys_parameter(self.dialect), "per_key": statements.CANDIDATES_PER_KEY})

    def fast_path_missed(self) -> None:
        """Tell the claim the fast path found nothing, as a claim would."""
        _note_fast_path_missed(self.plan, self.dialect)


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
    _keep_bands_right(connection, plan)
    row = None
    if plan.open_campaigns:
        row = (_run(connection, draft, "own_callback_claim") if draft.has_callbacks else None) \
            or _claim_from_queue(connection, draft)
    if row is None:
        # Nothing to claim, or another tab of this agent claimed since its state was read.
        return connection.scalar(calls.HELD_CALL, {"agent_id": draft.agent_id, "now": moment})
    key = window_key(stored_zones(row.time_zones), row.state)
    if row.window_key != key or not key_open(plan.campaigns[row.campaign_id], key, moment):
        # The stored key disagrees with the lead's own zone or state (changed behind the
        # writer's back): never trust it.
        raise StaleWindowKey(row.id)
    return row


def _keep_bands_right(connection, plan: ClaimPlan) -> None:
    """Move leads whose hold lapsed or whose due time came into the due band, at most once a second per process."""
    last = _last_maintenance.get(_engine_key())
    if last is not None and abs(plan.now - last) < MAINTENANCE_EVERY:
        return
    _last_maintenance.remember(_engine_key(), plan.now)
    leads.refresh_bands(connection, {campaign.id: campaign.rules.min_retry_minutes
                                     for campaign in plan.campaigns.values()}, plan.now)


def _run(connection, draft: ClaimDraft, name: str, per_key: int = statements.CANDIDATES_PER_KEY):
    parameters = draft.campaign_parameters if name in ("fast_claim", "own_callback_claim") \
        else {**draft.parameters, "per_key": per_key}
    row = connection.execute(statements.statement(name, draft.dialect, len(draft.plan.open_campaigns)),
                             parameters).first()
    if row is not None:
        claims_by_path[name.removesuffix("_claim")] += 1
    return row


def _claim_from_queue(connection, draft: ClaimDraft):
    if draft.try_fast_path:
        row = _run(connection, draft, "fast_claim")
        if row is not None:
            return row
        claims_by_path["fast_missed"] += 1
        _note_fast_path_missed(draft.plan, draft.dialect)
    per_key = statements.CANDIDATES_PER_KEY
    for _attempt in range(4):
        row = _run(connection, draft, "per_window_claim", per_key)
        if row is not None:
            return row
        # Nothing claimed: an empty queue, a head whose number is on a list its flag does not
        # show yet, or (PostgreSQL) every candidate locked by agents claiming at this very moment.
        candidate = connection.scalar(statements.statement("per_window_peek", draft.dialect), draft.parameters)
        if candidate is None:
            return None
        leads.suppress_if_listed(connection, candidate)
        per_key *= 8
    return None


def _as_loaded(columns: dict) -> Call:
    """The call just inserted, as a loaded ORM object, without reading back what the claim just wrote.

    make_transient_to_detached gives the object its identity; added to the session it is
    persistent and loaded, as if read by session.get (its relationships load when used).
    """
    call = Call(**columns)
    make_transient_to_detached(call)
    db.session.add(call)
    return call


# ---------------------------------------------------------------- opening the call

ABANDON_OPEN_CALLS = text(
    f"UPDATE calls SET status = '{CallStatus.ABANDONED}', ended_at = :now"
    f" WHERE lead_id = :lead_id AND status = '{CallStatus.OPEN}'"
).bindparams(bindparam("now", type_=DateTime()))
_OPENED = ("lead_id", "campaign_id", "agent_id", "guide_version_id", "status", "notes", "started_at",
           "seconds_since_previous_call")
_LOGGED = ("at", "action", "actor_id", "actor_email", "subject_type", "ip_address")


def _call_and_audit_statement():
    """PostgreSQL: the call and its audit row in one statement (a data-modifying CTE), returning the call's id."""
    calls_table, events = Call.__table__, AuditEvent.__table__
    new_call = (insert(calls_table).values({name: bindparam(name, type_=calls_table.c[name].type) for name in _OPENED})
                .returning(calls_table.c.id, calls_table.c.lead_id).cte("new_call"))
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
    opened = []
    for draft, row in claimed:
        if row.has_open_call:  # a previous holder's lease lapsed and left it open: close it honestly
            connection.execute(ABANDON_OPEN_CALLS, {"lead_id": row.id, "now": draft.plan.now})
        campaign = draft.plan.campaigns[row.campaign_id]
        opened.append({
            **draft.call, "lead_id": row.id, "campaign_id": campaign.id,
            # The guide area chooses the version (a persona variant for the buying role, or the campaign's guide).
            "guide_version_id": choose_published_version(draft.guides, campaign.name, campaign.call_guide_id,
                                                         row.buying_role),
        })
    if claimed[0][0].dialect == "postgresql":
        (draft, _row), = claimed
        opened[0]["id"] = connection.execute(INSERT_CALL_AND_AUDIT, {**draft.audit, **opened[0]}).scalar_one()
    else:
        # Each lead is claimed once in a transaction, so the lead's id tells which call is which.
        ids = dict(connection.execute(INSERT_CALLS, opened).all())
        for columns in opened:
            columns["id"] = ids[columns["lead_id"]]
        connection.execute(audit.INSERT, [
            {**draft.audit, "subject_id": columns["lead_id"], "detail": {"call_id": columns["id"]}}
            for (draft, _row), columns in zip(claimed, opened)])
    return [{**columns, "disposition": None, "next_action": None, "callback_at": None, "referral_lead_id": None,
             "ended_at": None} for columns in opened]
