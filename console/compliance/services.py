"""Reading the do-not-call list: does an entry cover this number, for this campaign?

Changes to the list are made by console.leads.services (add_to_do_not_call,
remove_from_do_not_call): each takes the number out of every queue at once.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, or_, select

from console.compliance.models import DoNotCallEntry
from console.extensions import db


def covering_entry(phone, campaign_id):
    """SQL: an entry for this number, global or for this campaign (columns or values)."""
    return exists().where(DoNotCallEntry.phone == phone,
                          or_(DoNotCallEntry.campaign_id.is_(None), DoNotCallEntry.campaign_id == campaign_id))


def is_listed(phone: str, campaign_id: int | None, connection=None) -> bool:
    """Is this number on the global list, or on this campaign's?"""
    return bool((connection or db.session).scalar(select(covering_entry(phone, campaign_id))))


def listed_numbers(phones: Iterable[str], campaign_id: int | None, connection=None) -> set[str]:
    """Which of these numbers are on the global list or this campaign's (batched: an import asks for thousands)."""
    phones = list(phones)
    listed: set[str] = set()
    source = connection or db.session
    for start in range(0, len(phones), 500):
        listed.update(source.scalars(select(DoNotCallEntry.phone).where(
            DoNotCallEntry.phone.in_(phones[start:start + 500]),
            or_(DoNotCallEntry.campaign_id.is_(None), DoNotCallEntry.campaign_id == campaign_id))))
    return listed
