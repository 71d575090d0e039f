"""The team's pages and actions: the users and what each is holding, adding one with a one-time password or a
set-password link, their role and access, setting a password from a link, and the audit log read back.

Accounts are auth's records (console/auth/services.py writes them); leads, calls and hand-offs are written by
their own areas. The functions a view or command calls own their transaction (one write_transaction, one
commit at its end) and call those writers inside it, so that a deactivation and everything it causes are one
change. Passwords are hashed before the transaction: argon2 is slow on purpose, and SQLite has one writer.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, func, or_, select, text
from werkzeug.routing import BuildError

from console.audit import services as audit
from console.audit.models import AuditEvent
from console.auth import services as accounts
from console.auth.models import PasswordToken, Role, User
from console.calls import services as calls
from console.calls.models import Call, CallStatus
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.guides.models import CallGuide
from console.handoffs import services as handoffs
from console.handoffs.models import Handoff, HandoffStatus
from console.leads import services as leads
from console.leads.models import Lead
from console.leads.rules import QueueState
from console.team import rules
from console.web import absolute_url_for, path_for

ACTIVE, DEACTIVATED = "active", "deactivated"
STATUS_WORDS = {ACTIVE: "Active", DEACTIVATED: "Deactivated"}
# How a new account (or a reset) gets its password.
BY_LINK, BY_PASSWORD = "link", "password"


class TeamRefusal(Exception):
    """The action cannot be done; the message says why, in words for the page."""


class LinkNotValid(Exception):
    """A set-password link that cannot be used (unknown, used, expired or replaced, or its account deactivated)."""


# ---------------------------------------------------------------- the users

def _last_sign_in():
    """The moment of the user's latest sign-in, as a correlated subquery: one backward probe of the audit log's
    (actor_id, at) index per user, reading only the events since that sign-in."""
    return (select(AuditEvent.at).where(AuditEvent.actor_id == User.id, AuditEvent.action == "auth.login")
            .order_by(AuditEvent.at.desc()).limit(1).correlate(User).scalar_subquery())


@dataclass(frozen=True)
class UserRow:
    user: User
    last_sign_in: datetime | None


def user_rows(role: str | None = None, status: str | None = None) -> list[UserRow]:
    """Every user (of a role, active or deactivated), active ones first, by name, with their last sign-in."""
    query = select(User, _last_sign_in()).order_by(User.active.desc(), User.full_name, User.id)
    if role:
        query = query.where(User.role == role)
    if status == ACTIVE:
        query = query.where(User.active.is_(True))
    elif status == DEACTIVATED:
        query = query.where(User.active.is_(False))
    return [UserRow(user, last) for user, last in db.session.execute(query).tuples()]


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


@dataclass(frozen=True)
class UserPage:
    """What one user's page shows: the account, what they hold now, what they did lately, what may be done."""

    user: User
    last_sign_in: datetime | None
    held_leads: list[Lead]
    reserved_callbacks: int
    open_calls: int
    pending_handoffs: list[Handoff]
    sales_members: list[User]  # who their pending hand-offs may go to
    recent_events: list[AuditRow]
    demotion_refusal: str | None  # why their role may not stop being admin, if it may not
    deactivation_refusal: str | None
    active_links: int  # unused set-password links still working


RECENT_EVENTS = 12


def user_page(user_id: int, viewer: User) -> UserPage | None:
    user = db.session.get(User, user_id)
    if user is None:
        return None
    now = utcnow()
    others = _other_active_admins(user, lock=False)
    last_sign_in = db.session.scalar(select(_last_sign_in()).select_from(User).where(User.id == user.id))
    held = list(db.session.scalars(select(Lead).where(Lead.claimed_by_id == user.id, Lead.claim_expires_at >= now)
                                   .order_by(Lead.id)))
    reserved = db.session.scalar(select(func.count(Lead.id)).where(Lead.callback_owner_id == user.id,
                                                                   Lead.queue_state == QueueState.CALLBACK))
    open_calls = db.session.scalar(select(func.count(Call.id)).where(Call.agent_id == user.id,
                                                                     Call.status == CallStatus.OPEN))
    links = db.session.scalar(select(func.count(PasswordToken.id)).where(
        PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None), PasswordToken.expires_at > now))
    return UserPage(
        user=user, last_sign_in=last_sign_in, held_leads=held, reserved_callbacks=reserved or 0,
        open_calls=open_calls or 0, pending_handoffs=handoffs.pending_for(user.id),
        sales_members=[member for member in handoffs.active_sales_members() if member.id != user.id],
        recent_events=audit_page(AuditFilters(actor_id=user.id), limit=RECENT_EVENTS).rows,
        demotion_refusal=rules.role_change_refusal(
            is_self=user.id == viewer.id, is_admin=user.role == Role.ADMIN, is_active=user.active,
            new_role_is_admin=False, other_active_admins=others),
        deactivation_refusal=rules.deactivation_refusal(
            is_self=user.id == viewer.id, is_admin=user.role == Role.ADMIN, is_active=user.active,
            other_active_admins=others),
        active_links=links or 0)


