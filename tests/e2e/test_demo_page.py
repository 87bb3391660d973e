"""The demo page in a real browser against the local stack: a visitor subscribes with the
enhanced form and confirms from the mail; mistakes are shown next to their fields; the plain
form works without JavaScript; the page fits a phone."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, Route, expect

from ecrm.platform import keys, normalise

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO_FORM = json.loads((ROOT / "local" / "demo_form.json").read_text())
THANK_YOU = DEMO_FORM["thank_you"]
CONSENT_TEXT = DEMO_FORM["consent"]["text"]


def unique_email() -> str:
    return f"E2E.{uuid.uuid4().hex[:10]}@Example.com"


def pause_like_a_human(page: Page) -> None:
    """The API silently drops submissions made faster than MIN_FILL_SECONDS after the form was
    rendered (a bot signal), so a test types no faster than a person could."""
    seconds = float(os.environ.get("MIN_FILL_SECONDS", "2"))
    page.wait_for_timeout(seconds * 1000 + 300)


def mails_to(messages: list[dict[str, Any]], address: str) -> list[dict[str, Any]]:
    """Outbox entries ({id, to, from, subject, ...}) addressed to `address`."""
    return [message for message in messages if address.lower() in message["to"].lower()]


def open_demo(page: Page, query: str = "") -> None:
    page.goto(f"/{query}")
    expect(page.locator("#enhanced [name=email]")).to_be_visible()


def enhanced_field(page: Page, name: str) -> Any:
    return page.locator(f"#enhanced [name={name}]")


def test_visitor_subscribes_with_the_enhanced_form_and_confirms_from_the_mail(
    page: Page, stack: Any, dynamodb: Any, table_name: str
) -> None:
    address = unique_email()
    open_demo(page, "?utm_source=e2e&utm_campaign=launch")
    form = page.locator("#enhanced")
    form.get_by_label("Email").fill(address)
    form.get_by_label("First name").fill("Ada")
    form.get_by_label("product news").check()
    form.get_by_label(CONSENT_TEXT).check()
    pause_like_a_human(page)
    with page.expect_request("**/forms/newsletter/submissions") as sent:
        form.get_by_role("button", name=DEMO_FORM["submit_label"]).click()

    thanks = page.locator(".ecrm-thanks")
    expect(thanks).to_have_text(THANK_YOU)
    expect(thanks).to_have_attribute("role", "status")
    expect(page.locator("#enhanced")).to_have_count(0)
    request = sent.value
    assert request.headers["content-type"] == "application/json"
    assert len(request.headers["idempotency-key"]) == 36
    body = request.post_data_json
    assert body["email"] == address
    assert body["consent"] is True
    assert body["interests"] == ["product news"]
    assert body["_hp"] == ""
    assert float(body["_ts"]) > 1.6e12  # epoch milliseconds
    assert body["utm_source"] == "e2e"
    assert body["utm_campaign"] == "launch"
    assert body["page"] == f"{stack.api_url.rstrip('/')}/"

    stack.drain()
    [mail] = mails_to(stack.outbox(), address)
    [link] = [link for link in mail["links"] if "/confirm/" in link]
    assert link.startswith(stack.api_url.rstrip("/"))
    page.goto(link)
    page.locator("#confirm").click()
    expect(page.locator("#confirmed")).to_be_visible()

    stack.drain()
    outbox = requests.get(f"{stack.api_url.rstrip('/')}/_local/outbox.json", timeout=10)
    assert outbox.status_code == 200
    assert len(mails_to(outbox.json(), address)) == 1
    key = keys.contact(keys.contact_id_for(normalise.email(address)))
    item = dynamodb.get_item(
        TableName=table_name,
        Key={name: {"S": value} for name, value in key.items()},
        ConsistentRead=True,
    )["Item"]
    assert item["status"]["S"] == "subscribed"


def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_sent(
    page: Page, stack: Any
) -> None:
    stack.drain()
    mails_before = len(stack.outbox())
    open_demo(page)
    enhanced_field(page, "email").fill("not-an-email")
    pause_like_a_human(page)
    page.locator("#enhanced").get_by_role("button", name=DEMO_FORM["submit_label"]).click()

    for name in ("email", "consent"):
        error = page.locator(f"#enhanced .ecrm-error[data-field={name}]")
        expect(error).to_be_visible()
        expect(error).not_to_be_empty()
        control = enhanced_field(page, name)
        expect(control).to_have_attribute("aria-invalid", "true")
        error_id = error.get_attribute("id")
        assert error_id
        expect(control).to_have_attribute("aria-describedby", error_id)
    expect(page.locator("#enhanced [role=alert]")).not_to_be_empty()
    expect(enhanced_field(page, "email")).to_be_focused()
    expect(page.locator(".ecrm-thanks")).to_have_count(0)
    stack.drain()
    assert len(stack.outbox()) == mails_before

    # Corrected, the same form goes through and the errors are gone.
    enhanced_field(page, "email").fill(unique_email())
    enhanced_field(page, "consent").check()
    page.locator("#enhanced").get_by_role("button", name=DEMO_FORM["submit_label"]).click()
    expect(page.locator(".ecrm-thanks")).to_have_text(THANK_YOU)


def test_too_many_attempts_say_when_to_try_again(page: Page) -> None:
    error = {"code": "rate_limited", "message": "Too many submissions; please wait.", "fields": {}}
    page.route(
        "**/forms/newsletter/submissions",
        lambda route: route.fulfill(
            status=429, headers={"Retry-After": "42"}, json={"error": error}
        ),
    )
    open_demo(page)
    enhanced_field(page, "email").fill(unique_email())
    enhanced_field(page, "consent").check()
    page.locator("#enhanced").get_by_role("button", name=DEMO_FORM["submit_label"]).click()
    expect(page.locator("#enhanced [role=alert]")).to_contain_text("try again in 42 seconds")


def test_rendered_form_binds_labels_and_carries_the_bot_signals(page: Page) -> None:
    open_demo(page)
    form = page.locator("#enhanced")
    expect(form.get_by_label("Email")).to_have_attribute("required", "")
    expect(form.get_by_label("Email")).to_have_attribute("type", "email")
    expect(form.get_by_label("First name")).to_have_attribute("maxlength", "80")
    expect(form.get_by_role("group", name=DEMO_FORM["fields"][3]["label"])).to_be_visible()
    expect(form.get_by_label(CONSENT_TEXT)).to_have_attribute("required", "")
    honeypot = form.locator("[name=_hp]")
    expect(honeypot).to_have_attribute("tabindex", "-1")
    expect(honeypot).to_have_attribute("autocomplete", "off")
    expect(form.locator(".ecrm-hp")).to_have_attribute("aria-hidden", "true")
    assert honeypot.bounding_box() is None or honeypot.bounding_box()["x"] < 0  # type: ignore[index]
    assert float(form.locator("[name=_ts]").input_value()) > 1.6e12


def test_hand_written_form_is_enhanced_like_the_embed_snippet_says(page: Page) -> None:
    """The embed snippet: hand-written fields plus data-ecrm-form. Served here as the demo
    page's plain form with the attributes added."""

    def with_attributes(route: Route) -> None:
        html = route.fetch().text()
        marked = html.replace('<form id="plain"', '<form id="plain" data-ecrm-form="newsletter"')
        route.fulfill(body=marked, content_type="text/html")

    page.route("**/", with_attributes)
    open_demo(page)
    form = page.locator("#plain")
    form.locator("[name=email]").fill("nope")
    pause_like_a_human(page)
    form.get_by_role("button", name="Subscribe").click()
    for name in ("email", "consent"):
        expect(form.locator(f".ecrm-error[data-field={name}]")).not_to_be_empty()
        expect(form.locator(f"[name={name}]")).to_have_attribute("aria-invalid", "true")

    form.locator("[name=email]").fill(unique_email())
    form.locator("[name=consent]").check()
    with page.expect_request("**/forms/newsletter/submissions") as sent:
        form.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".ecrm-thanks")).to_have_text(THANK_YOU)
    expect(page.locator("#plain")).to_have_count(0)
    assert sent.value.post_data_json["consent"] is True


