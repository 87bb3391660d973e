"""The attack corpus, over every route of the merged OpenAPI document: each hostile request is
refused with a 4xx and the stable error body (HTML routes: their error page), and the table is
exactly as it was (every item, diffed). Tables are built from the document, so a new route is
attacked as soon as it exists. Token, header-injection, template-injection and address cases
follow; docs/security.md maps each threat to its tests, here and elsewhere."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ecrm.platform import keys, tokens
from tests.integration.conftest import Submit, sent_mail, submit_form, valid_body
from tests.integration.self_service.conftest import deliver_account_mail, mails_to, token_in
from tests.security.conftest import (
    World,
    assert_refused,
    is_admin,
    path_parameters,
    route_ids,
    routes,
    snapshot,
)


# One world for the module, put back as built after every test (`shared_world`).
@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


@pytest.fixture
def submit(shared_world: World) -> Submit:
    return submit_form


# --- bodies: every route that takes one -----------------------------------------------------
#: Actions that take no body: whatever is sent is never read, so there is nothing to refuse.
ACTIONS_WITHOUT_BODY = {("POST", "/admin/scoring/rescore")}
BODY_ROUTES = routes(
    lambda method, path, _: (
        method in {"POST", "PUT", "PATCH", "DELETE"} and (method, path) not in ACTIONS_WITHOUT_BODY
    )
)
_deep: Any = "x"
for _ in range(64):
    _deep = {"a": _deep}
BODIES: dict[str, tuple[bytes | str, str]] = {
    "wrong_content_type_xml": ("<a>1</a>", "application/xml"),
    "wrong_content_type_text": ('{"email": "x@example.com"}', "text/plain"),
    "multipart_lookalike": ("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "text/csv"),
    # Powertools' parser of typed bodies raised a bare ValueError here (a 500, found by
    # schemathesis): now 415 on every route.
    "multipart_without_boundary": ('{"email": "x@example.com"}', "multipart/form-data"),
    "oversize_json": (
        json.dumps({"email": "a@example.com", "pad": "x" * 70_000}),
        "application/json",
    ),
    "oversize_form": (
        "email=a%40example.com&pad=" + "x" * 70_000,
        "application/x-www-form-urlencoded",
    ),
    "invalid_utf8": (b'{"email": "\xff\xfe@example.com"}', "application/json"),
    "invalid_utf8_form": (b"email=\xc3\x28%40example.com", "application/x-www-form-urlencoded"),
    "deeply_nested": (json.dumps(_deep), "application/json"),
    # 10 KB: json.loads recursed before any depth check and raised RecursionError (a 500).
    "nested_arrays_5000": ("[" * 5000 + "]" * 5000, "application/json"),
    "nested_arrays_in_a_field": ('{"email": ' + "[" * 5000 + "]" * 5000 + "}", "application/json"),
    "nan_literal": ('{"email": "a@example.com", "consent": NaN}', "application/json"),
    "not_json": ("{'email': ", "application/json"),
    "json_array": ("[1, 2, 3]", "application/json"),
    "json_scalar": ('"hello"', "application/json"),
    "nul_bytes": ('{"email": "a\\u0000@example.com", "consent": true}', "application/json"),
}


def _params(method: str, path: str, value: str = "abc") -> dict[str, str]:
    defaults = {"form_id": "newsletter"}
    return {name: defaults.get(name, value) for name in path_parameters(method, path)}


@pytest.mark.parametrize("attack", sorted(BODIES))
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=route_ids(BODY_ROUTES))
def test_a_hostile_body_is_refused_and_writes_nothing(
    world: World, method: str, path: str, attack: str, request: pytest.FixtureRequest
) -> None:
    body, content_type = BODIES[attack]
    before = snapshot()

    response = world.call(
        method, path, _params(method, path), body=body, headers={"Content-Type": content_type}
    )

    assert_refused(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("attack", "status"),
    [
        ("wrong_content_type_xml", 415),
        ("wrong_content_type_text", 415),
        ("multipart_lookalike", 415),
        ("multipart_without_boundary", 415),
        ("oversize_json", 413),
        ("oversize_form", 413),
        ("invalid_utf8", 400),
        ("invalid_utf8_form", 400),
        ("deeply_nested", 400),
        ("nested_arrays_5000", 400),
        ("nested_arrays_in_a_field", 400),
        ("nan_literal", 400),
        ("not_json", 400),
        ("json_array", 400),
        ("json_scalar", 400),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/forms/{form_id}/submissions"),
        ("POST", "/account/link"),
        ("POST", "/account/session"),
        ("PATCH", "/account"),
    ],
)
def test_body_problems_get_their_specific_status(
    world: World, method: str, path: str, attack: str, status: int
) -> None:
    body, content_type = BODIES[attack]
    if method == "PATCH" and "urlencoded" in content_type:
        status = 415  # the account takes JSON only
    headers = {"Content-Type": content_type, "If-Match": "*"}
    before = snapshot()
    response = world.call(method, path, _params(method, path), body=body, headers=headers)
    assert_refused(response, status)
    assert snapshot() == before


# --- numbers no clock or table can hold -----------------------------------------------------
@pytest.mark.parametrize(
    "rendered_at", [10**3999, "1e999", "-inf"], ids=["4000_digits", "1e999", "inf"]
)
def test_a_render_time_no_clock_can_show_is_422_and_writes_nothing(
    world: World, rendered_at: Any
) -> None:
    """float() of a 4,000-digit `_ts` raised OverflowError (a 500)."""
    body = json.dumps({"email": "dora@example.com", "consent": True, "_ts": rendered_at})
    before = snapshot()
    response = world.call(
        "POST",
        "/forms/{form_id}/submissions",
        {"form_id": "newsletter"},
        body=body,
        headers={"Content-Type": "application/json"},
    )
    assert_refused(response, 422)
    assert "_ts" in json.loads(response["body"])["error"]["fields"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "bounds",
    [{"min": 1.8e-237, "max": -4.9e16}, {"max": 1e300}, {"min": 5, "max": 1}],
    ids=["underflow_above_max", "huge", "min_above_max"],
)
def test_a_score_range_the_table_cannot_hold_is_refused_and_writes_nothing(
    world: World, bounds: dict[str, float]
) -> None:
    """A score bound of 1.8e-237 underflowed DynamoDB's number range (a 500)."""
    segment = {"name": "Hot", "topic": "newsletter", "conditions": []}
    created = world.call("POST", "/admin/segments", body={"id": "hot", **segment})
    assert created["statusCode"] == 201, created["body"]
    before = snapshot()
    condition = {"kind": "score", **bounds}
    changed = {**segment, "conditions": [condition], "version": 1}
    response = world.call(
        "PUT", "/admin/segments/{segment_id}", {"segment_id": "hot"}, body=changed
    )
    assert_refused(response, 400, 422)
    assert snapshot() == before


