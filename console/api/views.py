"""The JSON API under /api/v1: token auth, the rate limit, bodies read into pydantic models, idempotency keys,
one error shape for every failure; the OpenAPI 3.1 document generated (spectree) from the same models.

CSRF-exempt (a token, never a cookie, authorises a call). Every view is `public` to the session-based access
check: `api_roles` says which token users may call it (admins always may), checked here.
"""
from __future__ import annotations

import json
import logging
import re
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from console.api import rules, schemas, services
from console.api.services import ApiError
from console.auth.models import Role
from console.extensions import db
from console.security import public

log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

S, M = Role.SALES, Role.MARKETING

spec = SpecTree(
    "flask", mode="strict", annotations=False, title="Teleprospecting console API", version="1",
    description="Leads and touches in, hand-offs and their outcomes out. Every error is "
                '`{"error": {"code", "message", "fields"}}`. Send the token as `Authorization: Bearer <token>`; '
                "bodies are JSON (`Content-Type: application/json`), at most "
                f"{rules.MAX_BODY_BYTES // 1024 // 1024} MB. "
                "A token may make API_RATE_LIMIT_PER_MINUTE requests a minute (600 unless configured); over it "
                "the answer is 429 with Retry-After. A POST sent with an `Idempotency-Key` header is answered "
                "once: the same key with the same body within 24 hours gets the first answer again.",
    path="api/v1/_spectree",  # spectree's own pages are not served (see openapi_document)
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    security={"bearer": []},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)

ERRORS = {"HTTP_401": schemas.ErrorResponse, "HTTP_403": schemas.ErrorResponse, "HTTP_429": schemas.ErrorResponse}
BODY_ERRORS = {"HTTP_400": schemas.ErrorResponse, "HTTP_413": schemas.ErrorResponse,
               "HTTP_415": schemas.ErrorResponse, "HTTP_422": schemas.ErrorResponse}

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


# ---------------------------------------------------------------- reading the request

def _clean(value):
    """JSON or query text the database can store: NULs and lone surrogates removed (neither SQLite's nor
    PostgreSQL's drivers take them)."""
    if isinstance(value, str):
        if value.isascii():
            return value.replace("\x00", "")
        return value.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _fields(error: ValidationError, prefix: str = "") -> dict[str, str]:
    fields = {}
    for problem in error.errors(include_url=False):
        name = ".".join(str(part) for part in problem["loc"]) or "body"
        fields.setdefault(prefix + name, problem["msg"])
    return fields


def _invalid(fields: dict[str, str]) -> ApiError:
    first = next(iter(fields.items()))
    return ApiError(422, "invalid", f"{first[0]}: {first[1]}", fields)


def _read_json(model: type[BaseModel]):
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)  # over request.max_content_length: RequestEntityTooLarge (413)
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, "bad_json", "The body is not valid JSON.") from error
    try:
        return model.model_validate(_clean(document))
    except ValidationError as error:
        raise _invalid(_fields(error)) from None


def _read_query(model: type[BaseModel]):
    try:
        return model.model_validate({_clean(key): _clean(value) for key, value in request.args.items()})
    except ValidationError as error:
        raise _invalid(_fields(error)) from None


def _answer(model: type[BaseModel], document: dict, status: int = 200):
    """The response, checked against its model (a document that broke its schema would be our bug: 500)."""
    return jsonify(model.model_validate(document).model_dump(mode="json", by_alias=True)), status


def endpoint(*roles: str, json: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             answers: dict | None = None, open_to_all: bool = False, idempotent: bool = False, **documented):
    """An API view: documented in the OpenAPI document (its body, query and answers), given its parsed body
    and query as `body=` and `args=`, refused (403) to a token whose user has none of `roles` (admins always
    pass), and replaying its answer to a repeated Idempotency-Key when `idempotent`."""
    responses = dict(answers or {})
    if not open_to_all:
        responses.update(ERRORS)
    if json is not None:
        responses.update(BODY_ERRORS)
    if query is not None:
        responses["HTTP_422"] = schemas.ErrorResponse
    if open_to_all:
        documented["security"] = {}

    def decorate(view):
        @wraps(view)
        def run(**kwargs):
            if not open_to_all and not g.api_caller.may(roles):
                raise ApiError(403, "forbidden", "This token's user may not do this.")
            key = request.headers.get("Idempotency-Key") if idempotent else None
            if key is not None:
                problem = rules.idempotency_key_problem(key)
                if problem:
                    raise ApiError(422, "invalid", problem, {"Idempotency-Key": problem})
                fingerprint = rules.request_hash(request.method, request.path, request.get_data(cache=True))
                kept = services.replay(g.api_caller, key, fingerprint)
                if kept is not None:
                    response = jsonify(kept[1])
                    response.headers["Idempotent-Replayed"] = "true"
                    return response, kept[0]
            if json is not None:
                kwargs["body"] = _read_json(json)
            if query is not None:
                kwargs["args"] = _read_query(query)
            response, status = view(**kwargs)
            if key is not None and 200 <= status < 300:
                services.remember(g.api_caller, key, fingerprint, status, response.get_json())
            return response, status

        run.allowed_roles = public(view).allowed_roles  # the session check lets it through: the token decides
        run.api_open = open_to_all
        run.api_roles = frozenset(roles)
        return spec.validate(json=json, query=query, resp=Response(**responses), skip_validation=True,
                             **documented)(run)

    return decorate