def test_plain_form_works_without_javascript(browser: Browser, stack: Any) -> None:
    address = unique_email()
    context = browser.new_context(base_url=stack.api_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("#plain-email").fill(address)
        page.locator("#plain-first-name").fill("Grace")
        page.locator("#plain-consent").check()
        page.locator("#plain").get_by_role("button", name="Subscribe").click()
        expect(page.locator("h1#thanks")).to_have_text(THANK_YOU)
    finally:
        context.close()
    stack.drain()
    assert len(mails_to(stack.outbox(), address)) == 1


def test_demo_page_fits_a_phone(browser: Browser, stack: Any) -> None:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        open_demo(page)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 360
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / "demo.png"), full_page=True)
    finally:
        context.close()


def submit_twice_losing_the_first_answer(page: Page) -> tuple[str, list[str], list[Any]]:
    """The first request reaches the API but its answer is lost on the way back, and the
    visitor clicks again. Returns the address, the Idempotency-Keys sent and the receipts."""
    keys_sent: list[str] = []
    receipts: list[Any] = []

    def lose_the_first_answer(route: Route) -> None:
        keys_sent.append(route.request.headers["idempotency-key"])
        response = route.fetch()
        receipts.append(response.json())
        if len(keys_sent) == 1:
            route.abort("internetdisconnected")
        else:
            route.fulfill(response=response)

    address = unique_email()
    page.route("**/forms/newsletter/submissions", lose_the_first_answer)
    open_demo(page)
    enhanced_field(page, "email").fill(address)
    enhanced_field(page, "consent").check()
    pause_like_a_human(page)
    button = page.locator("#enhanced").get_by_role("button", name=DEMO_FORM["submit_label"])
    button.click()
    expect(page.locator("#enhanced [role=alert]")).to_contain_text("could not reach the server")
    button.click()
    expect(page.locator(".ecrm-thanks")).to_have_text(THANK_YOU)
    return address, keys_sent, receipts


def test_a_lost_answer_is_retried_with_the_same_key_and_answered_alike(page: Page) -> None:
    _, keys_sent, receipts = submit_twice_losing_the_first_answer(page)
    assert len(keys_sent) == 2
    assert keys_sent[0] == keys_sent[1]
    assert receipts[0]["submission_id"] == receipts[1]["submission_id"]


def test_a_retried_submission_sends_one_confirmation_mail(page: Page, stack: Any) -> None:
    address, _, _ = submit_twice_losing_the_first_answer(page)
    stack.drain()
    assert len(mails_to(stack.outbox(), address)) == 1
