"""The API's services: tokens (made, listed, revoked, checked), the rate limit and idempotency keys, and each
endpoint's work through the areas' own services (the import's settling for leads, hand-offs' accept, reject
and progress, the reports, the do-not-call list). Every write is audited with the token's name, in the
write's own transaction."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from console.api import rules
from console.api.models import ApiToken, IdempotencyKey, RateWindow
from console.audit import services as audit
from console.auth.models import Role, User
from console.calls.services import answer_values
from console.campaigns.models import Campaign
from console.campaigns.rules import CampaignStatus
from console.clock import utcnow
from console.compliance.models import DoNotCallEntry
from console.compliance.rules import InvalidPhoneNumber, read_phone
from console.database import writers
from console.extensions import db
from console.handoffs import services as handoffs
from console.handoffs.models import Handoff
from console.handoffs.packet import iso, packet_document
from console.imports import rules as import_rules
from console.imports import services as imports
from console.leads import services as leads
from console.leads.models import Lead
from console.reports import rules as report_rules
from console.reports import services as reports


class ApiError(Exception):
    """A refusal the API answers with its status and the one error shape."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No {what} with that id is visible to this token.")


# ---------------------------------------------------------------- tokens

class TokenRefused(ValueError):
    """A token cannot be made as asked; the message says why, for people (and `field`, which input)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def create_token(email: str, name: str, days: int | None, actor: User | None) -> tuple[ApiToken, str]:
    """A new token for the user with this email: returns it with its secret, which is shown once and never
    stored (only its SHA-256). Audited."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise TokenRefused("Name the token (1 to 80 characters): the audit trail names its calls by it.", "name")
    now = utcnow()
    try:
        expires_at = rules.expiry(now, days)
    except ValueError as error:
        raise TokenRefused(str(error), "expires_days") from error
    secret = rules.new_secret()
    with writers.write_transaction(db.session):
        user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
        if user is None or not user.active:
            raise TokenRefused(f"No active user has the email {email!r}.", "email")
        token = ApiToken(name=name, user_id=user.id, token_hash=rules.secret_hash(secret),
                         prefix=secret[:rules.SHOWN_PREFIX], created_by_id=actor.id if actor else None,
                         created_at=now, expires_at=expires_at)
        db.session.add(token)
        db.session.flush()
        audit.record("api_token.created", token, actor=actor, name=name, user_email=user.email,
                     expires_at=iso(expires_at))
    return token, secret


def revoke_token(token_id: int, actor: User | None) -> ApiToken:
    """Stop a token working at once; audited. Revoking a revoked token changes nothing."""
    with writers.write_transaction(db.session):
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise TokenRefused("There is no such token.")
        if token.revoked_at is None:
            token.revoked_at, token.revoked_by_id = utcnow(), actor.id if actor else None
            audit.record("api_token.revoked", token, actor=actor, name=token.name, user_email=token.user.email)
    return token


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).options(joinedload(ApiToken.user))
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def token_by_id(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


@dataclass(frozen=True)
class Caller:
    """Who calls, as the request keeps it: plain values, so that no commit during the request reloads them."""

    token_id: int
    name: str  # the token's: the audit trail names its calls by it
    user_id: int
    user_email: str
    role: str

    def may(self, roles) -> bool:
        """Whether the token's user has one of these roles (an admin always has)."""
        return self.role == Role.ADMIN or self.role in roles

    def user(self) -> User:
        return db.session.get(User, self.user_id)


def authenticate(header: str | None) -> Caller:
    """The token of an `Authorization: Bearer` header, its user loaded; ApiError 401 when there is none, or it
    is unknown, revoked or expired, or its user is deactivated."""
    secret = rules.bearer_secret(header)
    if secret is None:
        raise ApiError(401, "unauthorized", "Send your API token as `Authorization: Bearer <token>`.")
    token = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == rules.secret_hash(secret)))
    if token is None:
        raise ApiError(401, "unauthorized", "This API token is not known.")
    problem = rules.token_problem(token.revoked_at, token.expires_at, token.user.active, utcnow())
    if problem:
        raise ApiError(401, "unauthorized", problem)
    return Caller(token.id, token.name, token.user_id, token.user.email, token.user.role)