@blueprint.before_request
def _authenticate():
    request.max_content_length = rules.MAX_BODY_BYTES
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_open", False):
        return None
    caller = services.authenticate(request.headers.get("Authorization"))
    g.api_caller = caller
    limit = int(current_app.config.get("API_RATE_LIMIT_PER_MINUTE") or rules.DEFAULT_RATE_LIMIT)
    services.count_request(caller, limit)  # every service is given the token's user: no session, no cookie
    return None


@blueprint.errorhandler(Exception)
def _error(error):
    """Every failure in the one JSON shape: refusals with their status, HTTP errors with theirs, a database
    that cannot answer 503, anything else 500 (logged)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.exception("Could not roll back the API request's session")
    headers = {}
    if isinstance(error, ApiError):
        status, code, message, fields, headers = error.status, error.code, error.message, error.fields, error.headers
    elif isinstance(error, HTTPException):
        status = error.code or 500
        code, message, fields = _CODES.get(status, "error"), error.description or error.name, {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        if status == 413:
            message = f"The body is larger than {rules.MAX_BODY_BYTES:,} bytes."
    elif isinstance(error, OperationalError):
        log.exception("The database did not answer an API request")
        status, code, message, fields = 503, "unavailable", "The database is busy or unavailable: try again.", {}
        headers["Retry-After"] = "5"
    else:
        log.exception("API request failed")
        status, code, message, fields = 500, "internal_error", "Something went wrong on our side.", {}
    response = jsonify(error={"code": code, "message": message, "fields": fields})
    response.headers.update(headers)
    return response, status


# Flask asks for a handler by status code before it asks by class, across the blueprint and the app: the app's
# HTML error pages (console/errors.py) would answer these codes unless the blueprint names them too.
for _status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500):
    blueprint.register_error_handler(_status, _error)


# ---------------------------------------------------------------- the hello world and the document

@blueprint.get("/ping")
@endpoint(open_to_all=True, answers={"HTTP_200": schemas.Pong}, tags=["service"])
def ping():
    """The API answers (no token needed)

    A JSON hello world: the floor the benchmark measures the other endpoints against."""
    return jsonify(status="ok"), 200


@blueprint.get("/openapi.json")
@endpoint(open_to_all=True, answers={"HTTP_200": None}, tags=["service"])
def openapi():
    """This document (OpenAPI 3.1; no token needed)"""
    return jsonify(openapi_document()), 200


def openapi_document() -> dict:
    """The OpenAPI document of the API as spectree generates it from the views and models, with each path
    argument's type (spectree does not know the console's `<id:...>` converter)."""
    document = json.loads(json.dumps(spec.spec))  # a copy, with spectree's enums as their values
    # spectree documents its own 422 (ValidationError) wherever a path has arguments; the API's 422 is an
    # ErrorResponse, and only where a body or a query is read.
    for operations in document["paths"].values():
        for operation in operations.values():
            answer = operation["responses"].get("422", {})
            if "ValidationError" in json.dumps(answer):
                del operation["responses"]["422"]
    for name in [name for name in document["components"]["schemas"] if name.startswith("ValidationError")]:
        del document["components"]["schemas"][name]
    roles = _roles_by_operation()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (path, method) in roles:
                operation["x-roles"] = roles[(path, method)]
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") == "path" and not parameter.get("schema"):
                    parameter["schema"] = ({"type": "integer", "minimum": 0, "maximum": 2 ** 31 - 1}
                                           if parameter["name"].endswith("_id") else {"type": "string"})
    return document


def _roles_by_operation() -> dict[tuple[str, str], list[str]]:
    """Who may call each operation, (OpenAPI path, method) → roles: the token users its view lets in."""
    found = {}
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        if not rule.endpoint.startswith("api.") or not hasattr(view, "api_roles"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        words = ["anyone"] if view.api_open else sorted({*view.api_roles, Role.ADMIN})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = words
    return found


# ---------------------------------------------------------------- leads

def _lead_or_404(lead_id: int):
    lead = services.lead_by_id(lead_id)
    if lead is None:
        raise services.not_found("lead")
    return lead


@blueprint.post("/leads")
@endpoint(M, json=schemas.LeadIn, idempotent=True, answers={
    "HTTP_200": schemas.LeadUpsertOut, "HTTP_201": schemas.LeadUpsertOut, "HTTP_409": schemas.ErrorResponse},
    tags=["leads"])
def push_lead(body: schemas.LeadIn):
    """Create or update a lead by its external id in a campaign

    Read, de-duplicated and checked against the do-not-call list as a CSV import row is (a lead of the campaign
    with the same external id, else phone, else email is updated). 201 when created, 200 when updated or
    unchanged (a repeated request changes nothing)."""
    result = services.push_leads([body], g.api_caller)[0]
    if result.error is not None:
        raise result.error
    return _answer(schemas.LeadUpsertOut, {
        "outcome": result.outcome, "suppressed": result.suppressed,
        "lead": services.lead_document(services.lead_by_id(result.lead_id))}, result.status)


@blueprint.post("/leads:batch")
@endpoint(M, json=schemas.LeadBatchIn, idempotent=True, answers={"HTTP_200": schemas.LeadBatchOut}, tags=["leads"])
def push_leads(body: schemas.LeadBatchIn):
    """Create or update up to 1,000 leads, with a result per lead

    Each lead as `POST /leads` takes it; one refused lead does not stop the others (its result says why)."""
    results = services.push_leads(body.leads, g.api_caller)
    items = [{"index": index, "status": result.status, "outcome": result.outcome, "lead_id": result.lead_id,
              "error": {"code": result.error.code, "message": result.error.message, "fields": result.error.fields}
              if result.error else None} for index, result in enumerate(results)]
    counts = {word: sum(1 for result in results if result.outcome == word) for word in ("created", "updated",
                                                                                          "unchanged")}
    return _answer(schemas.LeadBatchOut, {**counts, "refused": len(results) - sum(counts.values()),
                                          "results": items})


@blueprint.get("/leads")
@endpoint(M, S, query=schemas.LeadQuery, answers={"HTTP_200": schemas.LeadOut, "HTTP_404": schemas.ErrorResponse},
          tags=["leads"])
def find_lead(args: schemas.LeadQuery):
    """The lead with this external id in this campaign"""
    lead = services.lead_by_external_id(args.campaign_id, args.external_id)
    if lead is None:
        raise ApiError(404, "not_found", "No lead of this campaign has this external id.")
    return _answer(schemas.LeadOut, services.lead_document(lead))


@blueprint.get("/leads/<id:lead_id>")
@endpoint(M, S, answers={"HTTP_200": schemas.LeadOut, "HTTP_404": schemas.ErrorResponse}, tags=["leads"])
def lead(lead_id: int):
    """A lead: contact data, stage, score, band, the scoring model's version and the answers"""
    return _answer(schemas.LeadOut, services.lead_document(_lead_or_404(lead_id)))


