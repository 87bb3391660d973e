"""Schemathesis against the merged OpenAPI document of every API function, through `ecrm serve`
(the local stack: the gateway, the authorizer, the real handlers on moto).

Each operation gets a bounded number of generated requests, valid and invalid (a fixed seed:
the same requests on every run). Every answer must be no 5xx, a documented status, of a
documented content type, with a body that matches the documented schema (for refusals, the
stable error body `ErrorBody`). Admin routes are called as the local marketer, the team's as
the local admin (and a last test checks that every `/admin` operation answered past its
guard); account routes with a session
of a subscriber signed in through the mailed link, as a person would; `POST /events` with an
event key the marketer made (and it too must have been answered past its key check).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import merged_openapi
from local.stack import EmbeddedStack

# The fuzz cases fill ANSWERS that the last test reads: one process, not two xdist workers.
pytestmark = pytest.mark.serial

EXAMPLES = 8  # fuzzed requests per operation and mode, besides the coverage phase: about a minute
SUBSCRIBER = "fuzz.subscriber@example.com"
ERASED = "fuzz.erased@example.com"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _body(operation: dict[str, Any] | None) -> Any:
    return (operation or {}).get("requestBody", {}).get("content", {}).get("application/json")


def _replacing_what_post_makes(document: dict[str, Any]) -> list[str]:
    """`PUT /x/{id}` operations whose body is exactly `POST /x`'s (a journey, a rule): the
    coverage phase sends its boundary values of that model once, to the POST, and the PUT gets
    the fuzzing phase's requests like every operation (about 1,200 requests fewer)."""
    found = []
    for path, operations in document["paths"].items():
        post = document["paths"].get(path.rpartition("/")[0], {}).get("post")
        put = _body(operations.get("put"))
        if put and put == _body(post):
            found.append(path)
    return found


DOCUMENT = merged_openapi()
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-method": "PUT",
                "include-path": path,
                "phases": {"coverage": {"enabled": False}},
            }
            for path in _replacing_what_post_makes(DOCUMENT)
        ]
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
ANSWERS: dict[str, set[int]] = {}  # "METHOD /path" -> the statuses the fuzzer got


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    # Never restarted: no snapshot of the table every 2 s (a full Scan through moto's server).
    fuzz = tmp_path_factory.mktemp("fuzz")
    with EmbeddedStack(fuzz, fresh=True, keep_state=False) as local_stack:
        yield local_stack


@pytest.fixture(scope="module")
def http(stack: EmbeddedStack) -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _signed_in(stack: EmbeddedStack, http: requests.Session, email: str) -> str:
    """Subscribe `email` through the demo form and sign in through the mailed link."""
    submitted = http.post(
        f"{stack.api_url}/forms/newsletter/submissions",
        json={"email": email, "consent": True, "interests": ["guides"]},
        timeout=30,
    )
    assert submitted.status_code == 202, submitted.text
    asked = http.post(f"{stack.api_url}/account/link", json={"email": email}, timeout=30)
    assert asked.status_code == 202, asked.text
    stack.drain()
    mail = next(m for m in stack.outbox() if email in m["to"] and "sign" in m["subject"])
    token = re.search(r"token=([^&#\s\"]+)", " ".join(mail["links"]))
    assert token is not None, mail["links"]
    session = http.post(f"{stack.api_url}/account/session", json={"token": token[1]}, timeout=30)
    assert session.status_code == 200, session.text
    return f"Bearer {session.json()['session']}"