def _other_active_admins(user: User, *, lock: bool) -> int:
    return len([admin_id for admin_id in accounts.active_admin_ids(lock=lock) if admin_id != user.id])


def _load(user_id: int) -> User:
    user = db.session.get(User, user_id, populate_existing=True)  # read afresh inside the write transaction
    if user is None:
        raise TeamRefusal("There is no such user.")
    return user


# ---------------------------------------------------------------- adding a user, and their password

@dataclass(frozen=True)
class Credentials:
    """How the user gets in, shown to the admin once: a one-time password, or a set-password link."""

    user: User
    password: str | None = None
    link: str | None = None
    expires_at: datetime | None = None

    @property
    def by_link(self) -> bool:
        return self.link is not None


def _hash_for(method: str) -> tuple[str | None, str]:
    """(the one-time password, or None for a link; the hash to store). For a link the account gets a random
    password nobody is told, so it cannot be signed in to before the link is used."""
    if method not in (BY_LINK, BY_PASSWORD):
        raise TeamRefusal("Choose a one-time password or a set-password link.")
    secret = rules.one_time_password()
    return (secret if method == BY_PASSWORD else None), accounts.hash_password(secret)


def _credentials(user: User, password: str | None, method: str, actor: User | None, now: datetime) -> Credentials:
    """Joins the caller's transaction: a link's token is written there, and shown only here."""
    if method == BY_PASSWORD:
        accounts.expire_password_links(user.id, now)
        return Credentials(user, password=password)
    expires_at = now + rules.PASSWORD_LINK_LIFETIME
    token = accounts.issue_password_link(user, expires_at, actor=actor, now=now)
    return Credentials(user, link=absolute_url_for("team.set_password", token=token), expires_at=expires_at)


def create_user(actor: User | None, *, email: str, full_name: str, role: str, method: str) -> Credentials:
    """Add a user with one role and a way in: a one-time password or a set-password link, made now and returned
    to be shown once (neither is kept in a readable form). accounts.UserError says what is wrong with the email
    or role; nothing is written then."""
    email = accounts.normalise_email(email)
    password, password_hash = _hash_for(method)
    with writers.write_transaction(db.session):
        now = utcnow()
        user = accounts.add_user(email, full_name, role, password_hash, actor=actor, access=method)
        return _credentials(user, password, method, actor, now)


def reset_password(actor: User | None, user_id: int, method: str) -> Credentials:
    """A new one-time password (set now) or a new set-password link (the password changes when it is used);
    either way the user's earlier unused links stop working. Audited."""
    password, password_hash = _hash_for(method)
    with writers.write_transaction(db.session):
        user = _load(user_id)
        if not user.active:
            raise TeamRefusal("Reactivate this user before giving them a new password.")
        now = utcnow()
        if method == BY_PASSWORD:
            accounts.set_password_hash(user, password_hash)
        credentials = _credentials(user, password, method, actor, now)
        audit.record("user.password_reset", user, actor=actor, access=method)
        return credentials


def password_link_account(token: str) -> User | None:
    """The account a set-password link may set the password of now, or None (the page does not say why)."""
    link = accounts.password_link(token)
    if _link_problem(link, utcnow()) is not None:
        return None
    return link.user


def _link_problem(link: PasswordToken | None, now: datetime) -> str | None:
    return rules.link_problem(found=link is not None, used_at=link.used_at if link else None,
                              expires_at=link.expires_at if link else None,
                              account_active=bool(link and link.user.active), now=now)