@blueprint.post("/leads/<id:lead_id>/touches")
@endpoint(M, json=schemas.TouchesIn, idempotent=True, answers={
    "HTTP_201": schemas.TouchesOut, "HTTP_404": schemas.ErrorResponse}, tags=["leads"])
def add_touches(lead_id: int, body: schemas.TouchesIn):
    """Add marketing touches to a lead (kind, occurred_at, detail, url)

    A touch the lead already has (same kind, time, detail and url) is not added again."""
    lead = _lead_or_404(lead_id)
    added = services.add_touches(lead, body.touches, g.api_caller)
    return _answer(schemas.TouchesOut, {"added": added,
                                        "lead": services.lead_document(services.lead_by_id(lead_id))}, 201)


# ---------------------------------------------------------------- hand-offs

@blueprint.get("/handoffs")
@endpoint(S, query=schemas.HandoffQuery, answers={"HTTP_200": schemas.HandoffPage}, tags=["hand-offs"])
def handoffs(args: schemas.HandoffQuery):
    """Hand-offs this token's user may see, oldest first, each with its full packet

    Pages of `limit`; pass `next_cursor` as `cursor` for the next one."""
    after = 0
    if args.cursor:
        after = rules.read_cursor(args.cursor)
        if after is None:
            raise _invalid({"cursor": "Not a cursor this API gave."})
    documents, last = services.handoff_page(g.api_caller.user(), status=args.status, since=args.since,
                                            after_id=after, limit=args.limit)
    return _answer(schemas.HandoffPage, {"handoffs": documents,
                                         "next_cursor": rules.cursor_for(last) if last is not None else None})