def _upsert(table):
    return (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(table)


def epoch_now() -> float:
    """Seconds since the epoch: the rate limit's clock (shared by every host, like their databases' clocks)."""
    return time.time()


def count_request(caller: Caller, limit: int, *, epoch: float | None = None) -> None:
    """Count a request against the token's window (in the database: every worker on every host shares it),
    noting when the token was last used (once a window); ApiError 429 with Retry-After over the limit."""
    epoch = epoch_now() if epoch is None else epoch
    window = rules.rate_window(epoch)
    statement = _upsert(RateWindow.__table__).values(token_id=caller.token_id, window=window, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["token_id", "window"], set_={"count": RateWindow.__table__.c.count + 1}
    ).returning(RateWindow.__table__.c.count)
    with writers.write_transaction(db.session):
        count = db.session.execute(statement).scalar_one()
        if count == 1:
            db.session.execute(update(ApiToken).where(ApiToken.id == caller.token_id).values(last_used_at=utcnow())
                               .execution_options(synchronize_session=False))
    if count > limit:
        seconds = rules.retry_after(epoch)
        raise ApiError(429, "rate_limited", f"This token may make {limit} requests a minute: wait {seconds} s.",
                       headers={"Retry-After": str(seconds)})


# ---------------------------------------------------------------- idempotency keys

def replay(caller: Caller, key: str, request_hash: str) -> tuple[int, dict] | None:
    """The answer already given to this key within 24 hours (status, body), or None; ApiError 409 when the key
    was used for another request."""
    since = utcnow() - timedelta(hours=rules.IDEMPOTENCY_HOURS)
    kept = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.token_id == caller.token_id, IdempotencyKey.key == key, IdempotencyKey.created_at >= since))
    if kept is None:
        return None
    if kept.request_hash != request_hash:
        raise ApiError(409, "conflict", "This Idempotency-Key was used for another request in the last 24 hours.",
                       {"Idempotency-Key": "Use a new key for a new request."})
    return kept.status, kept.body


def remember(caller: Caller, key: str, request_hash: str, status: int, body: dict) -> None:
    """Keep the answer given to a key (the first answer wins when two requests race)."""
    since = utcnow() - timedelta(hours=rules.IDEMPOTENCY_HOURS)
    with writers.write_transaction(db.session):
        # A key kept longer than 24 hours is free again.
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.token_id == caller.token_id,
                                                        IdempotencyKey.key == key, IdempotencyKey.created_at < since))
        db.session.execute(_upsert(IdempotencyKey.__table__).values(
            token_id=caller.token_id, key=key, request_hash=request_hash, status=status, body=body, created_at=utcnow()
        ).on_conflict_do_nothing(index_elements=["token_id", "key"]))


def forget_old(now: datetime | None = None) -> dict:
    """Drop idempotency keys older than 24 hours and rate windows before the last two (the hourly job)."""
    now = now or utcnow()
    with writers.write_transaction(db.session):
        keys = db.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.created_at < now - timedelta(hours=rules.IDEMPOTENCY_HOURS))).rowcount
        windows = db.session.execute(delete(RateWindow).where(
            RateWindow.window < rules.rate_window(epoch_now()) - 2)).rowcount
    return {"idempotency_keys": keys, "rate_windows": windows}


# ---------------------------------------------------------------- leads

def lead_document(lead: Lead) -> dict:
    """A lead as the API shows it (schemas.LeadOut)."""
    return {
        "id": lead.id, "campaign_id": lead.campaign_id, "external_id": lead.external_id,
        "first_name": lead.first_name, "last_name": lead.last_name, "title": lead.title, "email": lead.email,
        "phone": lead.phone, "alternate_phone": lead.alternate_phone, "company": lead.account.name,
        "company_domain": lead.account.domain, "state": lead.state, "country": lead.country,
        "time_zones": [zone for zone in lead.time_zones.split(",") if zone], "source": lead.source,
        "buying_role": lead.buying_role,
        "fields": {str(key): str(value) for key, value in (lead.custom_fields or {}).items()},
        "stage": lead.stage, "do_not_call": lead.do_not_call, "score": lead.score, "band": lead.score_band,
        "scoring_model_version": lead.score_model_version, "answers": answer_values(lead),
        "created_at": iso(lead.created_at), "updated_at": iso(lead.updated_at),
    }


