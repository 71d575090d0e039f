"""Error pages: HTML for people, JSON for the API, a message fragment for htmx; drawn on a clean session."""
import logging

from flask import Blueprint, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from console.extensions import db
from console.web import htmx_requested

log = logging.getLogger(__name__)

blueprint = Blueprint("errors", __name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in.",
    403: "You do not have access to this page.",
    404: "Nothing here.",
    405: "That action is not allowed here.",
    409: "Someone changed this in the meantime.",
    413: "The file is larger than the console accepts (IMPORT_MAX_MEGABYTES). Split it and upload the parts.",
    429: "Too many attempts. Wait a few minutes and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost; try again.",
}


def _render(status: int, message: str | None = None):
    _roll_back()
    message = message or MESSAGES.get(status, "Error")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=status), status
    if htmx_requested():
        return render_template("errors/_message.html", status=status, message=message), status
    return render_template("errors/error.html", status=status, message=message), status


def _roll_back() -> None:
    """Whatever the failed request left in its session is rolled back before the page is drawn: after a failed
    flush the session refuses every query until then (PendingRollbackError), the top bar's included. Nothing is
    lost: services commit their own transactions, and a request's session is never committed after a view."""
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the database is gone: the page is drawn all the same (context processors: never_raises)
        log.exception("Could not roll back the session before drawing an error page")


@blueprint.app_errorhandler(CSRFError)
def csrf_error(error):
    return _render(400, "Your session form expired or was tampered with. Reload the page and try again.")


@blueprint.app_errorhandler(400)
@blueprint.app_errorhandler(401)
@blueprint.app_errorhandler(403)
@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
@blueprint.app_errorhandler(409)
@blueprint.app_errorhandler(413)
@blueprint.app_errorhandler(429)
@blueprint.app_errorhandler(500)
def http_error(error):
    status = getattr(error, "code", None) or 500
    # abort(409, "…") carries a message meant for the user; werkzeug's defaults are not.
    custom = getattr(error, "description", None)
    if custom == getattr(type(error), "description", None):
        custom = None
    return _render(status, custom)