def test_a_score_bound_below_the_tables_precision_is_stored_rounded(world: World) -> None:
    body = {"id": "warm", "name": "Warm", "topic": "newsletter"}
    conditions = [{"kind": "score", "min": 1.8e-237}]
    response = world.call("POST", "/admin/segments", body={**body, "conditions": conditions})
    assert response["statusCode"] == 201, response["body"]
    assert json.loads(response["body"])["conditions"][0]["min"] == 0


# --- path parameters: traversal and key smuggling --------------------------------------------
PATH_ROUTES = routes(lambda method, path, _: "{" in path)
TRAVERSALS = {
    "dotdot": "../../etc/passwd",
    "encoded_dotdot": "..%2F..%2Fadmin",
    "double_encoded": "%252e%252e%252f",
    "backslash": "..\\..\\windows",
    "nul": "abc\x00def",
    "key_smuggling": "CONTACT#x",
    "crlf": "abc\r\nX-Injected: 1",
    "very_long": "a" * 5000,
    "unicode_dots": "\u2025\u2215etc",
}


@pytest.mark.parametrize("attack", sorted(TRAVERSALS))
@pytest.mark.parametrize(("method", "path"), PATH_ROUTES, ids=route_ids(PATH_ROUTES))
def test_a_hostile_path_parameter_is_refused_and_writes_nothing(
    world: World, method: str, path: str, attack: str, request: pytest.FixtureRequest
) -> None:
    params = dict.fromkeys(path_parameters(method, path), TRAVERSALS[attack])
    before = snapshot()

    response = world.call(
        method, path, params, body={} if method != "GET" else None, headers={"If-Match": "*"}
    )

    assert_refused(response)
    assert snapshot() == before


ADMIN_PATH_ROUTES = [route for route in PATH_ROUTES if is_admin(route[1])]


@pytest.mark.parametrize(("method", "path"), ADMIN_PATH_ROUTES, ids=route_ids(ADMIN_PATH_ROUTES))
def test_an_anonymous_caller_gets_401_on_admin_routes_even_with_a_malformed_path(
    world: World, method: str, path: str
) -> None:
    # The guard runs before Powertools validates the path: nothing is learnt but "sign in".
    params = dict.fromkeys(path_parameters(method, path), "Not-Valid")
    before = snapshot()
    response = world.call(method, path, params, body={}, authenticated=False)
    assert_refused(response, 401)
    assert snapshot() == before


# --- tokens: tampered, expired, replayed, cross-purpose -------------------------------------
PURPOSES = ("confirm", "sign_in", "session", "unsubscribe", "email_change")
#: Where each kind of token is accepted, and how it is presented.
TOKEN_ROUTES: dict[str, tuple[str, str, str]] = {
    "confirm": ("POST", "/confirm/{token}", "path"),
    "sign_in": ("POST", "/account/session", "body"),
    "session": ("GET", "/account/export", "bearer"),
    "unsubscribe": ("POST", "/unsubscribe/{token}", "path"),
    "email_change": ("POST", "/account/email/confirm", "body"),
}


