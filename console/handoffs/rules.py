"""Sales' side of a hand-off as pure rules: what may be recorded when, the fixed lists, the recall dates allowed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from console.campaigns.rules import MAX_RECALL_DAYS


class ContactKind:
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    LABELS = {CALL: "Call", EMAIL: "Email", MEETING: "Meeting"}


class LostReason:
    """Why a deal was lost; RECYCLE sends the lead back to nurture with a recall date."""

    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    COMPETITOR = "competitor"
    NO_DECISION = "no_decision"
    UNREACHABLE = "unreachable"
    RECYCLE = "recycle"
    LABELS = {NO_BUDGET: "No budget", NO_NEED: "No need after all", COMPETITOR: "Chose a competitor",
              NO_DECISION: "No decision made", UNREACHABLE: "Could not be reached",
              RECYCLE: "Not now: recycle to nurture"}


class Step:
    """What sales records on an accepted hand-off, in the usual order."""

    FIRST_CONTACT = "first-contact"
    MEETING_HELD = "meeting"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RATING = "rating"
    LABELS = {FIRST_CONTACT: "First contact", MEETING_HELD: "Meeting held", OPPORTUNITY: "Opportunity",
              WON: "Won", LOST: "Lost", RATING: "Lead quality rating"}


@dataclass(frozen=True)
class Progress:
    """What a hand-off has recorded so far, as the rules read it."""
    status: str
    first_contact: bool = False
    meeting_held: bool = False
    outcome: str | None = None


RATINGS = (1, 2, 3, 4, 5)
RECALL_MIN_DAYS = 1
RECALL_MAX_DAYS = MAX_RECALL_DAYS  # two years, as for the Nurture disposition: further out is a new lead
CLOSE_MAX_DAYS = 5 * 366


def progress_refusal(progress: Progress, step: str) -> str | None:
    """Why `step` may not be recorded now, or None.

    Only an accepted hand-off moves on. Won and lost are recorded once, and close it: after them only the rating
    may still change. First contact and meeting held are recorded once (a meeting held is a first contact when
    none was recorded). An opportunity (its amount may be revised) and a win need a first contact; an
    opportunity is not required before a win (small deals close on the first call). A deal may be lost at any
    time after acceptance, even unreached.
    """
    if step not in Step.LABELS:
        return "Choose what to record."
    if progress.status != "accepted":
        return "Accept the hand-off before recording its progress."
    if step == Step.RATING:
        return None
    if progress.outcome is not None:
        return f"This deal is closed ({progress.outcome}): only the rating may still change."
    if step == Step.FIRST_CONTACT and progress.first_contact:
        return "The first contact is already recorded."
    if step == Step.MEETING_HELD and progress.meeting_held:
        return "The meeting held is already recorded."
    if step in (Step.OPPORTUNITY, Step.WON) and not progress.first_contact:
        return "Record the first contact first: a deal starts with one."
    return None


def default_recall(today: date, nurture_recall_days: int) -> date:
    """The recall date offered: the campaign's delay from today, within the allowed range."""
    days = min(max(nurture_recall_days, RECALL_MIN_DAYS), RECALL_MAX_DAYS)
    return today + timedelta(days=days)


def recall_problem(recall_on: date | None, today: date) -> str | None:
    """What is wrong with a recall date (tomorrow to two years from today), or None."""
    if recall_on is None:
        return "Give the date the lead comes back to the call queue."
    if recall_on < today + timedelta(days=RECALL_MIN_DAYS):
        return "A recall date is tomorrow or later."
    if recall_on > today + timedelta(days=RECALL_MAX_DAYS):
        return "A recall date is at most two years away."
    return None


def won_date_problem(won_on: date | None, handed_on: date, today: date) -> str | None:
    if won_on is None:
        return "Give the date the deal was won."
    if won_on > today:
        return "A deal is won today or earlier."
    if won_on < handed_on:
        return "The deal was won after the lead was handed over."
    return None


def close_date_problem(close_on: date | None, today: date) -> str | None:
    if close_on is None:
        return "Give the expected close date."
    if close_on < today:
        return "The expected close date is today or later."
    if close_on > today + timedelta(days=CLOSE_MAX_DAYS):
        return "The expected close date is at most five years away."
    return None
