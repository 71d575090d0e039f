"""Access control, security headers and cookies, applied to every request in one place.

Every view declares who may use it with @allow(...) or @public. A view that
declares nothing is refused (fail closed), and tests/functional/test_access.py
walks every route with every role.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from console.web import htmx_requested

PUBLIC = "public"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


# Browser calling only (TWILIO_TWIML_APP_SID set): Twilio's Voice SDK signals over wss://voice-js.*.twilio.com,
# reports call quality to eventgw.*.twilio.com and plays its ring tones from sdk.twilio.com.
TWILIO_VOICE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "connect-src 'self'", "connect-src 'self' wss://*.twilio.com https://*.twilio.com"
) + "; media-src 'self' https://sdk.twilio.com"


def allow(*roles: str):
    """Let signed-in users with one of these roles (and admins) use the view."""

    def decorate(view):
        view.allowed_roles = frozenset(roles)
        return view

    return decorate


def public(view):
    view.allowed_roles = PUBLIC
    return view


def login_required_for_all(view):
    """Any signed-in user, whatever their role."""
    view.allowed_roles = frozenset(("*",))
    return view


def _enforce_access():
    if request.endpoint is None:
        return None  # 404 follows
    view = current_app.view_functions.get(request.endpoint)
    allowed = getattr(view, "allowed_roles", None)
    if request.endpoint == "static" or allowed == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.method == "GET" and not htmx_requested():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    if _lets_in(allowed):
        return None
    abort(403)  # undeclared views are closed to everyone


def _lets_in(allowed) -> bool:
    """Whether the signed-in user is one of the roles a view declared (PUBLIC and "*": everyone)."""
    if allowed is None:
        return False
    return allowed == PUBLIC or "*" in allowed or current_user.has_role(*allowed)


def may_use(endpoint: str) -> bool:
    """Whether the signed-in user may open this view: what a page asks before it links to one."""
    view = current_app.view_functions.get(endpoint)
    allowed = getattr(view, "allowed_roles", None)
    return allowed == PUBLIC or (current_user.is_authenticated and _lets_in(allowed))


def _set_security_headers(response):
    browser_calling = bool(current_app.config.get("TWILIO_TWIML_APP_SID"))
    response.headers.setdefault("Content-Security-Policy", TWILIO_VOICE_CONTENT_SECURITY_POLICY if browser_calling
                                else CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), geolocation=(), microphone=(self)")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.method == "GET":  # pages and their htmx fragments share URLs
        response.vary.add("HX-Request")
    return response


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def init_app(app: Flask) -> None:
    app.session_interface = HttpsAwareSessionInterface()
    app.before_request(_enforce_access)
    app.after_request(_set_security_headers)
    app.jinja_env.globals["may_use"] = may_use


def same_site_redirect(target: str | None, fallback: str) -> str:
    """Only follow ?next= within this site (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback
