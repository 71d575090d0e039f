"""The OpenAPI document: valid OpenAPI 3.1, naming every /api/v1 route of the app (and nothing else), and a
Schemathesis run over it inside the suite (no network) that finds no server error and no answer that breaks
the document."""
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from console.auth.models import Role
from tests.functional.api_support import bearer  # noqa: F401  (a fixture)
from tests.functional.test_access import world  # noqa: F401  (a fixture: a campaign, leads, a hand-off)

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

EXAMPLES_PER_OPERATION = 15
# A request the document allows may still be refused by a rule no schema says ("last_id" is not a phone number,
# a campaign with that id does not exist): 422 and 404 are documented answers, not a failure.
NOT_CHECKED = [positive_data_acceptance]


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_of_the_app_is_in_the_document_and_nothing_else(app, client):
    documented = {(path, method.upper()) for path, operations in _document(client)["paths"].items()
                  for method in operations}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


def test_the_document_says_who_may_call_each_operation(client):
    for path, operations in _document(client)["paths"].items():
        for method, operation in operations.items():
            assert operation["x-roles"], (method, path)
            open_to_all = operation["x-roles"] == ["anyone"]
            assert (operation.get("security") == []) == open_to_all, (method, path)
            if not open_to_all:
                assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(app, world, bearer, mode):
    headers = bearer(A)
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 1_000_000
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()

            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      phases=(Phase.explicit, Phase.generate),
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(headers={**(case.headers or {}), **headers}, excluded_checks=NOT_CHECKED)

            try:
                check()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing in the operation to make invalid (ping)
    finally:
        app.config.pop("API_RATE_LIMIT_PER_MINUTE")
