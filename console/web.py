"""How a request was made (is it htmx asking for a fragment?), the record a route shows if its user may see it,
and links that work outside a request."""
from flask import abort, current_app, has_request_context, request, url_for
from flask_login import current_user

from console.extensions import db


def fragment_requested() -> bool:
    """htmx asked for a part of a page (not a boosted link or form, which wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def htmx_requested() -> bool:
    """Any request htmx made, boosted ones included (an error for it is shown in place, not as a page)."""
    return bool(request.headers.get("HX-Request"))


def visible_or_abort(model, row_id: int, options=()):
    """The row a route shows: 404 when there is none, 403 when its `visible_to(user)` says this user may not see it.

    `options`: loader options for the statement that reads it (what the page shows of it, in the same statement).
    """
    row = db.get_or_404(model, row_id, options=options)
    if not row.visible_to(current_user):
        abort(403)
    return row


def path_for(endpoint: str, **values) -> str:
    """A console path, in a request or not (a service run by a command or the worker)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_url_for(endpoint: str, **values) -> str:
    """A link for an email: PUBLIC_BASE_URL when set, else the address this request came to."""
    base = current_app.config.get("PUBLIC_BASE_URL") or (request.host_url if has_request_context()
                                                          else "http://127.0.0.1:5000")
    return base.rstrip("/") + path_for(endpoint, **values)