@blueprint.post("/handoffs/<id:handoff_id>/outcome")
@endpoint(S, json=schemas.OutcomeIn, idempotent=True, answers={
    "HTTP_200": schemas.OutcomeOut, "HTTP_404": schemas.ErrorResponse, "HTTP_409": schemas.ErrorResponse},
    tags=["hand-offs"])
def outcome(handoff_id: int, body: schemas.OutcomeIn):
    """Post what became of a hand-off: accepted, rejected, first contact, meeting, opportunity, won, lost, rating

    Through the same services as the console; 409 when the hand-off is not where the outcome needs it (decided
    already, a step out of order), 422 for what is missing or refused."""
    handoff = services.visible_handoff(g.api_caller.user(), handoff_id)
    if handoff is None:
        raise services.not_found("hand-off")
    missing = body.missing()
    if missing:
        raise _invalid(missing)
    successor = services.record_outcome(handoff, g.api_caller.user(), body, g.api_caller)
    handoff = services.visible_handoff(g.api_caller.user(), handoff_id) or handoff
    return _answer(schemas.OutcomeOut, {"handoff": services.packet_document(handoff), "new_handoff_id": successor})


# ---------------------------------------------------------------- campaigns

@blueprint.get("/campaigns")
@endpoint(M, S, answers={"HTTP_200": schemas.CampaignList}, tags=["campaigns"])
def campaigns():
    """Every campaign, with its status"""
    return _answer(schemas.CampaignList, {"campaigns": services.campaign_list()})


@blueprint.get("/campaigns/<id:campaign_id>/report")
@endpoint(M, query=schemas.ReportQuery, answers={
    "HTTP_200": schemas.CampaignReport, "HTTP_404": schemas.ErrorResponse}, tags=["campaigns"])
def campaign_report(campaign_id: int, args: schemas.ReportQuery):
    """A campaign's report over a range of days: the funnel from dials to won revenue, follow-up and SLA"""
    if args.from_ and args.to and args.to < args.from_:
        raise _invalid({"to": "The last day comes before the first (from)."})
    campaign = services.campaign_by_id(campaign_id)
    if campaign is None:
        raise services.not_found("campaign")
    return _answer(schemas.CampaignReport, services.campaign_report(campaign, args.from_, args.to, args.attribution,
                                                                    g.api_caller))


# ---------------------------------------------------------------- the do-not-call list (admins)

@blueprint.post("/do-not-call")
@endpoint(json=schemas.DoNotCallIn, idempotent=True, answers={
    "HTTP_200": schemas.DoNotCallOut, "HTTP_201": schemas.DoNotCallOut}, tags=["do-not-call"])
def list_number(body: schemas.DoNotCallIn):
    """Put a number on the do-not-call list (admin tokens)

    Every lead with the number (in the campaign, or everywhere) leaves the queue at once. 201 when listed, 200
    when it was listed already."""
    entry, already = services.list_number(body.phone, body.campaign_id, body.reason, g.api_caller.user(), g.api_caller)
    return _answer(schemas.DoNotCallOut, services.entry_document(entry, already), 200 if already else 201)


@blueprint.delete("/do-not-call/<number>")
@endpoint(query=schemas.DoNotCallRemoval, answers={
    "HTTP_200": schemas.Removed, "HTTP_404": schemas.ErrorResponse, "HTTP_409": schemas.ErrorResponse},
    tags=["do-not-call"])
def unlist_number(number: str, args: schemas.DoNotCallRemoval):
    """Take a number off the do-not-call list, saying why (admin tokens)

    `campaign_id` names a campaign's own list; without it, the global list."""
    phone = services.unlist_number(_clean(number), args.campaign_id, args.reason, g.api_caller.user(), g.api_caller)
    return _answer(schemas.Removed, {"removed": True, "phone": phone})


# ---------------------------------------------------------------- anything else under /api/v1

@blueprint.before_app_request
def _unrouted():
    """JSON for a path or method under /api/v1 the API does not have: the router's 404 and 405 belong to no
    blueprint, so the app's HTML error pages would answer them."""
    if request.routing_exception is not None and request.path.startswith(blueprint.url_prefix + "/"):
        return _error(request.routing_exception)
    return None
