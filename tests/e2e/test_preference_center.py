"""The preference center and the unsubscribe page in a real browser against the local stack: a
subscriber asks for a sign-in link, opens it from the outbox and presses its button (opening a
link spends nothing: mail scanners run scripts too), changes interests and a topic, confirms a
new address, unsubscribes from everything, downloads their data and erases it; the page fits a
phone, works from the keyboard and has no axe-core violation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Request, expect

from ecrm.account.unsubscribe import unsubscribe_url
from ecrm.platform import keys, normalise

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def unique_email() -> str:
    return f"pc.{uuid.uuid4().hex[:10]}@example.com"


def outbox_to(stack: Any, address: str) -> list[dict[str, Any]]:
    stack.drain()
    return [m for m in stack.outbox() if address in m["to"].lower()]


def subscribed(stack: Any, address: str) -> str:
    """Subscribe through the API and confirm from the outbox; returns the contact id."""
    api = stack.api_url.rstrip("/")
    body = {"email": address, "first_name": "Ada", "consent": True, "interests": ["guides"]}
    answer = requests.post(f"{api}/forms/newsletter/submissions", json=body, timeout=10)
    assert answer.status_code == 202, answer.text
    [mail] = outbox_to(stack, address)
    [link] = [link for link in mail["links"] if "/confirm/" in link]
    assert requests.post(link, timeout=10).status_code == 200
    return keys.contact_id_for(normalise.email(address))


def partition(dynamodb: Any, table_name: str, contact_id: str) -> list[dict[str, Any]]:
    found = dynamodb.query(
        TableName=table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.contact(contact_id)["pk"]}},
        ConsistentRead=True,
    )
    items: list[dict[str, Any]] = found["Items"]
    return items


def contact_item(dynamodb: Any, table_name: str, contact_id: str) -> dict[str, Any]:
    key = {name: {"S": value} for name, value in keys.contact(contact_id).items()}
    found: dict[str, Any] = dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True)[
        "Item"
    ]
    return found


def sign_in_from_the_outbox(page: Page, stack: Any, address: str) -> None:
    page.goto("/preferences")
    page.get_by_label("Your email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#message")).to_contain_text("sign-in link is on its way")
    [mail] = [m for m in outbox_to(stack, address) if "/preferences#token=" in m["text"]]
    [link] = [link for link in mail["links"] if "/preferences#token=" in link]
    page.goto(link)
    page.get_by_role("button", name="Sign me in").click()
    expect(page.locator("#account-email")).to_have_text(address)
    assert "#token=" not in page.url  # the token left the address bar at once


def mailed_link(stack: Any, address: str, marker: str) -> str:
    [link] = [
        link for mail in outbox_to(stack, address) for link in mail["links"] if marker in link
    ]
    return link


def account_posts(page: Page) -> list[str]:
    """The URLs of the POSTs the page makes to the account API from now on."""
    posts: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and "/account" in request.url:
            posts.append(request.url)

    page.on("request", seen)
    return posts


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_subscriber_manages_everything_from_a_mailed_link(
    page: Page, stack: Any, dynamodb: Any, table_name: str, tmp_path: Path
) -> None:
    address = unique_email()
    contact_id = subscribed(stack, address)

    sign_in_from_the_outbox(page, stack, address)
    interests = page.get_by_role("group", name="What interests you?")
    expect(interests.get_by_label("guides")).to_be_checked()
    interests.get_by_label("events").check()
    page.get_by_label("Your role").select_option("marketing")
    page.get_by_label("Events and webinars").check()
    birthday = page.get_by_label("Birthday")
    expect(birthday).to_have_attribute("type", "date")  # the browser's date picker
    birthday.fill("1990-05-17")  # what a date input gives, whatever the reader's locale
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.locator("#message")).to_have_text("Saved.")

    contact = contact_item(dynamodb, table_name, contact_id)
    assert {v["S"] for v in contact["f_interests"]["L"]} == {"events", "guides"}
    assert contact["f_role"]["S"] == "marketing"
    assert contact["f_birthday"]["S"] == "1990-05-17"
    expect(page.get_by_label("Birthday")).to_have_value("1990-05-17")  # reloaded from the API
    assert set(contact["topics"]["SS"]) == {"newsletter", "events"}
    expect(page.get_by_label("Events and webinars")).to_be_checked()  # reloaded from the API

    page.get_by_role("button", name="Unsubscribe from all mail").click()
    expect(page.locator("#account-status")).to_contain_text("unsubscribed from all our mail")
    expect(page.locator("#message")).to_have_text(
        "Done: you are unsubscribed from all our mail. We will send you nothing more, except"
        " mail you ask for, such as a sign-in link."
    )
    expect(page.get_by_role("heading", name="Stop all mail")).to_have_count(0)
    for heading in page.get_by_role("heading").all():  # no heading left above nothing
        assert heading.inner_text().strip()
        assert heading.evaluate("h => h.parentElement.innerText.trim() !== h.innerText.trim()")
    assert contact_item(dynamodb, table_name, contact_id)["status"]["S"] == "unsubscribed"
    expect(page.get_by_label("The ecrm newsletter")).not_to_be_checked()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data (JSON)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["contact"]["email"] == address
    assert any(i["type"] == "preferences_updated" for i in exported["interactions"])
    assert download.value.suggested_filename.startswith("my-data-")

    page.get_by_role("button", name="Erase my data").click()
    expect(page.locator("#problem")).to_contain_text("Tick the box")
    assert partition(dynamodb, table_name, contact_id)
    page.get_by_label("I understand that this erases my data").check()
    page.get_by_role("button", name="Erase my data").click()
    expect(page.locator("#message")).to_contain_text("erased")
    expect(page.locator("#account")).to_be_hidden()
    assert partition(dynamodb, table_name, contact_id) == []
    assert page.evaluate("sessionStorage.length") == 0


def test_mistakes_are_named_next_to_their_fields(page: Page, stack: Any) -> None:
    address = unique_email()
    subscribed(stack, address)
    sign_in_from_the_outbox(page, stack, address)

    page.get_by_label("Email address", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Save my preferences").click()

    expect(page.locator("#problem")).to_have_text("Some fields need attention.")
    email = page.get_by_label("Email address", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()


def test_a_used_sign_in_link_says_so_and_offers_a_new_one(page: Page, stack: Any) -> None:
    address = unique_email()
    subscribed(stack, address)
    sign_in_from_the_outbox(page, stack, address)
    [mail] = [m for m in outbox_to(stack, address) if "/preferences#token=" in m["text"]]
    [link] = [link for link in mail["links"] if "/preferences#token=" in link]
    page.evaluate("sessionStorage.clear()")

    page.goto(link)
    page.get_by_role("button", name="Sign me in").click()

    expect(page.locator("#problem")).to_contain_text("already used")
    expect(page.get_by_label("Your email address")).to_be_visible()


def test_opening_a_sign_in_link_spends_nothing_and_its_button_signs_in_from_the_keyboard(
    page: Page, stack: Any, dynamodb: Any, table_name: str
) -> None:
    """A mail scanner that opens the link and runs its script leaves the token unused."""
    address = unique_email()
    subscribed(stack, address)
    page.goto("/preferences")
    page.get_by_label("Your email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#message")).to_contain_text("sign-in link is on its way")
    link = mailed_link(stack, address, "/preferences#token=")
    posts = account_posts(page)

    page.goto(link)
    page.wait_for_load_state("networkidle")

    button = page.get_by_role("button", name="Sign me in")
    expect(button).to_be_focused()
    expect(page.locator("#account")).to_be_hidden()
    assert "#token=" not in page.url
    assert posts == []  # nothing was sent: the one-time token is still unused
    assert page.evaluate("sessionStorage.length") == 0
    assert_accessible(page)

    page.keyboard.press("Enter")

    expect(page.locator("#account-email")).to_have_text(address)
    assert [url.rsplit("/", 2)[-2:] for url in posts] == [["account", "session"]]
    expect(page.locator("#link-sign-in")).to_be_hidden()
    assert_accessible(page)
    csp = requests.get(f"{stack.api_url}/preferences", timeout=10).headers
    policy = csp["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy  # scripts: this site
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy


def test_opening_an_address_change_link_changes_nothing_until_its_button_is_pressed(
    page: Page, stack: Any, dynamodb: Any, table_name: str
) -> None:
    address, new_address = unique_email(), unique_email()
    contact_id = subscribed(stack, address)
    sign_in_from_the_outbox(page, stack, address)
    page.get_by_label("Email address", exact=True).fill(new_address)
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.locator("#pending-email")).to_contain_text(new_address)
    link = mailed_link(stack, new_address, "verify_email=")
    posts = account_posts(page)

    page.goto(link)
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("button", name="Confirm my new address")).to_be_focused()
    assert posts == []
    expect(page.locator("#account-email")).to_have_text(address)  # still signed in, unchanged
    assert contact_item(dynamodb, table_name, contact_id)["email"]["S"] == address
    assert_accessible(page)

    page.get_by_role("button", name="Confirm my new address").click()

    expect(page.locator("#account-email")).to_have_text(new_address)
    expect(page.locator("#email-confirm")).to_be_hidden()


def test_the_unsubscribe_page_asks_first_and_its_button_unsubscribes(
    page: Page, stack: Any, dynamodb: Any, table_name: str
) -> None:
    address = unique_email()
    contact_id = subscribed(stack, address)

    page.goto(unsubscribe_url(contact_id, "newsletter"))
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    assert "topics" in contact_item(dynamodb, table_name, contact_id)  # the GET changed nothing
    page.get_by_role("button", name="Unsubscribe from all mail").click()

    expect(page.locator("#unsubscribed")).to_have_text("You are unsubscribed")
    assert contact_item(dynamodb, table_name, contact_id)["status"]["S"] == "unsubscribed"


def test_the_preference_center_fits_a_phone(browser: Browser, stack: Any) -> None:
    address = unique_email()
    subscribed(stack, address)
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        sign_in_from_the_outbox(page, stack, address)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        (ROOT / "test-results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-results" / "preferences.png"), full_page=True)
    finally:
        context.close()