def set_password_from_link(token: str, password: str) -> User:
    """Set the password of the link's account, once: the link is used up, the change audited. LinkNotValid when
    the link cannot be used; nothing changes then."""
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        raise accounts.UserError(f"password must be at least {accounts.MIN_PASSWORD_LENGTH} characters")
    password_hash = accounts.hash_password(password)
    with writers.write_transaction(db.session):
        link = accounts.password_link(token, lock=True)
        if _link_problem(link, utcnow()) is not None:
            raise LinkNotValid()
        accounts.use_password_link(link, password_hash, utcnow())
        audit.record("user.password_set", link.user, actor=link.user, link_id=link.id)
        return link.user


# ---------------------------------------------------------------- role and access

def change_role(actor: User | None, user_id: int, role: str) -> tuple[User, str]:
    """Give the user another role; returns (user, the role they had). TeamRefusal when it would leave the console
    without an active admin or an admin would take the role from themselves. Audited."""
    with writers.write_transaction(db.session):
        user = _load(user_id)
        before = user.role
        if role == before:
            return user, before
        refusal = rules.role_change_refusal(
            is_self=actor is not None and actor.id == user.id, is_admin=before == Role.ADMIN, is_active=user.active,
            new_role_is_admin=role == Role.ADMIN, other_active_admins=_other_active_admins(user, lock=True))
        if refusal:
            raise TeamRefusal(refusal)
        accounts.set_role(user, role)
        audit.record("user.role_changed", user, actor=actor, before=before, after=role)
        return user, before


@dataclass(frozen=True)
class Deactivation:
    """What a deactivation did at once, and what it left for the admin (pending hand-offs to reassign)."""

    user: User
    released_leads: list[int] = field(default_factory=list)
    shared_callbacks: list[int] = field(default_factory=list)
    abandoned_calls: list[int] = field(default_factory=list)
    pending_handoffs: int = 0


DEACTIVATED_REASON = "user deactivated"


def deactivate_user(actor: User | None, user_id: int) -> Deactivation:
    """Take the user's access away, with effect at once, in one transaction: they cannot sign in and their
    session is refused at its next request; their open call is closed as abandoned (no disposition, no attempt
    counted), the lead they held is back in the queue for any agent, the callbacks reserved for them become
    anyone's, their unused set-password links stop working. Their pending hand-offs stay theirs until an admin
    reassigns them (their page lists them). TeamRefusal for themselves or the last active admin. Audited."""
    with writers.write_transaction(db.session):
        user = _load(user_id)
        refusal = rules.deactivation_refusal(
            is_self=actor is not None and actor.id == user.id, is_admin=user.role == Role.ADMIN,
            is_active=user.active, other_active_admins=_other_active_admins(user, lock=True))
        if refusal:
            raise TeamRefusal(refusal)
        now = utcnow()
        accounts.set_active(user, False, now)
        abandoned = calls.abandon_open_calls_of(user.id, actor, reason=DEACTIVATED_REASON, now=now)
        released = leads.release_holds_of(user.id, actor, now)
        shared = leads.share_callbacks_of(user.id, actor, now)
        pending = db.session.scalar(select(func.count(Handoff.id)).where(
            Handoff.assigned_to_id == user.id, Handoff.status == HandoffStatus.PENDING)) or 0
        result = Deactivation(user, released_leads=released, shared_callbacks=shared,
                              abandoned_calls=[call.id for call in abandoned], pending_handoffs=pending)
        audit.record("user.deactivated", user, actor=actor, released_lead_ids=released,
                     shared_callback_lead_ids=shared, abandoned_call_ids=result.abandoned_calls,
                     pending_handoffs=pending)
        return result


def reactivate_user(actor: User | None, user_id: int) -> User:
    """Let a deactivated user sign in again (with the password they had; reset it if they need a new one)."""
    with writers.write_transaction(db.session):
        user = _load(user_id)
        if user.active:
            raise TeamRefusal("This user is already active.")
        accounts.set_active(user, True, utcnow())
        audit.record("user.reactivated", user, actor=actor)
        return user


def reassign_handoffs(actor: User | None, user_id: int, handoff_ids: list[int], assignee_id: int) -> list[Handoff]:
    """Give these pending hand-offs of the user to another active sales member (console.handoffs.services)."""
    try:
        return handoffs.reassign(handoff_ids, user_id, assignee_id, actor)
    except handoffs.HandoffError as error:
        raise TeamRefusal(str(error)) from error


# ---------------------------------------------------------------- the audit log

