"""Reading the do-not-call list: does an entry cover this number, for this campaign; the list's pages of entries.

Changes to the list are made by console.leads.services (add_to_do_not_call,
remove_from_do_not_call): each takes the number out of every queue at once.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

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


# ---------------------------------------------------------------- the do-not-call page

@dataclass(frozen=True)
class EntrySearch:
    """What the do-not-call page looks for: a number (exact, or the E.164 prefix typed), a scope, a source."""

    phone: str | None = None  # E.164
    prefix: str | None = None  # "+1212555"
    scope: str = ""  # "" every scope, "global", or a campaign's id (as text)
    source: str | None = None  # compliance.models.DoNotCallSource

    @property
    def by_number(self) -> bool:
        return bool(self.phone or self.prefix)


@dataclass(frozen=True)
class EntryPage:
    entries: list[DoNotCallEntry]
    next_cursor: int | None  # the id the next page starts after, None on the last page


def find_entries(search: EntrySearch, *, cursor: int | None = None, limit: int = 50) -> EntryPage:
    """One page of entries: by number in number order, else newest first. Keyset pages (`cursor`: the last
    entry shown), so the thousandth page of a million entries costs what the first does.

    A number or prefix reads the phone index from where it starts; browsing reads an index ordered
    newest first (by scope, by source, or the whole list: ix_do_not_call_*), never sorting the list.
    """
    query = select(DoNotCallEntry).options(selectinload(DoNotCallEntry.campaign),
                                           selectinload(DoNotCallEntry.added_by),
                                           selectinload(DoNotCallEntry.lead_list))
    if search.phone:
        query = query.where(DoNotCallEntry.phone == search.phone)
    elif search.prefix:
        query = query.where(DoNotCallEntry.phone >= search.prefix,
                            DoNotCallEntry.phone < search.prefix + "~")  # "~" sorts after every digit
    # Searching by number, the scope and the source only check the entries the phone index reads: written as
    # expressions, so that no database reads a whole scope or source by its index and sorts it by number.
    campaign_id, source = (DoNotCallEntry.campaign_id + 0, DoNotCallEntry.source.concat("")) if search.by_number \
        else (DoNotCallEntry.campaign_id, DoNotCallEntry.source)
    if search.scope == "global":
        query = query.where(campaign_id.is_(None))
    elif search.scope:
        query = query.where(campaign_id == int(search.scope))
    if search.source:
        query = query.where(source == search.source)
    if search.by_number:
        if cursor is not None:
            after = db.session.execute(select(DoNotCallEntry.phone).where(DoNotCallEntry.id == cursor)).scalar()
            if after is not None:
                query = query.where(DoNotCallEntry.phone >= after,
                                    or_(DoNotCallEntry.phone > after, DoNotCallEntry.id > cursor))
        query = query.order_by(DoNotCallEntry.phone, DoNotCallEntry.id)
    else:
        if cursor is not None:
            query = query.where(DoNotCallEntry.id < cursor)
        query = query.order_by(DoNotCallEntry.id.desc())
    entries = list(db.session.scalars(query.limit(limit + 1)))
    more = len(entries) > limit
    return EntryPage(entries[:limit], entries[limit - 1].id if more else None)


def entries_for_number(phone: str) -> list[DoNotCallEntry]:
    """Every entry for one number (global and per campaign), oldest first: the lead record's timeline."""
    return list(db.session.scalars(select(DoNotCallEntry).where(DoNotCallEntry.phone == phone)
                                   .order_by(DoNotCallEntry.added_at)))
