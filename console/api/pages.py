"""The API's pages in the console: the admin's tokens (list, create with the secret shown once, revoke) and the
reference page, drawn from the same OpenAPI document the API serves."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from console.api import rules, services
from console.api.forms import TokenForm
from console.api.views import openapi_document
from console.auth.models import Role
from console.clock import utcnow
from console.security import allow

blueprint = Blueprint("api_pages", __name__, url_prefix="/admin/api")


def _render_tokens(form: TokenForm, status: int = 200):
    return render_template("api/tokens.html", tokens=services.all_tokens(), form=form, now=utcnow()), status


@blueprint.get("/tokens")
@allow(Role.ADMIN)
def tokens():
    return _render_tokens(TokenForm())


@blueprint.post("/tokens")
@allow(Role.ADMIN)
def create_token():
    form = TokenForm()
    if not form.validate():
        return _render_tokens(form, 422)
    try:
        token, secret = services.create_token(form.email.data, form.name.data, form.expires_days.data,
                                              current_user._get_current_object())
    except services.TokenRefused as refusal:
        getattr(form, refusal.field or "name").errors = [str(refusal)]
        return _render_tokens(form, 422)
    response = render_template("api/token_created.html", token=token, secret=secret)
    return response, 200, {"Cache-Control": "no-store"}  # the secret is in this page only


@blueprint.post("/tokens/<id:token_id>/revoke")
@allow(Role.ADMIN)
def revoke_token(token_id: int):
    try:
        token = services.revoke_token(token_id, current_user._get_current_object())
    except services.TokenRefused:
        abort(404)
    flash(f"Token {token.name} revoked: its calls are refused from now on.", "success")
    return redirect(url_for("api_pages.tokens"), code=303)


@blueprint.get("/reference")
@allow(Role.MARKETING, Role.SALES)
def reference():
    """The API reference for people: every operation of the OpenAPI document, its parameters, body and answers."""
    document = openapi_document()
    return render_template("api/reference.html", document=document, operations=rules.reference_operations(document),
                           models=rules.models_used(document))
