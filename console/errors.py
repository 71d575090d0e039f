"""Error pages: HTML for people, JSON for the API, a message fragment for htmx."""
from flask import Blueprint, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from console.web import htmx_requested

blueprint = Blueprint("errors", __name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in.",
    403: "You do not have access to this page.",
    404: "Nothing here.",
    405: "That action is not allowed here.",
    409: "Someone changed this in the meantime.",
    429: "Too many attempts. Wait a few minutes and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost; try again.",
}


def _render(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, "Error")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=status), status
    if htmx_requested():
        return render_template("errors/_message.html", status=status, message=message), status
    return render_template("errors/error.html", status=status, message=message), status


@blueprint.app_errorhandler(CSRFError)
def csrf_error(error):
    return _render(400, "Your session form expired or was tampered with. Reload the page and try again.")


@blueprint.app_errorhandler(400)
@blueprint.app_errorhandler(401)
@blueprint.app_errorhandler(403)
@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
@blueprint.app_errorhandler(409)
@blueprint.app_errorhandler(429)
@blueprint.app_errorhandler(500)
def http_error(error):
    status = getattr(error, "code", None) or 500
    # abort(409, "…") carries a message meant for the user; werkzeug's defaults are not.
    custom = getattr(error, "description", None)
    if custom == getattr(type(error), "description", None):
        custom = None
    return _render(status, custom)