def lead_by_id(lead_id: int) -> Lead | None:
    return db.session.scalar(select(Lead).options(joinedload(Lead.account)).where(Lead.id == lead_id))


def lead_by_external_id(campaign_id: int, external_id: str) -> Lead | None:
    return db.session.scalar(select(Lead).options(joinedload(Lead.account)).where(
        Lead.campaign_id == campaign_id, Lead.external_id == external_id).order_by(Lead.id).limit(1))


@dataclass
class PushResult:
    """What became of one pushed lead."""

    status: int
    outcome: str  # created, updated, unchanged, duplicate, rejected
    lead_id: int | None = None
    suppressed: bool = False
    error: ApiError | None = None


_OUTCOMES = {import_rules.IMPORTED: (201, "created"), import_rules.SUPPRESSED: (201, "created"),
             import_rules.UPDATED: (200, "updated"), import_rules.DUPLICATE: (200, "unchanged")}
_CLOSED = (CampaignStatus.ENDED, CampaignStatus.ARCHIVED)


def _touch_rows(touches: list) -> list[dict]:
    return [{"kind": touch.kind, "description": (touch.detail or touch.kind)[:200], "occurred_at": touch.occurred_at,
             "url": touch.url, "campaign_id": touch.campaign_id} for touch in touches]


def push_leads(items: list, caller: Caller) -> list[PushResult]:
    """Create or update leads (schemas.LeadIn) through the import's reading and settling, in one transaction
    with their touches and one audit row naming the token. A row the import would reject is refused (422,
    with its field); a campaign that does not exist (422) or no longer takes leads (409) refuses its rows."""
    results: list[PushResult | None] = [None] * len(items)
    campaigns = {campaign.id: campaign for campaign in db.session.scalars(
        select(Campaign).where(Campaign.id.in_({item.campaign_id for item in items})))}
    closed = {campaign.id for campaign in campaigns.values() if campaign.status() in _CLOSED}
    keys_of = {campaign.id: [field["key"] for field in (campaign.custom_fields or []) if field.get("key")]
               for campaign in campaigns.values()}
    read: dict[int, list[tuple[int, dict]]] = {}
    for index, item in enumerate(items):
        campaign = campaigns.get(item.campaign_id)
        if campaign is None:
            results[index] = PushResult(422, "rejected", error=ApiError(
                422, "invalid", "There is no campaign with this id.", {"campaign_id": "No such campaign."}))
            continue
        if campaign.id in closed:
            results[index] = PushResult(409, "rejected", error=ApiError(
                409, "conflict", f"Campaign {campaign.name} is {campaign.status_label().lower()}: it takes no leads.",
                {"campaign_id": "This campaign no longer takes leads."}))
            continue
        custom_keys = keys_of[campaign.id]
        unknown = sorted(set(item.fields) - set(custom_keys))
        if unknown:
            results[index] = PushResult(422, "rejected", error=ApiError(
                422, "invalid", f"The campaign has no field {unknown[0]!r}.",
                {f"fields.{unknown[0]}": f"Not one of this campaign's fields: {', '.join(custom_keys) or 'none'}."}))
            continue
        cells, plan = rules.lead_cells(item.model_dump(), custom_keys)
        kind, _line, values = import_rules.read_row(index, cells, plan)
        if kind == import_rules.REJECTED:
            field_name = rules.rejection_field(values)
            message = values[:1].upper() + values[1:] + "."
            results[index] = PushResult(422, "rejected", error=ApiError(
                422, "invalid", message, {field_name or "lead": message}))
            continue
        values["external_id"] = item.external_id
        read.setdefault(item.campaign_id, []).append((index, values))
    if read:
        now = utcnow()
        with writers.write_transaction(db.session):
            counts = dict.fromkeys(("created", "updated", "unchanged", "duplicate"), 0)
            for campaign_id, rows in read.items():
                settled = imports.take_in_pushed_leads(campaign_id, [values for _index, values in rows], now=now)
                for (index, _values), (outcome, lead_id, reason) in zip(rows, settled):
                    if lead_id is None:  # repeats an earlier item of this request
                        results[index] = PushResult(409, "duplicate", error=ApiError(409, "conflict", reason[:1].upper()
                                                                                      + reason[1:] + "."))
                        counts["duplicate"] += 1
                        continue
                    status, word = _OUTCOMES[outcome]
                    results[index] = PushResult(status, word, lead_id, outcome == import_rules.SUPPRESSED)
                    counts[word] += 1
                    if items[index].touches:
                        leads.add_touches(lead_id, _touch_rows(items[index].touches))
            if len(items) == 1 and results[0].lead_id is not None:  # the lead is not loaded: one INSERT
                audit.write("api.lead_pushed", "Lead", results[0].lead_id, actor_id=caller.user_id,
                            actor_email=caller.user_email, token=caller.name, outcome=results[0].outcome,
                            external_id=items[0].external_id)
            else:
                audit.record("api.leads_pushed", actor=caller.user(), token=caller.name, items=len(items),
                             **counts)
    return results


