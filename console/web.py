"""How a request was made (is it htmx asking for a fragment?), the record a route shows if its user may see it,
context processors that never break a page, and links that work outside a request."""
import functools
import logging

from flask import abort, current_app, has_request_context, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

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


def never_raises(processor):
    """A context processor that cannot break the page it draws (an error page included): when it fails, its values
    are left out, the failure is logged, and a database error leaves the session rolled back for the rest."""
    log = logging.getLogger(processor.__module__)

    @functools.wraps(processor)
    def guarded():
        try:
            return processor()
        except Exception as error:  # noqa: BLE001  (a page without the top bar's extras beats no page)
            log.exception("Context processor %s failed; the page is drawn without it", processor.__name__)
            if isinstance(error, SQLAlchemyError):
                try:
                    db.session.rollback()
                except SQLAlchemyError:
                    log.exception("Rolling back after %s failed too", processor.__name__)
            return {}

    return guarded


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
