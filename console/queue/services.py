"""The queue's public face: claiming the next lead, and what is dialable now and why.

Everything else in console/queue/ is how these work: rules.py (the dialability
rule), statements.py (its SQL twins and the claim's statements), plan.py (what
may be claimed this minute), claim.py (the claim and the call it opens),
explain.py (counts, explanations and the dial guard). Views, the benchmark and
the tests use only what this module names.
"""
from __future__ import annotations

from console.calls.services import current_call
from console.database.snapshots import forget_all
from console.queue.claim import BareClaim, bare_claim, claim_after_disposition, claim_next_lead, claims_by_path
from console.queue.explain import (
    CampaignDialability, LeadDialability, QueueExplanation, assert_dialable, campaign_dialability, count_dialable,
    dialability_problems, explain_empty_queue, explain_lead,
)
from console.queue.plan import ClaimPlan, claim_plan

__all__ = [
    "claim_next_lead", "claim_after_disposition", "current_call", "count_dialable", "dialability_problems",
    "assert_dialable", "explain_lead", "campaign_dialability", "explain_empty_queue", "LeadDialability",
    "CampaignDialability", "QueueExplanation", "claims_by_path", "forget_process_memory",
    # what scripts/bench.py times the claim's SQL alone with
    "claim_plan", "ClaimPlan", "bare_claim", "BareClaim",
]


def forget_process_memory() -> None:
    """Forget what this process remembers between claims (snapshots, memos, path counts): tests do."""
    forget_all()
