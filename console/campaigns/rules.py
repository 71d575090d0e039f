"""What a campaign says about calling its leads, as plain values for the pure dialability rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.compliance.rules import CallingHours

DEFAULT_MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class CampaignRules:
    """A campaign's dates, calling hours, attempts and spacing (console.queue.rules.problems decides with them)."""

    name: str = ""
    active: bool = True
    start_date: date | None = None
    end_date: date | None = None
    hours: CallingHours = CallingHours()
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    min_retry_minutes: int = 0
    excluded_states: frozenset = frozenset()  # state / province codes whose leads it does not call

# A retry delay or spacing longer than this is a typo, not a plan (30 days).
MAX_RETRY_MINUTES = 30 * 24 * 60
