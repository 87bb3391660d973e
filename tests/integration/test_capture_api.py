"""Form capture through the capture handler: what is stored, and what is answered."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ecrm.contacts import form_store, forms
from ecrm.platform import keys
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import Submit, confirm_without_mail, valid_body


def items_of(kind: str) -> list[dict[str, Any]]:
    return [i for i in table_items() if i.get("type") == kind]


def contact(email_address: str) -> dict[str, Any] | None:
    wanted = keys.contact(keys.contact_id_for(email_address))
    return next(
        (i for i in table_items() if i["pk"] == wanted["pk"] and i["sk"] == "PROFILE"), None
    )


def test_form_definition_is_public_without_internal_settings(demo_form: forms.Form) -> None:
    from capture.app import lambda_handler

    response = lambda_handler(
        events.api("GET", "/forms/{form_id}", {"form_id": "newsletter"}), events.LambdaContext()
    )
    assert response["statusCode"] == 200
    body = events.json_body(response)
    assert body["id"] == "newsletter" and body["consent"]["version"] == "2026-11"
    assert "allowed_origins" not in body


def test_unknown_form_is_404_with_the_error_body(demo_form: forms.Form) -> None:
    from capture.app import lambda_handler

    response = lambda_handler(
        events.api("GET", "/forms/{form_id}", {"form_id": "nope"}), events.LambdaContext()
    )
    assert response["statusCode"] == 404
    assert events.json_body(response)["error"]["code"] == "not_found"


def test_new_submission_stores_pending_contact_interaction_consent_and_waiting_topic(
    submit: Submit,
) -> None:
    response = submit(
        valid_body(" Ann@EXAMPLE.com ", utm_source="newsletter-ad", page="https://x.example/p")
    )

    assert response["statusCode"] == 202
    assert events.json_body(response)["confirmation_required"] is True
    person = contact("ann@example.com")
    assert person and person["status"] == "pending" and person["email"] == "ann@example.com"
    assert person["pending_topics"] == ["newsletter"]
    assert "topics" not in person and "f_first_name" not in person  # both wait for the click
    [interaction] = items_of("form_submitted")
    assert interaction["tracking"] == {"utm_source": "newsletter-ad", "page": "https://x.example/p"}
    assert interaction["pending_profile"] == {"first_name": "Ann"}
    [consent] = items_of("consent")
    assert consent["ip"] == "198.51.100.7" and consent["consent_version"] == "2026-11"
    assert consent["text_hash"] == forms.load("newsletter").consent.text_hash  # type: ignore[union-attr]
    assert items_of("topic_membership") == []  # in no audience before the confirmation


def test_second_submission_of_same_email_keeps_one_contact_and_overwrites_nothing(
    submit: Submit,
) -> None:
    submit(valid_body("ann@example.com"))
    submit(valid_body("ANN@example.com ", first_name="Annie", company="Acme"))

    [person] = items_of("contact")
    assert person["submissions"] == 2 and "f_first_name" not in person  # nothing confirmed yet
    contact_id = keys.contact_id_for("ann@example.com")
    confirm_without_mail("ann@example.com")  # the click on the latest mail fills empty fields
    [person] = items_of("contact")
    assert person["contact_id"] == contact_id
    assert (person["f_first_name"], person["f_company"]) == ("Annie", "Acme")
    assert len(items_of("form_submitted")) == 2 and len(items_of("consent")) == 2
    assert len(items_of("contact")) == 1


def test_idn_domain_and_unicode_case_map_to_one_contact(submit: Submit) -> None:
    submit(valid_body("ann@bücher.example"))
    submit(valid_body("Ann@xn--bcher-kva.example", first_name="Second"))

    [person] = items_of("contact")
    assert person["email"] == "ann@xn--bcher-kva.example"


def test_invalid_submission_names_each_bad_field_and_writes_nothing(submit: Submit) -> None:
    before = table_items()
    response = submit({"email": "not-an-email", "shoe_size": "44", "interests": ["golf"]})

    assert response["statusCode"] == 422
    error = events.json_body(response)["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"email", "shoe_size", "interests", "consent"}
    assert table_items() == before


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ("{not json", {"Content-Type": "application/json"}, 400, "malformed_request"),
        ("[1, 2]", {"Content-Type": "application/json"}, 400, "malformed_request"),
        (b"\xff\xfe\xfa", {"Content-Type": "application/json"}, 400, "malformed_request"),
        ("email=a", {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ("x" * 20_000, {"Content-Type": "application/json"}, 413, "payload_too_large"),
        (
            json.dumps({"email": {"a": {"b": {"c": {"d": 1}}}}}),
            {"Content-Type": "application/json"},
            400,
            "malformed_request",
        ),
    ],
)
def test_bad_bodies_get_a_stable_4xx_and_write_nothing(
    submit: Submit, body: Any, headers: dict[str, str], status: int, code: str
) -> None:
    before = table_items()
    response = submit(body, headers=headers)

    assert response["statusCode"] == status
    assert events.json_body(response)["error"]["code"] == code
    assert table_items() == before


def test_plain_html_form_gets_a_thank_you_page(submit: Submit) -> None:
    response = submit(
        "email=bob%40example.com&first_name=Bob&consent=on&_hp=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["text/html"]
    assert 'id="thanks"' in response["body"]
    assert contact("bob@example.com")


def test_plain_html_form_is_redirected_when_the_form_has_a_redirect(
    submit: Submit, demo_form: forms.Form
) -> None:
    redirecting = {**demo_form.model_dump(), "redirect_url": "https://www.example.com/thanks"}
    forms.save(forms.Form.model_validate(redirecting))
    forms.forget_cached()
    response = submit(
        "email=bob%40example.com&consent=on",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response["statusCode"] == 303
    assert response["multiValueHeaders"]["Location"] == ["https://www.example.com/thanks"]


def test_plain_html_form_with_problems_gets_a_page_listing_them(submit: Submit) -> None:
    response = submit(
        "email=nope&first_name=%3Cscript%3E",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response["statusCode"] == 422
    assert "<script>" not in response["body"] and "consent" in response["body"]


@pytest.mark.parametrize(
    "trap", [{"_hp": "http://spam.example"}, {"_ts": "{now_ms}"}], ids=["honeypot", "too-fast"]
)
def test_bots_are_answered_as_usual_but_nothing_is_stored(
    submit: Submit, trap: dict[str, str]
) -> None:
    import time

    before = table_items()
    extra = {k: v.format(now_ms=int(time.time() * 1000)) for k, v in trap.items()}
    response = submit(valid_body(**extra))

    assert response["statusCode"] == 202
    assert table_items() == before


def test_slow_enough_human_is_stored(submit: Submit) -> None:
    import time

    submit(valid_body(_ts=str(int(time.time() * 1000) - 10_000)))
    assert contact("ann@example.com")


def test_retry_with_the_same_idempotency_key_returns_the_first_answer_and_writes_nothing(
    submit: Submit,
) -> None:
    first = submit(valid_body(), headers={"Idempotency-Key": "attempt-1"})
    after_first = table_items()
    retry = submit(valid_body(first_name="Changed"), headers={"Idempotency-Key": "attempt-1"})

    assert retry["statusCode"] == 202
    assert events.json_body(retry) == events.json_body(first)
    assert table_items() == after_first


def test_identical_payload_within_the_window_is_treated_as_a_retry(submit: Submit) -> None:
    first = submit(valid_body())
    after_first = table_items()
    again = submit(valid_body())

    assert events.json_body(again)["submission_id"] == events.json_body(first)["submission_id"]
    assert table_items() == after_first


def test_rate_limit_per_ip_answers_429_with_retry_after_and_writes_nothing(
    submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import reset_caches

    monkeypatch.setenv("RATE_LIMIT_PER_IP", "3")
    reset_caches()
    for n in range(3):
        assert submit(valid_body(f"p{n}@example.com"))["statusCode"] == 202
    before = table_items()
    response = submit(valid_body("p9@example.com"))

    assert response["statusCode"] == 429
    assert int(response["multiValueHeaders"]["Retry-After"][0]) > 0
    assert events.json_body(response)["error"]["code"] == "rate_limited"
    assert table_items() == before
    assert submit(valid_body("p9@example.com"), ip="203.0.113.9")["statusCode"] == 202


def test_rate_limit_per_email_applies_across_ips(submit: Submit) -> None:
    statuses = [
        submit(valid_body(first_name=f"n{n}"), ip=f"203.0.113.{n}")["statusCode"] for n in range(6)
    ]
    assert statuses == [202] * 5 + [429]


ALIASES = [
    "ann+1@gmail.com",
    "Ann+2@gmail.com",
    "a.nn@gmail.com",
    "ann@googlemail.com",
    "a.n.n+news@googlemail.com",
]


def test_rate_limit_per_email_counts_every_alias_of_one_inbox(submit: Submit) -> None:
    statuses = [
        submit(valid_body(address), ip=f"203.0.113.{n}")["statusCode"]
        for n, address in enumerate([*ALIASES, "ann+6@gmail.com"])
    ]

    assert statuses == [202] * 5 + [429]
    # Only the limit's key is canonical: each spelling is its own contact, as typed.
    typed = [a.lower() for a in ALIASES]
    assert [(contact(a) or {}).get("email") for a in typed] == typed
    assert contact("ann+6@gmail.com") is None


def test_disallowed_origin_is_403_and_same_origin_or_listed_origin_is_fine(submit: Submit) -> None:
    before = table_items()
    denied = submit(valid_body(), headers={"Origin": "https://evil.example"})
    assert denied["statusCode"] == 403
    assert events.json_body(denied)["error"]["code"] == "origin_not_allowed"
    assert table_items() == before

    listed = submit(valid_body(), headers={"Origin": "https://www.example.com"})
    same = submit(valid_body("b@example.com"), headers={"Origin": "https://api.example.com"})
    assert listed["statusCode"] == same["statusCode"] == 202


def test_single_opt_in_form_subscribes_at_once(submit: Submit, demo_form: forms.Form) -> None:
    forms.save(demo_form.model_copy(update={"double_opt_in": False}))
    forms.forget_cached()
    response = submit(valid_body())

    assert events.json_body(response)["confirmation_required"] is False
    assert contact("ann@example.com")["status"] == "subscribed"  # type: ignore[index]


def test_unsubscribed_contact_on_a_double_opt_in_form_waits_for_the_owners_click(
    submit: Submit,
) -> None:
    import boto3

    from ecrm.platform.settings import settings

    submit(valid_body())
    boto3.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key={
            "pk": {"S": keys.contact(keys.contact_id_for("ann@example.com"))["pk"]},
            "sk": {"S": "PROFILE"},
        },
        UpdateExpression="SET #s = :u",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":u": {"S": "unsubscribed"}},
    )
    submit(valid_body(first_name="Back"))

    person = contact("ann@example.com")
    assert person and person["status"] == "unsubscribed" and "f_first_name" not in person
    latest = max(items_of("form_submitted"), key=lambda i: i["sk"])
    assert latest["confirmation_required"] is True and latest["pending_topics"] == ["newsletter"]


def test_a_submission_uses_the_current_definition_even_when_the_cache_is_stale(
    submit: Submit, demo_form: forms.Form
) -> None:
    form_store.load("newsletter")  # warm the cache with version 1
    field = forms.FormField(name="phone", label="Phone", type=forms.FieldType.PHONE)
    forms.save(demo_form.model_copy(update={"fields": [*demo_form.fields, field]}))

    response = submit(valid_body(phone="+49 (30) 1234-5678"))

    assert response["statusCode"] == 202
    [submitted] = items_of("form_submitted")
    assert submitted["pending_profile"]["phone"] == "+493012345678"


def test_fifty_concurrent_submissions_of_one_email_make_exactly_one_contact(
    submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda runs concurrent requests in separate execution environments, so they race in
    DynamoDB only: here each thread is one `intake.submit`. (Not the handler: an event handler
    keeps the request it is answering on its module-level app, one at a time, as Lambda runs it.)"""
    from ecrm.capture import intake
    from ecrm.platform.errors import Busy
    from local.moto_threads import thread_safe_moto
    from tests.conftest import reset_caches

    thread_safe_moto()  # each DynamoDB request alone, as DynamoDB applies them; moto does not
    monkeypatch.setenv("RATE_LIMIT_PER_EMAIL", "100")
    monkeypatch.setenv("RATE_LIMIT_PER_IP", "100")
    reset_caches()
    form_store.load("newsletter")

    def one(n: int) -> intake.Receipt | None:
        body = valid_body(" ANN@example.com", first_name=f"Ann{n}")
        try:
            return intake.submit("newsletter", body, intake.Client(ip="198.51.100.7"))
        except Busy:
            return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        receipts = [r for r in pool.map(one, range(50)) if r is not None]

    [person] = items_of("contact")
    stored = items_of("form_submitted")
    assert person["submissions"] == len(receipts) == len(stored)
    assert {r.submission_id for r in receipts} == {i["event_id"] for i in stored}


def test_a_fast_submission_with_a_typo_still_hears_about_the_typo(submit: Submit) -> None:
    import time

    response = submit({"email": "ann@", "consent": True, "_ts": int(time.time() * 1000)})
    assert response["statusCode"] == 422


def test_scripts_on_other_sites_can_read_retry_after(submit: Submit) -> None:
    response = submit(valid_body(), headers={"Origin": "https://www.example.com"})
    exposed = response["multiValueHeaders"]["Access-Control-Expose-Headers"][0]
    assert "Retry-After" in exposed
