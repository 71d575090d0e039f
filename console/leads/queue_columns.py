"""The lead's derived queue columns, computed in one place: the rule in Python and its SQL twins.

Three lead columns exist only so that *Next lead* stays fast on millions of
leads (docs/queue.md, "How the order is stored"):

* `window_key`: what decides the calling window, its zones and its state
  (console.compliance.rules.window_key);
* `queue_rank`: tier, band and score as one sortable number (queue_rank below);
* `do_not_call`: the number is on a do-not-call list that covers the lead (a
  fact read from the list, console.compliance.services).

`queue_columns(facts, now)` computes the first two from the lead's facts. Every
writer uses it: console/leads/services.py for single leads and in batches, the
disposition, rescoring, `flask queue rebuild`. Only the clock moves a lead
between bands without its facts changing (a hold lapses, a retry comes due); the
SQL statements at the end of this module are that part of the rule in SQL, for
the claim's once-a-second upkeep, and
tests/integration/test_queue_columns.py holds them to queue_columns on generated
leads. The claim re-checks the facts the columns come from, so a stale value can
delay a lead but never lets one be called that may not be.

Pure: no Flask, no database, only values and SQL text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console.compliance.rules import window_key
from console.leads.rules import QueueState


@dataclass(frozen=True)
class LeadState:
    """The facts about one lead that decide where it stands in the queue and whether it may be called."""

    queue_state: str = QueueState.NEW
    zones: tuple = ()
    state: str | None = None
    do_not_call: bool = False
    attempts: int = 0
    last_called_at: datetime | None = None
    next_call_at: datetime | None = None
    callback_owner_id: int | None = None
    claimed_by_id: int | None = None
    claim_expires_at: datetime | None = None
    inbound: bool = False
    score: int | None = None


# Queue tiers, in the order the queue serves them (see docs/queue.md).
TIER_OWN_CALLBACK, TIER_CALLBACK, TIER_INBOUND, TIER_RETRY, TIER_NEW = range(5)
TIER_LABELS = {
    TIER_OWN_CALLBACK: "your due callbacks", TIER_CALLBACK: "due callbacks",
    TIER_INBOUND: "fresh inbound leads", TIER_RETRY: "due retries", TIER_NEW: "new leads",
}
# The stored rank is (band + tier) * SPAN + score part, so one index orders a whole
# campaign the way the queue serves it: a due lead's rank is below 5 * SPAN, a lead
# waiting for its retry or callback time adds WAITING bands, one held by an agent adds HELD.
SPAN = 10_000_000
WAITING = 10
HELD = 20
DUE_LOW, DUE_HIGH = TIER_CALLBACK * SPAN, (TIER_NEW + 1) * SPAN  # anyone's due leads
OWN_CALLBACK_HIGH = SPAN
WAITING_LOW, WAITING_HIGH = WAITING * SPAN, HELD * SPAN
HELD_LOW = HELD * SPAN
SCORE_LIMIT = 999_999


def queue_tier(queue_state: str | None, inbound: bool | None, callback_owner_id: int | None) -> int | None:
    """The tier a workable lead is served in: due callbacks (own, then anyone's), inbound, retries, new."""
    state = queue_state or QueueState.NEW
    if state == QueueState.CALLBACK:
        return TIER_OWN_CALLBACK if callback_owner_id is not None else TIER_CALLBACK
    if state == QueueState.RETRY:
        return TIER_RETRY
    if state == QueueState.NEW:
        return TIER_INBOUND if inbound else TIER_NEW
    return None


def score_part(score: int | None) -> int:
    """Higher scores sort first; unscored leads after every scored one."""
    if score is None:
        return 2 * (SCORE_LIMIT + 1)
    return SCORE_LIMIT + 1 - max(-SCORE_LIMIT, min(SCORE_LIMIT, int(score)))


def score_shift(old_score: int | None, new_score: int | None) -> int:
    """How a lead's queue rank moves when only its score changes (its tier and band stay): what rescoring adds
    to the stored rank, so that a hold or a due time written meanwhile is kept."""
    return score_part(new_score) - score_part(old_score)


def hold_runs(lead: LeadState, now: datetime) -> bool:
    """Is an agent's hold on the lead still running (until its lease ends, that moment included)?"""
    return lead.claimed_by_id is not None and lead.claim_expires_at is not None and lead.claim_expires_at >= now


def queue_rank(lead: LeadState, now: datetime) -> int | None:
    """The stored sort key of a lead; None when it is out of the queue (closed or do-not-call)."""
    tier = queue_tier(lead.queue_state, lead.inbound, lead.callback_owner_id)
    if tier is None or lead.do_not_call:
        return None
    if hold_runs(lead, now):
        band = HELD
    elif lead.next_call_at is not None and lead.next_call_at > now:
        band = WAITING
    else:
        band = 0
    return (band + tier) * SPAN + score_part(lead.score)


def queue_columns(lead: LeadState, now: datetime) -> dict:
    """The derived queue columns of a lead with these facts: what every writer stores."""
    return {"window_key": window_key(lead.zones, lead.state), "queue_rank": queue_rank(lead, now)}


# ---------------------------------------------------------------- the bands in SQL

# The partial indexes of the waiting and held bands (console/leads/models.py) use these
# predicates, and the statements below repeat them word for word, so the planner uses them.
WAITING_PREDICATE = f"queue_rank >= {WAITING_LOW} AND queue_rank < {WAITING_HIGH}"
HELD_PREDICATE = f"queue_rank >= {HELD_LOW}"
# How many leads one upkeep moves; the rest move on the next (the claim runs it once a second).
BAND_MOVES_PER_RUN = 5000

# A hold lapsed: held → due (a lead is only claimed when due, and a hold never moves its due time).
RELEASE_LAPSED_HOLDS = (
    f"UPDATE leads SET queue_rank = queue_rank - {HELD_LOW} WHERE id IN ("
    f"SELECT id FROM leads WHERE {HELD_PREDICATE} AND claim_expires_at < :now"
    f" LIMIT {BAND_MOVES_PER_RUN}{{skip_locked}})"
)
# A retry's or callback's time came: waiting → due, once the campaign's spacing since the
# last attempt has passed too (callbacks are appointments: no spacing), so that the due band
# only holds leads the claim can take.
PROMOTE_DUE = (
    f"UPDATE leads SET queue_rank = queue_rank - {WAITING_LOW} WHERE id IN ("
    f"SELECT id FROM leads WHERE campaign_id = :campaign_id AND {WAITING_PREDICATE} AND next_call_at <= :now"
    f" AND (queue_state = '{QueueState.CALLBACK}' OR last_called_at IS NULL OR last_called_at <= :spaced_before)"
    f" LIMIT {BAND_MOVES_PER_RUN}{{skip_locked}})"
)
