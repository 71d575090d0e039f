"""The guide as the call screen draws it: a version's markup rendered once a process, each call's parts filled in.

templates/guides/_agent_guide.html draws a guide (on the call screen, in the editor's preview). On the call screen
all it draws depends on the version alone but for three things: the lead's merge fields (in the authored texts
that have them), the call's id (in its addresses and the guide's key) and the agent's mark on each objection.
So the template is rendered once per version with a slot for each of them, and each call fills the slots: its
authored texts filled for its lead (guides.rules.fill_authored, as rules.fill_guide fills them), its id, and each
objection's mark as the template draws it in that state (guides/_objection_state.html and _objection_mark.html,
each also rendered once per version, objection and state).

The pieces are kept in a Memo (console/database/snapshots.py) keyed by everything they depend on: the version's
content hash and number, the scoring model, whether the viewer may mark, and the site's address root. A version
never changes, so the memo is never stale. When the templates reload (debug), nothing is kept.
"""
from __future__ import annotations

import re

from flask import current_app, request
from markupsafe import Markup

from console.database.snapshots import Memo
from console.guides import rules, services

# Two call ids drawn in place of the real one: a page drawn with either splits at its id into the same pieces,
# or it is not used (some authored text holds the digits) and the guide is drawn whole for each call.
_PLACEHOLDER_IDS = (1999999937, 1899999971)
_SLOT = re.compile("\x00(\\d+)\x00")  # a slot in the drawn page (NUL: never in a page, never in stored text)
_CALL_ID = object()  # where the call's id goes

# The objection's mark states, and how each is in `marks` (guides.services.marks_for).
_MARK_STATES = {"unmarked": None, "raised": None, "worked": True, "failed": False}

_pages = Memo(limit=200)


class _Slots:
    """What the template asks for in place of per-call markup (`slots` in _objection_results.html)."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, object]] = []

    def add(self, kind: str, value) -> Markup:
        self.taken.append((kind, value))
        return Markup(f"\x00{len(self.taken) - 1}\x00")

    def state(self, objection: dict) -> Markup:
        return self.add("state", objection["id"])

    def mark(self, objection: dict) -> Markup:
        return self.add("mark", objection["id"])


def _render(name: str, **context) -> str:
    # Not render_template: these pieces have no page context (top bar, context processors).
    return current_app.jinja_env.get_template(name).render(**context)


def _parametric(draw) -> list | None:
    """`draw(call_id)` drawn for two ids, as pieces: strings and _CALL_ID where the id goes (None: it cannot be)."""
    splits = []
    for placeholder in _PLACEHOLDER_IDS:
        drawn = draw(placeholder)
        splits.append(drawn.split(str(placeholder)))
    if splits[0] != splits[1]:
        return None
    pieces: list = []
    for index, text in enumerate(splits[0]):
        if index:
            pieces.append(_CALL_ID)
        if text:
            pieces.append(text)
    return pieces


def _mark_variants(objection: dict, can_mark: bool) -> dict | None:
    """Each state's markup for one objection's summary badge and (if the viewer may mark) its mark buttons."""
    variants = {}
    for state, worked in _MARK_STATES.items():
        marks = {} if state == "unmarked" else {objection["id"]: worked}
        badge = _render("guides/_objection_state.html", objection=objection, marks=marks, oob=False)
        buttons = _parametric(lambda call_id: _render("guides/_objection_mark.html", objection=objection,
                                                      marks=marks, call_id=call_id, oob=False, error=None,
                                                      can_mark=True)) if can_mark else []
        if buttons is None:
            return None
        variants[state] = (badge, buttons)
    return variants


def _draw_version(prepared: dict, version_number: int, can_mark: bool) -> list | None:
    """The version's page as pieces: strings, _CALL_ID, and (kind, value) slots (None: it cannot be cut)."""
    drawn = []
    for placeholder in _PLACEHOLDER_IDS:
        slots = _Slots()
        guide = rules.fill_guide(prepared, {}, fill=lambda part, _values: part if isinstance(part, str)
                                 else slots.add("html", part))
        guide["call_id"] = placeholder
        text = _render("guides/_agent_guide.html", guide=guide, mode="call", slots=slots, can_mark=can_mark,
                       guide_key=f"call-{placeholder}-v{version_number}")
        parts = _SLOT.split(text)
        if sorted(int(index) for index in parts[1::2]) != list(range(len(slots.taken))):
            return None  # a NUL in the page where no slot was put, or a slot the page did not draw
        drawn.append((parts, slots.taken))
    (first, taken), (second, _) = drawn
    pieces: list = []
    for index, part in enumerate(first):
        if index % 2:
            kind, value = taken[int(part)]
            if kind == "html":
                pieces.append(("html", value, None))
            else:
                variants = _mark_variants(next(item for item in prepared["objections"] if item["id"] == value),
                                          can_mark)
                if variants is None:
                    return None
                pieces.append((kind, value, {state: pair[0 if kind == "state" else 1] for state, pair in variants.items()}))
        else:
            ids = (part.split(str(_PLACEHOLDER_IDS[0])), second[index].split(str(_PLACEHOLDER_IDS[1])))
            if ids[0] != ids[1]:
                return None
            for at, text in enumerate(ids[0]):
                if at:
                    pieces.append(_CALL_ID)
                if text:
                    pieces.append(text)
    return pieces


def _state_of(marks: dict, objection_id: str) -> str:
    if objection_id not in marks:
        return "unmarked"
    worked = marks[objection_id]
    return "raised" if worked is None else "worked" if worked is True else "failed"


def call_guide(call, *, can_mark: bool) -> dict | None:
    """The guide of this call as its screen shows it: name, version number and its markup (`html`) for the
    call's lead and agent and with the call's objection marks (None if the call has no guide)."""
    version = call.guide_version
    if version is None:
        return None
    prepared = services.prepared_guide(version)
    values = services.merge_values(call.lead, call.agent, call.lead.campaign)
    marks = services.marks_for(call)
    key = (version.content_hash, services.current_model(), version.number, can_mark, request.script_root)
    pieces = None if current_app.jinja_env.auto_reload else _pages.get(key)
    if pieces is None:
        pieces = _draw_version(prepared, version.number, can_mark) or ()
        if not current_app.jinja_env.auto_reload:
            _pages.remember(key, pieces)
    if pieces:
        html = Markup("".join(_fill(pieces, str(call.id), values, marks)))
    else:  # the page could not be cut into pieces: drawn whole
        guide = rules.fill_guide(prepared, values)
        guide.update(call_id=call.id, marks=marks)
        html = Markup(_render("guides/_agent_guide.html", guide=guide, mode="call", can_mark=can_mark,
                              guide_key=f"call-{call.id}-v{version.number}"))
    return {"name": prepared["name"], "version_number": version.number, "call_id": call.id, "html": html}


def _fill(pieces: list, call_id: str, values: dict, marks: dict):
    for piece in pieces:
        if piece.__class__ is str:
            yield piece
        elif piece is _CALL_ID:
            yield call_id
        else:
            kind, value, variants = piece
            if kind == "html":
                yield rules.fill_authored(value, values)
            elif kind == "state":
                yield variants[_state_of(marks, value)]
            else:
                for part in variants[_state_of(marks, value)]:
                    yield call_id if part is _CALL_ID else part