def _present(world: World, purpose: str, token: str) -> dict[str, Any]:
    method, path, where = TOKEN_ROUTES[purpose]
    if where == "path":
        return world.call(
            method,
            path,
            {"token": token},
            body="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    if where == "body":
        return world.call(method, path, body={"token": token}, authenticated=False)
    return world.call(
        method, path, headers={"Authorization": f"Bearer {token}"}, authenticated=False
    )


def _token(world: World, purpose: str, ttl: int | None = 3600) -> str:
    return tokens.issue(purpose, world.member.contact_id, "ref", ttl_seconds=ttl)


def _tampered(token: str) -> str:
    claims, _, signature = token.partition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{claims}.{flipped}"


@pytest.mark.parametrize("accepted_by", sorted(TOKEN_ROUTES))
@pytest.mark.parametrize("presented", PURPOSES)
def test_a_token_of_another_purpose_opens_nothing(
    world: World, accepted_by: str, presented: str
) -> None:
    if presented == accepted_by:
        pytest.skip("its own purpose: the happy path, tested with each feature")
    before = snapshot()
    assert_refused(_present(world, accepted_by, _token(world, presented)), 401)
    assert snapshot() == before


BROKEN = {
    "tampered": lambda world, purpose: _tampered(_token(world, purpose)),
    "expired": lambda world, purpose: _token(world, purpose, ttl=-10),
    "truncated": lambda world, purpose: _token(world, purpose)[:-5],
    "no_signature": lambda world, purpose: _token(world, purpose).partition(".")[0],
    "garbage": lambda *_: "not-a-token",
    "alg_none_lookalike": lambda world, purpose: _token(world, purpose).partition(".")[0] + ".",
    "other_contact": lambda _, purpose: _tampered(
        tokens.issue(purpose, keys.contact_id_for("eve@example.com"), "ref", ttl_seconds=60)
    ),
}


@pytest.mark.parametrize("damage", sorted(BROKEN))
@pytest.mark.parametrize("purpose", sorted(TOKEN_ROUTES))
def test_a_damaged_token_is_401_and_writes_nothing(world: World, purpose: str, damage: str) -> None:
    token = BROKEN[damage](world, purpose)
    before = snapshot()
    assert_refused(_present(world, purpose, token), 401)
    assert snapshot() == before


def test_a_sign_in_link_is_exchanged_once_then_replays_are_refused(world: World) -> None:
    assert (
        world.call("POST", "/account/link", body={"email": world.member.email})["statusCode"] == 202
    )
    deliver_account_mail()
    link = token_in(mails_to(world.member.email)[-1])
    assert _present(world, "sign_in", link)["statusCode"] == 200
    before = snapshot()
    for _ in range(2):
        assert_refused(_present(world, "sign_in", link), 401, 409)
    assert snapshot() == before


def test_a_confirmation_link_used_as_a_session_or_sign_in_opens_nothing(world: World) -> None:
    confirm = _token(world, "confirm")
    before = snapshot()
    assert_refused(_present(world, "session", confirm), 401)
    assert_refused(_present(world, "sign_in", confirm), 401)
    assert snapshot() == before


# --- header injection: every field that reaches a mail header -------------------------------
INJECTIONS = [
    "Ann\r\nBcc: eve@example.net",
    "Ann\nBcc: eve@example.net",
    "Ann\rSubject: owned",
    "=?utf-8?q?Ann=0D=0ABcc:_eve@example.net?=",
    "Ann\u2028Bcc: eve@example.net",
    'Ann" <eve@example.net>, "x',
]


def _no_injected_headers(raw_messages: list[Any]) -> None:
    for message in raw_messages:
        assert message["Bcc"] is None and message["Cc"] is None
        assert "eve@example.net" not in str(message["To"])
        assert message.get_all("Subject", []) and len(message.get_all("Subject")) == 1
        assert "owned" not in str(message["Subject"])


@pytest.mark.parametrize("name", INJECTIONS)
def test_a_name_with_header_injection_never_reaches_a_header(
    world: World, submit: Any, name: str
) -> None:
    from mailing.transactional import lambda_handler
    from tests import events
    from tests.conftest import table_items

    response = submit(valid_body("bob@example.com", first_name=name))
    if response["statusCode"] != 202:
        assert_refused(response, 422)
        return
    images = [i for i in table_items() if i.get("type") == "form_submitted"]
    lambda_handler(events.stream(*images), events.LambdaContext())
    _no_injected_headers(sent_mail())
    assert mails_to("bob@example.com"), "the confirmation was sent to bob only"


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_profile_change_with_header_injection_is_refused_or_harmless(
    world: World, value: str
) -> None:
    from tests.integration.self_service.conftest import get_account, patch

    _, etag = get_account(world.session)
    response = patch(world.session, {"profile": {"first_name": value}}, etag)
    if response["statusCode"] != 200:
        assert_refused(response, 422)
    world.call("POST", "/account/link", body={"email": world.member.email})
    deliver_account_mail()
    _no_injected_headers(sent_mail())


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com\r\nBcc: eve@example.net",
        "ann@example.com\nBcc:eve@example.net",
        "ann@example.com, eve@example.net",
        "Ann <eve@example.net>",
        "ann@example.com%0d%0aBcc:eve@example.net",
    ],
)
def test_an_address_with_header_injection_is_422_everywhere_it_is_typed(
    world: World, submit: Any, address: str
) -> None:
    from tests.integration.self_service.conftest import get_account, patch

    before = snapshot()
    assert_refused(submit(valid_body(address)), 422)
    assert_refused(world.call("POST", "/account/link", body={"email": address}), 422)
    _, etag = get_account(world.session)
    assert_refused(patch(world.session, {"email": address}, etag), 422)
    assert snapshot() == before
    assert sent_mail() == [] or all(m["To"] != address for m in sent_mail())


