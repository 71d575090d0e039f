"""No input gives a server error: every route in the access table, walked with malformed values for each of its
URL parameters, query parameters and form fields, signed in with a role allowed on it and with a valid CSRF token
(Twilio's webhooks: with a valid signature), on whichever database the suite runs on. Any 5xx fails.

The form fields of a route are read from the WTForms forms its view builds (`_form_fields`), not listed by hand.
"""
from __future__ import annotations

import inspect
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wtforms import FieldList, FormField
from wtforms.form import BaseForm

from console.auth.models import Role
from console.forms import DATABASE_INT_MAX
from console.telephony.testing import signed_post
from tests.conftest import csrf_token_from
from tests.functional.test_access import OWNER_ONLY, POST_BODIES, ROUTES, world  # noqa: F401  (world: a fixture)

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

# Examples per route: ~75 routes on each database, so the whole walk stays within seconds a route.
EXAMPLES_PER_ROUTE = 12

# Query parameters the console's views read (request.args, int_arg, filter forms); each route is sent some.
QUERY_NAMES = ("version", "from", "to", "phase", "shown", "stats_period", "period", "q", "next", "phone_call",
               "family", "status", "kind", "archived", "user", "lead", "action", "role", "before", "campaign",
               "outcome", "stage", "band", "list", "scope", "source", "page", "cursor", "campaign_id",
               "preset", "grouping", "attribution", "by", "points", "meeting")
# What Twilio posts to the webhooks (they read request.form, not a WTForms form).
TWILIO_FIELDS = ("CallSid", "CallStatus", "CallDuration", "ErrorCode", "AnsweredBy", "RecordingSid",
                 "RecordingStatus", "RecordingDuration", "RecordingUrl", "From", "To", "phone_call", "Digits")

huge_integers = st.sampled_from([str(number) for number in (DATABASE_INT_MAX + 1, 2**63, 10**20, -(2**31) - 1, -1, 0)]
                                + ["1" + "0" * 5000])  # more digits than int() reads
text_values = st.one_of(
    huge_integers,
    st.integers().map(str),
    st.just("x" * 100_000),  # 100 kB
    st.text(max_size=30).map(lambda text: text + "\x00" + text),  # a NUL inside
    st.just("\x00"),
    st.sampled_from(["9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30", "2026-13-01T25:61", "24:99", "1e309",
                     "NaN", "-0", "1.5", "", " ", "on", "[]", "{}", "None", "../../etc/passwd", "a,b,,c" * 1000,
                     "Europe/" + "x" * 100_000]),
    st.text(max_size=40),
)
# Invalid UTF-8 is only expressible as bytes (percent-encoded as they are).
malformed = st.one_of(text_values, st.binary(min_size=1, max_size=20).map(lambda raw: raw + b"\xff\xfe"))


def _role_for(endpoint: str, allowed) -> str | None:
    """Who makes the requests: the agent holding the world's call for its writes, else a role allowed there."""
    if allowed in ("public", "webhook"):
        return None
    if endpoint in OWNER_ONLY:
        return S if endpoint == "notifications.read" else T
    for role in (T, S, M, A):
        if role in allowed:
            return role
    return A


def _form_fields(app, endpoint: str) -> list[str]:
    """The names of every field of the forms the view builds (sub-forms' fields as the browser names them)."""
    view = inspect.unwrap(app.view_functions[endpoint])
    names: list[str] = []
    sources = [view]
    # Helpers the view calls in its own module (_save_endpoint, _render_lead) may build the form.
    sources += [value for name, value in view.__globals__.items()
                if inspect.isfunction(value) and name.startswith("_") and name in inspect.getsource(view)]
    for source in sources:
        for class_name in re.findall(r"\b([A-Z]\w*Form)\b", inspect.getsource(source)):
            form_class = view.__globals__.get(class_name)
            if isinstance(form_class, type) and issubclass(form_class, BaseForm):
                names += _field_names(form_class, "")
    return sorted(set(names))


def _field_names(form_class, prefix: str) -> list[str]:
    names = []
    for name, unbound in _unbound_fields(form_class):
        if name == "csrf_token":
            continue
        if unbound.field_class is FieldList:
            inner = unbound.args[0] if unbound.args else unbound.kwargs["unbound_field"]
            for index in (0, 1):
                if inner.field_class is FormField:
                    names += _field_names(inner.args[0], f"{prefix}{name}-{index}-")
                else:
                    names.append(f"{prefix}{name}-{index}")
        elif unbound.field_class is FormField:
            names += _field_names(unbound.args[0], f"{prefix}{name}-")
        else:
            names.append(prefix + name)
    return names


def _unbound_fields(form_class):
    return [(name, value) for klass in reversed(form_class.__mro__) for name, value in vars(klass).items()
            if hasattr(value, "field_class")]


def _encode(values: dict) -> str:
    return urlencode([(key, value) for key, value in values.items()], doseq=True)