@pytest.fixture(scope="module")
def credentials(stack: EmbeddedStack, http: requests.Session) -> dict[str, str]:
    """Authorization per route: the local marketer's bearer token for `/admin`, the admin's for
    `/admin/team` (admins only: a marketer's every call there is a 403), a subscriber's
    session for `/account`, and another subscriber's for erasing (so that an erasure the
    fuzzer gets right leaves the other account routes something to work on)."""
    assert stack.authorizer is not None
    marketer = f"Bearer {stack.authorizer.tokens['marketer']}"
    made = http.post(
        f"{stack.api_url}/admin/event-keys",
        json={"name": "fuzzer"},
        headers={"Authorization": marketer},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return {
        "/admin": marketer,
        "/admin/team": f"Bearer {stack.authorizer.tokens['admin']}",
        "/account": _signed_in(stack, http, SUBSCRIBER),
        "DELETE /account": _signed_in(stack, http, ERASED),
        "/events": f"Bearer {made.json()['key']}",
    }


def test_the_served_document_is_the_merged_one(
    stack: EmbeddedStack, http: requests.Session
) -> None:
    served = http.get(f"{stack.api_url}/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == schema.raw_schema


def test_every_refusal_is_documented_with_the_stable_error_body() -> None:
    """Each route's declared 4xx/5xx (from `ecrm.web.openapi_responses`) carry the shared schema;
    admin routes declare their 401 and 403; nothing declares Powertools' unused 422 shape."""
    refusal_schemas = {"#/components/schemas/ErrorBody", "#/components/schemas/AdminRefusal"}
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            refusals = {int(s): r for s, r in responses.items() if int(s) >= 400}
            if path.startswith("/admin"):
                assert {401, 403} <= set(refusals), (method, path)
            for status, response in refusals.items():
                found = response["content"]["application/json"]["schema"].get("$ref")
                assert found in refusal_schemas, (method, path, status, found)
            assert any(int(s) < 400 for s in responses), (method, path)
    assert "HTTPValidationError" not in schema.raw_schema["components"]["schemas"]


@schema.parametrize()
@seed(20261128)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented_and_never_a_server_error(
    case: Any, stack: EmbeddedStack, http: requests.Session, credentials: dict[str, str]
) -> None:
    signed_in = [value for prefix, value in credentials.items() if _under(case, prefix)]
    headers = {"Authorization": signed_in[-1]} if signed_in else {}
    response = case.call(base_url=stack.api_url, session=http, headers=headers, timeout=30)
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    ANSWERS.setdefault(operation, set()).add(response.status_code)
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_every_admin_operation_was_fuzzed_past_its_guard() -> None:
    """The fuzzing above reached every `/admin` operation past the guard (some answer other
    than 401/403), so its no-5xx verdict covers the marketer's and the admin's routes, not only
    the refusals."""
    if not ANSWERS:
        pytest.skip("runs after test_every_answer_is_documented_and_never_a_server_error")
    admin_operations = {
        f"{method.upper()} {path}"
        for path, operations in schema.raw_schema["paths"].items()
        if path.startswith("/admin")
        for method in operations
    }
    assert admin_operations <= set(ANSWERS)
    only_refused = sorted(op for op in admin_operations if not ANSWERS[op] - {401, 403})
    assert only_refused == []


def test_the_events_route_was_fuzzed_past_its_key_check() -> None:
    """`POST /events` was fuzzed with a live key: its no-5xx verdict covers reading and
    recording events, not only the 401 of a missing key."""
    if not ANSWERS:
        pytest.skip("runs after test_every_answer_is_documented_and_never_a_server_error")
    assert ANSWERS["POST /events"] - {401}


def _under(case: Any, prefix: str) -> bool:
    """`prefix` is a path prefix, or a method and a path ("DELETE /account")."""
    method, _, path_prefix = prefix.rpartition(" ")
    path = str(case.operation.path)
    if method and method != case.operation.method.upper():
        return False
    return path == path_prefix or path.startswith(f"{path_prefix}/")


def test_no_fuzzed_call_erased_a_contact(
    stack: EmbeddedStack, http: requests.Session, credentials: dict[str, str]
) -> None:
    """`DELETE /admin/contacts/{id}` was fuzzed as a marketer: without the contact's id and
    its address typed in the body, it erased nobody (the subscriber is still there)."""
    if "DELETE /admin/contacts/{contact_id}" not in ANSWERS:
        pytest.skip("runs after test_every_answer_is_documented_and_never_a_server_error")
    assert ANSWERS["DELETE /admin/contacts/{contact_id}"] - {401, 403}
    found = http.get(
        f"{stack.api_url}/admin/contacts",
        params={"email": SUBSCRIBER},
        headers={"Authorization": credentials["/admin"]},
        timeout=30,
    )
    assert found.status_code == 200, found.text