# --- template injection in personalisation data ---------------------------------------------
SSTI = [
    "{{ 7*7 }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for x in range(9) %}{{x}}{% endfor %}",
    "${7*7}",
    "{{ config }}",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("payload", SSTI)
def test_personal_data_is_never_evaluated_as_a_template(
    world: World, submit: Any, payload: str
) -> None:
    """A name is data: the confirmation mail (rendered from a template with the name in it)
    shows it literally or not at all, never its evaluation."""
    from mailing.transactional import lambda_handler
    from tests import events
    from tests.conftest import table_items

    response = submit(valid_body("carol@example.com", first_name=payload))
    if response["statusCode"] != 202:
        assert_refused(response, 422)
        return
    images = [i for i in table_items() if i.get("type") == "form_submitted"]
    lambda_handler(events.stream(*images), events.LambdaContext())
    for message in mails_to("carol@example.com"):
        for part in message.walk():
            if part.get_content_maintype() == "text":
                # Links carry random tokens and ids: only the words around them can show "49".
                text = re.sub(r"https?://\S+", "", part.get_content())
                assert "49" not in text.replace("2049", "")
                assert "subclasses" not in text or payload in text or "&#39;" in text
                assert "<script>" not in text or part.get_content_subtype() == "plain"


# --- confusable and IDN addresses -----------------------------------------------------------
CONFUSABLES = [
    "\u0430nn@example.com",  # Cyrillic a
    "ann@ex\u0430mple.com",  # Cyrillic a in the domain
    "ann@example.com\u200b",  # zero-width space
    "ann\u00a0@example.com",
    "ann@example.com.",
]


@pytest.mark.parametrize("address", CONFUSABLES)
def test_a_confusable_address_never_reaches_anns_contact_or_inbox(
    world: World, submit: Any, address: str
) -> None:
    from mailing.transactional import lambda_handler
    from tests import events

    ann = keys.contact(world.member.contact_id)
    everything = snapshot()
    before = [i for i in everything if i["pk"] == ann["pk"]]
    mailed = len(mails_to(world.member.email))

    submitted = submit(valid_body(address))
    if submitted["statusCode"] != 202:
        assert_refused(submitted, 422)
    link = world.call("POST", "/account/link", body={"email": address})
    if link["statusCode"] != 202:
        assert_refused(link, 422)
    new = [i for i in snapshot() if i not in everything and str(i["sk"]).startswith("EVENT#")]
    if new:  # what the stream would hand the mail function
        lambda_handler(events.stream(*new), events.LambdaContext())

    after = [i for i in snapshot() if i["pk"] == ann["pk"]]
    assert after == before
    assert len(mails_to(world.member.email)) == mailed


# --- origins ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "content_type"),
    [
        ("https://evil.example.net", "application/json"),
        ("https://evil.example.net", "application/x-www-form-urlencoded"),
        ("null", "application/json"),
        ("https://www.example.com.evil.net", "application/json"),
        ("http://www.example.com", "application/json"),
    ],
)
def test_a_submission_from_a_site_not_listed_on_the_form_is_403_and_writes_nothing(
    world: World, submit: Any, origin: str, content_type: str
) -> None:
    body: Any = valid_body("dave@example.com")
    if content_type != "application/json":
        body = "email=dave%40example.com&first_name=Dave&consent=on"
    before = snapshot()
    response = submit(body, headers={"Origin": origin, "Content-Type": content_type})
    assert_refused(response, 403)
    assert snapshot() == before