def add_touches(lead: Lead, touches: list, caller: Caller) -> int:
    """Add marketing touches to a lead (a repeated touch is not added twice); audited with the token's name."""
    with writers.write_transaction(db.session):
        added = leads.add_touches(lead.id, _touch_rows(touches))
        audit.record("api.touches_added", lead, actor=caller.user(), token=caller.name, added=added,
                     sent=len(touches))
    return added


# ---------------------------------------------------------------- hand-offs

def handoff_page(user: User, *, status: str | None, since: datetime | None, after_id: int,
                 limit: int) -> tuple[list[dict], int | None]:
    """The hand-offs `user` may see (handoffs.services.visible_to), oldest first after `after_id`, each as its
    packet document; and the id the next page continues after (None on the last page)."""
    query = handoffs.visible_to(user, select(Handoff)).where(Handoff.id > after_id)
    if status:
        query = query.where(Handoff.status == status)
    if since is not None:
        query = query.where(Handoff.created_at >= since)
    found = list(db.session.scalars(query.order_by(Handoff.id).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return [packet_document(handoff) for handoff in found], (found[-1].id if more and found else None)


def visible_handoff(user: User, handoff_id: int) -> Handoff | None:
    return db.session.scalar(handoffs.visible_to(user, select(Handoff)).where(Handoff.id == handoff_id))


_STEPS = {"first_contact": "first-contact", "meeting": "meeting", "opportunity": "opportunity", "won": "won",
          "lost": "lost", "rating": "rating"}


def record_outcome(handoff: Handoff, user: User, body, caller: Caller) -> int | None:
    """What the CRM reports of a hand-off, through the console's own services (accept, reject, record_progress),
    joined in one transaction with the audit row naming the token. A hand-off not where the outcome needs it is
    ApiError 409; any other refusal 422. Returns a re-routed hand-off's successor id."""
    successor = None
    try:
        with writers.write_transaction(db.session):
            if body.outcome == "accepted":
                handoffs.accept(handoff, user)
            elif body.outcome == "rejected":
                new = handoffs.reject(handoff, user, handoffs.Rejection(
                    body.rejection_kind, body.comment, body.recall_on, body.disqualify))
                successor = new.id if new is not None else None
            else:
                handoffs.record_progress(handoff, user, handoffs.ProgressEntry(
                    _STEPS[body.outcome], contact_kind=body.contact_kind, amount_cents=body.amount_cents,
                    on=body.expected_close_on if body.outcome == "opportunity" else body.won_on,
                    lost_reason=body.lost_reason, note=body.comment, recall_on=body.recall_on, rating=body.rating))
            audit.record("api.handoff_outcome", handoff, actor=user, token=caller.name, outcome=body.outcome,
                         lead_id=handoff.lead_id)
    except handoffs.HandoffConflict as error:
        raise ApiError(409, "conflict", str(error)) from error
    except handoffs.HandoffError as error:
        raise ApiError(422, "invalid", str(error), {"outcome": str(error)}) from error
    return successor


# ---------------------------------------------------------------- campaigns and their report

def campaign_list() -> list[dict]:
    return [{"id": campaign.id, "name": campaign.name, "status": campaign.status(), "source": campaign.source,
             "start_date": campaign.start_date, "end_date": campaign.end_date, "budget_cents": campaign.budget_cents}
            for campaign in db.session.scalars(select(Campaign).order_by(Campaign.id))]


def campaign_by_id(campaign_id: int) -> Campaign | None:
    return db.session.get(Campaign, campaign_id)


def campaign_report(campaign: Campaign, start: date | None, end: date | None, attribution: str,
                    caller: Caller) -> dict:
    """The campaign report's figures (reports.services.campaign_report, as the page computes them) over the days
    asked, read in the token user's zone (schemas.CampaignReport)."""
    zone = reports.viewer_zone(caller.user())
    end = end or reports.today_in(zone)
    start = start or end - timedelta(days=29)
    problem = report_rules.range_problem(start, end)
    if problem:
        raise ApiError(422, "invalid", problem, {"from": problem})
    figures = reports.campaign_report(campaign, start, end, zone, attribution)
    return {"campaign_id": campaign.id, "from_": start, "to": end, "time_zone": zone, "attribution": attribution,
            **{name: getattr(figures, name) for name in (
                "dials", "connects", "conversations", "qualified", "handed_over", "accepted", "rejected",
                "follow_up_rate", "meetings", "opportunities", "won", "won_cents", "attributed_won",
                "attributed_won_cents", "average_rating", "budget_cents", "cost_per_qualified_cents",
                "cost_per_won_cents")},
            "rejected_by_kind": dict(figures.rejected_by_kind),
            "sla": [{"clock": clock, "side": reading.side, "applies": reading.applies, "breached": reading.breached,
                     "compliance": reading.compliance} for clock, reading in figures.clocks.items()]}


# ---------------------------------------------------------------- the do-not-call list

def _e164(raw: str, field: str) -> str:
    try:
        return read_phone(raw).e164
    except InvalidPhoneNumber as error:
        raise ApiError(422, "invalid", f"{raw[:40]!r} is not a valid phone number.",
                       {field: "Not a valid phone number."}) from error


def _scope(campaign_id: int | None) -> None:
    if campaign_id is not None and db.session.get(Campaign, campaign_id) is None:
        raise ApiError(422, "invalid", "There is no campaign with this id.", {"campaign_id": "No such campaign."})


def list_number(raw: str, campaign_id: int | None, reason: str, user: User, caller: Caller
                ) -> tuple[DoNotCallEntry, bool]:
    """Put a number on the do-not-call list (leads.services.list_number: out of every queue at once), audited
    with the token's name. Returns the entry and whether it was listed already."""
    phone = _e164(raw, "phone")
    _scope(campaign_id)
    with writers.write_transaction(db.session):
        entry = leads.list_number(phone, user, campaign_id=campaign_id, reason=reason.strip())
        already = entry is None
        if already:
            entry = _entry(phone, campaign_id)
        audit.record("api.do_not_call_added", entry, actor=user, token=caller.name, phone=phone,
                     already_listed=already)
    return entry, already


def _entry(phone: str, campaign_id: int | None) -> DoNotCallEntry | None:
    scope = DoNotCallEntry.campaign_id.is_(None) if campaign_id is None else DoNotCallEntry.campaign_id == campaign_id
    return db.session.scalar(select(DoNotCallEntry).where(DoNotCallEntry.phone == phone, scope)
                             .order_by(DoNotCallEntry.id).limit(1))


def unlist_number(raw: str, campaign_id: int | None, reason: str, user: User, caller: Caller) -> str:
    """Take a number's entry (global, or the campaign's) off the list (leads.services.unlist_number), audited with
    the token's name; ApiError 404 when it is not listed in that scope."""
    phone = _e164(raw, "number")
    entry = _entry(phone, campaign_id)
    if entry is None:
        raise ApiError(404, "not_found", "This number is not on the do-not-call list in that scope.")
    try:
        with writers.write_transaction(db.session):
            leads.unlist_number(entry.id, user, reason=reason)
            audit.record("api.do_not_call_removed", actor=user, token=caller.name, phone=phone,
                         campaign_id=campaign_id)
    except leads.DoNotCallRefused as error:
        raise ApiError(409, "conflict", str(error)) from error
    return phone


def entry_document(entry: DoNotCallEntry, already: bool) -> dict:
    return {"id": entry.id, "phone": entry.phone, "campaign_id": entry.campaign_id, "reason": entry.reason or "",
            "added_at": iso(entry.added_at), "already_listed": already}