def _url(template: str, world: dict, path_values: dict) -> str:
    def value(match):
        name = match.group(1)
        if name in path_values:
            raw = path_values[name]
            return quote(raw if isinstance(raw, bytes) else str(raw), safe="")
        return str(world[name])
    return re.sub(r"\{(\w+)\}", value, template)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_malformed_values_never_get_a_server_error(app, client, auth, world, fake_twilio, endpoint):
    method, template, allowed = ROUTES[endpoint]
    role = _role_for(endpoint, allowed)
    if role:
        auth.login(f"{role}@example.com")
        token = auth.csrf_token()
    else:
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
    path_names = re.findall(r"\{(\w+)\}", template.split("?")[0])
    fields = TWILIO_FIELDS if allowed == "webhook" else _form_fields(app, endpoint)
    base_body = POST_BODIES.get(endpoint, {})

    # No shrinking: a failure is reported at once with the values that caused it (shrinking 100 kB strings through
    # HTTP requests takes minutes).
    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None, phases=(Phase.explicit, Phase.generate),
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def attempt(data):
        path_values = {name: data.draw(st.one_of(huge_integers, malformed), label=name)
                       for name in data.draw(st.sets(st.sampled_from(path_names)), label="path")} if path_names else {}
        query = {name: data.draw(malformed, label=f"?{name}")
                 for name in data.draw(st.sets(st.sampled_from(QUERY_NAMES), max_size=3), label="query")}
        url = _url(template, world, path_values)
        if query:
            url += ("&" if "?" in url else "?") + _encode(query)
        corrupted = {name: data.draw(malformed, label=name)
                     for name in data.draw(st.sets(st.sampled_from(fields), max_size=4), label="fields")} \
            if fields else {}
        body = {**base_body, **corrupted}
        if allowed == "webhook" and "CallSid" not in corrupted:  # often about a call the console placed
            body["CallSid"] = data.draw(st.sampled_from([body.get("CallSid", "CAforged"), "SIMCAworld"]))
        if allowed == "webhook":
            # Signed as Twilio signs: text only (a signature is over characters, not bytes).
            params = {key: (value.decode("latin-1") if isinstance(value, bytes) else value)
                      for key, value in body.items()}
            response = signed_post(client, url, params)
        elif method == "GET":
            response = client.get(url + ("&" if "?" in url else "?") + _encode(corrupted) if corrupted else url)
        else:
            response = client.post(url, data=_encode({**body, "csrf_token": token}),
                                   content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (endpoint, url[:300], {k: v[:80] for k, v in body.items()},
                                            response.get_data(as_text=True)[:500])

    attempt()


def test_every_route_with_a_form_has_its_fields_found(app):
    """The walk above corrupts the fields of the forms each view builds: it must find them."""
    assert {"notes", "disposition", "callback_at", "referral_phone"} <= set(_form_fields(app, "calls.disposition"))
    assert "version" in _form_fields(app, "calls.save_answer")
    assert "rows-0-retry_minutes" in _form_fields(app, "calls.save_campaign_dispositions")
    assert "steps-0-answers-1-text" in _form_fields(app, "guides.save")
    assert "time_zones" in _form_fields(app, "queue.set_lead_location")
    assert {"name", "url"} <= set(_form_fields(app, "outbox.add_webhook"))
    assert {"email", "password"} <= set(_form_fields(app, "auth.login"))
    assert {"name", "caller_id", "custom_fields-1-label", "custom_fields-0-key", "start_as"} <= set(
        _form_fields(app, "campaigns.create"))
    assert "next" in _form_fields(app, "campaigns.end")
    assert {"phone", "scope", "reason"} <= set(_form_fields(app, "leads.add_do_not_call"))
    assert {"numbers", "scope", "reason"} <= set(_form_fields(app, "leads.upload_do_not_call"))
    assert {"phone", "email", "state", "version"} <= set(_form_fields(app, "lead_record.save"))


# --- Each defect the walk found, with what the user is told and that nothing changed ----------------------------

def _agent(client, auth):
    auth.logout()
    auth.login("teleprospector@example.com")
    return client


@pytest.mark.parametrize("call_id", ["99999999999999999999", str(DATABASE_INT_MAX + 1), "9" * 5000])
def test_an_id_beyond_the_databases_integers_is_not_found(client, auth, world, call_id):
    _agent(client, auth)
    assert client.get(f"/calls/{call_id}").status_code == 404
    assert auth.post(f"/calls/{call_id}/notes", data={"notes": "x"}).status_code == 404
    assert client.get(f"/guides/calls/{call_id}/objections?q=budget").status_code == 404


def test_a_query_number_beyond_the_databases_integers_is_not_found(client, auth, world):
    auth.login("sales@example.com")
    assert client.get(f"/guides/{world['guide_id']}?version=1").status_code == 200
    for version in (str(DATABASE_INT_MAX + 1), "-1", "1" * 5000, "²"):
        assert client.get(f"/guides/{world['guide_id']}?version={version}").status_code == 404, version
    assert client.get(f"/guides/{world['guide_id']}/diff?from=1&to={DATABASE_INT_MAX + 1}").status_code == 404


def test_a_form_number_beyond_the_databases_integers_is_a_field_error(client, auth, world):
    from console.campaigns.models import Campaign
    from console.extensions import db

    auth.login("marketing@example.com")
    body = {**POST_BODIES["campaigns.save_settings"], "priority": str(DATABASE_INT_MAX + 1)}
    response = auth.post(f"/campaigns/{world['campaign_id']}/settings", data=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Enter a number from -2147483648 to {DATABASE_INT_MAX}." in page and "Nothing was saved" in page
    db.session.rollback()
    assert db.session.get(Campaign, world["campaign_id"]).name == "Main campaign"
    # The stale-save version of an answer: refused, the answer unchanged.
    _agent(client, auth)
    response = auth.post(f"/calls/{world['call_id']}/answers",
                         data={"criterion": "budget", "value": "confirmed", "version": "9" * 30})
    assert response.status_code == 400


def test_a_far_future_callback_is_refused_with_a_clear_message(client, auth, world):
    from console.calls.models import Call
    from console.extensions import db

    _agent(client, auth)
    for when in ("9999-12-31T23:59", "0001-01-01T00:00"):
        response = auth.post(f"/calls/{world['call_id']}/disposition",
                             data={"disposition": "callback", "callback_at": when, "notes": "kept"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, when
        assert ("Call back time must be within 365 days." if when.startswith("9999")
                else "Call back time must be in the future.") in page
        assert "kept</textarea>" in page  # what the agent typed stays on the form
    db.session.rollback()
    assert db.session.get(Call, world["call_id"]).status == "open"


def test_a_huge_time_zone_name_is_a_field_error(client, auth, world):
    from console.extensions import db
    from console.leads.models import Lead

    db.session.rollback()
    before = db.session.get(Lead, world["lead_id"]).time_zones
    _agent(client, auth)
    response = auth.post(f"/queue/leads/{world['lead_id']}/location", data={"state": "NY", "time_zones": "x" * 100_000})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"&#39;{'x' * 80}&#39; is not a time zone name (try America/Chicago)." in page  # its start, not 100 kB
    db.session.rollback()
    assert db.session.get(Lead, world["lead_id"]).time_zones == before


def test_a_nul_character_is_removed_from_text_on_both_databases(client, auth, world):
    from console.calls.models import Call
    from console.extensions import db
    from console.guides.models import CallGuide

    _agent(client, auth)
    response = auth.post(f"/calls/{world['call_id']}/notes", data={"notes": "Budget\x00 confirmed"},
                         headers={"HX-Request": "true"})
    assert response.status_code == 200
    db.session.rollback()
    assert db.session.get(Call, world["call_id"]).notes == "Budget confirmed"
    auth.logout()
    auth.login("sales@example.com")
    response = auth.post("/guides/new", data={"name": "Champ\x00ions", "slug": "champ\x00ions", "copy_from": "0"})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalar(db.select(CallGuide.name).where(CallGuide.slug == "champions")) == "Champions"


# --- The plumbing is used everywhere (a new form or route cannot skip it) -----------------------------------------

def _console_form_classes():
    import importlib
    import pkgutil

    import console
    from wtforms import Form

    for module in pkgutil.walk_packages(console.__path__, "console."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def subclasses(klass):
        for sub in klass.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [klass for klass in set(subclasses(Form)) if klass.__module__.startswith("console.")]


def test_every_form_is_a_console_form_and_every_integer_field_is_bounded():
    from flask_wtf import FlaskForm
    from wtforms import IntegerField, SelectFieldBase

    from console.forms import BoundedIntegerField, ConsoleForm

    classes = _console_form_classes()
    assert len(classes) > 15
    for klass in classes:
        if issubclass(klass, FlaskForm):
            assert issubclass(klass, ConsoleForm), f"{klass.__module__}.{klass.__name__} is not a ConsoleForm"
        for name, unbound in _unbound_fields(klass):
            if issubclass(unbound.field_class, IntegerField):
                assert issubclass(unbound.field_class, BoundedIntegerField), f"{klass.__name__}.{name}"
            if issubclass(unbound.field_class, SelectFieldBase):
                assert unbound.kwargs.get("coerce") is not int, f"{klass.__name__}.{name}: coerce=bounded_int"


def test_every_integer_url_argument_uses_the_id_converter(app):
    from werkzeug.routing.converters import NumberConverter

    from console.forms import IdConverter

    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert not isinstance(converter, NumberConverter) or isinstance(converter, IdConverter), \
                f"{rule.rule}: <{name}> must be <id:{name}>"