@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    lead_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def as_detail(self) -> dict:
        return {name: (value.isoformat() if isinstance(value, date) else value)
                for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    subject_label: str | None
    subject_url: str | None
    words: str | None
    detail: str

    @property
    def who(self) -> str:
        return self.actor_name or self.event.actor_email or "the console"


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older_than: int | None  # the `before` of the next page, when there may be one


PAGE_SIZE = 50


def _filtered(filters: AuditFilters):
    """The audit events these filters keep, as a statement; every filter is served by an index (actor_id, at),
    (action, at), (at) or (subject_type, subject_id)."""
    query = select(AuditEvent)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    start, end = rules.utc_range(filters.since, filters.until)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    if filters.lead_id is not None:
        query = query.where(_about_lead(filters.lead_id))
    return query


def _about_lead(lead_id: int):
    """Events whose subject is the lead, or one of its calls or hand-offs. The calls' and hand-offs' ids are read
    first (a lead has a handful), so that the events are found through the subject index, never by scanning."""
    call_ids = list(db.session.scalars(select(Call.id).where(Call.lead_id == lead_id)))
    handoff_ids = list(db.session.scalars(select(Handoff.id).where(Handoff.lead_id == lead_id)))
    about = [and_(AuditEvent.subject_type == "Lead", AuditEvent.subject_id == lead_id)]
    if call_ids:
        about.append(and_(AuditEvent.subject_type == "Call", AuditEvent.subject_id.in_(call_ids)))
    if handoff_ids:
        about.append(and_(AuditEvent.subject_type == "Handoff", AuditEvent.subject_id.in_(handoff_ids)))
    return or_(*about)


def _older_than(query, before: int | None):
    """Keyset: the events after the one with id `before` in the page's order (newest first: at, then id)."""
    if before is None:
        return query
    cursor_at = db.session.scalar(select(AuditEvent.at).where(AuditEvent.id == before))
    if cursor_at is None:
        return query.where(AuditEvent.id < before)
    # The first condition is a range on the (…, at) indexes; the second orders the events of one instant.
    return query.where(AuditEvent.at <= cursor_at, or_(AuditEvent.at < cursor_at, AuditEvent.id < before))


def _newest_first(query):
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_page(filters: AuditFilters, before: int | None = None, limit: int | None = None) -> AuditPage:
    """One page of the audit log, newest first, after the event `before` (the previous page's last)."""
    limit = limit or PAGE_SIZE
    events = list(db.session.scalars(_newest_first(_older_than(_filtered(filters), before)).limit(limit + 1)))
    older_than = events[limit - 1].id if len(events) > limit else None
    return AuditPage(_rows(events[:limit]), older_than)


EXPORT_BATCH = 1000


def audit_export(filters: AuditFilters) -> Iterator[tuple]:
    """Every event these filters keep, newest first, as the CSV's rows (its header first), read in batches by the
    same keyset as the page: memory stays flat whatever the number of rows."""
    yield ("id", "when (UTC)", "who (email)", "who", "action", "action in words", "subject type", "subject id",
           "detail", "IP address")
    before = None
    while True:
        events = list(db.session.scalars(_newest_first(_older_than(_filtered(filters), before)).limit(EXPORT_BATCH)))
        names = _user_names({event.actor_id for event in events})
        for event in events:
            yield (event.id, event.at.strftime("%Y-%m-%d %H:%M:%S"), event.actor_email, names.get(event.actor_id),
                   event.action, rules.action_words(event.action) or "", event.subject_type, event.subject_id,
                   rules.compact_detail(event.detail, limit=100_000), event.ip_address)
        if len(events) < EXPORT_BATCH:
            return
        before = events[-1].id


def record_export(actor: User, filters: AuditFilters) -> None:
    """Who downloaded which part of the audit log (its rows name leads' numbers and people)."""
    with writers.write_transaction(db.session):
        audit.record("audit.exported", None, actor=actor, filters=filters.as_detail())


# The distinct actions, by a loose index scan of (action, at): one probe per action, not a scan of every event.
_ACTIONS = text(
    "WITH RECURSIVE a(action) AS ("
    " SELECT MIN(action) FROM audit_events"
    " UNION ALL"
    " SELECT (SELECT MIN(e.action) FROM audit_events AS e WHERE e.action > a.action) FROM a"
    " WHERE a.action IS NOT NULL)"
    " SELECT action FROM a WHERE action IS NOT NULL"
)


def actions_present() -> list[tuple[str, str]]:
    """Every action the log holds, as (action, its words or its code), in the order of their words."""
    actions = db.session.scalars(_ACTIONS).all()
    return sorted(((action, rules.action_words(action) or action) for action in actions),
                  key=lambda pair: (pair[1].lower(), pair[0]))


def everyone() -> list[User]:
    """Every user, deactivated ones included, by name (the audit log's filter by who)."""
    return list(db.session.scalars(select(User).order_by(User.full_name, User.id)))


def _user_names(user_ids) -> dict[int, str]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return {user_id: name for user_id, name in db.session.execute(
        select(User.id, User.full_name).where(User.id.in_(wanted)))}


# Where a subject's page is: (endpoint, its id argument). A page another area has not built yet is left unlinked.
SUBJECT_PAGES = {
    "Lead": (("lead_record.show", "lead_id"), ("queue.lead_dialability", "lead_id")),
    "Call": (("calls.call_screen", "call_id"),),
    "Handoff": (("handoffs.packet", "handoff_id"),),
    "RoutingRule": (("routing.rule", "rule_id"),),
    "Campaign": (("campaigns.settings", "campaign_id"),),
    "CallGuide": (("guides.show", "guide_id"),),
    "User": (("team.user", "user_id"),),
    "OutboxEntry": (("outbox.entry", "entry_id"),),
    "WebhookEndpoint": (("outbox.webhook", "endpoint_id"),),
    "DefinitionVersion": (("scoring.proposal", "version_id"),),
}
SUBJECT_WORDS = {"Lead": "Lead", "Call": "Call", "Handoff": "Hand-off", "Campaign": "Campaign",
                 "CallGuide": "Call guide", "User": "User", "OutboxEntry": "Outbox row",
                 "WebhookEndpoint": "CRM endpoint", "DoNotCallEntry": "Do-not-call entry", "LeadList": "Lead list",
                 "DefinitionVersion": "Lead definition version"}


def subject_url(subject_type: str | None, subject_id: int | None) -> str | None:
    if not subject_type or subject_id is None:
        return None
    for endpoint, argument in SUBJECT_PAGES.get(subject_type, ()):
        if endpoint in current_app.view_functions:
            try:
                return path_for(endpoint, **{argument: subject_id})
            except BuildError:
                continue
    return None


def _rows(events: list[AuditEvent]) -> list[AuditRow]:
    """The events as the page shows them: names for people and leads (a few statements a page, not one a row)."""
    names = _user_names({event.actor_id for event in events}
                        | {event.subject_id for event in events if event.subject_type == "User"})
    lead_ids = {event.subject_id for event in events if event.subject_type == "Lead"}
    lead_ids |= {event.detail.get("lead_id") for event in events
                 if event.subject_type in ("Call", "Handoff") and isinstance(event.detail, dict)
                 and isinstance(event.detail.get("lead_id"), int)}
    lead_names = {lead_id: f"{first} {last}" for lead_id, first, last in db.session.execute(
        select(Lead.id, Lead.first_name, Lead.last_name).where(Lead.id.in_(lead_ids)))} if lead_ids else {}
    titles = {kind: _names_of(model, {event.subject_id for event in events if event.subject_type == kind})
              for kind, model in (("Campaign", Campaign), ("CallGuide", CallGuide))}
    titles.update({"User": names, "Lead": lead_names})
    rows = []
    for event in events:
        rows.append(AuditRow(event=event, actor_name=names.get(event.actor_id),
                             subject_label=_subject_label(event, titles),
                             subject_url=subject_url(event.subject_type, event.subject_id),
                             words=rules.action_words(event.action), detail=rules.compact_detail(event.detail)))
    return rows


def _names_of(model, ids: set) -> dict[int, str]:
    ids = {row_id for row_id in ids if row_id is not None}
    if not ids:
        return {}
    return {row_id: name for row_id, name in db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def _subject_label(event: AuditEvent, titles: dict[str, dict[int, str]]) -> str | None:
    """"Lead 12 · Pat Lee": the subject's kind and id, with its name when it has one (a call or hand-off: its
    lead's)."""
    if not event.subject_type:
        return None
    words = SUBJECT_WORDS.get(event.subject_type, event.subject_type)
    label = f"{words} {event.subject_id}" if event.subject_id is not None else words
    name = titles.get(event.subject_type, {}).get(event.subject_id)
    if name is None and event.subject_type in ("Call", "Handoff") and isinstance(event.detail, dict):
        name = titles["Lead"].get(event.detail.get("lead_id"))
    return f"{label} · {name}" if name else label
