"""How a request was made (is it htmx asking for a fragment?), and links that work outside a request."""
from flask import current_app, has_request_context, request, url_for


def fragment_requested() -> bool:
    """htmx asked for a part of a page (not a boosted link or form, which wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def htmx_requested() -> bool:
    """Any request htmx made, boosted ones included (an error for it is shown in place, not as a page)."""
    return bool(request.headers.get("HX-Request"))


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
