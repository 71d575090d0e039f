"""How a request was made: the one test for whether htmx asked for a fragment instead of a page."""
from flask import request


def fragment_requested() -> bool:
    """htmx asked for a part of a page (not a boosted link or form, which wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def htmx_requested() -> bool:
    """Any request htmx made, boosted ones included (an error for it is shown in place, not as a page)."""
    return bool(request.headers.get("HX-Request"))
